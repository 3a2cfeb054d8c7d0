/* Internal to libcotel (not installed): a growable owning byte buffer, the
 * one every component uses (encoders, HTTP responses, services). */
#ifndef COTEL_INTERNAL_BUF_H
#define COTEL_INTERNAL_BUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct cotel__buf {
  uint8_t *data;
  size_t len;
  size_t cap;
} cotel__buf;

void cotel__buf_init(cotel__buf *b);
void cotel__buf_free(cotel__buf *b);
/* Make room for `extra` more bytes. 0 or COTEL_ENOMEM. */
int cotel__buf_reserve(cotel__buf *b, size_t extra);

#endif
