/* Log correlation (cotel/log.h): the current span context as hex strings,
 * and the two line formats C services log in. */
#include <string.h>

#include "cotel/internal/hex.h"
#include "cotel/log.h"

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
  *cotel__hex_encode(&sc.flags, 1, out->trace_flags) = '\0';
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

/* Appends without snprintf: a log call site runs on every line, and the
 * layout is fixed. */
typedef struct out {
  char *p;
  size_t left; /* bytes left, the NUL included */
  bool ok;
} out;

static void add(out *o, const char *s, size_t n) {
  if (!o->ok || n >= o->left) {
    o->ok = false;
    return;
  }
  memcpy(o->p, s, n);
  o->p += n;
  o->left -= n;
}
#define ADD_LIT(o, lit) add((o), (lit), sizeof(lit) - 1)

static const char *finish(out *o, char *buf) {
  if (o->ok)
    *o->p = '\0';
  else
    buf[0] = '\0';
  return buf;
}

const char *cotel_log_sd_id(const cotel_log_ids *ids, const char *sd_id,
                            char *buf, size_t cap) {
  if (!buf || cap == 0) return buf;
  buf[0] = '\0';
  if (!ids || !sd_id || !sd_id_ok(sd_id) || !ids_ok(ids)) return buf;
  out o = {buf, cap, true};
  ADD_LIT(&o, "[");
  add(&o, sd_id, strlen(sd_id));
  ADD_LIT(&o, " trace_id=\"");
  add(&o, ids->trace_id, 32);
  ADD_LIT(&o, "\" span_id=\"");
  add(&o, ids->span_id, 16);
  ADD_LIT(&o, "\" trace_flags=\"");
  add(&o, ids->trace_flags, 2);
  ADD_LIT(&o, "\"]");
  return finish(&o, buf);
}

const char *cotel_log_sd(const cotel_log_ids *ids, char *buf, size_t cap) {
  return cotel_log_sd_id(ids, COTEL_LOG_SD_ID, buf, cap);
}

const char *cotel_log_json(const cotel_log_ids *ids, char *buf, size_t cap) {
  if (!buf || cap == 0) return buf;
  buf[0] = '\0';
  if (!ids || !ids_ok(ids)) return buf;
  out o = {buf, cap, true};
  ADD_LIT(&o, "\"trace_id\":\"");
  add(&o, ids->trace_id, 32);
  ADD_LIT(&o, "\",\"span_id\":\"");
  add(&o, ids->span_id, 16);
  ADD_LIT(&o, "\",\"trace_flags\":\"");
  add(&o, ids->trace_flags, 2);
  ADD_LIT(&o, "\"");
  return finish(&o, buf);
}
