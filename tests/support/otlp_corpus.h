/* Hand-built span records shared by test_otlp_encode.c and test_otlp_json.c:
 * every attribute and array type, empty arrays, events and links with
 * attributes and tracestate, every kind and status, local, remote and no
 * parents, dropped counts, three resources (one NULL) and four scope groups
 * (one NULL scope), interleaved so that grouping must reorder, non-ASCII,
 * invalid UTF-8 and control characters. Built without the span API: the
 * cotel_span_data struct is public. */
#ifndef COTEL_TEST_OTLP_CORPUS_H
#define COTEL_TEST_OTLP_CORPUS_H

#include <string.h>

#include "cotel/span_data.h"
#include "cotel/tracestate.h"

#define S(lit) ((cotel_str){(lit), sizeof(lit) - 1})

/* Strings that need UTF-8 repair, with the expected result (Unicode §3.9,
 * maximal subparts → one U+FFFD each). */
#define BAD_VALUE "bad\xff\xc3(\xe2\x82"
#define BAD_VALUE_FIXED "bad\xef\xbf\xbd\xef\xbf\xbd(\xef\xbf\xbd"
#define BAD_KEY "k\xed\xa0\x80"
#define BAD_KEY_FIXED "k\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
#define BAD_ELEM "\xf0\x9f\x98"
#define BAD_ELEM_FIXED "\xef\xbf\xbd"
#define UNICODE_NAME "h\xc3\xa9llo w\xc3\xb6rld \xe2\x9c\x93 \xf0\x9f\x98\x80"
#define CONTROL_VALUE "a\x01\x1f\tb\"c\\d\n"

typedef struct otlp_corpus {
  cotel_resource res1, res2;
  cotel_scope scope1, scope2, scope3;
  cotel_attr res1_attrs[2], res2_attrs[1], scope1_attrs[1];
  cotel_attr attrs0[4], attrs1[12], attrs2[2], attrs3[2], attrs4[1];
  cotel_attr ev_attrs[2], link_attrs[2];
  cotel_event events2[2];
  cotel_link links3[2];
  cotel_str str_arr[3], bad_arr[2];
  bool bool_arr[2];
  int64_t int_arr[4];
  double dbl_arr[3];
  cotel_tracestate *ts1, *ts2;
  cotel_span_data spans[6];
  const cotel_span_data *ptrs[7]; /* includes one NULL entry */
  size_t n;
} otlp_corpus;

static inline void corpus_ids(cotel_span_context *c, uint8_t seed,
                              uint8_t flags, bool remote) {
  for (int i = 0; i < 16; i++)
    c->trace_id.bytes[i] = (uint8_t)(seed + i);
  for (int i = 0; i < 8; i++)
    c->span_id.bytes[i] = (uint8_t)(seed * 3 + i);
  c->flags = flags;
  c->is_remote = remote;
  c->tracestate = NULL;
}

static inline void corpus_parent(cotel_span_data *sd, uint8_t seed,
                                 bool remote) {
  for (int i = 0; i < 8; i++)
    sd->parent_span_id.bytes[i] = (uint8_t)(0xa0 + seed + i);
  sd->parent_is_remote = remote;
}

/* with_tracestate: false exercises the NULL-tracestate path only. */
static inline void otlp_corpus_build(otlp_corpus *c, bool with_tracestate) {
  memset(c, 0, sizeof(*c));
  if (with_tracestate) {
    const char *t1 = "vendor=abc,other=x:y", *t2 = "congo=t61rcWkgMzE";
    if (cotel_tracestate_parse(t1, strlen(t1), &c->ts1)) c->ts1 = NULL;
    if (cotel_tracestate_parse(t2, strlen(t2), &c->ts2)) c->ts2 = NULL;
  }

  c->res1_attrs[0] = cotel_attr_string("service.name", "svc");
  c->res1_attrs[1] = cotel_attr_string("telemetry.sdk.language", "c");
  c->res1 = (cotel_resource){c->res1_attrs, 2,
                             S("https://opentelemetry.io/schemas/1.24.0")};
  c->res2_attrs[0] = cotel_attr_int("process.pid", 4242);
  c->res2 = (cotel_resource){c->res2_attrs, 1, {NULL, 0}};
  c->scope1_attrs[0] = cotel_attr_bool("scope.attr", true);
  c->scope1 = (cotel_scope){S("lib.a"), S("1.0"), S("https://x/s1"),
                            c->scope1_attrs, 1};
  c->scope2 = (cotel_scope){S("lib.b"), {NULL, 0}, {NULL, 0}, NULL, 0};
  c->scope3 =
      (cotel_scope){S("\xc3\xbcnicode.lib"), S("2"), {NULL, 0}, NULL, 0};

  /* 0: res1/scope1, root, INTERNAL, UNSET, the 4-attribute span. */
  cotel_span_data *sd = &c->spans[0];
  corpus_ids(&sd->context, 1, 0x03, false);
  sd->name = S("GET /");
  sd->kind = COTEL_SPAN_KIND_INTERNAL;
  sd->start_ns = 1700000000000000000ull;
  sd->end_ns = 1700000000000123456ull;
  c->attrs0[0] = cotel_attr_string("http.method", "GET");
  c->attrs0[1] = cotel_attr_bool("ok", true);
  c->attrs0[2] = cotel_attr_int("http.status_code", 200);
  c->attrs0[3] = cotel_attr_double("ratio", 0.25);
  sd->attrs = c->attrs0;
  sd->n_attrs = 4;
  sd->scope = &c->scope1;
  sd->resource = &c->res1;

  /* 1: res1/scope2, local parent, SERVER, OK, every array type. */
  sd = &c->spans[1];
  corpus_ids(&sd->context, 2, 0x01, false);
  corpus_parent(sd, 2, false);
  sd->name = S("server");
  sd->kind = COTEL_SPAN_KIND_SERVER;
  sd->start_ns = 5;
  sd->end_ns = 6;
  sd->status = COTEL_STATUS_OK;
  c->str_arr[0] = S("a");
  c->str_arr[1] = S("");
  c->str_arr[2] = S("\xc3\xa9t\xc3\xa9");
  c->bad_arr[0] = S(BAD_ELEM);
  c->bad_arr[1] = S("ok");
  c->bool_arr[0] = true;
  c->bool_arr[1] = false;
  c->int_arr[0] = 0;
  c->int_arr[1] = -1;
  c->int_arr[2] = INT64_MAX;
  c->int_arr[3] = INT64_MIN;
  c->dbl_arr[0] = 1.5;
  c->dbl_arr[1] = -0.0;
  c->dbl_arr[2] = 1e300;
  c->attrs1[0] = cotel_attr_array("s", COTEL_ATTR_STRING_ARRAY, c->str_arr, 3);
  c->attrs1[1] = cotel_attr_array("b", COTEL_ATTR_BOOL_ARRAY, c->bool_arr, 2);
  c->attrs1[2] = cotel_attr_array("i", COTEL_ATTR_INT_ARRAY, c->int_arr, 4);
  c->attrs1[3] = cotel_attr_array("d", COTEL_ATTR_DOUBLE_ARRAY, c->dbl_arr, 3);
  c->attrs1[4] = cotel_attr_array("es", COTEL_ATTR_STRING_ARRAY, NULL, 0);
  c->attrs1[5] = cotel_attr_array("eb", COTEL_ATTR_BOOL_ARRAY, c->bool_arr, 0);
  c->attrs1[6] = cotel_attr_array("ei", COTEL_ATTR_INT_ARRAY, NULL, 0);
  c->attrs1[7] = cotel_attr_array("ed", COTEL_ATTR_DOUBLE_ARRAY, NULL, 0);
  c->attrs1[8] = cotel_attr_int("neg", -42);
  c->attrs1[9] = cotel_attr_bool("no", false);
  c->attrs1[10] = cotel_attr_string("empty", "");
  c->attrs1[11] =
      cotel_attr_array("bs", COTEL_ATTR_STRING_ARRAY, c->bad_arr, 2);
  sd->attrs = c->attrs1;
  sd->n_attrs = 12;
  sd->scope = &c->scope2;
  sd->resource = &c->res1;

  /* 2: res2/scope3, remote parent, CLIENT, ERROR, events, dropped counts,
   * tracestate. */
  sd = &c->spans[2];
  corpus_ids(&sd->context, 3, 0x01, false);
  sd->context.tracestate = c->ts1;
  corpus_parent(sd, 3, true);
  sd->name = S("client");
  sd->kind = COTEL_SPAN_KIND_CLIENT;
  sd->start_ns = 10;
  sd->end_ns = 20;
  sd->status = COTEL_STATUS_ERROR;
  sd->status_message = S("boom \"quoted\"");
  c->attrs2[0] = cotel_attr_int("zero", 0);
  c->attrs2[1] = cotel_attr_double("nan", __builtin_nan(""));
  sd->attrs = c->attrs2;
  sd->n_attrs = 2;
  sd->dropped_attrs = 3;
  c->ev_attrs[0] = cotel_attr_string("exception.type", "E");
  c->ev_attrs[1] = cotel_attr_int("n", 300);
  c->events2[0] = (cotel_event){S("exception"), 15, c->ev_attrs, 2, 1};
  c->events2[1] = (cotel_event){{NULL, 0}, 0, NULL, 0, 0};
  sd->events = c->events2;
  sd->n_events = 2;
  sd->dropped_events = 2;
  sd->dropped_links = 1;
  sd->scope = &c->scope3;
  sd->resource = &c->res2;

  /* 3: res1/scope1 again (after other groups), PRODUCER, links, non-ASCII
   * name, invalid UTF-8 key and value. */
  sd = &c->spans[3];
  corpus_ids(&sd->context, 4, 0x00, false);
  corpus_parent(sd, 4, false);
  sd->name = S(UNICODE_NAME);
  sd->kind = COTEL_SPAN_KIND_PRODUCER;
  sd->start_ns = 30;
  sd->end_ns = 31;
  c->attrs3[0] = (cotel_attr){S(BAD_KEY), COTEL_ATTR_STRING, {.s = S("v")}};
  c->attrs3[1] = (cotel_attr){S("bad"), COTEL_ATTR_STRING, {.s = S(BAD_VALUE)}};
  sd->attrs = c->attrs3;
  sd->n_attrs = 2;
  c->link_attrs[0] = cotel_attr_string("link.kind", "follows");
  c->link_attrs[1] = cotel_attr_double("w", -2.5);
  corpus_ids(&c->links3[0].context, 9, 0x01, true);
  c->links3[0].context.tracestate = c->ts2;
  c->links3[0].attrs = c->link_attrs;
  c->links3[0].n_attrs = 2;
  c->links3[0].dropped_attrs = 4;
  corpus_ids(&c->links3[1].context, 10, 0x00, false);
  sd->links = c->links3;
  sd->n_links = 2;
  sd->scope = &c->scope1;
  sd->resource = &c->res1;

  /* 4: res2/scope3, CONSUMER, control characters, sampled+random flags. */
  sd = &c->spans[4];
  corpus_ids(&sd->context, 5, 0x03, false);
  sd->name = S("consume");
  sd->kind = COTEL_SPAN_KIND_CONSUMER;
  sd->start_ns = 40;
  sd->end_ns = 41;
  c->attrs4[0] =
      (cotel_attr){S("ctl"), COTEL_ATTR_STRING, {.s = S(CONTROL_VALUE)}};
  sd->attrs = c->attrs4;
  sd->n_attrs = 1;
  sd->scope = &c->scope3;
  sd->resource = &c->res2;

  /* 5: no resource, scope2, INTERNAL, remote parent, empty name. */
  sd = &c->spans[5];
  corpus_ids(&sd->context, 6, 0x01, false);
  corpus_parent(sd, 6, true);
  sd->kind = COTEL_SPAN_KIND_INTERNAL;
  sd->start_ns = 50;
  sd->end_ns = 50;
  sd->scope = &c->scope2;
  sd->resource = NULL;

  c->ptrs[0] = &c->spans[0];
  c->ptrs[1] = &c->spans[1];
  c->ptrs[2] = &c->spans[2];
  c->ptrs[3] = NULL; /* skipped by the encoders */
  c->ptrs[4] = &c->spans[3];
  c->ptrs[5] = &c->spans[4];
  c->ptrs[6] = &c->spans[5];
  c->n = 7;
}

static inline void otlp_corpus_free(otlp_corpus *c) {
  cotel_tracestate_release(c->ts1);
  cotel_tracestate_release(c->ts2);
}

#endif
