#!/bin/sh
# Install the Debian packages cotel needs, when missing.
# Usage: scripts/deps.sh [build|fuzz|bench|interop]...   (default: build)
# As root it runs apt-get; otherwise it prints the exact command to run.
set -eu

build="cmake make gcc pkg-config libuv1-dev libcurl4-openssl-dev zlib1g-dev \
libprotobuf-c-dev protobuf-c-compiler libcmocka-dev libpcl1-dev \
libhttp-parser-dev python3 openssl"
fuzz="clang libclang-rt-14-dev"
bench="clang wrk"
interop="curl"

want=""
[ $# -eq 0 ] && set -- build
for g in "$@"; do
  case "$g" in
    build) want="$want $build" ;;
    fuzz) want="$want $build $fuzz" ;;
    bench) want="$want $build $bench" ;;
    interop) want="$want $build $interop" ;;
    *) echo "deps.sh: unknown group '$g'" >&2; exit 2 ;;
  esac
done

missing=""
for p in $want; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
    case " $missing " in *" $p "*) ;; *) missing="$missing $p" ;; esac
  fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" = 0 ]; then
  echo "deps.sh: installing:$missing" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2 || true
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $missing >&2
else
  echo "deps.sh: missing packages; run:" >&2
  echo "  sudo apt-get install -y$missing" >&2
  exit 1
fi
