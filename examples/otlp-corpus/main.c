/* cotel-otlp-corpus: record a corpus of spans that covers every field the C
 * SDK can produce, export it over OTLP/HTTP, and write what was recorded as
 * JSON so that an interop check can compare it with what a collector
 * received (interop/checks/fidelity.py, jaeger.py, rotel.py).
 *
 *   cotel-otlp-corpus --endpoint URL --out FILE [--service NAME]
 *                     [--protocol protobuf|json|grpc]
 *                     [--processor batch|simple]
 *                     [--gzip]
 *   cotel-otlp-corpus --file OTLP.jsonl --out FILE [--service NAME] ...
 *
 * With --file, the OTLP file exporter (otlp/file) writes the spans as
 * OTLP/JSON lines to OTLP.jsonl instead (interop/checks/otlp_file.py feeds
 * it to the collector's otlpjsonfile receiver).
 *
 * Two processors see every span: the OTLP exporter under a batch (default)
 * or simple processor, and an in-memory exporter under a simple processor
 * whose spans are written to FILE (corpus_json.c). Exit status 0 only when
 * the OTLP exporter reports every span accepted and none failed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "corpus.h"

static int usage(void) {
  fprintf(stderr,
          "usage: cotel-otlp-corpus --endpoint URL --out FILE [--service "
          "NAME]\n"
          "       [--protocol protobuf|json|grpc] [--processor batch|simple] "
          "[--gzip]\n"
          "       cotel-otlp-corpus --file OTLP.jsonl --out FILE [...]\n");
  return 2;
}

/* Small limits, so that the corpus can show every dropped count (OTel spec
 * "Span Limits") and a truncated value. */
static void corpus_limits(cotel_span_limits *l) {
  l->attr_count = CORPUS_ATTR_LIMIT;
  l->attr_value_length = CORPUS_VALUE_LENGTH_LIMIT;
  l->event_count = CORPUS_EVENT_LIMIT;
  l->link_count = CORPUS_LINK_LIMIT;
  l->attrs_per_event = CORPUS_ATTRS_PER_EVENT;
  l->attrs_per_link = CORPUS_ATTRS_PER_LINK;
}

int main(int argc, char **argv) {
  const char *endpoint = NULL, *out_path = NULL, *file_path = NULL;
  const char *service = "cotel-otlp-corpus", *processor = "batch";
  cotel_otlp_protocol protocol = COTEL_OTLP_HTTP_PROTOBUF;
  bool gzip = false;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "--gzip")) {
      gzip = true;
      continue;
    }
    if (!v) return usage();
    if (!strcmp(a, "--endpoint"))
      endpoint = v;
    else if (!strcmp(a, "--file"))
      file_path = v;
    else if (!strcmp(a, "--out"))
      out_path = v;
    else if (!strcmp(a, "--service"))
      service = v;
    else if (!strcmp(a, "--processor"))
      processor = v;
    else if (!strcmp(a, "--protocol")) {
      if (!strcmp(v, "json"))
        protocol = COTEL_OTLP_HTTP_JSON;
      else if (!strcmp(v, "grpc"))
        protocol = COTEL_OTLP_GRPC;
      else if (strcmp(v, "protobuf"))
        return usage();
    } else
      return usage();
    i++;
  }
  if ((!endpoint == !file_path) || !out_path) return usage();
  bool batch = !strcmp(processor, "batch");
  if (!batch && strcmp(processor, "simple")) return usage();

  cotel_otlp_options oo;
  cotel_otlp_options_default(&oo);
  oo.endpoint = endpoint;
  oo.protocol = protocol;
  oo.compression =
      gzip ? COTEL_OTLP_COMPRESSION_GZIP : COTEL_OTLP_COMPRESSION_NONE;
  oo.timeout_ms = 10000;
  cotel_exporter *otlp = NULL, *mem = NULL;
  cotel_span_processor *procs[2] = {NULL, NULL};
  int rc;
  if (file_path) {
    cotel_otlp_file_options fo;
    cotel_otlp_file_options_init(&fo);
    fo.path = file_path;
    fo.max_bytes = 0;
    rc = cotel_otlp_file_exporter_new(&fo, &otlp);
  } else {
    rc = cotel_otlp_exporter_new(&oo, &otlp);
  }
  if (!rc) rc = cotel_memory_exporter_new(&mem);
  if (!rc) {
    if (batch) {
      cotel_batch_options bo;
      cotel_batch_options_from_env(&bo);
      bo.schedule_delay_ms = 200;
      rc = cotel_batch_processor_new(otlp, &bo, &procs[0]);
    } else {
      rc = cotel_simple_processor_new(otlp, &procs[0]);
    }
  }
  if (!rc) rc = cotel_simple_processor_new(mem, &procs[1]);
  if (rc) {
    fprintf(stderr, "corpus: cannot build the pipeline: %s\n",
            cotel_strerror(rc));
    return 1;
  }

  cotel_provider_config cfg;
  cotel_provider_config_init(&cfg);
  cfg.disabled = false;
  if (cotel_sampler_always_on(&cfg.sampler)) return 1;
  corpus_limits(&cfg.limits);
  cfg.service_name = service;
  size_t n_res = 0;
  cfg.resource_attrs = corpus_resource_attrs(&n_res);
  cfg.n_resource_attrs = n_res;
  cfg.processors = procs;
  cfg.n_processors = 2;
  cotel_provider *prov = NULL;
  rc = cotel_provider_new(&cfg, &prov);
  if (rc) {
    fprintf(stderr, "corpus: cotel_provider_new: %s\n", cotel_strerror(rc));
    return 1;
  }

  rc = corpus_record(prov);
  int frc = cotel_provider_force_flush(prov, 15000);
  size_t n = cotel_memory_exporter_count(mem);
  int wrc = rc ? rc : corpus_write_json(out_path, service, prov, mem);
  int src = cotel_provider_shutdown(prov, 15000);
  cotel_otlp_stats st;
  memset(&st, 0, sizeof st);
  if (file_path) {
    cotel_stats ps;
    cotel_provider_stats(prov, &ps);
    /* Two processors: the file exporter's spans and the memory copy. */
    st.spans_exported = ps.spans_exported - n;
    st.spans_failed = ps.spans_export_failed;
  } else {
    cotel_otlp_exporter_stats(otlp, &st);
  }
  cotel_provider_destroy(prov);

  fprintf(stderr,
          "corpus: %zu spans recorded; otlp %s%s to %s: %llu exported, "
          "%llu failed, %llu requests\n",
          n,
          file_path                          ? "file"
          : protocol == COTEL_OTLP_HTTP_JSON ? "json"
          : protocol == COTEL_OTLP_GRPC      ? "grpc"
                                             : "protobuf",
          gzip ? "+gzip" : "", file_path ? file_path : endpoint,
          (unsigned long long)st.spans_exported,
          (unsigned long long)st.spans_failed, (unsigned long long)st.requests);
  if (rc || wrc || frc || src || st.spans_failed || st.spans_exported != n ||
      n == 0) {
    fprintf(stderr,
            "corpus: FAILED (record %d, write %d, flush %d, "
            "shutdown %d)\n",
            rc, wrc, frc, src);
    return 1;
  }
  return 0;
}

/* Random bytes for the ids of remote parents and links: every run must use
 * trace ids of its own, since several runs share one collector output. */
void corpus_random(void *buf, size_t n) {
  uint8_t *p = buf;
  while (n) {
    ssize_t k = getrandom(p, n, 0);
    if (k <= 0) abort();
    p += k;
    n -= (size_t)k;
  }
}
