/* cotel-trace (tools/cotel-trace): the tree printer matches the console
 * exporter's output byte for byte, recorded files from our otlp/file
 * exporter and from the Collector's file exporter (tests/fixtures/viewer),
 * --check on a whole chain and on a damaged copy (tools/cotel-trace/
 * damage.py made it), a 10,000-span trace with orphans, and the --html page
 * loaded in headless Chromium (tests/viewer_dom.py; skipped when Chromium
 * is not installed). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test_util.h"

static const char *bin_dir(void) {
  const char *d = getenv("COTEL_BIN_DIR");
  return d ? d : "bin";
}

static const char *src_dir(void) {
  const char *d = getenv("COTEL_SOURCE_DIR");
  return d ? d : "..";
}

/* Run `cmd` through the shell; its stdout (NUL-terminated, caller frees)
 * and exit status. */
static char *run(const char *cmd, int *status, size_t *len_out) {
  FILE *p = popen(cmd, "r");
  assert_non_null(p);
  size_t cap = 1 << 16, len = 0, r;
  char *buf = malloc(cap);
  assert_non_null(buf);
  while ((r = fread(buf + len, 1, cap - len - 1, p)) > 0) {
    len += r;
    if (cap - len < 2) {
      cap *= 2;
      buf = realloc(buf, cap);
      assert_non_null(buf);
    }
  }
  buf[len] = '\0';
  int st = pclose(p);
  *status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  if (len_out) *len_out = len;
  return buf;
}

static char *trace_tool(const char *args, int *status) {
  char cmd[2048];
  snprintf(cmd, sizeof cmd,
           "cd '%s/tests/fixtures/viewer' && '%s/cotel-trace' %s", src_dir(),
           bin_dir(), args);
  return run(cmd, status, NULL);
}

static char *slurp(const char *path) {
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *buf = malloc((size_t)n + 1);
  assert_non_null(buf);
  assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
  buf[n] = '\0';
  fclose(f);
  return buf;
}

static void tmp_dir(char *dir, size_t n) {
  snprintf(dir, n, "/tmp/cotel-trace-test-XXXXXX");
  assert_non_null(mkdtemp(dir));
}

static void rm_dir(const char *dir) {
  char cmd[256];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  assert_int_equal(system(cmd), 0);
}

static void test_text_output_is_what_the_console_exporter_printed(void **st) {
  (void)st;
  char dir[64], cmd[1024];
  int status;
  tmp_dir(dir, sizeof dir);
  /* One run, both exporters: the console tree on stdout, the same spans as
   * OTLP/JSON lines in a file. */
  snprintf(cmd, sizeof cmd,
           "env -u OTEL_EXPORTER_OTLP_ENDPOINT "
           "OTEL_TRACES_EXPORTER=console,otlp/file "
           "OTEL_EXPORTER_OTLP_TRACES_FILE='%s/demo.jsonl' '%s/cotel-demo' "
           "2>/dev/null",
           dir, bin_dir());
  char *console = run(cmd, &status, NULL);
  assert_int_equal(status, 0);
  snprintf(cmd, sizeof cmd, "'%s/cotel-trace' '%s/demo.jsonl'", bin_dir(), dir);
  char *text = run(cmd, &status, NULL);
  assert_int_equal(status, 0);
  assert_non_null(strstr(console, "demo.request (SERVER"));
  assert_string_equal(text, console);
  free(console);
  free(text);
  rm_dir(dir);
}

static void
test_chain_file_prints_one_tree_per_trace_across_services(void **st) {
  (void)st;
  int status;
  char *out = trace_tool("chain.jsonl", &status);
  assert_int_equal(status, 0);
  /* The frontend -> checkout -> payments chain nests across services. */
  assert_non_null(strstr(out,
                         "trace f1a519912c6f1eb647d82dc02cc59403\n"
                         "  6a1663269b2ee86d GET /hop (SERVER, 5.453ms, unset) "
                         "http.request.method=\"GET\" url.path=\"/hop\" "
                         "http.response.status_code=200\n"
                         "    ca9e7b719f2acb79 GET /hop (CLIENT, "));
  assert_non_null(strstr(out, "\n          eb1494f1ad5fb2b4 GET /hop (SERVER"));
  /* The request that came with a traceparent: its parent is outside. */
  assert_non_null(strstr(out,
                         "7fcd8ca319b776b4 GET /hop (SERVER, 2.484ms, unset) "
                         "parent=00f067aa0ba902b7(remote)"));
  free(out);
}

static void test_check_passes_a_whole_chain_and_counts_its_edges(void **st) {
  (void)st;
  int status;
  char *out = trace_tool("--check chain.jsonl", &status);
  assert_int_equal(status, 0);
  assert_non_null(strstr(out, "  frontend -> checkout: 4 seen, 0 broken\n"));
  assert_non_null(strstr(out, "  checkout -> payments: 4 seen, 0 broken\n"));
  assert_non_null(strstr(
      out, "total: 4 traces (0 broken), 20 spans, 3 services, 0 orphans, 0 "
           "traces with more than one root, 0 children starting before their "
           "parent, 0 duplicate span ids, 0 broken edges, 0 unreadable "
           "lines: OK\n"));
  free(out);
}

static void test_check_reads_the_collector_file_exporter_output(void **st) {
  (void)st;
  int status;
  char *out = trace_tool("--check --quiet collector-chain.jsonl", &status);
  assert_int_equal(status, 0);
  assert_string_equal(
      out, "edges (caller -> callee):\n"
           "  frontend -> checkout: 4 seen, 0 broken\n"
           "  checkout -> payments: 4 seen, 0 broken\n"
           "total: 4 traces (0 broken), 20 spans, 3 services, 0 orphans, 0 "
           "traces with more than one root, 0 children starting before their "
           "parent, 0 duplicate span ids, 0 broken edges, 0 unreadable "
           "lines: OK\n");
  free(out);
  /* The corpus through the collector: events, links, errors, every value
   * type, and a span deliberately started long before its parent. */
  out = trace_tool("collector-corpus.jsonl", &status);
  assert_int_equal(status, 0);
  assert_non_null(strstr(out, "corpus child \xe2\x9c\x93 (INTERNAL, "));
  assert_non_null(strstr(out, "* exception +"));
  assert_non_null(strstr(out, "~ link "));
  assert_non_null(strstr(out, "corpus.array.int=[-9223372036854775808, -1, "
                              "0, 1, 9223372036854775807]"));
  free(out);
  out = trace_tool("--check --quiet collector-corpus.jsonl", &status);
  assert_int_equal(status, 1);
  assert_non_null(strstr(out, "1 children starting before their parent"));
  free(out);
}

static void test_check_catches_every_kind_of_damage(void **st) {
  (void)st;
  int status;
  char *out = trace_tool("--check --quiet damaged.jsonl 2>/dev/null", &status);
  assert_int_equal(status, 1);
  assert_non_null(strstr(
      out, "trace f1a519912c6f1eb647d82dc02cc59403: 4 spans, 2 roots, 1 "
           "orphans, 0 skewed, 0 duplicates, 1 broken edges: BROKEN (span "
           "705d276e75280ed9 (checkout) has parent ca9e7b719f2acb79, not in "
           "the trace)\n"));
  assert_non_null(strstr(out, "1 duplicates, 0 broken edges: BROKEN (span "
                              "3e160fb4912a3f37 appears more than once)\n"));
  assert_non_null(strstr(out, "(span 5059d8a85f65cb3b starts 50.000ms before "
                              "its parent 20e7c30088ef1b98)\n"));
  assert_non_null(strstr(out, "  ? -> checkout: 0 seen, 1 broken\n"));
  assert_non_null(strstr(
      out, "total: 4 traces (3 broken), 20 spans, 3 services, 1 orphans, 1 "
           "traces with more than one root, 1 children starting before their "
           "parent, 1 duplicate span ids, 1 broken edges, 1 unreadable "
           "lines: BROKEN\n"));
  assert_null(strstr(out, "4bf92f3577b34da6a3ce929d0e0e4736")); /* --quiet */
  free(out);
  /* Within the tolerance a skewed child is fine. */
  out = trace_tool("--check --quiet --skew-ms 60 damaged.jsonl 2>/dev/null",
                   &status);
  assert_int_equal(status, 1);
  assert_non_null(strstr(out, "0 children starting before their parent"));
  free(out);
  out = trace_tool("--check --skew-ms -1 chain.jsonl 2>&1", &status);
  assert_int_equal(status, 2);
  free(out);
}

/* One trace of 10,003 spans: a chain 2,000 deep (each link's parent is the
 * previous link, id - 5) with 4 leaves on each link (one in error, each
 * with an event), plus 3 orphans whose parents are missing. */
static void write_big_trace(const char *path) {
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  const char *tid = "0af7651916cd43dd8448eb211c80319c";
  unsigned long long t0 = 1700000000000000000ull;
  unsigned id;
  fprintf(f, "{\"resourceSpans\":[{\"resource\":{\"attributes\":[{\"key\":"
             "\"service.name\",\"value\":{\"stringValue\":\"big\"}}]},"
             "\"scopeSpans\":[{\"scope\":{\"name\":\"t\"},\"spans\":[");
  id = 1;
  for (unsigned d = 0; d < 2000; d++) {
    unsigned self = id++;
    char parent[17] = "";
    if (d) snprintf(parent, sizeof parent, "%016x", self - 5);
    fprintf(
        f,
        "%s{\"traceId\":\"%s\",\"spanId\":\"%016x\",\"parentSpanId\":\"%s\","
        "\"name\":\"link %u\",\"kind\":1,\"startTimeUnixNano\":\"%llu\","
        "\"endTimeUnixNano\":\"%llu\"}",
        d ? "," : "", tid, self, parent, d, t0 + d * 1000ull,
        t0 + 10000000000ull - d);
    for (unsigned k = 0; k < 4; k++) {
      unsigned c = id++;
      fprintf(f,
              ",{\"traceId\":\"%s\",\"spanId\":\"%016x\",\"parentSpanId\":"
              "\"%016x\",\"name\":\"leaf %u.%u\",\"kind\":1,"
              "\"startTimeUnixNano\":\"%llu\",\"endTimeUnixNano\":\"%llu\","
              "\"status\":{\"code\":%d},\"events\":[{\"name\":\"e\","
              "\"timeUnixNano\":\"%llu\"}]}",
              tid, c, self, d, k, t0 + d * 1000ull + 100 + k,
              t0 + d * 1000ull + 900, k == 3 ? 2 : 0, t0 + d * 1000ull + 500);
    }
  }
  for (unsigned k = 0; k < 3; k++)
    fprintf(f,
            ",{\"traceId\":\"%s\",\"spanId\":\"%016x\",\"parentSpanId\":"
            "\"ffffffffffff000%u\",\"name\":\"orphan %u\",\"kind\":1,"
            "\"startTimeUnixNano\":\"%llu\",\"endTimeUnixNano\":\"%llu\"}",
            tid, id++, k, k, t0 + 5000, t0 + 9000);
  fprintf(f, "]}]}]}\n");
  fclose(f);
}

static void test_a_10000_span_trace_with_orphans_is_read_whole(void **st) {
  (void)st;
  char dir[64], path[128], cmd[1024];
  int status;
  size_t len;
  tmp_dir(dir, sizeof dir);
  snprintf(path, sizeof path, "%s/big.jsonl", dir);
  write_big_trace(path);

  snprintf(cmd, sizeof cmd, "'%s/cotel-trace' '%s' | wc -l", bin_dir(), path);
  char *out = run(cmd, &status, NULL);
  /* 10,003 span lines, 8,000 event lines, one header. */
  assert_int_equal(atoi(out), 10003 + 8000 + 1);
  free(out);

  snprintf(cmd, sizeof cmd, "'%s/cotel-trace' --check '%s'", bin_dir(), path);
  out = run(cmd, &status, &len);
  assert_int_equal(status, 1);
  assert_non_null(strstr(out, "10003 spans, 1 roots, 3 orphans, 0 skewed, 0 "
                              "duplicates, 0 broken edges: BROKEN"));
  free(out);

  snprintf(cmd, sizeof cmd, "'%s/cotel-trace' --html '%s/big.html' '%s'",
           bin_dir(), dir, path);
  out = run(cmd, &status, NULL);
  assert_int_equal(status, 0);
  free(out);
  snprintf(path, sizeof path, "%s/big.html", dir);
  char *page = slurp(path);
  assert_non_null(strstr(page, "\"id\":\"00000000000007d0\""));
  /* Leaf 0.3: in error, with its event at +400ns in the trace. */
  assert_non_null(strstr(page,
                         "\"id\":\"0000000000000005\",\"p\":"
                         "\"0000000000000001\",\"d\":1,\"s\":0,"
                         "\"n\":\"leaf 0.3\",\"k\":1,\"t\":103,"
                         "\"u\":797,\"st\":2,\"m\":\"\",\"o\":0,"
                         "\"dup\":false,\"a\":[],\"ev\":[[500,\"e\",[]]]"));
  free(page);

  /* The page in a browser: `make interop` (interop/checks/viewer.py), as
   * Chromium takes tens of seconds for it on a loaded 2-core machine. */
  rm_dir(dir);
}

static void test_stdin_base64_ids_and_unreadable_input_are_handled(void **st) {
  (void)st;
  int status;
  /* The protobuf JSON mapping's base64 ids (some producers write them) read
   * as the same ids; "-" is stdin. */
  char *out = trace_tool(
      "- <<'EOF'\n"
      "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"traceId\":"
      "\"CvdlGRbNQ92ESOshHIAxnA==\",\"spanId\":\"t61rcWkgMzE=\",\"name\":"
      "\"b64\",\"kind\":\"SPAN_KIND_SERVER\",\"status\":{\"code\":"
      "\"STATUS_CODE_ERROR\"}}]}]}]}\n"
      "EOF",
      &status);
  assert_int_equal(status, 0);
  assert_string_equal(out, "trace 0af7651916cd43dd8448eb211c80319c\n"
                           "  b7ad6b7169203331 b64 (SERVER, 0ns, error)\n");
  free(out);
  /* A missing file is an error (2); a line that is not OTLP JSON makes the
   * text mode exit 1 after printing what it could read. */
  out = trace_tool("no-such-file.jsonl 2>&1", &status);
  assert_int_equal(status, 2);
  assert_non_null(strstr(out, "no-such-file.jsonl: No such file"));
  free(out);
  out = trace_tool("damaged.jsonl 2>&1 >/dev/null", &status);
  assert_int_equal(status, 1);
  assert_non_null(strstr(out, "damaged.jsonl:10: not an OTLP JSON line"));
  free(out);
  out = trace_tool("--bogus 2>&1", &status);
  assert_int_equal(status, 2);
  assert_non_null(strstr(out, "usage: cotel-trace"));
  free(out);
}

static void test_html_page_is_self_contained_and_escapes_the_data(void **st) {
  (void)st;
  char dir[64], path[160], cmd[1024];
  int status;
  tmp_dir(dir, sizeof dir);
  snprintf(path, sizeof path, "%s/evil.jsonl", dir);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs("{\"resourceSpans\":[{\"resource\":{},\"scopeSpans\":[{\"spans\":[{"
        "\"traceId\":\"0af7651916cd43dd8448eb211c80319c\",\"spanId\":"
        "\"b7ad6b7169203331\",\"name\":\"</script><script>alert(1)</script>"
        "<!--\",\"attributes\":[{\"key\":\"<b>\",\"value\":{\"stringValue\":"
        "\"</SCRIPT>\"}}]}]}]}]}\n",
        f);
  fclose(f);
  snprintf(cmd, sizeof cmd,
           "'%s/cotel-trace' --html '%s/evil.html' --title '<i>t</i>' '%s'",
           bin_dir(), dir, path);
  char *out = run(cmd, &status, NULL);
  assert_int_equal(status, 0);
  free(out);
  snprintf(path, sizeof path, "%s/evil.html", dir);
  char *page = slurp(path);
  /* Exactly the page's own two script blocks end; nothing is fetched. */
  size_t ends = 0;
  for (const char *p = page; (p = strcasestr(p, "</script")); p++)
    ends++;
  assert_int_equal(ends, 2);
  assert_null(strstr(page, "<!--"));
  assert_null(strcasestr(page, "src="));
  assert_null(strcasestr(page, "<link"));
  assert_null(strcasestr(page, "@import"));
  assert_null(strstr(page, "<i>t</i>"));
  assert_non_null(strstr(page, "<title>&lt;i&gt;t&lt;/i&gt;</title>"));
  free(page);
  rm_dir(dir);
}

static void
test_page_from_recorded_files_renders_in_headless_chromium(void **st) {
  (void)st;
  char dir[64], cmd[2048];
  int status;
  tmp_dir(dir, sizeof dir);
  snprintf(cmd, sizeof cmd,
           "cd '%s/tests/fixtures/viewer' && '%s/cotel-trace' --html "
           "'%s/page.html' damaged.jsonl collector-corpus.jsonl 2>/dev/null",
           src_dir(), bin_dir(), dir);
  char *out = run(cmd, &status, NULL);
  assert_int_equal(status, 0);
  free(out);
  /* Opened at a span with events and an error, so that its details show;
   * the screenshot (docs/viewer.png) lands in the build directory. */
  snprintf(cmd, sizeof cmd,
           "python3 '%s/tests/viewer_dom.py' '%s/page.html' --spans 35 "
           "--services frontend,checkout,payments,corpus --orphans 1 "
           "--fragment span=f0e5ec15e04e16a2 "
           "--screenshot '%s/../cotel-trace-test.png'",
           src_dir(), dir, bin_dir());
  out = run(cmd, &status, NULL);
  fputs(out, stdout);
  free(out);
  rm_dir(dir);
  if (status == 77) skip();
  assert_int_equal(status, 0);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_text_output_is_what_the_console_exporter_printed),
      cmocka_unit_test(
          test_chain_file_prints_one_tree_per_trace_across_services),
      cmocka_unit_test(test_check_passes_a_whole_chain_and_counts_its_edges),
      cmocka_unit_test(test_check_reads_the_collector_file_exporter_output),
      cmocka_unit_test(test_check_catches_every_kind_of_damage),
      cmocka_unit_test(test_a_10000_span_trace_with_orphans_is_read_whole),
      cmocka_unit_test(test_stdin_base64_ids_and_unreadable_input_are_handled),
      cmocka_unit_test(test_html_page_is_self_contained_and_escapes_the_data),
      cmocka_unit_test(
          test_page_from_recorded_files_renders_in_headless_chromium),
  };
  return cotel_test_run(argc, argv, "cotel_trace", tests);
}
