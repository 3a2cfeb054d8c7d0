/* The W3C baggage header value: parse and format (W3C Baggage §3.3).
 *
 *   baggage-string = list-member 0*179( OWS "," OWS list-member )
 *   list-member    = key OWS "=" OWS value *( OWS ";" OWS property )
 *   key            = token (RFC 7230 §3.2.6)
 *   value          = *baggage-octet, a percent-encoded UTF-8 string
 *
 * Parsing is lenient per member (OTel: one bad entry must not lose the
 * others), strict within one: a member that breaks the grammar is skipped
 * whole. Limits (§3.3.2): members past COTEL_BAGGAGE_MAX_MEMBERS or that
 * would take the list past COTEL_BAGGAGE_MAX_BYTES are dropped whole. */
#include <stdlib.h>

#include "cotel/internal/baggage_grammar.h"
#include "prop_internal.h"

/* Split one trimmed member [b, e) into key, raw value and metadata. */
static bool split_member(const char *b, const char *e, cotel_str *key,
                         cotel_str *raw, cotel_str *meta) {
  const char *p = b;
  while (p < e && cotel__is_tchar((unsigned char)*p))
    p++;
  if (p == b) return false;
  *key = (cotel_str){b, (size_t)(p - b)};
  while (p < e && cotel__is_ows(*p))
    p++;
  if (p == e || *p++ != '=') return false;
  while (p < e && cotel__is_ows(*p))
    p++;
  const char *v = p;
  while (p < e && cotel__is_baggage_octet((unsigned char)*p))
    p++;
  *raw = (cotel_str){v, (size_t)(p - v)};
  while (p < e && cotel__is_ows(*p))
    p++;
  *meta = (cotel_str){"", 0};
  if (p == e) return true;
  if (*p++ != ';') return false;
  *meta = cotel__trim((cotel_str){p, (size_t)(e - p)});
  return meta->len > 0 && cotel_baggage_metadata_valid(*meta);
}

int cotel_baggage_parse(const char *s, size_t len, cotel_baggage **out) {
  if (!out) return COTEL_EINVAL;
  *out = NULL;
  if (!s && len) return COTEL_EINVAL;
  /* Only accepted members are decoded, and they total at most MAX_BYTES
   * raw bytes, so the decoded values need at most 3x that (U+FFFD). */
  size_t raw_cap =
      len < COTEL_BAGGAGE_MAX_BYTES ? len : COTEL_BAGGAGE_MAX_BYTES;
  cotel_baggage_kv *ent = malloc(COTEL_BAGGAGE_MAX_MEMBERS * sizeof *ent);
  char *tmp = malloc(raw_cap + 1);
  char *dec = malloc(3 * raw_cap + 1);
  if (!ent || !tmp || !dec) {
    free(ent), free(tmp), free(dec);
    return COTEL_ENOMEM;
  }
  size_t n = 0, bytes = 0, used = 0, seen = 0, pos = 0;
  while (pos <= len && n < COTEL_BAGGAGE_MAX_MEMBERS) {
    const char *b = s + pos;
    const char *comma = len - pos ? memchr(b, ',', len - pos) : NULL;
    const char *e = comma ? comma : s + len;
    pos = (size_t)(e - s) + 1;
    while (b < e && cotel__is_ows(*b))
      b++;
    while (e > b && cotel__is_ows(e[-1]))
      e--;
    if (b == e) continue; /* empty members come from joining header lines */
    seen++;
    cotel_str key, raw, meta;
    if (!split_member(b, e, &key, &raw, &meta)) continue;
    size_t mlen = (size_t)(e - b);
    if (bytes + (n ? 1 : 0) + mlen > COTEL_BAGGAGE_MAX_BYTES) continue;
    size_t dlen;
    if (!cotel__pct_decode(raw.ptr, raw.len, tmp, &dlen)) continue;
    size_t vlen =
        (size_t)(cotel__utf8_repair(dec + used, tmp, dlen) - (dec + used));
    ent[n].key = key;
    ent[n].value = (cotel_str){dec + used, vlen};
    ent[n].metadata = meta;
    used += vlen;
    bytes += (n ? 1 : 0) + mlen;
    n++;
  }
  int rc = cotel_baggage_from_entries(ent, n, out);
  free(ent), free(tmp), free(dec);
  if (rc == 0 && n == 0 && seen) rc = COTEL_EPARSE;
  return rc;
}

/* Length of one member as we send it; 0 when it cannot be sent. */
static size_t member_len(cotel_str k, cotel_str v, cotel_str m) {
  size_t n = k.len + 1 + cotel__pct_encoded_len(v.ptr, v.len);
  if (m.len) n += 1 + m.len;
  return n;
}

size_t cotel_baggage_format(const cotel_baggage *b, char *buf, size_t cap) {
  size_t total = 0, kept = 0, cnt = cotel_baggage_count(b);
  /* Pass 1 decides which members fit; pass 2 (only when everything fits
   * in buf) writes them. The decision is the same in both passes. */
  for (int pass = 0; pass < 2; pass++) {
    char *p = buf;
    size_t t = 0;
    kept = 0;
    for (size_t i = 0; i < cnt && kept < COTEL_BAGGAGE_MAX_MEMBERS; i++) {
      cotel_str k, v, m;
      cotel_baggage_entry(b, i, &k, &v, &m);
      size_t ml = member_len(k, v, m) + (kept ? 1 : 0);
      if (t + ml > COTEL_BAGGAGE_MAX_BYTES) continue; /* dropped whole */
      t += ml;
      if (pass == 1) {
        if (kept) *p++ = ',';
        memcpy(p, k.ptr, k.len);
        p += k.len;
        *p++ = '=';
        p = cotel__pct_encode(v.ptr, v.len, p);
        if (m.len) {
          *p++ = ';';
          memcpy(p, m.ptr, m.len);
          p += m.len;
        }
      }
      kept++;
    }
    total = t;
    if (pass == 1) *p = '\0';
    if (!buf || cap == 0) return total;
    if (total >= cap) {
      buf[0] = '\0';
      return total;
    }
  }
  return total;
}
