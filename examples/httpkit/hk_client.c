/* httpkit: the services' HTTP client, on libcotel's one libcurl-multi
 * client (cotel/internal/http.h, driven by the service's libuv loop).
 *
 * Every transfer is instrumented with cotel/curl.h: its CLIENT span is a
 * child of the context current at hk_fetch, its headers carry that span's
 * context. Every transfer also embeds a cotel_future: the context current
 * when it was scheduled is current again around its completion callback. */
#include <stdlib.h>
#include <string.h>

#include "cotel/curl.h"
#include "cotel/uv.h"
#include "httpkit.h"

/* Responses are JSON documents of chains and fan-outs: keep them whole. */
#define HK_MAX_RESPONSE (16u * 1024u * 1024u)

struct hk_transfer {
  cotel__http_req req;
  hk_client *client;
  struct curl_slist *headers;
  char *body;
  cotel_future future; /* DESIGN §3: captured at schedule, entered at done */
  hk_fetch_cb cb;
  void *ud;
  hk_transfer *next, **prevp;
};

static void transfer_free(hk_transfer *t);

static void on_keep(uv_timer_t *t) {
  (void)t;
}

static void transfer_finish(hk_transfer *t, int error, const char *msg) {
  hk_client *c = t->client;
  *t->prevp = t->next;
  if (t->next) t->next->prevp = t->prevp;
  if (--c->active == 0) uv_timer_stop(&c->keep);
  hk_response r = {0};
  CURL *e = t->req.easy;
  cotel_span_context sc;
  if (cotel_span_get_context(cotel_curl_span(e), &sc) == 0)
    cotel_span_id_to_hex(&sc.span_id, r.client_span_id);
  cotel_curl_done(e, error == COTEL_ESTATE ? CURLE_ABORTED_BY_CALLBACK
                                           : t->req.curl_rc);
  r.error = error;
  r.errmsg = error ? msg : NULL;
  r.status = error ? 0 : t->req.status;
  if (cotel__buf_reserve(&t->req.resp, 1) == 0) {
    t->req.resp.data[t->req.resp.len] = 0;
    r.body = (const char *)t->req.resp.data;
    r.body_len = t->req.resp.len;
  } else {
    r.body = "";
  }
  cotel_future_enter(&t->future);
  t->cb(&r, t->ud);
  cotel_future_leave(&t->future);
  cotel_future_release(&t->future);
  cotel__buf_free(&t->req.resp);
  transfer_free(t);
}

static void on_done(cotel__http_req *req) {
  hk_transfer *t = container_of(req, hk_transfer, req);
  if (req->curl_rc == CURLE_OK && !req->truncated) {
    transfer_finish(t, 0, NULL);
    return;
  }
  const char *msg =
      req->curl_rc != CURLE_OK
          ? (req->errbuf[0] ? req->errbuf : curl_easy_strerror(req->curl_rc))
          : "response too large";
  transfer_finish(t, COTEL_EEXPORT, msg);
}

int hk_client_init(hk_client *c, uv_loop_t *loop) {
  if (!c || !loop) return COTEL_EINVAL;
  memset(c, 0, sizeof(*c));
  c->loop = loop;
  c->traced = true;
  int rc = cotel__http_init(&c->http, loop);
  if (rc) return rc;
  uv_timer_init(loop, &c->keep);
  return 0;
}

static void on_http_closed(cotel__http *h) {
  (void)h;
}

void hk_client_close(hk_client *c) {
  if (!c || c->closed) return;
  c->closed = true;
  while (c->transfers) {
    cotel__http_cancel(&c->http, &c->transfers->req);
    transfer_finish(c->transfers, COTEL_ESTATE, "client closed");
  }
  cotel__http_close(&c->http, on_http_closed);
  uv_timer_stop(&c->keep);
  uv_close((uv_handle_t *)&c->keep, NULL);
}

static void transfer_free(hk_transfer *t) {
  if (t->req.easy) {
    cotel_curl_uninstrument(t->req.easy);
    curl_easy_cleanup(t->req.easy);
  }
  curl_slist_free_all(t->headers);
  free(t->body);
  free(t);
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
  if (!t) {
    curl_slist_free_all(o->headers);
    return COTEL_ENOMEM;
  }
  t->headers = o->headers;
  /* curl would wait up to a second for "100 Continue" on larger bodies;
   * servers we call need not send it. */
  struct curl_slist *h2 = curl_slist_append(t->headers, "Expect:");
  if (h2) t->headers = h2;
  CURL *e = t->req.easy = curl_easy_init();
  if (!e || !h2 || (o->body && !(t->body = malloc(o->body_len + 1)))) {
    transfer_free(t);
    return COTEL_ENOMEM;
  }
  if (o->body) {
    memcpy(t->body, o->body, o->body_len);
    t->body[o->body_len] = '\0';
  }
  t->client = c;
  t->cb = cb;
  t->ud = ud;
  t->req.done = on_done;
  t->req.max_body = HK_MAX_RESPONSE;
  cotel__http_req_prepare(&t->req);
  const char *method = o->method ? o->method : o->body ? "POST" : "GET";
  curl_easy_setopt(e, CURLOPT_URL, o->url);
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS,
                   o->timeout_ms > 0 ? o->timeout_ms : 10000L);
  if (strcmp(method, "GET") != 0) {
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, t->body ? t->body : "");
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
                     (curl_off_t)(t->body ? o->body_len : 0));
    if (strcmp(method, "POST") != 0)
      curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
  }
  if (c->traced) {
    /* The CLIENT span's parent: the context current now (the transfer is
     * added to the multi handle by the client, not by us). */
    cotel_curl_options co;
    cotel_curl_options_init(&co);
    co.headers = t->headers;
    if (cotel_curl_instrument(e, &co) != 0 ||
        cotel_curl_set_parent(e, NULL) != 0) {
      transfer_free(t);
      return COTEL_ENOMEM;
    }
  } else {
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
  }
  if (cotel__http_start(&c->http, &t->req) != 0) {
    transfer_free(t);
    return COTEL_ENOMEM;
  }
  cotel_future_capture(&t->future);
  t->next = c->transfers;
  if (t->next) t->next->prevp = &t->next;
  t->prevp = &c->transfers;
  c->transfers = t;
  if (c->active++ == 0) uv_timer_start(&c->keep, on_keep, 3600000, 3600000);
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
