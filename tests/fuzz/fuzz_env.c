/* libFuzzer target for the OTEL_* value parsers (cotel/env.h). The first
 * byte picks the parser; the rest is the value. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cotel/env.h"
#include "cotel/internal/parse.h"

static void on_pair(void *ud, const char *k, const char *v) {
  size_t *total = ud;
  *total += strlen(k) + strlen(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static int quiet;
  if (!quiet) {
    cotel_log_set(NULL, NULL, COTEL_LOG_NONE);
    quiet = 1;
  }
  if (size < 1) return 0;
  char *s = malloc(size);
  if (!s) return 0;
  memcpy(s, data + 1, size - 1);
  s[size - 1] = '\0';
  bool b;
  uint32_t u;
  double d;
  size_t total = 0;
  uint64_t sz;
  switch (data[0] % 6) {
  case 0:
    (void)cotel_parse_bool(s, &b);
    break;
  case 1:
    (void)cotel_parse_u32(s, &u);
    break;
  case 2:
    (void)cotel_parse_double(s, &d);
    break;
  case 3:
    (void)cotel_parse_ms(s, &u);
    break;
  case 4: /* byte sizes of the file exporter and the spool */
    if (cotel__parse_size(s, &sz) == 0 && s[0] == '0' && sz != 0 &&
        strspn(s, "0") == strlen(s))
      abort(); /* all zeros is 0 */
    break;
  default:
    if (cotel_parse_kv_list(s, "FUZZ", on_pair, &total) > 0 && total > 2 * size)
      abort(); /* decoded text can never be longer than the input */
  }
  free(s);
  return 0;
}
