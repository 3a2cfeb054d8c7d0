/* cotel-example-syslog: log correlation through syslog(3).
 *
 *   cotel-example-syslog [--requests N] [--json] [TRACEPARENT]
 *
 * Handles N simulated requests (default 2), each a SERVER span (continuing
 * TRACEPARENT when given, as if it came in a header) with a child span for
 * the work it does. Every line logged inside a request carries the current
 * trace_id, span_id and trace_flags as an RFC 5424 structured-data element;
 * lines logged outside any request carry none. Lines go to syslog and, with
 * LOG_PERROR, to stderr. With --json each line is also written to stdout as
 * a JSON object with the ids named as the OpenTelemetry log data model
 * names them. Spans go where OTEL_TRACES_EXPORTER says (console by
 * default). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "cotel/cotel.h"

static bool json;

/* One log line with the ids of the current context, the only tracing code a
 * logging call site needs. */
static void log_line(int prio, const char *msg) {
  cotel_log_ids ids;
  cotel_log_ids_current(&ids); /* empty strings outside a span */
  char sd[COTEL_LOG_SD_SIZE];
  cotel_log_sd(&ids, sd, sizeof sd);
  syslog(prio, "%s%s%s", sd, *sd ? " " : "", msg);
  if (json) {
    char fields[COTEL_LOG_JSON_SIZE];
    cotel_log_json(&ids, fields, sizeof fields);
    printf("{\"body\":\"%s\"%s%s}\n", msg, *fields ? "," : "", fields);
  }
}

static void handle_request(cotel_tracer *tracer, cotel_context *incoming) {
  cotel_span_options o = {.parent = incoming, .kind = COTEL_SPAN_KIND_SERVER};
  cotel_span server;
  cotel_span_start(tracer, "GET /orders", &o, &server);
  cotel_span_set_str(server, COTEL_ATTR_HTTP_REQUEST_METHOD,
                     COTEL_HTTP_REQUEST_METHOD_VALUE_GET);
  cotel_span_set_str(server, COTEL_ATTR_URL_PATH, "/orders");
  cotel_token scope = cotel_span_make_current(server);
  log_line(LOG_INFO, "request received");

  cotel_span query;
  cotel_span_start(tracer, "SELECT orders", NULL, &query);
  cotel_span_set_str(query, COTEL_ATTR_DB_SYSTEM_NAME,
                     COTEL_DB_SYSTEM_NAME_VALUE_POSTGRESQL);
  cotel_token inner = cotel_span_make_current(query);
  log_line(LOG_DEBUG, "querying orders");
  cotel_context_detach(inner);
  cotel_span_end(query, 0);

  cotel_span_set_int(server, COTEL_ATTR_HTTP_RESPONSE_STATUS_CODE, 200);
  log_line(LOG_INFO, "request done");
  cotel_context_detach(scope);
  cotel_span_end(server, 0);
}

int main(int argc, char **argv) {
  int requests = 2;
  const char *traceparent = NULL;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--json")) {
      json = true;
    } else if (!strcmp(argv[i], "--requests") && i + 1 < argc) {
      requests = atoi(argv[++i]);
    } else if (argv[i][0] != '-') {
      traceparent = argv[i];
    } else {
      fprintf(stderr, "usage: %s [--requests N] [--json] [TRACEPARENT]\n",
              argv[0]);
      return 2;
    }
  }
  openlog("cotel-example-syslog", LOG_PID | LOG_PERROR, LOG_USER);

  cotel_provider_config cfg;
  cotel_provider_config_init(&cfg);
  cotel_provider *provider;
  if (cotel_provider_new(&cfg, &provider) != 0) return 1;
  cotel_tracer *tracer = cotel_provider_tracer(provider, "example-syslog");

  cotel_context *incoming = NULL;
  if (traceparent) {
    cotel_span_context sc;
    if (cotel_traceparent_parse(traceparent, strlen(traceparent), &sc) != 0 ||
        cotel_context_with_remote(NULL, &sc, &incoming) != 0) {
      fprintf(stderr, "invalid traceparent: %s\n", traceparent);
      cotel_provider_destroy(provider);
      return 2;
    }
  }

  log_line(LOG_NOTICE, "starting");
  for (int i = 0; i < requests; i++)
    handle_request(tracer, incoming);
  log_line(LOG_NOTICE, "stopping");

  cotel_context_release(incoming);
  cotel_provider_destroy(provider);
  closelog();
  return 0;
}
