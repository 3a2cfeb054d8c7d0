/* Private to the OTLP exporter: the disk spool (a cotel extension).
 *
 * A directory of append-only segment files holding encoded OTLP requests
 * that could not be delivered, replayed oldest first. Each record is
 *
 *   magic u32 | length u32 | spans u32 | flags u32 | crc32 u32 | body
 *
 * (little endian; crc32 of the four fields before it and of the body), so a
 * torn write after a crash is detected and skipped. Segments are named
 * `<seq>.seg` (16 hex digits, increasing); a process always appends to a
 * segment it created, so the tail of an earlier process's segment is the
 * only place a torn write can be. `cursor` holds the position of the next
 * record to replay (two checksummed slots written in turn, so a torn
 * cursor write leaves the other one), and whether that record was on the
 * wire when the process stopped (its replay may then duplicate). `lock` is
 * flock()ed: one process per directory.
 *
 * The total size of the segments stays within a byte budget: appending
 * beyond it deletes the oldest segments, whose undelivered spans are counted
 * dropped. Everything here is synchronous file I/O, done on the exporter's
 * loop thread; nothing here runs on a thread that ends spans. */
#ifndef COTEL_OTLP_SPOOL_H
#define COTEL_OTLP_SPOOL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cotel/internal/buf.h"

/* Record flags. */
#define COTEL__SPOOL_JSON 1u  /* body is OTLP/JSON (else protobuf) */
#define COTEL__SPOOL_GZIP 2u  /* body is gzip-compressed */
#define COTEL__SPOOL_MAYBE 4u /* an attempt may have reached the receiver */

#define COTEL__SPOOL_HDR 20u

typedef struct cotel__spool_seg {
  uint64_t seq;
  uint64_t end;   /* bytes of valid records (a torn tail excluded) */
  uint64_t spans; /* spans of the records not yet replayed */
  bool own;       /* created by this process */
  struct cotel__spool_seg *next;
} cotel__spool_seg;

typedef struct cotel__spool_counters {
  _Atomic uint64_t written, replayed, recovered, dropped, dropped_own,
      duplicated, corrupt, pending_own, bytes;
} cotel__spool_counters;

typedef struct cotel__spool {
  char *dir;
  uint64_t max_bytes; /* budget for all segments */
  uint64_t seg_max;   /* a segment is closed once it reaches this size */
  int lock_fd, cursor_fd, wfd, rfd;
  uint64_t rfd_seq;    /* segment rfd reads */
  uint32_t cursor_gen; /* slot written last: cursor_gen % 2 */
  cotel__spool_seg *head, *tail;
  uint64_t head_off; /* next record to replay, in head */
  bool head_maybe;   /* the cursor said that record was on the wire */
  uint64_t peek_seq; /* the record peek returned: its segment, */
  uint64_t peek_off; /* offset */
  uint64_t peek_len; /* and size; 0: none */
  uint32_t peek_spans;
  bool peek_own, peek_maybe;
  uint64_t next_seq; /* of the next segment created */
  cotel__spool_counters c;
} cotel__spool;

/* Open (creating it if needed) the spool in `dir`, lock it, and scan what
 * an earlier process left: its spans count as recovered. 0, COTEL_EINVAL
 * (budget too small), COTEL_ESTATE (another process holds the directory),
 * COTEL_ESYS or COTEL_ENOMEM. */
int cotel__spool_open(const char *dir, uint64_t max_bytes, cotel__spool **out);

/* Close the files (data is fdatasync()ed first) and free. NULL is fine. */
void cotel__spool_close(cotel__spool *s);

/* Give up the files without touching them (a child after fork). */
void cotel__spool_abandon(cotel__spool *s);

/* Append one request body of `spans` spans. Over the budget, the oldest
 * segments are deleted first. 0, COTEL_EFULL (the record alone exceeds the
 * budget: its spans are counted dropped) or COTEL_ESYS (nothing written). */
int cotel__spool_append(cotel__spool *s, const uint8_t *body, size_t len,
                        uint32_t spans, uint32_t flags);

/* True while records wait to be replayed. */
bool cotel__spool_pending(const cotel__spool *s);

/* Read the oldest record into *body (replacing its contents), skipping and
 * counting corrupt ones. *own: written by this process. *maybe: an earlier
 * attempt may have reached the receiver. 0, COTEL_ENOTFOUND (empty),
 * COTEL_ENOMEM or COTEL_ESYS. */
int cotel__spool_peek(cotel__spool *s, cotel__buf *body, uint32_t *spans,
                      uint32_t *flags, bool *own, bool *maybe);

/* Persist that the peeked record is about to be sent. */
void cotel__spool_sending(cotel__spool *s);

/* A replay of the peeked record failed: `maybe` when it may still have
 * reached the receiver (a timeout, a cut answer), else it surely did not
 * (refused connection, 429/503) and the cursor stops saying it is on the
 * wire. The record stays first. */
void cotel__spool_unsent(cotel__spool *s, bool maybe);

/* The peeked record is done with: delivered (counted replayed) or not
 * (`delivered` false: counted dropped). Ignored when the budget deleted it
 * meanwhile. Returns its span count when it was this process's, else 0. */
uint32_t cotel__spool_ack(cotel__spool *s, bool delivered);

#endif
