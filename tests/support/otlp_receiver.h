/* Test support: run tests/otlp_receiver.py (a scriptable OTLP/HTTP
 * receiver) as a child process and talk to its control endpoints. */
#ifndef COTEL_TEST_OTLP_RECEIVER_H
#define COTEL_TEST_OTLP_RECEIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

typedef struct cotel_test_receiver {
  pid_t pid;
  int port;
  int stdin_fd;  /* closing it (or our death) stops the receiver */
  char base[64]; /* "http://127.0.0.1:<port>" (https with --tls-cert) */
  bool tls;
  bool mtls;     /* control requests then present tls/client.pem */
  char grpc[64]; /* grpc receiver: "http://127.0.0.1:<grpc port>" */
} cotel_test_receiver;

/* Path of a file of tests/support/tls (test-only CA, server and client
 * certificates and keys). */
const char *cotel_test_tls_file(const char *name, char *buf, size_t cap);

/* Start the receiver (extra_args: NULL-terminated extra argv, or NULL) and
 * wait for its port. 0 or -1. */
int cotel_test_receiver_start(cotel_test_receiver *r,
                              const char *const *extra_args);
void cotel_test_receiver_stop(cotel_test_receiver *r);

/* Start tests/grpc_receiver.py (a grpcio server; its venv is installed
 * first by tests/support/pyenv.sh when missing): r->base is its control
 * URL, r->grpc the endpoint to export to. 0 or -1. */
int cotel_test_grpc_receiver_start(cotel_test_receiver *r);

/* TCP connections the grpc receiver accepted so far, or -1. */
long cotel_test_receiver_connections(cotel_test_receiver *r);

/* Queue actions (one per line) for the next /v1/traces requests. 0/-1. */
int cotel_test_receiver_script(cotel_test_receiver *r, const char *actions);

/* GET <base><path>: the HTTP status (or -1); the body in *out (malloc'd,
 * NUL-terminated; may be NULL to ignore) and its length in *len. */
long cotel_test_receiver_get(cotel_test_receiver *r, const char *path,
                             char **out, size_t *len);

/* Requests received so far, or -1. */
long cotel_test_receiver_count(cotel_test_receiver *r);

/* The i-th request's body (gunzipped), header value or meta field; the
 * returned string is malloc'd (NULL when absent). */
char *cotel_test_receiver_body(cotel_test_receiver *r, long i, size_t *len);
char *cotel_test_receiver_header(cotel_test_receiver *r, long i,
                                 const char *name);
/* A meta value (encoding, raw_len, len, time_ms, action) as a string. */
char *cotel_test_receiver_meta(cotel_test_receiver *r, long i, const char *key);
/* The i-th JSON body flattened into "path=value\n" lines (sorted). */
char *cotel_test_receiver_json(cotel_test_receiver *r, long i);

/* A closed port on 127.0.0.1 (bound then released), for refused
 * connections. */
int cotel_test_unused_port(void);

#endif
