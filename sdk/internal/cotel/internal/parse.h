/* Internal to libcotel (one copy for every component): parsing the values
 * of configuration variables that the public cotel/env.h does not cover. */
#ifndef COTEL_INTERNAL_PARSE_H
#define COTEL_INTERNAL_PARSE_H

#include <stdint.h>

/* A byte size: decimal digits, optionally followed by K, M or G (KiB, MiB,
 * GiB; either case). 0 and *out set, or COTEL_EINVAL (nothing set) for
 * anything else or an overflow. */
int cotel__parse_size(const char *s, uint64_t *out);

#endif
