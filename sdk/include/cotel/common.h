/** @file
 * cotel: common types, error codes, allocator, attributes.
 *
 * Every public function returns 0 or a negative COTEL_E* code; cotel_strerror()
 * turns a code into text. Span-recording calls return nothing the caller must
 * check: on bad input they do nothing harmful and count what they dropped. */
#ifndef COTEL_COMMON_H
#define COTEL_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h> /* memset, for the inline _init functions */

#ifdef __cplusplus
extern "C" {
#endif

/** The cotel version, "major.minor.patch". */
#define COTEL_VERSION "0.1.0"

/** COTEL_API marks the functions libcotel exports. The library is built with
 * -fvisibility=hidden, so a function without it is internal to the library
 * (docs/abi.md). */
#if defined(_WIN32)
#define COTEL_API
#elif defined(__GNUC__) || defined(__clang__)
#define COTEL_API __attribute__((visibility("default")))
#else
#define COTEL_API
#endif

/** Error codes. Each component owns a range (AWS C runtime style):
 * -1..-99 core, -100..-199 propagators, -200..-299 exporters. */
enum {
  COTEL_OK = 0,           /**< success */
  COTEL_EINVAL = -1,      /**< an argument is NULL, out of range or malformed */
  COTEL_ENOMEM = -2,      /**< an allocation failed */
  COTEL_ESTATE = -3,      /**< the object is shut down, ended or not started */
  COTEL_ETIMEDOUT = -4,   /**< a deadline passed before the work was done */
  COTEL_EDETACH = -5,     /**< a context token detached out of order */
  COTEL_EFULL = -6,       /**< a bounded queue is full; the item was dropped */
  COTEL_ENOTSUP = -7,     /**< not supported in this build or configuration */
  COTEL_ESYS = -8,        /**< a system call failed (errno is logged) */
  COTEL_EPARSE = -100,    /**< a header or value could not be parsed */
  COTEL_ENOTFOUND = -101, /**< the carrier had no such header */
  COTEL_EEXPORT = -200,   /**< the exporter failed to deliver a batch */
  COTEL_ERETRY = -201,    /**< a retryable export failure */
};

/** Text for an error code; never NULL, static storage. */
COTEL_API const char *cotel_strerror(int rc);

/** Optional allocator, passed in the provider config. All functions get
 * `ud`. NULL members mean the libc function. Used for span records, contexts
 * and every other SDK allocation reached from the span path, which lets tests
 * inject allocation failures. */
typedef struct cotel_allocator {
  /** Like malloc(3); NULL: libc. */
  void *(*malloc)(void *ud, size_t size);
  /** Like realloc(3); NULL: libc. */
  void *(*realloc)(void *ud, void *ptr, size_t size);
  /** Like free(3); NULL: libc. */
  void (*free)(void *ud, void *ptr);
  void *ud; /**< passed as the first argument to every function */
} cotel_allocator;

/** Wall-clock time in nanoseconds since the Unix epoch (CLOCK_REALTIME; with
 * COTEL_CLOCK=tsc where the TSC is reliable, the calibrated TSC clock). */
COTEL_API uint64_t cotel_time_now_ns(void);

/** A non-owning string view: `ptr` need not be NUL-terminated. */
typedef struct cotel_str {
  const char *ptr; /**< the first byte; may be NULL when len is 0 */
  size_t len;      /**< length in bytes */
} cotel_str;

/** Attribute value types (OpenTelemetry common AnyValue, homogeneous arrays).
 */
typedef enum cotel_attr_type {
  COTEL_ATTR_STRING = 1,   /**< v.s */
  COTEL_ATTR_BOOL,         /**< v.b */
  COTEL_ATTR_INT,          /**< v.i */
  COTEL_ATTR_DOUBLE,       /**< v.d */
  COTEL_ATTR_STRING_ARRAY, /**< v.arr of cotel_str */
  COTEL_ATTR_BOOL_ARRAY,   /**< v.arr of bool */
  COTEL_ATTR_INT_ARRAY,    /**< v.arr of int64_t */
  COTEL_ATTR_DOUBLE_ARRAY, /**< v.arr of double */
} cotel_attr_type;

/** One attribute. As input (attributes at span start, event and link
 * attributes) all pointers are borrowed for the duration of the call and
 * copied; as output (cotel_span_data) they point into the span record and
 * live as long as it does. Strings are not required to be NUL-terminated:
 * lengths are authoritative. */
typedef struct cotel_attr {
  cotel_str key;        /**< the attribute name */
  cotel_attr_type type; /**< which member of v holds the value */
  union {
    cotel_str s; /**< COTEL_ATTR_STRING */
    bool b;      /**< COTEL_ATTR_BOOL */
    int64_t i;   /**< COTEL_ATTR_INT */
    double d;    /**< COTEL_ATTR_DOUBLE */
    struct {
      const void *items; /**< cotel_str[], bool[], int64_t[] or double[] */
      size_t count;      /**< number of elements in items */
    } arr;               /**< the *_ARRAY types */
  } v;                   /**< the value, selected by type */
} cotel_attr;

/** Helpers to build input attributes from NUL-terminated C strings. */
static inline cotel_str cotel_str_c(const char *s) {
  cotel_str r;
  r.ptr = s;
  r.len = 0;
  if (s)
    while (s[r.len])
      r.len++;
  return r;
}
/** A COTEL_ATTR_STRING attribute k=v (views of k and v, not copies). */
static inline cotel_attr cotel_attr_string(const char *k, const char *v) {
  cotel_attr a;
  a.key = cotel_str_c(k);
  a.type = COTEL_ATTR_STRING;
  a.v.s = cotel_str_c(v);
  return a;
}
/** A COTEL_ATTR_BOOL attribute k=v (a view of k). */
static inline cotel_attr cotel_attr_bool(const char *k, bool v) {
  cotel_attr a;
  a.key = cotel_str_c(k);
  a.type = COTEL_ATTR_BOOL;
  a.v.b = v;
  return a;
}
/** A COTEL_ATTR_INT attribute k=v (a view of k). */
static inline cotel_attr cotel_attr_int(const char *k, int64_t v) {
  cotel_attr a;
  a.key = cotel_str_c(k);
  a.type = COTEL_ATTR_INT;
  a.v.i = v;
  return a;
}
/** A COTEL_ATTR_DOUBLE attribute k=v (a view of k). */
static inline cotel_attr cotel_attr_double(const char *k, double v) {
  cotel_attr a;
  a.key = cotel_str_c(k);
  a.type = COTEL_ATTR_DOUBLE;
  a.v.d = v;
  return a;
}
/** Arrays: `type` is one of the *_ARRAY types, `items` points to `count`
 * elements of the matching C type (cotel_str for strings). */
static inline cotel_attr cotel_attr_array(const char *k, cotel_attr_type type,
                                          const void *items, size_t count) {
  cotel_attr a;
  a.key = cotel_str_c(k);
  a.type = type;
  a.v.arr.items = items;
  a.v.arr.count = count;
  return a;
}

/** Diagnostics. The SDK logs warnings (bad env values, dropped data, export
 * failures) through one hook; the default writes "cotel: <level>: <msg>" to
 * stderr. Thread-safe; the hook may be called from the export thread. */
typedef enum cotel_log_level {
  COTEL_LOG_DEBUG = 0, /**< detail for debugging */
  COTEL_LOG_INFO,      /**< informational */
  COTEL_LOG_WARN,      /**< lost data or a bad setting (the default minimum) */
  COTEL_LOG_ERROR,     /**< an error */
  COTEL_LOG_NONE,      /**< as a minimum level: log nothing */
} cotel_log_level;
/** The log hook: gets the ud given to cotel_log_set, the level and the
 * formatted message (without a trailing newline). */
typedef void (*cotel_log_fn)(void *ud, cotel_log_level level, const char *msg);
/** Replace the log hook (NULL restores the default) and the minimum level
 * (default WARN, or OTEL_LOG_LEVEL). */
COTEL_API void cotel_log_set(cotel_log_fn fn, void *ud,
                             cotel_log_level min_level);
/** Log through the hook (printf format). Used by every cotel component. */
COTEL_API void cotel_log(cotel_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#ifdef __cplusplus
}
#endif
#endif
