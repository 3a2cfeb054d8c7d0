/* W3C tracestate: an immutable, reference-counted list of vendor entries.
 *
 * One allocation holds the member index and the canonical serialized form
 * ("k1=v1,k2=v2", no optional whitespace, no empty members): inject sends
 * that string as is (no formatting, no allocation), and the members are
 * views into it.
 *
 * Grammar and limits: W3C Trace Context §3.3.1 (list, list-members, key,
 * value; the key grammar of the current draft) and §3.5 (mutations: a
 * modified key moves to the left). */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "cotel/tracestate.h"

typedef struct ts_member {
  uint16_t koff, klen, voff, vlen;
} ts_member;

struct cotel_tracestate {
  atomic_uint refs;
  uint32_t n;
  uint32_t len; /* of str, excluding the NUL */
  ts_member m[COTEL_TRACESTATE_MAX_MEMBERS];
  char str[]; /* canonical form, NUL-terminated */
};

/* W3C Trace Context (current draft, "Key"):
 *   key     = ( lcalpha / DIGIT ) 0*255 ( keychar )
 *   keychar = lcalpha / DIGIT / "_" / "-" / "*" / "/" / "@"
 * Level 1's tenant@system split (a single "@", a system-id of at most 14
 * characters) is gone: "@" may appear anywhere but first, any number of
 * times, within the 256 characters. */
static inline bool is_lcalpha(unsigned char c) {
  return c >= 'a' && c <= 'z';
}
static inline bool is_digit(unsigned char c) {
  return c >= '0' && c <= '9';
}
static inline bool is_keychar(unsigned char c) {
  return is_lcalpha(c) || is_digit(c) || c == '_' || c == '-' || c == '*' ||
         c == '/' || c == '@';
}

bool cotel_tracestate_key_valid(cotel_str key) {
  const char *p = key.ptr;
  size_t n = key.len;
  if (!p || n == 0 || n > COTEL_TRACESTATE_MAX_KEY) return false;
  unsigned char c0 = (unsigned char)p[0];
  if (!is_lcalpha(c0) && !is_digit(c0)) return false;
  for (size_t i = 1; i < n; i++)
    if (!is_keychar((unsigned char)p[i])) return false;
  return true;
}

/* §3.3.1.3.2: value = 0*255(chr) nblk-chr; chr = %x20 / nblk-chr;
 * nblk-chr = %x21-2B / %x2D-3C / %x3E-7E (printable except "," and "="). */
bool cotel_tracestate_value_valid(cotel_str v) {
  if (!v.ptr || v.len == 0 || v.len > COTEL_TRACESTATE_MAX_VALUE) return false;
  for (size_t i = 0; i < v.len; i++) {
    unsigned char c = (unsigned char)v.ptr[i];
    if (c < 0x20 || c > 0x7e || c == ',' || c == '=') return false;
  }
  return v.ptr[v.len - 1] != ' ';
}

cotel_tracestate *cotel_tracestate_retain(cotel_tracestate *ts) {
  if (ts) atomic_fetch_add_explicit(&ts->refs, 1, memory_order_relaxed);
  return ts;
}

void cotel_tracestate_release(cotel_tracestate *ts) {
  if (ts && atomic_fetch_sub_explicit(&ts->refs, 1, memory_order_acq_rel) == 1)
    free(ts);
}

size_t cotel_tracestate_count(const cotel_tracestate *ts) {
  return ts ? ts->n : 0;
}

int cotel_tracestate_entry(const cotel_tracestate *ts, size_t i, cotel_str *key,
                           cotel_str *value) {
  if (!ts || i >= ts->n) return COTEL_EINVAL;
  const ts_member *m = &ts->m[i];
  if (key) *key = (cotel_str){ts->str + m->koff, m->klen};
  if (value) *value = (cotel_str){ts->str + m->voff, m->vlen};
  return 0;
}

static int find(const cotel_tracestate *ts, cotel_str key) {
  if (!ts) return -1;
  for (uint32_t i = 0; i < ts->n; i++)
    if (ts->m[i].klen == key.len &&
        memcmp(ts->str + ts->m[i].koff, key.ptr, key.len) == 0)
      return (int)i;
  return -1;
}

int cotel_tracestate_get(const cotel_tracestate *ts, cotel_str key,
                         cotel_str *value) {
  int i = key.ptr ? find(ts, key) : -1;
  if (i < 0) {
    if (value) *value = (cotel_str){NULL, 0};
    return COTEL_ENOTFOUND;
  }
  if (value) *value = (cotel_str){ts->str + ts->m[i].voff, ts->m[i].vlen};
  return 0;
}

/* Build from validated members; n == 0 gives NULL (the empty tracestate). */
static int build(const cotel_str *k, const cotel_str *v, size_t n,
                 cotel_tracestate **out) {
  *out = NULL;
  if (n == 0) return 0;
  size_t len = n - 1; /* commas */
  for (size_t i = 0; i < n; i++)
    len += k[i].len + 1 + v[i].len;
  cotel_tracestate *ts = malloc(sizeof *ts + len + 1);
  if (!ts) return COTEL_ENOMEM;
  atomic_init(&ts->refs, 1);
  ts->n = (uint32_t)n;
  ts->len = (uint32_t)len;
  char *p = ts->str;
  for (size_t i = 0; i < n; i++) {
    if (i) *p++ = ',';
    ts->m[i].koff = (uint16_t)(p - ts->str);
    ts->m[i].klen = (uint16_t)k[i].len;
    memcpy(p, k[i].ptr, k[i].len);
    p += k[i].len;
    *p++ = '=';
    ts->m[i].voff = (uint16_t)(p - ts->str);
    ts->m[i].vlen = (uint16_t)v[i].len;
    memcpy(p, v[i].ptr, v[i].len);
    p += v[i].len;
  }
  *p = '\0';
  *out = ts;
  return 0;
}

int cotel_tracestate_set(const cotel_tracestate *ts, cotel_str key,
                         cotel_str value, cotel_tracestate **out) {
  if (!out) return COTEL_EINVAL;
  *out = NULL;
  if (!cotel_tracestate_key_valid(key) || !cotel_tracestate_value_valid(value))
    return COTEL_EINVAL;
  cotel_str k[COTEL_TRACESTATE_MAX_MEMBERS], v[COTEL_TRACESTATE_MAX_MEMBERS];
  size_t n = 0;
  /* §3.5: the updated (or added) entry goes to the left; the others keep
   * their order. A 33rd entry pushes the right-most one out (§3.3.1.5:
   * truncation removes whole entries, starting from the end). */
  k[n] = key;
  v[n++] = value;
  for (uint32_t i = 0; ts && i < ts->n && n < COTEL_TRACESTATE_MAX_MEMBERS;
       i++) {
    cotel_str ki = {ts->str + ts->m[i].koff, ts->m[i].klen};
    if (ki.len == key.len && memcmp(ki.ptr, key.ptr, key.len) == 0) continue;
    k[n] = ki;
    v[n++] = (cotel_str){ts->str + ts->m[i].voff, ts->m[i].vlen};
  }
  return build(k, v, n, out);
}

int cotel_tracestate_delete(const cotel_tracestate *ts, cotel_str key,
                            cotel_tracestate **out) {
  if (!out) return COTEL_EINVAL;
  *out = NULL;
  int at = key.ptr ? find(ts, key) : -1;
  if (at < 0) { /* nothing to delete: share the same immutable object */
    *out = cotel_tracestate_retain((cotel_tracestate *)ts);
    return 0;
  }
  cotel_str k[COTEL_TRACESTATE_MAX_MEMBERS], v[COTEL_TRACESTATE_MAX_MEMBERS];
  size_t n = 0;
  for (uint32_t i = 0; i < ts->n; i++) {
    if ((int)i == at) continue;
    k[n] = (cotel_str){ts->str + ts->m[i].koff, ts->m[i].klen};
    v[n++] = (cotel_str){ts->str + ts->m[i].voff, ts->m[i].vlen};
  }
  return build(k, v, n, out);
}

static inline bool is_ows(char c) {
  return c == ' ' || c == '\t';
}

/* §3.3.1.2: list = list-member 0*31( OWS "," OWS list-member ), where a
 * list-member is key "=" value or OWS only (empty members are allowed and
 * skipped; they do not count towards the 32). Any invalid member or a 33rd
 * member makes the whole header invalid: a partially parsed tracestate is
 * never used. A repeated key does not: the current draft makes unique keys
 * the sender's duty and lets a receiver keep the duplicates or one of them
 * (§3.5 "vendors MAY also discard duplicate keys"); we keep the left-most,
 * the most recently updated one (§3.5 moves updates to the left), so every
 * tracestate we hold has unique keys. The repeats still count towards the
 * 32 members, as they were sent. */
int cotel_tracestate_parse(const char *s, size_t len, cotel_tracestate **out) {
  if (!out) return COTEL_EINVAL;
  *out = NULL;
  if (!s && len) return COTEL_EINVAL;
  cotel_str k[COTEL_TRACESTATE_MAX_MEMBERS], v[COTEL_TRACESTATE_MAX_MEMBERS];
  size_t n = 0, pos = 0, seen = 0;
  while (pos <= len) {
    const char *b = s + pos;
    const char *comma = memchr(b, ',', len - pos);
    const char *e = comma ? comma : s + len;
    pos = (size_t)(e - s) + 1;
    while (b < e && is_ows(*b))
      b++;
    while (e > b && is_ows(e[-1]))
      e--;
    if (b == e) continue;
    const char *eq = memchr(b, '=', (size_t)(e - b));
    if (!eq) return COTEL_EPARSE;
    cotel_str key = {b, (size_t)(eq - b)};
    cotel_str val = {eq + 1, (size_t)(e - eq - 1)};
    if (!cotel_tracestate_key_valid(key) || !cotel_tracestate_value_valid(val))
      return COTEL_EPARSE;
    bool dup = false;
    for (size_t i = 0; i < n && !dup; i++)
      dup = k[i].len == key.len && memcmp(k[i].ptr, key.ptr, key.len) == 0;
    if (++seen > COTEL_TRACESTATE_MAX_MEMBERS) return COTEL_EPARSE;
    if (dup) continue;
    k[n] = key;
    v[n++] = val;
  }
  return build(k, v, n, out);
}

size_t cotel_tracestate_format(const cotel_tracestate *ts, char *buf,
                               size_t cap) {
  size_t len = ts ? ts->len : 0;
  if (buf && cap) {
    /* Never a truncated list: all of it or nothing (§3.3.1.5 allows only
     * whole entries to be dropped). */
    if (len && len < cap) memcpy(buf, ts->str, len);
    buf[len < cap ? len : 0] = '\0';
  }
  return len;
}

cotel_str cotel_tracestate_str(const cotel_tracestate *ts) {
  if (!ts) return (cotel_str){"", 0};
  return (cotel_str){ts->str, ts->len};
}
