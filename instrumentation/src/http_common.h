/* Private to the instrumentation component: HTTP semantic-convention
 * helpers shared by the libcurl spans and the server helper (which the
 * nginx module links, so nothing here needs libcurl). */
#ifndef COTEL_INSTR_HTTP_COMMON_H
#define COTEL_INSTR_HTTP_COMMON_H

#include <stddef.h>

#include "cotel/internal/buf.h"

/* The canonical spelling of a known HTTP method (RFC 9110 §9 and PATCH,
 * RFC 5789: matched exactly, as the semconv requires), or NULL: the caller
 * then records "_OTHER" and http.request.method_original. */
const char *cotel__http_method_known(const char *m);
const char *cotel__http_method_known_n(const char *m, size_t n);

/* Parts of an absolute URL (views into it). port: explicit, else the
 * scheme's default (80, 443), else 0. */
typedef struct cotel__url_parts {
  const char *scheme;
  size_t scheme_len;
  const char *userinfo; /* NULL when absent */
  size_t userinfo_len;
  const char *host; /* without [] for IPv6 */
  size_t host_len;
  int port;
  const char *rest; /* path, query, fragment ("" when none) */
} cotel__url_parts;

int cotel__url_split(const char *url, cotel__url_parts *out);

/* url.full with credentials and the values of known signature query
 * parameters replaced by REDACTED (semconv "url.full"). Returns `url`
 * itself when nothing needs redacting, else a NUL-terminated copy in
 * `scratch`; NULL when out of memory. */
const char *cotel__url_redact(const char *url, const cotel__url_parts *u,
                              cotel__buf *scratch);

/* Decimal status code into out (NUL-terminated). */
void cotel__fmt_status(long status, char out[16]);

#endif
