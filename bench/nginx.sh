#!/bin/sh
# The cost of the cotel nginx module in Debian's nginx, under wrk.
#
# Two cases:
#   static  `return 200 "ok"` (the smallest response nginx can make)
#   proxy   proxy_pass (HTTP/1.1, keepalive) to an upstream nginx without the
#           module that answers `return 200 "ok"`
# and three variants of the nginx under test, all started once and measured
# in turns (one worker each, so each variant has one event loop):
#   none    the module not loaded
#   off     loaded, `otel_trace off` (the default), context `ignore`
#   on      loaded, `otel_trace on`, `otel_trace_context propagate`: every
#           request sampled, its span exported over OTLP/HTTP protobuf by
#           the batch processor to cotel-bench-sink on 127.0.0.1 (answers 200
#           at once, decodes nothing); for proxy the traceparent is injected
#           into the upstream request
# Each round runs `wrk -t1 -cC -dDs --latency` once against every (case,
# variant), the variant order rotating from round to round so that drift
# hits all alike; medians of requests/s and of the p99 latency over the
# rounds are reported. Nothing is pinned: wrk, nginx, its batch thread, the
# upstream and the sink share the machine's cores.
#
# usage: sh bench/nginx.sh [BUILD_DIR]   (as root; `make nginx-bench`)
# env:   NGINX_RUNS (default 7), NGINX_DURATION (s, default 5),
#        NGINX_CONNECTIONS (default 32)
# Also measured: the nginx worker's CPU time per request (all its threads,
# from /proc/PID/task/*/schedstat), which other load on the machine
# disturbs far less than throughput does.
# Output: a table on stdout and BUILD_DIR/bench/nginx.dat (gnuplot input:
# case variant req/s p99_ms cpu_us_per_request export_us_per_request, the
# last being the CPU of the worker's other threads: the batch processor).
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
RUNS=${NGINX_RUNS:-7}
DUR=${NGINX_DURATION:-5}
CONNS=${NGINX_CONNECTIONS:-32}
MODULE=$BUILD/nginx/ngx_http_cotel_module.so
SINK=$BUILD/bin/cotel-bench-sink
OUT=$BUILD/bench
mkdir -p "$OUT"

command -v wrk >/dev/null 2>&1 || { echo "nginx.sh: wrk missing (scripts/deps.sh bench)" >&2; exit 1; }
[ -f "$MODULE" ] || { echo "nginx.sh: $MODULE missing (make nginx)" >&2; exit 1; }
[ -x "$SINK" ] || cmake --build "$BUILD" --target cotel-bench-sink >/dev/null
[ "$(id -u)" = 0 ] || { echo "nginx.sh: run as root (nginx with a private prefix)" >&2; exit 1; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/cotel-nginx-bench.XXXXXX")
PIDS=""
SINK_PID=""
cleanup() {
  for p in $PIDS; do kill -QUIT "$p" 2>/dev/null; done
  [ -n "$SINK_PID" ] && kill -TERM "$SINK_PID" 2>/dev/null
  for p in $PIDS $SINK_PID; do wait "$p" 2>/dev/null; done
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

wait_port() {
  i=0
  while [ $i -lt 200 ]; do
    python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$1),0.2)" 2>/dev/null && return 0
    i=$((i + 1))
    sleep 0.05
  done
  echo "nginx.sh: nothing listens on $1" >&2
  exit 1
}

"$SINK" >"$TMP/sink.out" 2>"$TMP/sink.err" &
SINK_PID=$!
i=0
while ! grep -q listening "$TMP/sink.out" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
SINK_PORT=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$TMP/sink.out")

# start_nginx NAME HEAD HTTP: writes $TMP/NAME/nginx.conf, starts nginx.
start_nginx() {
  d=$TMP/$1
  mkdir -p "$d/logs"
  cat >"$d/nginx.conf" <<EOF
$2
user root;
worker_processes 1;
daemon off;
error_log $d/logs/error.log notice;
pid $d/nginx.pid;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $d/body;
  proxy_temp_path $d/proxy;
  fastcgi_temp_path $d/fastcgi;
  uwsgi_temp_path $d/uwsgi;
  scgi_temp_path $d/scgi;
  keepalive_requests 1000000;
$3
}
EOF
  nginx -p "$d" -c "$d/nginx.conf" 2>>"$d/logs/stderr" &
  PIDS="$PIDS $!"
}

UP=$(free_port)
start_nginx upstream "" "server { listen 127.0.0.1:$UP; location / { return 200 \"ok\"; } }"
wait_port "$UP"

LOAD="load_module $MODULE;"
SERVER='
  upstream backend { server 127.0.0.1:UP; keepalive 32; }
  server {
    listen 127.0.0.1:PORT;
    location /static { return 200 "ok"; }
    location /proxy {
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }'
EXPORTER="otel_exporter { endpoint http://127.0.0.1:$SINK_PORT; }
  otel_service_name nginx-bench;"
for v in none off on; do
  p=$(free_port)
  eval "PORT_$v=$p"
  body=$(printf '%s' "$SERVER" | sed "s/UP/$UP/; s/PORT/$p/")
  case $v in
    none) start_nginx $v "" "$body" ;;
    off) start_nginx $v "$LOAD" "otel_trace off;
$body" ;;
    on) start_nginx $v "$LOAD" "$EXPORTER
  otel_trace on;
  otel_trace_context propagate;
$body" ;;
  esac
  wait_port "$p"
done

# The worker of nginx $1 (its master's only child).
worker_of() {
  cat "/proc/$(cat "$TMP/$1/nginx.pid")/task/$(cat "$TMP/$1/nginx.pid")/children" | awk '{ print $1 }'
}
# CPU time (ns) of a process, every thread (the batch processor's too).
cpu_ns() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%.0f", s }'; }

# run_wrk URL SECONDS VARIANT: wrk's "Requests/sec", its 99% latency in ms,
# and the nginx worker's CPU time per request in microseconds (a measure
# that the machine's other load disturbs much less than throughput).
run_wrk() {
  w=$(worker_of "$3")
  c0=$(cpu_ns "$w")
  m0=$(awk '{ print $1 }' /proc/"$w"/schedstat)
  wrk -t1 -c"$CONNS" -d"${2}s" --latency "$1" >"$TMP/wrk.out" 2>&1
  c1=$(cpu_ns "$w")
  m1=$(awk '{ print $1 }' /proc/"$w"/schedstat)
  # A variant that answers with errors would look fast: say so.
  if grep -q "Non-2xx\|Socket errors" "$TMP/wrk.out"; then
    echo "nginx.sh: $3 $1: $(grep "Non-2xx\|Socket errors" "$TMP/wrk.out" | tr '\n' ' ')" >&2
  fi
  rps=$(awk '/^Requests\/sec:/ { print $2 }' "$TMP/wrk.out")
  n=$(awk '/requests in/ { print $1 }' "$TMP/wrk.out")
  p99=$(awk '$1 == "99%" {
    v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v);
    if (u == "us") v /= 1000; else if (u == "s") v *= 1000; print v }' "$TMP/wrk.out")
  us=$(awk -v a="$c0" -v b="$c1" -v n="${n:-0}" 'BEGIN { if (n > 0) printf "%.2f", (b - a) / 1000 / n; else print 0 }')
  # The part of it spent outside the event loop's thread (the batch
  # processor: encoding and sending spans).
  bg=$(awk -v a="$c0" -v b="$c1" -v ma="$m0" -v mb="$m1" -v n="${n:-0}" 'BEGIN { if (n > 0) printf "%.2f", ((b - a) - (mb - ma)) / 1000 / n; else print 0 }')
  echo "${rps:-0} ${p99:-0} $us $bg"
}

echo "warm-up"
for c in static proxy; do
  for v in none off on; do
    eval "port=\$PORT_$v"
    run_wrk "http://127.0.0.1:$port/$c" 1 $v >/dev/null
  done
done

: >"$TMP/results"
r=1
while [ $r -le "$RUNS" ]; do
  case $((r % 3)) in
    1) order="none off on" ;;
    2) order="off on none" ;;
    0) order="on none off" ;;
  esac
  for c in static proxy; do
    for v in $order; do
      eval "port=\$PORT_$v"
      res=$(run_wrk "http://127.0.0.1:$port/$c" "$DUR" $v)
      echo "$c $v $res" >>"$TMP/results"
      printf 'round %d  %-6s %-4s %s\n' "$r" "$c" "$v" "$res"
    done
  done
  r=$((r + 1))
done

median() { sort -n | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

: >"$OUT/nginx.dat"
echo
printf '%-7s %-5s %10s %9s %9s %10s %9s %8s\n' case module "req/s" "vs none" "p99 ms" "cpu us/req" "vs none" "export"
for c in static proxy; do
  base=$(awk -v c=$c '$1 == c && $2 == "none" { print $3 }' "$TMP/results" | median)
  basecpu=$(awk -v c=$c '$1 == c && $2 == "none" { print $5 }' "$TMP/results" | median)
  for v in none off on; do
    rps=$(awk -v c=$c -v v=$v '$1 == c && $2 == v { print $3 }' "$TMP/results" | median)
    p99=$(awk -v c=$c -v v=$v '$1 == c && $2 == v { print $4 }' "$TMP/results" | median)
    cpu=$(awk -v c=$c -v v=$v '$1 == c && $2 == v { print $5 }' "$TMP/results" | median)
    loss=$(awk -v a="$rps" -v b="$base" 'BEGIN { printf "%+.1f%%", (a - b) * 100 / b }')
    bg=$(awk -v c=$c -v v=$v '$1 == c && $2 == v { print $6 }' "$TMP/results" | median)
    closs=$(awk -v a="$cpu" -v b="$basecpu" 'BEGIN { printf "%+.1f%%", (a - b) * 100 / b }')
    printf '%-7s %-5s %10.0f %9s %9.2f %10.2f %9s %8.2f\n' "$c" "$v" "$rps" "$loss" "$p99" "$cpu" "$closs" "$bg"
    echo "$c $v $rps $p99 $cpu $bg" >>"$OUT/nginx.dat"
  done
done
# The traced worker's own account of the spans.
kill -QUIT $(cat "$TMP/on/nginx.pid") 2>/dev/null
i=0
while ! grep -q "otel: worker exit" "$TMP/on/logs/error.log" 2>/dev/null && [ $i -lt 100 ]; do
  sleep 0.1
  i=$((i + 1))
done
grep -o "otel: worker exit.*" "$TMP/on/logs/error.log"
echo "rounds: $RUNS x wrk -t1 -c$CONNS -d${DUR}s; data: $OUT/nginx.dat"
