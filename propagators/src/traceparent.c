/* W3C Trace Context traceparent: parse and format (§3.2).
 *
 *   00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01
 *   ^0 ^3                              ^36              ^53
 *
 * Fixed offsets, table-driven hex: the extract path's parse costs a few
 * nanoseconds and never allocates. */
#include "prop_internal.h"

#define TP_LEN 55

int cotel_traceparent_parse(const char *s, size_t len,
                            cotel_span_context *out) {
  if (!out) return COTEL_EINVAL;
  memset(out, 0, sizeof *out);
  /* §3.2.4: shorter than 55 characters is never parsed. */
  if (!s || len < TP_LEN) return COTEL_EPARSE;
  uint8_t version;
  if (!cotel__hex_decode(s, 1, &version, cotel__hex_lc)) return COTEL_EPARSE;
  /* §3.2.2.1: version ff is invalid. Version 00 is exactly 55 characters;
   * a higher version may carry more fields, but only after a "-"
   * (§3.2.4: the flags are "either at the end of the string or followed by
   * a dash"). */
  if (version == 0xff) return COTEL_EPARSE;
  if (version == 0 && len != TP_LEN) return COTEL_EPARSE;
  if (len > TP_LEN && s[TP_LEN] != '-') return COTEL_EPARSE;
  if (s[2] != '-' || s[35] != '-' || s[52] != '-') return COTEL_EPARSE;
  cotel_span_context sc;
  memset(&sc, 0, sizeof sc);
  uint8_t flags;
  if (!cotel__hex8_lc(s + 3, sc.trace_id.bytes) ||
      !cotel__hex8_lc(s + 11, sc.trace_id.bytes + 4) ||
      !cotel__hex8_lc(s + 19, sc.trace_id.bytes + 8) ||
      !cotel__hex8_lc(s + 27, sc.trace_id.bytes + 12) ||
      !cotel__hex8_lc(s + 36, sc.span_id.bytes) ||
      !cotel__hex8_lc(s + 44, sc.span_id.bytes + 4) ||
      !cotel__hex_decode(s + 53, 1, &flags, cotel__hex_lc))
    return COTEL_EPARSE;
  /* §3.2.2.3/§3.2.2.4: all-zero trace-id or parent-id is invalid. */
  if (!cotel__sc_valid(&sc)) return COTEL_EPARSE;
  /* §3.2.4: for a higher version only the bits known to this level are
   * read; "MUST NOT parse or assume anything about unknown fields". */
  sc.flags = version == 0 ? flags : (uint8_t)(flags & COTEL_TRACE_FLAGS_KNOWN);
  *out = sc;
  return 0;
}

int cotel_traceparent_format(const cotel_span_context *sc, char buf[56]) {
  if (!buf) return COTEL_EINVAL;
  if (!sc || !cotel__sc_valid(sc)) {
    buf[0] = '\0';
    return COTEL_EINVAL;
  }
  /* §3.2.4: we send the highest version we know, 00. */
  char *p = buf;
  *p++ = '0';
  *p++ = '0';
  *p++ = '-';
  p = cotel__hex_encode(sc->trace_id.bytes, 16, p);
  *p++ = '-';
  p = cotel__hex_encode(sc->span_id.bytes, 8, p);
  *p++ = '-';
  uint8_t flags = (uint8_t)(sc->flags & COTEL_TRACE_FLAGS_KNOWN);
  p = cotel__hex_encode(&flags, 1, p);
  *p = '\0';
  return TP_LEN;
}
