/** @file
 * cotel: the in-memory exporter, for tests. */
#ifndef COTEL_MEMORY_H
#define COTEL_MEMORY_H

#include "cotel/exporter.h"

#ifdef __cplusplus
extern "C" {
#endif

/** In-memory exporter, for tests: keeps (retains) every exported span. */
COTEL_API int cotel_memory_exporter_new(cotel_exporter **out);
/** Number of spans kept so far. Thread-safe. */
COTEL_API size_t cotel_memory_exporter_count(cotel_exporter *exp);
/** The i-th exported span (borrowed; valid until clear/destroy). */
COTEL_API const cotel_span_data *cotel_memory_exporter_get(cotel_exporter *exp,
                                                           size_t i);
/** Release and forget every kept span. Thread-safe. */
COTEL_API void cotel_memory_exporter_clear(cotel_exporter *exp);
/** Make the next `n` export calls fail with `rc` (for processor tests). */
COTEL_API void cotel_memory_exporter_fail_next(cotel_exporter *exp, unsigned n,
                                               int rc);

#ifdef __cplusplus
}
#endif
#endif
