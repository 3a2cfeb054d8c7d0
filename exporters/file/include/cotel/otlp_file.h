/** @file
 * cotel: the OTLP file exporter.
 *
 * Writes spans as OTLP/JSON lines (OpenTelemetry "OTLP File Exporter",
 * "JSON File serialization"): each export() call appends one
 * ExportTraceServiceRequest ({"resourceSpans":[...]}) as one line ending in
 * '\n', UTF-8, to a file or to stdout. The OpenTelemetry Collector's
 * `otlpjsonfile` receiver and `cotel-trace` read such files. A file is
 * rotated by size: when the next line would make it larger than
 * `max_bytes`, it is renamed to PATH.1 (PATH.1 to PATH.2, and so on, the
 * oldest beyond `max_backups` removed) and a new PATH is started; a line is
 * never split across files.
 *
 * Selected by OTEL_TRACES_EXPORTER=otlp/file. Writes are synchronous on the
 * processor's export thread (a line per batch, one write(2) call), never on
 * the thread that ends spans. */
#ifndef COTEL_OTLP_FILE_H
#define COTEL_OTLP_FILE_H

#include "cotel/exporter.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Exporter options; fill with cotel_otlp_file_options_init (defaults) and
 * optionally cotel_otlp_file_options_from_env, then change what the code
 * wants. Strings are borrowed until cotel_otlp_file_exporter_new returns. */
typedef struct cotel_otlp_file_options {
  /** File to append to, or NULL / "stdout" / "-" for standard output. A
   * "file://" prefix is accepted and removed. Default NULL (stdout, as the
   * declarative configuration's otlp_file exporter defaults to).
   * OTEL_EXPORTER_OTLP_TRACES_FILE, else OTEL_EXPORTER_OTLP_FILE. */
  const char *path;
  /** Rotate before a line would make the file exceed this many bytes; 0:
   * never rotate. Ignored for stdout. Default 100 MiB.
   * OTEL_EXPORTER_OTLP_[TRACES_]FILE_MAX_BYTES (a number of bytes, or with
   * a K, M or G suffix for KiB, MiB, GiB). */
  uint64_t max_bytes;
  /** Rotated files kept (PATH.1 .. PATH.N); 0 keeps none (the full file is
   * removed). Default 5. OTEL_EXPORTER_OTLP_[TRACES_]FILE_MAX_BACKUPS. */
  uint32_t max_backups;
} cotel_otlp_file_options;

/** Fill `o` with the defaults above (no environment). Not thread-safe on the
 * same `o`. */
COTEL_API void cotel_otlp_file_options_init(cotel_otlp_file_options *o);

/** Apply the OTEL_EXPORTER_OTLP_[TRACES_]FILE* variables to `o` (TRACES_
 * wins). A bad value logs a warning and leaves the field as it was. The
 * path points into the environment. */
COTEL_API void cotel_otlp_file_options_from_env(cotel_otlp_file_options *o);

/** Create the exporter (the file is opened, or created, in append mode
 * now). `o` NULL means the defaults. Returns 0, COTEL_EINVAL, COTEL_ENOMEM,
 * or COTEL_ESYS when the file cannot be opened (the reason is logged). The
 * exporter is owned by the processor it is given to. */
COTEL_API int cotel_otlp_file_exporter_new(const cotel_otlp_file_options *o,
                                           cotel_exporter **out);

/** Defaults, then the environment: what OTEL_TRACES_EXPORTER=otlp/file
 * uses. */
COTEL_API int cotel_otlp_file_exporter_new_from_env(cotel_exporter **out);

#ifdef __cplusplus
}
#endif
#endif
