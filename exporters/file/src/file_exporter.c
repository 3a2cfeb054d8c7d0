/* OTLP file exporter: one OTLP/JSON ExportTraceServiceRequest per line
 * (OTLP File Exporter spec, "JSON lines file"), appended to a file with
 * size-based rotation, or to stdout. The JSON comes from the OTLP
 * exporter's streaming encoder, so a line is byte for byte the body
 * OTLP/HTTP JSON would send. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cotel/internal/buf.h"
#include "cotel/internal/otlp_encode.h"
#include "cotel/otlp_file.h"

typedef struct file_exp {
  cotel_exporter base;
  char *path; /* NULL: stdout */
  int fd;     /* -1 when a reopen after rotation failed */
  uint64_t size, max_bytes;
  uint32_t max_backups;
  bool failing; /* in a failure episode: warn once, then once on recovery */
  cotel__buf line;
} file_exp;

static int open_file(file_exp *f) {
  struct stat st;
  f->fd = open(f->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (f->fd < 0) return -errno;
  f->size = fstat(f->fd, &st) == 0 ? (uint64_t)st.st_size : 0;
  return 0;
}

/* PATH.(k-1) -> PATH.k, from the oldest kept down to PATH -> PATH.1 (the
 * logrotate numbering: a higher number is older). */
static int rotate(file_exp *f) {
  size_t n = strlen(f->path) + 16;
  char *from = malloc(n), *to = malloc(n);
  int rc = 0;
  if (!from || !to) {
    free(from);
    free(to);
    return -ENOMEM;
  }
  close(f->fd);
  f->fd = -1;
  if (f->max_backups == 0) {
    if (unlink(f->path) != 0 && errno != ENOENT) rc = -errno;
  } else {
    snprintf(to, n, "%s.%u", f->path, f->max_backups);
    unlink(to); /* the oldest, when present, goes */
    for (uint32_t k = f->max_backups; k > 1; k--) {
      snprintf(from, n, "%s.%u", f->path, k - 1);
      snprintf(to, n, "%s.%u", f->path, k);
      if (rename(from, to) != 0 && errno != ENOENT && !rc) rc = -errno;
    }
    snprintf(to, n, "%s.1", f->path);
    if (rename(f->path, to) != 0 && errno != ENOENT && !rc) rc = -errno;
  }
  free(from);
  free(to);
  int orc = open_file(f);
  return orc ? orc : rc;
}

static int write_all(int fd, const uint8_t *p, size_t n) {
  while (n) {
    ssize_t w = write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return -errno;
    }
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

static void report(file_exp *f, int err, const char *what) {
  if (err) {
    if (!f->failing)
      cotel_log(COTEL_LOG_WARN, "otlp/file: %s %s: %s; spans are being dropped",
                what, f->path ? f->path : "stdout", strerror(-err));
    f->failing = true;
  } else if (f->failing) {
    cotel_log(COTEL_LOG_WARN, "otlp/file: writing to %s again",
              f->path ? f->path : "stdout");
    f->failing = false;
  }
}

static int write_line(file_exp *f) {
  int err;
  if (!f->path) {
    /* stdout is shared with the program: one write(2) of a whole line,
     * after the program's own buffered output. */
    fflush(stdout);
    err = write_all(STDOUT_FILENO, f->line.data, f->line.len);
    report(f, err, "cannot write to");
    return err;
  }
  if (f->fd >= 0 && f->max_bytes && f->size &&
      f->size + f->line.len > f->max_bytes) {
    err = rotate(f);
    if (err) report(f, err, "cannot rotate");
  }
  if (f->fd < 0 && (err = open_file(f)) != 0) {
    report(f, err, "cannot open");
    return err;
  }
  err = write_all(f->fd, f->line.data, f->line.len);
  if (!err) f->size += f->line.len;
  report(f, err, "cannot write to");
  return err;
}

static void file_export(cotel_exporter *self,
                        const cotel_span_data *const *spans, size_t n,
                        cotel_export_done_fn done, void *done_arg) {
  file_exp *f = (file_exp *)self;
  int rc = cotel__otlp_encode_json(spans, n, &f->line);
  if (rc == 0) rc = cotel__buf_reserve(&f->line, 1);
  if (rc == 0) {
    f->line.data[f->line.len++] = '\n';
    rc = write_line(f) ? COTEL_EEXPORT : 0;
  }
  done(done_arg, rc);
}

static void file_destroy(cotel_exporter *self) {
  file_exp *f = (file_exp *)self;
  if (f->path && f->fd >= 0) close(f->fd);
  cotel__buf_free(&f->line);
  free(f->path);
  free(f);
}

static const char *strip_path(const char *p) {
  if (!p || !*p || !strcmp(p, "stdout") || !strcmp(p, "-")) return NULL;
  if (!strncmp(p, "file://", 7)) p += 7;
  return p;
}

int cotel_otlp_file_exporter_new(const cotel_otlp_file_options *o,
                                 cotel_exporter **out) {
  cotel_otlp_file_options def;
  const char *path;
  file_exp *f;
  if (!out) return COTEL_EINVAL;
  *out = NULL;
  if (!o) {
    cotel_otlp_file_options_init(&def);
    o = &def;
  }
  path = strip_path(o->path);
  if (path && !*path) return COTEL_EINVAL;
  f = calloc(1, sizeof *f);
  if (!f) return COTEL_ENOMEM;
  f->fd = -1;
  f->max_bytes = o->max_bytes;
  f->max_backups = o->max_backups;
  cotel__buf_init(&f->line);
  if (path) {
    int err;
    if (!(f->path = strdup(path))) {
      free(f);
      return COTEL_ENOMEM;
    }
    if ((err = open_file(f)) != 0) {
      cotel_log(COTEL_LOG_WARN, "otlp/file: cannot open %s: %s", f->path,
                strerror(-err));
      free(f->path);
      free(f);
      return COTEL_ESYS;
    }
  }
  f->base.name = "otlp/file";
  f->base.export_spans = file_export;
  f->base.destroy = file_destroy;
  f->base.max_concurrent = 1;
  *out = &f->base;
  return 0;
}

int cotel_otlp_file_exporter_new_from_env(cotel_exporter **out) {
  cotel_otlp_file_options o;
  cotel_otlp_file_options_init(&o);
  cotel_otlp_file_options_from_env(&o);
  return cotel_otlp_file_exporter_new(&o, out);
}
