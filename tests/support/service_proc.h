/* Test fixture: run one of our service programs (w3c-service, cotel-hop)
 * as a child process on an ephemeral loopback port, read the port from its
 * first stdout line ("listening on 127.0.0.1:PORT"), and stop it with
 * SIGTERM, returning its exit status. The binaries are found through
 * COTEL_BIN_DIR, which ctest sets. */
#ifndef COTEL_TEST_SERVICE_PROC_H
#define COTEL_TEST_SERVICE_PROC_H

#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SERVICE_PROC_WAIT_S
#define SERVICE_PROC_WAIT_S 10
#endif

typedef struct service_proc {
  pid_t pid;
  int out; /* its stdout */
  int port;
} service_proc;

/* Start bin/<prog> --port 0 <args...> (args NULL-terminated, may be NULL)
 * with spans not exported and the W3C propagators. */
static inline void service_proc_start(service_proc *p, const char *prog,
                                      const char *const *args) {
  const char *dir = getenv("COTEL_BIN_DIR");
  char path[1024];
  snprintf(path, sizeof(path), "%s/%s", dir ? dir : "bin", prog);
  const char *argv[16] = {path, "--port", "0"};
  size_t argc = 3;
  for (; args && *args && argc < 15; args++)
    argv[argc++] = *args;
  argv[argc] = NULL;
  int pfd[2];
  assert_int_equal(pipe(pfd), 0);
  p->pid = fork();
  assert_true(p->pid >= 0);
  if (p->pid == 0) {
    dup2(pfd[1], 1);
    close(pfd[0]);
    close(pfd[1]);
    setenv("OTEL_TRACES_EXPORTER", "none", 1);
    setenv("OTEL_PROPAGATORS", "tracecontext,baggage", 1);
    unsetenv("OTEL_SERVICE_NAME");
    unsetenv("OTEL_TRACES_SAMPLER");
    unsetenv("OTEL_SDK_DISABLED");
    execv(path, (char *const *)argv);
    _exit(127);
  }
  close(pfd[1]);
  p->out = pfd[0];
  char line[128];
  size_t n = 0;
  while (n < sizeof(line) - 1) {
    struct pollfd pf = {p->out, POLLIN, 0};
    assert_int_equal(poll(&pf, 1, SERVICE_PROC_WAIT_S * 1000), 1);
    assert_int_equal(read(p->out, &line[n], 1), 1);
    if (line[n] == '\n') break;
    n++;
  }
  line[n] = '\0';
  assert_int_equal(sscanf(line, "listening on 127.0.0.1:%d", &p->port), 1);
  assert_true(p->port > 0);
}

/* SIGTERM; the exit status (0 when it shut down cleanly, spans flushed). */
static inline int service_proc_stop(service_proc *p) {
  int st = 0;
  kill(p->pid, SIGTERM);
  waitpid(p->pid, &st, 0);
  close(p->out);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

#endif
