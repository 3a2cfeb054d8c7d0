/* Private to the OTLP exporter: the retry policy (OTLP spec "OTLP/HTTP
 * Throttling" and "Retryable Response Codes"). Pure functions, no I/O. */
#ifndef COTEL_OTLP_RETRY_H
#define COTEL_OTLP_RETRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* True for the HTTP statuses the spec calls retryable: 429, 502, 503, 504. */
bool cotel__otlp_status_retryable(long status);

/* True for libcurl results that mean a transient transport failure
 * (connection refused or reset, nothing received, a cut response), which the
 * spec treats like a retryable response. TLS and URL errors are final. */
bool cotel__otlp_curl_retryable(int curl_code);

/* Parse a Retry-After value (RFC 9110 §10.2.3): delay-seconds or an
 * HTTP-date, relative to `now_unix_s`. A date in the past gives 0.
 * Writes milliseconds, clamped to one day. 0 or COTEL_EINVAL. */
int cotel__otlp_parse_retry_after(const char *v, size_t len, int64_t now_unix_s,
                                  uint64_t *out_ms);

/* The wait before retry number `retry` (1 for the first retry):
 * d = min(initial * multiplier^(retry-1), max), then a random point of
 * [d/2, d] chosen by `rnd` (any 64-bit random value). */
uint64_t cotel__otlp_backoff_ms(uint32_t initial_ms, uint32_t max_ms,
                                double multiplier, unsigned retry,
                                uint64_t rnd);

/* A small xorshift step for the jitter (not for ids). */
uint64_t cotel__otlp_rand_next(uint64_t *state);

#endif
