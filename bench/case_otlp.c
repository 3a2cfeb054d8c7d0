/* The otlp_encode_pb case of cotel-bench-spans: the OTLP exporter's
 * streaming protobuf encoder on a batch of 512 distinct spans, per span
 * (DESIGN §5, §7: at most 100 ns per span with 4 attributes). Every span
 * has its own name, ids, attribute values and attribute count (0 to 8,
 * 4 on average), so nothing is shared or cache-hot across spans but the
 * resource and the scope, as in a real batch. */
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

#define OTLP_MAX_ATTRS 8

typedef struct otlp_case {
  cotel_span_data data[OTLP_BATCH];
  const cotel_span_data *ptrs[OTLP_BATCH];
  char names[OTLP_BATCH][24];
  cotel_attr attrs[OTLP_BATCH][OTLP_MAX_ATTRS];
  char values[OTLP_BATCH][OTLP_MAX_ATTRS][24];
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

static uint64_t lcg(uint64_t *s) {
  *s = *s * 6364136223846793005u + 1442695040888963407u;
  return *s >> 11;
}

static const char *const attr_keys[OTLP_MAX_ATTRS] = {
    "http.request.method", "url.path",   "http.response.status_code",
    "server.load",         "user.id",    "net.peer.port",
    "db.statement",        "retry.count"};

void bench_otlp_encode(size_t n) {
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
  uint64_t seed = 42;
  size_t total_attrs = 0;
  for (int i = 0; i < OTLP_BATCH; i++) {
    cotel_span_data *d = &c.data[i];
    memset(d, 0, sizeof *d);
    for (int k = 0; k < 16; k++)
      d->context.trace_id.bytes[k] = (uint8_t)lcg(&seed);
    for (int k = 0; k < 8; k++) {
      d->context.span_id.bytes[k] = (uint8_t)lcg(&seed);
      d->parent_span_id.bytes[k] = (uint8_t)lcg(&seed);
    }
    d->context.flags = COTEL_TRACE_FLAG_SAMPLED | COTEL_TRACE_FLAG_RANDOM;
    snprintf(c.names[i], sizeof c.names[i], "GET /api/v%d/item-%d", i % 3, i);
    d->name = cotel_str_c(c.names[i]);
    d->kind = (cotel_span_kind)(1 + i % 5);
    d->start_ns = now + (uint64_t)i * 1000 + lcg(&seed) % 1000;
    d->end_ns = d->start_ns + 1000 + lcg(&seed) % 1000000;
    size_t na = (size_t)(lcg(&seed) % (OTLP_MAX_ATTRS + 1)); /* 0..8 */
    for (size_t a = 0; a < na; a++) {
      char *v = c.values[i][a];
      switch (a % 4) {
      case 0:
      case 1:
        snprintf(v, sizeof c.values[i][a], "v%d-%llu", i,
                 (unsigned long long)(lcg(&seed) % 100000));
        c.attrs[i][a] = cotel_attr_string(attr_keys[a], v);
        break;
      case 2:
        c.attrs[i][a] =
            cotel_attr_int(attr_keys[a], (int64_t)(lcg(&seed) % 600));
        break;
      default:
        c.attrs[i][a] =
            cotel_attr_double(attr_keys[a], (double)(lcg(&seed) % 1000) / 1000);
      }
    }
    total_attrs += na;
    d->attrs = c.attrs[i];
    d->n_attrs = (uint32_t)na;
    d->scope = &scope;
    d->resource = &res;
    c.ptrs[i] = d;
  }
  cotel__buf_init(&c.buf);
  char note[96];
  snprintf(note, sizeof note,
           "per span, 512 distinct spans, %.2f attrs on average",
           (double)total_attrs / OTLP_BATCH);
  bench_run("otlp_encode_pb", n, note, body_encode, NULL, &c);
  bench_note("request body %zu bytes", c.buf.len);
  if (c.failures) bench_note("%d encode calls failed", c.failures);
  cotel__buf_free(&c.buf);
}
