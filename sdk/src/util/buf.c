/* cotel__buf: the growable byte buffer shared by every component. */
#include <stdlib.h>

#include "cotel/common.h"
#include "cotel/internal/buf.h"

void cotel__buf_init(cotel__buf *b) {
  b->data = NULL;
  b->len = 0;
  b->cap = 0;
}

void cotel__buf_free(cotel__buf *b) {
  free(b->data);
  cotel__buf_init(b);
}

int cotel__buf_reserve(cotel__buf *b, size_t extra) {
  if (extra > SIZE_MAX - b->len) return COTEL_ENOMEM;
  size_t need = b->len + extra;
  if (need <= b->cap) return 0;
  size_t cap = b->cap ? b->cap : 256;
  while (cap < need)
    cap = cap > SIZE_MAX / 2 ? need : cap * 2;
  uint8_t *p = realloc(b->data, cap);
  if (!p) return COTEL_ENOMEM;
  b->data = p;
  b->cap = cap;
  return 0;
}
