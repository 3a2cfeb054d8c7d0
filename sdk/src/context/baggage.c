/* W3C baggage as an immutable, reference-counted list of entries.
 *
 * One allocation holds the entry index and every string, NUL-terminated so
 * that callers can print them. Values are stored decoded (the propagator
 * percent-decodes on extract and encodes on inject); metadata is kept as
 * the raw property list, since its semantics are opaque to W3C Baggage
 * (§3.3.1.5 property). Set and remove copy (copy on write), which keeps a
 * baggage shared by many contexts and threads free of locks. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "cotel/internal/baggage_grammar.h"
#include "cotel/baggage.h"

typedef struct bg_entry {
  uint32_t koff, klen, voff, vlen, moff, mlen;
} bg_entry;

struct cotel_baggage {
  atomic_uint refs;
  uint32_t n;
  char *data;
  bg_entry e[];
};

/* RFC 7230 §3.2.6: tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" /
 * "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA */
static bool is_token(const char *p, size_t n) {
  if (n == 0) return false;
  for (size_t i = 0; i < n; i++)
    if (!cotel__is_tchar((unsigned char)p[i])) return false;
  return true;
}

bool cotel_baggage_key_valid(cotel_str key) {
  return key.ptr && is_token(key.ptr, key.len);
}

static inline bool is_ows(char c) {
  return c == ' ' || c == '\t';
}

/* property = key OWS "=" OWS value / key OWS, with OWS around each. */
static bool property_valid(const char *b, const char *e) {
  while (b < e && is_ows(*b))
    b++;
  while (e > b && is_ows(e[-1]))
    e--;
  const char *k = b;
  while (b < e && cotel__is_tchar((unsigned char)*b))
    b++;
  if (b == k) return false;
  while (b < e && is_ows(*b))
    b++;
  if (b == e) return true;
  if (*b++ != '=') return false;
  while (b < e && is_ows(*b))
    b++;
  for (; b < e; b++)
    if (!cotel__is_baggage_octet((unsigned char)*b)) return false;
  return true;
}

bool cotel_baggage_metadata_valid(cotel_str m) {
  if (m.len == 0) return true;
  if (!m.ptr) return false;
  const char *p = m.ptr, *end = m.ptr + m.len;
  for (;;) {
    const char *semi = memchr(p, ';', (size_t)(end - p));
    const char *e = semi ? semi : end;
    if (!property_valid(p, e)) return false;
    if (!semi) return true;
    p = semi + 1;
  }
}

cotel_baggage *cotel_baggage_retain(cotel_baggage *b) {
  if (b) atomic_fetch_add_explicit(&b->refs, 1, memory_order_relaxed);
  return b;
}

void cotel_baggage_release(cotel_baggage *b) {
  if (b && atomic_fetch_sub_explicit(&b->refs, 1, memory_order_acq_rel) == 1)
    free(b);
}

size_t cotel_baggage_count(const cotel_baggage *b) {
  return b ? b->n : 0;
}

static inline cotel_str str_at(const cotel_baggage *b, uint32_t off,
                               uint32_t len) {
  return (cotel_str){b->data + off, len};
}

int cotel_baggage_entry(const cotel_baggage *b, size_t i, cotel_str *key,
                        cotel_str *value, cotel_str *metadata) {
  if (!b || i >= b->n) return COTEL_EINVAL;
  const bg_entry *e = &b->e[i];
  if (key) *key = str_at(b, e->koff, e->klen);
  if (value) *value = str_at(b, e->voff, e->vlen);
  if (metadata) *metadata = str_at(b, e->moff, e->mlen);
  return 0;
}

static int find(const cotel_baggage *b, cotel_str key) {
  if (!b || !key.ptr) return -1;
  for (uint32_t i = 0; i < b->n; i++)
    if (b->e[i].klen == key.len &&
        memcmp(b->data + b->e[i].koff, key.ptr, key.len) == 0)
      return (int)i;
  return -1;
}

int cotel_baggage_get(const cotel_baggage *b, cotel_str key, cotel_str *value) {
  int i = find(b, key);
  if (i < 0) {
    if (value) *value = (cotel_str){NULL, 0};
    return COTEL_ENOTFOUND;
  }
  if (value) *value = str_at(b, b->e[i].voff, b->e[i].vlen);
  return 0;
}

static inline bool str_eq(cotel_str a, cotel_str b) {
  return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

int cotel_baggage_from_entries(const cotel_baggage_kv *in, size_t n,
                               cotel_baggage **out) {
  if (!out) return COTEL_EINVAL;
  *out = NULL;
  if (n == 0) return 0;
  if (!in || n > UINT32_MAX / 2) return COTEL_EINVAL;
  /* keep[j] = index into `in` of the j-th kept entry (last value wins). */
  size_t *keep = malloc(n * sizeof *keep);
  if (!keep) return COTEL_ENOMEM;
  size_t kept = 0, bytes = 0;
  int rc = 0;
  for (size_t i = 0; i < n && !rc; i++) {
    const cotel_baggage_kv *e = &in[i];
    if (!cotel_baggage_key_valid(e->key) ||
        !cotel_baggage_metadata_valid(e->metadata) ||
        (e->value.len && !e->value.ptr)) {
      rc = COTEL_EINVAL;
      break;
    }
    size_t j = 0;
    while (j < kept && !str_eq(in[keep[j]].key, e->key))
      j++;
    if (j == kept && kept == COTEL_BAGGAGE_MAX_MEMBERS) {
      rc = COTEL_EFULL; /* bounds this loop, the object and its copies */
      break;
    }
    if (j == kept)
      keep[kept++] = i;
    else
      keep[j] = i; /* same position, newer value */
  }
  if (rc) {
    free(keep);
    return rc;
  }
  for (size_t j = 0; j < kept; j++) {
    const cotel_baggage_kv *e = &in[keep[j]];
    bytes += e->key.len + e->value.len + e->metadata.len + 3;
  }
  if (bytes > UINT32_MAX) {
    free(keep);
    return COTEL_EINVAL;
  }
  cotel_baggage *b = malloc(sizeof *b + kept * sizeof(bg_entry) + bytes);
  if (!b) {
    free(keep);
    return COTEL_ENOMEM;
  }
  atomic_init(&b->refs, 1);
  b->n = (uint32_t)kept;
  b->data = (char *)&b->e[kept];
  uint32_t off = 0;
  for (size_t j = 0; j < kept; j++) {
    const cotel_baggage_kv *e = &in[keep[j]];
    const cotel_str *parts[3] = {&e->key, &e->value, &e->metadata};
    uint32_t *offs[3] = {&b->e[j].koff, &b->e[j].voff, &b->e[j].moff};
    uint32_t *lens[3] = {&b->e[j].klen, &b->e[j].vlen, &b->e[j].mlen};
    for (int p = 0; p < 3; p++) {
      *offs[p] = off;
      *lens[p] = (uint32_t)parts[p]->len;
      if (parts[p]->len) memcpy(b->data + off, parts[p]->ptr, parts[p]->len);
      off += (uint32_t)parts[p]->len;
      b->data[off++] = '\0';
    }
  }
  free(keep);
  *out = b;
  return 0;
}

/* The entries of b as input entries (views into b), with room for one more. */
static cotel_baggage_kv *entries_of(const cotel_baggage *b, size_t *n) {
  size_t cnt = b ? b->n : 0;
  cotel_baggage_kv *e = malloc((cnt + 1) * sizeof *e);
  if (!e) return NULL;
  for (size_t i = 0; i < cnt; i++)
    cotel_baggage_entry(b, i, &e[i].key, &e[i].value, &e[i].metadata);
  *n = cnt;
  return e;
}

int cotel_baggage_set(const cotel_baggage *b, cotel_str key, cotel_str value,
                      cotel_str metadata, cotel_baggage **out) {
  if (!out) return COTEL_EINVAL;
  *out = NULL;
  if (!cotel_baggage_key_valid(key) ||
      !cotel_baggage_metadata_valid(metadata) || (value.len && !value.ptr))
    return COTEL_EINVAL;
  if (b && b->n >= COTEL_BAGGAGE_MAX_MEMBERS && find(b, key) < 0)
    return COTEL_EFULL;
  size_t n;
  cotel_baggage_kv *e = entries_of(b, &n);
  if (!e) return COTEL_ENOMEM;
  /* Appended last, it replaces an existing key in place (last wins). */
  e[n].key = key;
  e[n].value = value;
  e[n].metadata = metadata;
  int rc = cotel_baggage_from_entries(e, n + 1, out);
  free(e);
  return rc;
}

int cotel_baggage_remove(const cotel_baggage *b, cotel_str key,
                         cotel_baggage **out) {
  if (!out) return COTEL_EINVAL;
  *out = NULL;
  int at = find(b, key);
  if (at < 0) { /* unchanged: share the immutable object */
    *out = cotel_baggage_retain((cotel_baggage *)b);
    return 0;
  }
  size_t n;
  cotel_baggage_kv *e = entries_of(b, &n);
  if (!e) return COTEL_ENOMEM;
  memmove(&e[at], &e[at + 1], (n - (size_t)at - 1) * sizeof *e);
  int rc = cotel_baggage_from_entries(e, n - 1, out);
  free(e);
  return rc;
}
