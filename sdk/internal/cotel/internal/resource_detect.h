/* Internal: the resource detectors' parsers, visible to in-tree tests. */
#ifndef COTEL_INTERNAL_RESOURCE_DETECT_H
#define COTEL_INTERNAL_RESOURCE_DETECT_H

#include <stdint.h>

#include "cotel/common.h"

/* The container id in the text of /proc/self/cgroup (cgroup v1, or v2 with
 * the host's cgroup namespace): the first path whose last segment is, or
 * ends in "-<id>" / ":<id>" (optionally followed by ".scope"), a 64-digit
 * lowercase hex id. Writes it NUL-terminated into out; 0 or
 * COTEL_ENOTFOUND. */
int cotel__container_id_from_cgroup(const char *text, char out[65]);
/* The container id in the text of /proc/self/mountinfo (cgroup v2 with a
 * private cgroup namespace, where /proc/self/cgroup says only "0::/"): the
 * first "containers/<64 hex>/" in a mount source (Docker's and Podman's
 * per-container hostname and resolv.conf files); 0 or COTEL_ENOTFOUND. */
int cotel__container_id_from_mountinfo(const char *text, char out[65]);
/* The detector's decision: the cgroup text first, then the mountinfo text
 * (either may be NULL); 0 or COTEL_ENOTFOUND. */
int cotel__container_id(const char *cgroup, const char *mountinfo,
                        char out[65]);
/* host.arch for a uname machine string ("x86_64" is "amd64"); the machine
 * string itself when the conventions have no name for it. */
const char *cotel__host_arch(const char *machine);
/* COTEL_RESOURCE_DETECTORS syntax: a comma-separated list of host, os,
 * process, container, command_line, or none. Unknown names are skipped with
 * a warning. 0 (the default set) for NULL or an empty list. */
uint32_t cotel__resource_detectors_parse(const char *s);
/* Read a small file (under /proc) into buf, NUL-terminated, at most cap - 1
 * bytes (more is cut). The bytes read, or -1 when it cannot be opened. */
long cotel__read_small_file(const char *path, char *buf, size_t cap);

#endif
