/* Log correlation (cotel/log.h): the current span context as hex strings,
 * and the two line formats C services log in. */
#include <stdio.h>
#include <string.h>

#include "cotel/log.h"

static void hex_byte(uint8_t v, char out[3]) {
  static const char digits[] = "0123456789abcdef";
  out[0] = digits[v >> 4];
  out[1] = digits[v & 15];
  out[2] = '\0';
}

int cotel_log_ids_from_context(const cotel_context *ctx, cotel_log_ids *out) {
  if (!out) return COTEL_EINVAL;
  out->trace_id[0] = out->span_id[0] = out->trace_flags[0] = '\0';
  cotel_span_context sc;
  if (!ctx) ctx = cotel_context_current();
  if (cotel_context_span_context(ctx, &sc) != 0 ||
      !cotel_span_context_is_valid(&sc))
    return COTEL_ENOTFOUND;
  cotel_trace_id_to_hex(&sc.trace_id, out->trace_id);
  cotel_span_id_to_hex(&sc.span_id, out->span_id);
  hex_byte(sc.flags, out->trace_flags);
  return 0;
}

int cotel_log_ids_current(cotel_log_ids *out) {
  return cotel_log_ids_from_context(NULL, out);
}

/* The ids are hex we wrote ourselves, but the struct is the caller's: check
 * them, so that a damaged struct never produces a line that breaks the
 * format (no quote, bracket or backslash can get through). */
static bool hex_of_len(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return s[n] == '\0';
}

static bool ids_ok(const cotel_log_ids *ids) {
  return hex_of_len(ids->trace_id, 32) && hex_of_len(ids->span_id, 16) &&
         hex_of_len(ids->trace_flags, 2);
}

/* RFC 5424 §6: SD-NAME = 1*32PRINTUSASCII except '=', SP, ']', '"'. */
static bool sd_id_ok(const char *s) {
  size_t n = strlen(s);
  if (n == 0 || n > 32) return false;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c < 33 || c > 126 || c == '=' || c == ']' || c == '"') return false;
  }
  return true;
}

static const char *put(char *buf, size_t cap, int n) {
  if (n < 0 || (size_t)n >= cap) buf[0] = '\0';
  return buf;
}

const char *cotel_log_sd_id(const cotel_log_ids *ids, const char *sd_id,
                            char *buf, size_t cap) {
  if (!buf || cap == 0) return buf;
  buf[0] = '\0';
  if (!ids || !sd_id || !sd_id_ok(sd_id) || !ids_ok(ids)) return buf;
  return put(buf, cap,
             snprintf(buf, cap,
                      "[%s trace_id=\"%s\" span_id=\"%s\" trace_flags=\"%s\"]",
                      sd_id, ids->trace_id, ids->span_id, ids->trace_flags));
}

const char *cotel_log_sd(const cotel_log_ids *ids, char *buf, size_t cap) {
  return cotel_log_sd_id(ids, COTEL_LOG_SD_ID, buf, cap);
}

const char *cotel_log_json(const cotel_log_ids *ids, char *buf, size_t cap) {
  if (!buf || cap == 0) return buf;
  buf[0] = '\0';
  if (!ids || !ids_ok(ids)) return buf;
  return put(
      buf, cap,
      snprintf(buf, cap,
               "\"trace_id\":\"%s\",\"span_id\":\"%s\",\"trace_flags\":\"%s\"",
               ids->trace_id, ids->span_id, ids->trace_flags));
}
