/* W3C tracestate: grammar, limits and mutations (W3C Trace Context
 * §3.3.1, §3.5). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cotel/tracestate.h"
#include "test_util.h"

static int parse(const char *s, cotel_tracestate **ts) {
  return cotel_tracestate_parse(s, strlen(s), ts);
}

static cotel_str S(const char *s) {
  return cotel_str_c(s);
}

/* "k0=v,k1=v,...": n members. */
static char *members(int n) {
  char *s = malloc((size_t)n * 8 + 1), *p = s;
  *p = '\0';
  for (int i = 0; i < n; i++)
    p += sprintf(p, "%sk%d=v", i ? "," : "", i);
  return s;
}

static char *repeat(char c, size_t n) {
  char *s = malloc(n + 1);
  memset(s, c, n);
  s[n] = '\0';
  return s;
}

static void expect_valid_key(const char *key, bool valid) {
  char buf[600];
  snprintf(buf, sizeof buf, "%s=1", key);
  cotel_tracestate *ts = NULL;
  int rc = parse(buf, &ts);
  if (valid) {
    assert_int_equal(rc, 0);
    assert_int_equal(cotel_tracestate_count(ts), 1);
  } else {
    assert_int_equal(rc, COTEL_EPARSE);
    assert_null(ts);
  }
  cotel_tracestate_release(ts);
}

static void test_tracestate_parses_members_in_order(void **state) {
  (void)state;
  cotel_tracestate *ts = NULL;
  assert_int_equal(parse("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE", &ts), 0);
  assert_int_equal(cotel_tracestate_count(ts), 2);
  cotel_str k, v;
  assert_int_equal(cotel_tracestate_entry(ts, 1, &k, &v), 0);
  assert_int_equal(k.len, 5);
  assert_memory_equal(k.ptr, "congo", 5);
  assert_memory_equal(v.ptr, "t61rcWkgMzE", v.len);
  assert_int_equal(cotel_tracestate_get(ts, S("rojo"), &v), 0);
  assert_int_equal(v.len, 16);
  assert_int_equal(cotel_tracestate_get(ts, S("nope"), &v), COTEL_ENOTFOUND);
  cotel_tracestate_release(ts);
}

static void test_tracestate_skips_empty_and_ows_only_members(void **state) {
  (void)state;
  cotel_tracestate *ts = NULL;
  assert_int_equal(parse(" , a=1 ,\t,, b=2\t, ", &ts), 0);
  assert_string_equal(cotel_tracestate_str(ts).ptr, "a=1,b=2");
  cotel_tracestate_release(ts);
}

static void test_tracestate_empty_header_is_valid_and_empty(void **state) {
  (void)state;
  cotel_tracestate *ts = (cotel_tracestate *)1;
  assert_int_equal(parse("", &ts), 0);
  assert_null(ts);
  assert_int_equal(parse("  ,  ", &ts), 0);
  assert_null(ts);
}

static void test_tracestate_accepts_32_members(void **state) {
  (void)state;
  char *s = members(32);
  cotel_tracestate *ts = NULL;
  assert_int_equal(parse(s, &ts), 0);
  assert_int_equal(cotel_tracestate_count(ts), 32);
  cotel_tracestate_release(ts);
  free(s);
}

static void test_tracestate_rejects_33_members(void **state) {
  (void)state;
  char *s = members(33);
  cotel_tracestate *ts = NULL;
  assert_int_equal(parse(s, &ts), COTEL_EPARSE);
  assert_null(ts);
  free(s);
}

/* The current draft: duplicate keys are the sender's mistake; a receiver
 * keeps them or one of them, and no longer drops the header. We keep the
 * left-most (the most recent update, §3.5). */
static void test_tracestate_keeps_the_leftmost_of_duplicate_keys(void **state) {
  (void)state;
  cotel_tracestate *ts = NULL;
  assert_int_equal(parse("a=1,b=2,a=3", &ts), 0);
  assert_string_equal(cotel_tracestate_str(ts).ptr, "a=1,b=2");
  cotel_tracestate_release(ts);
  assert_int_equal(parse("foo=1,foo=1", &ts), 0);
  assert_string_equal(cotel_tracestate_str(ts).ptr, "foo=1");
  cotel_tracestate_release(ts);
}

static void test_tracestate_duplicates_count_towards_32_members(void **state) {
  (void)state;
  char buf[512] = "";
  for (int i = 0; i < 32; i++)
    snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "k%d=1,", i);
  cotel_tracestate *ts = NULL;
  assert_int_equal(parse(buf, &ts), 0); /* 32 members */
  assert_int_equal(cotel_tracestate_count(ts), 32);
  cotel_tracestate_release(ts);
  strcat(buf, "k0=2"); /* 33 members as sent, 32 distinct keys */
  assert_int_equal(parse(buf, &ts), COTEL_EPARSE);
  assert_null(ts);
}

static void test_tracestate_accepts_simple_key_of_256_chars(void **state) {
  (void)state;
  char *k = repeat('a', 256);
  expect_valid_key(k, true);
  k[255] = '\0'; /* 255 */
  expect_valid_key(k, true);
  free(k);
}

static void test_tracestate_rejects_simple_key_of_257_chars(void **state) {
  (void)state;
  char *k = repeat('a', 257);
  expect_valid_key(k, false);
  free(k);
}

/* The current draft dropped level 1's tenant@system split and its 241/14
 * limits: only the 256 characters of the whole key count. */
static void
test_tracestate_keys_with_at_signs_have_only_the_256_limit(void **state) {
  (void)state;
  char buf[300];
  char *t = repeat('t', 242), *t255 = repeat('t', 255),
       *t256 = repeat('t', 256);
  snprintf(buf, sizeof buf, "%s@v", t); /* "tenant" 242, 244 in all */
  expect_valid_key(buf, true);
  snprintf(buf, sizeof buf, "t@%s", "abcdefghijklmno"); /* "system" 15 */
  expect_valid_key(buf, true);
  snprintf(buf, sizeof buf, "%s@", t255); /* 256 */
  expect_valid_key(buf, true);
  snprintf(buf, sizeof buf, "%s@", t256); /* 257 */
  expect_valid_key(buf, false);
  free(t);
  free(t255);
  free(t256);
}

static void
test_tracestate_key_grammar_allows_at_signs_anywhere_but_first(void **state) {
  (void)state;
  expect_valid_key("1tenant@vendor", true);
  expect_valid_key("tenant@1vendor", true);
  expect_valid_key("a@b@c", true);
  expect_valid_key("foo@@bar", true);
  expect_valid_key("foo@", true);
  expect_valid_key("t_-*/@v_-*/9", true);
  expect_valid_key("@vendor", false);
  expect_valid_key("@", false);
  expect_valid_key("_a", false); /* first: lowercase letter or digit */
  expect_valid_key("9", true);
}

static void test_tracestate_rejects_invalid_key_characters(void **state) {
  (void)state;
  expect_valid_key("Abc", false); /* uppercase */
  expect_valid_key("aBc", false);
  expect_valid_key("1abc", true); /* a digit may start any key now */
  expect_valid_key("_abc", false);
  expect_valid_key("a.b", false);
  expect_valid_key("a b", false);
  expect_valid_key("a_-*/0z", true);
}

static void test_tracestate_value_grammar(void **state) {
  (void)state;
  cotel_tracestate *ts = NULL;
  /* Every printable character except ',' and '='. */
  char all[200], *p = all;
  p += sprintf(p, "k=");
  for (int c = 0x21; c <= 0x7e; c++)
    if (c != ',' && c != '=') *p++ = (char)c;
  *p = '\0';
  assert_int_equal(parse(all, &ts), 0);
  cotel_tracestate_release(ts);
  /* Leading spaces are part of the value; trailing ones are OWS. */
  assert_int_equal(parse("k=  v  ", &ts), 0);
  cotel_str v;
  cotel_tracestate_get(ts, S("k"), &v);
  assert_int_equal(v.len, 3);
  assert_memory_equal(v.ptr, "  v", 3);
  cotel_tracestate_release(ts);
  assert_int_equal(parse("k=a=b", &ts), COTEL_EPARSE);
  assert_int_equal(parse("k=", &ts), COTEL_EPARSE);
  assert_int_equal(parse("k=   ", &ts), COTEL_EPARSE);
  assert_int_equal(parse("k=a\x01", &ts), COTEL_EPARSE);
  assert_int_equal(parse("k=\xc3\xa9", &ts), COTEL_EPARSE);
  assert_int_equal(parse("k", &ts), COTEL_EPARSE);
  assert_int_equal(parse("k =1", &ts), COTEL_EPARSE);
}

static void test_tracestate_value_length_limit_256(void **state) {
  (void)state;
  char buf[300];
  char *v = repeat('v', 256);
  cotel_tracestate *ts = NULL;
  snprintf(buf, sizeof buf, "k=%s", v);
  assert_int_equal(parse(buf, &ts), 0);
  cotel_tracestate_release(ts);
  snprintf(buf, sizeof buf, "k=%sv", v);
  assert_int_equal(parse(buf, &ts), COTEL_EPARSE);
  free(v);
}

static void test_tracestate_set_moves_updated_key_to_front(void **state) {
  (void)state;
  cotel_tracestate *ts = NULL, *u = NULL, *a = NULL;
  assert_int_equal(parse("rojo=1,congo=2,x=3", &ts), 0);
  assert_int_equal(cotel_tracestate_set(ts, S("congo"), S("9"), &u), 0);
  assert_string_equal(cotel_tracestate_str(u).ptr, "congo=9,rojo=1,x=3");
  assert_int_equal(cotel_tracestate_set(u, S("new"), S("n"), &a), 0);
  assert_string_equal(cotel_tracestate_str(a).ptr, "new=n,congo=9,rojo=1,x=3");
  /* The original is immutable. */
  assert_string_equal(cotel_tracestate_str(ts).ptr, "rojo=1,congo=2,x=3");
  cotel_tracestate_release(ts);
  cotel_tracestate_release(u);
  cotel_tracestate_release(a);
}

static void test_tracestate_set_on_full_list_drops_rightmost(void **state) {
  (void)state;
  char *s = members(32);
  cotel_tracestate *ts = NULL, *u = NULL;
  assert_int_equal(parse(s, &ts), 0);
  assert_int_equal(cotel_tracestate_set(ts, S("new"), S("1"), &u), 0);
  assert_int_equal(cotel_tracestate_count(u), 32);
  cotel_str k;
  cotel_tracestate_entry(u, 0, &k, NULL);
  assert_memory_equal(k.ptr, "new", 3);
  assert_int_equal(cotel_tracestate_get(u, S("k31"), NULL), COTEL_ENOTFOUND);
  assert_int_equal(cotel_tracestate_get(u, S("k30"), NULL), 0);
  cotel_tracestate_release(ts);
  cotel_tracestate_release(u);
  free(s);
}

static void test_tracestate_set_validates_key_and_value(void **state) {
  (void)state;
  cotel_tracestate *u = NULL;
  assert_int_equal(cotel_tracestate_set(NULL, S("Bad"), S("1"), &u),
                   COTEL_EINVAL);
  assert_int_equal(cotel_tracestate_set(NULL, S("ok"), S("a,b"), &u),
                   COTEL_EINVAL);
  assert_null(u);
  assert_int_equal(cotel_tracestate_set(NULL, S("ok"), S("v"), &u), 0);
  assert_string_equal(cotel_tracestate_str(u).ptr, "ok=v");
  cotel_tracestate_release(u);
}

static void test_tracestate_delete_removes_member(void **state) {
  (void)state;
  cotel_tracestate *ts = NULL, *d = NULL, *e = NULL;
  assert_int_equal(parse("a=1,b=2", &ts), 0);
  assert_int_equal(cotel_tracestate_delete(ts, S("a"), &d), 0);
  assert_string_equal(cotel_tracestate_str(d).ptr, "b=2");
  assert_int_equal(cotel_tracestate_delete(d, S("b"), &e), 0);
  assert_null(e); /* empty */
  cotel_tracestate_release(ts);
  cotel_tracestate_release(d);
}

static void test_tracestate_format_never_truncates(void **state) {
  (void)state;
  cotel_tracestate *ts = NULL;
  assert_int_equal(parse("a=1,b=2", &ts), 0);
  char buf[8];
  assert_int_equal(cotel_tracestate_format(ts, buf, sizeof buf), 7);
  assert_string_equal(buf, "a=1,b=2");
  assert_int_equal(cotel_tracestate_format(ts, buf, 5), 7);
  assert_string_equal(buf, "");
  assert_int_equal(cotel_tracestate_format(NULL, buf, sizeof buf), 0);
  cotel_tracestate_release(ts);
}

static void test_tracestate_retain_keeps_it_alive(void **state) {
  (void)state;
  cotel_tracestate *ts = NULL;
  assert_int_equal(parse("a=1", &ts), 0);
  assert_ptr_equal(cotel_tracestate_retain(ts), ts);
  cotel_tracestate_release(ts);
  assert_string_equal(cotel_tracestate_str(ts).ptr, "a=1");
  cotel_tracestate_release(ts);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_tracestate_parses_members_in_order),
      cmocka_unit_test(test_tracestate_skips_empty_and_ows_only_members),
      cmocka_unit_test(test_tracestate_empty_header_is_valid_and_empty),
      cmocka_unit_test(test_tracestate_accepts_32_members),
      cmocka_unit_test(test_tracestate_rejects_33_members),
      cmocka_unit_test(test_tracestate_keeps_the_leftmost_of_duplicate_keys),
      cmocka_unit_test(test_tracestate_duplicates_count_towards_32_members),
      cmocka_unit_test(test_tracestate_accepts_simple_key_of_256_chars),
      cmocka_unit_test(test_tracestate_rejects_simple_key_of_257_chars),
      cmocka_unit_test(
          test_tracestate_keys_with_at_signs_have_only_the_256_limit),
      cmocka_unit_test(
          test_tracestate_key_grammar_allows_at_signs_anywhere_but_first),
      cmocka_unit_test(test_tracestate_rejects_invalid_key_characters),
      cmocka_unit_test(test_tracestate_value_grammar),
      cmocka_unit_test(test_tracestate_value_length_limit_256),
      cmocka_unit_test(test_tracestate_set_moves_updated_key_to_front),
      cmocka_unit_test(test_tracestate_set_on_full_list_drops_rightmost),
      cmocka_unit_test(test_tracestate_set_validates_key_and_value),
      cmocka_unit_test(test_tracestate_delete_removes_member),
      cmocka_unit_test(test_tracestate_format_never_truncates),
      cmocka_unit_test(test_tracestate_retain_keeps_it_alive),
  };
  return cotel_test_run(argc, argv, "tracestate", tests);
}
