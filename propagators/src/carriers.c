/* Carriers: a header array (server side, e.g. from an HTTP parser) and a
 * libcurl header list (client side).
 *
 * Header names compare case-insensitively (RFC 7230 §3.2); several lines
 * with one name are returned in order, which is what tracestate and
 * baggage need to combine them. */
#include <curl/curl.h>
#include <stdlib.h>
#include <strings.h>

#include "prop_internal.h"

static bool name_eq(cotel_str a, const char *b, size_t blen) {
  return a.len == blen && strncasecmp(a.ptr, b, blen) == 0;
}

void cotel_header_carrier_init(cotel_header_carrier *hc, cotel_header *headers,
                               size_t count, size_t cap, char *storage,
                               size_t storage_cap) {
  if (!hc) return;
  hc->headers = headers;
  hc->count = count;
  hc->cap = cap < count ? count : cap;
  hc->storage = storage;
  hc->storage_used = 0;
  hc->storage_cap = storage ? storage_cap : 0;
}

static size_t hc_get(void *c, const char *key, cotel_str *values, size_t max) {
  cotel_header_carrier *hc = c;
  size_t klen = strlen(key), n = 0;
  for (size_t i = 0; i < hc->count; i++) {
    if (!name_eq(hc->headers[i].name, key, klen)) continue;
    if (n < max && values) values[n] = hc->headers[i].value;
    n++;
  }
  return n;
}

static size_t hc_keys(void *c, cotel_str *keys, size_t max) {
  cotel_header_carrier *hc = c;
  for (size_t i = 0; i < hc->count && i < max && keys; i++)
    keys[i] = hc->headers[i].name;
  return hc->count;
}

/* Copy into storage (NUL-terminated); NULL when it does not fit. */
static const char *store(cotel_header_carrier *hc, const char *s, size_t n) {
  if (hc->storage_cap - hc->storage_used < n + 1) return NULL;
  char *p = hc->storage + hc->storage_used;
  if (n) memcpy(p, s, n);
  p[n] = '\0';
  hc->storage_used += n + 1;
  return p;
}

/* Set replaces the first line with this name (dropping any others) or
 * appends one. Strings are copied into storage: the propagators pass
 * values that live on their stack. */
static int hc_set(void *c, const char *key, const char *value, size_t vlen) {
  cotel_header_carrier *hc = c;
  size_t klen = strlen(key), at = hc->count;
  for (size_t i = 0; i < hc->count; i++)
    if (name_eq(hc->headers[i].name, key, klen)) {
      at = i;
      break;
    }
  if (at == hc->count && hc->count == hc->cap) return COTEL_EFULL;
  size_t mark = hc->storage_used;
  const char *v = store(hc, value, vlen);
  const char *k = at == hc->count ? store(hc, key, klen) : NULL;
  if (!v || (at == hc->count && !k)) {
    hc->storage_used = mark;
    return COTEL_EFULL;
  }
  if (at == hc->count) {
    hc->headers[hc->count].name = (cotel_str){k, klen};
    hc->count++;
  }
  hc->headers[at].value = (cotel_str){v, vlen};
  /* Later lines with the same name would be combined with the new value
   * by the receiver: remove them. */
  size_t w = at + 1;
  for (size_t i = at + 1; i < hc->count; i++)
    if (!name_eq(hc->headers[i].name, key, klen))
      hc->headers[w++] = hc->headers[i];
  hc->count = w;
  return 0;
}

cotel_carrier cotel_header_carrier_as_carrier(cotel_header_carrier *hc) {
  cotel_carrier c = {hc_get, hc_keys, hc_set, hc};
  return c;
}

/* ---- libcurl ---- */

static size_t curl_get(void *c, const char *key, cotel_str *v, size_t max) {
  (void)c, (void)key, (void)v, (void)max;
  return 0;
}

static size_t curl_keys(void *c, cotel_str *keys, size_t max) {
  (void)c, (void)keys, (void)max;
  return 0;
}

static int curl_set(void *c, const char *key, const char *value, size_t vlen) {
  struct curl_slist **list = c;
  size_t klen = strlen(key), n = klen + 2 + vlen + 1;
  char stackbuf[256], *line = n <= sizeof stackbuf ? stackbuf : malloc(n);
  if (!line) return COTEL_ENOMEM;
  memcpy(line, key, klen);
  memcpy(line + klen, ": ", 2);
  if (vlen) memcpy(line + klen + 2, value, vlen);
  line[n - 1] = '\0';
  /* curl_slist_append copies the line; on failure the old list stays. */
  struct curl_slist *nl = curl_slist_append(*list, line);
  if (line != stackbuf) free(line);
  if (!nl) return COTEL_ENOMEM;
  *list = nl;
  return 0;
}

int cotel_curl_inject(const cotel_propagator *p, const cotel_context *ctx,
                      struct curl_slist **list) {
  if (!list) return COTEL_EINVAL;
  cotel_carrier c = {curl_get, curl_keys, curl_set, list};
  return cotel_inject(p, ctx, &c);
}
