#!/usr/bin/env bash
# Side-by-side timing of meshrev against other readers of the same snapshot
# (issue 10): generates a deterministic 100k-pod `kubectl get -o json` List
# (examples/gen-cluster.rs), then times on that one file
#   - meshrev `status --format json` (examples/meshrev, release build)
#   - the one-pass floor (examples/floor.rs: read items once, keep names and
#     labels, count)
#   - `jq '.items|length'` and Python's `json.load`, when installed
# printing wall time, CPU time (user + system: what a shared machine's load does
# not inflate), peak RSS (/usr/bin/time -f %M) and ratios; then the same for the
# YAML List form of the cluster at 10k pods.
#
#   benches/compare.sh                 # 100k pods JSON, 10k pods YAML
#   PODS=20000 YAML_PODS=2000 benches/compare.sh   # smaller, quicker
#   RUNS=3 benches/compare.sh          # repeat each measurement (ranges)
#
# Needs /usr/bin/time (Debian package `time`) and bc; jq and python3 are
# optional. The dumps stay under target/compare (DIR): delete them afterwards
# (the 100k-pod JSON is about 0.9 GiB).
set -euo pipefail
cd "$(dirname "$0")/.."

PODS=${PODS:-100000}
YAML_PODS=${YAML_PODS:-10000}
RUNS=${RUNS:-1}
DIR=${DIR:-target/compare}
mkdir -p "$DIR"

[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 1; }

cargo build --release --quiet --example meshrev --example floor --example gen-cluster
bin=${CARGO_TARGET_DIR:-target}/release/examples

json="$DIR/cluster-$PODS.json"
yaml="$DIR/cluster-$YAML_PODS.yaml"
[ -s "$json" ] || "$bin/gen-cluster" --pods "$PODS" --format json >"$json"
[ -s "$yaml" ] || "$bin/gen-cluster" --pods "$YAML_PODS" --format yaml >"$yaml"

size_mib() { echo "scale=1; $(stat -c %s "$1") / 1048576" | bc; }

# measure NAME CMD...: runs CMD $RUNS times, prints wall seconds, CPU seconds
# and peak RSS per run, and remembers the best wall time with its CPU time and
# peak RSS.
declare -A best_s best_cpu best_kib
measure() {
  local name=$1; shift
  for _ in $(seq "$RUNS"); do
    local out s kib user sys cpu
    # -o: the command's own standard error is discarded, time's report is not.
    /usr/bin/time -o "$DIR/time.out" -f '%e %M %U %S' "$@" >/dev/null 2>/dev/null || true
    read -r s kib user sys < <(tail -1 "$DIR/time.out")
    cpu=$(echo "$user + $sys" | bc)
    printf '  %-28s %7.2f s wall %7.2f s CPU %9d KiB\n' "$name" "$s" "$cpu" "$kib"
    if [ -z "${best_s[$name]:-}" ] || (( $(echo "$s < ${best_s[$name]}" | bc) )); then
      best_s[$name]=$s; best_cpu[$name]=$cpu; best_kib[$name]=$kib
    fi
  done
}

ratio() { echo "scale=2; $1 / $2" | bc; }

report() {
  local file=$1 base=$2; shift 2
  local file_kib=$(( $(stat -c %s "$file") / 1024 ))
  echo "  --- best of $RUNS; times relative to '$base', peak RSS relative to the file"
  for name in "$@"; do
    [ -n "${best_s[$name]:-}" ] || continue
    printf '  %-28s %7.2f s x%-6s CPU %7.2f s x%-6s RSS %5d MiB = %s of the file\n' "$name" \
      "${best_s[$name]}" "$(ratio "${best_s[$name]}" "${best_s[$base]}")" \
      "${best_cpu[$name]}" "$(ratio "${best_cpu[$name]}" "${best_cpu[$base]}")" \
      $(( ${best_kib[$name]} / 1024 )) "$(ratio "${best_kib[$name]}" "$file_kib")"
  done
}

echo "== JSON List, $PODS pods: $json ($(size_mib "$json") MiB)"
measure "meshrev status --format json" "$bin/meshrev" status --format json "$json"
measure "floor (one pass)" "$bin/floor" "$json"
if command -v jq >/dev/null; then measure "jq '.items|length'" jq '.items|length' "$json"; fi
if command -v python3 >/dev/null; then
  measure "python3 json.load" python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["items"]))' "$json"
fi
report "$json" "floor (one pass)" "meshrev status --format json" "floor (one pass)" "jq '.items|length'" "python3 json.load"

echo "== YAML List, $YAML_PODS pods: $yaml ($(size_mib "$yaml") MiB)"
measure "meshrev status (YAML)" "$bin/meshrev" status --format json "$yaml"
report "$yaml" "meshrev status (YAML)" "meshrev status (YAML)"
echo "  throughput: $(echo "scale=1; $(size_mib "$yaml") / ${best_s["meshrev status (YAML)"]}" | bc) MiB/s"
