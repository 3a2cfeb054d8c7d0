/* cotel: W3C baggage, immutable and reference-counted. NULL is the empty
 * baggage. Set/remove return a new baggage (copy on write). */
#ifndef COTEL_BAGGAGE_H
#define COTEL_BAGGAGE_H

#include "cotel/context.h"

#ifdef __cplusplus
extern "C" {
#endif

cotel_baggage *cotel_baggage_retain(cotel_baggage *b);
void cotel_baggage_release(cotel_baggage *b);
size_t cotel_baggage_count(const cotel_baggage *b);
/* Entry i in insertion order; metadata is the raw property string (may be
 * empty). Views are borrowed from b. */
int cotel_baggage_entry(const cotel_baggage *b, size_t i, cotel_str *key,
                        cotel_str *value, cotel_str *metadata);
/* COTEL_ENOTFOUND when absent. */
int cotel_baggage_get(const cotel_baggage *b, cotel_str key, cotel_str *value);
/* New baggage with key set (replacing an existing entry in place). */
int cotel_baggage_set(const cotel_baggage *b, cotel_str key, cotel_str value,
                      cotel_str metadata, cotel_baggage **out);
int cotel_baggage_remove(const cotel_baggage *b, cotel_str key,
                         cotel_baggage **out);

/* Convenience on the current context: a new context with key=value in its
 * baggage (caller owns the reference). */
int cotel_context_set_baggage(cotel_context *parent, const char *key,
                              const char *value, cotel_context **out);

#ifdef __cplusplus
}
#endif
#endif
