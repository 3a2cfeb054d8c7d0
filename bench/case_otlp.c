/* The otlp_encode_pb case of cotel-bench-spans: the OTLP exporter's
 * streaming protobuf encoder on a 512-span batch, per span (DESIGN §5, §7:
 * at most 100 ns per span with 4 attributes). */
#include <stdio.h>
#include <string.h>

#include "cotel/cotel.h"
#include "harness.h"

/* The encoder is private to the OTLP exporter (otlp_encode.h); its symbol
 * is in libcotel. Declared weak and linked with the whole archive, so the
 * bench builds (and says so) before the encoder exists. */
typedef struct cotel__buf {
  uint8_t *data;
  size_t len;
  size_t cap;
} cotel__buf;
extern int cotel__otlp_encode_pb(const cotel_span_data *const *spans, size_t n,
                                 cotel__buf *b) __attribute__((weak));
extern void cotel__buf_init(cotel__buf *b) __attribute__((weak));
extern void cotel__buf_free(cotel__buf *b) __attribute__((weak));

#define OTLP_BATCH 512

typedef struct otlp_case {
  cotel_span_data data[OTLP_BATCH];
  const cotel_span_data *ptrs[OTLP_BATCH];
  char names[OTLP_BATCH][16];
  cotel__buf buf;
  int failures;
} otlp_case;

static void body_encode(void *arg, size_t n) {
  otlp_case *c = arg;
  /* One op = one span: encode whole batches, at least one. */
  size_t batches = (n + OTLP_BATCH - 1) / OTLP_BATCH;
  for (size_t i = 0; i < batches; i++)
    if (cotel__otlp_encode_pb(c->ptrs, OTLP_BATCH, &c->buf) != 0) c->failures++;
}

void bench_otlp_encode(size_t n, const cotel_attr *attrs, size_t n_attrs) {
  if (!cotel__otlp_encode_pb || !cotel__buf_init) {
    printf("%-28s %10s  (the OTLP encoder is not in this libcotel)\n",
           "otlp_encode_pb", "skipped");
    return;
  }
  static otlp_case c;
  static cotel_attr res_attrs[3];
  res_attrs[0] = cotel_attr_string("service.name", "bench");
  res_attrs[1] = cotel_attr_string("telemetry.sdk.name", "cotel");
  res_attrs[2] = cotel_attr_string("telemetry.sdk.language", "c");
  static cotel_resource res;
  res.attrs = res_attrs;
  res.n_attrs = 3;
  static cotel_scope scope;
  scope.name = cotel_str_c("bench");
  uint64_t now = cotel_time_now_ns();
  for (int i = 0; i < OTLP_BATCH; i++) {
    cotel_span_data *d = &c.data[i];
    memset(d, 0, sizeof *d);
    for (int k = 0; k < 16; k++)
      d->context.trace_id.bytes[k] = (uint8_t)(k + 1);
    for (int k = 0; k < 8; k++) {
      d->context.span_id.bytes[k] = (uint8_t)(i >> (k % 2 ? 8 : 0)) + 1;
      d->parent_span_id.bytes[k] = (uint8_t)(0xa0 + k);
    }
    d->context.flags = COTEL_TRACE_FLAG_SAMPLED | COTEL_TRACE_FLAG_RANDOM;
    snprintf(c.names[i], sizeof c.names[i], "op-%d", i % 8);
    d->name = cotel_str_c(c.names[i]);
    d->kind = COTEL_SPAN_KIND_SERVER;
    d->start_ns = now + (uint64_t)i * 1000;
    d->end_ns = d->start_ns + 250000;
    d->attrs = attrs;
    d->n_attrs = (uint32_t)n_attrs;
    d->scope = &scope;
    d->resource = &res;
    c.ptrs[i] = d;
  }
  cotel__buf_init(&c.buf);
  bench_run("otlp_encode_pb", n, "per span, 512-span batch, 4 attrs",
            body_encode, NULL, &c);
  bench_note("request body %zu bytes", c.buf.len);
  if (c.failures) bench_note("%d encode calls failed", c.failures);
  cotel__buf_free(&c.buf);
}
