/* The OTLP/JSON encoder: output parsed by a strict minimal JSON parser
 * (RFC 8259; it also rejects invalid UTF-8 and raw control characters) and
 * checked field by field, plus exact text for a simple span. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"

#include "support/otlp_corpus.h"
#include "support/internal.h"

/* ---- a strict minimal JSON parser -----------------------------------------
 */

typedef struct jv {
  char type; /* o a s n t f z */
  char *s;   /* decoded string, or number text */
  size_t slen;
  struct jv *kid; /* children of objects and arrays */
  char **key;
  size_t n;
} jv;

typedef struct jp {
  const char *p, *end;
  int depth;
} jp;

static void ws(jp *j) {
  while (j->p < j->end &&
         (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
    j->p++;
}

static bool parse_value(jp *j, jv *v);

static void put_utf8(char *out, size_t *len, uint32_t cp) {
  if (cp < 0x80) {
    out[(*len)++] = (char)cp;
  } else if (cp < 0x800) {
    out[(*len)++] = (char)(0xC0 | (cp >> 6));
    out[(*len)++] = (char)(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out[(*len)++] = (char)(0xE0 | (cp >> 12));
    out[(*len)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[(*len)++] = (char)(0x80 | (cp & 0x3F));
  } else {
    out[(*len)++] = (char)(0xF0 | (cp >> 18));
    out[(*len)++] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[(*len)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[(*len)++] = (char)(0x80 | (cp & 0x3F));
  }
}

static bool hex4(jp *j, uint32_t *v) {
  *v = 0;
  for (int i = 0; i < 4; i++) {
    if (j->p >= j->end) return false;
    char c = *j->p++;
    *v <<= 4;
    if (c >= '0' && c <= '9')
      *v |= (uint32_t)(c - '0');
    else if (c >= 'a' && c <= 'f')
      *v |= (uint32_t)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F')
      *v |= (uint32_t)(c - 'A' + 10);
    else
      return false;
  }
  return true;
}

/* Length of a valid UTF-8 sequence at p (Unicode Table 3-7), 0 if none. */
static size_t utf8_seq(const unsigned char *p, size_t n) {
  unsigned char c = p[0];
  size_t need;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF)
    need = 1;
  else if (c >= 0xE0 && c <= 0xEF)
    need = 2;
  else if (c >= 0xF0 && c <= 0xF4)
    need = 3;
  else
    return 0;
  if (c == 0xE0) lo = 0xA0;
  if (c == 0xED) hi = 0x9F;
  if (c == 0xF0) lo = 0x90;
  if (c == 0xF4) hi = 0x8F;
  if (n < need + 1 || p[1] < lo || p[1] > hi) return 0;
  for (size_t i = 2; i <= need; i++)
    if (p[i] < 0x80 || p[i] > 0xBF) return 0;
  return need + 1;
}

static bool parse_string(jp *j, char **out, size_t *outlen) {
  if (j->p >= j->end || *j->p != '"') return false;
  j->p++;
  /* Size the copy by this string, not the rest of the document (that was
   * quadratic: a large batch exhausted TSan's shadow memory). */
  const char *q = j->p;
  while (q < j->end && *q != '"')
    q += (*q == '\\' && q + 1 < j->end) ? 2 : 1;
  char *s = malloc((size_t)(q - j->p) * 2 + 1);
  size_t len = 0;
  while (j->p < j->end && *j->p != '"') {
    unsigned char c = (unsigned char)*j->p;
    if (c < 0x20) goto fail; /* RFC 8259 §7: must be escaped */
    if (c == '\\') {
      j->p++;
      if (j->p >= j->end) goto fail;
      char e = *j->p++;
      uint32_t cp;
      switch (e) {
      case '"':
        s[len++] = '"';
        break;
      case '\\':
        s[len++] = '\\';
        break;
      case '/':
        s[len++] = '/';
        break;
      case 'b':
        s[len++] = '\b';
        break;
      case 'f':
        s[len++] = '\f';
        break;
      case 'n':
        s[len++] = '\n';
        break;
      case 'r':
        s[len++] = '\r';
        break;
      case 't':
        s[len++] = '\t';
        break;
      case 'u':
        if (!hex4(j, &cp)) goto fail;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          uint32_t lo;
          if (j->end - j->p < 6 || j->p[0] != '\\' || j->p[1] != 'u') goto fail;
          j->p += 2;
          if (!hex4(j, &lo) || lo < 0xDC00 || lo > 0xDFFF) goto fail;
          cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
          goto fail;
        }
        put_utf8(s, &len, cp);
        break;
      default:
        goto fail;
      }
      continue;
    }
    if (c < 0x80) {
      s[len++] = (char)c;
      j->p++;
      continue;
    }
    size_t k = utf8_seq((const unsigned char *)j->p, (size_t)(j->end - j->p));
    if (!k) goto fail; /* RFC 8259 §8.1: JSON text is UTF-8 */
    memcpy(s + len, j->p, k);
    len += k;
    j->p += k;
  }
  if (j->p >= j->end) goto fail;
  j->p++;
  s[len] = '\0';
  *out = s;
  *outlen = len;
  return true;
fail:
  free(s);
  return false;
}

static bool parse_number(jp *j, jv *v) {
  const char *st = j->p;
  if (j->p < j->end && *j->p == '-') j->p++;
  if (j->p >= j->end) return false;
  if (*j->p == '0') {
    j->p++;
  } else if (*j->p >= '1' && *j->p <= '9') {
    while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
      j->p++;
  } else {
    return false;
  }
  if (j->p < j->end && *j->p == '.') {
    j->p++;
    if (j->p >= j->end || *j->p < '0' || *j->p > '9') return false;
    while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
      j->p++;
  }
  if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
    j->p++;
    if (j->p < j->end && (*j->p == '+' || *j->p == '-')) j->p++;
    if (j->p >= j->end || *j->p < '0' || *j->p > '9') return false;
    while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
      j->p++;
  }
  v->type = 'n';
  v->slen = (size_t)(j->p - st);
  v->s = malloc(v->slen + 1);
  memcpy(v->s, st, v->slen);
  v->s[v->slen] = '\0';
  return true;
}

static bool lit(jp *j, const char *w) {
  size_t n = strlen(w);
  if ((size_t)(j->end - j->p) < n || memcmp(j->p, w, n)) return false;
  j->p += n;
  return true;
}

static bool parse_container(jp *j, jv *v, bool obj) {
  char close = obj ? '}' : ']';
  v->type = obj ? 'o' : 'a';
  j->p++;
  ws(j);
  if (j->p < j->end && *j->p == close) {
    j->p++;
    return true;
  }
  for (;;) {
    v->kid = realloc(v->kid, (v->n + 1) * sizeof(jv));
    v->key = realloc(v->key, (v->n + 1) * sizeof(char *));
    memset(&v->kid[v->n], 0, sizeof(jv));
    v->key[v->n] = NULL;
    v->n++;
    if (obj) {
      size_t kl;
      ws(j);
      if (!parse_string(j, &v->key[v->n - 1], &kl)) return false;
      for (size_t i = 0; i + 1 < v->n; i++) /* keys are unique */
        if (!strcmp(v->key[i], v->key[v->n - 1])) return false;
      ws(j);
      if (j->p >= j->end || *j->p != ':') return false;
      j->p++;
    }
    if (!parse_value(j, &v->kid[v->n - 1])) return false;
    ws(j);
    if (j->p < j->end && *j->p == ',') {
      j->p++;
      continue;
    }
    if (j->p < j->end && *j->p == close) {
      j->p++;
      return true;
    }
    return false;
  }
}

static bool parse_value(jp *j, jv *v) {
  ws(j);
  if (j->p >= j->end || ++j->depth > 64) return false;
  bool ok;
  switch (*j->p) {
  case '{':
    ok = parse_container(j, v, true);
    break;
  case '[':
    ok = parse_container(j, v, false);
    break;
  case '"':
    v->type = 's';
    ok = parse_string(j, &v->s, &v->slen);
    break;
  case 't':
    v->type = 't';
    ok = lit(j, "true");
    break;
  case 'f':
    v->type = 'f';
    ok = lit(j, "false");
    break;
  case 'n':
    v->type = 'z';
    ok = lit(j, "null");
    break;
  default:
    ok = parse_number(j, v);
  }
  j->depth--;
  return ok;
}

static void jv_free(jv *v) {
  for (size_t i = 0; i < v->n; i++) {
    jv_free(&v->kid[i]);
    free(v->key[i]);
  }
  free(v->kid);
  free(v->key);
  free(v->s);
}

/* Parse a whole document; fails the test on any syntax error. */
static jv *parse_doc(const cotel__buf *b) {
  jv *v = calloc(1, sizeof(*v));
  jp j = {(const char *)b->data, (const char *)b->data + b->len, 0};
  bool ok = parse_value(&j, v);
  ws(&j);
  if (!ok || j.p != j.end) {
    print_error("invalid JSON at offset %zu: %.*s\n",
                (size_t)(j.p - (const char *)b->data), (int)b->len,
                (const char *)b->data);
    fail();
  }
  return v;
}

/* Look a path up: "resourceSpans.0.scopeSpans.1.name"; NULL if absent. */
static jv *jget(jv *v, const char *path) {
  char part[64];
  while (v && *path) {
    size_t n = strcspn(path, ".");
    assert_true(n < sizeof(part));
    memcpy(part, path, n);
    part[n] = '\0';
    path += n + (path[n] == '.');
    jv *next = NULL;
    if (v->type == 'o') {
      for (size_t i = 0; i < v->n; i++)
        if (!strcmp(v->key[i], part)) next = &v->kid[i];
    } else if (v->type == 'a') {
      size_t idx = (size_t)strtoul(part, NULL, 10);
      if (idx < v->n) next = &v->kid[idx];
    }
    v = next;
  }
  return v;
}

static void expect_str(jv *root, const char *path, const char *want) {
  jv *v = jget(root, path);
  if (!v || v->type != 's' || strcmp(v->s, want)) {
    print_error("%s: want string \"%s\", got %s%s\n", path, want,
                v ? (v->type == 's' ? "string " : "non-string ") : "nothing",
                v && v->s ? v->s : "");
    fail();
  }
}

static void expect_num(jv *root, const char *path, const char *want) {
  jv *v = jget(root, path);
  if (!v || v->type != 'n' || strcmp(v->s, want)) {
    print_error("%s: want number %s, got %s\n", path, want,
                v && v->s ? v->s : "(not a number)");
    fail();
  }
}

static void expect_absent(jv *root, const char *path) {
  if (jget(root, path)) {
    print_error("%s: expected to be absent\n", path);
    fail();
  }
}

static void expect_count(jv *root, const char *path, size_t n) {
  jv *v = jget(root, path);
  assert_non_null(v);
  assert_true(v->type == 'a' || v->type == 'o');
  assert_int_equal(v->n, n);
}

static jv *encode_corpus(otlp_corpus *c, cotel__buf *b) {
  otlp_corpus_build(c, true);
  cotel__buf_init(b);
  assert_int_equal(cotel__otlp_encode_json(c->ptrs, c->n, b), 0);
  return parse_doc(b);
}

/* ---- tests ----------------------------------------------------------------
 */

static void test_encode_json_corpus_is_strict_json(void **state) {
  (void)state;
  otlp_corpus c;
  cotel__buf b;
  jv *doc = encode_corpus(&c, &b);
  assert_int_equal(doc->type, 'o');
  assert_int_equal(doc->n, 1);
  jv_free(doc);
  free(doc);
  cotel__buf_free(&b);
  otlp_corpus_free(&c);
}

static void test_encode_json_single_span_matches_expected_text(void **state) {
  (void)state;
  otlp_corpus c;
  otlp_corpus_build(&c, true);
  cotel__buf b;
  cotel__buf_init(&b);
  const cotel_span_data *one = &c.spans[0];
  assert_int_equal(cotel__otlp_encode_json(&one, 1, &b), 0);
  const char *want =
      "{\"resourceSpans\":[{\"resource\":{\"attributes\":["
      "{\"key\":\"service.name\",\"value\":{\"stringValue\":\"svc\"}},"
      "{\"key\":\"telemetry.sdk.language\",\"value\":{\"stringValue\":\"c\"}}"
      "]},\"scopeSpans\":[{\"scope\":{\"name\":\"lib.a\",\"version\":\"1.0\","
      "\"attributes\":[{\"key\":\"scope.attr\",\"value\":{\"boolValue\":true}}"
      "]},\"spans\":[{\"traceId\":\"0102030405060708090a0b0c0d0e0f10\","
      "\"spanId\":\"030405060708090a\",\"flags\":259,\"name\":\"GET /\","
      "\"kind\":1,\"startTimeUnixNano\":\"1700000000000000000\","
      "\"endTimeUnixNano\":\"1700000000000123456\",\"attributes\":["
      "{\"key\":\"http.method\",\"value\":{\"stringValue\":\"GET\"}},"
      "{\"key\":\"ok\",\"value\":{\"boolValue\":true}},"
      "{\"key\":\"http.status_code\",\"value\":{\"intValue\":\"200\"}},"
      "{\"key\":\"ratio\",\"value\":{\"doubleValue\":0.25}}]}],"
      "\"schemaUrl\":\"https://x/s1\"}],"
      "\"schemaUrl\":\"https://opentelemetry.io/schemas/1.24.0\"}]}";
  assert_int_equal(b.len, strlen(want));
  assert_memory_equal(b.data, want, b.len);
  cotel__buf_free(&b);
  otlp_corpus_free(&c);
}

static void test_encode_json_groups_and_span_fields(void **state) {
  (void)state;
  otlp_corpus c;
  cotel__buf b;
  jv *d = encode_corpus(&c, &b);
  /* res1{scope1[0,3], scope2[1]}, res2{scope3[2,4]}, none{scope2[5]} */
  expect_count(d, "resourceSpans", 3);
  expect_count(d, "resourceSpans.0.scopeSpans", 2);
  expect_count(d, "resourceSpans.0.scopeSpans.0.spans", 2);
  expect_count(d, "resourceSpans.0.scopeSpans.1.spans", 1);
  expect_count(d, "resourceSpans.1.scopeSpans", 1);
  expect_count(d, "resourceSpans.1.scopeSpans.0.spans", 2);
  expect_count(d, "resourceSpans.2.scopeSpans", 1);
  expect_count(d, "resourceSpans.2.scopeSpans.0.spans", 1);
  expect_str(d, "resourceSpans.0.scopeSpans.0.spans.0.name", "GET /");
  expect_str(d, "resourceSpans.0.scopeSpans.0.spans.1.name", UNICODE_NAME);
  expect_str(d, "resourceSpans.0.scopeSpans.1.spans.0.name", "server");
  expect_str(d, "resourceSpans.1.scopeSpans.0.spans.0.name", "client");
  expect_str(d, "resourceSpans.1.scopeSpans.0.spans.1.name", "consume");
  expect_absent(d, "resourceSpans.2.scopeSpans.0.spans.0.name");
  /* Resources and scopes. */
  expect_str(d, "resourceSpans.0.resource.attributes.0.key", "service.name");
  expect_str(d, "resourceSpans.0.schemaUrl",
             "https://opentelemetry.io/schemas/1.24.0");
  expect_str(d, "resourceSpans.1.resource.attributes.0.value.intValue", "4242");
  expect_absent(d, "resourceSpans.1.schemaUrl");
  expect_absent(d, "resourceSpans.2.resource");
  expect_absent(d, "resourceSpans.2.schemaUrl");
  expect_str(d, "resourceSpans.0.scopeSpans.0.scope.version", "1.0");
  expect_str(d, "resourceSpans.0.scopeSpans.0.schemaUrl", "https://x/s1");
  expect_str(d, "resourceSpans.1.scopeSpans.0.scope.name",
             "\xc3\xbcnicode.lib");
  expect_str(d, "resourceSpans.2.scopeSpans.0.scope.name", "lib.b");
  expect_absent(d, "resourceSpans.2.scopeSpans.0.scope.version");
  expect_absent(d, "resourceSpans.0.scopeSpans.1.schemaUrl");
  jv_free(d);
  free(d);
  cotel__buf_free(&b);
  otlp_corpus_free(&c);
}

#define CLIENT "resourceSpans.1.scopeSpans.0.spans.0."
#define PRODUCER "resourceSpans.0.scopeSpans.0.spans.1."
#define SERVER "resourceSpans.0.scopeSpans.1.spans.0."

static void test_encode_json_ids_flags_kinds_times_and_status(void **state) {
  (void)state;
  otlp_corpus c;
  cotel__buf b;
  jv *d = encode_corpus(&c, &b);
  /* Ids are lowercase hex (OTLP/JSON), not base64. */
  expect_str(d, CLIENT "traceId", "030405060708090a0b0c0d0e0f101112");
  expect_str(d, CLIENT "spanId", "090a0b0c0d0e0f10");
  expect_str(d, CLIENT "parentSpanId", "a3a4a5a6a7a8a9aa");
  expect_absent(d, "resourceSpans.0.scopeSpans.0.spans.0.parentSpanId");
  expect_str(d, CLIENT "traceState", "vendor=abc,other=x:y");
  expect_absent(d, SERVER "traceState");
  /* flags: trace flags | 0x100 | (remote parent ? 0x200 : 0). */
  expect_num(d, "resourceSpans.0.scopeSpans.0.spans.0.flags", "259");
  expect_num(d, SERVER "flags", "257");
  expect_num(d, CLIENT "flags", "769");
  expect_num(d, PRODUCER "flags", "256");
  /* Enums are integers; 64-bit times are decimal strings. */
  expect_num(d, CLIENT "kind", "3");
  expect_num(d, SERVER "kind", "2");
  expect_num(d, PRODUCER "kind", "4");
  expect_num(d, "resourceSpans.1.scopeSpans.0.spans.1.kind", "5");
  expect_num(d, "resourceSpans.0.scopeSpans.0.spans.0.kind", "1");
  expect_str(d, "resourceSpans.0.scopeSpans.0.spans.0.startTimeUnixNano",
             "1700000000000000000");
  expect_str(d, CLIENT "endTimeUnixNano", "20");
  /* Status: absent when UNSET, message only when set. */
  expect_absent(d, "resourceSpans.0.scopeSpans.0.spans.0.status");
  expect_num(d, SERVER "status.code", "1");
  expect_absent(d, SERVER "status.message");
  expect_num(d, CLIENT "status.code", "2");
  expect_str(d, CLIENT "status.message", "boom \"quoted\"");
  /* Dropped counts are numbers, omitted when zero. */
  expect_num(d, CLIENT "droppedAttributesCount", "3");
  expect_num(d, CLIENT "droppedEventsCount", "2");
  expect_num(d, CLIENT "droppedLinksCount", "1");
  expect_absent(d, SERVER "droppedAttributesCount");
  jv_free(d);
  free(d);
  cotel__buf_free(&b);
  otlp_corpus_free(&c);
}

static void test_encode_json_events_and_links(void **state) {
  (void)state;
  otlp_corpus c;
  cotel__buf b;
  jv *d = encode_corpus(&c, &b);
  expect_count(d, CLIENT "events", 2);
  expect_str(d, CLIENT "events.0.timeUnixNano", "15");
  expect_str(d, CLIENT "events.0.name", "exception");
  expect_str(d, CLIENT "events.0.attributes.0.value.stringValue", "E");
  expect_str(d, CLIENT "events.0.attributes.1.value.intValue", "300");
  expect_num(d, CLIENT "events.0.droppedAttributesCount", "1");
  expect_count(d, CLIENT "events.1", 0); /* every field default: {} */
  expect_count(d, PRODUCER "links", 2);
  expect_str(d, PRODUCER "links.0.traceId", "090a0b0c0d0e0f101112131415161718");
  expect_str(d, PRODUCER "links.0.spanId", "1b1c1d1e1f202122");
  expect_str(d, PRODUCER "links.0.traceState", "congo=t61rcWkgMzE");
  expect_str(d, PRODUCER "links.0.attributes.0.value.stringValue", "follows");
  expect_num(d, PRODUCER "links.0.attributes.1.value.doubleValue", "-2.5");
  expect_num(d, PRODUCER "links.0.droppedAttributesCount", "4");
  expect_num(d, PRODUCER "links.0.flags", "769");
  expect_num(d, PRODUCER "links.1.flags", "256");
  expect_absent(d, PRODUCER "links.1.traceState");
  expect_absent(d, PRODUCER "links.1.attributes");
  jv_free(d);
  free(d);
  cotel__buf_free(&b);
  otlp_corpus_free(&c);
}

static void test_encode_json_every_attribute_type(void **state) {
  (void)state;
  otlp_corpus c;
  cotel__buf b;
  jv *d = encode_corpus(&c, &b);
  const char *a = SERVER "attributes.";
  char path[160];
#define AT(rest) (snprintf(path, sizeof(path), "%s%s", a, rest), path)
  expect_str(d, AT("0.key"), "s");
  expect_count(d, AT("0.value.arrayValue.values"), 3);
  expect_str(d, AT("0.value.arrayValue.values.0.stringValue"), "a");
  expect_str(d, AT("0.value.arrayValue.values.1.stringValue"), "");
  expect_str(d, AT("0.value.arrayValue.values.2.stringValue"),
             "\xc3\xa9t\xc3\xa9");
  assert_int_equal(jget(d, AT("1.value.arrayValue.values.0.boolValue"))->type,
                   't');
  assert_int_equal(jget(d, AT("1.value.arrayValue.values.1.boolValue"))->type,
                   'f');
  expect_str(d, AT("2.value.arrayValue.values.0.intValue"), "0");
  expect_str(d, AT("2.value.arrayValue.values.1.intValue"), "-1");
  expect_str(d, AT("2.value.arrayValue.values.2.intValue"),
             "9223372036854775807");
  expect_str(d, AT("2.value.arrayValue.values.3.intValue"),
             "-9223372036854775808");
  expect_num(d, AT("3.value.arrayValue.values.0.doubleValue"), "1.5");
  expect_num(d, AT("3.value.arrayValue.values.1.doubleValue"), "-0");
  expect_num(d, AT("3.value.arrayValue.values.2.doubleValue"), "1e+300");
  /* Empty arrays: an ArrayValue with no values. */
  for (int i = 4; i <= 7; i++) {
    char rest[40];
    snprintf(rest, sizeof(rest), "%d.value.arrayValue", i);
    expect_count(d, AT(rest), 0);
  }
  expect_str(d, AT("8.value.intValue"), "-42");
  assert_int_equal(jget(d, AT("9.value.boolValue"))->type, 'f');
  expect_str(d, AT("10.value.stringValue"), "");
  expect_str(d, AT("11.value.arrayValue.values.0.stringValue"), BAD_ELEM_FIXED);
  expect_str(d, CLIENT "attributes.0.value.intValue", "0");
  expect_str(d, CLIENT "attributes.1.value.doubleValue", "NaN");
#undef AT
  jv_free(d);
  free(d);
  cotel__buf_free(&b);
  otlp_corpus_free(&c);
}

static void test_encode_json_doubles_round_trip_and_infinities(void **state) {
  (void)state;
  double vals[] = {0.1,  1.0 / 3.0,     5e-324,   1.7976931348623157e308,
                   -7.0, 123456789.125, INFINITY, -INFINITY};
  cotel_attr attrs[8];
  for (int i = 0; i < 8; i++)
    attrs[i] = cotel_attr_double("d", vals[i]);
  cotel_span_data sd;
  memset(&sd, 0, sizeof(sd));
  corpus_ids(&sd.context, 1, 1, false);
  sd.attrs = attrs;
  sd.n_attrs = 8;
  const cotel_span_data *one = &sd;
  cotel__buf b;
  cotel__buf_init(&b);
  assert_int_equal(cotel__otlp_encode_json(&one, 1, &b), 0);
  jv *d = parse_doc(&b);
  char path[128];
  for (int i = 0; i < 6; i++) {
    snprintf(path, sizeof(path),
             "resourceSpans.0.scopeSpans.0.spans.0.attributes.%d.value."
             "doubleValue",
             i);
    jv *v = jget(d, path);
    assert_non_null(v);
    assert_int_equal(v->type, 'n');
    assert_true(strtod(v->s, NULL) == vals[i]);
  }
  expect_num(d,
             "resourceSpans.0.scopeSpans.0.spans.0.attributes.0.value."
             "doubleValue",
             "0.1");
  expect_str(d,
             "resourceSpans.0.scopeSpans.0.spans.0.attributes.6.value."
             "doubleValue",
             "Infinity");
  expect_str(d,
             "resourceSpans.0.scopeSpans.0.spans.0.attributes.7.value."
             "doubleValue",
             "-Infinity");
  /* No resource and no scope: both objects are omitted. */
  expect_absent(d, "resourceSpans.0.resource");
  expect_absent(d, "resourceSpans.0.scopeSpans.0.scope");
  jv_free(d);
  free(d);
  cotel__buf_free(&b);
}

static void test_encode_json_escapes_control_characters(void **state) {
  (void)state;
  otlp_corpus c;
  cotel__buf b;
  jv *d = encode_corpus(&c, &b);
  /* The decoded value is the original text... */
  expect_str(d,
             "resourceSpans.1.scopeSpans.0.spans.1.attributes.0.value."
             "stringValue",
             CONTROL_VALUE);
  /* ...and the raw text uses the short escapes and \u00XX for the rest. */
  const char *raw = "\"a\\u0001\\u001f\\tb\\\"c\\\\d\\n\"";
  assert_non_null(memmem(b.data, b.len, raw, strlen(raw)));
  for (size_t i = 0; i < b.len; i++)
    assert_true(b.data[i] >= 0x20);
  jv_free(d);
  free(d);
  cotel__buf_free(&b);
  otlp_corpus_free(&c);
}

static void test_encode_json_repairs_invalid_utf8(void **state) {
  (void)state;
  otlp_corpus c;
  cotel__buf b;
  jv *d = encode_corpus(&c, &b); /* parse_doc rejects invalid UTF-8 */
  expect_str(d, PRODUCER "attributes.0.key", BAD_KEY_FIXED);
  expect_str(d, PRODUCER "attributes.1.value.stringValue", BAD_VALUE_FIXED);
  /* Valid multi-byte text is kept as is, not \u-escaped. */
  assert_non_null(memmem(b.data, b.len, UNICODE_NAME, strlen(UNICODE_NAME)));
  jv_free(d);
  free(d);
  cotel__buf_free(&b);
  otlp_corpus_free(&c);
}

static void test_encode_json_empty_batch(void **state) {
  (void)state;
  cotel__buf b;
  cotel__buf_init(&b);
  assert_int_equal(cotel__otlp_encode_json(NULL, 0, &b), 0);
  const char *want = "{\"resourceSpans\":[]}";
  assert_int_equal(b.len, strlen(want));
  assert_memory_equal(b.data, want, b.len);
  assert_int_equal(cotel__otlp_encode_json(NULL, 3, &b), COTEL_EINVAL);
  cotel__buf_free(&b);
}

static void test_encode_json_large_batch_is_valid(void **state) {
  (void)state;
  enum { N = 2000 };
  otlp_corpus c;
  otlp_corpus_build(&c, true);
  const cotel_span_data **many = malloc(N * sizeof(*many));
  assert_non_null(many);
  size_t non_null = 0;
  for (size_t i = 0; i < N; i++) {
    many[i] = c.ptrs[i % c.n];
    non_null += many[i] != NULL;
  }
  cotel__buf b;
  cotel__buf_init(&b);
  assert_int_equal(cotel__otlp_encode_json(many, N, &b), 0);
  jv *d = parse_doc(&b);
  expect_count(d, "resourceSpans", 3);
  size_t total = 0;
  jv *rs = jget(d, "resourceSpans");
  for (size_t i = 0; i < rs->n; i++) {
    jv *ss = jget(&rs->kid[i], "scopeSpans");
    for (size_t j = 0; j < ss->n; j++)
      total += jget(&ss->kid[j], "spans")->n;
  }
  assert_int_equal(total, non_null); /* the NULL entries are skipped */
  jv_free(d);
  free(d);
  free(many);
  cotel__buf_free(&b);
  otlp_corpus_free(&c);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_encode_json_corpus_is_strict_json),
      cmocka_unit_test(test_encode_json_single_span_matches_expected_text),
      cmocka_unit_test(test_encode_json_groups_and_span_fields),
      cmocka_unit_test(test_encode_json_ids_flags_kinds_times_and_status),
      cmocka_unit_test(test_encode_json_events_and_links),
      cmocka_unit_test(test_encode_json_every_attribute_type),
      cmocka_unit_test(test_encode_json_doubles_round_trip_and_infinities),
      cmocka_unit_test(test_encode_json_escapes_control_characters),
      cmocka_unit_test(test_encode_json_repairs_invalid_utf8),
      cmocka_unit_test(test_encode_json_empty_batch),
      cmocka_unit_test(test_encode_json_large_batch_is_valid),
  };
  return cotel_test_run(argc, argv, "otlp_json", tests);
}
