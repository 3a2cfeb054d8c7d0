/* The OTLP exporter's disk spool: segment files, records, the replay
 * cursor and the byte budget (the format is described in spool.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include <zlib.h>

#include "cotel/common.h"
#include "spool.h"

#define REC_MAGIC 0x52505343u /* "CSPR" */
#define CUR_MAGIC 0x43505343u /* "CSPC" */
#define CUR_SLOT 32u
#define MIN_BUDGET (16u * 1024u)
#define MAX_RECORD (256u * 1024u * 1024u)

#define ADD(s, f, v)                                                           \
  atomic_fetch_add_explicit(&(s)->c.f, (v), memory_order_relaxed)
#define SUB(s, f, v)                                                           \
  atomic_fetch_sub_explicit(&(s)->c.f, (v), memory_order_relaxed)

static void put32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)(v >> 16);
  p[3] = (uint8_t)(v >> 24);
}

static uint32_t get32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
         (uint32_t)p[3] << 24;
}

static void put64(uint8_t *p, uint64_t v) {
  put32(p, (uint32_t)v);
  put32(p + 4, (uint32_t)(v >> 32));
}

static uint64_t get64(const uint8_t *p) {
  return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

static uint32_t rec_crc(const uint8_t *hdr, const uint8_t *body, size_t len) {
  uLong c = crc32(0L, Z_NULL, 0);
  c = crc32(c, hdr, 16);
  /* zlib takes uInt lengths; records are bounded by MAX_RECORD. */
  c = crc32(c, body, (uInt)len);
  return (uint32_t)c;
}

static void seg_path(const cotel__spool *s, uint64_t seq, char *buf,
                     size_t cap) {
  snprintf(buf, cap, "%s/%016llx.seg", s->dir, (unsigned long long)seq);
}

static int sys_fail(const char *what, const char *path) {
  cotel_log(COTEL_LOG_WARN, "otlp spool: %s %s: %s", what, path,
            strerror(errno));
  return COTEL_ESYS;
}

/* ---- cursor ------------------------------------------------------------ */

static void cursor_write(cotel__spool *s, bool sending) {
  uint8_t b[CUR_SLOT] = {0};
  uint64_t seq = s->head ? s->head->seq : 0;
  s->cursor_gen++;
  put32(b, CUR_MAGIC);
  put32(b + 4, s->cursor_gen);
  put64(b + 8, seq);
  put64(b + 16, s->head_off);
  put32(b + 24, sending ? 1u : 0u);
  put32(b + 28, (uint32_t)crc32(0L, b, 28));
  if (pwrite(s->cursor_fd, b, sizeof b,
             (off_t)(s->cursor_gen % 2) * CUR_SLOT) != (ssize_t)sizeof b)
    cotel_log(COTEL_LOG_WARN, "otlp spool: cursor write failed: %s",
              strerror(errno));
}

/* The newest valid slot; false when there is none. */
static bool cursor_read(cotel__spool *s, uint64_t *seq, uint64_t *off,
                        bool *sending) {
  uint8_t b[2 * CUR_SLOT];
  ssize_t n = pread(s->cursor_fd, b, sizeof b, 0);
  bool found = false;
  for (int i = 0; i < 2; i++) {
    const uint8_t *p = b + i * CUR_SLOT;
    if (n < (ssize_t)((i + 1) * CUR_SLOT)) break;
    if (get32(p) != CUR_MAGIC || get32(p + 28) != (uint32_t)crc32(0L, p, 28))
      continue;
    uint32_t gen = get32(p + 4);
    if (found && (int32_t)(gen - s->cursor_gen) <= 0) continue;
    found = true;
    s->cursor_gen = gen;
    *seq = get64(p + 8);
    *off = get64(p + 16);
    *sending = get32(p + 24) & 1u;
  }
  return found;
}

/* ---- segments ---------------------------------------------------------- */

/* Validate the record at `off` of a file of `size` bytes: its total size, or
 * 0 when it is torn or its header is bad (nothing after it can be trusted);
 * *crc_ok tells whether the body matches. */
static uint64_t rec_check(int fd, uint64_t off, uint64_t size, cotel__buf *tmp,
                          uint32_t *spans, uint32_t *flags, bool *crc_ok) {
  uint8_t h[COTEL__SPOOL_HDR];
  uint32_t len;
  if (size - off < COTEL__SPOOL_HDR) return 0;
  if (pread(fd, h, sizeof h, (off_t)off) != (ssize_t)sizeof h) return 0;
  len = get32(h + 4);
  if (get32(h) != REC_MAGIC || len > MAX_RECORD ||
      len > size - off - COTEL__SPOOL_HDR)
    return 0;
  tmp->len = 0;
  if (cotel__buf_reserve(tmp, len) != 0) return 0;
  if (len && pread(fd, tmp->data, len, (off_t)(off + COTEL__SPOOL_HDR)) !=
                 (ssize_t)len)
    return 0;
  tmp->len = len;
  *spans = get32(h + 8);
  *flags = get32(h + 12);
  *crc_ok = rec_crc(h, tmp->data, len) == get32(h + 16);
  return COTEL__SPOOL_HDR + (uint64_t)len;
}

/* An earlier process's segment: find its valid end and count its spans from
 * `from` on. A torn tail is counted corrupt (and never read again). */
static void seg_scan(cotel__spool *s, cotel__spool_seg *g, uint64_t from) {
  char path[4096];
  cotel__buf tmp;
  struct stat st;
  uint64_t off = 0;
  int fd;
  seg_path(s, g->seq, path, sizeof path);
  if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &st) != 0) {
    if (fd >= 0) close(fd);
    sys_fail("cannot read", path);
    return;
  }
  cotel__buf_init(&tmp);
  while (off < (uint64_t)st.st_size) {
    uint32_t spans, flags;
    bool ok;
    uint64_t n =
        rec_check(fd, off, (uint64_t)st.st_size, &tmp, &spans, &flags, &ok);
    if (n == 0) {
      ADD(s, corrupt, 1);
      cotel_log(COTEL_LOG_WARN,
                "otlp spool: %s: torn or corrupt record at %llu; the rest of "
                "the segment (%llu bytes) is skipped",
                path, (unsigned long long)off,
                (unsigned long long)((uint64_t)st.st_size - off));
      break;
    }
    if (ok && off >= from) g->spans += spans;
    off += n;
  }
  g->end = off;
  cotel__buf_free(&tmp);
  close(fd);
}

static void seg_unlink(cotel__spool *s, cotel__spool_seg *g) {
  char path[4096];
  seg_path(s, g->seq, path, sizeof path);
  if (unlink(path) != 0 && errno != ENOENT) sys_fail("cannot delete", path);
}

/* Remove the head segment (replayed, or dropped for the budget). */
static void head_remove(cotel__spool *s) {
  cotel__spool_seg *g = s->head;
  if (s->rfd >= 0 && s->rfd_seq == g->seq) {
    close(s->rfd);
    s->rfd = -1;
  }
  if (g == s->tail && s->wfd >= 0) {
    close(s->wfd);
    s->wfd = -1;
  }
  if (s->peek_len && s->peek_seq == g->seq) s->peek_len = 0;
  SUB(s, bytes, g->end);
  s->head = g->next;
  if (!s->head) s->tail = NULL;
  s->head_off = 0;
  s->head_maybe = false;
  cursor_write(s, false);
  seg_unlink(s, g);
  free(g);
}

/* Delete the oldest segment for the budget, counting what it still held. */
static void head_drop(cotel__spool *s) {
  cotel__spool_seg *g = s->head;
  if (g->spans) {
    ADD(s, dropped, g->spans);
    if (g->own) {
      ADD(s, dropped_own, g->spans);
      SUB(s, pending_own, g->spans);
    }
    cotel_log(COTEL_LOG_WARN,
              "otlp spool: over its %llu-byte budget: %llu spooled spans of "
              "the oldest segment dropped",
              (unsigned long long)s->max_bytes, (unsigned long long)g->spans);
  }
  head_remove(s);
}

/* Delete replayed segments from the head; the one being written stays
 * until it is both replayed and full (then the next append starts anew). */
static void advance(cotel__spool *s) {
  while (s->head && s->head_off >= s->head->end &&
         (s->head != s->tail || s->wfd < 0 || s->head->end >= s->seg_max))
    head_remove(s);
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

/* The segment numbers present in the directory, sorted. */
static int list_segments(cotel__spool *s, uint64_t **out, size_t *n_out) {
  DIR *d = opendir(s->dir);
  struct dirent *de;
  uint64_t *v = NULL;
  size_t n = 0, cap = 0;
  if (!d) return sys_fail("cannot open", s->dir);
  while ((de = readdir(d))) {
    char *end;
    unsigned long long seq;
    if (strlen(de->d_name) != 20 || strcmp(de->d_name + 16, ".seg")) continue;
    seq = strtoull(de->d_name, &end, 16);
    if (end != de->d_name + 16) continue;
    if (n == cap) {
      uint64_t *nv = realloc(v, (cap = cap ? cap * 2 : 16) * sizeof *v);
      if (!nv) {
        free(v);
        closedir(d);
        return COTEL_ENOMEM;
      }
      v = nv;
    }
    v[n++] = seq;
  }
  closedir(d);
  if (n) qsort(v, n, sizeof *v, cmp_u64);
  *out = v;
  *n_out = n;
  return 0;
}

static int load(cotel__spool *s) {
  uint64_t *seqs = NULL, cseq = 0, coff = 0, recovered = 0;
  size_t n = 0;
  bool sending = false, have = cursor_read(s, &cseq, &coff, &sending);
  int rc = list_segments(s, &seqs, &n);
  if (rc) return rc;
  for (size_t i = 0; i < n; i++) {
    cotel__spool_seg *g;
    if (have && seqs[i] < cseq) { /* replayed; deletion was interrupted */
      cotel__spool_seg tmp = {.seq = seqs[i]};
      seg_unlink(s, &tmp);
      continue;
    }
    if (!(g = calloc(1, sizeof *g))) {
      free(seqs);
      return COTEL_ENOMEM;
    }
    g->seq = seqs[i];
    if (!s->head) {
      s->head = g;
      if (have && g->seq == cseq) {
        s->head_off = coff;
        s->head_maybe = sending;
      }
    } else {
      s->tail->next = g;
    }
    s->tail = g;
    seg_scan(s, g, g == s->head ? s->head_off : 0);
    if (s->head_off > g->end && g == s->head) s->head_off = g->end;
    ADD(s, bytes, g->end);
    recovered += g->spans;
  }
  s->next_seq = (n && seqs[n - 1] > cseq ? seqs[n - 1] : cseq) + 1;
  free(seqs);
  ADD(s, recovered, recovered);
  if (recovered)
    cotel_log(COTEL_LOG_INFO,
              "otlp spool: %llu spans of an earlier run wait in %s",
              (unsigned long long)recovered, s->dir);
  advance(s);
  return 0;
}

int cotel__spool_open(const char *dir, uint64_t max_bytes, cotel__spool **out) {
  char path[4096];
  cotel__spool *s;
  int rc;
  *out = NULL;
  if (!dir || !*dir || max_bytes < MIN_BUDGET) return COTEL_EINVAL;
  if (strlen(dir) > 4000) return COTEL_EINVAL;
  if (!(s = calloc(1, sizeof *s))) return COTEL_ENOMEM;
  s->lock_fd = s->cursor_fd = s->wfd = s->rfd = -1;
  if (!(s->dir = strdup(dir))) {
    free(s);
    return COTEL_ENOMEM;
  }
  s->max_bytes = max_bytes;
  /* Several segments fit in the budget, so dropping the oldest one frees a
   * part of it, not all of it. */
  s->seg_max = max_bytes / 8;
  if (s->seg_max > 16u << 20) s->seg_max = 16u << 20;
  if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
    rc = sys_fail("cannot create", dir);
    goto fail;
  }
  snprintf(path, sizeof path, "%s/lock", dir);
  if ((s->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0) {
    rc = sys_fail("cannot open", path);
    goto fail;
  }
  if (flock(s->lock_fd, LOCK_EX | LOCK_NB) != 0) {
    cotel_log(COTEL_LOG_WARN,
              "otlp spool: %s is in use by another process; not spooling", dir);
    rc = COTEL_ESTATE;
    goto fail;
  }
  snprintf(path, sizeof path, "%s/cursor", dir);
  if ((s->cursor_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0) {
    rc = sys_fail("cannot open", path);
    goto fail;
  }
  if ((rc = load(s)) != 0) goto fail;
  *out = s;
  return 0;
fail:
  cotel__spool_close(s);
  return rc;
}

static void release(cotel__spool *s) {
  cotel__spool_seg *g = s->head;
  while (g) {
    cotel__spool_seg *next = g->next;
    free(g);
    g = next;
  }
  if (s->lock_fd >= 0) close(s->lock_fd);
  if (s->cursor_fd >= 0) close(s->cursor_fd);
  if (s->wfd >= 0) close(s->wfd);
  if (s->rfd >= 0) close(s->rfd);
  free(s->dir);
  free(s);
}

void cotel__spool_close(cotel__spool *s) {
  if (!s) return;
  if (s->wfd >= 0) fdatasync(s->wfd);
  if (s->cursor_fd >= 0) fdatasync(s->cursor_fd);
  release(s);
}

void cotel__spool_abandon(cotel__spool *s) {
  if (s) release(s);
}

/* Start a new segment for appending. */
static int rotate(cotel__spool *s) {
  char path[4096];
  cotel__spool_seg *g = calloc(1, sizeof *g);
  if (!g) return COTEL_ENOMEM;
  if (s->wfd >= 0) {
    fdatasync(s->wfd);
    close(s->wfd);
    s->wfd = -1;
  }
  g->seq = s->next_seq++;
  g->own = true;
  seg_path(s, g->seq, path, sizeof path);
  s->wfd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600);
  if (s->wfd < 0) {
    free(g);
    return sys_fail("cannot create", path);
  }
  if (s->tail)
    s->tail->next = g;
  else
    s->head = g;
  s->tail = g;
  /* A fresh head starts at its beginning (the cursor may name a deleted
   * segment). */
  if (s->head == g) {
    s->head_off = 0;
    cursor_write(s, false);
  }
  return 0;
}

int cotel__spool_append(cotel__spool *s, const uint8_t *body, size_t len,
                        uint32_t spans, uint32_t flags) {
  uint8_t h[COTEL__SPOOL_HDR];
  uint64_t rec = COTEL__SPOOL_HDR + (uint64_t)len;
  struct iovec iov[2];
  ssize_t w;
  int rc;
  if (len > MAX_RECORD || rec > s->max_bytes) {
    ADD(s, dropped, spans);
    ADD(s, dropped_own, spans);
    cotel_log(COTEL_LOG_WARN,
              "otlp spool: a %zu-byte request exceeds the %llu-byte budget; "
              "%u spans dropped",
              len, (unsigned long long)s->max_bytes, spans);
    return COTEL_EFULL;
  }
  if (s->wfd < 0 || (s->tail->end > 0 && s->tail->end + rec > s->seg_max))
    if ((rc = rotate(s)) != 0) return rc;
  while (s->head != s->tail &&
         atomic_load_explicit(&s->c.bytes, memory_order_relaxed) + rec >
             s->max_bytes)
    head_drop(s);
  put32(h, REC_MAGIC);
  put32(h + 4, (uint32_t)len);
  put32(h + 8, spans);
  put32(h + 12, flags);
  put32(h + 16, rec_crc(h, body, len));
  iov[0].iov_base = h;
  iov[0].iov_len = sizeof h;
  iov[1].iov_base = (void *)body;
  iov[1].iov_len = len;
  w = writev(s->wfd, iov, 2);
  if (w != (ssize_t)rec) {
    rc = sys_fail("cannot append to", s->dir);
    /* Leave no partial record behind. */
    if (ftruncate(s->wfd, (off_t)s->tail->end) != 0) {
      close(s->wfd);
      s->wfd = -1;
    }
    return rc;
  }
  s->tail->end += rec;
  s->tail->spans += spans;
  ADD(s, bytes, rec);
  ADD(s, written, spans);
  ADD(s, pending_own, spans);
  return 0;
}

bool cotel__spool_pending(const cotel__spool *s) {
  return s->head && (s->head_off < s->head->end || s->head->next);
}

int cotel__spool_peek(cotel__spool *s, cotel__buf *body, uint32_t *spans,
                      uint32_t *flags, bool *own, bool *maybe) {
  for (;;) {
    cotel__spool_seg *g;
    uint64_t n;
    bool ok;
    advance(s);
    /* advance() has removed every exhausted segment but the tail. */
    if (!(g = s->head) || s->head_off >= g->end) return COTEL_ENOTFOUND;
    if (s->rfd < 0 || s->rfd_seq != g->seq) {
      char path[4096];
      if (s->rfd >= 0) close(s->rfd);
      seg_path(s, g->seq, path, sizeof path);
      if ((s->rfd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        return sys_fail("cannot read", path);
      s->rfd_seq = g->seq;
    }
    n = rec_check(s->rfd, s->head_off, g->end, body, spans, flags, &ok);
    if (n == 0 || !ok) {
      ADD(s, corrupt, 1);
      cotel_log(COTEL_LOG_WARN,
                "otlp spool: corrupt record at %llu of segment %016llx; "
                "skipped",
                (unsigned long long)s->head_off, (unsigned long long)g->seq);
      s->head_maybe = false;
      if (n == 0) {
        /* The rest cannot be framed: whatever it held is lost. */
        ADD(s, dropped, g->spans);
        g->spans = 0;
        s->head_off = g->end;
      } else {
        s->head_off += n;
      }
      cursor_write(s, false);
      continue;
    }
    s->peek_seq = g->seq;
    s->peek_off = s->head_off;
    s->peek_len = n;
    s->peek_spans = *spans;
    s->peek_own = g->own;
    *own = g->own;
    *maybe = s->peek_maybe = (*flags & COTEL__SPOOL_MAYBE) || s->head_maybe;
    return 0;
  }
}

void cotel__spool_sending(cotel__spool *s) {
  if (s->peek_len && s->head && s->peek_seq == s->head->seq)
    cursor_write(s, true);
}

void cotel__spool_unsent(cotel__spool *s, bool maybe) {
  if (!s->peek_len || !s->head || s->peek_seq != s->head->seq ||
      s->peek_off != s->head_off)
    return;
  if (maybe) s->head_maybe = s->peek_maybe = true;
  /* An earlier attempt's doubt (head_maybe) is kept either way. */
  cursor_write(s, s->head_maybe);
}

uint32_t cotel__spool_ack(cotel__spool *s, bool delivered) {
  uint32_t n = s->peek_spans;
  bool own = s->peek_own;
  if (!s->peek_len || !s->head || s->peek_seq != s->head->seq ||
      s->peek_off != s->head_off)
    return 0; /* dropped for the budget meanwhile (counted then) */
  s->head_off += s->peek_len;
  s->peek_len = 0;
  s->head_maybe = false;
  s->head->spans -= n < s->head->spans ? n : s->head->spans;
  if (own) SUB(s, pending_own, n);
  if (delivered) {
    ADD(s, replayed, n);
    if (s->peek_maybe) ADD(s, duplicated, n);
  } else {
    ADD(s, dropped, n);
    if (own) ADD(s, dropped_own, n);
  }
  cursor_write(s, false);
  advance(s);
  return own ? n : 0;
}
