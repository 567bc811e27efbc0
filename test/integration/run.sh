#!/bin/bash
# shellcheck disable=SC2119,SC2120  # helpers with optional arguments
# run.sh [TEST_FILE...]: runs the integration test files (default: every
# test_*.sh here, the rig's test_rig*.sh first) and ends with one line
# "N passed, N failed" over all of them. Exit status non-zero if any failed.
#
# Starts a dockerd if none answers (and stops it at the end); builds or finds
# the test images once. Environment: see lib.sh (IT_ONLY, IT_KEEP, ...).
#
# IT_RUNTIME=prrte: the same against Open MPI 5 (lib.sh); the trixie images
# and the launcher image are built or found once here. A file that says
# "# IT_RUNTIMES: orte" (or prrte) near its top runs only for those
# runtimes; one that says nothing runs for both.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/lib/dockerd.sh
. "$HERE/../../scripts/lib/dockerd.sh"
# shellcheck source=scripts/lib/image.sh
. "$HERE/../../scripts/lib/image.sh"
# shellcheck source=scripts/lib/prrte.sh
. "$HERE/../../scripts/lib/prrte.sh"

runtime=${IT_RUNTIME:-orte}
# for_runtime FILE: does FILE run for this runtime?
for_runtime() {
    local rts
    rts=$(sed -n '1,15s/^# IT_RUNTIMES: *//p' "$1" | head -n 1)
    [ -z "$rts" ] || [[ " $rts " == *" $runtime "* ]]
}

if [ $# -gt 0 ]; then
    files=("$@")
else
    files=()
    for f in "$HERE"/test_rig*.sh; do
        [ -f "$f" ] && for_runtime "$f" && files+=("$f")
    done
    for f in "$HERE"/test_*.sh; do
        case $f in "$HERE"/test_rig*.sh) continue ;; esac
        for_runtime "$f" && files+=("$f")
    done
fi

export OD_SESSION=${OD_SESSION:-run-$$-$(date +%s)}
trap 'dkr_remove_labelled "ompi-docker.session=$OD_SESSION"; dkr_stop_dockerd_if_started' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
dkr_ensure_dockerd
if [ "$runtime" = prrte ]; then
    trx_ensure_images >/dev/null || { echo "0 passed, 1 failed"; exit 1; }
    if [ -z "${IT_PRRTE_LAUNCHER_IMAGE:-}" ]; then
        IT_PRRTE_LAUNCHER_IMAGE=$(prrte_launcher_image) || { echo "0 passed, 1 failed"; exit 1; }
    fi
    export IT_RUNTIME IT_PRRTE_LAUNCHER_IMAGE
    echo "===== Open MPI 5 (PRRTE): nodes $(trx_ensure_images), launcher $IT_PRRTE_LAUNCHER_IMAGE"
else
    img_ensure_images >/dev/null || { echo "0 passed, 1 failed"; exit 1; }
fi

passed=0
failed=0
t0=$(od_now)
for f in "${files[@]}"; do
    name=$(basename "$f")
    echo "===== $name"
    log=$(mktemp "${TMPDIR:-/tmp}/ompi-docker-run.XXXXXX")
    bash "$f" 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    line=$(grep -a -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
    rm -f "$log"
    if [[ $line =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed ]]; then
        passed=$((passed + BASH_REMATCH[1]))
        failed=$((failed + BASH_REMATCH[2]))
        if [ "$rc" -ne 0 ] && [ "${BASH_REMATCH[2]}" -eq 0 ]; then
            echo "$name: exit status $rc although no case failed"
            failed=$((failed + 1))
        fi
    else
        echo "$name: ended (status $rc) without a summary line"
        failed=$((failed + 1))
    fi
done
echo "===== integration: $(od_elapsed "$t0") s"
printf '%s passed, %s failed\n' "$passed" "$failed"
[ "$failed" -eq 0 ]
