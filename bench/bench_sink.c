/* cotel-bench-sink: the loopback OTLP/HTTP receiver of bench/wrk.sh, as a
 * process (bench/otlp_sink.h: answers every POST with 200 and an empty
 * ExportTraceServiceResponse, decodes nothing, so it costs the exporter
 * under test as little as a collector could).
 *
 *   cotel-bench-sink [--json]
 *
 * Prints "listening on 127.0.0.1:PORT" first on stdout; on SIGINT/SIGTERM
 * prints "sink: N requests, B bytes, C s cpu" on stderr and exits 0, so the
 * script can say how much of the 2 cores the sink took. */
#include <signal.h>

#include "otlp_sink.h"

int main(int argc, char **argv) {
  bool json = argc > 1 && strcmp(argv[1], "--json") == 0;
  if (argc > 2 || (argc == 2 && !json)) {
    fprintf(stderr, "usage: %s [--json]\n", argv[0]);
    return 2;
  }
  /* Blocked before the sink thread exists, so it inherits the mask and the
   * signals reach sigwait below. */
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  static sink s;
  sink_start(&s, json);
  printf("listening on 127.0.0.1:%d\n", s.port);
  fflush(stdout);
  int sig;
  sigwait(&set, &sig);
  struct timespec cpu = {0};
  clock_gettime(s.cpu, &cpu);
  sink_stop(&s);
  fprintf(stderr, "sink: %llu requests, %llu bytes, %.3f s cpu\n",
          (unsigned long long)atomic_load(&s.requests),
          (unsigned long long)atomic_load(&s.bytes),
          (double)cpu.tv_sec + (double)cpu.tv_nsec / 1e9);
  return 0;
}
