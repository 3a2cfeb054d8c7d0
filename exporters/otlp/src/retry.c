/* Retry policy of the OTLP/HTTP exporter.
 *
 * OTLP spec, "OTLP/HTTP Throttling": on 429 or 503 the client SHOULD honour
 * Retry-After, otherwise use exponential backoff with jitter; "Retryable
 * Response Codes": 429, 502, 503 and 504 are retryable, every other 4xx/5xx
 * is not. Connection failures are retried like a 503 without Retry-After. */
#include <ctype.h>
#include <curl/curl.h>
#include <string.h>
#include <time.h>

#include "cotel/common.h"
#include "cotel/internal/otlp_retry.h"

#define MAX_DELAY_MS (24ull * 3600 * 1000)

bool cotel__otlp_status_retryable(long status) {
  return status == 429 || status == 502 || status == 503 || status == 504;
}

bool cotel__otlp_curl_retryable(int curl_code) {
  switch ((CURLcode)curl_code) {
  case CURLE_COULDNT_CONNECT:
  case CURLE_COULDNT_RESOLVE_HOST: /* resolvers fail transiently too */
  case CURLE_SEND_ERROR:
  case CURLE_RECV_ERROR:
  case CURLE_GOT_NOTHING:  /* the server closed without a response */
  case CURLE_PARTIAL_FILE: /* a response cut short */
  case CURLE_HTTP2:
  case CURLE_HTTP2_STREAM:
  case CURLE_OPERATION_TIMEDOUT: /* bounded by the caller's deadline */
    return true;
  default:
    return false;
  }
}

int cotel__otlp_parse_retry_after(const char *v, size_t len, int64_t now_unix_s,
                                  uint64_t *out_ms) {
  char tmp[128];
  size_t i = 0;
  while (len > 0 && isspace((unsigned char)v[len - 1]))
    len--;
  while (i < len && isspace((unsigned char)v[i]))
    i++;
  v += i;
  len -= i;
  if (len == 0 || len >= sizeof tmp) return COTEL_EINVAL;
  if (isdigit((unsigned char)v[0])) {
    uint64_t s = 0;
    for (i = 0; i < len; i++) {
      if (!isdigit((unsigned char)v[i])) return COTEL_EINVAL;
      if (s < MAX_DELAY_MS) s = s * 10 + (uint64_t)(v[i] - '0');
    }
    s = s > MAX_DELAY_MS / 1000 ? MAX_DELAY_MS : s * 1000;
    *out_ms = s;
    return 0;
  }
  memcpy(tmp, v, len);
  tmp[len] = 0;
  /* curl_getdate parses the three HTTP-date forms (IMF-fixdate, RFC 850,
   * asctime). */
  time_t t = curl_getdate(tmp, NULL);
  if (t == (time_t)-1) return COTEL_EINVAL;
  int64_t d = (int64_t)t - now_unix_s;
  if (d <= 0) {
    *out_ms = 0;
  } else {
    *out_ms =
        (uint64_t)d > MAX_DELAY_MS / 1000 ? MAX_DELAY_MS : (uint64_t)d * 1000;
  }
  return 0;
}

uint64_t cotel__otlp_backoff_ms(uint32_t initial_ms, uint32_t max_ms,
                                double multiplier, unsigned retry,
                                uint64_t rnd) {
  double d = initial_ms;
  if (multiplier < 1.0) multiplier = 1.0;
  for (unsigned i = 1; i < retry && d < max_ms; i++)
    d *= multiplier;
  if (d > max_ms) d = max_ms;
  uint64_t full = (uint64_t)d;
  uint64_t half = full / 2;
  /* Jitter keeps many clients that failed together from retrying
   * together. */
  return half + (full - half == 0 ? 0 : rnd % (full - half + 1));
}

uint64_t cotel__otlp_rand_next(uint64_t *state) {
  uint64_t x = *state ? *state : 0x9e3779b97f4a7c15ull;
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  *state = x;
  return x;
}
