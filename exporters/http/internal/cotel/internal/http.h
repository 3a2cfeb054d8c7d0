/* Internal to libcotel (not installed): the one HTTP client, used by the
 * OTLP exporter and the example services. HTTP requests through libcurl's multi
 * interface, driven by a libuv loop (curl's docs/examples/multi-uv.c
 * pattern: CURLMOPT_SOCKETFUNCTION -> one uv_poll per socket,
 * CURLMOPT_TIMERFUNCTION -> one uv_timer, curl_multi_socket_action from
 * both). Everything runs on the loop thread. */
#ifndef COTEL_INTERNAL_HTTP_H
#define COTEL_INTERNAL_HTTP_H

#include <curl/curl.h>
#include <stddef.h>
#include <uv.h>

#include "cotel/internal/buf.h"

#ifndef container_of
#define container_of(ptr, type, member)                                        \
  ((type *)((char *)(ptr)-offsetof(type, member)))
#endif

typedef struct cotel__http cotel__http;
typedef struct cotel__http_req cotel__http_req;

/* Called on the loop thread when a started request finished (any result). */
typedef void (*cotel__http_done_fn)(cotel__http_req *r);

/* Most of the response is kept only for diagnostics and partial success. */
#define COTEL__HTTP_MAX_BODY (64u * 1024u)

/* Optional: sees every response header line, and the trailers (libcurl
 * hands HTTP/2 trailers to the header callback after the body). */
typedef void (*cotel__http_header_fn)(cotel__http_req *r, const char *line,
                                      size_t n);

struct cotel__http_req {
  CURL *easy;                      /* owned by the caller; prepared by it */
  cotel__http_done_fn done;        /* set by the caller */
  cotel__http_header_fn on_header; /* set by the caller, or NULL */
  size_t max_body; /* response bytes kept; 0: COTEL__HTTP_MAX_BODY */
  /* Results, valid in done(). */
  CURLcode curl_rc;
  long status;
  long http_version; /* CURL_HTTP_VERSION_1_1, _2_0... (0: no response) */
  cotel__buf resp;   /* at most max_body bytes */
  int truncated;     /* the response had more */
  char retry_after[64];
  char content_type[64];
  char errbuf[CURL_ERROR_SIZE];
  /* Private. */
  cotel__http *http;
  int in_multi;
};

struct cotel__http {
  uv_loop_t *loop;
  CURLM *multi;
  uv_timer_t timer;
  int open_handles; /* uv handles not yet closed (timer + polls) */
  void (*closed)(cotel__http *h);
  void *data;
};

/* Create the multi handle and its timer on `loop`. HTTP/2 requests to one
 * origin share a connection (CURLPIPE_MULTIPLEX; set CURLOPT_PIPEWAIT on
 * the easy handle to wait for it rather than open another). 0,
 * COTEL_ENOMEM. */
int cotel__http_init(cotel__http *h, uv_loop_t *loop);

/* Set the transport's callbacks (write, header, private pointer, error
 * buffer) on r->easy and clear r's results. Call before each start. */
void cotel__http_req_prepare(cotel__http_req *r);

/* Start the transfer of r->easy. r->done is called later, on the loop
 * (never from inside this call). 0 or COTEL_ENOMEM / COTEL_ESTATE. */
int cotel__http_start(cotel__http *h, cotel__http_req *r);

/* Abort a started request without calling its done callback. */
void cotel__http_cancel(cotel__http *h, cotel__http_req *r);

/* Close: every request must be finished or cancelled. Cleans the multi
 * handle up and closes the uv handles; `closed` is called (on the loop) when
 * the last one is closed. */
void cotel__http_close(cotel__http *h, void (*closed)(cotel__http *h));

/* The value of a "name: value" header line (name matched case-insensitively,
 * the value trimmed of blanks and the line end), as a view into `line`; NULL
 * when the line is another header. */
const char *cotel__http_header_value(const char *line, size_t n,
                                     const char *name, size_t *vlen);

/* gzip (RFC 1952) of in[0..n) into *out, replacing its contents. 0 or
 * COTEL_ENOMEM. */
int cotel__gzip(const uint8_t *in, size_t n, cotel__buf *out);

#endif
