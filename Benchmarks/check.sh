#!/usr/bin/env bash
# The data plane's request-path benchmarks (Benchmarks/ProxyPath, on ordo-one's benchmark package):
# builds them in release into .build-bench and checks each benchmark's heap allocation count (p90)
# against the value recorded in Benchmarks/Thresholds. More than 10 % above fails; more than 10 %
# below passes and asks for a re-recording. See docs/developer-guide/benchmarks.md.
#
#   Benchmarks/check.sh               check against the recorded thresholds (what CI runs)
#   Benchmarks/check.sh --update      re-record every threshold from a fresh run (then commit them)
#   Benchmarks/check.sh --run [ARG…]  print every metric (wall clock too); ARGs go to the package's
#                                     plugin, e.g. --filter GET-1KiB
set -euo pipefail
cd "$(dirname "$0")/.."

thresholds=Benchmarks/Thresholds
target=ProxyPathBenchmarks
# The gated metrics: keep in step with ProxyPathBenchmarkSettings.gated.
gated=(--metric mallocCountTotal)
swiftpm=(env ORCH_BENCHMARKS=1 swift package --scratch-path .build-bench)

mode=${1:---check}
shift || true
case "$mode" in
    --check | --update) [ $# -eq 0 ] || { echo "usage: $0 [--update | --run [ARG…]]" >&2; exit 2; } ;;
    --run) exec "${swiftpm[@]}" benchmark --target "$target" "$@" ;;
    *) echo "usage: $0 [--update | --run [ARG…]]" >&2; exit 2 ;;
esac

# `thresholds check` reads <target>.<name>.p90.json as the name is spelled, while `thresholds
# update` writes spaces and slashes as underscores: names must have neither.
names=$(grep -ho 'Benchmark("[^"]*"' Benchmarks/ProxyPath/*.swift | sed 's/^Benchmark("//; s/"$//' | sort)
if grep -v -E '^[A-Za-z0-9._-]+$' <<<"$names"; then
    echo "benchmark names (above) must be letters, digits, '.', '_' or '-'" >&2
    exit 1
fi

# The package checks only the benchmarks that have a file and ignores files without a benchmark:
# both must match, so that no benchmark goes unchecked.
thresholds_match() {
    local recorded missing stale
    recorded=$(find "$thresholds" -name "$target.*.p90.json" 2>/dev/null \
        | sed "s|^$thresholds/$target\.||; s|\.p90\.json$||" | sort)
    missing=$(comm -23 <(echo "$names") <(echo "$recorded"))
    stale=$(comm -13 <(echo "$names") <(echo "$recorded"))
    [ -z "$missing" ] || echo "no recorded threshold for: $missing" >&2
    [ -z "$stale" ] || echo "thresholds recorded for no benchmark: $stale" >&2
    [ -z "$missing$stale" ]
}

log=$(mktemp /tmp/orch-bench-XXXXXX)
trap 'rm -f "$log" "$log.err"' EXIT

# Runs the plugin with the log in $log; prints what the run says (or the build's end, when it did
# not get that far); returns the plugin's exit status, or 3 when a benchmark crashed or threw: the
# package reports that but does not always fail for it (a threshold check can still say EQUAL).
run_plugin() {
    local status=0
    "${swiftpm[@]}" "$@" --no-progress > "$log" 2> "$log.err" || status=$?
    if grep -q '^Running Benchmarks' "$log"; then
        sed -n '/^Running Benchmarks/,$p' "$log"
        grep '^error:' "$log.err" >&2 || true
    else
        tail -60 "$log"
        tail -30 "$log.err" >&2
    fi
    if cat "$log" "$log.err" | grep -E "^Benchmark .* failed with |^Failed to run '|benchmark job\(s\) failed" > /dev/null
    then
        echo "a benchmark failed to run (above)" >&2
        return 3
    fi
    return "$status"
}

if [ "$mode" = --update ]; then
    rm -f "$thresholds/$target".*.p90.json
    run_plugin --allow-writing-to-package-directory benchmark thresholds update --target "$target" \
        --path "$thresholds" "${gated[@]}"
    thresholds_match
    for file in "$thresholds/$target".*.p90.json; do
        chmod 644 "$file"
        [ -z "$(tail -c1 "$file")" ] || echo >> "$file"
    done
    echo "recorded (p90 per iteration):"
    grep -H '"' "$thresholds/$target".*.p90.json \
        | sed -E "s|^$thresholds/$target\.||; s|\.p90\.json: *\"([A-Za-z]+)\" *: *| \1 |"
    exit 0
fi

thresholds_match
status=0
run_plugin benchmark thresholds check --target "$target" --path "$thresholds" || status=$?
[ "$status" -eq 0 ] && exit 0
# `swift package` exits 1 for any error the plugin throws; the tool's own status (2 regression,
# 4 improvement only) survives only as the error's name.
if [ "$status" -eq 1 ] && grep -q '^error: benchmarkThresholdImprovement' "$log.err" \
    && ! grep -q 'benchmarkThresholdRegression' "$log.err"; then
    echo "fewer allocations than recorded: re-record with Benchmarks/check.sh --update and commit the thresholds"
    exit 0
fi
echo "request-path benchmark check failed (above); if the change is intended, re-record with Benchmarks/check.sh --update" >&2
exit 1
