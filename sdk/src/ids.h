/* Private: id generation (DESIGN §4 "IDs"). */
#ifndef COTEL_IDS_H
#define COTEL_IDS_H

#include "cotel/trace.h"

/* A random 64-bit value from the calling thread's generator. */
uint64_t cotel__rand64(void);
/* Random, never all-zero ids (W3C Trace Context §3.2.2.3 / §3.2.2.4). */
void cotel__new_trace_id(cotel_trace_id *out);
void cotel__new_span_id(cotel_span_id *out);

#endif
