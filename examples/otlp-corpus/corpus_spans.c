/* cotel-otlp-corpus: the spans. Each group below covers a part of the OTLP
 * trace data model (opentelemetry/proto/trace/v1/trace.proto) that the SDK
 * can fill: attribute types, events, links, kinds, status, parents, dropped
 * counts, truncation, and strings that are not ASCII or not even UTF-8. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "corpus.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Strings. INVALID holds one ill-formed subpart of each kind (Unicode §3.9):
 * a lone continuation byte, an overlong encoding, a truncated sequence, a
 * surrogate, and bytes that never appear in UTF-8. */
#define UNICODE                                                                \
  "h\xc3\xa9llo w\xc3\xb6rld \xe2\x9c\x93 \xe5\x90\x8d\xe5\x89\x8d "           \
  "\xf0\x9f\x9a\x80"
#define INVALID "bad:\x80:\xc0\xaf:\xe2\x82:\xed\xa0\x80:\xff\xfe:end"
#define CONTROLS "tab\tnl\ncr\rquote\"back\\slash\x01\x1f"

static const cotel_str str_items[] = {{"a", 1},
                                      {"", 0},
                                      {UNICODE, sizeof UNICODE - 1},
                                      {INVALID, sizeof INVALID - 1}};
static const bool bool_items[] = {true, false, true};
static const int64_t int_items[] = {INT64_MIN, -1, 0, 1, INT64_MAX};
static const double dbl_items[] = {1.5, -2.25, 0.0, 1e300, 5e-324};
static const int64_t no_ints[1] = {0};
static const cotel_str no_strs[1] = {{"", 0}};

/* One attribute of every type and array type, edge values included. */
static cotel_attr all_types[32];
static size_t n_all_types;

static void init_all_types(void) {
  size_t n = 0;
  cotel_attr *a = all_types;
  a[n++] = cotel_attr_string("corpus.string", "hello");
  a[n++] = cotel_attr_string("corpus.string.empty", "");
  a[n++] = cotel_attr_string("corpus.string.unicode", UNICODE);
  a[n++] = cotel_attr_string("corpus.string.invalid_utf8", INVALID);
  a[n++] = cotel_attr_string("corpus.string.controls", CONTROLS);
  a[n++] = cotel_attr_bool("corpus.bool.true", true);
  a[n++] = cotel_attr_bool("corpus.bool.false", false);
  a[n++] = cotel_attr_int("corpus.int", 42);
  a[n++] = cotel_attr_int("corpus.int.zero", 0);
  a[n++] = cotel_attr_int("corpus.int.negative", -1);
  a[n++] = cotel_attr_int("corpus.int.max", INT64_MAX);
  a[n++] = cotel_attr_int("corpus.int.min", INT64_MIN);
  a[n++] = cotel_attr_double("corpus.double", 3.141592653589793);
  a[n++] = cotel_attr_double("corpus.double.negative_zero", -0.0);
  a[n++] = cotel_attr_double("corpus.double.huge", 1.7976931348623157e308);
  a[n++] = cotel_attr_double("corpus.double.tiny", 5e-324);
  a[n++] = cotel_attr_double("corpus.double.nan", NAN);
  a[n++] = cotel_attr_double("corpus.double.inf", INFINITY);
  a[n++] = cotel_attr_double("corpus.double.minus_inf", -INFINITY);
  a[n++] = cotel_attr_array("corpus.array.string", COTEL_ATTR_STRING_ARRAY,
                            str_items, COUNT(str_items));
  a[n++] = cotel_attr_array("corpus.array.bool", COTEL_ATTR_BOOL_ARRAY,
                            bool_items, COUNT(bool_items));
  a[n++] = cotel_attr_array("corpus.array.int", COTEL_ATTR_INT_ARRAY, int_items,
                            COUNT(int_items));
  a[n++] = cotel_attr_array("corpus.array.double", COTEL_ATTR_DOUBLE_ARRAY,
                            dbl_items, COUNT(dbl_items));
  a[n++] = cotel_attr_array("corpus.array.string.empty",
                            COTEL_ATTR_STRING_ARRAY, no_strs, 0);
  a[n++] = cotel_attr_array("corpus.array.int.empty", COTEL_ATTR_INT_ARRAY,
                            no_ints, 0);
  a[n++] = cotel_attr_string("corpus.key.\xd0\xba\xd0\xbb\xd1\x8e\xd1\x87",
                             "unicode key");
  a[n++] = cotel_attr_string("corpus.key.invalid.\xff", "invalid key");
  n_all_types = n;
}

static cotel_attr resource_attrs[40];

const cotel_attr *corpus_resource_attrs(size_t *n) {
  init_all_types();
  size_t k = 0;
  resource_attrs[k++] = cotel_attr_string("deployment.environment", "interop");
  for (size_t i = 0; i < n_all_types; i++)
    resource_attrs[k++] = all_types[i];
  *n = k;
  return resource_attrs;
}

/* A context holding `span`, for use as a parent (caller releases). */
static cotel_context *ctx_of(cotel_span span) {
  cotel_context *c = NULL;
  if (cotel_context_with_span(cotel_context_root(), span, &c)) return NULL;
  return c;
}

static int start(cotel_tracer *t, const char *name, cotel_context *parent,
                 cotel_span_kind kind, const cotel_attr *attrs, size_t n,
                 cotel_span *out) {
  cotel_span_options o;
  memset(&o, 0, sizeof o);
  o.parent = parent;
  o.root = parent == NULL;
  o.kind = kind;
  o.attrs = attrs;
  o.n_attrs = n;
  int rc = cotel_span_start(t, name, &o, out);
  if (!rc && !cotel_span_is_recording(*out)) rc = COTEL_ESTATE;
  if (rc) fprintf(stderr, "corpus: start %s: %s\n", name, cotel_strerror(rc));
  return rc;
}

/* A remote span context with random ids, as a propagator would extract it
 * (cotel_traceparent_parse), with an optional tracestate. */
static int remote_context(uint8_t flags, const char *tracestate,
                          cotel_span_context *sc) {
  uint8_t raw[24];
  char tp[64];
  corpus_random(raw, sizeof raw);
  raw[0] |= 1; /* never an all-zero id */
  raw[16] |= 1;
  int k = snprintf(tp, sizeof tp, "00-");
  for (int i = 0; i < 16; i++)
    k += snprintf(tp + k, sizeof tp - k, "%02x", raw[i]);
  k += snprintf(tp + k, sizeof tp - k, "-");
  for (int i = 16; i < 24; i++)
    k += snprintf(tp + k, sizeof tp - k, "%02x", raw[i]);
  k += snprintf(tp + k, sizeof tp - k, "-%02x", flags);
  int rc = cotel_traceparent_parse(tp, (size_t)k, sc);
  if (rc) return rc;
  sc->is_remote = true; /* as the propagators mark what they extract */
  sc->tracestate = NULL;
  if (tracestate)
    rc =
        cotel_tracestate_parse(tracestate, strlen(tracestate), &sc->tracestate);
  return rc;
}

/* Trace 1: a local tree with every kind, status, events and links. */
static int local_tree(cotel_tracer *t) {
  cotel_span root, child, sp;
  int rc = start(t, "corpus root", NULL, COTEL_SPAN_KIND_SERVER, all_types,
                 n_all_types, &root);
  if (rc) return rc;
  /* OK is final and carries no description (OTel spec "Set Status"). */
  cotel_span_set_status(root, COTEL_STATUS_OK, "dropped description");
  cotel_context *rctx = ctx_of(root);
  rc = start(t, "corpus child \xe2\x9c\x93", rctx, COTEL_SPAN_KIND_INTERNAL,
             NULL, 0, &child);
  if (rc) goto out;
  uint64_t now = cotel_time_now_ns();
  cotel_span_add_event(child, "plain event", now - 1000, NULL, 0);
  cotel_span_add_event(child, "event with every attribute type", 0, all_types,
                       n_all_types);
  cotel_attr extra = cotel_attr_bool("exception.escaped", false);
  cotel_span_record_exception(child, "io_error", "disk \xff full",
                              "at main.c:1\nat corpus.c:2", &extra, 1);
  cotel_span_set_status(child, COTEL_STATUS_ERROR,
                        "boom: \xc3\xbcn\xc3\xaf \xfe");

  cotel_context *cctx = ctx_of(child);
  static const struct {
    const char *name;
    cotel_span_kind kind;
  } kinds[] = {{"kind client", COTEL_SPAN_KIND_CLIENT},
               {"kind producer", COTEL_SPAN_KIND_PRODUCER},
               {"kind consumer", COTEL_SPAN_KIND_CONSUMER},
               {"kind server", COTEL_SPAN_KIND_SERVER},
               {"kind internal", COTEL_SPAN_KIND_INTERNAL}};
  for (size_t i = 0; !rc && i < COUNT(kinds); i++) {
    rc = start(t, kinds[i].name, cctx, kinds[i].kind, NULL, 0, &sp);
    if (!rc) cotel_span_end(sp, 0);
  }

  /* Links: to a local span, to a remote one with a tracestate and every
   * attribute type, and one added after start. */
  cotel_link links[2];
  memset(links, 0, sizeof links);
  cotel_span_context remote;
  if (!rc) rc = cotel_span_get_context(child, &links[0].context);
  if (!rc)
    rc = remote_context(0x03, "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7",
                        &remote);
  if (!rc) {
    links[1].context = remote;
    links[1].attrs = all_types;
    links[1].n_attrs = n_all_types;
    cotel_span_options o;
    memset(&o, 0, sizeof o);
    o.parent = rctx;
    o.kind = COTEL_SPAN_KIND_CONSUMER;
    o.links = links;
    o.n_links = 2;
    rc = cotel_span_start(t, "corpus links", &o, &sp);
    cotel_tracestate_release(remote.tracestate);
  }
  if (!rc) {
    cotel_span_context late;
    cotel_attr la = cotel_attr_string("link.added", "after start");
    rc = remote_context(0x00, NULL, &late);
    cotel_link l = {late, &la, 1, 0};
    if (!rc) cotel_span_add_link(sp, &l);
    cotel_span_end(sp, 0);
  }

  /* Explicit timestamps, a renamed span, ERROR then OK (OK wins), and an
   * ERROR without description. */
  if (!rc) {
    cotel_span_options o;
    memset(&o, 0, sizeof o);
    o.parent = rctx;
    o.start_ns = 1700000000123456789ull;
    rc = cotel_span_start(t, "original name", &o, &sp);
    if (!rc) {
      cotel_span_update_name(sp, "updated name \xe2\x9c\x93");
      cotel_span_set_status(sp, COTEL_STATUS_ERROR, "first");
      cotel_span_set_status(sp, COTEL_STATUS_OK, NULL);
      cotel_span_add_event(sp, "timed event", 1700000000200000000ull, NULL, 0);
      cotel_span_end(sp, 1700000001111111111ull);
    }
  }
  if (!rc)
    rc = start(t, "error without description", rctx, COTEL_SPAN_KIND_INTERNAL,
               NULL, 0, &sp);
  if (!rc) {
    cotel_span_set_status(sp, COTEL_STATUS_ERROR, NULL);
    cotel_span_end(sp, 0);
  }
  cotel_context_release(cctx);
  cotel_span_end(child, 0);
out:
  cotel_context_release(rctx);
  cotel_span_end(root, 0);
  return rc;
}

/* Traces 2 and 3: remote parents (with a tracestate; with the W3C level 2
 * random flag), and a local child of the remote-parented span. */
static int remote_parents(cotel_tracer *t) {
  cotel_span_context sc;
  cotel_context *ctx = NULL, *sctx = NULL;
  cotel_span server, client, sp;
  int rc = remote_context(0x01, "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7", &sc);
  if (!rc) rc = cotel_context_with_remote(cotel_context_root(), &sc, &ctx);
  cotel_tracestate_release(sc.tracestate);
  if (!rc)
    rc = start(t, "remote parent server", ctx, COTEL_SPAN_KIND_SERVER, NULL, 0,
               &server);
  if (!rc) {
    cotel_span_set_str(server, "http.request.method", "GET");
    sctx = ctx_of(server);
    rc = start(t, "local child client", sctx, COTEL_SPAN_KIND_CLIENT, NULL, 0,
               &client);
    if (!rc) cotel_span_end(client, 0);
    cotel_context_release(sctx);
    cotel_span_end(server, 0);
  }
  cotel_context_release(ctx);
  ctx = NULL;
  if (!rc) rc = remote_context(0x03, NULL, &sc);
  if (!rc) rc = cotel_context_with_remote(cotel_context_root(), &sc, &ctx);
  if (!rc)
    rc = start(t, "remote parent with random flag", ctx,
               COTEL_SPAN_KIND_CONSUMER, NULL, 0, &sp);
  if (!rc) cotel_span_end(sp, 0);
  cotel_context_release(ctx);
  return rc;
}

/* Trace 4: every limit exceeded once, so every dropped count is non-zero,
 * and values cut to the length limit (also in arrays, also mid-character). */
static int limits(cotel_tracer *t) {
  char keys[CORPUS_ATTR_LIMIT + 8][32];
  cotel_attr many[CORPUS_ATTR_LIMIT + 8];
  for (size_t i = 0; i < COUNT(many); i++) {
    snprintf(keys[i], sizeof keys[i], "limits.attr.%02zu", i);
    many[i] = cotel_attr_int(keys[i], (int64_t)i);
  }
  cotel_span sp;
  int rc = start(t, "limits", NULL, COTEL_SPAN_KIND_INTERNAL, NULL, 0, &sp);
  if (rc) return rc;
  /* Last write wins for a repeated key. */
  cotel_span_set_str(sp, "limits.repeated", "first");
  cotel_span_set_str(sp, "limits.repeated", "second");
  char long_ascii[101];
  memset(long_ascii, 'x', 100);
  long_ascii[100] = 0;
  char long_utf8[1 + 3 * 30 + 1] = "y";
  for (int i = 0; i < 30; i++)
    memcpy(long_utf8 + 1 + 3 * i, "\xe2\x9c\x93", 3);
  long_utf8[sizeof long_utf8 - 1] = 0;
  cotel_str long_items[] = {{long_ascii, 100}, {"short", 5}, {long_utf8, 91}};
  cotel_span_set_str(sp, "limits.long.ascii", long_ascii);
  cotel_span_set_str(sp, "limits.long.utf8", long_utf8);
  cotel_attr arr =
      cotel_attr_array("limits.long.array", COTEL_ATTR_STRING_ARRAY, long_items,
                       COUNT(long_items));
  cotel_span_set_attr(sp, &arr);
  cotel_span_set_attrs(sp, many, COUNT(many));
  for (int i = 0; i < CORPUS_EVENT_LIMIT + 3; i++) {
    char name[32];
    snprintf(name, sizeof name, "limits event %d", i);
    cotel_span_add_event(sp, name, 0, i == 0 ? many : NULL,
                         i == 0 ? COUNT(many) : 0);
  }
  for (int i = 0; !rc && i < CORPUS_LINK_LIMIT + 3; i++) {
    cotel_link l;
    memset(&l, 0, sizeof l);
    rc = remote_context(0x01, NULL, &l.context);
    l.attrs = i == 0 ? many : NULL;
    l.n_attrs = i == 0 ? COUNT(many) : 0;
    if (!rc) cotel_span_add_link(sp, &l);
  }
  cotel_span_end(sp, 0);
  return rc;
}

/* Trace 5: names, keys, event names and messages that are not ASCII, or are
 * not valid UTF-8 (the exporter must repair them, not lose the batch). */
static int strings(cotel_tracer *t) {
  cotel_span sp;
  int rc = start(t, "bad name \xff\xc3 and " UNICODE, NULL,
                 COTEL_SPAN_KIND_PRODUCER, NULL, 0, &sp);
  if (rc) return rc;
  cotel_span_set_str(sp, "\xd0\xba\xd0\xbb\xd1\x8e\xd1\x87", UNICODE);
  cotel_span_set_str(sp, "key\xff\xfe", INVALID);
  cotel_span_set_str(sp, "controls", CONTROLS);
  cotel_attr ea = cotel_attr_string("event.\xe2\x9c\x93", INVALID);
  cotel_span_add_event(sp, "event \xc0\xaf " UNICODE, 0, &ea, 1);
  cotel_span_set_status(sp, COTEL_STATUS_ERROR, INVALID " " UNICODE);
  cotel_span_end(sp, 0);
  return 0;
}

int corpus_record(cotel_provider *prov) {
  init_all_types();
  cotel_attr scope_attrs[] = {
      cotel_attr_string("scope.string", UNICODE),
      cotel_attr_int("scope.int", 7),
      cotel_attr_bool("scope.bool", true),
      cotel_attr_double("scope.double", 0.25),
      cotel_attr_array("scope.array.int", COTEL_ATTR_INT_ARRAY, int_items,
                       COUNT(int_items)),
  };
  cotel_tracer_options to;
  memset(&to, 0, sizeof to);
  to.name = "cotel.interop.corpus";
  to.version = "1.2.3";
  to.schema_url = "https://opentelemetry.io/schemas/1.26.0";
  to.attrs = scope_attrs;
  to.n_attrs = COUNT(scope_attrs);
  cotel_tracer *ta = NULL, *tb = NULL;
  int rc = cotel_provider_get_tracer(prov, &to, &ta);
  if (!rc) {
    /* A second scope: only a name, and one that is not ASCII. */
    memset(&to, 0, sizeof to);
    to.name = "cotel.interop.corpus.\xc3\xbcn\xc3\xaf";
    rc = cotel_provider_get_tracer(prov, &to, &tb);
  }
  if (rc) {
    fprintf(stderr, "corpus: get_tracer: %s\n", cotel_strerror(rc));
    return rc;
  }
  if (!rc) rc = local_tree(ta);
  if (!rc) rc = remote_parents(ta);
  if (!rc) rc = limits(tb);
  if (!rc) rc = strings(tb);
  return rc;
}
