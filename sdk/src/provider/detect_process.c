/* Process resource detector (semantic conventions: resource/process.md).
 * For a C program the "runtime" is the C library it runs on: glibc and its
 * version; the description names the compiler that built cotel. */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#if defined(__GLIBC__)
#include <gnu/libc-version.h>
#endif

#include "cotel/internal/resource_detect.h"
#include "provider/provider_internal.h"

static void put_s(cotel__res_put put, void *ud, const char *k, const char *v) {
  cotel_attr a = cotel_attr_string(k, v);
  if (v && v[0]) put(ud, &a);
}

/* /proc/self/cmdline into buf (NUL-separated args); its length, 0 if none. */
static size_t read_cmdline(char *buf, size_t cap) {
  long n = cotel__read_small_file("/proc/self/cmdline", buf, cap);
  return n > 0 ? (size_t)n : 0;
}

/* process.command_args: every argument, as a string array. At most 256
 * arguments and 16 KiB of command line (more is cut, not failed). */
static void put_args(const char *buf, size_t n, cotel__res_put put, void *ud) {
  cotel_str args[256];
  size_t count = 0;
  for (size_t i = 0; i < n && count < 256;) {
    size_t l = strnlen(buf + i, n - i);
    args[count].ptr = buf + i;
    args[count].len = l;
    count++;
    i += l + 1;
  }
  if (!count) return;
  cotel_attr a = cotel_attr_array("process.command_args",
                                  COTEL_ATTR_STRING_ARRAY, args, count);
  put(ud, &a);
}

void cotel__detect_process(bool command_line, cotel__res_put put, void *ud) {
  cotel_attr pid = cotel_attr_int("process.pid", (int64_t)getpid());
  put(ud, &pid);
  char exe[4096];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n > 0) {
    exe[n] = '\0';
    const char *slash = strrchr(exe, '/');
    put_s(put, ud, "process.executable.path", exe);
    put_s(put, ud, "process.executable.name", slash ? slash + 1 : exe);
  } else {
    put_s(put, ud, "process.executable.name", program_invocation_short_name);
  }
  size_t cap = 16384; /* libc memory, once per provider (best effort) */
  char *cmdline = malloc(cap);
  size_t len = cmdline ? read_cmdline(cmdline, cap) : 0;
  if (len) put_s(put, ud, "process.command", cmdline); /* argv[0] */
  if (command_line && len) put_args(cmdline, len, put, ud);
  free(cmdline);

  struct passwd pw, *res = NULL;
  char pwbuf[1024];
  if (getpwuid_r(geteuid(), &pw, pwbuf, sizeof pwbuf, &res) == 0 && res)
    put_s(put, ud, "process.owner", pw.pw_name);

#if defined(__GLIBC__)
  put_s(put, ud, "process.runtime.name", "glibc");
  put_s(put, ud, "process.runtime.version", gnu_get_libc_version());
#endif
#if defined(__clang__)
  put_s(put, ud, "process.runtime.description",
        "C, cotel built by clang " __clang_version__);
#elif defined(__GNUC__)
  put_s(put, ud, "process.runtime.description",
        "C, cotel built by GCC " __VERSION__);
#endif
}
