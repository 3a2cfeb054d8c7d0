/* libFuzzer: httpkit's JSON parser (examples/httpkit/hk_json.c), which
 * w3c-service and cotel-hop run on untrusted request bodies.
 *
 * Any input must be parsed or rejected without a crash, leak or read past
 * its end (the input is an exact-size copy). An accepted document must
 * write out compactly, that output must parse again, and writing the second
 * tree must give the same bytes (the writer is a fixed point). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "httpkit.h"

#define CHECK(c)                                                               \
  do {                                                                         \
    if (!(c)) abort();                                                         \
  } while (0)

/* Depth of a tree, to check the parser's limit holds. */
static int depth(const hk_json *v) {
  int d = 0;
  if (v->type != HK_JSON_ARRAY && v->type != HK_JSON_OBJECT) return 0;
  for (size_t i = 0; i < v->n; i++) {
    int c = depth(v->items[i]);
    if (c > d) d = c;
  }
  return d + 1;
}

static void check_tree(const hk_json *v) {
  switch (v->type) {
  case HK_JSON_STRING:
  case HK_JSON_NUMBER:
    CHECK(v->str && v->str[v->len] == 0);
    break;
  case HK_JSON_OBJECT:
    for (size_t i = 0; i < v->n; i++)
      CHECK(v->keys[i]->type == HK_JSON_STRING);
    /* fallthrough */
  case HK_JSON_ARRAY:
    for (size_t i = 0; i < v->n; i++)
      check_tree(v->items[i]);
    break;
  default:
    break;
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *s = malloc(size ? size : 1);
  if (!s) return 0;
  memcpy(s, data, size);
  hk_json *v = (hk_json *)(uintptr_t)1;
  int rc = hk_json_parse(s, size, &v);
  free(s);
  if (rc != 0) {
    CHECK(v == NULL && (rc == COTEL_EPARSE || rc == COTEL_ENOMEM));
    return 0;
  }
  CHECK(v != NULL);
  CHECK(depth(v) <= HK_JSON_MAX_DEPTH);
  check_tree(v);
  /* The handlers look members up by key: exercise it on the root. */
  (void)hk_json_get(v, "traceparent");

  hk_buf a = {0}, b = {0};
  CHECK(hk_json_write(v, &a) == 0 && a.data);
  hk_json *w = NULL;
  CHECK(hk_json_parse(a.data, a.len, &w) == 0 && w);
  CHECK(w->type == v->type && w->n == v->n);
  CHECK(hk_json_write(w, &b) == 0);
  CHECK(a.len == b.len && memcmp(a.data, b.data, a.len) == 0);
  hk_json_free(w);
  hk_json_free(v);
  hk_buf_free(&a);
  hk_buf_free(&b);
  return 0;
}
