/* Error strings, clocks and the diagnostics hook. */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cotel/internal/time.h"
#include "cotel/common.h"
#include "cotel/exporter.h"
#include "cotel/internal/clock.h"

const char *cotel_strerror(int rc) {
  switch (rc) {
  case COTEL_OK:
    return "success";
  case COTEL_EINVAL:
    return "invalid argument";
  case COTEL_ENOMEM:
    return "out of memory";
  case COTEL_ESTATE:
    return "object is shut down or in the wrong state";
  case COTEL_ETIMEDOUT:
    return "deadline passed";
  case COTEL_EDETACH:
    return "context token detached out of order";
  case COTEL_EFULL:
    return "queue full: item dropped";
  case COTEL_ENOTSUP:
    return "not supported";
  case COTEL_ESYS:
    return "system call failed";
  case COTEL_EPARSE:
    return "malformed input";
  case COTEL_ENOTFOUND:
    return "not found";
  case COTEL_EEXPORT:
    return "export failed";
  case COTEL_ERETRY:
    return "export failed (retryable)";
  default:
    return "unknown error";
  }
}

uint64_t cotel_time_now_ns(void) {
  return cotel__clock_now_ns();
}

uint64_t cotel_monotonic_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return cotel__ns_of_timespec(&ts);
}

static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;
static cotel_log_fn log_fn;
static void *log_ud;
static int log_min = -1; /* -1: not yet read from OTEL_LOG_LEVEL */

static int level_from_env(void) {
  const char *v = getenv("OTEL_LOG_LEVEL");
  if (!v || !*v) return COTEL_LOG_WARN;
  if (!strcasecmp(v, "debug")) return COTEL_LOG_DEBUG;
  if (!strcasecmp(v, "info")) return COTEL_LOG_INFO;
  if (!strcasecmp(v, "warn") || !strcasecmp(v, "warning"))
    return COTEL_LOG_WARN;
  if (!strcasecmp(v, "error")) return COTEL_LOG_ERROR;
  if (!strcasecmp(v, "none") || !strcasecmp(v, "off")) return COTEL_LOG_NONE;
  return COTEL_LOG_WARN;
}

void cotel_log_set(cotel_log_fn fn, void *ud, cotel_log_level min_level) {
  pthread_mutex_lock(&log_mu);
  log_fn = fn;
  log_ud = ud;
  log_min = (int)min_level;
  pthread_mutex_unlock(&log_mu);
}

void cotel_log(cotel_log_level level, const char *fmt, ...) {
  static const char *names[] = {"debug", "info", "warn", "error", "none"};
  char msg[1024];
  va_list ap;
  /* Out of range (or "none", which is a threshold, not a level): nothing. */
  if ((int)level < (int)COTEL_LOG_DEBUG || (int)level > (int)COTEL_LOG_ERROR ||
      !fmt)
    return;
  pthread_mutex_lock(&log_mu);
  if (log_min < 0) log_min = level_from_env();
  if ((int)level < log_min) {
    pthread_mutex_unlock(&log_mu);
    return;
  }
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (log_fn)
    log_fn(log_ud, level, msg);
  else
    fprintf(stderr, "cotel: %s: %s\n", names[level], msg);
  pthread_mutex_unlock(&log_mu);
}
