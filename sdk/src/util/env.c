/* OTEL_* environment variables (OTel spec "Environment Variable
 * Specification"): strict parsers, and getters that fall back to the default
 * with a warning naming the variable. An empty value counts as unset (spec:
 * "an empty value ... MUST be interpreted as if the variable were unset"). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cotel/env.h"
#include "cotel/internal/parse.h"
#include "cotel/internal/pct.h"

static bool is_space(char c) {
  return c == ' ' || c == '\t';
}

/* Trim surrounding blanks into [*b, *e). */
static void trim(const char *s, const char **b, const char **e) {
  const char *end = s + strlen(s);
  while (s < end && is_space(*s))
    s++;
  while (end > s && is_space(end[-1]))
    end--;
  *b = s;
  *e = end;
}

int cotel_parse_bool(const char *s, bool *out) {
  const char *b, *e;
  if (!s || !out) return COTEL_EINVAL;
  trim(s, &b, &e);
  size_t n = (size_t)(e - b);
  if (n == 4 && !strncasecmp(b, "true", 4)) {
    *out = true;
    return 0;
  }
  if (n == 5 && !strncasecmp(b, "false", 5)) {
    *out = false;
    return 0;
  }
  return COTEL_EINVAL;
}

int cotel_parse_u32(const char *s, uint32_t *out) {
  const char *b, *e;
  uint64_t v = 0;
  if (!s || !out) return COTEL_EINVAL;
  trim(s, &b, &e);
  if (b == e) return COTEL_EINVAL;
  if (*b == '+') b++; /* an explicit sign is fine; '-' is not */
  if (b == e) return COTEL_EINVAL;
  for (const char *p = b; p < e; p++) {
    if (*p < '0' || *p > '9') return COTEL_EINVAL;
    v = v * 10 + (uint64_t)(*p - '0');
    if (v > UINT32_MAX) return COTEL_EINVAL;
  }
  *out = (uint32_t)v;
  return 0;
}

int cotel_parse_ms(const char *s, uint32_t *out) {
  return cotel_parse_u32(s, out);
}

int cotel_parse_double(const char *s, double *out) {
  const char *b, *e;
  char buf[64];
  if (!s || !out) return COTEL_EINVAL;
  trim(s, &b, &e);
  size_t n = (size_t)(e - b);
  if (n == 0 || n >= sizeof buf) return COTEL_EINVAL;
  /* Plain decimal notation only: no hex floats, inf or nan. */
  for (size_t i = 0; i < n; i++) {
    char c = b[i];
    if (!((c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' ||
          c == '+' || c == '-'))
      return COTEL_EINVAL;
  }
  memcpy(buf, b, n);
  buf[n] = '\0';
  char *end;
  errno = 0;
  double d = strtod(buf, &end);
  if (end != buf + n || errno == ERANGE || !isfinite(d)) return COTEL_EINVAL;
  *out = d;
  return 0;
}

const char *cotel_env_str(const char *name) {
  const char *v = name ? getenv(name) : NULL;
  return v && *v ? v : NULL;
}

bool cotel_env_bool(const char *name, bool def) {
  const char *v = cotel_env_str(name);
  bool r;
  if (!v) return def;
  if (cotel_parse_bool(v, &r) == 0) return r;
  cotel_log(COTEL_LOG_WARN, "%s: invalid boolean \"%s\", using %s", name, v,
            def ? "true" : "false");
  return def;
}

uint32_t cotel_env_u32(const char *name, uint32_t def) {
  const char *v = cotel_env_str(name);
  uint32_t r;
  if (!v) return def;
  if (cotel_parse_u32(v, &r) == 0) return r;
  cotel_log(COTEL_LOG_WARN,
            "%s: invalid value \"%s\" (want a non-negative integer), using %u",
            name, v, def);
  return def;
}

double cotel_env_double(const char *name, double def) {
  const char *v = cotel_env_str(name);
  double r;
  if (!v) return def;
  if (cotel_parse_double(v, &r) == 0) return r;
  cotel_log(COTEL_LOG_WARN, "%s: invalid number \"%s\", using %g", name, v,
            def);
  return def;
}

/* Percent-decode [b, e) into out (NUL-terminated); false on a bad escape. */
static bool pct_decode(const char *b, const char *e, char *out) {
  size_t n;
  if (!cotel__pct_decode(b, (size_t)(e - b), out, &n)) return false;
  out[n] = '\0';
  return true;
}

int cotel_parse_kv_list(const char *s, const char *what,
                        void (*cb)(void *ud, const char *key,
                                   const char *value),
                        void *ud) {
  if (!s || !cb) return COTEL_EINVAL;
  if (!what) what = "key-value list";
  size_t len = strlen(s);
  /* Decoded text is never longer than the input. */
  char *key = malloc(len + 1), *val = malloc(len + 1);
  if (!key || !val) {
    free(key);
    free(val);
    return COTEL_ENOMEM;
  }
  int n = 0, entry = 0;
  const char *p = s, *end = s + len;
  while (p <= end) {
    const char *q = memchr(p, ',', (size_t)(end - p));
    if (!q) q = end;
    entry++;
    const char *kb = p, *ve = q;
    while (kb < ve && is_space(*kb))
      kb++;
    while (ve > kb && is_space(ve[-1]))
      ve--;
    if (kb < ve) {
      const char *eq = memchr(kb, '=', (size_t)(ve - kb));
      const char *ke = eq, *vb = eq ? eq + 1 : NULL;
      if (eq) {
        while (ke > kb && is_space(ke[-1]))
          ke--;
        while (vb < ve && is_space(*vb))
          vb++;
      }
      /* Values may be secrets (OTEL_EXPORTER_OTLP_HEADERS carries API
       * keys): a warning names the entry by position and key, never shows
       * a value (and a malformed entry may be all value). */
      if (!eq || ke == kb) {
        cotel_log(COTEL_LOG_WARN, "%s: skipping malformed entry #%d", what,
                  entry);
      } else if (!pct_decode(kb, ke, key) || !pct_decode(vb, ve, val)) {
        cotel_log(COTEL_LOG_WARN,
                  "%s: skipping entry #%d (key \"%.*s\") with bad "
                  "percent-encoding",
                  what, entry, (int)(ke - kb > 64 ? 64 : ke - kb), kb);
      } else if (!*key) {
        cotel_log(COTEL_LOG_WARN, "%s: skipping entry with empty key", what);
      } else {
        cb(ud, key, val);
        n++;
      }
    }
    p = q + 1;
  }
  free(key);
  free(val);
  return n;
}

int cotel__parse_size(const char *s, uint64_t *out) {
  char *end;
  unsigned long long v;
  uint64_t mul = 1;
  if (!s || *s < '0' || *s > '9') return COTEL_EINVAL;
  errno = 0;
  v = strtoull(s, &end, 10);
  if (errno) return COTEL_EINVAL;
  switch (*end) {
  case 'k':
  case 'K':
    mul = 1024u;
    end++;
    break;
  case 'm':
  case 'M':
    mul = 1024u * 1024u;
    end++;
    break;
  case 'g':
  case 'G':
    mul = 1024u * 1024u * 1024u;
    end++;
    break;
  default:
    break;
  }
  if (*end || v > UINT64_MAX / mul) return COTEL_EINVAL;
  *out = (uint64_t)v * mul;
  return 0;
}
