#!/bin/sh
# Python venv for tests that need packages from PyPI (grpcio for the gRPC
# fault receiver, tests/grpc_receiver.py). Usage: pyenv.sh [DIR]; DIR
# defaults to build/pyenv under the source tree. Idempotent and fast when
# already installed: a stamp file records the requirement list, and pip runs
# only when it changed. Prints the venv's python path on success.
set -eu
here=$(cd "$(dirname "$0")/../.." && pwd)
dir=${1:-$here/build/pyenv}
reqs="grpcio==1.76.0"
stamp="$dir/.cotel-reqs"
if [ -x "$dir/bin/python3" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$reqs" ]; then
  echo "$dir/bin/python3"
  exit 0
fi
# One installer at a time (ctest runs tests in parallel).
mkdir -p "$(dirname "$dir")"
exec 9>"$dir.lock"
flock 9
if [ -x "$dir/bin/python3" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$reqs" ]; then
  echo "$dir/bin/python3"
  exit 0
fi
python3 -m venv "$dir" >&2
"$dir/bin/python3" -m pip install --disable-pip-version-check -q $reqs >&2
echo "$reqs" >"$stamp"
echo "$dir/bin/python3"
