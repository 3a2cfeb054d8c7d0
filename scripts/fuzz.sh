#!/bin/sh
# Run every fuzz target in BUILD/bin; print executions.
#   scripts/fuzz.sh BUILD SECONDS        each target for SECONDS (CI smoke)
#   scripts/fuzz.sh BUILD SECONDS RUNS   each target for RUNS executions (the
#                                        long run: make fuzz, 1M), SECONDS
#                                        bounding it
set -eu
build=${1:-build-fuzz}
secs=${2:-60}
runs=${3:-}
src=$(cd "$(dirname "$0")/.." && pwd)
rc=0
for f in "$build"/bin/fuzz_*; do
  [ -x "$f" ] || continue
  name=$(basename "$f")
  corpus="$build/corpus/$name"
  mkdir -p "$corpus"
  seeds="$src/tests/fuzz/seeds/${name#fuzz_}"
  [ -d "$seeds" ] || seeds=""
  log="$build/$name.log"
  if "$f" -max_total_time="$secs" ${runs:+-runs="$runs"} -rss_limit_mb=1024 -malloc_limit_mb=256 \
      -print_final_stats=1 "$corpus" $seeds >"$log" 2>&1; then
    execs=$(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}')
    echo "fuzz: $name ok, ${execs:-?} executions"
    if [ -n "$runs" ] && [ "${execs:-0}" -lt "$runs" ]; then
      echo "fuzz: $name reached only ${execs:-0} of $runs executions in ${secs}s"
      rc=1
    fi
  else
    echo "fuzz: $name FAILED (see $log)"; tail -40 "$log"; rc=1
  fi
done
exit $rc
