/** @file
 * cotel: reading OTEL_* environment variables (OTel spec "Environment
 * Variable Specification"). Every getter returns the default, with a logged
 * warning naming the variable, when the value is malformed; an empty value
 * counts as unset. Used by every component; the parsing functions are also
 * fuzz targets. */
#ifndef COTEL_ENV_H
#define COTEL_ENV_H

#include "cotel/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Parsers on a value (not the environment): 0 or COTEL_EINVAL. */
/** "true"/"false", case-insensitive (spec: anything else is false + warn). */
COTEL_API int cotel_parse_bool(const char *s, bool *out);
/** Non-negative decimal integer that fits in uint32. */
COTEL_API int cotel_parse_u32(const char *s, uint32_t *out);
/** Finite double. */
COTEL_API int cotel_parse_double(const char *s, double *out);
/** A duration in milliseconds (non-negative integer). */
COTEL_API int cotel_parse_ms(const char *s, uint32_t *out);

/** Environment getters: the value, or `def` when unset/empty/invalid. */
COTEL_API bool cotel_env_bool(const char *name, bool def);
/** The variable as a non-negative integer (warns when invalid). */
COTEL_API uint32_t cotel_env_u32(const char *name, uint32_t def);
/** The variable as a finite double (warns when invalid). */
COTEL_API double cotel_env_double(const char *name, double def);
/** The raw string, NULL when unset or empty (trimmed of nothing). */
COTEL_API const char *cotel_env_str(const char *name);

/** A list of key=value pairs separated by ',' with percent-decoded values
 * (OTEL_RESOURCE_ATTRIBUTES, OTEL_EXPORTER_OTLP_HEADERS). `cb` is called for
 * each well-formed pair with decoded, NUL-terminated key and value; malformed
 * entries are skipped with a warning naming `what`. Returns the number of
 * pairs delivered or COTEL_ENOMEM. */
COTEL_API int cotel_parse_kv_list(const char *s, const char *what,
                                  void (*cb)(void *ud, const char *key,
                                             const char *value),
                                  void *ud);

#ifdef __cplusplus
}
#endif
#endif
