/* Container resource detector (semantic conventions: resource/container.md):
 * container.id from /proc/self/cgroup (cgroup v1, or v2 seen from the
 * host's namespace), else from /proc/self/mountinfo (cgroup v2 with a
 * private namespace, Docker's default since 20.10). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cotel/internal/resource_detect.h"
#include "cotel/internal/hex.h"
#include "provider/provider_internal.h"

#define ID_LEN 64

static bool is_id(const char *s, size_t n) {
  if (n != ID_LEN) return false;
  for (size_t i = 0; i < n; i++)
    if (cotel__hex_lc[(unsigned char)s[i]] < 0) return false;
  return true;
}

/* One cgroup path (after "hier:controllers:"): its last segment, without a
 * ".scope" suffix, and without any "<runtime>-" or "<runtime>:" prefix
 * ("docker-<id>.scope", "cri-containerd-<id>.scope", "crio-<id>.scope",
 * "libpod-<id>.scope", "/docker/<id>", "/kubepods/.../<id>"). */
static bool id_in_path(const char *p, size_t n, char out[65]) {
  while (n && (p[n - 1] == '\r' || p[n - 1] == ' '))
    n--;
  const char *seg = p;
  for (size_t i = 0; i < n; i++)
    if (p[i] == '/') seg = p + i + 1;
  size_t l = (size_t)(p + n - seg);
  if (l > 6 && !memcmp(seg + l - 6, ".scope", 6)) l -= 6;
  for (size_t i = l; i > 0; i--)
    if (seg[i - 1] == '-' || seg[i - 1] == ':') {
      seg += i;
      l -= i;
      break;
    }
  if (!is_id(seg, l)) return false;
  memcpy(out, seg, ID_LEN);
  out[ID_LEN] = '\0';
  return true;
}

int cotel__container_id_from_cgroup(const char *text, char out[65]) {
  if (!text) return COTEL_EINVAL;
  for (const char *line = text; *line;) {
    const char *eol = strchr(line, '\n');
    size_t n = eol ? (size_t)(eol - line) : strlen(line);
    /* hierarchy-ID:controller-list:cgroup-path (cgroups(7)) */
    const char *c1 = memchr(line, ':', n);
    const char *c2 =
        c1 ? memchr(c1 + 1, ':', (size_t)(line + n - c1 - 1)) : NULL;
    if (c2 && id_in_path(c2 + 1, (size_t)(line + n - c2 - 1), out)) return 0;
    line += n + (eol ? 1 : 0);
  }
  return COTEL_ENOTFOUND;
}

int cotel__container_id_from_mountinfo(const char *text, char out[65]) {
  if (!text) return COTEL_EINVAL;
  static const char key[] = "containers/";
  for (const char *p = text; (p = strstr(p, key)); p++) {
    const char *id = p + sizeof key - 1;
    size_t l = 0;
    while (l <= ID_LEN && id[l] && id[l] != '/' && id[l] != ' ' &&
           id[l] != '\n')
      l++;
    if (id[l] == '/' && is_id(id, l)) {
      memcpy(out, id, ID_LEN);
      out[ID_LEN] = '\0';
      return 0;
    }
  }
  return COTEL_ENOTFOUND;
}

int cotel__container_id(const char *cgroup, const char *mountinfo,
                        char out[65]) {
  if (cgroup && cotel__container_id_from_cgroup(cgroup, out) == 0) return 0;
  if (mountinfo && cotel__container_id_from_mountinfo(mountinfo, out) == 0)
    return 0;
  return COTEL_ENOTFOUND;
}

/* Read a /proc file (they report size 0, so read to EOF), cut at cap. */
long cotel__read_small_file(const char *path, char *buf, size_t cap) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  size_t n = 0;
  while (n < cap - 1) {
    ssize_t r = read(fd, buf + n, cap - 1 - n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    n += (size_t)r;
  }
  close(fd);
  buf[n] = '\0';
  return (long)n;
}

static bool read_file(const char *path, char *buf, size_t cap) {
  return cotel__read_small_file(path, buf, cap) >= 0;
}

void cotel__detect_container(cotel__res_put put, void *ud) {
  /* Once per provider: libc memory (not the provider's allocator), as the
   * detectors are best effort and run before the provider exists. */
  size_t cap = 65536; /* mountinfo of a busy host */
  char *buf = malloc(cap), id[65];
  if (!buf) return;
  /* The same order as cotel__container_id, reading each file only when
   * needed (one buffer). */
  bool found = read_file("/proc/self/cgroup", buf, cap) &&
               cotel__container_id(buf, NULL, id) == 0;
  if (!found)
    found = read_file("/proc/self/mountinfo", buf, cap) &&
            cotel__container_id(NULL, buf, id) == 0;
  if (found) {
    cotel_attr a = cotel_attr_string("container.id", id);
    put(ud, &a);
  }
  free(buf);
}
