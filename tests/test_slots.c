/* Slots (DESIGN §3): attach/detach, nesting, out-of-order detection, slot
 * switching, thread slots and futures across threads. */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "cotel/cotel.h"
#include "test_util.h"

static char key; /* value key */
static atomic_int frees;
static void count_free(void *v) {
  (void)v;
  atomic_fetch_add(&frees, 1);
}

/* A context with a distinct value, freed through count_free. */
static cotel_context *mk(cotel_context *parent, void *v) {
  cotel_context *c = NULL;
  assert_int_equal(cotel_context_with_value(parent, &key, v, count_free, &c),
                   0);
  return c;
}

static int warnings;
static void count_log(void *ud, cotel_log_level level, const char *msg) {
  (void)ud;
  (void)msg;
  if (level >= COTEL_LOG_WARN) warnings++;
}

static void test_attach_makes_current_and_detach_restores(void **state) {
  (void)state;
  atomic_store(&frees, 0);
  int v;
  cotel_context *c = mk(NULL, &v);
  cotel_context *before = cotel_context_current();
  cotel_token t = cotel_context_attach(c);
  /* attach holds its own reference */
  cotel_context_release(c);
  assert_int_equal(atomic_load(&frees), 0);
  assert_ptr_equal(cotel_context_current(), c);
  assert_ptr_equal(cotel_context_value(NULL, &key), &v);
  assert_int_equal(cotel_context_detach(t), 0);
  assert_ptr_equal(cotel_context_current(), before);
  assert_int_equal(atomic_load(&frees), 1);
}

static void test_nested_attaches_unwind_in_order(void **state) {
  (void)state;
  atomic_store(&frees, 0);
  int v[3];
  cotel_token t[3];
  cotel_context *c[3];
  for (int i = 0; i < 3; i++) {
    c[i] = mk(NULL, &v[i]);
    t[i] = cotel_context_attach(c[i]);
    cotel_context_release(c[i]);
    assert_ptr_equal(cotel_context_value(NULL, &key), &v[i]);
  }
  for (int i = 2; i >= 0; i--) {
    assert_ptr_equal(cotel_context_current(), c[i]);
    assert_int_equal(cotel_context_detach(t[i]), 0);
    if (i) assert_ptr_equal(cotel_context_value(NULL, &key), &v[i - 1]);
  }
  assert_ptr_equal(cotel_context_current(), cotel_context_root());
  assert_int_equal(atomic_load(&frees), 3);
}

static void
test_out_of_order_detach_is_rejected_and_leaves_slot_intact(void **state) {
  (void)state;
  atomic_store(&frees, 0);
  warnings = 0;
  cotel_log_set(count_log, NULL, COTEL_LOG_WARN);
  int v1, v2;
  cotel_context *c1 = mk(NULL, &v1), *c2 = mk(NULL, &v2);
  cotel_token t1 = cotel_context_attach(c1);
  cotel_token t2 = cotel_context_attach(c2);
  cotel_context_release(c1);
  cotel_context_release(c2);
  cotel_slot before = *cotel_slot_active();

  assert_int_equal(cotel_context_detach(t1), COTEL_EDETACH);
  assert_int_equal(warnings, 1);
  cotel_slot after = *cotel_slot_active();
  assert_memory_equal(&before, &after, sizeof before);
  assert_ptr_equal(cotel_context_current(), c2);
  assert_int_equal(atomic_load(&frees), 0);

  /* In order again: both detach and nothing leaks. */
  assert_int_equal(cotel_context_detach(t2), 0);
  assert_ptr_equal(cotel_context_current(), c1);
  assert_int_equal(cotel_context_detach(t1), 0);
  assert_ptr_equal(cotel_context_current(), cotel_context_root());
  assert_int_equal(atomic_load(&frees), 2);
  cotel_log_set(NULL, NULL, COTEL_LOG_WARN);
}

static void test_token_of_another_slot_is_rejected(void **state) {
  (void)state;
  warnings = 0;
  cotel_log_set(count_log, NULL, COTEL_LOG_WARN);
  int v;
  cotel_context *c = mk(NULL, &v);
  cotel_slot other;
  cotel_slot_init(&other, NULL);
  cotel_token t = cotel_context_attach(c); /* on the thread slot */
  cotel_slot *prev = cotel_slot_enter(&other);
  /* Same depth (1) in the other slot, but not its token. */
  cotel_token t_other = cotel_context_attach(c);
  assert_int_equal(cotel_context_detach(t), COTEL_EDETACH);
  assert_int_equal(warnings, 1);
  assert_ptr_equal(cotel_context_current(), c);
  assert_int_equal(cotel_context_detach(t_other), 0);
  assert_ptr_equal(cotel_context_current(), cotel_context_root());
  cotel_slot_enter(prev);
  assert_int_equal(cotel_context_detach(t), 0);
  cotel_slot_destroy(&other);
  cotel_context_release(c);
  cotel_log_set(NULL, NULL, COTEL_LOG_WARN);
}

static void test_slot_enter_switches_the_current_context(void **state) {
  (void)state;
  atomic_store(&frees, 0);
  int va, vb, vt;
  cotel_context *ca = mk(NULL, &va), *cb = mk(NULL, &vb), *ct = mk(NULL, &vt);
  cotel_token tt = cotel_context_attach(ct);
  cotel_slot a, b;
  cotel_slot_init(&a, ca);
  cotel_slot_init(&b, cb);
  cotel_slot *thread_slot = cotel_slot_active();

  cotel_slot *prev = cotel_slot_enter(&a);
  assert_ptr_equal(cotel_slot_active(), &a);
  assert_ptr_equal(cotel_context_value(NULL, &key), &va);
  cotel_slot *pa = cotel_slot_enter(&b);
  assert_ptr_equal(pa, &a);
  assert_ptr_equal(cotel_context_value(NULL, &key), &vb);
  cotel_slot_enter(pa);
  assert_ptr_equal(cotel_context_value(NULL, &key), &va);
  cotel_slot_enter(prev);
  assert_ptr_equal(cotel_context_value(NULL, &key), &vt);
  /* NULL means the thread's own slot. */
  cotel_slot_enter(&b);
  cotel_slot_enter(NULL);
  assert_ptr_equal(cotel_slot_active(), thread_slot);
  assert_ptr_equal(cotel_context_value(NULL, &key), &vt);

  cotel_slot_destroy(&a);
  cotel_slot_destroy(&b);
  cotel_context_release(ca);
  cotel_context_release(cb);
  assert_int_equal(atomic_load(&frees), 2);
  cotel_context_release(ct);
  assert_int_equal(cotel_context_detach(tt), 0);
  assert_int_equal(atomic_load(&frees), 3);
}

static void
test_destroying_the_active_slot_falls_back_to_thread_slot(void **state) {
  (void)state;
  warnings = 0;
  cotel_log_set(count_log, NULL, COTEL_LOG_WARN);
  cotel_slot *thread_slot = cotel_slot_active();
  cotel_slot s;
  cotel_slot_init(&s, NULL);
  cotel_slot_enter(&s);
  cotel_slot_destroy(&s);
  assert_int_equal(warnings, 1);
  assert_ptr_equal(cotel_slot_active(), thread_slot);
  cotel_log_set(NULL, NULL, COTEL_LOG_WARN);
}

/* Two threads attach their own contexts, in lock step, and each must only
 * ever see its own. */
static pthread_barrier_t barrier;

static void *lockstep(void *arg) {
  int *mine = arg;
  cotel_context *c = mk(NULL, mine);
  cotel_token t = cotel_context_attach(c);
  cotel_context_release(c);
  for (int i = 0; i < 1000; i++) {
    pthread_barrier_wait(&barrier);
    if (cotel_context_value(NULL, &key) != mine) return (void *)1;
  }
  if (cotel_context_detach(t) != 0) return (void *)2;
  if (cotel_context_current() != cotel_context_root()) return (void *)3;
  return NULL;
}

static void test_thread_slots_are_independent(void **state) {
  (void)state;
  atomic_store(&frees, 0);
  int v1, v2, vm;
  cotel_context *cm = mk(NULL, &vm);
  cotel_token tm = cotel_context_attach(cm);
  cotel_context_release(cm);
  pthread_t a, b;
  pthread_barrier_init(&barrier, NULL, 2);
  pthread_create(&a, NULL, lockstep, &v1);
  pthread_create(&b, NULL, lockstep, &v2);
  void *ra, *rb;
  pthread_join(a, &ra);
  pthread_join(b, &rb);
  pthread_barrier_destroy(&barrier);
  assert_null(ra);
  assert_null(rb);
  assert_ptr_equal(cotel_context_value(NULL, &key), &vm);
  assert_int_equal(cotel_context_detach(tm), 0);
  assert_int_equal(atomic_load(&frees), 3);
}

static void *attach_and_exit(void *arg) {
  cotel_context *c = mk(NULL, arg);
  cotel_context_attach(c); /* never detached: thread exit releases it */
  cotel_context_release(c);
  return NULL;
}

static void test_thread_exit_releases_the_thread_slot(void **state) {
  (void)state;
  atomic_store(&frees, 0);
  int v;
  pthread_t t;
  pthread_create(&t, NULL, attach_and_exit, &v);
  pthread_join(t, NULL);
  assert_int_equal(atomic_load(&frees), 1);
}

static void test_borrowed_attach_takes_no_reference(void **state) {
  (void)state;
  atomic_store(&frees, 0);
  int va, vb, vc;
  cotel_context *a = mk(NULL, &va), *b = mk(NULL, &vb), *c = mk(NULL, &vc);
  cotel_token ta = cotel_context_attach(a);
  cotel_token tb = cotel_context_attach_borrowed(b);
  cotel_token tc = cotel_context_attach(c);
  cotel_context_release(a);
  cotel_context_release(c);
  assert_ptr_equal(cotel_context_value(NULL, &key), &vc);
  assert_int_equal(cotel_context_detach(tc), 0);
  assert_int_equal(atomic_load(&frees), 1); /* c: owned by the slot */
  assert_ptr_equal(cotel_context_current(), b);
  assert_int_equal(cotel_context_detach(tb), 0);
  assert_int_equal(atomic_load(&frees), 1); /* b: borrowed, still ours */
  assert_ptr_equal(cotel_context_current(), a);
  assert_int_equal(cotel_context_detach(ta), 0);
  assert_int_equal(atomic_load(&frees), 2);
  cotel_context_release(b);
  assert_int_equal(atomic_load(&frees), 3);
}

static void *borrow_and_exit(void *arg) {
  cotel_context_attach_borrowed(arg); /* thread exit must not release it */
  return NULL;
}

static void test_thread_exit_leaves_a_borrowed_context_alone(void **state) {
  (void)state;
  atomic_store(&frees, 0);
  int v;
  cotel_context *c = mk(NULL, &v);
  pthread_t t;
  pthread_create(&t, NULL, borrow_and_exit, c);
  pthread_join(t, NULL);
  assert_int_equal(atomic_load(&frees), 0);
  cotel_context_release(c);
  assert_int_equal(atomic_load(&frees), 1);
}

struct future_check {
  cotel_future *f;
  void *seen_inside;
  void *seen_after;
  void *seen_before;
};

static void *run_future(void *arg) {
  struct future_check *fc = arg;
  int own;
  cotel_context *c = mk(NULL, &own);
  cotel_token t = cotel_context_attach(c);
  cotel_context_release(c);
  fc->seen_before = cotel_context_value(NULL, &key);
  cotel_future_enter(fc->f);
  fc->seen_inside = cotel_context_value(NULL, &key);
  cotel_future_leave(fc->f);
  fc->seen_after = cotel_context_value(NULL, &key);
  cotel_context_detach(t);
  return &own == fc->seen_after ? NULL : (void *)1;
}

static void test_future_runs_captured_context_on_another_thread(void **state) {
  (void)state;
  atomic_store(&frees, 0);
  int v;
  cotel_context *c = mk(NULL, &v);
  cotel_token t = cotel_context_attach(c);
  cotel_context_release(c);
  cotel_future f;
  cotel_future_capture(&f);
  assert_int_equal(cotel_context_detach(t), 0);
  assert_int_equal(atomic_load(&frees), 0); /* the future holds it */

  struct future_check fc = {.f = &f};
  pthread_t th;
  void *rc;
  pthread_create(&th, NULL, run_future, &fc);
  pthread_join(th, &rc);
  assert_null(rc);
  assert_ptr_equal(fc.seen_inside, &v);
  assert_ptr_not_equal(fc.seen_before, &v);
  assert_int_equal(atomic_load(&frees), 1); /* the thread's own */
  cotel_future_release(&f);
  assert_int_equal(atomic_load(&frees), 2);
}

static void test_future_with_explicit_root_context_hides_current(void **state) {
  (void)state;
  int v;
  cotel_context *c = mk(NULL, &v);
  cotel_token t = cotel_context_attach(c);
  cotel_context_release(c);
  cotel_future f;
  cotel_future_capture_ctx(&f, NULL);
  cotel_future_enter(&f);
  assert_ptr_equal(cotel_context_current(), cotel_context_root());
  cotel_future_leave(&f);
  assert_ptr_equal(cotel_context_value(NULL, &key), &v);
  cotel_future_release(&f);
  assert_int_equal(cotel_context_detach(t), 0);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_attach_makes_current_and_detach_restores),
      cmocka_unit_test(test_nested_attaches_unwind_in_order),
      cmocka_unit_test(
          test_out_of_order_detach_is_rejected_and_leaves_slot_intact),
      cmocka_unit_test(test_token_of_another_slot_is_rejected),
      cmocka_unit_test(test_slot_enter_switches_the_current_context),
      cmocka_unit_test(
          test_destroying_the_active_slot_falls_back_to_thread_slot),
      cmocka_unit_test(test_thread_slots_are_independent),
      cmocka_unit_test(test_thread_exit_releases_the_thread_slot),
      cmocka_unit_test(test_borrowed_attach_takes_no_reference),
      cmocka_unit_test(test_thread_exit_leaves_a_borrowed_context_alone),
      cmocka_unit_test(test_future_runs_captured_context_on_another_thread),
      cmocka_unit_test(test_future_with_explicit_root_context_hides_current),
  };
  return cotel_test_run(argc, argv, "slots", tests);
}
