/* libFuzzer: the OTLP exporter's Retry-After parser
 * (cotel__otlp_parse_retry_after, retry.c), which reads a header an
 * untrusted server controls (RFC 9110 §10.2.3; OTLP spec "OTLP/HTTP
 * Throttling").
 *
 * Input: bytes 0-3 pick "now" (a Unix time), the rest is the header value.
 * Every accepted value must give a delay of at most one day; an all-digit
 * value must give exactly min(seconds, 1 day) in ms. Then the input's time
 * is formatted as an IMF-fixdate and must parse back to the exact
 * distance from "now". */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cotel/common.h"
#include "cotel/internal/otlp_retry.h"

#define CHECK(c)                                                               \
  do {                                                                         \
    if (!(c)) abort();                                                         \
  } while (0)

#define DAY_MS (24ull * 3600 * 1000)

/* Reference for delay-seconds: digits only after trimming, any length. */
static bool ref_seconds(const char *v, size_t n, uint64_t *ms) {
  while (n && isspace((unsigned char)v[n - 1]))
    n--;
  while (n && isspace((unsigned char)*v))
    v++, n--;
  if (n == 0 || n >= 128) return false;
  uint64_t s = 0;
  for (size_t i = 0; i < n; i++) {
    if (!isdigit((unsigned char)v[i])) return false;
    if (s <= DAY_MS) s = s * 10 + (uint64_t)(v[i] - '0');
  }
  *ms = s >= DAY_MS / 1000 ? DAY_MS : s * 1000;
  return true;
}

static void check_value(const char *v, size_t n, int64_t now) {
  uint64_t ms = UINT64_MAX, want;
  int rc = cotel__otlp_parse_retry_after(v, n, now, &ms);
  CHECK(rc == 0 || rc == COTEL_EINVAL);
  if (rc == 0) CHECK(ms <= DAY_MS);
  if (ref_seconds(v, n, &want)) CHECK(rc == 0 && ms == want);
}

static void check_date(int64_t now, uint32_t ahead_s) {
  time_t t = (time_t)(now + ahead_s);
  struct tm tm;
  char buf[64];
  if (!gmtime_r(&t, &tm)) return;
  size_t n = strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (n == 0) return;
  uint64_t ms = UINT64_MAX;
  CHECK(cotel__otlp_parse_retry_after(buf, n, now, &ms) == 0);
  uint64_t want = (uint64_t)ahead_s * 1000;
  CHECK(ms == (want > DAY_MS ? DAY_MS : want));
  /* A date in the past is "retry now". */
  CHECK(cotel__otlp_parse_retry_after(buf, n, now + (int64_t)ahead_s + 1,
                                      &ms) == 0 &&
        ms == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 4) return 0;
  uint32_t x = (uint32_t)data[0] << 24 | (uint32_t)data[1] << 16 |
               (uint32_t)data[2] << 8 | data[3];
  /* Between 1970 and 2106: HTTP-dates before 1970 are not meaningful. */
  int64_t now = (int64_t)x;
  size_t n = size - 4;
  /* An exact-size copy: any read past the value is an ASan report. */
  char *v = malloc(n ? n : 1);
  if (!v) return 0;
  memcpy(v, data + 4, n);
  check_value(v, n, now);
  free(v);
  /* Keep the target time within 32-bit time_t-safe years (curl_getdate's
   * range on every platform). */
  if (now < INT32_MAX - (int64_t)(x % 200000)) check_date(now, x % 200000);
  return 0;
}
