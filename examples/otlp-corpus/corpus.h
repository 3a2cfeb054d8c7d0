/* cotel-otlp-corpus: shared declarations (see main.c). */
#ifndef COTEL_OTLP_CORPUS_H
#define COTEL_OTLP_CORPUS_H

#include "cotel/cotel.h"

/* The provider's span limits, small enough for the corpus to exceed each. */
#define CORPUS_ATTR_LIMIT 32
#define CORPUS_VALUE_LENGTH_LIMIT 48
#define CORPUS_EVENT_LIMIT 6
#define CORPUS_LINK_LIMIT 4
#define CORPUS_ATTRS_PER_EVENT 32
#define CORPUS_ATTRS_PER_LINK 32

/* Fill buf with n random bytes (getrandom; aborts if it cannot). */
void corpus_random(void *buf, size_t n);

/* The resource attributes (static storage): every attribute type. */
const cotel_attr *corpus_resource_attrs(size_t *n);

/* Record the corpus with the provider's tracers; 0 or a COTEL_E* code. */
int corpus_record(cotel_provider *prov);

/* Write the spans the memory exporter holds, with the provider's resource,
 * as JSON to `path` (strings as hex bytes: they may be invalid UTF-8). */
int corpus_write_json(const char *path, const char *service,
                      cotel_provider *prov, cotel_exporter *mem);

#endif
