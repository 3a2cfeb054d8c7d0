/* W3C Baggage: the baggage type, the header grammar and limits, and the
 * baggage propagator (W3C Baggage §3.3). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cotel/propagation.h"
#include "test_util.h"
#include "support/header_fixture.h"

static cotel_str S(const char *s) {
  return cotel_str_c(s);
}

static int parse(const char *s, cotel_baggage **b) {
  return cotel_baggage_parse(s, strlen(s), b);
}

/* Value of key as a C string (static buffer), NULL when absent. */
static const char *get(const cotel_baggage *b, const char *key) {
  static char buf[9000];
  cotel_str v;
  if (cotel_baggage_get(b, S(key), &v)) return NULL;
  memcpy(buf, v.ptr, v.len);
  buf[v.len] = '\0';
  return buf;
}

static const char *meta(const cotel_baggage *b, size_t i) {
  cotel_str m;
  assert_int_equal(cotel_baggage_entry(b, i, NULL, NULL, &m), 0);
  return m.ptr; /* NUL-terminated by contract */
}

/* ---- the type ---- */

static void test_baggage_set_get_remove(void **state) {
  (void)state;
  cotel_baggage *a = NULL, *b = NULL, *c = NULL;
  assert_int_equal(cotel_baggage_set(NULL, S("user"), S("alice"), S(""), &a),
                   0);
  assert_int_equal(cotel_baggage_set(a, S("tier"), S("gold"), S("p=1"), &b), 0);
  assert_int_equal(cotel_baggage_count(a), 1); /* a is unchanged */
  assert_int_equal(cotel_baggage_count(b), 2);
  assert_string_equal(get(b, "user"), "alice");
  assert_string_equal(get(b, "tier"), "gold");
  assert_string_equal(meta(b, 1), "p=1");
  assert_null(get(b, "nope"));
  assert_int_equal(cotel_baggage_remove(b, S("user"), &c), 0);
  assert_int_equal(cotel_baggage_count(c), 1);
  assert_null(get(c, "user"));
  cotel_baggage_release(a);
  cotel_baggage_release(b);
  cotel_baggage_release(c);
}

static void test_baggage_set_replaces_existing_entry_in_place(void **state) {
  (void)state;
  cotel_baggage *a = NULL, *b = NULL;
  assert_int_equal(parse("a=1,b=2,c=3", &a), 0);
  assert_int_equal(cotel_baggage_set(a, S("b"), S("9"), S(""), &b), 0);
  cotel_str k;
  cotel_baggage_entry(b, 1, &k, NULL, NULL);
  assert_memory_equal(k.ptr, "b", 1);
  assert_string_equal(get(b, "b"), "9");
  assert_int_equal(cotel_baggage_count(b), 3);
  cotel_baggage_release(a);
  cotel_baggage_release(b);
}

static void
test_baggage_set_rejects_non_token_key_and_bad_metadata(void **state) {
  (void)state;
  cotel_baggage *b = NULL;
  assert_int_equal(cotel_baggage_set(NULL, S("a b"), S("v"), S(""), &b),
                   COTEL_EINVAL);
  assert_int_equal(cotel_baggage_set(NULL, S(""), S("v"), S(""), &b),
                   COTEL_EINVAL);
  assert_int_equal(cotel_baggage_set(NULL, S("k"), S("v"), S("a,b"), &b),
                   COTEL_EINVAL);
  assert_null(b);
}

static void test_baggage_remove_of_absent_key_shares_object(void **state) {
  (void)state;
  cotel_baggage *a = NULL, *b = NULL;
  assert_int_equal(parse("a=1", &a), 0);
  assert_int_equal(cotel_baggage_remove(a, S("zz"), &b), 0);
  assert_ptr_equal(a, b);
  cotel_baggage_release(a);
  cotel_baggage_release(b);
}

/* ---- the header ---- */

static void test_baggage_parses_members_properties_and_ows(void **state) {
  (void)state;
  cotel_baggage *b = NULL;
  assert_int_equal(parse("key1=value1;property1;property2, key2 = value2, "
                         "key3=value3; propertyKey=propertyValue",
                         &b),
                   0);
  assert_int_equal(cotel_baggage_count(b), 3);
  assert_string_equal(get(b, "key2"), "value2");
  assert_string_equal(meta(b, 0), "property1;property2");
  assert_string_equal(meta(b, 2), "propertyKey=propertyValue");
  cotel_baggage_release(b);
}

static void test_baggage_percent_decodes_values(void **state) {
  (void)state;
  cotel_baggage *b = NULL;
  assert_int_equal(parse("serverNode=DF%2028,plus=a+b,eq=a=b,u=%C3%A9", &b), 0);
  assert_string_equal(get(b, "serverNode"), "DF 28");
  assert_string_equal(get(b, "plus"), "a+b"); /* '+' is not a space */
  assert_string_equal(get(b, "eq"), "a=b");
  assert_string_equal(get(b, "u"), "\xc3\xa9");
  cotel_baggage_release(b);
}

static void test_baggage_replaces_invalid_utf8_with_fffd(void **state) {
  (void)state;
  cotel_baggage *b = NULL;
  assert_int_equal(parse("k=a%FFb", &b), 0);
  assert_string_equal(get(b, "k"), "a\xef\xbf\xbd"
                                   "b");
  cotel_baggage_release(b);
}

static void test_baggage_skips_invalid_members(void **state) {
  (void)state;
  cotel_baggage *b = NULL;
  assert_int_equal(parse("good=1,no_equals,=novalue,bad key=1,q=\"x\","
                         "esc=%zz,also=2;bad prop",
                         &b),
                   0);
  assert_int_equal(cotel_baggage_count(b), 1);
  assert_string_equal(get(b, "good"), "1");
  cotel_baggage_release(b);
}

static void test_baggage_entirely_malformed_header_is_rejected(void **state) {
  (void)state;
  cotel_baggage *b = NULL;
  assert_int_equal(parse("garbage", &b), COTEL_EPARSE);
  assert_null(b);
  assert_int_equal(parse(" , ,", &b), 0);
  assert_null(b);
}

static void test_baggage_accepts_empty_value(void **state) {
  (void)state;
  cotel_baggage *b = NULL;
  assert_int_equal(parse("k=", &b), 0);
  assert_string_equal(get(b, "k"), "");
  cotel_baggage_release(b);
}

static void test_baggage_duplicate_key_last_value_wins(void **state) {
  (void)state;
  cotel_baggage *b = NULL;
  assert_int_equal(parse("k=1,j=2,k=3", &b), 0);
  assert_int_equal(cotel_baggage_count(b), 2);
  assert_string_equal(get(b, "k"), "3");
  cotel_baggage_release(b);
}

static void test_baggage_keeps_180_members_and_drops_the_rest(void **state) {
  (void)state;
  char *s = malloc(200 * 12), *p = s;
  for (int i = 0; i < 200; i++)
    p += sprintf(p, "%sk%d=v", i ? "," : "", i);
  cotel_baggage *b = NULL;
  assert_int_equal(parse(s, &b), 0);
  assert_int_equal(cotel_baggage_count(b), COTEL_BAGGAGE_MAX_MEMBERS);
  assert_non_null(get(b, "k179"));
  assert_null(get(b, "k180"));
  cotel_baggage_release(b);
  free(s);
}

static void test_baggage_drops_whole_members_beyond_8192_bytes(void **state) {
  (void)state;
  /* 3 members of 3000 bytes: the third would pass 8192 and is dropped
   * whole; a small one after it still fits. */
  size_t cap = 10000;
  char *s = malloc(cap), *p = s;
  for (int i = 0; i < 3; i++) {
    p += sprintf(p, "%sk%d=", i ? "," : "", i);
    memset(p, 'x', 2996);
    p += 2996;
  }
  p += sprintf(p, ",small=1");
  cotel_baggage *b = NULL;
  assert_int_equal(parse(s, &b), 0);
  assert_int_equal(cotel_baggage_count(b), 3);
  assert_non_null(get(b, "k1"));
  assert_null(get(b, "k2"));
  assert_string_equal(get(b, "small"), "1");
  assert_int_equal(strlen(get(b, "k0")), 2996);
  cotel_baggage_release(b);
  free(s);
}

static void test_baggage_format_percent_encodes_values(void **state) {
  (void)state;
  cotel_baggage *b = NULL, *c = NULL;
  assert_int_equal(
      cotel_baggage_set(NULL, S("k"), S("a b,c;d\"e\\f%g\xc3\xa9"), S(""), &b),
      0);
  char buf[128];
  size_t n = cotel_baggage_format(b, buf, sizeof buf);
  assert_string_equal(buf, "k=a%20b%2Cc%3Bd%22e%5Cf%25g%C3%A9");
  assert_int_equal(n, strlen(buf));
  assert_int_equal(parse(buf, &c), 0);
  assert_string_equal(get(c, "k"), "a b,c;d\"e\\f%g\xc3\xa9");
  cotel_baggage_release(b);
  cotel_baggage_release(c);
}

static void test_baggage_format_keeps_metadata(void **state) {
  (void)state;
  cotel_baggage *b = NULL;
  assert_int_equal(parse("a=1;p1;p2=x , b=2", &b), 0);
  char buf[64];
  cotel_baggage_format(b, buf, sizeof buf);
  assert_string_equal(buf, "a=1;p1;p2=x,b=2");
  cotel_baggage_release(b);
}

static void
test_baggage_format_drops_members_that_do_not_fit_8192(void **state) {
  (void)state;
  char *big = malloc(5001);
  memset(big, 'x', 5000);
  big[5000] = '\0';
  cotel_baggage *a = NULL, *b = NULL, *c = NULL;
  cotel_baggage_set(NULL, S("a"), S(big), S(""), &a);
  cotel_baggage_set(a, S("b"), S(big), S(""), &b);
  cotel_baggage_set(b, S("c"), S("1"), S(""), &c);
  char *buf = malloc(20000);
  size_t n = cotel_baggage_format(c, buf, 20000);
  assert_true(n <= COTEL_BAGGAGE_MAX_BYTES);
  assert_int_equal(n, 2 + 5000 + 4);
  assert_memory_equal(buf + n - 4, ",c=1", 4);
  /* A buffer too small gets nothing rather than a truncated member. */
  assert_int_equal(cotel_baggage_format(c, buf, 100), n);
  assert_string_equal(buf, "");
  cotel_baggage_release(a);
  cotel_baggage_release(b);
  cotel_baggage_release(c);
  free(big);
  free(buf);
}

/* ---- the propagator ---- */

static void test_baggage_propagator_combines_header_lines(void **state) {
  (void)state;
  hdrs in;
  hdrs_init(&in,
            (const char *[]){"baggage", "userId=alice", "Baggage",
                             "serverNode=DF%2028,isProduction=false", NULL});
  cotel_context *ctx = NULL;
  const cotel_propagator *p = cotel_propagator_baggage();
  assert_int_equal(p->extract(p, cotel_context_root(), &in.c, &ctx), 0);
  cotel_baggage *b = cotel_context_baggage(ctx);
  assert_int_equal(cotel_baggage_count(b), 3);
  assert_string_equal(get(b, "serverNode"), "DF 28");
  hdrs out;
  hdrs_init(&out, NULL);
  assert_int_equal(p->inject(p, ctx, &out.c), 0);
  assert_string_equal(hdr(&out, "baggage"),
                      "userId=alice,serverNode=DF%2028,isProduction=false");
  cotel_context_release(ctx);
}

static void test_baggage_propagator_ignores_malformed_header(void **state) {
  (void)state;
  hdrs in;
  hdrs_init(&in, (const char *[]){"baggage", ";;;", NULL});
  cotel_context *ctx = NULL;
  const cotel_propagator *p = cotel_propagator_baggage();
  assert_int_equal(p->extract(p, cotel_context_root(), &in.c, &ctx), 0);
  assert_ptr_equal(ctx, cotel_context_root());
  cotel_context_release(ctx);
}

static void
test_baggage_propagator_injects_nothing_without_baggage(void **state) {
  (void)state;
  hdrs out;
  hdrs_init(&out, NULL);
  const cotel_propagator *p = cotel_propagator_baggage();
  assert_int_equal(p->inject(p, cotel_context_root(), &out.c), 0);
  assert_int_equal(out.hc.count, 0);
}

static void test_baggage_propagator_injects_large_baggage(void **state) {
  (void)state;
  char *big = malloc(3001);
  memset(big, 'y', 3000);
  big[3000] = '\0';
  cotel_context *c1 = NULL, *c2 = NULL;
  assert_int_equal(
      cotel_context_set_baggage(cotel_context_root(), "a", big, &c1), 0);
  assert_int_equal(cotel_context_set_baggage(c1, "b", big, &c2), 0);
  hdrs out;
  hdrs_init(&out, NULL);
  const cotel_propagator *p = cotel_propagator_baggage();
  assert_int_equal(p->inject(p, c2, &out.c), 0);
  assert_int_equal(strlen(hdr(&out, "baggage")), 2 * 3002 + 1);
  cotel_context_release(c1);
  cotel_context_release(c2);
  free(big);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_baggage_set_get_remove),
      cmocka_unit_test(test_baggage_set_replaces_existing_entry_in_place),
      cmocka_unit_test(test_baggage_set_rejects_non_token_key_and_bad_metadata),
      cmocka_unit_test(test_baggage_remove_of_absent_key_shares_object),
      cmocka_unit_test(test_baggage_parses_members_properties_and_ows),
      cmocka_unit_test(test_baggage_percent_decodes_values),
      cmocka_unit_test(test_baggage_replaces_invalid_utf8_with_fffd),
      cmocka_unit_test(test_baggage_skips_invalid_members),
      cmocka_unit_test(test_baggage_entirely_malformed_header_is_rejected),
      cmocka_unit_test(test_baggage_accepts_empty_value),
      cmocka_unit_test(test_baggage_duplicate_key_last_value_wins),
      cmocka_unit_test(test_baggage_keeps_180_members_and_drops_the_rest),
      cmocka_unit_test(test_baggage_drops_whole_members_beyond_8192_bytes),
      cmocka_unit_test(test_baggage_format_percent_encodes_values),
      cmocka_unit_test(test_baggage_format_keeps_metadata),
      cmocka_unit_test(test_baggage_format_drops_members_that_do_not_fit_8192),
      cmocka_unit_test(test_baggage_propagator_combines_header_lines),
      cmocka_unit_test(test_baggage_propagator_ignores_malformed_header),
      cmocka_unit_test(test_baggage_propagator_injects_nothing_without_baggage),
      cmocka_unit_test(test_baggage_propagator_injects_large_baggage),
  };
  return cotel_test_run(argc, argv, "baggage", tests);
}
