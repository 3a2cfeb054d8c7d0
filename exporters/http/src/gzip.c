/* gzip request bodies (OTLP spec "OTLP/HTTP Request": the client MAY
 * compress with gzip and then MUST send Content-Encoding: gzip). */
#include <zlib.h>

#include "cotel/common.h"
#include "cotel/internal/http.h"

int cotel__gzip(const uint8_t *in, size_t n, cotel__buf *out) {
  z_stream zs = {0};
  int zrc;
  out->len = 0;
  /* windowBits 15 + 16: a gzip wrapper instead of zlib's. */
  if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
                   Z_DEFAULT_STRATEGY) != Z_OK)
    return COTEL_ENOMEM;
  size_t bound = deflateBound(&zs, (uLong)n);
  if (cotel__buf_reserve(out, bound) != 0) {
    deflateEnd(&zs);
    return COTEL_ENOMEM;
  }
  zs.next_in = (Bytef *)(uintptr_t)in;
  zs.avail_in = (uInt)n;
  zs.next_out = out->data;
  zs.avail_out = (uInt)bound;
  zrc = deflate(&zs, Z_FINISH);
  out->len = zs.total_out;
  deflateEnd(&zs);
  return zrc == Z_STREAM_END ? 0 : COTEL_ENOMEM;
}
