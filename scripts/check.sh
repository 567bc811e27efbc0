#!/bin/bash
# shellcheck disable=SC2119,SC2120  # helpers with optional arguments
# The project's test command. On a fresh Debian 12 machine, as root:
#   installs what is missing (apt-get), makes sure a Docker engine runs
#   (starts dockerd if none answers, and stops it again at the end), builds
#   or finds the test images (cached), builds and installs the project, runs
#   the unit tests (make check, cmocka), a short fuzzing round of the
#   parsers (test/fuzz/run.sh) and the integration tests
#   (test/integration/run.sh), the multi-node tests on a Swarm of
#   Docker-in-Docker nodes (test/cluster) and the jobs inside a private
#   single-machine Slurm (test/slurm), and ends
#   with "N passed, N failed" over all of them.
#   Exit status non-zero if anything failed. The images stay cached.
#
# Then the same for Open MPI 5 (PRRTE), in Debian trixie containers (Open
# MPI 5 never touches the host): the trixie images (scripts/lib/trixie.sh,
# cached), the project built, installed and unit-tested in a container of
# the build image, committed as the launcher image (scripts/lib/prrte.sh,
# cached by the tree's content), and the integration tests again with
# IT_RUNTIME=prrte; all counted in the same final line.
#
# Then the Debian package (test/pkg/test_deb.sh): built, installed into a
# clean container, a job run from it.
#
# Environment: OMPI_DOCKER_BUILD_DIR (default _build/), OD_MAKE_JOBS (2),
# OD_PRRTE=0 (skip the Open MPI 5 part), OD_PKG=0 (skip the package), and those of
# test/integration/lib.sh (IT_ONLY, IT_KEEP, ...).
set -uo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP" || exit 1
. scripts/lib/deps.sh
. scripts/lib/dockerd.sh
. scripts/lib/image.sh
. scripts/lib/build.sh
. scripts/lib/prrte.sh

[ "$(id -u)" -eq 0 ] || od_die "run as root (apt-get, dockerd, make install, mount namespaces)"

passed=0
failed=0
failures=()
t_start=$(od_now)

# The test files remove their own containers and networks; this catches
# what an interrupted one left (all carry ompi-docker.session=$OD_SESSION).
OD_SESSION=check-$$-$(date +%s)
export OD_SESSION
cleanup() {
    local s
    # a multi-node rig a killed test left (its swarm state carries no label)
    for s in "${TMPDIR:-/tmp}"/ompi-docker-cluster."$OD_SESSION".*/state; do
        [ -f "$s" ] && CL_DIR=${s%/state} test/cluster/rig.sh down
    done
    dkr_remove_labelled "ompi-docker.session=$OD_SESSION"
    dkr_stop_dockerd_if_started
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

t0=$(od_now)
od_install_deps
od_log "dependencies: $(od_elapsed "$t0") s"

dkr_ensure_dockerd

t0=$(od_now)
if image=$(img_ensure_images); then
    od_log "test image $image ($(od_elapsed "$t0") s)"
else
    failures+=("test images")
    failed=$((failed + 1))
fi

# Build, install, unit tests.
if od_build_install; then
    t0=$(od_now)
    od_log "make check"
    make -C "$OD_BUILD_DIR" check
    check_rc=$?
    od_log "make check: $(od_elapsed "$t0") s"
    # cmocka's own lines, from each test program's log.
    unit_pass=0
    unit_fail=0
    while IFS= read -r log; do
        [ "$(basename "$log")" = test-suite.log ] && continue
        echo "----- ${log#"$OD_BUILD_DIR"/}"
        cat "$log"
        n=$(sed -n 's/^\[  PASSED  \] \([0-9][0-9]*\) test(s)\..*/\1/p' "$log" | awk '{ s += $1 } END { print s + 0 }')
        m=$(sed -n 's/^\[  FAILED  \] \([^ ]*: \)\{0,1\}\([0-9][0-9]*\) test(s), listed below:.*/\2/p' "$log" | awk '{ s += $1 } END { print s + 0 }')
        unit_pass=$((unit_pass + n))
        unit_fail=$((unit_fail + m))
    done < <(find "$OD_BUILD_DIR/test/unit" -name '*.log' 2>/dev/null | sort)
    echo "unit tests (cmocka): $unit_pass passed, $unit_fail failed" | sed 's/ passed, / ok, /'
    passed=$((passed + unit_pass))
    failed=$((failed + unit_fail))
    # The same unit tests under valgrind (one result per test program).
    t0=$(od_now)
    vlog=$(mktemp "${TMPDIR:-/tmp}/ompi-docker-valgrind.XXXXXX")
    make -C "$OD_BUILD_DIR" -s check-valgrind 2>&1 | tee "$vlog"
    v_ok=$(grep -c '^VALGRIND OK' "$vlog")
    v_fail=$(grep -c '^VALGRIND FAIL' "$vlog")
    rm -f "$vlog"
    od_log "valgrind: $v_ok clean, $v_fail failed ($(od_elapsed "$t0") s)"
    passed=$((passed + v_ok))
    failed=$((failed + v_fail))
    [ "$v_fail" -eq 0 ] || failures+=("$v_fail unit tests under valgrind")
    if [ "$check_rc" -ne 0 ] && [ "$unit_fail" -eq 0 ]; then
        failures+=("make check (status $check_rc)")
        failed=$((failed + 1))
    elif [ "$unit_fail" -gt 0 ]; then
        failures+=("$unit_fail unit tests")
    fi
else
    failures+=("build: $OD_BUILD_FAILED")
    failed=$((failed + 1))
fi

# A short fuzzing round of the parsers (test/fuzz/README.md): each target's
# pass or failure counts, a missing clang is one failure.
t0=$(od_now)
fuzz_dir=$(mktemp -d "${TMPDIR:-/tmp}/ompi-docker-fuzz.XXXXXX")
flog="$fuzz_dir/run.log"
test/fuzz/run.sh --seconds 20 --jobs 2 --build-dir "$fuzz_dir/build" 2>&1 | tee "$flog"
frc=${PIPESTATUS[0]}
line=$(grep -a -E '^[0-9]+ passed, [0-9]+ failed' "$flog" | tail -n 1)
if [[ $line =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed ]] && [ "$frc" -ne 2 ]; then
    passed=$((passed + BASH_REMATCH[1]))
    failed=$((failed + BASH_REMATCH[2]))
    [ "${BASH_REMATCH[2]}" -eq 0 ] || failures+=("${BASH_REMATCH[2]} fuzz targets (logs in $fuzz_dir)")
else
    failures+=("fuzz targets (status $frc)")
    failed=$((failed + 1))
fi
[ "$frc" -ne 0 ] || rm -rf "$fuzz_dir"
od_log "fuzz: $(od_elapsed "$t0") s"

# The parameter reference must say what the installed components register.
if scripts/params-doc.sh --check; then
    echo "PASS docs/mca-params.md matches ompi_info"
    passed=$((passed + 1))
else
    failures+=("docs/mca-params.md out of date")
    failed=$((failed + 1))
fi

# integration WHAT [VAR=VALUE...] [-- FILE...]: test/integration/run.sh
# (of FILEs, else of every integration test) with the variables set, its
# "N passed, N failed" added to the counts.
integration() {
    local what=$1 ilog irc line vars=()
    shift
    while [ $# -gt 0 ] && [ "$1" != -- ]; do vars+=("$1"); shift; done
    [ "${1:-}" = -- ] && shift
    ilog=$(mktemp "${TMPDIR:-/tmp}/ompi-docker-check.XXXXXX")
    env "${vars[@]}" test/integration/run.sh "$@" 2>&1 | tee "$ilog"
    irc=${PIPESTATUS[0]}
    line=$(grep -a -E '^[0-9]+ passed, [0-9]+ failed' "$ilog" | tail -n 1)
    rm -f "$ilog"
    if [[ $line =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed ]]; then
        passed=$((passed + BASH_REMATCH[1]))
        failed=$((failed + BASH_REMATCH[2]))
        [ "${BASH_REMATCH[2]}" -eq 0 ] || failures+=("${BASH_REMATCH[2]} $what")
    else
        failures+=("$what (status $irc, no summary)")
        failed=$((failed + 1))
    fi
}

# Integration tests (they report their own failures even without the build).
export FAKE_ENDPOINT="${OD_BUILD_DIR:-$TOP}/test/apps/fake_endpoint"
integration "integration tests"
# Faults during jobs (test/faults/faults.sh: one line of figures per case).
integration "fault tests" -- test/faults/faults.sh

# The Debian package: dpkg-buildpackage, lintian, installed with dpkg into a
# clean container of the base image, ompi_info and jobs run from it
# (test/pkg/test_deb.sh, about 70 s). OD_PKG=0 skips it.
if [ "${OD_PKG:-1}" != 0 ]; then
    t0=$(od_now)
    plog=$(mktemp "${TMPDIR:-/tmp}/ompi-docker-pkg.XXXXXX")
    PKG_BASE_IMAGE="ompi-docker-base:$(img_base_hash)" PKG_TEST_IMAGE="${image:-ompi-docker-test:latest}" \
        test/pkg/test_deb.sh 2>&1 | tee "$plog"
    prc=${PIPESTATUS[0]}
    line=$(grep -a -E '^[0-9]+ passed, [0-9]+ failed' "$plog" | tail -n 1)
    rm -f "$plog"
    if [[ $line =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed ]]; then
        passed=$((passed + BASH_REMATCH[1]))
        failed=$((failed + BASH_REMATCH[2]))
        [ "${BASH_REMATCH[2]}" -eq 0 ] || failures+=("${BASH_REMATCH[2]} Debian package checks")
    else
        failures+=("Debian package test (status $prc, no summary)")
        failed=$((failed + 1))
    fi
    od_log "Debian package: $(od_elapsed "$t0") s"
fi

# Multi-node (Open MPI 4): a Swarm of the host and 3 Docker-in-Docker nodes
# with TLS engines (test/cluster/rig.sh, taken down by each test file, and
# by cleanup above after a kill), and jobs across its nodes.
t0=$(od_now)
integration "cluster tests" -- test/cluster/test_rig_cluster.sh test/cluster/test_swarm.sh
od_log "cluster tests: $(od_elapsed "$t0") s"

# Inside a Slurm allocation (Open MPI 4): a private single-machine Slurm
# (munged, slurmctld, a slurmd per node), salloc/sbatch jobs with job-owned
# containers on Slurm's nodes (test/slurm/test_slurm.sh, about 20 s; the
# packages are among the dependencies, their own services are not used: on
# a machine whose init starts them, the test's private daemons still use
# their own ports, key and socket).
t0=$(od_now)
integration "Slurm tests" -- test/slurm/test_slurm.sh
od_log "Slurm tests: $(od_elapsed "$t0") s"

# Open MPI 5 (PRRTE): build + unit tests in a trixie container, then the
# integration tests with mpirun in the launcher container.
if [ "${OD_PRRTE:-1}" != 0 ]; then
    t_prrte=$(od_now)
    echo "===== Open MPI 5 (PRRTE), Debian trixie containers"
    if prrte_ensure_launcher; then
        od_log "launcher image $PRRTE_LAUNCHER_IMAGE ($([ "$PRRTE_BUILT" = 1 ] && echo built || echo cached), $(od_elapsed "$t_prrte") s)"
        prrte_unit_tests
        passed=$((passed + PRRTE_UNIT_PASS))
        failed=$((failed + PRRTE_UNIT_FAIL))
        if [ "$PRRTE_UNIT_FAIL" -gt 0 ]; then
            failures+=("$PRRTE_UNIT_FAIL unit tests (Open MPI 5 build)")
        elif [ "$PRRTE_CHECK_RC" -ne 0 ]; then
            failures+=("make check (Open MPI 5 build, status $PRRTE_CHECK_RC)")
            failed=$((failed + 1))
        fi
        integration "integration tests (Open MPI 5)" IT_RUNTIME=prrte \
            "IT_PRRTE_LAUNCHER_IMAGE=$PRRTE_LAUNCHER_IMAGE"
    else
        failures+=("Open MPI 5 build: $PRRTE_FAILED")
        failed=$((failed + 1))
    fi
    od_log "Open MPI 5 (PRRTE) part: $(od_elapsed "$t_prrte") s"
fi

echo "===== check.sh: $(od_elapsed "$t_start") s${failures[*]:+; failed: ${failures[*]}}"
printf '%s passed, %s failed\n' "$passed" "$failed"
[ "$failed" -eq 0 ]
