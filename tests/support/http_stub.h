/* A small HTTP/1.1 server for client tests, on 127.0.0.1 and an ephemeral
 * port, one thread per connection, keep-alive. It records every request
 * (target and a few headers) and answers by path:
 *   /status/NNN   status NNN, body "status"
 *   /redirect/N   302 to /redirect/N-1 while N > 0, then 200
 *   anything else 200 "ok"
 * Bounded: at most HTTP_STUB_MAX_RECORDS requests are recorded, and every
 * connection thread notices stop within 100 ms. */
#ifndef COTEL_TEST_HTTP_STUB_H
#define COTEL_TEST_HTTP_STUB_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#define HTTP_STUB_MAX_RECORDS 1024

typedef struct http_stub_record {
  char method[16];
  char target[256];
  char traceparent[128];
  char x_mine[64];
  char host[128];
} http_stub_record;

typedef struct http_stub {
  int fd;
  int port;
  pthread_t accept_thread;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int active;       /* connection threads running */
  atomic_bool stop; /* read by every thread of the stub */
  http_stub_record records[HTTP_STUB_MAX_RECORDS];
  size_t n_records;
} http_stub;

/* Listen and start accepting; 0 or -1. */
int http_stub_start(http_stub *s);
/* Stop accepting, wait (bounded) for the connection threads. */
void http_stub_stop(http_stub *s);
/* A copy of record i (under the lock); false when i is out of range. */
bool http_stub_record_get(http_stub *s, size_t i, http_stub_record *out);
size_t http_stub_count(http_stub *s);
/* A loopback port nothing listens on (bound, then closed). */
int http_stub_closed_port(void);

#endif
