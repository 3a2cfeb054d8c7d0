/* Recording on a live span: attributes, events, links, status, name and
 * exceptions, with the spec's limits (OTel SDK "Span Limits": over a count
 * limit the item is dropped and counted; strings are cut to the value
 * length limit in characters, never inside one). Everything is copied into
 * the record's arena. */
#include <string.h>

#include "provider/provider_internal.h"

static inline bool key_eq(cotel_str a, cotel_str b) {
  if (a.len != b.len) return false;
  if (a.len == 0) return true;
  /* Distinct keys of one length nearly always differ in their first or
   * last byte: no memcmp call for them. */
  if (a.ptr[0] != b.ptr[0] || a.ptr[a.len - 1] != b.ptr[a.len - 1])
    return false;
  return !memcmp(a.ptr, b.ptr, a.len);
}

/* Spec "Attribute Limits": a longer string is cut to `maxlen` characters
 * (a UTF-8 sequence counts as one), never inside a character. Stray
 * continuation bytes count as nothing, so the scan (and the copy) is also
 * bounded by the longest valid form, 4 bytes a character. */
static size_t cut_chars(const char *s, size_t n, uint32_t maxlen) {
  size_t chars = 0, end = (size_t)maxlen * 4;
  if (end < n) n = end;
  for (size_t i = 0; i < n; i++)
    if (((unsigned char)s[i] & 0xC0) != 0x80 && chars++ == maxlen) return i;
  return n;
}

/* A new attribute (its key not present): the key and, for a string, the
 * value copied into one arena block; scalar values stored directly. Arrays
 * take the general path. False when out of memory (nothing stored). */
static inline bool put_new(cotel__arena *ar, cotel__chunk_pool *cp,
                           cotel_attr *dst, const cotel_attr *src,
                           uint32_t maxlen) {
  size_t kn = src->key.len;
  size_t vn = 0;
  if (src->type == COTEL_ATTR_STRING) {
    vn = src->v.s.ptr ? src->v.s.len : 0;
    if (__builtin_expect(vn > maxlen, 0))
      vn = cut_chars(src->v.s.ptr, vn, maxlen);
  }
  char *k = cotel__arena_alloc(ar, cp, kn + 1 + vn + 1);
  if (__builtin_expect(!k, 0)) return false;
  cotel__small_copy(k, src->key.ptr, kn);
  k[kn] = '\0';
  dst->key.ptr = k;
  dst->key.len = kn;
  switch (src->type) {
  case COTEL_ATTR_STRING: {
    char *s = k + kn + 1;
    cotel__small_copy(s, src->v.s.ptr, vn);
    s[vn] = '\0';
    dst->v.s.ptr = s;
    dst->v.s.len = vn;
    break;
  }
  case COTEL_ATTR_BOOL:
  case COTEL_ATTR_INT:
  case COTEL_ATTR_DOUBLE:
    dst->v = src->v; /* the scalar and whatever else the union holds */
    break;
  default:
    return cotel__attr_copy_value(ar, cp, dst, src, maxlen);
  }
  dst->type = src->type;
  return true;
}

static bool valid_input(const cotel_attr *a) {
  if (!a || !a->key.ptr || !a->key.len) return false;
  if (a->type < COTEL_ATTR_STRING || a->type > COTEL_ATTR_DOUBLE_ARRAY)
    return false;
  if (a->type >= COTEL_ATTR_STRING_ARRAY && a->v.arr.count && !a->v.arr.items)
    return false;
  return true;
}

static bool copy_str(cotel__arena *ar, cotel__chunk_pool *cp, cotel_str *dst,
                     cotel_str src, uint32_t maxlen) {
  size_t n = src.ptr ? src.len : 0;
  if (n > maxlen) n = cut_chars(src.ptr, n, maxlen);
  char *s = cotel__arena_strdup(ar, cp, src.ptr, n);
  if (!s) return false;
  dst->ptr = s;
  dst->len = n;
  return true;
}

bool cotel__attr_copy_value(cotel__arena *a, cotel__chunk_pool *cp,
                            cotel_attr *dst, const cotel_attr *src,
                            uint32_t maxlen) {
  cotel_attr v;
  v.key = dst->key;
  v.type = src->type;
  size_t esz = 0;
  switch (src->type) {
  case COTEL_ATTR_STRING:
    if (!copy_str(a, cp, &v.v.s, src->v.s, maxlen)) return false;
    break;
  case COTEL_ATTR_BOOL:
    v.v.b = src->v.b;
    break;
  case COTEL_ATTR_INT:
    v.v.i = src->v.i;
    break;
  case COTEL_ATTR_DOUBLE:
    v.v.d = src->v.d;
    break;
  case COTEL_ATTR_STRING_ARRAY:
    esz = sizeof(cotel_str);
    break;
  case COTEL_ATTR_BOOL_ARRAY:
    esz = sizeof(bool);
    break;
  case COTEL_ATTR_INT_ARRAY:
    esz = sizeof(int64_t);
    break;
  case COTEL_ATTR_DOUBLE_ARRAY:
    esz = sizeof(double);
    break;
  default:
    return false;
  }
  if (esz) {
    size_t n = src->v.arr.count;
    void *items = NULL;
    if (n) {
      if (n > SIZE_MAX / esz) return false;
      items = cotel__arena_alloc(a, cp, n * esz);
      if (!items) return false;
      if (src->type == COTEL_ATTR_STRING_ARRAY) {
        const cotel_str *in = src->v.arr.items;
        cotel_str *o = items;
        for (size_t i = 0; i < n; i++)
          if (!copy_str(a, cp, &o[i], in[i], maxlen)) return false;
      } else {
        memcpy(items, src->v.arr.items, n * esz);
      }
    }
    v.v.arr.items = items;
    v.v.arr.count = n;
  }
  *dst = v;
  return true;
}

/* Put `src` into a fixed array (capacity >= limit) with last-write-wins;
 * returns false when it had to drop it (limit or memory). */
static bool put_fixed(struct cotel__span *r, cotel_attr *arr, uint32_t *n,
                      uint32_t limit, const cotel_attr *src, bool search) {
  struct cotel_provider *p = r->prov;
  uint32_t maxlen = p->limits.attr_value_length;
  for (uint32_t i = 0; search && i < *n; i++)
    if (key_eq(arr[i].key, src->key))
      return cotel__attr_copy_value(&r->arena, &p->chunks, &arr[i], src,
                                    maxlen);
  if (*n >= limit) return false;
  cotel_attr *d = &arr[*n];
  if (!copy_str(&r->arena, &p->chunks, &d->key, src->key, UINT32_MAX))
    return false;
  if (!cotel__attr_copy_value(&r->arena, &p->chunks, d, src, maxlen))
    return false;
  (*n)++;
  return true;
}

/* Grow one of the record's arrays (attrs, events, links) in the arena. */
static void *grow(struct cotel__span *r, void *old, uint32_t n, uint32_t *cap,
                  uint32_t limit, size_t esz, uint32_t first) {
  /* Small first arrays: every cache line a span touches costs a miss once
   * records cycle through the batch queue. */
  uint32_t nc = *cap ? *cap * 2 : first;
  if (nc > limit) nc = limit;
  if (nc <= n) return NULL;
  void *a = cotel__arena_alloc(&r->arena, &r->prov->chunks, nc * esz);
  if (!a) return NULL;
  if (n) memcpy(a, old, n * esz);
  *cap = nc;
  return a;
}

void cotel__span_set_attr_locked(struct cotel__span *r, const cotel_attr *a) {
  if (!valid_input(a)) return;
  struct cotel_provider *p = r->prov;
  cotel_span_data *d = &r->data;
  for (uint32_t i = 0; i < d->n_attrs; i++)
    if (key_eq(r->attrs[i].key, a->key)) {
      if (!cotel__attr_copy_value(&r->arena, &p->chunks, &r->attrs[i], a,
                                  p->limits.attr_value_length))
        goto dropped;
      return;
    }
  if (d->n_attrs >= p->limits.attr_count) goto dropped;
  if (d->n_attrs == r->attr_cap) {
    cotel_attr *na =
        grow(r, r->attrs, d->n_attrs, &r->attr_cap, p->limits.attr_count,
             sizeof *na, r->attr_hint > 4 ? r->attr_hint : 4);
    if (!na) goto dropped;
    r->attrs = na;
    d->attrs = na;
  }
  if (put_new(&r->arena, &p->chunks, &r->attrs[d->n_attrs], a,
              p->limits.attr_value_length)) {
    d->n_attrs++;
    return;
  }
dropped:
  d->dropped_attrs++;
  cotel__count_shared(&p->attrs_dropped, 1);
}

/* A 1-in-64 summary of a key (its length and first byte) for the start
 * attributes' duplicate check: a key whose bit is not set yet is new and
 * needs no comparison with the keys already put. Cheap rather than good:
 * a collision only costs the comparisons. */
static inline uint64_t key_bit(cotel_str k) {
  unsigned h = (unsigned)k.len ^ ((unsigned)(unsigned char)k.ptr[0] << 2);
  return (uint64_t)1 << (h & 63);
}

typedef struct start_put {
  struct cotel__span *r;
  cotel_attr *arr;
  uint32_t n, cap, maxlen, dropped;
  uint64_t seen; /* key_bit of every key in arr */
} start_put;

static inline void start_put_one(start_put *sp, const cotel_attr *a) {
  /* valid_input for a non-NULL attribute, scalars and strings first */
  if (!a->key.ptr || !a->key.len) return;
  if ((unsigned)a->type - COTEL_ATTR_STRING > 3u && !valid_input(a)) return;
  struct cotel__span *r = sp->r;
  uint64_t bit = key_bit(a->key);
  if (sp->seen & bit) {
    for (uint32_t j = 0; j < sp->n; j++)
      if (key_eq(sp->arr[j].key, a->key)) { /* last write wins */
        if (!cotel__attr_copy_value(&r->arena, &r->prov->chunks, &sp->arr[j], a,
                                    sp->maxlen))
          sp->dropped++;
        return;
      }
  }
  if (sp->n >= sp->cap ||
      !put_new(&r->arena, &r->prov->chunks, &sp->arr[sp->n], a, sp->maxlen)) {
    sp->dropped++;
    return;
  }
  sp->n++;
  sp->seen |= bit;
}

void cotel__span_start_attrs(struct cotel__span *r, const cotel_attr *a1,
                             size_t n1, const cotel_attr *a2, size_t n2) {
  struct cotel_provider *p = r->prov;
  cotel_span_data *d = &r->data;
  uint32_t limit = p->limits.attr_count;
  size_t total = n1 + n2;
  /* The record is fresh (no attributes): one array for all of them, sized
   * like the first array of cotel__span_set_attr_locked would be. */
  uint32_t cap =
      total > 4 ? (total < UINT32_MAX ? (uint32_t)total : UINT32_MAX) : 4;
  if (cap > limit) cap = limit;
  cotel_attr *arr = NULL;
  if (cap) {
    arr = cotel__arena_alloc(&r->arena, &p->chunks, cap * sizeof *arr);
    if (!arr) cap = 0;
  }
  start_put sp = {r, arr, 0, cap, p->limits.attr_value_length, 0, 0};
  for (size_t i = 0; i < n1; i++)
    start_put_one(&sp, &a1[i]);
  for (size_t i = 0; i < n2; i++)
    start_put_one(&sp, &a2[i]);
  r->attrs = arr;
  r->attr_cap = cap;
  d->attrs = arr;
  d->n_attrs = sp.n;
  if (sp.dropped) {
    d->dropped_attrs += sp.dropped;
    cotel__count_shared(&p->attrs_dropped, sp.dropped);
  }
}

/* Attributes of an event or link: a fixed array sized for the limit. */
static void put_list(struct cotel__span *r, const cotel_attr *a1, size_t n1,
                     const cotel_attr *a2, size_t n2, uint32_t limit,
                     const cotel_attr **out, uint32_t *n_out,
                     uint32_t *dropped) {
  struct cotel_provider *p = r->prov;
  size_t total = n1 + n2;
  uint32_t cap = total < limit ? (uint32_t)total : limit;
  cotel_attr *arr = NULL;
  uint32_t n = 0, drop = 0;
  if (cap) {
    arr = cotel__arena_alloc(&r->arena, &p->chunks, cap * sizeof *arr);
    if (!arr) cap = 0;
  }
  for (size_t i = 0; i < total; i++) {
    const cotel_attr *a = i < n1 ? &a1[i] : &a2[i - n1];
    if (!valid_input(a)) continue;
    if (!put_fixed(r, arr, &n, cap, a, true)) drop++;
  }
  *out = arr;
  *n_out = n;
  *dropped = drop;
  if (drop) cotel__count_shared(&p->attrs_dropped, drop);
}

void cotel__span_add_event_locked(struct cotel__span *r, const char *name,
                                  uint64_t time_ns, const cotel_attr *a1,
                                  size_t n1, const cotel_attr *a2, size_t n2) {
  struct cotel_provider *p = r->prov;
  cotel_span_data *d = &r->data;
  if (d->n_events >= p->limits.event_count) goto dropped;
  if (d->n_events == r->event_cap) {
    cotel_event *ne = grow(r, r->events, d->n_events, &r->event_cap,
                           p->limits.event_count, sizeof *ne, 4);
    if (!ne) goto dropped;
    r->events = ne;
    d->events = ne;
  }
  cotel_event *e = &r->events[d->n_events];
  cotel_str nm = cotel_str_c(name);
  if (!copy_str(&r->arena, &p->chunks, &e->name, nm, UINT32_MAX)) goto dropped;
  e->time_ns = time_ns;
  put_list(r, a1, n1, a2, n2, p->limits.attrs_per_event, &e->attrs, &e->n_attrs,
           &e->dropped_attrs);
  d->n_events++;
  return;
dropped:
  d->dropped_events++;
  cotel__count_shared(&p->events_dropped, 1);
}

void cotel__span_add_link_locked(struct cotel__span *r, const cotel_link *l) {
  /* Links to an invalid span context carry nothing useful: ignored. */
  if (!l || !cotel_span_context_is_valid(&l->context)) return;
  struct cotel_provider *p = r->prov;
  cotel_span_data *d = &r->data;
  if (d->n_links >= p->limits.link_count) goto dropped;
  if (d->n_links == r->link_cap) {
    cotel_link *nl = grow(r, r->links, d->n_links, &r->link_cap,
                          p->limits.link_count, sizeof *nl, 2);
    if (!nl) goto dropped;
    r->links = nl;
    d->links = nl;
  }
  cotel_link *k = &r->links[d->n_links];
  k->context = l->context;
  put_list(r, l->attrs, l->attrs ? l->n_attrs : 0, NULL, 0,
           p->limits.attrs_per_link, &k->attrs, &k->n_attrs, &k->dropped_attrs);
  cotel_tracestate_retain(k->context.tracestate);
  d->n_links++;
  return;
dropped:
  d->dropped_links++;
  cotel__count_shared(&p->links_dropped, 1);
}

/* ---- public recording API ---- */

void cotel_span_set_attr(cotel_span s, const cotel_attr *a) {
  struct cotel__span *r = cotel__span_lock_recording(s);
  if (!r) return;
  cotel__span_set_attr_locked(r, a);
  cotel__span_unlock(r);
}

void cotel_span_set_attrs(cotel_span s, const cotel_attr *a, size_t n) {
  if (!a) return;
  struct cotel__span *r = cotel__span_lock_recording(s);
  if (!r) return;
  for (size_t i = 0; i < n; i++)
    cotel__span_set_attr_locked(r, &a[i]);
  cotel__span_unlock(r);
}

void cotel_span_set_str(cotel_span s, const char *k, const char *v) {
  cotel_attr a = cotel_attr_string(k, v);
  cotel_span_set_attr(s, &a);
}

void cotel_span_set_bool(cotel_span s, const char *k, bool v) {
  cotel_attr a = cotel_attr_bool(k, v);
  cotel_span_set_attr(s, &a);
}

void cotel_span_set_int(cotel_span s, const char *k, int64_t v) {
  cotel_attr a = cotel_attr_int(k, v);
  cotel_span_set_attr(s, &a);
}

void cotel_span_set_double(cotel_span s, const char *k, double v) {
  cotel_attr a = cotel_attr_double(k, v);
  cotel_span_set_attr(s, &a);
}

void cotel_span_add_event(cotel_span s, const char *name, uint64_t time_ns,
                          const cotel_attr *attrs, size_t n_attrs) {
  if (!name || !s.rec) return;
  if (!time_ns) time_ns = cotel_time_now_ns();
  struct cotel__span *r = cotel__span_lock_recording(s);
  if (!r) return;
  cotel__span_add_event_locked(r, name, time_ns, attrs, attrs ? n_attrs : 0,
                               NULL, 0);
  cotel__span_unlock(r);
}

void cotel_span_add_link(cotel_span s, const cotel_link *link) {
  struct cotel__span *r = cotel__span_lock_recording(s);
  if (!r) return;
  cotel__span_add_link_locked(r, link);
  cotel__span_unlock(r);
}

void cotel_span_set_status(cotel_span s, cotel_status_code code,
                           const char *description) {
  /* OTel trace API "Set Status": UNSET is ignored, OK is final, and the
   * description only belongs to ERROR. */
  if (code != COTEL_STATUS_OK && code != COTEL_STATUS_ERROR) return;
  struct cotel__span *r = cotel__span_lock_recording(s);
  if (!r) return;
  cotel_span_data *d = &r->data;
  if (d->status != COTEL_STATUS_OK) {
    d->status = code;
    d->status_message.ptr = "";
    d->status_message.len = 0;
    if (code == COTEL_STATUS_ERROR && description && *description)
      copy_str(&r->arena, &r->prov->chunks, &d->status_message,
               cotel_str_c(description), UINT32_MAX);
  }
  cotel__span_unlock(r);
}

void cotel_span_update_name(cotel_span s, const char *name) {
  if (!name) return;
  struct cotel__span *r = cotel__span_lock_recording(s);
  if (!r) return;
  cotel_str n;
  if (copy_str(&r->arena, &r->prov->chunks, &n, cotel_str_c(name), UINT32_MAX))
    r->data.name = n;
  cotel__span_unlock(r);
}

void cotel_span_record_exception(cotel_span s, const char *type,
                                 const char *message, const char *stacktrace,
                                 const cotel_attr *attrs, size_t n_attrs) {
  /* OTel semantic conventions "Exceptions": an event named "exception". */
  cotel_attr ex[3];
  size_t n = 0;
  if (!s.rec) return;
  if (type) ex[n++] = cotel_attr_string("exception.type", type);
  if (message) ex[n++] = cotel_attr_string("exception.message", message);
  if (stacktrace)
    ex[n++] = cotel_attr_string("exception.stacktrace", stacktrace);
  uint64_t now = cotel_time_now_ns();
  struct cotel__span *r = cotel__span_lock_recording(s);
  if (!r) return;
  cotel__span_add_event_locked(r, "exception", now, ex, n, attrs,
                               attrs ? n_attrs : 0);
  cotel__span_unlock(r);
}
