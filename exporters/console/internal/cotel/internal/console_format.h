/* Console exporter internals: the tree printer (console_format.c) used by
 * the buffering exporter (console_exporter.c). */
#ifndef COTEL_INTERNAL_CONSOLE_FORMAT_H
#define COTEL_INTERNAL_CONSOLE_FORMAT_H

#include <stdio.h>

#include "cotel/span_data.h"

/* Print one trace as a tree: a header line `trace <32 hex>`, then each span
 * indented two spaces per depth under its parent (a span whose parent is
 * not among `spans` is a root of the tree), children in start order, events
 * below their span marked `*`, links marked `~`. `n` > 0, all spans of one
 * trace. Returns 0 or COTEL_ENOMEM (then nothing is printed). */
int cotel__console_print_trace(FILE *out, const cotel_span_data *const *spans,
                               size_t n);

/* "1.234ms"-style human duration into buf (>= 32 bytes). */
void cotel__console_format_duration(uint64_t ns, char *buf, size_t len);

#endif
