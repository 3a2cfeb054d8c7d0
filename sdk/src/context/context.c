/* Immutable, reference-counted contexts (DESIGN §3).
 *
 * A context is a node pointing at its parent. Each node caches the effective
 * span, span context and baggage of its whole chain, so those lookups are
 * O(1); only user values walk the chain. A node's parent reference keeps
 * alive everything the cached borrowed pointers point to.
 *
 * Nodes of kind COTEL__CTX_SPAN live inside span records: their reference
 * count is the record's (cotel__span_ref/unref), which is what makes
 * cotel_span_make_current allocation-free. */
#include <stdlib.h>
#include <string.h>

#include "context/context_internal.h"
#include "trace/span_internal.h"

/* The root: static, never freed. Its cached pointers are all NULL. */
struct cotel_context cotel__root_node = {.kind = COTEL__CTX_ROOT};
#define root_node cotel__root_node

cotel_context *cotel_context_root(void) {
  return &root_node;
}

static inline cotel_context *resolve(const cotel_context *ctx) {
  return ctx ? (cotel_context *)ctx : cotel_context_current();
}

cotel_context *cotel_context_retain(cotel_context *ctx) {
  return ctx ? cotel__context_ref(ctx) : NULL;
}

/* Free one heap node's own payload (not its parent). */
static void destroy_payload(cotel_context *ctx) {
  switch (ctx->kind) {
  case COTEL__CTX_SPAN_REF:
    cotel__span_unref(ctx->span);
    break;
  case COTEL__CTX_REMOTE:
    cotel_tracestate_release(ctx->remote_sc.tracestate);
    break;
  case COTEL__CTX_BAGGAGE:
    cotel_baggage_release(ctx->baggage);
    break;
  case COTEL__CTX_VALUE:
    if (ctx->value_free) ctx->value_free(ctx->value);
    break;
  default:
    break;
  }
}

/* The last reference of a heap node was dropped: free it and release its
 * parent chain. Iterative, so that the last release of a long chain of heap
 * nodes does not recurse once per ancestor. */
void cotel__context_free_last(cotel_context *ctx) {
  while (ctx) {
    cotel_context *parent = ctx->parent;
    destroy_payload(ctx);
    free(ctx);
    ctx = NULL;
    if (!parent) break;
    if (parent->kind == COTEL__CTX_SPAN || parent->kind == COTEL__CTX_ROOT)
      cotel__context_unref(parent);
    else if (atomic_fetch_sub_explicit(&parent->refs, 1,
                                       memory_order_acq_rel) == 1)
      ctx = parent;
  }
}

void cotel_context_release(cotel_context *ctx) {
  if (ctx) cotel__context_unref(ctx);
}

/* A new heap node under `parent` (retained), inheriting its cached view. */
static cotel_context *new_node(cotel_context *parent, uint8_t kind) {
  cotel_context *n = calloc(1, sizeof *n);
  if (!n) return NULL;
  atomic_init(&n->refs, 1);
  n->kind = kind;
  n->parent = cotel_context_retain(parent);
  n->span = parent->span;
  n->sc = parent->sc;
  n->baggage = parent->baggage;
  return n;
}

cotel_span cotel_context_span(const cotel_context *ctx) {
  ctx = resolve(ctx);
  if (!ctx->span) return COTEL_SPAN_NONE;
  cotel_span s = {ctx->span, cotel__span_gen(ctx->span)};
  return s;
}

int cotel_context_span_context(const cotel_context *ctx,
                               cotel_span_context *out) {
  if (!out) return COTEL_EINVAL;
  ctx = resolve(ctx);
  if (!ctx->sc) {
    memset(out, 0, sizeof *out);
    return COTEL_ENOTFOUND;
  }
  *out = *ctx->sc;
  return 0;
}

int cotel_context_with_span(cotel_context *parent, cotel_span span,
                            cotel_context **out) {
  if (!out) return COTEL_EINVAL;
  *out = NULL;
  if (!span.rec || !cotel__span_handle_ok(span)) return COTEL_EINVAL;
  parent = resolve(parent);
  struct cotel_context *emb = cotel__span_embedded_ctx(span.rec);
  /* The common case: the span becomes current where it was started. Its
   * embedded node already is exactly that context. */
  if (parent == cotel__span_start_parent(span.rec)) {
    *out = cotel_context_retain(emb);
    return 0;
  }
  cotel_context *n = new_node(parent, COTEL__CTX_SPAN_REF);
  if (!n) return COTEL_ENOMEM;
  cotel__span_ref(span.rec);
  n->span = span.rec;
  n->sc = emb->sc;
  *out = n;
  return 0;
}

int cotel_context_with_remote(cotel_context *parent,
                              const cotel_span_context *sc,
                              cotel_context **out) {
  if (!out) return COTEL_EINVAL;
  *out = NULL;
  if (!sc) return COTEL_EINVAL;
  parent = resolve(parent);
  cotel_context *n = new_node(parent, COTEL__CTX_REMOTE);
  if (!n) return COTEL_ENOMEM;
  n->remote_sc = *sc;
  n->remote_sc.is_remote = true;
  cotel_tracestate_retain(n->remote_sc.tracestate);
  /* A remote parent hides any local span of the chain (it is the new
   * active span), so the local span pointer is cleared. */
  n->span = NULL;
  n->sc = &n->remote_sc;
  *out = n;
  return 0;
}

cotel_baggage *cotel_context_baggage(const cotel_context *ctx) {
  return resolve(ctx)->baggage;
}

int cotel_context_with_baggage(cotel_context *parent, cotel_baggage *baggage,
                               cotel_context **out) {
  if (!out) return COTEL_EINVAL;
  *out = NULL;
  parent = resolve(parent);
  cotel_context *n = new_node(parent, COTEL__CTX_BAGGAGE);
  if (!n) return COTEL_ENOMEM;
  n->baggage = cotel_baggage_retain(baggage);
  *out = n;
  return 0;
}

int cotel_context_set_baggage(cotel_context *parent, const char *key,
                              const char *value, cotel_context **out) {
  if (!out) return COTEL_EINVAL;
  *out = NULL;
  if (!key || !value) return COTEL_EINVAL;
  parent = resolve(parent);
  cotel_baggage *nb = NULL;
  cotel_str meta = {"", 0};
  int rc = cotel_baggage_set(parent->baggage, cotel_str_c(key),
                             cotel_str_c(value), meta, &nb);
  if (rc) return rc;
  rc = cotel_context_with_baggage(parent, nb, out);
  cotel_baggage_release(nb);
  return rc;
}

int cotel_context_with_value(cotel_context *parent, const void *key,
                             void *value, void (*free_fn)(void *),
                             cotel_context **out) {
  if (!out) return COTEL_EINVAL;
  *out = NULL;
  if (!key) return COTEL_EINVAL;
  parent = resolve(parent);
  cotel_context *n = new_node(parent, COTEL__CTX_VALUE);
  if (!n) return COTEL_ENOMEM;
  n->key = key;
  n->value = value;
  n->value_free = free_fn;
  *out = n;
  return 0;
}

void *cotel_context_value(const cotel_context *ctx, const void *key) {
  for (ctx = resolve(ctx); ctx; ctx = ctx->parent)
    if (ctx->kind == COTEL__CTX_VALUE && ctx->key == key) return ctx->value;
  return NULL;
}
