/* HTTP semantic-convention helpers shared by the client and server spans
 * (OpenTelemetry semantic conventions, "HTTP spans", stable). */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cotel/common.h"
#include "http_common.h"

static const char *const methods[] = {"CONNECT", "DELETE",  "GET",
                                      "HEAD",    "OPTIONS", "PATCH",
                                      "POST",    "PUT",     "TRACE"};

const char *cotel__http_method_known_n(const char *m, size_t n) {
  if (!m) return NULL;
  for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
    if (strlen(methods[i]) == n && memcmp(methods[i], m, n) == 0)
      return methods[i];
  return NULL;
}

const char *cotel__http_method_known(const char *m) {
  return m ? cotel__http_method_known_n(m, strlen(m)) : NULL;
}

int cotel__url_split(const char *url, cotel__url_parts *u) {
  memset(u, 0, sizeof(*u));
  const char *p = strstr(url, "://");
  if (!p || p == url) return COTEL_EINVAL;
  u->scheme = url;
  u->scheme_len = (size_t)(p - url);
  const char *auth = p + 3;
  size_t alen = strcspn(auth, "/?#");
  u->rest = auth + alen;
  const char *at = memchr(auth, '@', alen);
  const char *hp = auth;
  if (at) {
    u->userinfo = auth;
    u->userinfo_len = (size_t)(at - auth);
    hp = at + 1;
  }
  size_t hplen = (size_t)(auth + alen - hp);
  const char *port = NULL;
  if (hplen && hp[0] == '[') {
    const char *close = memchr(hp, ']', hplen);
    if (!close) return COTEL_EINVAL;
    u->host = hp + 1;
    u->host_len = (size_t)(close - hp - 1);
    if (close + 1 < hp + hplen && close[1] == ':') port = close + 2;
  } else {
    const char *colon = memchr(hp, ':', hplen);
    u->host = hp;
    u->host_len = colon ? (size_t)(colon - hp) : hplen;
    if (colon) port = colon + 1;
  }
  if (port && port < hp + hplen) {
    int v = 0;
    for (const char *q = port; q < hp + hplen; q++) {
      if (*q < '0' || *q > '9' || v > 65535) return COTEL_EINVAL;
      v = v * 10 + (*q - '0');
    }
    u->port = v <= 65535 ? v : 0;
  } else if (u->scheme_len == 4 && strncasecmp(url, "http", 4) == 0) {
    u->port = 80;
  } else if (u->scheme_len == 5 && strncasecmp(url, "https", 5) == 0) {
    u->port = 443;
  }
  return 0;
}

/* Query parameters whose values url.full must not carry (semconv
 * "url.full": signed-URL credentials). */
static bool sensitive_key(const char *k, size_t n) {
  static const char *const keys[] = {"AWSAccessKeyId", "Signature", "sig",
                                     "X-Goog-Signature"};
  for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
    if (strlen(keys[i]) == n && memcmp(keys[i], k, n) == 0) return true;
  return false;
}

static int put(cotel__buf *b, const char *s, size_t n) {
  if (cotel__buf_reserve(b, n + 1) != 0) return COTEL_ENOMEM;
  memcpy(b->data + b->len, s, n);
  b->len += n;
  b->data[b->len] = 0;
  return 0;
}

/* Does the query (up to '#') hold a sensitive key with a value? */
static bool query_needs_redaction(const char *q) {
  while (*q && *q != '#') {
    size_t n = strcspn(q, "&#");
    const char *eq = memchr(q, '=', n);
    if (eq && sensitive_key(q, (size_t)(eq - q))) return true;
    q += n;
    if (*q == '&') q++;
  }
  return false;
}

const char *cotel__url_redact(const char *url, const cotel__url_parts *u,
                              cotel__buf *b) {
  const char *qm = strchr(u->rest, '?');
  const char *hash = strchr(u->rest, '#');
  if (hash && qm && qm > hash) qm = NULL;
  bool q_red = qm && query_needs_redaction(qm + 1);
  if (!u->userinfo && !q_red) return url;
  b->len = 0;
  int rc = 0;
  if (u->userinfo) {
    /* scheme://REDACTED:REDACTED@host... (or REDACTED@ without a
     * password). */
    bool has_pw = memchr(u->userinfo, ':', u->userinfo_len) != NULL;
    rc = put(b, url, (size_t)(u->userinfo - url));
    if (!rc)
      rc = put(b, has_pw ? "REDACTED:REDACTED" : "REDACTED", has_pw ? 17 : 8);
    if (!rc)
      rc = put(b, u->userinfo + u->userinfo_len,
               (size_t)((qm ? qm : u->rest + strlen(u->rest)) -
                        (u->userinfo + u->userinfo_len)));
  } else {
    rc = put(b, url, (size_t)((qm ? qm : u->rest + strlen(u->rest)) - url));
  }
  if (!rc && qm) {
    const char *q = qm;
    rc = put(b, "?", 1);
    q++;
    while (!rc && *q && *q != '#') {
      size_t n = strcspn(q, "&#");
      const char *eq = memchr(q, '=', n);
      if (eq && sensitive_key(q, (size_t)(eq - q))) {
        rc = put(b, q, (size_t)(eq - q) + 1);
        if (!rc) rc = put(b, "REDACTED", 8);
      } else {
        rc = put(b, q, n);
      }
      q += n;
      if (!rc && *q == '&') {
        rc = put(b, "&", 1);
        q++;
      }
    }
    if (!rc && *q) rc = put(b, q, strlen(q));
  }
  if (!rc && b->len == 0) rc = put(b, "", 0);
  return rc ? NULL : (const char *)b->data;
}

void cotel__fmt_status(long status, char out[16]) {
  snprintf(out, 16, "%ld", status);
}
