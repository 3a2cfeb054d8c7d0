/* libFuzzer: what the OTLP/gRPC exporter reads from an untrusted server
 * (exporters/otlp/src/grpc.c): header and trailer lines (grpc-status,
 * percent-encoded grpc-message, grpc-status-details-bin), the 5-byte
 * message framing of the response body, and the base64 google.rpc.Status
 * whose RetryInfo sets the retry delay.
 *
 * Input: byte 0 picks the parser, the rest is its input. Invariants: the
 * result stays NUL-terminated and within its buffers, a status is -1 or a
 * non-negative number, an unframed message lies inside the input, and a
 * retry delay is bounded. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cotel/internal/otlp_grpc.h"

#define CHECK(c)                                                               \
  do {                                                                         \
    if (!(c)) abort();                                                         \
  } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  const uint8_t *in = data + 1;
  size_t n = size - 1;
  switch (data[0] % 3) {
  case 0: { /* header/trailer lines, split at '\n' like libcurl does */
    cotel__grpc_result g;
    cotel__grpc_result_reset(&g);
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
      if (i == n || in[i] == '\n') {
        size_t len = i - start + (i < n ? 1 : 0);
        cotel__grpc_header(&g, (const char *)in + start, len);
        start = i + 1;
      }
    }
    CHECK(g.status >= -1);
    CHECK(memchr(g.message, '\0', sizeof g.message) != NULL);
    /* It goes to log lines: no C0 control or DEL, whatever was encoded. */
    for (const unsigned char *p = (const unsigned char *)g.message; *p; p++)
      CHECK(*p >= 0x20 && *p != 0x7f);
    CHECK(memchr(g.details, '\0', sizeof g.details) != NULL);
    if (!g.details_cut) {
      uint64_t ms = 0;
      (void)cotel__grpc_retry_info(g.details, strlen(g.details), &ms);
    }
    char buf[16];
    CHECK(cotel__grpc_code_name(g.status, buf) != NULL);
    (void)cotel__grpc_retryable(g.status, false);
    break;
  }
  case 1: { /* a response body */
    const uint8_t *msg = NULL;
    size_t len = 0;
    if (cotel__grpc_unframe(in, n, &msg, &len) == 0) {
      CHECK(len <= n);
      if (len) CHECK(msg >= in && msg + len <= in + n);
    }
    break;
  }
  default: { /* grpc-status-details-bin */
    uint64_t ms = 0;
    if (cotel__grpc_retry_info((const char *)in, n, &ms))
      CHECK(ms <= 366ull * 24 * 3600 * 1000);
    break;
  }
  }
  return 0;
}
