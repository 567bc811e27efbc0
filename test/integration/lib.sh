# shellcheck shell=bash
# shellcheck disable=SC2034,SC2119,SC2120  # variables for the callers; optional arguments
# Harness of the integration tests. A test file sources it, calls it_setup,
# runs its cases with run_case and ends with it_summary.
#
#   . "$(dirname "$0")/lib.sh"
#   it_setup 4                        # dockerd, image, network, containers
#   case_x() { mpirun_docker -np 4 --host "$(it_hosts)" ring; ...; }
#   run_case "x: what it checks" case_x
#   it_summary                        # "N passed, N failed", exit status
#
# Everything the run creates carries the label ompi-docker.test=$IT_RUNID and
# is removed by id at exit, also on failure or ctrl-C. A dockerd is started
# only if none answers, and then stopped again at exit.
#
# Environment:
#   IT_ONLY=REGEX       run only the cases whose name matches
#   IT_KEEP=1           keep the run directory (outputs) even when all passed
#   IT_DNS=1            let mpirun use the machine's DNS (default: sandbox
#                       with "hosts: files", see sandbox.sh --no-dns)
#   IT_MPIRUN_EXTRA     extra words for every mpirun (split on blanks)
#   IT_MPIRUN_TIMEOUT   bound of one mpirun run (default 120 s)
#   FAKE_ENDPOINT       path of a built test/apps/fake_endpoint (else it is
#                       compiled into the run directory)
#   IT_RUNTIME=prrte    run against Open MPI 5 (PRRTE) in Debian trixie
#                       containers instead of the host's Open MPI 4: see
#                       "Open MPI 5" at the end of this file
#   IT_PRRTE_LAUNCHER_IMAGE  the trixie launcher image to use (default:
#                       built or found by scripts/lib/prrte.sh)

IT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
IT_TOP=$(cd "$IT_DIR/../.." && pwd)
# shellcheck source=scripts/lib/dockerd.sh
. "$IT_TOP/scripts/lib/dockerd.sh"
# shellcheck source=scripts/lib/image.sh
. "$IT_TOP/scripts/lib/image.sh"
# shellcheck source=scripts/lib/prrte.sh
. "$IT_TOP/scripts/lib/prrte.sh"

IT_RUNID=${IT_RUNID:-$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')}
IT_LABEL_KEY=ompi-docker.test
IT_LABEL="$IT_LABEL_KEY=$IT_RUNID"
# A caller that runs several test files (run.sh, check.sh) sets
# OD_SESSION; everything also carries ompi-docker.session=$OD_SESSION so
# that the caller can remove what a killed test file left.
IT_LABELS=(--label "$IT_LABEL")
[ -n "${OD_SESSION:-}" ] && IT_LABELS+=(--label "ompi-docker.session=$OD_SESSION")
IT_PREFIX=odt-$IT_RUNID
IT_RUNDIR=
IT_IMAGE=
IT_NET=            # name of the first test network
IT_GATEWAY=        # the host's address on it
IT_CONTAINERS=()   # names of the standard containers c1..cN
IT_BG_PIDS=()      # host processes we started in the background
IT_FG_PID=         # the command run_capture waits for

IT_PASSED=0
IT_FAILED=0
IT_SKIPPED=0
IT_CASE_SKIP=      # reason, when the current case called skip
IT_AT_EXIT=()      # commands it_cleanup runs first (it_at_exit)
IT_CASE=
IT_CASE_T0=
IT_CASE_FAILS=0
IT_N=0

LAST_OUT=          # output file of the last run_capture / mpirun_docker
LAST_RC=
LAST_SECS=
LAST_SID=          # session id of the last captured command (host leftovers)

# --------------------------------------------------------------------------
# Cases and counting

case_begin() {
    [ -n "$IT_CASE" ] && case_end
    IT_CASE=$1
    LAST_SID=
    IT_CASE_FAILS=0
    IT_CASE_SKIP=
    IT_CASE_T0=$(od_now)
    printf -- '--- %s\n' "$IT_CASE"
}

# fail MSG: the current case fails (the case goes on unless it returns).
fail() {
    IT_CASE_FAILS=$((IT_CASE_FAILS + 1))
    printf '    FAIL: %s\n' "$*"
}

note() { printf '    %s\n' "$*"; }

# skip REASON: the current case is skipped: counted neither as passed nor as
# failed (unless fail was called in it), shown as "SKIP NAME (...): REASON".
# The caller returns from the case.
skip() {
    IT_CASE_SKIP=${*:-skipped}
    note "SKIP: $IT_CASE_SKIP"
}

case_end() {
    [ -n "$IT_CASE" ] || return 0
    local secs
    secs=$(od_elapsed "$IT_CASE_T0")
    if [ "$IT_CASE_FAILS" -eq 0 ] && [ -n "$IT_CASE_SKIP" ]; then
        IT_SKIPPED=$((IT_SKIPPED + 1))
        printf 'SKIP %s (%ss): %s\n' "$IT_CASE" "$secs" "$IT_CASE_SKIP"
    elif [ "$IT_CASE_FAILS" -eq 0 ]; then
        IT_PASSED=$((IT_PASSED + 1))
        printf 'PASS %s (%ss)\n' "$IT_CASE" "$secs"
    else
        IT_FAILED=$((IT_FAILED + 1))
        printf 'FAIL %s (%ss)\n' "$IT_CASE" "$secs"
    fi
    IT_CASE=
}
# pass: ends the current case; it passes unless fail was called in it.
pass() { case_end; }

# run_case NAME FUNCTION [ARGS...]: one case; skipped when IT_ONLY is set
# and does not match NAME.
run_case() {
    local name=$1
    shift
    if [ -n "${IT_ONLY:-}" ] && ! [[ $name =~ $IT_ONLY ]]; then
        return 0
    fi
    case_begin "$name"
    "$@"
    case_end
}

it_summary() {
    case_end
    [ "$IT_SKIPPED" -eq 0 ] || printf '%s skipped\n' "$IT_SKIPPED"
    printf '%s passed, %s failed\n' "$IT_PASSED" "$IT_FAILED"
    [ "$IT_FAILED" -eq 0 ]
}

# --------------------------------------------------------------------------
# Running commands

# show_output [FILE] [LINES]: the tail of a captured output, indented.
show_output() {
    local f=${1:-$LAST_OUT} n=${2:-25}
    [ -f "$f" ] || return 0
    printf '    | %s\n' "\$ $(cat "$f.cmd" 2>/dev/null)"
    tail -n "$n" "$f" | sed -e 's/^/    | /'
    # (output without a final newline: PRRTE's can end in a NUL byte)
    if [ -s "$f" ] && [ "$(tail -c 1 "$f" | od -An -tx1 | tr -d ' ')" != 0a ]; then echo; fi
}

# run_capture [--timeout S] [--] CMD...: runs CMD (not a shell function) in
# a session of its own, stdin from /dev/null, stdout+stderr to a file, with
# a time bound. Sets LAST_OUT, LAST_RC (124/137 on time-out), LAST_SECS,
# LAST_SID.
run_capture() {
    local to=${IT_MPIRUN_TIMEOUT:-120} t0 pid
    while [ $# -gt 0 ]; do
        case $1 in
            --timeout) to=$2; shift 2 ;;
            --) shift; break ;;
            *) break ;;
        esac
    done
    IT_N=$((IT_N + 1))
    LAST_OUT=$IT_RUNDIR/out.$IT_N
    printf '%q ' "$@" >"$LAST_OUT.cmd"
    t0=$(od_now)
    setsid timeout -k 5 "$to" "$@" >"$LAST_OUT" 2>&1 </dev/null &
    pid=$!
    LAST_SID=$pid
    IT_FG_PID=$pid
    wait "$pid"
    LAST_RC=$?
    IT_FG_PID=
    LAST_SECS=$(od_elapsed "$t0")
}

# The mpirun command line used by mpirun_docker (an array): the sandbox,
# mpirun, the launcher. Tests may add sandbox options through
# IT_SANDBOX_OPTS (an array). _it_mpirun_cmd VAR [LAUNCHER]: LAUNCHER is
# "docker" (plm docker, the default, or $IT_LAUNCHER) or "shim".
_it_mpirun_cmd() {
    if it_rt_is_prrte; then _it_prrte_mpirun_cmd "$@"; return; fi
    local -n _cmd=$1
    local launcher=${2:-${IT_LAUNCHER:-docker}} sb=() pre=() plm=()
    [ "${IT_DNS:-0}" = 1 ] || sb+=(--no-dns)
    sb+=("${IT_SANDBOX_OPTS[@]}")
    # shellcheck disable=SC2206  # IT_MPIRUN_EXTRA is split on blanks on purpose
    local extra=(${IT_MPIRUN_EXTRA:-})
    case $launcher in
        docker) plm=(--mca plm docker) ;;
        shim)
            # The seed's shim: plm rsh with shim-agent.sh (docker exec) as the
            # agent, given in the environment, and environment MCA params not
            # forwarded: otherwise orted gets "-mca plm_rsh_agent <host
            # path>" too and aborts (the script is not in the image).
            pre=(env "OMPI_MCA_plm_rsh_agent=$IT_DIR/shim-agent.sh")
            plm=(--mca plm rsh --mca plm_rsh_pass_environ_mca_params 0)
            ;;
        *) od_die "unknown launcher $launcher" ;;
    esac
    _cmd=("${pre[@]}" "$IT_DIR/sandbox.sh" "${sb[@]}" --
          mpirun --allow-run-as-root "${plm[@]}" "${extra[@]}")
}
IT_SANDBOX_OPTS=()

# mpirun_docker ARGS...: mpirun --allow-run-as-root --mca plm docker ARGS,
# bounded by IT_MPIRUN_TIMEOUT; results in LAST_OUT, LAST_RC, LAST_SECS.
# (IT_LAUNCHER=shim runs the same with the baseline launcher instead: for
# checking the rig and the tests themselves.)
mpirun_docker() {
    local cmd
    _it_mpirun_cmd cmd
    run_capture -- "${cmd[@]}" "$@"
}

# mpirun_shim ARGS...: the same job with the baseline launcher (the seed's
# docker-exec shim), whatever IT_LAUNCHER says.
mpirun_shim() {
    local cmd
    _it_mpirun_cmd cmd shim
    run_capture -- "${cmd[@]}" "$@"
}

# mpirun_docker_bg ARGS...: the same in the background, with SIGINT and
# SIGTERM at their defaults (a background job of a script ignores SIGINT).
# Sets IT_BG_MPIRUN (its pid, also its session id) and LAST_OUT.
mpirun_docker_bg() {
    local cmd
    _it_mpirun_cmd cmd
    IT_N=$((IT_N + 1))
    LAST_OUT=$IT_RUNDIR/out.$IT_N
    printf '%q ' "${cmd[@]}" "$@" >"$LAST_OUT.cmd"
    setsid env --default-signal=INT,TERM "${cmd[@]}" "$@" >"$LAST_OUT" 2>&1 </dev/null &
    IT_BG_MPIRUN=$!
    LAST_SID=$IT_BG_MPIRUN
    IT_BG_PIDS+=("$IT_BG_MPIRUN")
}

# wait_for_lines FILE REGEX COUNT SECONDS [PID]: until FILE has COUNT lines
# matching REGEX (extended); non-zero on time-out, or as soon as PID (if
# given) no longer runs without FILE having them.
wait_for_lines() {
    local f=$1 re=$2 n=$3 secs=$4 pid=${5:-} i
    for ((i = 0; i < secs * 10; i++)); do
        [ "$(grep -cE -- "$re" "$f" 2>/dev/null)" -ge "$n" ] && return 0
        if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
            [ "$(grep -cE -- "$re" "$f" 2>/dev/null)" -ge "$n" ]
            return
        fi
        sleep 0.1
    done
    return 1
}

# _it_forget_pid PID: PID was reaped; the cleanup must not signal it (the
# number may belong to another process by then).
_it_forget_pid() {
    local keep=() p
    for p in "${IT_BG_PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
    IT_BG_PIDS=("${keep[@]}")
}

# wait_pid_exit PID SECONDS: until PID (a child of ours) exited; its status
# in WAIT_RC; non-zero if it still runs.
wait_pid_exit() {
    local pid=$1 secs=$2 i
    WAIT_RC=
    for ((i = 0; i < secs * 10; i++)); do
        if ! kill -0 "$pid" 2>/dev/null; then
            wait "$pid" 2>/dev/null
            WAIT_RC=$?
            _it_forget_pid "$pid"
            return 0
        fi
        sleep 0.1
    done
    return 1
}

# expect_fail_with [--within S] TEXT [--and TEXT2]... -- CMD...: CMD (a
# command, or a shell function that sets LAST_* like mpirun_docker) must exit
# non-zero within S seconds (default 30) and print something matching TEXT
# (an extended regular expression, case-insensitive), and TEXT2...
# Calls fail otherwise.
expect_fail_with() {
    local within=30 text ok=1 also=() re
    if [ "$1" = --within ]; then within=$2; shift 2; fi
    text=$1
    shift
    while [ "$1" = --and ]; do also+=("$2"); shift 2; done
    [ "$1" = -- ] && shift
    local IT_MPIRUN_TIMEOUT=$((within + 15))
    if declare -F "$1" >/dev/null; then
        "$@"
    else
        run_capture --timeout "$IT_MPIRUN_TIMEOUT" -- "$@"
    fi
    if [ "$LAST_RC" -eq 0 ]; then
        fail "expected a non-zero exit, got 0"; ok=0
    elif [ "$LAST_RC" -eq 124 ] || [ "$LAST_RC" -eq 137 ]; then
        fail "no exit within ${IT_MPIRUN_TIMEOUT}s (killed by timeout)"; ok=0
    fi
    if awk -v a="$LAST_SECS" -v b="$within" 'BEGIN { exit !(a > b) }'; then
        fail "took ${LAST_SECS}s, more than ${within}s"; ok=0
    fi
    for re in "$text" "${also[@]}"; do
        if ! grep -qiE -- "$re" "$LAST_OUT"; then
            fail "output does not match /$re/"; ok=0
        fi
    done
    if [ "$ok" = 1 ]; then
        local shown="/$text/"
        for re in "${also[@]}"; do shown="$shown and /$re/"; done
        note "exit $LAST_RC in ${LAST_SECS}s, output matches $shown"
    else
        show_output
    fi
    [ "$ok" = 1 ]
}

# expect_ok: the last run exited 0 (else fail and show its output).
expect_ok() {
    if [ "$LAST_RC" -ne 0 ]; then
        fail "exit status $LAST_RC after ${LAST_SECS}s${1:+: $1}"
        show_output
        return 1
    fi
    note "exit 0 in ${LAST_SECS}s"
}

# expect_output REGEX [COUNT]: the last output has a line matching REGEX
# (extended), or exactly COUNT such lines.
expect_output() {
    local re=$1 want=${2:-} got
    got=$(grep -cE -- "$re" "$LAST_OUT")
    if [ -z "$want" ]; then
        [ "$got" -ge 1 ] && return 0
        fail "no line matches /$re/"
    else
        [ "$got" -eq "$want" ] && return 0
        fail "$got lines match /$re/, want $want"
    fi
    show_output
    return 1
}

# --------------------------------------------------------------------------
# Docker objects of the run

# it_network_create NAME: an --internal bridge network with our label
# (Docker picks a free subnet). Prints its id.
it_network_create() {
    od_docker network create --internal "${IT_LABELS[@]}" "$1"
}

# it_container_start NAME [HOSTNAME|-] [NETWORK]: a container of the test
# image running `sleep infinity` under Docker's init. HOSTNAME "-" (or
# empty) keeps Docker's default (the short id). Prints its id.
it_container_start() {
    local name=$1 host=${2:--} net=${3:-$IT_NET} opts=()
    [ "$host" != - ] && opts+=(--hostname "$host")
    # --dns: the embedded DNS forwards names it does not know to this
    # address (the host's, where nothing answers) instead of the machine's
    # resolvers, so nothing leaves our networks.
    od_docker run -d --init --name "$name" "${opts[@]}" "${IT_LABELS[@]}" \
        --network "$net" --dns "$IT_GATEWAY" "$IT_IMAGE" sleep infinity
}

# it_container_run NAME [DOCKER-RUN-OPTION...]: like `it_container_start
# NAME -` (Docker's default hostname, network $IT_NET, the run's labels,
# --init, --dns, `sleep infinity`) with more `docker run` options: labels,
# --cpus, --cpuset-cpus, --hostname... Prints its id.
# it_container_create NAME [OPTION...]: the same, created and never started.
it_container_run() { _it_container run -d "$@"; }
it_container_create() { _it_container create "$@"; }
_it_container() {
    local verb=$1 detach=()
    shift
    if [ "$1" = -d ]; then detach=(-d); shift; fi
    local name=$1
    shift
    od_docker "$verb" "${detach[@]}" --init --name "$name" "${IT_LABELS[@]}" \
        --network "$IT_NET" --dns "$IT_GATEWAY" "$@" "$IT_IMAGE" sleep infinity
}

# c_hostname C / c_id C / c_short_id C / c_ip C [NET]
c_hostname() { od_docker inspect -f '{{.Config.Hostname}}' "$1"; }
c_id() { od_docker inspect -f '{{.Id}}' "$1"; }
c_short_id() { c_id "$1" | cut -c1-12; }
c_ip() {
    od_docker inspect -f "{{(index .NetworkSettings.Networks \"${2:-$IT_NET}\").IPAddress}}" "$1"
}

# it_hosts [C...]: comma-separated names for --host (default: the standard
# containers).
it_hosts() {
    local IFS=,
    if [ $# -gt 0 ]; then echo "$*"; else echo "${IT_CONTAINERS[*]}"; fi
}

# it_setup [N]: dockerd, the test image, a network and N (default 4)
# containers c1..cN. Hostnames: c1 gets one that differs from its name, c3
# its own name, the others Docker's default (the short id).
it_setup() {
    local n=${1:-4} i name host
    trap it_cleanup EXIT
    trap 'it_cleanup; exit 130' INT
    trap 'it_cleanup; exit 143' TERM
    IT_RUNDIR=$(mktemp -d "${TMPDIR:-/tmp}/ompi-docker-it.$IT_RUNID.XXXXXX")
    dkr_ensure_dockerd
    IT_IMAGE=$(_it_rt_image) || od_die "no test image"
    IT_NET=$IT_PREFIX-net1
    it_network_create "$IT_NET" >/dev/null || od_die "could not create network $IT_NET"
    IT_GATEWAY=$(od_docker network inspect -f '{{(index .IPAM.Config 0).Gateway}}' "$IT_NET")
    if it_rt_is_prrte; then it_prrte_launcher_start || od_die "could not start the launcher"; fi
    IT_CONTAINERS=()
    for ((i = 1; i <= n; i++)); do
        name=$IT_PREFIX-c$i
        case $i in
            1) host=node-one-$IT_RUNID ;;
            3) host=$name ;;
            *) host=- ;;
        esac
        it_container_start "$name" "$host" >/dev/null || od_die "could not start $name"
        IT_CONTAINERS+=("$name")
    done
    printf 'run %s: image %s, network %s (%s), containers:\n' "$IT_RUNID" "$IT_IMAGE" "$IT_NET" \
        "$(od_docker network inspect -f '{{(index .IPAM.Config 0).Subnet}}' "$IT_NET")"
    for name in "${IT_CONTAINERS[@]}"; do
        printf '  %s  id %s  hostname %s  ip %s\n' "$name" "$(c_short_id "$name")" \
            "$(c_hostname "$name")" "$(c_ip "$name")"
    done
}

# it_at_exit CMD [ARGS...]: it_cleanup runs CMD ARGS (a command or shell
# function) at exit, also after a failure or ctrl-C, before it removes the
# run's labelled containers and networks and stops a dockerd it started; the
# last registered runs first. For what the labels do not cover (a swarm, a
# service): make CMD idempotent and call it also at the end of the case.
it_at_exit() {
    IT_AT_EXIT+=("$(printf '%q ' "$@")")
}

it_cleanup() {
    local pid i rc=$?
    trap - EXIT INT TERM
    for pid in "${IT_BG_PIDS[@]}" $IT_FG_PID; do
        kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    done
    for ((i = ${#IT_AT_EXIT[@]} - 1; i >= 0; i--)); do
        eval "${IT_AT_EXIT[$i]}" || true
    done
    [ -n "${IT_RUNID:-}" ] && dkr_remove_labelled "$IT_LABEL"
    dkr_stop_dockerd_if_started
    if [ -n "$IT_RUNDIR" ] && [ -d "$IT_RUNDIR" ]; then
        if [ "${IT_KEEP:-0}" = 1 ] || [ "$IT_FAILED" -gt 0 ]; then
            echo "outputs kept in $IT_RUNDIR"
        else
            rm -rf "$IT_RUNDIR"
        fi
    fi
    return $rc
}

# --------------------------------------------------------------------------
# Assertions about where ranks ran and what is left

# check_ranks NP C...: the last output has NP lines "rank R of NP on HOST",
# R = 0..NP-1 once each, every HOST is the hostname of one of the
# containers C (Config.Hostname), and each container ran NP/#C ranks.
check_ranks() {
    local np=$1 ok=1 c h r n line host
    shift
    local -A host2c=() count=() seen=()
    for c in "$@"; do
        h=$(c_hostname "$c")
        host2c[$h]=$c
        count[$c]=0
    done
    while IFS= read -r line; do
        if [[ $line =~ ^rank\ ([0-9]+)\ of\ ([0-9]+)\ on\ (.+)$ ]]; then
            r=${BASH_REMATCH[1]} n=${BASH_REMATCH[2]} host=${BASH_REMATCH[3]}
            if [ "$n" != "$np" ]; then fail "rank $r says size $n, want $np"; ok=0; fi
            if [ -n "${seen[$r]:-}" ]; then fail "rank $r printed twice"; ok=0; fi
            seen[$r]=1
            c=${host2c[$host]:-}
            if [ -z "$c" ]; then
                fail "rank $r ran on '$host', which is none of the containers"; ok=0
            else
                count[$c]=$((${count[$c]} + 1))
            fi
        fi
    done <"$LAST_OUT"
    for ((r = 0; r < np; r++)); do
        [ -n "${seen[$r]:-}" ] || { fail "no line from rank $r"; ok=0; }
    done
    local per=$((np / $#)) map=
    for c in "$@"; do
        map="$map ${c##*-}=${count[$c]}"
        if [ "${count[$c]}" -ne "$per" ]; then
            fail "$c ran ${count[$c]} ranks, want $per"; ok=0
        fi
    done
    if [ "$ok" = 1 ]; then note "ranks per container:$map"; else show_output; fi
    [ "$ok" = 1 ]
}

# allocated_nodes [FILE]: the "ALLOCATED NODES" block of mpirun
# --display-allocation in FILE (default: the last output), one "NAME SLOTS"
# line per node, in mpirun's order.
allocated_nodes() {
    awk '/ALLOCATED NODES/ { on = 1; next }
         on && /^=+$/ { exit }
         on && /slots=/ {
             name = $1; sub(/:$/, "", name)
             for (i = 2; i <= NF; i++) if ($i ~ /^slots=/) { sub(/^slots=/, "", $i); print name, $i }
         }' "${1:-$LAST_OUT}"
}

# rank_placement C...: where the ranks of the last output ran, in rank
# order: one word per rank 0, 1, ... (as many as the "rank R of N on HOST"
# lines say N is), the container C whose Config.Hostname is HOST, "?HOST"
# for a host that is none of them, "-" for a rank that printed nothing.
rank_placement() {
    local c line r n=0 host out=()
    local -A host2c=() at=()
    for c in "$@"; do host2c[$(c_hostname "$c")]=$c; done
    while IFS= read -r line; do
        if [[ $line =~ ^rank\ ([0-9]+)\ of\ ([0-9]+)\ on\ (.+)$ ]]; then
            r=${BASH_REMATCH[1]} host=${BASH_REMATCH[3]}
            [ "${BASH_REMATCH[2]}" -gt "$n" ] && n=${BASH_REMATCH[2]}
            c=${host2c[$host]:-}
            at[$r]=${c:-?$host}
        fi
    done <"$LAST_OUT"
    for ((r = 0; r < n; r++)); do out+=("${at[$r]:--}"); done
    echo "${out[*]}"
}

# it_leftovers C...: prints "C: PID ARGS" for every process in the
# containers other than Docker's init and its `sleep infinity` (from the
# engine's /containers/{id}/top, which runs the host's ps: the image needs
# no ps).
it_leftovers() {
    local c init
    for c in "$@"; do
        init=$(od_docker inspect -f '{{.State.Pid}}' "$c" 2>/dev/null) || continue
        [ "$init" != 0 ] || continue
        od_docker top "$c" -o pid,args 2>/dev/null | awk -v c="$c" -v init="$init" '
            NR == 1 { next }
            $1 == init { next }
            { pid = $1; $1 = ""; sub(/^ /, "") }
            $0 == "sleep infinity" { next }
            { print c ": " pid " " $0 }'
    done
}

# host_leftovers SID: processes still in session SID (the last captured
# mpirun's, in the current case: its helpers, if it forked any).
host_leftovers() {
    [ -n "${1:-}" ] || return 0
    ps -s "$1" -o pid=,args= 2>/dev/null || true
}

# it_case_leftover_detection: a case of the rigs' own tests: a process
# started in container ${C[1]} is reported by it_leftovers and by
# assert_no_leftovers (which then restarts the container).
it_case_leftover_detection() {
    local left out rc
    od_docker exec -d "${C[1]}" sleep 1000 || { fail "docker exec -d failed"; return; }
    sleep 0.5
    left=$(it_leftovers "${C[@]}")
    [[ $left == "${C[1]}: "*" sleep 1000" ]] || fail "it_leftovers did not report exactly the sleep: '$left'"
    # The assertion itself, in a subshell so that its failure is not counted.
    out=$(assert_no_leftovers --within 1 "${C[@]}")
    rc=$?
    [ "$rc" -ne 0 ] || fail "assert_no_leftovers passed with a leftover"
    [[ $out == *"sleep 1000"* ]] || fail "assert_no_leftovers did not name the leftover: $out"
    # It restarted the container: the next case starts clean.
    assert_no_leftovers --within 5 "${C[@]}"
}

# assert_no_leftovers [--within S] C...: within S seconds (default 10) no
# process but init/sleep is left in the containers, and nothing is left of
# the last captured mpirun's session on the host. Otherwise fail, list them,
# and restart the containers (and kill the session) so that the next case
# starts clean.
assert_no_leftovers() {
    local within=10 i left hleft c
    if [ "$1" = --within ]; then within=$2; shift 2; fi
    for ((i = 0; i <= within * 2; i++)); do
        left=$(it_leftovers "$@")
        hleft=$(host_leftovers "$LAST_SID")
        [ -z "$left$hleft" ] && return 0
        sleep 0.5
    done
    if [ -n "$left" ]; then
        fail "processes left in containers after ${within}s:"
        printf '%s\n' "$left" | sed -e 's/^/        /'
        for c in $(printf '%s\n' "$left" | cut -d: -f1 | sort -u); do
            od_docker restart -t 1 "$c" >/dev/null || true
        done
    fi
    if [ -n "$hleft" ]; then
        fail "processes of mpirun's session left on the host after ${within}s:"
        printf '%s\n' "$hleft" | sed -e 's/^/        /'
        for i in $(printf '%s\n' "$hleft" | awk '{ print $1 }'); do
            kill -KILL "$i" 2>/dev/null || true
        done
    fi
    return 1
}

# labelled_objects LABEL: the containers (in any state) and the networks that
# carry LABEL (key=value), one "container NAME STATE" or "network NAME" line
# each.
labelled_objects() {
    od_docker ps -a --filter "label=$1" --format 'container {{.Names}} {{.State}}'
    od_docker network ls --filter "label=$1" --format 'network {{.Name}}'
}

# assert_no_labelled [--within S] LABEL...: no container (in any state) and
# no network carries any LABEL: checked at once, or until S seconds passed
# (fractions allowed). LABELLED_SECS: seconds until that was so (or until
# the check gave up). Otherwise fail, list them, and remove them so that the
# next case starts clean.
assert_no_labelled() {
    local within=0 t0 left l
    if [ "$1" = --within ]; then within=$2; shift 2; fi
    t0=$(od_now)
    while :; do
        left=$(for l in "$@"; do labelled_objects "$l"; done)
        LABELLED_SECS=$(od_elapsed "$t0")
        [ -z "$left" ] && return 0
        awk -v a="$LABELLED_SECS" -v b="$within" 'BEGIN { exit !(a >= b) }' && break
        sleep 0.2
    done
    fail "left after ${LABELLED_SECS}s with label $*:"
    printf '%s\n' "$left" | sed -e 's/^/        /'
    for l in "$@"; do dkr_remove_labelled "$l"; done
    return 1
}

# --------------------------------------------------------------------------
# Another user

# it_ensure_user UID NAME: makes sure a user with uid UID exists (creates
# NAME, with a group NAME of gid UID, no home, when none has that uid) and
# is in the group that owns the engine's socket (docker); prints the user's
# name. Non-zero when that cannot be done (e.g. the socket's group is root).
it_ensure_user() {
    local uid=$1 name=$2 sock=/var/run/docker.sock grp
    case ${DOCKER_HOST:-} in unix://*) sock=${DOCKER_HOST#unix://} ;; esac
    grp=$(stat -c %G "$sock" 2>/dev/null) || return 1
    [ "$grp" != root ] || return 1
    if ! getent passwd "$uid" >/dev/null; then
        getent group "$uid" >/dev/null || groupadd -g "$uid" "$name" || return 1
        useradd -u "$uid" -g "$uid" -M -d /nonexistent -s /usr/sbin/nologin "$name" || return 1
    fi
    name=$(getent passwd "$uid" | cut -d: -f1)
    if ! id -nG "$name" | tr ' ' '\n' | grep -qxF "$grp"; then
        usermod -a -G "$grp" "$name" || return 1
    fi
    echo "$name"
}

# it_as_user USER CMD...: runs CMD (a command, not a function) as USER: its
# uid, primary gid and groups (setpriv), HOME its home directory (else the
# current one), USER and LOGNAME set; the rest of the environment kept.
# _it_as_user_cmd VAR USER: those words, into the array VAR.
it_as_user() {
    local pre
    _it_as_user_cmd pre "$1"
    shift
    "${pre[@]}" "$@"
}
_it_as_user_cmd() {
    local -n _auc=$1
    local user=$2 home
    home=$(getent passwd "$user" | cut -d: -f6)
    [ -n "$home" ] && [ -d "$home" ] || home=$PWD
    _auc=(setpriv --reuid "$user" --regid "$(id -g "$user")" --init-groups
          env "HOME=$home" "USER=$user" "LOGNAME=$user")
}

# mpirun_docker_as USER ARGS...: mpirun_docker, but mpirun runs as USER
# (it_as_user, inside the sandbox) and without --allow-run-as-root. Open MPI
# 4 only (under IT_RUNTIME=prrte it fails the case, LAST_RC=125).
mpirun_docker_as() {
    local user=$1 sb=() pre
    shift
    if it_rt_is_prrte; then
        fail "mpirun_docker_as: not for IT_RUNTIME=prrte"
        LAST_RC=125
        return 1
    fi
    [ "${IT_DNS:-0}" = 1 ] || sb+=(--no-dns)
    sb+=("${IT_SANDBOX_OPTS[@]}")
    _it_as_user_cmd pre "$user"
    # shellcheck disable=SC2206  # IT_MPIRUN_EXTRA is split on blanks on purpose
    local extra=(${IT_MPIRUN_EXTRA:-})
    run_capture -- "$IT_DIR/sandbox.sh" "${sb[@]}" -- "${pre[@]}" \
        mpirun --mca plm docker "${extra[@]}" "$@"
}

# --------------------------------------------------------------------------
# Fake endpoints

# fake_endpoint_bin: path of a fake_endpoint binary (builds one if needed).
fake_endpoint_bin() {
    if [ -n "${FAKE_ENDPOINT:-}" ] && [ -x "$FAKE_ENDPOINT" ]; then
        echo "$FAKE_ENDPOINT"
        return 0
    fi
    if [ ! -x "$IT_RUNDIR/fake_endpoint" ]; then
        ${CC:-cc} -O2 -Wall -o "$IT_RUNDIR/fake_endpoint" "$IT_TOP/test/apps/fake_endpoint.c" \
            || return 1
    fi
    echo "$IT_RUNDIR/fake_endpoint"
}

# fake_endpoint_start MODE [unix|tcp]: starts one in the background; sets
# FAKE_URL (unix:///... or tcp://127.0.0.1:PORT) and FAKE_PID.
fake_endpoint_start() {
    if it_rt_is_prrte; then _it_prrte_fake_endpoint_start "$@"; return; fi
    local mode=$1 kind=${2:-unix} bin log i where
    bin=$(fake_endpoint_bin) || { fail "cannot build fake_endpoint"; return 1; }
    IT_N=$((IT_N + 1))
    log=$IT_RUNDIR/fake.$IT_N
    if [ "$kind" = unix ]; then
        where=(--unix "$IT_RUNDIR/fake-$mode.$IT_N.sock")
    else
        where=(--tcp 127.0.0.1:0)
    fi
    "$bin" "${where[@]}" --mode "$mode" >"$log.out" 2>"$log.err" &
    FAKE_PID=$!
    IT_BG_PIDS+=("$FAKE_PID")
    FAKE_URL=
    for ((i = 0; i < 50; i++)); do
        FAKE_URL=$(sed -n 's/^ready //p' "$log.out")
        [ -n "$FAKE_URL" ] && return 0
        sleep 0.1
    done
    fail "fake_endpoint $mode did not become ready"
    return 1
}

fake_endpoint_stop() {
    [ -n "${FAKE_PID:-}" ] || return 0
    kill -TERM "$FAKE_PID" 2>/dev/null
    wait "$FAKE_PID" 2>/dev/null
    _it_forget_pid "$FAKE_PID"
    FAKE_PID=
}

# closed_port: a loopback TCP port where nothing listens.
closed_port() {
    if it_rt_is_prrte; then _it_prrte_closed_port; return; fi
    local p i
    for ((i = 0; i < 50; i++)); do
        p=$((20000 + RANDOM % 40000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            echo "$p"
            return 0
        fi
    done
    return 1
}

# --------------------------------------------------------------------------
# Open MPI 5 (PRRTE): IT_RUNTIME=prrte
#
# The same cases against Open MPI 5 in Debian trixie; nothing of it on the
# host. The containers come from the trixie node image (trixie + Debian's
# Open MPI 5 + ring, scripts/lib/trixie.sh). mpirun runs in a launcher
# container, $IT_PREFIX-launcher, of the trixie launcher image (the project
# built and installed into its Open MPI 5, scripts/lib/prrte.sh) on the test
# network, with the engine's socket mounted at its own path and the run
# directory at its own path; its name lookups use files only unless
# IT_DNS=1. It shares the host's PID namespace, and launcher-exec.sh enters
# its other namespaces (nsenter): mpirun is then a process of this machine,
# so time bounds, signals (mpirun_docker_bg, kill) and the session leftover
# check work as for a host mpirun. mpirun runs under sandbox.sh there too
# (a copy in the run directory), with the same options as on the host
# (--no-dns, IT_SANDBOX_OPTS: --no-cli hides the launcher's ssh, which
# Debian's openmpi-bin depends on). Fake endpoints run in the launcher the
# same way (sockets in the run directory, tcp ones on the launcher's
# loopback). The shim baseline does not exist there.
#
# For tests: it_rt_is_prrte, it_rt_cmd VAR (the prefix that runs a command
# where mpirun runs), it_launcher_exec CMD... (run_capture in the launcher),
# it_param_info FRAMEWORK COMPONENT (ompi_info / prte_info parameter list),
# it_rt_network_connect / it_rt_network_disconnect NET (the launcher joins
# another network too), it_rt_env_prefix (OMPI_MCA_ / PRTE_MCA_),
# it_rt_params_file HOME (the user's MCA params file).

IT_PRRTE_LAUNCHER=        # name of the launcher container
IT_PRRTE_LAUNCHER_PID=    # host pid of its main process
# The fake endpoint built (make check) in the launcher image.
IT_PRRTE_FAKE_ENDPOINT=/build/test/apps/fake_endpoint

it_rt_is_prrte() { [ "${IT_RUNTIME:-orte}" = prrte ]; }

# _it_rt_image: the node image of the runtime (prints its name).
_it_rt_image() {
    case ${IT_RUNTIME:-orte} in
        orte) img_ensure_images ;;
        prrte) trx_ensure_images ;;
        *) od_die "IT_RUNTIME=$IT_RUNTIME: orte or prrte" ;;
    esac
}

# it_prrte_launcher_start: the launcher container on $IT_NET (it_setup).
it_prrte_launcher_start() {
    local image=${IT_PRRTE_LAUNCHER_IMAGE:-} name=$IT_PREFIX-launcher sock=/var/run/docker.sock mounts=()
    if [ -z "$image" ]; then
        image=$(prrte_launcher_image) || { echo "no Open MPI 5 launcher image (its build failed)" >&2; return 1; }
        IT_PRRTE_LAUNCHER_IMAGE=$image
    fi
    case ${DOCKER_HOST:-} in unix://*) sock=${DOCKER_HOST#unix://} ;; esac
    # (A missing socket would become a directory on the host.)
    [ -S "$sock" ] && mounts+=(-v "$sock:$sock")
    od_docker run -d --init --name "$name" --hostname "$name" "${IT_LABELS[@]}" \
        --label ompi-docker.role=launcher --network "$IT_NET" --dns "$IT_GATEWAY" --pid host \
        "${mounts[@]}" -v "$IT_RUNDIR:$IT_RUNDIR" "$image" sleep infinity >/dev/null || return 1
    IT_PRRTE_LAUNCHER=$name
    IT_PRRTE_LAUNCHER_PID=$(od_docker inspect -f '{{.State.Pid}}' "$name") || return 1
    if [ "${IT_DNS:-0}" != 1 ]; then
        od_docker exec "$name" sed -i -e 's/^hosts:.*/hosts: files/' /etc/nsswitch.conf || return 1
    fi
    cp "$IT_DIR/sandbox.sh" "$IT_RUNDIR/sandbox.sh" || return 1
    "$IT_DIR/launcher-exec.sh" "$IT_PRRTE_LAUNCHER_PID" true || return 1
    printf 'launcher %s (image %s, pid %s, ip %s): %s\n' "$name" "$image" "$IT_PRRTE_LAUNCHER_PID" \
        "$(c_ip "$name")" "$("$IT_DIR/launcher-exec.sh" "$IT_PRRTE_LAUNCHER_PID" mpirun --version 2>&1 | head -n 1)"
}

# it_rt_cmd VAR: into the array VAR, the words that run a command where
# mpirun runs: the host's sandbox (orte), the launcher (prrte).
it_rt_cmd() {
    local -n _rtc=$1
    if it_rt_is_prrte; then
        _rtc=("$IT_DIR/launcher-exec.sh" "$IT_PRRTE_LAUNCHER_PID" "$IT_RUNDIR/sandbox.sh")
    else
        _rtc=("$IT_DIR/sandbox.sh")
    fi
    [ "${IT_DNS:-0}" = 1 ] || _rtc+=(--no-dns)
    _rtc+=("${IT_SANDBOX_OPTS[@]}" --)
}

# it_rt_network_connect NET: mpirun's side joins network NET too: the
# launcher container (prrte; e.g. a swarm overlay, which the host reaches
# through docker_gwbridge but the launcher does not); nothing for orte.
it_rt_network_connect() {
    it_rt_is_prrte || return 0
    od_docker network connect "$1" "$IT_PRRTE_LAUNCHER"
}

# it_rt_network_disconnect NET: undoes it_rt_network_connect (before NET is
# removed: a network with an endpoint attached cannot be).
it_rt_network_disconnect() {
    it_rt_is_prrte || return 0
    od_docker network disconnect -f "$1" "$IT_PRRTE_LAUNCHER" >/dev/null 2>&1 || true
}

# it_rt_env_prefix: the prefix of MCA variables in mpirun's environment:
# OMPI_MCA_ (orte), PRTE_MCA_ (prrte: OMPI_MCA_ does not reach PRRTE's
# frameworks).
it_rt_env_prefix() { if it_rt_is_prrte; then echo PRTE_MCA_; else echo OMPI_MCA_; fi; }

# it_rt_params_file HOME: the user's MCA params file under HOME:
# .openmpi/mca-params.conf (orte), .prte/mca-params.conf (prrte).
it_rt_params_file() {
    if it_rt_is_prrte; then echo "$1/.prte/mca-params.conf"; else echo "$1/.openmpi/mca-params.conf"; fi
}

# it_launcher_exec CMD...: run_capture of CMD in the launcher (prrte only).
it_launcher_exec() {
    run_capture -- "$IT_DIR/launcher-exec.sh" "$IT_PRRTE_LAUNCHER_PID" "$@"
}

# it_param_info FRAMEWORK COMPONENT: run_capture of the parameter listing:
# `ompi_info --param FW COMP --level 9` (orte), `prte_info --param FW:COMP`
# in the launcher (prrte: the fw:comp form, and no levels).
it_param_info() {
    if it_rt_is_prrte; then
        it_launcher_exec prte_info --param "$1:$2"
    else
        run_capture -- ompi_info --param "$1" "$2" --level 9
    fi
}

# The mpirun command line in the launcher (see _it_mpirun_cmd).
_it_prrte_mpirun_cmd() {
    local -n _pcmd=$1
    local launcher=${2:-${IT_LAUNCHER:-docker}}
    # shellcheck disable=SC2206  # IT_MPIRUN_EXTRA is split on blanks on purpose
    local extra=(${IT_MPIRUN_EXTRA:-})
    case $launcher in
        docker)
            it_rt_cmd _pcmd
            _pcmd+=(mpirun --allow-run-as-root --mca plm docker "${extra[@]}")
            ;;
        shim)
            # shellcheck disable=SC2016
            _pcmd=(sh -c 'echo "the shim baseline (plm rsh + docker CLI) exists for Open MPI 4 only" >&2; exit 2' sh)
            ;;
        *) od_die "unknown launcher $launcher" ;;
    esac
}

# fake_endpoint_start in the launcher: the same, with the launcher's binary.
_it_prrte_fake_endpoint_start() {
    local mode=$1 kind=${2:-unix} log i where
    IT_N=$((IT_N + 1))
    log=$IT_RUNDIR/fake.$IT_N
    if [ "$kind" = unix ]; then
        where=(--unix "$IT_RUNDIR/fake-$mode.$IT_N.sock")
    else
        where=(--tcp 127.0.0.1:0)
    fi
    "$IT_DIR/launcher-exec.sh" "$IT_PRRTE_LAUNCHER_PID" "$IT_PRRTE_FAKE_ENDPOINT" "${where[@]}" \
        --mode "$mode" >"$log.out" 2>"$log.err" &
    FAKE_PID=$!
    IT_BG_PIDS+=("$FAKE_PID")
    FAKE_URL=
    for ((i = 0; i < 50; i++)); do
        FAKE_URL=$(sed -n 's/^ready //p' "$log.out")
        [ -n "$FAKE_URL" ] && return 0
        sleep 0.1
    done
    fail "fake_endpoint $mode did not become ready in the launcher: $(cat "$log.err")"
    return 1
}

# closed_port on the launcher's loopback.
_it_prrte_closed_port() {
    local p i
    for ((i = 0; i < 50; i++)); do
        p=$((20000 + RANDOM % 40000))
        # shellcheck disable=SC2016  # for the inner bash
        if ! "$IT_DIR/launcher-exec.sh" "$IT_PRRTE_LAUNCHER_PID" \
                bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"' sh "$p" 2>/dev/null; then
            echo "$p"
            return 0
        fi
    done
    return 1
}
