#!/usr/bin/env bash
# Builds every fuzz target once, then runs each for SECONDS (default 60),
# side by side on all cores; exits non-zero when any target crashed (a
# panic, a broken law, a timeout or the memory limit). Crashing inputs are
# kept in fuzz/artifacts/TARGET/, what the fuzzer learnt in fuzz/corpus/
# (both ignored by git; the seeds in fuzz/seeds/ are committed).
#
# Needs the nightly toolchain (`cargo +nightly`) and cargo-fuzz
# (`cargo install cargo-fuzz --locked`). FUZZ_TARGETS="feed url" runs a
# subset; FUZZ_JOBS=1 runs one at a time.
set -euo pipefail
each=${1:-60}
here=$(cd "$(dirname "$0")" && pwd)
# A relative CARGO_TARGET_DIR means the caller's directory, not ours.
target_dir=$(realpath -m "${CARGO_TARGET_DIR:-$here/target}")
export CARGO_TARGET_DIR=$target_dir
cd "$here"
read -r -a targets <<<"${FUZZ_TARGETS:-feed config url}"
jobs=${FUZZ_JOBS:-$(nproc)}

# No sanitizer: the code under test is safe Rust, so what we look for is
# panics, broken assertions, overflows (debug assertions are on), runaway
# memory and time; ASan would double the build and halve the speed. Sixteen
# codegen units instead of cargo-fuzz's one: a much faster build.
build=(--sanitizer none --codegen-units 16)
cargo +nightly fuzz build "${build[@]}"
bin=$target_dir/x86_64-unknown-linux-gnu/release

# Longer inputs only where real ones are long (a feed).
max_len() { case $1 in feed) echo 32768 ;; *) echo 8192 ;; esac; }

run_one() {
    local t=$1
    mkdir -p "corpus/$t" "artifacts/$t"
    "$bin/$t" "corpus/$t" "seeds/$t" \
        -max_total_time="$each" -max_len="$(max_len "$t")" \
        -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="artifacts/$t/" >"logs/$t.log" 2>&1
}

# Targets dealt round-robin into one lane per job; each lane runs its
# targets one after another and leaves each one's exit status in a file.
rm -rf logs && mkdir -p logs
for ((lane = 0; lane < jobs; lane++)); do
    (
        for ((i = lane; i < ${#targets[@]}; i += jobs)); do
            t=${targets[$i]}
            if run_one "$t"; then echo 0 >"logs/$t.status"; else echo $? >"logs/$t.status"; fi
        done
    ) &
done
wait

failed=0
for t in "${targets[@]}"; do
    if [ "$(cat "logs/$t.status")" = 0 ]; then verdict=ok; else verdict=CRASHED; failed=1; fi
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "logs/$t.log" | tail -n1)
    printf '%-10s %-8s %s s, %s executions\n' "$t" "$verdict" "$each" "${execs:-?}"
    if [ "$verdict" = CRASHED ]; then
        grep -m1 -A12 -E "panicked|ERROR: libFuzzer|SUMMARY" "logs/$t.log" >&2 || tail -n 20 "logs/$t.log" >&2
        ls "artifacts/$t" >&2
    fi
done
exit "$failed"
