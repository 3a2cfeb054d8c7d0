/* httpkit: HTTP client on libcurl's multi interface, driven by libuv.
 *
 * curl tells us which sockets to watch (CURLMOPT_SOCKETFUNCTION) and when to
 * wake it (CURLMOPT_TIMERFUNCTION); we watch them with uv_poll and one
 * uv_timer and hand readiness back through curl_multi_socket_action. Every
 * transfer embeds a cotel_future: the context current when it was scheduled
 * is current again around its completion callback. */
#include <stdlib.h>
#include <string.h>

#include "cotel/uv.h"
#include "httpkit.h"

struct hk_sock {
  uv_poll_t poll;
  curl_socket_t fd;
  hk_client *client;
  hk_sock *next, **prevp;
};

struct hk_transfer {
  CURL *easy;
  hk_client *client;
  struct curl_slist *headers;
  char *body;
  hk_buf resp;
  cotel_future future; /* DESIGN §3: captured at schedule, entered at done */
  hk_fetch_cb cb;
  void *ud;
  hk_transfer *next, **prevp;
  char errbuf[CURL_ERROR_SIZE];
};

static void check_done(hk_client *c);

static void on_sock_closed(uv_handle_t *h) {
  free(h->data);
}

static void sock_close(hk_sock *s) {
  *s->prevp = s->next;
  if (s->next) s->next->prevp = s->prevp;
  uv_poll_stop(&s->poll);
  uv_close((uv_handle_t *)&s->poll, on_sock_closed);
}

static void on_poll(uv_poll_t *h, int status, int events) {
  hk_sock *s = (hk_sock *)h->data;
  hk_client *c = s->client;
  int flags = 0;
  if (status < 0) flags = CURL_CSELECT_ERR;
  if (events & UV_READABLE) flags |= CURL_CSELECT_IN;
  if (events & UV_WRITABLE) flags |= CURL_CSELECT_OUT;
  int running;
  curl_multi_socket_action(c->multi, s->fd, flags, &running);
  check_done(c);
}

static int on_socket(CURL *easy, curl_socket_t fd, int what, void *userp,
                     void *socketp) {
  (void)easy;
  hk_client *c = (hk_client *)userp;
  hk_sock *s = (hk_sock *)socketp;
  if (what == CURL_POLL_REMOVE) {
    if (s) {
      curl_multi_assign(c->multi, fd, NULL);
      sock_close(s);
    }
    return 0;
  }
  if (!s) {
    s = calloc(1, sizeof(*s));
    if (!s) return -1;
    if (uv_poll_init_socket(c->loop, &s->poll, fd) < 0) {
      free(s);
      return -1;
    }
    s->fd = fd;
    s->client = c;
    s->poll.data = s;
    s->next = c->socks;
    if (s->next) s->next->prevp = &s->next;
    s->prevp = &c->socks;
    c->socks = s;
    curl_multi_assign(c->multi, fd, s);
  }
  int ev = 0;
  if (what & CURL_POLL_IN) ev |= UV_READABLE;
  if (what & CURL_POLL_OUT) ev |= UV_WRITABLE;
  uv_poll_start(&s->poll, ev, on_poll);
  return 0;
}

static void on_timeout(uv_timer_t *t) {
  hk_client *c = (hk_client *)t->data;
  int running;
  curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
  check_done(c);
}

static int on_timer(CURLM *multi, long timeout_ms, void *userp) {
  (void)multi;
  hk_client *c = (hk_client *)userp;
  /* Never call socket_action from inside a curl callback: a 0 timeout runs
   * on the next loop iteration instead. */
  if (timeout_ms < 0)
    uv_timer_stop(&c->timer);
  else
    uv_timer_start(&c->timer, on_timeout, (uint64_t)timeout_ms, 0);
  return 0;
}

static size_t on_data(char *ptr, size_t size, size_t n, void *ud) {
  hk_transfer *t = (hk_transfer *)ud;
  if (hk_buf_append(&t->resp, ptr, size * n)) return 0; /* aborts */
  return size * n;
}

static void transfer_finish(hk_transfer *t, int error, const char *msg) {
  hk_client *c = t->client;
  *t->prevp = t->next;
  if (t->next) t->next->prevp = t->prevp;
  c->active--;
  hk_response r = {0};
  r.error = error;
  r.errmsg = error ? msg : NULL;
  if (!error) curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &r.status);
  if (hk_buf_append(&t->resp, "", 0) == 0) {
    r.body = t->resp.data;
    r.body_len = t->resp.len;
  } else {
    r.body = "";
  }
  curl_multi_remove_handle(c->multi, t->easy);
  cotel_future_enter(&t->future);
  t->cb(&r, t->ud);
  cotel_future_leave(&t->future);
  cotel_future_release(&t->future);
  curl_easy_cleanup(t->easy);
  curl_slist_free_all(t->headers);
  hk_buf_free(&t->resp);
  free(t->body);
  free(t);
}

static void check_done(hk_client *c) {
  CURLMsg *m;
  int left;
  while ((m = curl_multi_info_read(c->multi, &left))) {
    if (m->msg != CURLMSG_DONE) continue;
    char *priv = NULL;
    curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &priv);
    hk_transfer *t = (hk_transfer *)priv;
    CURLcode res = m->data.result;
    if (!t) continue;
    const char *msg = t->errbuf[0] ? t->errbuf : curl_easy_strerror(res);
    transfer_finish(t, res == CURLE_OK ? 0 : COTEL_EEXPORT, msg);
  }
}

int hk_client_init(hk_client *c, uv_loop_t *loop) {
  if (!c || !loop) return COTEL_EINVAL;
  memset(c, 0, sizeof(*c));
  c->loop = loop;
  c->multi = curl_multi_init();
  if (!c->multi) return COTEL_ENOMEM;
  uv_timer_init(loop, &c->timer);
  c->timer.data = c;
  curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
  curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
  curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, on_timer);
  curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
  return 0;
}

void hk_client_close(hk_client *c) {
  if (!c || c->closed) return;
  c->closed = true;
  while (c->transfers)
    transfer_finish(c->transfers, COTEL_ESTATE, "client closed");
  curl_multi_cleanup(c->multi); /* may still report sockets removed */
  c->multi = NULL;
  while (c->socks)
    sock_close(c->socks);
  uv_timer_stop(&c->timer);
  uv_close((uv_handle_t *)&c->timer, NULL);
}

int hk_fetch(hk_client *c, const hk_fetch_options *o, hk_fetch_cb cb,
             void *ud) {
  if (!c || !o || !o->url || !cb) {
    if (o) curl_slist_free_all(o->headers);
    return COTEL_EINVAL;
  }
  if (c->closed) {
    curl_slist_free_all(o->headers);
    return COTEL_ESTATE;
  }
  hk_transfer *t = calloc(1, sizeof(*t));
  CURL *e = curl_easy_init();
  struct curl_slist *h = o->headers;
  /* curl would wait up to a second for "100 Continue" on larger bodies;
   * servers we call need not send it. */
  struct curl_slist *h2 = curl_slist_append(h, "Expect:");
  if (h2) h = h2;
  if (!t || !e || !h2) {
    free(t);
    if (e) curl_easy_cleanup(e);
    curl_slist_free_all(h);
    return COTEL_ENOMEM;
  }
  t->easy = e;
  t->client = c;
  t->headers = h;
  t->cb = cb;
  t->ud = ud;
  if (o->body) {
    t->body = malloc(o->body_len + 1);
    if (!t->body) {
      curl_easy_cleanup(e);
      curl_slist_free_all(h);
      free(t);
      return COTEL_ENOMEM;
    }
    memcpy(t->body, o->body, o->body_len);
    t->body[o->body_len] = '\0';
  }
  const char *method = o->method ? o->method : o->body ? "POST" : "GET";
  curl_easy_setopt(e, CURLOPT_URL, o->url);
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS,
                   o->timeout_ms > 0 ? o->timeout_ms : 10000L);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, t);
  curl_easy_setopt(e, CURLOPT_PRIVATE, (char *)t);
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->errbuf);
  if (strcmp(method, "GET") != 0) {
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, t->body ? t->body : "");
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
                     (curl_off_t)(t->body ? o->body_len : 0));
    if (strcmp(method, "POST") != 0)
      curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
  }
  cotel_future_capture(&t->future);
  t->next = c->transfers;
  if (t->next) t->next->prevp = &t->next;
  t->prevp = &c->transfers;
  c->transfers = t;
  c->active++;
  CURLMcode mc = curl_multi_add_handle(c->multi, e);
  if (mc != CURLM_OK) {
    *t->prevp = t->next;
    if (t->next) t->next->prevp = t->prevp;
    c->active--;
    cotel_future_release(&t->future);
    curl_easy_cleanup(e);
    curl_slist_free_all(h);
    free(t->body);
    free(t);
    return COTEL_ENOMEM;
  }
  return 0;
}

/* ---- Timers with a future slot (cotel/uv.h) ---- */

typedef struct hk_timer {
  cotel_uv_timer t; /* captures the context at start, current around cb */
  hk_timer_cb cb;
  void *ud;
} hk_timer;

static void on_timer_closed(uv_handle_t *h) {
  free(h->data);
}

static void on_hk_timer(uv_timer_t *h) {
  hk_timer *t = (hk_timer *)h->data;
  t->cb(t->ud);
  cotel_uv_timer_close(&t->t, on_timer_closed);
}

int hk_after(uv_loop_t *loop, uint64_t ms, hk_timer_cb cb, void *ud) {
  hk_timer *t = calloc(1, sizeof(*t));
  if (!t) return COTEL_ENOMEM;
  if (cotel_uv_timer_init(loop, &t->t) != 0) {
    free(t);
    return COTEL_ESYS;
  }
  t->t.timer.data = t;
  t->cb = cb;
  t->ud = ud;
  if (cotel_uv_timer_start(&t->t, on_hk_timer, ms, 0) != 0) {
    cotel_uv_timer_close(&t->t, on_timer_closed);
    return COTEL_ESYS;
  }
  return 0;
}
