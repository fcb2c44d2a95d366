#!/usr/bin/env bash
# Builds the libFuzzer targets (the data plane's connections, and the JSON the gateway reads) and
# runs each for SECONDS on a temporary copy of its checked-in corpus (libFuzzer adds what it finds
# to that copy, never to Fuzz/corpus). Prints libFuzzer's final stats for each target; exits 1 when
# a target found something. Crash, timeout and out-of-memory inputs are kept in
# .build-fuzz/findings/ (see docs/developer-guide/testing.md).
#
#   Fuzz/run.sh [SECONDS] [client|upstream|json ...] (default: 60 s, every target, one after the other)
#   ORCH_FUZZ_KEEP_CORPUS=DIR Fuzz/run.sh ...       keeps each grown corpus in DIR/<target>
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(client upstream json)

build_flags=(-c release --scratch-path .build-fuzz
    -Xswiftc -sanitize=fuzzer -Xswiftc -parse-as-library -Xcc -fsanitize=fuzzer-no-link)
for target in "${targets[@]}"; do
    ORCH_FUZZ=1 swift build "${build_flags[@]}" --product "orch-fuzz-$target"
done
bin=$(ORCH_FUZZ=1 swift build "${build_flags[@]}" --show-bin-path)

work=$(mktemp -d /tmp/orch-fuzz-XXXXXX)
trap 'rm -rf "$work"' EXIT
findings=.build-fuzz/findings
mkdir -p "$findings"

failed=0
for target in "${targets[@]}"; do
    corpus="$work/$target/corpus"
    artifacts="$work/$target/artifacts"
    mkdir -p "$corpus" "$artifacts"
    cp Fuzz/corpus/"$target"/* "$corpus"/
    echo "== orch-fuzz-$target: $seconds s from $(ls "$corpus" | wc -l) seed inputs"
    status=0
    # libFuzzer, not the Swift runtime's backtracer, must catch a crash: it writes the input.
    SWIFT_BACKTRACE=enable=no "$bin/orch-fuzz-$target" "$corpus" -max_total_time="$seconds" -max_len=4096 -timeout=10 \
        -rss_limit_mb=2048 -malloc_limit_mb=512 -print_final_stats=1 -artifact_prefix="$artifacts/" \
        > "$work/$target/log" 2>&1 || status=$?
    # The last progress line (executions, coverage, corpus, exec/s) and the final stats.
    grep -E '^#[0-9]+' "$work/$target/log" | tail -1 || true
    grep -E '^stat::' "$work/$target/log" || true
    echo "corpus: $(ls "$corpus" | wc -l) inputs"
    if [ -n "${ORCH_FUZZ_KEEP_CORPUS:-}" ]; then
        mkdir -p "$ORCH_FUZZ_KEEP_CORPUS/$target"
        cp "$corpus"/* "$ORCH_FUZZ_KEEP_CORPUS/$target"/
    fi
    found=$(ls "$artifacts")
    if [ "$status" -ne 0 ] || [ -n "$found" ]; then
        failed=1
        echo "orch-fuzz-$target found something (exit status $status):" >&2
        grep -E -A25 'invariant broken|Fatal error|==ERROR|deadly signal|out-of-memory|timeout after' \
            "$work/$target/log" | head -60 >&2 || tail -40 "$work/$target/log" >&2
        for file in $found; do
            cp "$artifacts/$file" "$findings/$target-$file"
            echo "input kept in $findings/$target-$file (base64 below); reproduce with:" >&2
            echo "  $bin/orch-fuzz-$target $findings/$target-$file" >&2
            base64 -w0 "$artifacts/$file" >&2
            echo >&2
        done
    fi
done
exit "$failed"
