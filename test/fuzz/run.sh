#!/usr/bin/env bash
# test/fuzz/run.sh - builds the libFuzzer targets of libdkr's parsers with
# clang (ASan + UBSan) straight from the sources, outside the tree, and runs
# each on a copy of its seed corpus.
#
#   test/fuzz/run.sh [--seconds N] [--build-dir DIR] [--jobs N] [target...]
#
# --seconds N     per target (default 30)
# --build-dir DIR objects, binaries, corpus copies, logs and crash inputs
#                 (default ${TMPDIR:-/tmp}/ompi-docker-fuzz); never the tree
# --jobs N        targets fuzzed at the same time (default 1)
# target...       e.g. fuzz_json fuzz_demux (default: every test/fuzz/fuzz_*.c)
#
# Prints "fuzz <target>: <runs> runs in <secs> s, <cov> cov, <n> crashes"
# per target and "N passed, N failed" (failed: a build failure or a crash,
# leak, timeout or OOM found); exits 1 when anything failed, 2 when clang or
# its libFuzzer is missing.  Crash inputs stay in <build-dir>/run/<target>/.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
seconds=30
build="${TMPDIR:-/tmp}/ompi-docker-fuzz"
jobs=1
targets=()

usage() { sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
    case "$1" in
    --seconds) seconds=${2:?--seconds needs a number}; shift 2 ;;
    --seconds=*) seconds=${1#*=}; shift ;;
    --build-dir) build=${2:?--build-dir needs a directory}; shift 2 ;;
    --build-dir=*) build=${1#*=}; shift ;;
    --jobs) jobs=${2:?--jobs needs a number}; shift 2 ;;
    --jobs=*) jobs=${1#*=}; shift ;;
    -h|--help) usage; exit 0 ;;
    -*) echo "run.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
    esac
done
[[ $seconds =~ ^[0-9]+$ ]] && [ "$seconds" -gt 0 ] || { echo "run.sh: bad --seconds '$seconds'" >&2; exit 2; }
[[ $jobs =~ ^[0-9]+$ ]] && [ "$jobs" -gt 0 ] || { echo "run.sh: bad --jobs '$jobs'" >&2; exit 2; }
case "$(cd "$(dirname "$build")" 2>/dev/null && pwd)/" in
"$top"/*) echo "run.sh: the build dir must be outside the source tree ($build)" >&2; exit 2 ;;
esac

CC=${FUZZ_CC:-clang}
if ! command -v "$CC" >/dev/null 2>&1; then
    echo "run.sh: $CC not found: the fuzz targets need clang with libFuzzer (apt-get install clang)" >&2
    exit 2
fi
if [ ${#targets[@]} -eq 0 ]; then
    for f in "$here"/fuzz_*.c; do
        targets+=("$(basename "$f" .c)")
    done
fi
for t in "${targets[@]}"; do
    [ -f "$here/$t.c" ] || { echo "run.sh: no target $t (test/fuzz/$t.c)" >&2; exit 2; }
done

mkdir -p "$build/obj" "$build/bin" "$build/run" || exit 2
build=$(cd "$build" && pwd)

# A trivial fuzzer must link: clang without compiler-rt's libFuzzer cannot.
printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n){(void)d;(void)n;return 0;}\n' \
    >"$build/probe.c"
if ! "$CC" -fsanitize=fuzzer,address,undefined -o "$build/probe" "$build/probe.c" >"$build/probe.log" 2>&1; then
    echo "run.sh: $CC cannot build a libFuzzer target (see $build/probe.log)" >&2
    exit 2
fi

if ! deps_cflags=$(pkg-config --cflags libcurl json-c libevent 2>"$build/pkg-config.log") ||
   ! deps_libs=$(pkg-config --libs libcurl json-c libevent 2>>"$build/pkg-config.log"); then
    echo "run.sh: pkg-config does not find libcurl, json-c and libevent (see $build/pkg-config.log)" >&2
    exit 2
fi
# shellcheck disable=SC2206
cflags=(-g -O1 -fno-omit-frame-pointer -fno-sanitize-recover=undefined
        -I"$top/src/docker" -I"$top/src/launch" $deps_cflags)
san_obj=(-fsanitize=fuzzer-no-link,address,undefined)
san_bin=(-fsanitize=fuzzer,address,undefined)

passed=0
failed=0

# ---------------------------------------------------------------- build
# Every library source once, then each target with all of them except the
# sources it #includes itself (to reach static functions).
srcs=("$top"/src/docker/dkr_*.c "$top"/src/launch/dkr_*.c)
ncpu=$(nproc 2>/dev/null || echo 2)
objfail=0
pids=()
for s in "${srcs[@]}"; do
    o="$build/obj/$(basename "$s" .c).o"
    if [ ! -f "$o" ] || [ "$s" -nt "$o" ] || [ "$top/src/docker/dkr.h" -nt "$o" ] ||
       [ "$top/src/docker/dkr_private.h" -nt "$o" ] || [ "$0" -nt "$o" ]; then
        "$CC" "${cflags[@]}" "${san_obj[@]}" -c "$s" -o "$o" >"$o.log" 2>&1 || { rm -f "$o"; } &
        pids+=($!)
        if [ ${#pids[@]} -ge "$ncpu" ]; then
            wait "${pids[0]}"
            pids=("${pids[@]:1}")
        fi
    fi
done
wait
for s in "${srcs[@]}"; do
    o="$build/obj/$(basename "$s" .c).o"
    if [ ! -f "$o" ]; then
        echo "run.sh: compiling $(basename "$s") failed:" >&2
        sed 's/^/    /' "$o.log" >&2
        objfail=1
    fi
done

built=()
for t in "${targets[@]}"; do
    src="$here/$t.c"
    bin="$build/bin/$t"
    included=$(sed -n 's/^#include "\(dkr_[a-z_]*\.c\)".*/\1/p' "$src")
    objs=()
    for s in "${srcs[@]}"; do
        b=$(basename "$s")
        grep -qx "$b" <<<"$included" && continue
        objs+=("$build/obj/${b%.c}.o")
    done
    # shellcheck disable=SC2086
    if [ "$objfail" -eq 0 ] &&
       "$CC" "${cflags[@]}" "${san_bin[@]}" -Wall -Wextra -o "$bin" "$src" "${objs[@]}" \
           $deps_libs >"$build/bin/$t.log" 2>&1; then
        built+=("$t")
    else
        echo "fuzz $t: build failed"
        [ -s "$build/bin/$t.log" ] && sed 's/^/    /' "$build/bin/$t.log" | tail -n 30
        failed=$((failed + 1))
    fi
done

# ------------------------------------------------------------------ run
# The engine-related environment must not leak in: fixed, file-less settings.
fuzz_one() {
    local t=$1 dir="$build/run/$1" t0=$SECONDS
    rm -rf "$dir"
    mkdir -p "$dir/corpus" "$dir/artifacts"
    if [ -d "$here/corpus/$t" ]; then
        cp -pR "$here/corpus/$t"/. "$dir/corpus/"
    fi
    (
        cd "$dir" || exit 1
        env -u DOCKER_HOST -u DOCKER_TLS_VERIFY -u DOCKER_TLS -u DOCKER_CERT_PATH -u DOCKER_CONFIG \
            HOME="$dir/nonexistent-home" \
            ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:symbolize=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}" \
            UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}" \
            "$build/bin/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
            -print_final_stats=1 -artifact_prefix="$dir/artifacts/" "$dir/corpus"
    ) >"$dir/fuzz.log" 2>&1
    echo $? >"$dir/rc"
    echo $((SECONDS - t0)) >"$dir/secs"
}

report_one() {
    local t=$1 dir="$build/run/$1" rc runs secs cov crashes done_line
    rc=$(cat "$dir/rc" 2>/dev/null || echo 1)
    done_line=$(grep -a -E '^Done [0-9]+ runs in [0-9]+ second' "$dir/fuzz.log" | tail -n 1)
    runs=$(grep -a -o -E 'stat::number_of_executed_units: [0-9]+' "$dir/fuzz.log" | tail -n 1 | grep -o -E '[0-9]+$')
    [ -n "$runs" ] || runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' <<<"$done_line")
    secs=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' <<<"$done_line")
    [ -n "$secs" ] || secs=$(cat "$dir/secs" 2>/dev/null)   # stopped early: wall time
    cov=$(grep -a -o -E 'cov: [0-9]+' "$dir/fuzz.log" | tail -n 1 | grep -o -E '[0-9]+$')
    crashes=$(find "$dir/artifacts" -type f | wc -l)
    if [ "$rc" -ne 0 ] && [ "$crashes" -eq 0 ]; then
        crashes=1   # died without leaving an input (e.g. in start-up)
    fi
    echo "fuzz $t: ${runs:-0} runs in ${secs:-0} s, ${cov:-0} cov, $crashes crashes"
    if [ "$rc" -ne 0 ] || [ "$crashes" -ne 0 ]; then
        echo "    exit status $rc; log $dir/fuzz.log; inputs:"
        find "$dir/artifacts" -type f | sed 's/^/      /'
        grep -a -E 'ERROR: |runtime error|SUMMARY' "$dir/fuzz.log" | head -n 5 | sed 's/^/    /'
        failed=$((failed + 1))
    else
        passed=$((passed + 1))
    fi
}

queue=()
for t in "${built[@]}"; do
    fuzz_one "$t" &
    queue+=("$!:$t")
    if [ ${#queue[@]} -ge "$jobs" ]; then
        wait "${queue[0]%%:*}"
        report_one "${queue[0]#*:}"
        queue=("${queue[@]:1}")
    fi
done
for q in "${queue[@]}"; do
    wait "${q%%:*}"
    report_one "${q#*:}"
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
