/* A program outside the cotel tree: built against an installed cotel (or
 * one pulled in by add_subdirectory / FetchContent) by
 * scripts/consumer-test.sh. Prints one trace of two spans. */
#include <cotel/cotel.h>
#include <stdio.h>

int main(void) {
  cotel_provider_config cfg;
  cotel_provider_config_init(&cfg);
  cotel_provider *provider;
  int rc = cotel_provider_new(&cfg, &provider);
  if (rc != 0) {
    fprintf(stderr, "cotel_provider_new: %s\n", cotel_strerror(rc));
    return 1;
  }
  cotel_tracer *tracer = cotel_provider_tracer(provider, "consumer");
  cotel_span parent, child;
  cotel_span_start(tracer, "consumer-parent", NULL, &parent);
  cotel_token scope = cotel_span_make_current(parent);
  cotel_span_start(tracer, "consumer-child", NULL, &child);
  cotel_span_set_str(child, "consumer.how", CONSUMER_HOW);
  cotel_span_end(child, 0);
  cotel_context_detach(scope);
  cotel_span_end(parent, 0);
  cotel_provider_destroy(provider);
  printf("consumer (%s) linked cotel %s\n", CONSUMER_HOW, COTEL_VERSION);
  return 0;
}
