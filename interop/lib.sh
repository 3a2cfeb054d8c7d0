# Shell functions for interop/run.sh and the interop/*/build.sh scripts.
# POSIX sh (dash). Source it; it defines functions and sets the toolchain
# environment, nothing else.
#
#   interop_env               cache dir and Go environment (idempotent)
#   interop_hash FILE...      short content hash of the files (cache keys)
#   interop_free_ports N      N distinct free TCP ports on 127.0.0.1
#   interop_start NAME CMD... start CMD in its own process group, output in
#                             $INTEROP_WORK/NAME.log; remembered for cleanup
#   interop_wait_port PORT SECONDS [PID]
#                             wait until 127.0.0.1:PORT accepts connections
#   interop_cleanup           stop every process group interop_start started
#   interop_kill_group PGID   TERM, then KILL after 5 s, one process group
#   interop_*_bin             where the build scripts put each binary

# Go, npm and the cache: the machine's defaults, also when HOME is unset (CI
# runs with the machine's environment, which may lack some of them).
interop_env() {
  : "${HOME:=$(getent passwd "$(id -u)" | cut -d: -f6)}"
  : "${HOME:=/root}"
  export HOME
  # Toolchains installed outside the default PATH (Go's tarball, rustup).
  for d in /usr/local/go/bin "$HOME/go/bin" "$HOME/.cargo/bin"; do
    case ":$PATH:" in *":$d:"*) ;; *) [ -d "$d" ] && PATH="$PATH:$d" ;; esac
  done
  export PATH
  : "${INTEROP_CACHE:=${XDG_CACHE_HOME:-$HOME/.cache}/cotel-interop}"
  export INTEROP_CACHE
  mkdir -p "$INTEROP_CACHE"
  : "${GOPATH:=$HOME/go}"
  : "${GOCACHE:=${XDG_CACHE_HOME:-$HOME/.cache}/go-build}"
  export GOPATH GOCACHE
  # -mod=mod: go.mod/go.sum are complete, but let go fill what a newer
  # toolchain wants instead of failing. GOTOOLCHAIN=local: never download
  # a toolchain (only the module proxy is reachable).
  export GOFLAGS="-mod=mod -buildvcs=false"
  export GOTOOLCHAIN=local
  export npm_config_cache="${npm_config_cache:-$HOME/.npm}"
}

interop_hash() {
  cat "$@" | sha256sum | cut -c1-16
}

# Bind port 0 N times (all sockets open at once, so the ports differ).
interop_free_ports() {
  python3 -c '
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
' "$1"
}

INTEROP_PIDS=""

# setsid puts the command in a process group of its own (pgid = pid), so
# that cleanup also reaches any child it forks.
interop_start() {
  _name=$1
  shift
  setsid "$@" >"$INTEROP_WORK/$_name.log" 2>&1 </dev/null &
  _pid=$!
  INTEROP_PIDS="$INTEROP_PIDS $_pid"
  eval "INTEROP_PID_$(echo "$_name" | tr -c 'A-Za-z0-9_\n' _)=$_pid"
  echo "interop: started $_name (pid $_pid, log $INTEROP_WORK/$_name.log)"
}

interop_pid_of() {
  eval "echo \${INTEROP_PID_$(echo "$1" | tr -c 'A-Za-z0-9_\n' _):-}"
}

interop_wait_port() {
  python3 -c '
import os, socket, sys, time
port, limit = int(sys.argv[1]), float(sys.argv[2])
pid = int(sys.argv[3]) if len(sys.argv) > 3 and sys.argv[3] else 0
deadline = time.monotonic() + limit
while time.monotonic() < deadline:
    if pid:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            sys.exit(2)
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.1)
sys.exit(1)
' "$@"
}

# `kill -s SIG -- -PGID` is the form both dash and bash accept.
interop_kill_group() {
  kill -s TERM -- "-$1" 2>/dev/null || return 0
  _i=0
  while kill -s 0 -- "-$1" 2>/dev/null && [ $_i -lt 50 ]; do
    sleep 0.1
    _i=$((_i + 1))
  done
  kill -s KILL -- "-$1" 2>/dev/null || true
}

interop_cleanup() {
  for _p in $INTEROP_PIDS; do
    interop_kill_group "$_p"
  done
  for _p in $INTEROP_PIDS; do
    wait "$_p" 2>/dev/null || true
  done
  INTEROP_PIDS=""
}

# Where the build scripts put their binaries: one cache directory per
# content hash of the files that determine the binary (go.sum, Cargo.lock,
# package-lock.json...). Needs INTEROP_ROOT (the interop/ directory).
interop_collector_bin() {
  echo "$INTEROP_CACHE/collector-$(cd "$INTEROP_ROOT/collector" && interop_hash go.mod go.sum main.go)/cotel-otelcol"
}
interop_jaeger_bin() {
  echo "$INTEROP_CACHE/jaeger-$(cd "$INTEROP_ROOT/jaeger" && interop_hash go.mod go.sum)/jaeger"
}
interop_rotel_dir() {
  echo "$INTEROP_CACHE/rotel-$(cd "$INTEROP_ROOT/rotel" && interop_hash package.json package-lock.json)"
}
interop_rotel_bin() {
  echo "$(interop_rotel_dir)/node_modules/rotel-agent-linux-x64/bin/rotel-agent"
}
