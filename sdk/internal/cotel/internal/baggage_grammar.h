/* Internal to libcotel (one copy for the sdk's baggage and the W3C Baggage
 * propagator): the character classes of the W3C Baggage grammar. */
#ifndef COTEL_INTERNAL_BAGGAGE_GRAMMAR_H
#define COTEL_INTERNAL_BAGGAGE_GRAMMAR_H

#include <stdbool.h>
#include <string.h>

/* RFC 7230 §3.2.6 tchar: the characters of a baggage key (token). */
static inline bool cotel__is_tchar(unsigned char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
      (c >= 'A' && c <= 'Z'))
    return true;
  return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* W3C Baggage §3.3.1: baggage-octet = %x21 / %x23-2B / %x2D-3A / %x3C-5B /
 * %x5D-7E (no CTLs, whitespace, DQUOTE, comma, semicolon, backslash). */
static inline bool cotel__is_baggage_octet(unsigned char c) {
  return c >= 0x21 && c <= 0x7e && c != '"' && c != ',' && c != ';' &&
         c != '\\';
}

#endif
