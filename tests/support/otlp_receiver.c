/* Test support: the OTLP receiver child process and its control client. */
#include "otlp_receiver.h"

#include <curl/curl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* <source dir>/tests/<rel>: from COTEL_SOURCE_DIR (ctest sets it), else
 * from where this file was compiled (<src>/tests/support/). */
static void tests_path(const char *rel, char *out, size_t cap) {
  const char *src = getenv("COTEL_SOURCE_DIR");
  if (src && *src) {
    snprintf(out, cap, "%s/tests/%s", src, rel);
    return;
  }
  snprintf(out, cap, "%s", __FILE__);
  char *slash = strrchr(out, '/');
  if (slash) snprintf(slash, cap - (size_t)(slash - out), "/../%s", rel);
}

const char *cotel_test_tls_file(const char *name, char *buf, size_t cap) {
  char rel[128];
  snprintf(rel, sizeof rel, "support/tls/%s", name);
  tests_path(rel, buf, cap);
  return buf;
}

static int spawn_receiver(cotel_test_receiver *r, const char *python,
                          const char *script, const char *const *extra_args) {
  int in_pipe[2], out_pipe[2];
  char path[1024], line[32];
  const char *argv[16];
  size_t argc = 0, got = 0;
  posix_spawn_file_actions_t fa;
  memset(r, 0, sizeof *r);
  r->stdin_fd = -1;
  tests_path(script, path, sizeof path);
  argv[argc++] = python;
  argv[argc++] = path;
  for (size_t i = 0; extra_args && extra_args[i] && argc < 15; i++) {
    argv[argc++] = extra_args[i];
    if (!strcmp(extra_args[i], "--tls-cert")) r->tls = true;
    if (!strcmp(extra_args[i], "--tls-client-ca")) r->mtls = true;
  }
  argv[argc] = NULL;
  if (pipe(in_pipe) != 0) return -1;
  if (pipe(out_pipe) != 0) {
    close(in_pipe[0]);
    close(in_pipe[1]);
    return -1;
  }
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in_pipe[0], 0);
  posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 1);
  posix_spawn_file_actions_addclose(&fa, in_pipe[1]);
  posix_spawn_file_actions_addclose(&fa, out_pipe[0]);
  int rc =
      posix_spawnp(&r->pid, python, &fa, NULL, (char *const *)argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  close(in_pipe[0]);
  close(out_pipe[1]);
  if (rc != 0) {
    close(in_pipe[1]);
    close(out_pipe[0]);
    return -1;
  }
  r->stdin_fd = in_pipe[1];
  /* The first line is the port. */
  while (got < sizeof line - 1) {
    struct pollfd p = {.fd = out_pipe[0], .events = POLLIN};
    if (poll(&p, 1, 20000) <= 0) break;
    ssize_t n = read(out_pipe[0], line + got, 1);
    if (n <= 0) break;
    if (line[got] == '\n') break;
    got++;
  }
  line[got] = 0;
  close(out_pipe[0]);
  r->port = atoi(line);
  if (r->port <= 0) {
    cotel_test_receiver_stop(r);
    return -1;
  }
  snprintf(r->base, sizeof r->base, "%s://127.0.0.1:%d",
           r->tls ? "https" : "http", r->port);
  return 0;
}

int cotel_test_receiver_start(cotel_test_receiver *r,
                              const char *const *extra_args) {
  return spawn_receiver(r, "python3", "otlp_receiver.py", extra_args);
}

int cotel_test_grpc_receiver_start(cotel_test_receiver *r) {
  char cmd[1200], path[1024], python[1024] = "";
  FILE *f;
  char *b = NULL;
  tests_path("support/pyenv.sh", path, sizeof path);
  snprintf(cmd, sizeof cmd, "sh '%s'", path);
  if (!(f = popen(cmd, "r"))) return -1;
  while (fgets(python, sizeof python, f)) {
  }
  if (pclose(f) != 0 || !python[0]) return -1;
  python[strcspn(python, "\n")] = 0;
  if (spawn_receiver(r, python, "grpc_receiver.py", NULL) != 0) return -1;
  if (cotel_test_receiver_get(r, "/grpc_port", &b, NULL) != 200) {
    free(b);
    cotel_test_receiver_stop(r);
    return -1;
  }
  snprintf(r->grpc, sizeof r->grpc, "http://127.0.0.1:%d", atoi(b));
  free(b);
  return 0;
}

long cotel_test_receiver_connections(cotel_test_receiver *r) {
  char *b = NULL;
  long n = -1;
  if (cotel_test_receiver_get(r, "/connections", &b, NULL) == 200) n = atol(b);
  free(b);
  return n;
}

void cotel_test_receiver_stop(cotel_test_receiver *r) {
  if (r->stdin_fd >= 0) close(r->stdin_fd);
  r->stdin_fd = -1;
  if (r->pid > 0) {
    kill(r->pid, SIGKILL);
    waitpid(r->pid, NULL, 0);
  }
  r->pid = 0;
}

typedef struct sink {
  char *p;
  size_t len;
} sink;

static size_t sink_write(char *ptr, size_t size, size_t nmemb, void *ud) {
  sink *s = (sink *)ud;
  size_t n = size * nmemb;
  char *q = realloc(s->p, s->len + n + 1);
  if (!q) return 0;
  memcpy(q + s->len, ptr, n);
  s->p = q;
  s->len += n;
  s->p[s->len] = 0;
  return n;
}

static long request(cotel_test_receiver *r, const char *path, const char *post,
                    char **out, size_t *len) {
  char url[512];
  sink s = {0};
  long code = -1;
  CURL *c = curl_easy_init();
  if (!c) return -1;
  snprintf(url, sizeof url, "%s%s", r->base, path);
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink_write);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  if (post) curl_easy_setopt(c, CURLOPT_POSTFIELDS, post);
  char ca[1024], cert[1024], key[1024];
  if (r->tls) {
    curl_easy_setopt(c, CURLOPT_CAINFO,
                     cotel_test_tls_file("ca.pem", ca, sizeof ca));
  }
  if (r->mtls) {
    curl_easy_setopt(c, CURLOPT_SSLCERT,
                     cotel_test_tls_file("client.pem", cert, sizeof cert));
    curl_easy_setopt(c, CURLOPT_SSLKEY,
                     cotel_test_tls_file("client.key", key, sizeof key));
  }
  if (curl_easy_perform(c) == CURLE_OK)
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
  curl_easy_cleanup(c);
  if (!s.p) s.p = calloc(1, 1);
  if (len) *len = s.len;
  if (out)
    *out = s.p;
  else
    free(s.p);
  return code;
}

int cotel_test_receiver_script(cotel_test_receiver *r, const char *actions) {
  return request(r, "/control", actions, NULL, NULL) == 200 ? 0 : -1;
}

long cotel_test_receiver_get(cotel_test_receiver *r, const char *path,
                             char **out, size_t *len) {
  return request(r, path, NULL, out, len);
}

long cotel_test_receiver_count(cotel_test_receiver *r) {
  char *b = NULL;
  long n = -1;
  if (request(r, "/received/count", NULL, &b, NULL) == 200) n = atol(b);
  free(b);
  return n;
}

static char *get_or_null(cotel_test_receiver *r, const char *path,
                         size_t *len) {
  char *b = NULL;
  if (request(r, path, NULL, &b, len) != 200) {
    free(b);
    return NULL;
  }
  return b;
}

char *cotel_test_receiver_body(cotel_test_receiver *r, long i, size_t *len) {
  char path[64];
  snprintf(path, sizeof path, "/received/%ld/body", i);
  return get_or_null(r, path, len);
}

char *cotel_test_receiver_header(cotel_test_receiver *r, long i,
                                 const char *name) {
  char path[256];
  snprintf(path, sizeof path, "/received/%ld/header/%s", i, name);
  return get_or_null(r, path, NULL);
}

char *cotel_test_receiver_meta(cotel_test_receiver *r, long i,
                               const char *key) {
  char path[64], *m, *p, *out = NULL;
  size_t k = strlen(key);
  snprintf(path, sizeof path, "/received/%ld/meta", i);
  if (!(m = get_or_null(r, path, NULL))) return NULL;
  for (p = m; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
    if (!strncmp(p, key, k) && p[k] == '=') {
      char *e = strchr(p, '\n');
      size_t n = e ? (size_t)(e - p - k - 1) : strlen(p + k + 1);
      out = malloc(n + 1);
      if (out) {
        memcpy(out, p + k + 1, n);
        out[n] = 0;
      }
      break;
    }
  }
  free(m);
  return out;
}

char *cotel_test_receiver_json(cotel_test_receiver *r, long i) {
  char path[64];
  snprintf(path, sizeof path, "/received/%ld/json", i);
  return get_or_null(r, path, NULL);
}

int cotel_test_unused_port(void) {
  struct sockaddr_in a = {0};
  socklen_t l = sizeof a;
  int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;
  if (fd < 0) return -1;
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
      getsockname(fd, (struct sockaddr *)&a, &l) == 0)
    port = ntohs(a.sin_port);
  close(fd);
  return port;
}
