#!/bin/sh
# Builds rust-hop (the Rust peer of cotel-hop, interop check 4) into
# $INTEROP_CACHE/rust-hop-<hash>/rust-hop, the hash over Cargo.lock,
# Cargo.toml, the sources and the toolchain: a warm run does not rebuild.
# CARGO_TARGET_DIR is in the cache too, so a source change recompiles only
# this crate. Also points $INTEROP_CACHE/bin/rust-hop at it, and prints its
# path. POSIX sh: run.sh runs every build.sh with sh.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
INTEROP_ROOT=${INTEROP_ROOT:-$(dirname "$here")}
. "$INTEROP_ROOT/lib.sh"
interop_env
[ -d "$HOME/.cargo/bin" ] && PATH=$PATH:$HOME/.cargo/bin
key=$(cd "$here" && { cat Cargo.lock Cargo.toml src/*.rs; rustc --version; } | sha256sum | cut -c1-16)
dir=$INTEROP_CACHE/rust-hop-$key
out=$dir/rust-hop
if [ -x "$out" ]; then
  echo "rust-hop: cached ($dir)" >&2
else
  start=$(date +%s)
  CARGO_TARGET_DIR=$INTEROP_CACHE/rust-target
  export CARGO_TARGET_DIR
  (cd "$here" && cargo build --release --locked -j "${INTEROP_JOBS:-2}" --quiet)
  mkdir -p "$dir"
  cp "$CARGO_TARGET_DIR/release/rust-hop" "$out.tmp"
  mv "$out.tmp" "$out"
  for d in "$INTEROP_CACHE"/rust-hop-*; do
    [ "$d" = "$dir" ] || rm -rf "$d"
  done
  echo "rust-hop: built in $(($(date +%s) - start)) s" >&2
fi
mkdir -p "$INTEROP_CACHE/bin"
ln -sfn "$out" "$INTEROP_CACHE/bin/rust-hop"
echo "$out"
