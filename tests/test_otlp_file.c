/* The OTLP file exporter: JSON lines parsed by jansson (an independent
 * parser) and checked field by field, size-based rotation, appending,
 * options from the environment, and the whole pipeline writing to stdout
 * and to a file from OTEL_TRACES_EXPORTER=otlp/file (cotel-demo). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test_util.h"

#include "support/otlp_corpus.h"
#include "support/internal.h"
#include "cotel/otlp_file.h"

typedef struct tmpdir {
  char dir[64];
  char path[128];
} tmpdir;

static void tmpdir_make(tmpdir *t) {
  snprintf(t->dir, sizeof t->dir, "/tmp/cotel-file-XXXXXX");
  assert_non_null(mkdtemp(t->dir));
  snprintf(t->path, sizeof t->path, "%s/traces.jsonl", t->dir);
}

static void tmpdir_remove(tmpdir *t) {
  char cmd[160];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", t->dir);
  assert_int_equal(system(cmd), 0);
}

static void on_done(void *arg, int rc) {
  *(int *)arg = rc;
}

static int export_once(cotel_exporter *e, const cotel_span_data *const *spans,
                       size_t n) {
  int rc = 1;
  e->export_spans(e, spans, n, on_done, &rc);
  return rc;
}

static char *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  char *buf = NULL;
  size_t cap = 0, n = 0, r;
  do {
    if (n + 4096 > cap) {
      cap = cap ? cap * 2 : 8192;
      buf = realloc(buf, cap + 1);
      assert_non_null(buf);
    }
    r = fread(buf + n, 1, 4096, f);
    n += r;
  } while (r);
  fclose(f);
  buf[n] = '\0';
  *len = n;
  return buf;
}

/* Every line of `text` is one JSON object with resourceSpans; returns the
 * number of lines and adds the number of spans to *spans. */
static size_t check_lines(const char *text, size_t len, size_t *spans) {
  size_t lines = 0;
  const char *p = text, *end = text + len;
  assert_true(len == 0 || end[-1] == '\n'); /* whole lines only */
  while (p < end) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    assert_non_null(nl);
    json_error_t err;
    json_t *root = json_loadb(p, (size_t)(nl - p), 0, &err);
    if (!root) fail_msg("line %zu: %s", lines + 1, err.text);
    json_t *rs = json_object_get(root, "resourceSpans");
    assert_true(json_is_array(rs));
    size_t i, j;
    json_t *r, *ss;
    json_array_foreach(rs, i, r) {
      json_array_foreach(json_object_get(r, "scopeSpans"), j, ss) *spans +=
          json_array_size(json_object_get(ss, "spans"));
    }
    json_decref(root);
    lines++;
    p = nl + 1;
  }
  return lines;
}

static json_t *find_span(json_t *root, const char *name, json_t **resource,
                         json_t **scope) {
  size_t i, j, k;
  json_t *r, *ss, *sp;
  json_array_foreach(json_object_get(root, "resourceSpans"), i, r) {
    json_array_foreach(json_object_get(r, "scopeSpans"), j, ss) {
      json_array_foreach(json_object_get(ss, "spans"), k, sp) {
        if (!strcmp(json_string_value(json_object_get(sp, "name")), name)) {
          *resource = json_object_get(r, "resource");
          *scope = json_object_get(ss, "scope");
          return sp;
        }
      }
    }
  }
  return NULL;
}

static json_t *attr_value(json_t *attrs, const char *key) {
  size_t i;
  json_t *a;
  json_array_foreach(attrs, i, a) {
    if (!strcmp(json_string_value(json_object_get(a, "key")), key))
      return json_object_get(a, "value");
  }
  return NULL;
}

static const char *str_at(json_t *o, const char *key) {
  const char *s = json_string_value(json_object_get(o, key));
  assert_non_null(s);
  return s;
}

static void test_file_exporter_writes_one_json_request_per_line(void **st) {
  (void)st;
  tmpdir t;
  otlp_corpus c;
  cotel_otlp_file_options o;
  cotel_exporter *e;
  tmpdir_make(&t);
  otlp_corpus_build(&c, true);
  cotel_otlp_file_options_init(&o);
  o.path = t.path;
  assert_int_equal(cotel_otlp_file_exporter_new(&o, &e), 0);
  assert_int_equal(export_once(e, c.ptrs, c.n), 0);
  assert_int_equal(export_once(e, c.ptrs, 1), 0);
  e->destroy(e);

  size_t len, spans = 0;
  char *text = slurp(t.path, &len);
  assert_non_null(text);
  assert_int_equal(check_lines(text, len, &spans), 2);
  assert_int_equal(spans, 6 + 1);

  /* The first line is exactly the OTLP/HTTP JSON body plus '\n'. */
  cotel__buf b;
  cotel__buf_init(&b);
  assert_int_equal(cotel__otlp_encode_json(c.ptrs, c.n, &b), 0);
  assert_true(b.len < len && text[b.len] == '\n');
  assert_memory_equal(text, b.data, b.len);
  cotel__buf_free(&b);

  /* Field by field through jansson. */
  json_error_t err;
  json_t *root = json_loadb(text, strchr(text, '\n') - text, 0, &err);
  assert_non_null(root);
  json_t *res, *scope, *sp = find_span(root, "GET /", &res, &scope);
  assert_non_null(sp);
  assert_string_equal(str_at(sp, "traceId"),
                      "0102030405060708090a0b0c0d0e0f10");
  assert_string_equal(str_at(sp, "spanId"), "030405060708090a");
  assert_string_equal(str_at(sp, "startTimeUnixNano"), "1700000000000000000");
  assert_string_equal(str_at(sp, "endTimeUnixNano"), "1700000000000123456");
  assert_string_equal(
      str_at(attr_value(json_object_get(res, "attributes"), "service.name"),
             "stringValue"),
      "svc");
  assert_string_equal(str_at(scope, "name"), "lib.a");
  json_t *attrs = json_object_get(sp, "attributes");
  assert_string_equal(str_at(attr_value(attrs, "http.method"), "stringValue"),
                      "GET");
  assert_true(
      json_is_true(json_object_get(attr_value(attrs, "ok"), "boolValue")));
  assert_string_equal(str_at(attr_value(attrs, "http.status_code"), "intValue"),
                      "200");
  assert_true(json_real_value(json_object_get(attr_value(attrs, "ratio"),
                                              "doubleValue")) == 0.25);

  sp = find_span(root, "client", &res, &scope);
  assert_non_null(sp);
  assert_int_equal(json_integer_value(json_object_get(sp, "kind")), 3);
  json_t *status = json_object_get(sp, "status");
  assert_int_equal(json_integer_value(json_object_get(status, "code")), 2);
  assert_string_equal(str_at(status, "message"), "boom \"quoted\"");
  assert_string_equal(str_at(sp, "parentSpanId"), "a3a4a5a6a7a8a9aa");
  assert_string_equal(str_at(sp, "traceState"), "vendor=abc,other=x:y");
  json_t *ev = json_array_get(json_object_get(sp, "events"), 0);
  assert_string_equal(str_at(ev, "name"), "exception");

  sp = find_span(root, UNICODE_NAME, &res, &scope);
  assert_non_null(sp); /* non-ASCII survives as UTF-8 */
  assert_string_equal(
      str_at(attr_value(json_object_get(sp, "attributes"), "bad"),
             "stringValue"),
      BAD_VALUE_FIXED);
  assert_int_equal(json_array_size(json_object_get(sp, "links")), 2);
  json_decref(root);
  free(text);
  otlp_corpus_free(&c);
  tmpdir_remove(&t);
}

static void test_file_exporter_appends_to_an_existing_file(void **st) {
  (void)st;
  tmpdir t;
  otlp_corpus c;
  cotel_otlp_file_options o;
  cotel_exporter *e;
  tmpdir_make(&t);
  otlp_corpus_build(&c, false);
  cotel_otlp_file_options_init(&o);
  o.path = t.path;
  for (int run = 0; run < 2; run++) {
    assert_int_equal(cotel_otlp_file_exporter_new(&o, &e), 0);
    assert_int_equal(export_once(e, c.ptrs, c.n), 0);
    e->destroy(e);
  }
  size_t len, spans = 0;
  char *text = slurp(t.path, &len);
  assert_int_equal(check_lines(text, len, &spans), 2);
  assert_int_equal(spans, 12);
  free(text);
  otlp_corpus_free(&c);
  tmpdir_remove(&t);
}

static void test_file_exporter_rotates_by_size_keeping_max_backups(void **st) {
  (void)st;
  tmpdir t;
  otlp_corpus c;
  cotel_otlp_file_options o;
  cotel_exporter *e;
  cotel__buf b;
  char name[160];
  tmpdir_make(&t);
  otlp_corpus_build(&c, false);
  cotel__buf_init(&b);
  assert_int_equal(cotel__otlp_encode_json(c.ptrs, 2, &b), 0);
  size_t line = b.len + 1;
  cotel__buf_free(&b);
  cotel_otlp_file_options_init(&o);
  o.path = t.path;
  o.max_bytes = 2 * line + line / 2; /* two lines per file */
  o.max_backups = 2;
  assert_int_equal(cotel_otlp_file_exporter_new(&o, &e), 0);
  for (int i = 0; i < 9; i++)
    assert_int_equal(export_once(e, c.ptrs, 2), 0);
  e->destroy(e);

  /* 9 lines: PATH.2 was rotated out twice; the newest 5 remain, 2 + 2 + 1,
   * each file whole lines and no larger than max_bytes. */
  size_t total = 0;
  size_t want[3] = {1, 2, 2};
  for (int k = 0; k <= 2; k++) {
    size_t len, spans = 0;
    if (k)
      snprintf(name, sizeof name, "%s.%d", t.path, k);
    else
      snprintf(name, sizeof name, "%s", t.path);
    char *text = slurp(name, &len);
    assert_non_null(text);
    assert_true(len <= o.max_bytes);
    assert_int_equal(check_lines(text, len, &spans), want[k]);
    assert_int_equal(spans, 2 * want[k]);
    total += want[k];
    free(text);
  }
  snprintf(name, sizeof name, "%s.3", t.path);
  assert_int_equal(access(name, F_OK), -1);
  assert_int_equal(total, 5);

  /* A line larger than max_bytes goes alone into a file, never split. */
  o.max_bytes = 10;
  o.max_backups = 0;
  assert_int_equal(cotel_otlp_file_exporter_new(&o, &e), 0);
  assert_int_equal(export_once(e, c.ptrs, 2), 0);
  e->destroy(e);
  size_t len, spans = 0;
  char *text = slurp(t.path, &len);
  assert_int_equal(check_lines(text, len, &spans), 1);
  assert_int_equal(len, line);
  free(text);
  otlp_corpus_free(&c);
  tmpdir_remove(&t);
}

static void test_file_exporter_fails_clearly_on_an_unwritable_path(void **st) {
  (void)st;
  cotel_otlp_file_options o;
  cotel_exporter *e = (cotel_exporter *)&o;
  cotel_otlp_file_options_init(&o);
  o.path = "/nonexistent-dir/cotel/traces.jsonl";
  cotel_log_set(NULL, NULL, COTEL_LOG_NONE);
  assert_int_equal(cotel_otlp_file_exporter_new(&o, &e), COTEL_ESYS);
  cotel_log_set(NULL, NULL, COTEL_LOG_WARN);
  assert_null(e);
  o.path = "file://";
  assert_int_equal(cotel_otlp_file_exporter_new(&o, &e), COTEL_EINVAL);
  assert_int_equal(cotel_otlp_file_exporter_new(&o, NULL), COTEL_EINVAL);
}

static void test_file_options_read_the_environment_traces_first(void **st) {
  (void)st;
  cotel_otlp_file_options o;
  cotel_otlp_file_options_init(&o);
  assert_null(o.path);
  assert_int_equal(o.max_bytes, 100u * 1024 * 1024);
  assert_int_equal(o.max_backups, 5);
  setenv("OTEL_EXPORTER_OTLP_FILE", "/tmp/generic.jsonl", 1);
  setenv("OTEL_EXPORTER_OTLP_TRACES_FILE", "file:///tmp/t.jsonl", 1);
  setenv("OTEL_EXPORTER_OTLP_FILE_MAX_BYTES", "10M", 1);
  setenv("OTEL_EXPORTER_OTLP_TRACES_FILE_MAX_BACKUPS", "3", 1);
  cotel_otlp_file_options_from_env(&o);
  assert_string_equal(o.path, "file:///tmp/t.jsonl");
  assert_int_equal(o.max_bytes, 10u * 1024 * 1024);
  assert_int_equal(o.max_backups, 3);
  setenv("OTEL_EXPORTER_OTLP_TRACES_FILE_MAX_BYTES", "12X", 1);
  setenv("OTEL_EXPORTER_OTLP_TRACES_FILE_MAX_BACKUPS", "-1", 1);
  cotel_log_set(NULL, NULL, COTEL_LOG_NONE);
  cotel_otlp_file_options_from_env(&o); /* bad values keep the old ones */
  cotel_log_set(NULL, NULL, COTEL_LOG_WARN);
  assert_int_equal(o.max_bytes, 10u * 1024 * 1024);
  assert_int_equal(o.max_backups, 3);
  unsetenv("OTEL_EXPORTER_OTLP_FILE");
  unsetenv("OTEL_EXPORTER_OTLP_TRACES_FILE");
  unsetenv("OTEL_EXPORTER_OTLP_FILE_MAX_BYTES");
  unsetenv("OTEL_EXPORTER_OTLP_TRACES_FILE_MAX_BYTES");
  unsetenv("OTEL_EXPORTER_OTLP_TRACES_FILE_MAX_BACKUPS");
}

/* Run cotel-demo with `env` and return its stdout. */
static char *run_demo(const char *env, size_t *len) {
  const char *dir = getenv("COTEL_BIN_DIR");
  char cmd[1024];
  snprintf(cmd, sizeof cmd,
           "env -u OTEL_EXPORTER_OTLP_ENDPOINT %s OTEL_BSP_SCHEDULE_DELAY=50 "
           "'%s/cotel-demo' 2>/dev/null",
           env, dir ? dir : "bin");
  FILE *p = popen(cmd, "r");
  assert_non_null(p);
  char *buf = malloc(1 << 20);
  assert_non_null(buf);
  *len = fread(buf, 1, (1 << 20) - 1, p);
  buf[*len] = '\0';
  assert_int_equal(pclose(p), 0);
  return buf;
}

static void test_otlp_file_named_in_env_writes_lines_to_stdout(void **st) {
  (void)st;
  size_t len, spans = 0;
  char *out = run_demo("OTEL_TRACES_EXPORTER=otlp/file", &len);
  assert_true(check_lines(out, len, &spans) >= 1);
  assert_true(spans >= 6);
  assert_non_null(strstr(out, "\"demo.request\""));
  free(out);
}

static void test_otlp_file_named_in_env_writes_to_the_file(void **st) {
  (void)st;
  tmpdir t;
  char env[256];
  size_t len, spans = 0;
  tmpdir_make(&t);
  snprintf(env, sizeof env,
           "OTEL_TRACES_EXPORTER=console,otlp/file "
           "OTEL_EXPORTER_OTLP_TRACES_FILE='%s'",
           t.path);
  char *out = run_demo(env, &len);
  assert_non_null(strstr(out, "demo.request (SERVER")); /* console too */
  free(out);
  char *text = slurp(t.path, &len);
  assert_non_null(text);
  assert_true(check_lines(text, len, &spans) >= 1);
  assert_true(spans >= 6);
  free(text);
  tmpdir_remove(&t);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_file_exporter_writes_one_json_request_per_line),
      cmocka_unit_test(test_file_exporter_appends_to_an_existing_file),
      cmocka_unit_test(test_file_exporter_rotates_by_size_keeping_max_backups),
      cmocka_unit_test(test_file_exporter_fails_clearly_on_an_unwritable_path),
      cmocka_unit_test(test_file_options_read_the_environment_traces_first),
      cmocka_unit_test(test_otlp_file_named_in_env_writes_lines_to_stdout),
      cmocka_unit_test(test_otlp_file_named_in_env_writes_to_the_file),
  };
  return cotel_test_run(argc, argv, "otlp_file", tests);
}
