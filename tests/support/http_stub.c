/* See http_stub.h. */
#include "http_stub.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

typedef struct conn_arg {
  http_stub *s;
  int fd;
} conn_arg;

static void copy_header(const char *head, const char *name, char *out,
                        size_t cap) {
  size_t n = strlen(name);
  out[0] = 0;
  for (const char *l = strstr(head, "\r\n"); l; l = strstr(l, "\r\n")) {
    l += 2;
    if (strncasecmp(l, name, n) == 0 && l[n] == ':') {
      const char *v = l + n + 1;
      while (*v == ' ')
        v++;
      size_t len = strcspn(v, "\r\n");
      if (len >= cap) len = cap - 1;
      memcpy(out, v, len);
      out[len] = 0;
      return;
    }
  }
}

static bool send_all(int fd, const char *p, size_t n) {
  while (n) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w <= 0) return false;
    p += w;
    n -= (size_t)w;
  }
  return true;
}

/* Answer one request whose head (NUL-terminated) is in `head`. */
static bool answer(http_stub *s, int fd, const char *head) {
  http_stub_record r;
  memset(&r, 0, sizeof r);
  sscanf(head, "%15s %255s", r.method, r.target);
  copy_header(head, "traceparent", r.traceparent, sizeof r.traceparent);
  copy_header(head, "x-mine", r.x_mine, sizeof r.x_mine);
  copy_header(head, "host", r.host, sizeof r.host);
  pthread_mutex_lock(&s->mu);
  if (s->n_records < HTTP_STUB_MAX_RECORDS) s->records[s->n_records++] = r;
  pthread_mutex_unlock(&s->mu);
  int status = 200, n = 0;
  char extra[128] = "";
  if (sscanf(r.target, "/status/%d", &status) == 1) {
  } else if (sscanf(r.target, "/redirect/%d", &n) == 1 && n > 0) {
    status = 302;
    snprintf(extra, sizeof extra, "Location: /redirect/%d\r\n", n - 1);
  } else {
    status = 200;
  }
  const char *body = status == 200 ? "ok" : "status";
  char out[512];
  int len = snprintf(out, sizeof out,
                     "HTTP/1.1 %d X\r\nContent-Length: %zu\r\n%s\r\n%s", status,
                     strlen(body), extra, body);
  return send_all(fd, out, (size_t)len);
}

static void *conn_main(void *arg) {
  conn_arg *a = arg;
  http_stub *s = a->s;
  int fd = a->fd;
  free(a);
  char buf[16384];
  size_t len = 0;
  while (!atomic_load(&s->stop)) {
    struct pollfd pf = {fd, POLLIN, 0};
    int pr = poll(&pf, 1, 100);
    if (pr < 0 && errno != EINTR) break;
    if (pr <= 0) continue;
    ssize_t n = recv(fd, buf + len, sizeof buf - 1 - len, 0);
    if (n <= 0) break;
    len += (size_t)n;
    buf[len] = 0;
    char *end;
    bool ok = true;
    while (ok && (end = strstr(buf, "\r\n\r\n"))) {
      size_t head_len = (size_t)(end - buf) + 4;
      char cl[32];
      end[2] = 0; /* keep the last header's CRLF for copy_header */
      copy_header(buf, "content-length", cl, sizeof cl);
      size_t body = (size_t)strtoul(cl, NULL, 10);
      if (len < head_len + body) {
        end[2] = '\r';
        break; /* wait for the body */
      }
      ok = answer(s, fd, buf);
      memmove(buf, buf + head_len + body, len - head_len - body);
      len -= head_len + body;
      buf[len] = 0;
    }
    if (!ok || len >= sizeof buf - 1) break;
  }
  close(fd);
  pthread_mutex_lock(&s->mu);
  s->active--;
  pthread_cond_broadcast(&s->cv);
  pthread_mutex_unlock(&s->mu);
  return NULL;
}

static void *accept_main(void *arg) {
  http_stub *s = arg;
  while (!atomic_load(&s->stop)) {
    struct pollfd pf = {s->fd, POLLIN, 0};
    if (poll(&pf, 1, 100) <= 0) continue;
    int fd = accept(s->fd, NULL, NULL);
    if (fd < 0) continue;
    conn_arg *a = malloc(sizeof *a);
    pthread_t t;
    if (!a) {
      close(fd);
      continue;
    }
    a->s = s;
    a->fd = fd;
    pthread_mutex_lock(&s->mu);
    s->active++;
    pthread_mutex_unlock(&s->mu);
    if (pthread_create(&t, NULL, conn_main, a) != 0) {
      close(fd);
      free(a);
      pthread_mutex_lock(&s->mu);
      s->active--;
      pthread_mutex_unlock(&s->mu);
      continue;
    }
    pthread_detach(t);
  }
  return NULL;
}

int http_stub_start(http_stub *s) {
  memset(s, 0, sizeof *s);
  atomic_init(&s->stop, false);
  pthread_mutex_init(&s->mu, NULL);
  pthread_cond_init(&s->cv, NULL);
  s->fd = socket(AF_INET, SOCK_STREAM, 0);
  if (s->fd < 0) return -1;
  int one = 1;
  setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {.sin_family = AF_INET,
                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t al = sizeof a;
  if (bind(s->fd, (struct sockaddr *)&a, sizeof a) != 0 ||
      listen(s->fd, 512) != 0 ||
      getsockname(s->fd, (struct sockaddr *)&a, &al) != 0) {
    close(s->fd);
    return -1;
  }
  s->port = ntohs(a.sin_port);
  if (pthread_create(&s->accept_thread, NULL, accept_main, s) != 0) {
    close(s->fd);
    return -1;
  }
  return 0;
}

void http_stub_stop(http_stub *s) {
  atomic_store(&s->stop, true);
  pthread_join(s->accept_thread, NULL);
  close(s->fd);
  struct timespec dl;
  clock_gettime(CLOCK_REALTIME, &dl);
  dl.tv_sec += 10;
  pthread_mutex_lock(&s->mu);
  while (s->active > 0)
    if (pthread_cond_timedwait(&s->cv, &s->mu, &dl) != 0) break;
  pthread_mutex_unlock(&s->mu);
}

bool http_stub_record_get(http_stub *s, size_t i, http_stub_record *out) {
  pthread_mutex_lock(&s->mu);
  bool ok = i < s->n_records;
  if (ok) *out = s->records[i];
  pthread_mutex_unlock(&s->mu);
  return ok;
}

size_t http_stub_count(http_stub *s) {
  pthread_mutex_lock(&s->mu);
  size_t n = s->n_records;
  pthread_mutex_unlock(&s->mu);
  return n;
}

int http_stub_closed_port(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET,
                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t al = sizeof a;
  bind(fd, (struct sockaddr *)&a, sizeof a);
  getsockname(fd, (struct sockaddr *)&a, &al);
  close(fd);
  return ntohs(a.sin_port);
}
