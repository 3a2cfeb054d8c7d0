/* HTTP requests on a libuv loop through libcurl's multi socket interface.
 *
 * curl tells us which sockets to watch (socket callback) and when to call
 * it back (timer callback); we turn those into uv_poll and uv_timer handles
 * and feed readiness back with curl_multi_socket_action. Finished transfers
 * are collected with curl_multi_info_read after each action. The multi
 * handle keeps its connection cache, so consecutive requests to one
 * collector reuse a connection. Poll handles and the timer are unref'd:
 * the exporter keeps the loop alive itself only while it has work. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cotel/common.h"
#include "cotel/internal/http.h"

typedef struct sock_ctx {
  uv_poll_t poll;
  curl_socket_t fd;
  cotel__http *h;
  struct sock_ctx *prev, *next;
} sock_ctx;

/* Per-multi state that must not be visible to the exporter. */
typedef struct http_priv {
  sock_ctx *socks;
  int dispatching;
  int close_pending;
} http_priv;

static http_priv *priv(cotel__http *h) {
  return (http_priv *)h->data;
}

static void on_handle_closed(uv_handle_t *hd) {
  cotel__http *h = (cotel__http *)hd->data;
  if (hd->type == UV_POLL) free(container_of((uv_poll_t *)hd, sock_ctx, poll));
  if (--h->open_handles == 0 && h->closed) {
    free(priv(h));
    h->data = NULL;
    h->closed(h);
  }
}

static void sock_unlink(cotel__http *h, sock_ctx *c) {
  http_priv *p = priv(h);
  if (c->prev)
    c->prev->next = c->next;
  else
    p->socks = c->next;
  if (c->next) c->next->prev = c->prev;
  c->prev = c->next = NULL;
}

static void sock_close(cotel__http *h, sock_ctx *c) {
  sock_unlink(h, c);
  uv_poll_stop(&c->poll);
  uv_close((uv_handle_t *)&c->poll, on_handle_closed);
}

static void check_done(cotel__http *h);
static void do_close(cotel__http *h);

static void on_poll(uv_poll_t *poll, int status, int events) {
  sock_ctx *c = container_of(poll, sock_ctx, poll);
  cotel__http *h = c->h;
  int flags = 0, running = 0;
  if (status < 0) {
    flags = CURL_CSELECT_ERR;
  } else {
    if (events & UV_READABLE) flags |= CURL_CSELECT_IN;
    if (events & UV_WRITABLE) flags |= CURL_CSELECT_OUT;
  }
  curl_multi_socket_action(h->multi, c->fd, flags, &running);
  check_done(h);
}

static void on_timer(uv_timer_t *t) {
  cotel__http *h = (cotel__http *)t->data;
  int running = 0;
  curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &running);
  check_done(h);
}

static int socket_cb(CURL *easy, curl_socket_t s, int what, void *userp,
                     void *socketp) {
  cotel__http *h = (cotel__http *)userp;
  sock_ctx *c = (sock_ctx *)socketp;
  int events = 0;
  (void)easy;
  if (what == CURL_POLL_REMOVE) {
    if (c) sock_close(h, c);
    return 0;
  }
  if (!c) {
    c = calloc(1, sizeof *c);
    if (!c) return -1;
    if (uv_poll_init_socket(h->loop, &c->poll, s) != 0) {
      cotel_log(COTEL_LOG_WARN, "http: cannot watch socket %d", (int)s);
      free(c);
      return -1;
    }
    c->fd = s;
    c->h = h;
    c->poll.data = h;
    uv_unref((uv_handle_t *)&c->poll);
    h->open_handles++;
    c->next = priv(h)->socks;
    if (c->next) c->next->prev = c;
    priv(h)->socks = c;
    curl_multi_assign(h->multi, s, c);
  }
  if (what & CURL_POLL_IN) events |= UV_READABLE;
  if (what & CURL_POLL_OUT) events |= UV_WRITABLE;
  uv_poll_start(&c->poll, events, on_poll);
  return 0;
}

static int timer_cb(CURLM *multi, long timeout_ms, void *userp) {
  cotel__http *h = (cotel__http *)userp;
  (void)multi;
  /* Never call socket_action from here (curl forbids the recursion): a
   * zero timeout fires on the next loop iteration. */
  if (timeout_ms < 0)
    uv_timer_stop(&h->timer);
  else
    uv_timer_start(&h->timer, on_timer, (uint64_t)timeout_ms, 0);
  return 0;
}

int cotel__http_init(cotel__http *h, uv_loop_t *loop) {
  memset(h, 0, sizeof *h);
  h->data = calloc(1, sizeof(http_priv));
  if (!h->data) return COTEL_ENOMEM;
  h->multi = curl_multi_init();
  if (!h->multi) {
    free(h->data);
    h->data = NULL;
    return COTEL_ENOMEM;
  }
  h->loop = loop;
  uv_timer_init(loop, &h->timer);
  h->timer.data = h;
  uv_unref((uv_handle_t *)&h->timer);
  h->open_handles = 1;
  curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
  curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
  curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
  curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
  curl_multi_setopt(h->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
  return 0;
}

static size_t write_cb(char *ptr, size_t size, size_t nmemb, void *ud) {
  cotel__http_req *r = (cotel__http_req *)ud;
  size_t n = size * nmemb, room;
  size_t max = r->max_body ? r->max_body : COTEL__HTTP_MAX_BODY;
  room = r->resp.len < max ? max - r->resp.len : 0;
  if (n < room)
    room = n;
  else if (n > room)
    r->truncated = 1;
  if (room && cotel__buf_reserve(&r->resp, room) == 0) {
    memcpy(r->resp.data + r->resp.len, ptr, room);
    r->resp.len += room;
  }
  return n; /* the rest is dropped, not an error */
}

const char *cotel__http_header_value(const char *line, size_t n,
                                     const char *name, size_t *vlen) {
  size_t k = strlen(name);
  if (n <= k || strncasecmp(line, name, k) != 0 || line[k] != ':') return NULL;
  line += k + 1;
  n -= k + 1;
  while (n && (*line == ' ' || *line == '\t'))
    line++, n--;
  while (n && (line[n - 1] == '\r' || line[n - 1] == '\n' ||
               line[n - 1] == ' ' || line[n - 1] == '\t'))
    n--;
  *vlen = n;
  return line;
}

/* Copy a header's value (trimmed, cut to fit) if `line` names it. */
static void header_value(const char *line, size_t n, const char *name,
                         char *out, size_t cap) {
  size_t vn;
  const char *v = cotel__http_header_value(line, n, name, &vn);
  if (!v) return;
  if (vn >= cap) vn = cap - 1;
  memcpy(out, v, vn);
  out[vn] = 0;
}

static size_t header_cb(char *line, size_t size, size_t nmemb, void *ud) {
  cotel__http_req *r = (cotel__http_req *)ud;
  size_t n = size * nmemb;
  if (n >= 5 && strncmp(line, "HTTP/", 5) == 0) {
    /* A new response (after a 100 Continue, say): forget the last one's. */
    r->retry_after[0] = 0;
    r->content_type[0] = 0;
  }
  if (r->on_header) r->on_header(r, line, n);
  header_value(line, n, "Retry-After", r->retry_after, sizeof r->retry_after);
  header_value(line, n, "Content-Type", r->content_type,
               sizeof r->content_type);
  return n;
}

void cotel__http_req_prepare(cotel__http_req *r) {
  r->curl_rc = CURLE_OK;
  r->status = 0;
  r->http_version = 0;
  r->resp.len = 0;
  r->truncated = 0;
  r->retry_after[0] = 0;
  r->content_type[0] = 0;
  r->errbuf[0] = 0;
  curl_easy_setopt(r->easy, CURLOPT_PRIVATE, r);
  curl_easy_setopt(r->easy, CURLOPT_WRITEFUNCTION, write_cb);
  curl_easy_setopt(r->easy, CURLOPT_WRITEDATA, r);
  curl_easy_setopt(r->easy, CURLOPT_HEADERFUNCTION, header_cb);
  curl_easy_setopt(r->easy, CURLOPT_HEADERDATA, r);
  curl_easy_setopt(r->easy, CURLOPT_ERRORBUFFER, r->errbuf);
  curl_easy_setopt(r->easy, CURLOPT_NOSIGNAL, 1L);
}

int cotel__http_start(cotel__http *h, cotel__http_req *r) {
  if (!h->multi || priv(h)->close_pending) return COTEL_ESTATE;
  r->http = h;
  if (curl_multi_add_handle(h->multi, r->easy) != CURLM_OK) return COTEL_ENOMEM;
  r->in_multi = 1;
  return 0;
}

void cotel__http_cancel(cotel__http *h, cotel__http_req *r) {
  if (!r->in_multi) return;
  curl_multi_remove_handle(h->multi, r->easy);
  r->in_multi = 0;
}

static void check_done(cotel__http *h) {
  CURLMsg *msg;
  int left = 0;
  priv(h)->dispatching++;
  while (h->multi && !priv(h)->close_pending &&
         (msg = curl_multi_info_read(h->multi, &left))) {
    if (msg->msg != CURLMSG_DONE) continue;
    CURL *easy = msg->easy_handle;
    CURLcode rc = msg->data.result;
    cotel__http_req *r = NULL;
    curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&r);
    curl_multi_remove_handle(h->multi, easy);
    if (!r) continue;
    r->in_multi = 0;
    r->curl_rc = rc;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &r->status);
    curl_easy_getinfo(easy, CURLINFO_HTTP_VERSION, &r->http_version);
    r->done(r);
  }
  priv(h)->dispatching--;
  if (priv(h)->dispatching == 0 && priv(h)->close_pending) do_close(h);
}

static void do_close(cotel__http *h) {
  http_priv *p = priv(h);
  p->close_pending = 0;
  if (h->multi) {
    /* Closes cached connections; curl may report their sockets removed. */
    curl_multi_cleanup(h->multi);
    h->multi = NULL;
  }
  while (p->socks)
    sock_close(h, p->socks);
  uv_timer_stop(&h->timer);
  uv_close((uv_handle_t *)&h->timer, on_handle_closed);
}

void cotel__http_close(cotel__http *h, void (*closed)(cotel__http *h)) {
  if (!h->data || h->closed) return;
  h->closed = closed;
  priv(h)->close_pending = 1;
  if (priv(h)->dispatching == 0) do_close(h);
}
