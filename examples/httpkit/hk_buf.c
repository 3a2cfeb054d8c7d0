/* httpkit: growable buffer, URL (form) encoding and query strings. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cotel/internal/buf.h"
#include "cotel/internal/hex.h"
#include "httpkit.h"

/* hk_buf is a char view of libcotel's one growable buffer (cotel__buf),
 * kept NUL-terminated for the services' string use. */
static int reserve(hk_buf *b, size_t extra) {
  if (extra > SIZE_MAX - 1) return COTEL_ENOMEM;
  cotel__buf cb = {(uint8_t *)b->data, b->len, b->cap};
  int rc = cotel__buf_reserve(&cb, extra + 1); /* and the NUL */
  b->data = (char *)cb.data;
  b->cap = cb.cap;
  return rc;
}

int hk_buf_append(hk_buf *b, const void *p, size_t n) {
  int rc = reserve(b, n);
  if (rc) return rc;
  if (n) memcpy(b->data + b->len, p, n);
  b->len += n;
  b->data[b->len] = '\0';
  return 0;
}

int hk_buf_puts(hk_buf *b, const char *s) {
  return hk_buf_append(b, s, strlen(s));
}

int hk_buf_printf(hk_buf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0) return COTEL_EINVAL;
  int rc = reserve(b, (size_t)n);
  if (rc) return rc;
  va_start(ap, fmt);
  vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->len += (size_t)n;
  return 0;
}

void hk_buf_free(hk_buf *b) {
  free(b->data);
  b->data = NULL;
  b->len = b->cap = 0;
}

static bool unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
         (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
}

int hk_url_encode(hk_buf *out, const char *s, size_t len) {
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    /* RFC 3986 §2.1 suggests uppercase hex digits in escapes. */
    char esc[3] = {'%', "0123456789ABCDEF"[c >> 4], "0123456789ABCDEF"[c & 15]};
    int rc = unreserved(c) ? hk_buf_append(out, &s[i], 1)
                           : hk_buf_append(out, esc, 3);
    if (rc) return rc;
  }
  if (!out->data) return hk_buf_append(out, "", 0);
  return 0;
}

int hk_url_decode(hk_buf *out, const char *s, size_t len) {
  int rc = hk_buf_append(out, "", 0);
  for (size_t i = 0; i < len && rc == 0; i++) {
    char c = s[i];
    if (c == '+') {
      c = ' ';
    } else if (c == '%' && i + 2 < len) {
      int hi = cotel__hex_val(s[i + 1]), lo = cotel__hex_val(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        c = (char)(hi * 16 + lo);
        i += 2;
      }
    }
    rc = hk_buf_append(out, &c, 1);
  }
  return rc;
}

int hk_query_get(cotel_str query, const char *name, hk_buf *out) {
  size_t nlen = strlen(name);
  const char *p = query.ptr, *end = query.ptr + query.len;
  out->len = 0;
  while (p && p < end) {
    const char *amp = memchr(p, '&', (size_t)(end - p));
    const char *stop = amp ? amp : end;
    const char *eq = memchr(p, '=', (size_t)(stop - p));
    const char *kend = eq ? eq : stop;
    if ((size_t)(kend - p) == nlen && memcmp(p, name, nlen) == 0) {
      const char *v = eq ? eq + 1 : stop;
      return hk_url_decode(out, v, (size_t)(stop - v));
    }
    p = amp ? amp + 1 : end;
  }
  return COTEL_ENOTFOUND;
}
