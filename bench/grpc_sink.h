/* The OTLP/gRPC sink of cotel-bench-otlp-export: tests/grpc_receiver.py in
 * --sink mode (grpcio, every call answered OK, nothing kept), run as a
 * child process. COTEL_GRPC_SINK names its interpreter and script
 * ("PYTHON SCRIPT"; scripts/bench.sh sets it after tests/support/pyenv.sh
 * installed grpcio); without it the gRPC cases are skipped. Its CPU is
 * the child's (utime+stime from /proc), its request count comes from its
 * control port. Header-only, bench use only. */
#ifndef COTEL_BENCH_GRPC_SINK_H
#define COTEL_BENCH_GRPC_SINK_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct grpc_sink {
  pid_t pid;
  int in_fd; /* closing it stops the sink */
  int control, port;
} grpc_sink;

static int grpc_sink_get(const grpc_sink *g, const char *path, char *out,
                         size_t cap) {
  char cmd[256];
  FILE *f;
  size_t n;
  snprintf(cmd, sizeof cmd, "curl -s --max-time 10 http://127.0.0.1:%d%s",
           g->control, path);
  if (!(f = popen(cmd, "r"))) return -1;
  n = fread(out, 1, cap - 1, f);
  out[n] = 0;
  return pclose(f) == 0 && n ? 0 : -1;
}

/* 0, or -1 when COTEL_GRPC_SINK is unset or the sink did not start. */
static int grpc_sink_start(grpc_sink *g) {
  const char *spec = getenv("COTEL_GRPC_SINK");
  char py[1024], script[1024], line[32] = "";
  int in[2], out[2];
  memset(g, 0, sizeof *g);
  if (!spec || sscanf(spec, "%1023s %1023s", py, script) != 2) return -1;
  if (pipe(in) || pipe(out)) return -1;
  g->pid = fork();
  if (g->pid == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    close(in[1]);
    close(out[0]);
    execl(py, py, script, "--sink", (char *)NULL);
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  g->in_fd = in[1];
  FILE *f = fdopen(out[0], "r");
  if (!f || !fgets(line, sizeof line, f)) return -1;
  fclose(f);
  g->control = atoi(line);
  if (grpc_sink_get(g, "/grpc_port", line, sizeof line)) return -1;
  g->port = atoi(line);
  return g->port > 0 ? 0 : -1;
}

static uint64_t grpc_sink_requests(const grpc_sink *g) {
  char b[32];
  return grpc_sink_get(g, "/received/count", b, sizeof b) ? 0
                                                          : strtoull(b, 0, 10);
}

/* The child's user+system CPU time, ns. */
static uint64_t grpc_sink_cpu_ns(const grpc_sink *g) {
  char path[64], buf[1024];
  unsigned long ut = 0, st = 0;
  FILE *f;
  snprintf(path, sizeof path, "/proc/%d/stat", (int)g->pid);
  if (!(f = fopen(path, "r"))) return 0;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  char *p = strrchr(buf, ')'); /* fields after the command name */
  if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
                   &ut, &st) != 2)
    return 0;
  return (uint64_t)(ut + st) * (1000000000ull / (uint64_t)sysconf(_SC_CLK_TCK));
}

static void grpc_sink_stop(grpc_sink *g) {
  if (g->in_fd > 0) close(g->in_fd);
  if (g->pid > 0) {
    kill(g->pid, SIGTERM);
    waitpid(g->pid, NULL, 0);
  }
  memset(g, 0, sizeof *g);
}

#endif
