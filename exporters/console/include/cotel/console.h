/** @file
 * cotel: the console exporter, a readable trace tree for humans. */
#ifndef COTEL_CONSOLE_H
#define COTEL_CONSOLE_H

#include "cotel/exporter.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Console exporter: prints a readable tree per trace to `out` (NULL means
 * stdout): a header line with the trace id, then one line per span indented
 * under its parent with its 16-hex span id, name, kind, duration, status and
 * attributes. Spans are buffered per trace until its local root ends (or
 * shutdown) so that a trace prints as one tree. */
COTEL_API int cotel_console_exporter_new(void *out_file /* FILE* */,
                                         cotel_exporter **out);

#ifdef __cplusplus
}
#endif
#endif
