/* Slots and the one thread-local active-slot pointer (DESIGN §3).
 *
 * Everything here is on the hot path of "make a context current and
 * restore it" (DESIGN §7 target: 5 ns), so attach and detach do only the
 * thread-local read, two stores and the context's reference count.
 *
 * The thread slot is a thread-local cotel_slot. Its context is released at
 * thread exit by a pthread key destructor, registered the first time the
 * thread attaches to it. */
#include <pthread.h>

#include "context/context_internal.h"
#include "trace/span_internal.h"

#define SLOT_MAGIC COTEL__SLOT_MAGIC

/* cotel_slot.depth packs the nesting depth with one flag: the slot's
 * current context is borrowed (cotel_context_attach_borrowed) rather than
 * owned. A token's depth carries the previous context's flag, so detach
 * restores it. */
#define DEPTH_MASK COTEL__SLOT_DEPTH_MASK
#define BORROWED COTEL__SLOT_BORROWED

/* initial-exec: one %fs-relative load, no __tls_get_addr call, also inside
 * libcotel.so (a few bytes of static TLS). */
#define COTEL__TLS __attribute__((tls_model("initial-exec")))

COTEL__TLS _Thread_local cotel_slot *cotel__active_slot;
COTEL__TLS _Thread_local cotel_slot cotel__tslot;
#define thread_slot cotel__tslot
static COTEL__TLS _Thread_local bool thread_slot_registered;

static pthread_key_t exit_key;
static pthread_once_t exit_key_once = PTHREAD_ONCE_INIT;

/* Thread exit: drop whatever the thread left attached to its own slot.
 * Tokens still outstanding are the caller's leak (their previous contexts
 * are owned by the tokens), but the slot's own reference is not. */
static void thread_slot_exit(void *arg) {
  cotel_slot *s = arg;
  cotel_context *ctx = s->depth & BORROWED ? NULL : s->ctx;
  s->ctx = NULL;
  s->depth = 0;
  /* Releasing may run user free functions that touch cotel again and
   * re-register; glibc then calls this destructor once more. */
  thread_slot_registered = false;
  if (cotel__active_slot == s) cotel__active_slot = NULL;
  cotel_context_release(ctx);
}

static void exit_key_create(void) {
  if (pthread_key_create(&exit_key, thread_slot_exit) != 0)
    cotel_log(COTEL_LOG_WARN,
              "context: pthread_key_create failed; contexts attached to "
              "thread slots will not be released at thread exit");
}

cotel_slot *cotel__thread_slot(void) {
  if (__builtin_expect(!thread_slot_registered, 0)) {
    thread_slot_registered = true;
    thread_slot.magic = SLOT_MAGIC;
    pthread_once(&exit_key_once, exit_key_create);
    pthread_setspecific(exit_key, &thread_slot);
  }
  return &thread_slot;
}

/* First use on this thread, or after cotel_slot_enter(NULL). */
__attribute__((cold, noinline)) static cotel_slot *activate_thread_slot(void) {
  cotel_slot *s = cotel__thread_slot();
  cotel__active_slot = s;
  return s;
}

static inline cotel_slot *active(void) {
  cotel_slot *s = cotel__active_slot;
  if (__builtin_expect(s != NULL, 1)) return s;
  return activate_thread_slot();
}

void cotel_slot_init(cotel_slot *slot, cotel_context *ctx) {
  if (!slot) return;
  slot->ctx = ctx == (&cotel__root_node) ? NULL : cotel_context_retain(ctx);
  slot->depth = 0;
  slot->magic = SLOT_MAGIC;
}

void cotel_slot_destroy(cotel_slot *slot) {
  if (!slot) return;
  if (slot->magic != SLOT_MAGIC) {
    cotel_log(COTEL_LOG_WARN, "context: destroying an uninitialised or "
                              "already destroyed slot");
    return;
  }
  if (cotel__active_slot == slot) {
    /* Destroying the active slot would leave a dangling pointer behind:
     * report it and fall back to the thread slot. */
    cotel_log(COTEL_LOG_WARN,
              "context: slot destroyed while active; switching to the "
              "thread slot");
    cotel__active_slot = NULL;
  }
  if (slot->depth & DEPTH_MASK)
    cotel_log(COTEL_LOG_WARN,
              "context: slot destroyed with %u attach(es) not detached",
              (unsigned)(slot->depth & DEPTH_MASK));
  cotel_context *ctx = slot->depth & BORROWED ? NULL : slot->ctx;
  slot->ctx = NULL;
  slot->depth = 0;
  slot->magic = 0;
  cotel_context_release(ctx);
}

cotel_slot *cotel_slot_enter(cotel_slot *slot) {
  cotel_slot *prev = cotel__active_slot;
  cotel__active_slot = slot;
  return prev;
}

cotel_slot *cotel_slot_active(void) {
  return active();
}

cotel_context *cotel_context_current(void) {
  return cotel__context_current_inline();
}

cotel_span cotel_span_current(void) {
  return cotel_context_span(cotel_context_current());
}

/* Slots hold NULL for the root, so that the common "nothing attached"
 * state needs no reference at all. */
static inline cotel_context *fast_retain(cotel_context *c) {
  return c && c != &cotel__root_node ? cotel__context_ref(c) : NULL;
}

static inline void fast_release(cotel_context *c) {
  if (c) cotel__context_unref(c);
}

static inline cotel_token push(cotel_context *ctx, uint32_t borrowed) {
  cotel_slot *s = active();
  cotel_token t;
  uint32_t d = (s->depth & DEPTH_MASK) + 1;
  t.slot = s;
  t.prev = s->ctx;
  t.depth = d | (s->depth & BORROWED);
  s->depth = d | borrowed;
  s->ctx = ctx;
  return t;
}

cotel_token cotel_context_attach(cotel_context *ctx) {
  return push(fast_retain(ctx), 0);
}

cotel_token cotel_context_attach_borrowed(cotel_context *ctx) {
  return push(ctx == (&cotel__root_node) ? NULL : ctx, BORROWED);
}

cotel_token cotel_span_make_current(cotel_span span) {
  cotel_context *ctx;
  if (cotel_context_with_span(NULL, span, &ctx) != 0) {
    /* A stale or empty handle (or no memory): keep the current context,
     * so that the caller's detach still pairs up. */
    ctx = cotel_context_retain(cotel_context_current());
    if (ctx == (&cotel__root_node)) ctx = NULL;
  }
  return push(ctx, 0);
}

/* Out of line so that the hot path of detach needs no stack frame. */
__attribute__((cold, noinline)) static int detach_mismatch(cotel_slot *s,
                                                           cotel_slot *ts) {
  /* Rule: a failed detach changes nothing. The slot keeps its context and
   * the token keeps its reference to the previous one, so detaching the
   * tokens again in the right order (innermost first, in the slot they came
   * from) still releases everything. */
  cotel_log(COTEL_LOG_WARN,
            "context: token detached out of order (%s); ignored",
            ts != s ? "it belongs to another slot"
                    : "it is not the innermost attach");
  return COTEL_EDETACH;
}

int cotel_context_detach(cotel_token token) {
  cotel_slot *s = active();
  if (__builtin_expect(
          token.slot != s || ((token.depth ^ s->depth) & DEPTH_MASK) != 0, 0))
    return detach_mismatch(s, token.slot);
  cotel_context *cur = s->ctx;
  uint32_t cur_borrowed = s->depth & BORROWED;
  s->ctx = token.prev;
  s->depth = ((token.depth - 1) & DEPTH_MASK) | (token.depth & BORROWED);
  if (!cur_borrowed) fast_release(cur);
  return 0;
}
