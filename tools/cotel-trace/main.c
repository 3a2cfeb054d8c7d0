/* cotel-trace: look at and check traces in OTLP/JSON lines files.
 *
 *   cotel-trace FILE...                 trees, as the console exporter prints
 *   cotel-trace --html OUT.html FILE... one self-contained waterfall page
 *   cotel-trace --check FILE...         continuity report; exit 1 if broken
 *
 * FILE is a file of OTLP/JSON lines (cotel's otlp/file exporter, the
 * Collector's file exporter), or "-" (the default) for stdin. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cotel/internal/console_format.h"
#include "model.h"

static void usage(FILE *f) {
  fputs(
      "usage: cotel-trace [--check [--skew-ms MS] [--quiet]] "
      "[--html OUT.html [--title TEXT]] [FILE...]\n"
      "  Reads OTLP/JSON lines (one ExportTraceServiceRequest or TracesData\n"
      "  per line; '-' or no FILE: stdin) and prints every trace as a tree.\n"
      "  --html OUT.html  write a self-contained page: a waterfall per trace\n"
      "  --check          report orphans, traces with several roots, children\n"
      "                   starting before their parent (beyond --skew-ms, "
      "default 0),\n"
      "                   duplicate span ids and the caller -> callee edges\n"
      "                   between services; exit status 1 if anything is "
      "broken\n"
      "  --quiet          with --check: per-trace lines only for broken "
      "traces\n",
      f);
}

void ct_duration(uint64_t ns, char *buf, size_t len) {
  cotel__console_format_duration(ns, buf, len);
}

int ct_print_text(const ct_model *m, FILE *out) {
  const cotel_span_data **sds = NULL;
  size_t cap = 0;
  for (size_t t = 0; t < m->n_traces; t++) {
    const ct_trace *tr = &m->traces[t];
    if (tr->n > cap) {
      const cotel_span_data **n = realloc(sds, tr->n * sizeof *n);
      if (!n) {
        fprintf(stderr, "cotel-trace: out of memory\n");
        free(sds);
        return 2;
      }
      sds = n;
      cap = tr->n;
    }
    for (size_t i = 0; i < tr->n; i++)
      sds[i] = &m->spans[tr->spans[i]].sd;
    if (cotel__console_print_trace(out, sds, tr->n) != 0) {
      fprintf(stderr, "cotel-trace: out of memory\n");
      free(sds);
      return 2;
    }
  }
  free(sds);
  return 0;
}

int main(int argc, char **argv) {
  const char *html = NULL, *title = NULL;
  bool check = false;
  ct_check_options co = {0, false};
  const char **files = calloc((size_t)argc + 1, sizeof *files);
  size_t n_files = 0;
  int rc = 0;
  if (!files) return 2;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--check")) {
      check = true;
    } else if (!strcmp(a, "--quiet")) {
      co.quiet = true;
    } else if (!strcmp(a, "--html") && i + 1 < argc) {
      html = argv[++i];
    } else if (!strcmp(a, "--title") && i + 1 < argc) {
      title = argv[++i];
    } else if (!strcmp(a, "--skew-ms") && i + 1 < argc) {
      char *end;
      double ms = strtod(argv[++i], &end);
      if (*end || ms < 0) {
        fprintf(stderr, "cotel-trace: --skew-ms wants milliseconds >= 0\n");
        free(files);
        return 2;
      }
      co.skew_ns = (uint64_t)(ms * 1e6);
    } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      usage(stdout);
      free(files);
      return 0;
    } else if (a[0] == '-' && a[1]) {
      usage(stderr);
      free(files);
      return 2;
    } else {
      files[n_files++] = a;
    }
  }
  if (!n_files) files[n_files++] = "-";

  ct_model m;
  ct_model_init(&m);
  for (size_t i = 0; i < n_files && !rc; i++) {
    bool std_in = !strcmp(files[i], "-");
    FILE *f = std_in ? stdin : fopen(files[i], "r");
    if (!f) {
      fprintf(stderr, "cotel-trace: %s: %s\n", files[i], strerror(errno));
      rc = 2;
      break;
    }
    if (ct_load_file(&m, f, std_in ? "stdin" : files[i])) {
      fprintf(stderr, "cotel-trace: out of memory\n");
      rc = 2;
    }
    if (!std_in) fclose(f);
  }
  if (!rc && ct_build_traces(&m)) {
    fprintf(stderr, "cotel-trace: out of memory\n");
    rc = 2;
  }
  if (!rc && html) {
    FILE *f = fopen(html, "w");
    if (!f) {
      fprintf(stderr, "cotel-trace: %s: %s\n", html, strerror(errno));
      rc = 2;
    } else {
      rc = ct_write_html(&m, f, title ? title : "cotel-trace");
      if (fclose(f) && !rc) {
        fprintf(stderr, "cotel-trace: %s: %s\n", html, strerror(errno));
        rc = 2;
      }
    }
  }
  if (!rc && check) rc = ct_check(&m, &co, stdout);
  if (!rc && !check && !html) {
    rc = ct_print_text(&m, stdout);
    if (!rc && m.bad_lines) rc = 1;
  }
  ct_model_free(&m);
  free(files);
  return rc;
}
