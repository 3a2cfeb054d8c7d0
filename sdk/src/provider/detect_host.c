/* Host and OS resource detectors (semantic conventions: resource/host.md,
 * resource/os.md): host.name, host.arch, os.type, os.description. */
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "cotel/internal/resource_detect.h"
#include "provider/provider_internal.h"

const char *cotel__host_arch(const char *m) {
  static const struct {
    const char *machine, *arch;
  } map[] = {
      {"x86_64", "amd64"}, {"amd64", "amd64"},   {"aarch64", "arm64"},
      {"arm64", "arm64"},  {"i386", "x86"},      {"i486", "x86"},
      {"i586", "x86"},     {"i686", "x86"},      {"ia64", "ia64"},
      {"ppc64", "ppc64"},  {"ppc64le", "ppc64"}, {"ppc", "ppc32"},
      {"s390x", "s390x"},
  };
  for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
    if (!strcmp(m, map[i].machine)) return map[i].arch;
  if (!strncmp(m, "armv", 4) || !strcmp(m, "arm")) return "arm32";
  return m;
}

void cotel__detect_host(cotel__res_put put, void *ud) {
  char name[256];
  if (gethostname(name, sizeof name) == 0) {
    name[sizeof name - 1] = '\0';
    cotel_attr a = cotel_attr_string("host.name", name);
    if (name[0]) put(ud, &a);
  }
  struct utsname u;
  if (uname(&u) == 0) {
    cotel_attr a = cotel_attr_string("host.arch", cotel__host_arch(u.machine));
    put(ud, &a);
  }
}

void cotel__detect_os(cotel__res_put put, void *ud) {
#if defined(__linux__)
  const char *type = "linux";
#elif defined(__APPLE__)
  const char *type = "darwin";
#elif defined(__FreeBSD__)
  const char *type = "freebsd";
#elif defined(__NetBSD__)
  const char *type = "netbsd";
#elif defined(__OpenBSD__)
  const char *type = "openbsd";
#elif defined(__sun)
  const char *type = "solaris";
#else
  const char *type = NULL;
#endif
  if (type) {
    cotel_attr a = cotel_attr_string("os.type", type);
    put(ud, &a);
  }
  /* The conventions' example is `uname -srv`'s output. */
  struct utsname u;
  if (uname(&u) == 0) {
    char desc[3 * sizeof u.release + 3];
    size_t n = 0;
    const char *parts[] = {u.sysname, u.release, u.version};
    for (size_t i = 0; i < 3; i++) {
      size_t l = strnlen(parts[i], sizeof u.release);
      if (n) desc[n++] = ' ';
      memcpy(desc + n, parts[i], l);
      n += l;
    }
    desc[n] = '\0';
    cotel_attr a = cotel_attr_string("os.description", desc);
    put(ud, &a);
  }
}
