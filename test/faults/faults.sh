#!/bin/bash
# IT_RUNTIMES: orte
# shellcheck disable=SC2119,SC2120  # helpers with optional arguments
# Faults during a job, each against a real dockerd and a real mpirun, with
# one line of figures per case:
#
#   FAULT <case>: exit <rc> <secs> s after the fault (bound <b> s), message ok, leftovers 0
#
# The fault is injected once every rank runs (the ring is done, the ranks
# sleep), except "mid-launch" which hits while mpirun starts. "Leftovers"
# counts processes still in the containers (beyond init and sleep), the
# processes of mpirun's session on the host, and for job-owned containers
# the job's containers and network. A case passes when mpirun exits
# non-zero within the bound with a message that names what failed, and
# nothing is left 10 s later.
#
# Cases: a container killed (docker kill), a container paused (exec mode and
# job-owned containers), orted killed in its container, a rank that exits
# with an error, and the engine restarted mid-job and mid-launch (on a
# private dockerd of the run, so that the machine's engine is never
# touched). Signals to mpirun, stalled and garbage endpoints, old API
# versions and TLS failures are cases of test/integration (test_plm_exec,
# test_jobc, test_tls); the README's reliability section lists them all.

# shellcheck source=test/integration/lib.sh
. "$(dirname "$0")/../integration/lib.sh"

it_setup 3
# shellcheck source=test/integration/private_engine.sh
. "$IT_DIR/private_engine.sh"
C=("${IT_CONTAINERS[@]}")
ALL=$(it_hosts "${C[@]}")
WORK=$IT_RUNDIR/work
{ mkdir -p "$WORK" && cd "$WORK"; } || od_die "cannot enter $WORK"
PAUSE_S=3
FAULTS=()          # the table, printed at the end

re_quote() { printf '%s' "$1" | sed -e 's/[][\.*^$+?(){}|/]/\\&/g'; }

# job_going NP: the background mpirun ($JPID, output $JOUT) has printed the
# ring and NP rank lines; else fail (mpirun killed).
job_going() {
    if wait_for_lines "$JOUT" '^ring ok' 1 90 "$JPID" \
        && wait_for_lines "$JOUT" '^rank [0-9]+ of [0-9]+ on ' "$1" 5 "$JPID"; then
        return 0
    fi
    fail "the job did not get going within 90 s"
    show_output "$JOUT"
    kill -KILL "$JPID" 2>/dev/null
    wait_pid_exit "$JPID" 10
    return 1
}

# start_job ARGS...: mpirun_docker_bg ARGS; JPID, JOUT.
start_job() {
    mpirun_docker_bg "$@"
    JPID=$IT_BG_MPIRUN
    JOUT=$LAST_OUT
}

# await_exit T0 BOUND: mpirun ($JPID) exits within BOUND s of T0 with a
# non-zero status. Sets EXIT_RC and EXIT_SECS (seconds since T0).
await_exit() {
    local t0=$1 bound=$2 olderr left
    EXIT_RC=- EXIT_SECS=-
    left=$(awk -v b="$bound" -v e="$(od_elapsed "$t0")" 'BEGIN { l = b - e + 5; print (l < 1 ? 1 : int(l)) }')
    exec {olderr}>&2 2>/dev/null
    if wait_pid_exit "$JPID" "$left"; then
        EXIT_RC=$WAIT_RC
        EXIT_SECS=$(od_elapsed "$t0")
    fi
    exec 2>&"$olderr" {olderr}>&-
    if [ "$EXIT_RC" = - ]; then
        fail "mpirun still runs ${left}s after the fault"
        show_output "$JOUT"
        kill -KILL "$JPID" 2>/dev/null
        wait_pid_exit "$JPID" 10
        return 1
    fi
    [ "$EXIT_RC" -ne 0 ] || fail "mpirun exited 0"
    awk -v a="$EXIT_SECS" -v b="$bound" 'BEGIN { exit !(a > b) }' \
        && fail "mpirun exited after ${EXIT_SECS}s, more than ${bound}s"
    return 0
}

# message_names REGEX...: mpirun's output matches each (case-insensitive).
message_names() {
    local re ok=ok
    for re in "$@"; do
        grep -qiE -- "$re" "$JOUT" || { fail "output does not match /$re/"; ok=missing; }
    done
    [ "$ok" = ok ] || show_output "$JOUT"
    MSG=$ok
}

# leftovers ENGINE-FN LABEL C...: polls 10 s until nothing is left; prints
# the count (processes in the containers C, of mpirun's session, and
# containers/networks carrying LABEL when not "-"); lists what is left.
count_left() {
    local on=$1 label=$2 i n=0 what
    shift 2
    for ((i = 0; i <= 20; i++)); do
        what=$("$on" it_leftovers "$@"; host_leftovers "$JPID")
        [ "$label" != - ] && what+=$("$on" labelled_objects "$label")
        n=$(printf '%s' "$what" | grep -c .)
        [ "$n" -eq 0 ] && break
        sleep 0.5
    done
    if [ "$n" -ne 0 ]; then
        fail "left after 10 s:"
        printf '%s\n' "$what" | sed -e 's/^/        /' >&2
    fi
    LEFT=$n
}
on_host() { "$@"; }

# record NAME BOUND: the case's table line.
record() {
    local line
    line=$(printf 'FAULT %-22s exit %s %s s after the fault (bound %s s), message %s, leftovers %s' \
        "$1:" "$EXIT_RC" "$EXIT_SECS" "$2" "${MSG:-?}" "${LEFT:-?}")
    FAULTS+=("$line")
    note "$line"
}

# restart_holders ENGINE-FN C...: the holder containers run again (after a
# kill or an engine restart).
restart_holders() {
    local on=$1 c
    shift
    for c in "$@"; do
        [ "$("$on" od_docker inspect -f '{{.State.Running}}' "$c" 2>/dev/null)" = true ] \
            || "$on" od_docker start "$c" >/dev/null || fail "could not start $c again"
    done
}

# ---------------------------------------------------------------- cases

# 1. docker kill of a container while its ranks run.
case_container_killed() {
    local t0
    MSG='' LEFT=''
    start_job -np 3 --host "$ALL" ring --sleep 30
    job_going 3 || return
    t0=$(od_now)
    od_docker kill "${C[1]}" >/dev/null || fail "docker kill failed"
    await_exit "$t0" 15 && message_names "$(re_quote "${C[1]}")|$(re_quote "$(c_hostname "${C[1]}")")"
    restart_holders on_host "${C[@]}"
    count_left on_host - "${C[@]}"
    record container-killed 15
}

# _pause C: docker pause, retried (the cgroup freezer may refuse once).
_pause() {
    local i
    for i in 1 2 3 4 5; do
        od_docker pause "$1" >/dev/null 2>&1 && return 0
        sleep 0.3
    done
    fail "docker pause $1 failed"
    return 1
}

# 2. docker pause of a container (exec mode): aborted after
#    plm_docker_pause_timeout; once unpaused, its processes end by themselves.
case_container_paused() {
    local t0
    MSG='' LEFT=''
    start_job --mca plm_docker_pause_timeout "$PAUSE_S" -np 3 --host "$ALL" ring --sleep 60
    job_going 3 || return
    t0=$(od_now)
    _pause "${C[2]}" || { kill -KILL "$JPID"; wait_pid_exit "$JPID" 10; return; }
    await_exit "$t0" $((PAUSE_S + 10)) \
        && message_names "container \"$(re_quote "${C[2]}")\".*has been paused for $PAUSE_S seconds"
    od_docker unpause "${C[2]}" >/dev/null 2>&1
    count_left on_host - "${C[@]}"
    record container-paused 13
}

# 3. The same with job-owned containers: they and the network are removed,
#    paused or not.
case_jobc_paused() {
    local t0 label="ompi-docker.case=$IT_RUNID-paused" victim
    MSG='' LEFT=''
    start_job --mca plm_docker_image "$IT_IMAGE" --mca plm_docker_labels "$IT_LABEL,$label" \
        --mca plm_docker_pause_timeout "$PAUSE_S" --mca ras_docker_containers 2 -np 2 ring --sleep 60
    job_going 2 || return
    victim=$(od_docker ps -q --filter "label=$label" | head -n 1)
    [ -n "$victim" ] || { fail "no job container found"; return; }
    victim=$(od_docker inspect -f '{{.Name}}' "$victim")
    victim=${victim#/}
    t0=$(od_now)
    _pause "$victim" || { kill -KILL "$JPID"; wait_pid_exit "$JPID" 10; return; }
    await_exit "$t0" $((PAUSE_S + 15)) \
        && message_names "container \"$(re_quote "$victim")\".*has been paused"
    count_left on_host "$label"
    record jobc-container-paused 18
}

# 4. orted killed (SIGKILL) inside its container.
case_orted_killed() {
    local t0
    MSG='' LEFT=''
    start_job -np 3 --host "$ALL" ring --sleep 30
    job_going 3 || return
    t0=$(od_now)
    # shellcheck disable=SC2016  # expanded by the container's shell
    od_docker exec "${C[0]}" sh -c \
        'n=0; for p in /proc/[0-9]*; do
             if [ "$(cat "$p/comm")" = orted ]; then kill -KILL "${p#/proc/}" && n=$((n + 1)); fi
         done; [ "$n" -gt 0 ]' \
        || fail "could not kill orted in ${C[0]}"
    await_exit "$t0" 15 && message_names "$(re_quote "$(c_hostname "${C[0]}")")|$(re_quote "${C[0]}")"
    count_left on_host - "${C[@]}"
    record orted-killed 15
}

# 5. A rank exits with code 3 without MPI_Finalize.
case_rank_fails() {
    local t0
    MSG='' LEFT=''
    t0=$(od_now)
    start_job -np 3 --host "$ALL" ring --fail-rank 1
    await_exit "$t0" 30 && message_names 'rank 1 exits with code 3'
    count_left on_host - "${C[@]}"
    record rank-fails 30
}

# 6-7. The engine restarted (dockerd SIGTERM, then started again): its
#    containers stop with it, so the job ends; the holders are started again
#    afterwards. Private engine of the run.
PD_C=("$IT_PREFIX-p1" "$IT_PREFIX-p2")
PD_NET=$IT_PREFIX-pnet

_restart_case() {
    local when=$1 bound=30 t0 i
    MSG='' LEFT=''
    pd_ready || return
    if [ "$when" = mid-job ]; then
        start_job --mca plm_docker_host "unix://$PD_SOCK" -np 2 --host "$(it_hosts "${PD_C[@]}")" \
            ring --sleep 60
        job_going 2 || return
    else
        # As soon as the first daemon's exec exists (mpirun is launching).
        start_job --mca plm_docker_host "unix://$PD_SOCK" -np 2 --host "$(it_hosts "${PD_C[@]}")" \
            ring
        for ((i = 0; i < 200; i++)); do
            [ "$(pd inspect -f '{{len .ExecIDs}}' "${PD_C[0]}" 2>/dev/null)" -gt 0 ] 2>/dev/null && break
            sleep 0.05
        done
    fi
    t0=$(od_now)
    pd_daemon_stop
    pd_daemon_start || fail "the private engine did not come back: $PD_WHY"
    await_exit "$t0" "$bound"
    if [ "$when" = mid-job ]; then
        message_names "$(re_quote "${PD_C[0]}")|$(re_quote "${PD_C[1]}")"
    elif [ "$EXIT_RC" = 0 ]; then
        # The job beat the restart: not a fault case; say so.
        note "the job ended before the engine stopped"
    else
        message_names "$(re_quote "unix://$PD_SOCK")|$(re_quote "${PD_C[0]}")|$(re_quote "${PD_C[1]}")"
    fi
    restart_holders on_pd "${PD_C[@]}"
    count_left on_pd - "${PD_C[@]}"
    record "engine-restart-$when" "$bound"
}
case_restart_mid_job() { _restart_case mid-job; }
case_restart_mid_launch() { _restart_case mid-launch; }

it_at_exit pd_stop
pd_start || echo "private engine not ready: $PD_WHY"

run_case "1: container killed mid-job" case_container_killed
run_case "2: container paused mid-job" case_container_paused
run_case "3: job-owned container paused mid-job" case_jobc_paused
run_case "4: orted killed mid-job" case_orted_killed
run_case "5: a rank fails" case_rank_fails
run_case "6: engine restarted mid-job" case_restart_mid_job
run_case "7: engine restarted mid-launch" case_restart_mid_launch

pd_stop
case_end
printf '%s\n' "${FAULTS[@]}"
it_summary
