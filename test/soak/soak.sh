#!/bin/bash
# test/soak/soak.sh [--jobs N] [--every K] [--keep]
#
# Soak test of plm docker / ras docker: N consecutive mpirun jobs (default
# 500) in a fixed rotation of five kinds, then a summary; zero leaks wanted.
# Run as root, on demand (far too long for scripts/check.sh). See
# test/soak/README.md for what it measures and the figures of a run.
#
#   a  exec mode, success:   -np 4 --host c1,c2,c3,c4 ring
#   b  exec mode, failure:   the same with ring --fail-rank 1 (exit non-zero)
#   c  exec mode, bad input: --host c1,<no such container> (exit non-zero,
#                            the message names it)
#   d  job-owned, success:   plm_docker_image <test image> plm_docker_pull
#                            never ras_docker_containers 2, -np 2 ring
#   e  job-owned, failure:   the same with ring --fail-rank 1
#
# Set-up: test/integration/lib.sh (it_setup 4): the test image, an
# --internal network and 4 holder containers, all labelled
# ompi-docker.test=<run>; every job-owned job adds that label and one of
# its own (ompi-docker.soakjob=<run>-<job>) through plm_docker_labels.
# Every mpirun runs under sandbox.sh --no-dns and under runstat (its exit
# status, wall time, peak RSS = VmHWM, dockerd's CPU during the job), with
# SOAK_MARK=<run> in its environment: every host process a job leaves
# (mpirun, the reaper, ...) carries it, so the leftover check and the
# clean-up find exactly ours.
#
# After every job-owned job: no container or network with the job's label.
# At the start, every K (50) jobs and at the end, a checkpoint line:
#   - containers / networks with the run's label beyond the 4 holders and
#     the network (want 0),
#   - exec sessions of the holders (their ExecIDs, /exec/ID/json) still
#     Running (want 0),
#   - processes in the holders other than init and sleep (docker top,
#     want 0), host processes carrying SOAK_MARK (want 0); both polled for
#     up to 10 s after the last job,
#   - dockerd's RSS and open fds (the engine outlives the jobs: a leak per
#     job would show there). The fds are counted without the files of
#     containers that are not ours and without connections of live clients
#     (another user of the engine), after waiting (15 s; 180 s at the last
#     checkpoint) for dockerd to close the connections whose client is gone:
#     dockerd keeps the attach connections of a job (exec start, container
#     attach/wait) open after mpirun exited, for up to ~2 minutes, and
#     closes them in batches. Each such connection is attributed to the job
#     after which it was first seen; the checkpoint prints them by kind,
#   - two probe jobs (exec mode and job-owned, ring --sleep 3) whose
#     mpirun's open fds and VmRSS are sampled mid-job.
# Checks counted at the end (one line each, then "N passed, N failed"):
#   - each checkpoint after jobs ran: nothing left (the four counts above 0),
#   - each kind: every job with its expected exit status and output,
#   - job-owned jobs: nothing left after any of them,
#   - the probes: each exited 0 and was sampled,
#   - growth: probe mpirun fds last <= first + 2 (each mode); mpirun peak
#     RSS per kind: median of the last 10 jobs <= median of the first 10
#     * 1.05 + 1 MiB; dockerd fds at the end (least of 5 samples over 2 s)
#     <= start + 5; dockerd RSS at the end <= start + 64 MiB; none of the
#     connections our jobs left is still open 180 s after the last job.
# Exit status non-zero when a check failed. Everything of the run (by
# label, and processes by SOAK_MARK) is removed on every exit path.
#
#   --jobs N    number of jobs (default 500)
#   --every K   checkpoint every K jobs (default 50)
#   --keep      keep the run directory (outputs of failed jobs are kept anyway)
#   SOAK_JOB_TIMEOUT  bound of one job in seconds (default 120)
#   SOAK_SLOW         a job that took longer (default 8 s) but exited as
#                     expected is reported as SLOW and its output kept

set -u

JOBS=500
EVERY=50
while [ $# -gt 0 ]; do
    case $1 in
        --jobs) JOBS=$2; shift 2 ;;
        --every) EVERY=$2; shift 2 ;;
        --keep) export IT_KEEP=1; shift ;;
        -h|--help) sed -n '2,60p' "$0" | sed -e 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "soak.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
[[ $JOBS =~ ^[1-9][0-9]*$ ]] || { echo "soak.sh: --jobs wants a positive number" >&2; exit 2; }
[[ $EVERY =~ ^[1-9][0-9]*$ ]] || { echo "soak.sh: --every wants a positive number" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "soak.sh: run as root" >&2; exit 2; }

IT_RUNID=${IT_RUNID:-soak$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')}
# shellcheck source=test/integration/lib.sh
. "$(cd "$(dirname "$0")/../integration" && pwd)/lib.sh"

TMO=${SOAK_JOB_TIMEOUT:-120}
SLOW=${SOAK_SLOW:-8}
EP=${DOCKER_HOST:-unix:///var/run/docker.sock}
SOCK=/var/run/docker.sock
case $EP in unix://*) SOCK=${EP#unix://} ;; esac

CUR_PID=        # the runstat (or probe mpirun) running now
PASSED=0
FAILED=0
CHECK_LINES=()

check() { # check OK|FAIL TEXT
    if [ "$1" = ok ]; then PASSED=$((PASSED + 1)); CHECK_LINES+=("PASS $2")
    else FAILED=$((FAILED + 1)); CHECK_LINES+=("FAIL $2"); fi
}

# marked_procs: "PID COMM" of every host process carrying SOAK_MARK=<run>.
marked_procs() {
    local f p
    for f in $(grep -lzx "SOAK_MARK=$IT_RUNID" /proc/[0-9]*/environ 2>/dev/null); do
        p=${f#/proc/}; p=${p%/environ}
        [ "$p" = "$$" ] && continue
        printf '%s %s\n' "$p" "$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | cut -c1-150)"
    done
}

soak_cleanup() {
    local rc=$? p i
    trap - EXIT INT TERM
    if [ -n "$CUR_PID" ]; then
        kill -TERM -- "-$CUR_PID" 2>/dev/null || kill -TERM "$CUR_PID" 2>/dev/null
        for ((i = 0; i < 60; i++)); do kill -0 "$CUR_PID" 2>/dev/null || break; sleep 0.1; done
    fi
    for p in $(marked_procs | awk '{ print $1 }'); do kill -KILL "$p" 2>/dev/null; done
    IT_FAILED=$FAILED
    it_cleanup
    return $rc
}

# ---------------------------------------------------------------- set-up

T_START=$(od_now)
it_setup 4
trap soak_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

IMG=$IT_IMAGE
C=("${IT_CONTAINERS[@]}")
HOSTS=$(it_hosts)
BAD=$IT_PREFIX-nosuch
WORK=$IT_RUNDIR/work
mkdir -p "$WORK" || od_die "cannot make $WORK"
cd "$WORK" || od_die "cannot enter $WORK"
RUNSTAT=$IT_RUNDIR/runstat
cc -O2 -Wall -o "$RUNSTAT" "$IT_TOP/test/bench/runstat.c" || od_die "cannot build runstat"
JOBS_TSV=$IT_RUNDIR/jobs.tsv     # n kind rc ok wall hwm_kb dockerd_cpu
CP_TSV=$IT_RUNDIR/checkpoints.tsv
: >"$JOBS_TSV"
: >"$CP_TSV"
HOLDER_IDS=$(for c in "${C[@]}"; do c_id "$c"; done)
NET_ID=$(od_docker network inspect -f '{{.Id}}' "$IT_NET")

dockerd_pid() {
    local p
    p=$(ss -xlpn 2>/dev/null | awk -v s="$SOCK" '$5 == s' | grep -o 'dockerd",pid=[0-9]*' | head -n 1 | cut -d= -f2)
    [ -n "$p" ] || p=$(pidof dockerd | awk '{ print $1 }')
    echo "$p"
}
DOCKERD=$(dockerd_pid)
[ -n "$DOCKERD" ] || od_die "no dockerd pid"
# dockerd's fds, raw and "ours": without the files of containers that are
# not ours (another user of the engine may start and stop containers while
# the soak runs) and without connections on the socket from a live client
# (none is ours at a checkpoint). Connections whose client is gone (peer
# inode 0) are counted: a leak of ours would look like that.
OTHERS_FILE=$IT_RUNDIR/other-containers
dockerd_fds() { # prints "RAW OURS DEAD"
    local raw other live dead
    od_docker ps -aq --no-trunc | grep -vxF -f <(printf '%s\n' "$HOLDER_IDS") | grep . >"$OTHERS_FILE"
    raw=$(find "/proc/$DOCKERD/fd" -mindepth 1 -maxdepth 1 -printf '%l\n' 2>/dev/null) || return 1
    other=$(grep -cF -f "$OTHERS_FILE" <<<"$raw")
    [ -s "$OTHERS_FILE" ] || other=0
    read -r live dead < <(ss -axp 2>/dev/null | grep "pid=$DOCKERD," |
        awk -v s="$SOCK" '$5 == s && $2 == "ESTAB" { if ($8 == 0) d++; else l++ } END { print l + 0, d + 0 }')
    raw=$(grep -c . <<<"$raw")
    echo "$raw $((raw - other - live)) $dead"
}
# sock_conns: "INODE live|dead" of dockerd's connections on the socket (its
# side's inode; dead: the client's end is gone).
sock_conns() {
    ss -axp 2>/dev/null | grep "pid=$DOCKERD," |
        awk -v s="$SOCK" '$5 == s && $2 == "ESTAB" { print $6, ($8 == 0 ? "dead" : "live") }'
}
CONN_ORIGIN=$IT_RUNDIR/conn-origin   # "INODE JOB KIND" of connections found dead right after a job
: >"$CONN_ORIGIN"
# origin_of INODE...: "kind:count ..." of the jobs after which they were first seen dead.
origin_of() {
    [ $# -gt 0 ] || return 0
    printf '%s\n' "$@" | awk 'NR == FNR { k[$1] = $3; next } { c[($1 in k) ? k[$1] : "?"]++ }
        END { for (x in c) printf "%s:%d ", x, c[x] }' "$CONN_ORIGIN" -
}

# dockerd_stats [HALF_SECONDS]: "RSS_KB RAW_FDS OURS_FDS DEAD DRAIN_SECS":
# first until no connection with a gone client is left (at most
# HALF_SECONDS/2 s, default 15: DEAD the count at the start, DRAIN_SECS the
# time it took, -1 if some stayed; DEAD_AT_CP and DEAD_LEFT their inodes),
# then the least of 5 samples over 2 s.
dockerd_stats() {
    local rss f r o t0 i raw=999999 ours=999999 dead0 drain=-1
    t0=$(od_now)
    read -r _ _ dead0 < <(dockerd_fds)
    DEAD_AT_CP=$(sock_conns | awk '$2 == "dead" { print $1 }' | tr '\n' ' ')
    for ((i = 0; i < ${1:-30}; i++)); do
        read -r _ _ f < <(dockerd_fds)
        if [ "$f" = 0 ]; then drain=$(od_elapsed "$t0"); break; fi
        sleep 0.5
    done
    DEAD_LEFT=$(sock_conns | awk '$2 == "dead" { print $1 }' | tr '\n' ' ')
    for ((i = 0; i < 5; i++)); do
        read -r r o _ < <(dockerd_fds)
        [ "$r" -lt "$raw" ] && raw=$r
        [ "$o" -lt "$ours" ] && ours=$o
        [ "$i" -lt 4 ] && sleep 0.5
    done
    rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$DOCKERD/status")
    echo "$rss $raw $ours $dead0 $drain"
}

echo "soak $IT_RUNID: $JOBS jobs, checkpoint every $EVERY, image $IMG, holders ${C[*]##*-}, dockerd pid $DOCKERD"
echo "mpirun: $(command -v mpirun) ($(mpirun --version 2>&1 | head -n 1)); job bound ${TMO}s"

# ------------------------------------------------------------------ jobs

kind_args() { # kind_args KIND N: into JOB_ARGS, JOB_EXPECT (ok|fail), JOB_RE
    local jl="$IT_LABEL,ompi-docker.soakjob=$IT_RUNID-$2"
    local jc=(--mca plm_docker_image "$IMG" --mca plm_docker_pull never
              --mca ras_docker_containers 2 --mca plm_docker_labels "$jl")
    case $1 in
        a) JOB_ARGS=(-np 4 --host "$HOSTS" ring); JOB_EXPECT=ok; JOB_RE='ring ok: sum=10$' ;;
        b) JOB_ARGS=(-np 4 --host "$HOSTS" ring --fail-rank 1); JOB_EXPECT=fail
           JOB_RE='ring: rank 1 exits with code 3' ;;
        c) JOB_ARGS=(-np 2 --host "${C[0]},$BAD" ring); JOB_EXPECT=fail; JOB_RE=$BAD ;;
        d) JOB_ARGS=("${jc[@]}" -np 2 ring); JOB_EXPECT=ok; JOB_RE='ring ok: sum=3$' ;;
        e) JOB_ARGS=("${jc[@]}" -np 2 ring --fail-rank 1); JOB_EXPECT=fail
           JOB_RE='ring: rank 1 exits with code 3' ;;
    esac
}

JOBC_LEFT=0    # job-owned jobs that left a container or network
run_job() { # run_job N KIND
    local n=$1 kind=$2 out=$IT_RUNDIR/job.$1.out st rc wall hwm dcpu ok=1 why=() left
    kind_args "$kind" "$n"
    sock_conns | awk '{ print $1 }' >"$IT_RUNDIR/conns.pre"
    SOAK_MARK=$IT_RUNID "$RUNSTAT" -o "$out" -T "$TMO" -w "$DOCKERD" -- \
        "$IT_DIR/sandbox.sh" --no-dns -- \
        mpirun --allow-run-as-root --mca plm docker "${JOB_ARGS[@]}" >"$out.stat" 2>&1 </dev/null &
    CUR_PID=$!
    wait "$CUR_PID"
    CUR_PID=
    local newdead
    newdead=$(sock_conns | awk '$2 == "dead" { print $1 }' | grep -vxF -f "$IT_RUNDIR/conns.pre")
    [ -n "$newdead" ] && sed -e "s/\$/ $n $kind/" <<<"$newdead" >>"$CONN_ORIGIN"
    st=$(tail -n 1 "$out.stat")
    rc=$(sed -n 's/.*\brc=\([0-9-]*\).*/\1/p' <<<"$st")
    wall=$(sed -n 's/.*\bwall=\([0-9.]*\).*/\1/p' <<<"$st")
    hwm=$(sed -n 's/.*\bhwm_kb=\([0-9-]*\).*/\1/p' <<<"$st")
    dcpu=$(sed -n 's/.*\bwatch_cpu=\([0-9.-]*\).*/\1/p' <<<"$st")
    [ -n "$rc" ] || { rc=-1; why+=("runstat: $(head -c 300 "$out.stat")"); }
    if [ "$JOB_EXPECT" = ok ] && [ "$rc" != 0 ]; then
        ok=0; why+=("exit $rc, want 0")
    elif [ "$JOB_EXPECT" = fail ] && { [ "$rc" = 0 ] || [ "$rc" = 124 ] || [ "$rc" -ge 128 ]; }; then
        ok=0; why+=("exit $rc, want 1..127 but not 124")
    fi
    if [ "$kind" = c ] && awk -v a="${wall:-999}" 'BEGIN { exit !(a > 30) }'; then
        ok=0; why+=("took ${wall}s, more than 30s")
    fi
    if ! grep -qE -- "^\[\+[0-9.]+\] .*$JOB_RE" "$out"; then
        ok=0; why+=("output does not match /$JOB_RE/")
    fi
    case $kind in d|e)
        left=$(labelled_objects "ompi-docker.soakjob=$IT_RUNID-$n")
        if [ -n "$left" ]; then
            JOBC_LEFT=$((JOBC_LEFT + 1)); ok=0
            why+=("left: $(tr '\n' ';' <<<"$left")")
            dkr_remove_labelled "ompi-docker.soakjob=$IT_RUNID-$n"
        fi ;;
    esac
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$n" "$kind" "$rc" "$ok" "${wall:-0}" "${hwm:--1}" "${dcpu:-0}" "$(grep -c . <<<"$newdead")" >>"$JOBS_TSV"
    if [ "$ok" = 1 ] && awk -v a="${wall:-0}" -v b="$SLOW" 'BEGIN { exit !(a > b) }'; then
        # kept: runstat's timestamped lines show where the time went
        printf 'SLOW job %s (%s): %ss, exit %s as expected; output kept in %s\n' "$n" "$kind" "$wall" "$rc" "$out"
    elif [ "$ok" = 1 ]; then
        rm -f "$out" "$out.stat"
    else
        printf 'FAIL job %s (%s): %s\n' "$n" "$kind" "$(IFS=';'; echo "${why[*]}")"
        printf '    | %s\n' "$(cat "$out.stat")"
        tail -n 15 "$out" | sed -e 's/^/    | /'
    fi
}

# ------------------------------------------------------------- checkpoints

# probe MODE TAG: a longer job (ring --sleep 3) in the background; once rank
# 0 printed "ring ok", mpirun's open fds and VmRSS. Sets PROBE_FDS PROBE_RSS
# (-1 when not sampled) and PROBE_OK.
probe() {
    local mode=$1 tag=$2 out=$IT_RUNDIR/probe.$2.$1.out args pid mp i rc
    if [ "$mode" = exec ]; then
        args=(-np 4 --host "$HOSTS" ring --sleep 3)
    else
        args=(--mca plm_docker_image "$IMG" --mca plm_docker_pull never --mca ras_docker_containers 2
              --mca plm_docker_labels "$IT_LABEL,ompi-docker.soakjob=$IT_RUNID-probe$tag" -np 2 ring --sleep 3)
    fi
    : >"$out"
    SOAK_MARK=$IT_RUNID setsid "$IT_DIR/sandbox.sh" --no-dns -- \
        timeout -k 5 "$TMO" mpirun --allow-run-as-root --mca plm docker "${args[@]}" >"$out" 2>&1 </dev/null &
    pid=$!
    CUR_PID=$pid
    PROBE_FDS=-1 PROBE_RSS=-1 PROBE_OK=0
    if wait_for_lines "$out" '^ring ok' 1 60 "$pid"; then
        mp=
        for ((i = 0; i < 20; i++)); do
            mp=$(marked_procs | awk '$2 == "mpirun" || $2 ~ /\/mpirun$/ { print $1; exit }')
            [ -n "$mp" ] && break
            sleep 0.05
        done
        if [ -n "$mp" ]; then
            PROBE_FDS=$(find "/proc/$mp/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
            PROBE_RSS=$(awk '/^VmRSS:/ { print $2 }' "/proc/$mp/status" 2>/dev/null)
        fi
    fi
    wait "$pid"
    rc=$?
    CUR_PID=
    if [ "$rc" = 0 ] && [ "$PROBE_FDS" -gt 0 ] && grep -q '^ring ok' "$out"; then
        PROBE_OK=1
        rm -f "$out"
    else
        printf 'FAIL probe %s at %s: exit %s, fds %s\n' "$mode" "$tag" "$rc" "$PROBE_FDS"
        tail -n 15 "$out" | sed -e 's/^/    | /'
    fi
    if [ "$mode" = jobc ] && [ -n "$(labelled_objects "ompi-docker.soakjob=$IT_RUNID-probe$tag")" ]; then
        printf 'FAIL probe jobc at %s left: %s\n' "$tag" \
            "$(labelled_objects "ompi-docker.soakjob=$IT_RUNID-probe$tag" | tr '\n' ';')"
        dkr_remove_labelled "ompi-docker.soakjob=$IT_RUNID-probe$tag"
        PROBE_OK=0
    fi
}

# extra_objects: containers and networks with the run's label other than
# the holders and the network ("container ID NAME" / "network ID NAME").
extra_objects() {
    od_docker ps -a --no-trunc --filter "label=$IT_LABEL" --format '{{.ID}} {{.Names}} {{.State}}' |
        grep -vF -f <(printf '%s\n' "$HOLDER_IDS") | sed -e 's/^/container /'
    od_docker network ls --no-trunc --filter "label=$IT_LABEL" --format '{{.ID}} {{.Name}}' |
        grep -vF "$NET_ID" | sed -e 's/^/network /'
}

# exec_state: "LISTED RUNNING" over the holders' ExecIDs; EXEC_RUNNING_IDS.
exec_state() {
    local c id n=0 r=0 st
    EXEC_RUNNING_IDS=
    for c in "${C[@]}"; do
        for id in $(od_docker inspect -f '{{range .ExecIDs}}{{.}} {{end}}' "$c" 2>/dev/null); do
            n=$((n + 1))
            st=$(curl -s --max-time 10 --unix-socket "$SOCK" "http://docker/exec/$id/json" |
                 jq -r '"\(.Running) \(.Pid) \(.ProcessConfig.entrypoint)"' 2>/dev/null)
            if [[ $st == true* ]]; then
                r=$((r + 1)); EXEC_RUNNING_IDS+="${c##*-}:${id:0:12}($st) "
            fi
        done
    done
    echo "$n $r"
}

CP_N=0
checkpoint() { # checkpoint DONE DRAIN_HALF_SECONDS
    local done=$1 t extra ex holder host i ok=1 tag d_rss d_raw d_ours d_dead d_drain
    t=$(od_elapsed "$T_START")
    # leftovers, polled for up to 10 s after the last job
    for ((i = 0; i <= 20; i++)); do
        extra=$(extra_objects)
        ex=$(exec_state)
        holder=$(it_leftovers "${C[@]}")
        host=$(marked_procs)
        [ -z "$extra$holder$host" ] && [ "${ex#* }" = 0 ] && break
        sleep 0.5
    done
    local n_extra n_holder n_host
    n_extra=$(grep -c . <<<"$extra"); n_holder=$(grep -c . <<<"$holder"); n_host=$(grep -c . <<<"$host")
    if [ -n "$extra$holder$host" ] || [ "${ex#* }" != 0 ]; then
        ok=0
        [ -n "$extra" ] && printf '    extra objects:\n%s\n' "$(sed -e 's/^/        /' <<<"$extra")"
        [ "${ex#* }" != 0 ] && printf '    running execs: %s\n' "$EXEC_RUNNING_IDS"
        [ -n "$holder" ] && printf '    processes in holders:\n%s\n' "$(sed -e 's/^/        /' <<<"$holder")"
        [ -n "$host" ] && printf '    host processes of ours:\n%s\n' "$(sed -e 's/^/        /' <<<"$host")"
        # clean, so that the next interval starts from zero
        for i in $(awk '$1 == "container" { print $2 }' <<<"$extra"); do od_docker rm -f "$i" >/dev/null 2>&1; done
        for i in $(awk '$1 == "network" { print $2 }' <<<"$extra"); do od_docker network rm "$i" >/dev/null 2>&1; done
        for i in $(cut -d: -f1 <<<"$holder" | sort -u); do od_docker restart -t 1 "$i" >/dev/null 2>&1; done
        for i in $(awk '{ print $1 }' <<<"$host"); do kill -KILL "$i" 2>/dev/null; done
    fi
    dockerd_stats "$2" >"$IT_RUNDIR/dockerd.stats"
    read -r d_rss d_raw d_ours d_dead d_drain <"$IT_RUNDIR/dockerd.stats"
    tag=$done
    probe exec "$tag"; local pe_fd=$PROBE_FDS pe_rss=$PROBE_RSS pe_ok=$PROBE_OK
    probe jobc "$tag"; local pj_fd=$PROBE_FDS pj_rss=$PROBE_RSS pj_ok=$PROBE_OK
    local ours_left=0
    # shellcheck disable=SC2086
    [ -n "$DEAD_LEFT" ] && [ -s "$CONN_ORIGIN" ] &&
        ours_left=$(printf '%s\n' $DEAD_LEFT | grep -cxF -f <(awk '{ print $1 }' "$CONN_ORIGIN"))
    ours_left=${ours_left:-0}
    local jobs_ok jobs_n
    jobs_n=$(wc -l <"$JOBS_TSV")
    jobs_ok=$(awk -F'\t' '$4 == 1' "$JOBS_TSV" | wc -l)
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$done" "$t" "$n_extra" "${ex#* }" \
        "$n_holder" "$n_host" "$d_rss" "$d_ours" "$pe_fd" "$pe_rss" "$pj_fd" "$pj_rss" \
        "$((pe_ok && pj_ok))" "${ex% *}" "$ok" "$d_raw" "$d_dead" "$d_drain" "$ours_left" >>"$CP_TSV"
    printf 'checkpoint %4s/%s t=%6ss | jobs ok %s/%s | extra objects %s, running execs %s (listed %s), holder procs %s, host procs %s | dockerd rss %s MiB fds %s (raw %s; %s gone clients drained in %ss) | probe mpirun exec: fds %s rss %s MiB; jobc: fds %s rss %s MiB\n' \
        "$done" "$JOBS" "$t" "$jobs_ok" "$jobs_n" "$n_extra" "${ex#* }" "${ex% *}" "$n_holder" "$n_host" \
        "$(awk -v k="$d_rss" 'BEGIN { printf "%.1f", k / 1024 }')" "$d_ours" "$d_raw" "$d_dead" "$d_drain" \
        "$pe_fd" "$(awk -v k="$pe_rss" 'BEGIN { printf "%.1f", k / 1024 }')" \
        "$pj_fd" "$(awk -v k="$pj_rss" 'BEGIN { printf "%.1f", k / 1024 }')"
    if [ -n "$DEAD_AT_CP" ]; then
        # shellcheck disable=SC2086  # inode words
        printf '    dockerd connections of gone clients at the checkpoint, by the kind of job after which each was first seen: %s\n' "$(origin_of $DEAD_AT_CP)"
        # shellcheck disable=SC2086
        [ -n "$DEAD_LEFT" ] && printf '    still open after %s s: %s\n' "$(($2 / 2))" "$(origin_of $DEAD_LEFT)"
    fi
    if [ "$done" -gt 0 ]; then
        if [ "$ok" = 1 ]; then check ok "checkpoint $done: nothing left (objects, execs, holder and host processes)"
        else check fail "checkpoint $done: leftovers (extra $n_extra, running execs ${ex#* }, holder procs $n_holder, host procs $n_host)"; fi
    fi
    CP_N=$((CP_N + 1))
}

# ------------------------------------------------------------------ run

KINDS=(a b c d e)
checkpoint 0 30
for ((n = 1; n <= JOBS; n++)); do
    run_job "$n" "${KINDS[(n - 1) % 5]}"
    if [ "$n" -eq "$JOBS" ]; then
        checkpoint "$n" 360     # the last one: up to 180 s for the engine to close them
    elif [ $((n % EVERY)) -eq 0 ]; then
        checkpoint "$n" 30
    fi
done

# --------------------------------------------------------------- summary

echo
echo "summary of $JOBS jobs in $(od_elapsed "$T_START") s (run $IT_RUNID, $(date -u +%FT%TZ)):"
printf '  %-28s %6s %6s %8s %8s %10s %10s %10s %10s\n' kind count fail 'med s' 'max s' 'rss first' 'rss last' 'rss med' 'dockerd s'
declare -A KNAME=([a]="a exec ok" [b]="b exec rank fails" [c]="c exec bad host" [d]="d job-owned ok" [e]="e job-owned rank fails")
rss_growth_bad=()
for k in "${KINDS[@]}"; do
    line=$(awk -F'\t' -v k="$k" '
        function med(a, n,   i, j, t) { for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
                                       return n ? (n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2) : 0 }
        $2 == k { n++; w[n] = $5; if ($8 > 0) dj++; dc += $8; r[n] = $6; h[n] = $6; c[n] = $7; if ($4 != 1) f++; if ($5 > mx) mx = $5; if (n == 1) first = $6; last = $6 }
        END {
            m = (n >= 20) ? 10 : int(n / 2); if (m < 1) m = 1
            for (i = 1; i <= m; i++) { fa[i] = h[i]; la[i] = h[n - m + i] }
            mf = med(fa, m); ml = med(la, m)
            printf "%d %d %.2f %.2f %d %d %d %.2f %d %d %d %d\n", n, f, med(w, n), mx, first, last, med(r, n), med(c, n), mf, ml, dj, dc
        }' "$JOBS_TSV")
    read -r cnt fl medw mx first last medr medc mf ml dj dc <<<"$line"
    printf '  %-28s %6s %6s %8s %8s %10s %10s %10s %10s\n' "${KNAME[$k]}" "$cnt" "$fl" "$medw" "$mx" \
        "${first}k" "${last}k" "${medr}k" "$medc"
    if [ "$cnt" -gt 0 ] && [ "$fl" -eq 0 ]; then check ok "kind ${KNAME[$k]}: all $cnt jobs with the expected exit status and output"
    else check fail "kind ${KNAME[$k]}: $fl of $cnt jobs with an unexpected exit status or output"; fi
    if [ "$cnt" -gt 0 ] && [ "$ml" -gt $((mf * 105 / 100 + 1024)) ]; then rss_growth_bad+=("$k: ${mf}k -> ${ml}k"); fi
    echo "    dockerd connections left open by a gone client right after the job: after $dj of $cnt jobs, $dc in all"
    echo "    mpirun peak RSS $k: median of first vs last $([ "$cnt" -ge 20 ] && echo 10 || echo $((cnt / 2))) jobs: ${mf}k -> ${ml}k"
done
if [ "$JOBC_LEFT" -eq 0 ]; then check ok "job-owned jobs: no container or network left after any of them"
else check fail "job-owned jobs: $JOBC_LEFT left a container or network"; fi
if [ ${#rss_growth_bad[@]} -eq 0 ]; then check ok "mpirun peak RSS: no growth (median last 10 <= median first 10 * 1.05 + 1 MiB, each kind)"
else check fail "mpirun peak RSS grew: ${rss_growth_bad[*]}"; fi

# first/last checkpoint rows
read -r -a CP0 <<<"$(head -n 1 "$CP_TSV" | tr '\t' ' ')"
read -r -a CPL <<<"$(tail -n 1 "$CP_TSV" | tr '\t' ' ')"
probes_bad=$(awk -F'\t' '$13 != 1' "$CP_TSV" | wc -l)
if [ "$probes_bad" -eq 0 ]; then check ok "probes: all $((2 * CP_N)) exited 0 and were sampled"
else check fail "probes: $probes_bad checkpoints with a failed probe"; fi
echo "  mpirun open fds mid-job (probe, exec mode): first ${CP0[8]}, last ${CPL[8]}, growth $((CPL[8] - CP0[8])); all: $(cut -f9 "$CP_TSV" | tr '\n' ' ')"
echo "  mpirun open fds mid-job (probe, job-owned): first ${CP0[10]}, last ${CPL[10]}, growth $((CPL[10] - CP0[10])); all: $(cut -f11 "$CP_TSV" | tr '\n' ' ')"
echo "  mpirun VmRSS mid-job (probe, exec/job-owned): first ${CP0[9]}k/${CP0[11]}k, last ${CPL[9]}k/${CPL[11]}k"
echo "  dockerd (pid $DOCKERD) fds (ours): start ${CP0[7]}, end ${CPL[7]}, growth $((CPL[7] - CP0[7])); all: $(cut -f8 "$CP_TSV" | tr '\n' ' ')"
echo "  dockerd fds (raw, with other users' containers and clients): $(cut -f16 "$CP_TSV" | tr '\n' ' ')"
echo "  dockerd connections with a gone client at each checkpoint / seconds to drain: $(cut -f17,18 "$CP_TSV" | tr '\t\n' '/ ')"
echo "  of those still open after the wait (15 s; 180 s at the end), first seen dead after one of our jobs: $(cut -f19 "$CP_TSV" | tr '\n' ' ')"
if [ "${CPL[18]}" -eq 0 ]; then check ok "dockerd: every connection our jobs left (client gone) closed by the end (within 180 s)"
else check fail "dockerd: ${CPL[18]} connections our jobs left (client gone) still open 180 s after the last job"; fi
echo "  dockerd RSS: start ${CP0[6]}k, end ${CPL[6]}k, growth $((CPL[6] - CP0[6]))k; all (MiB): $(awk -F'\t' '{ printf "%.0f ", $7 / 1024 }' "$CP_TSV")"
echo "  holder exec records listed (ExecIDs): $(cut -f14 "$CP_TSV" | tr '\n' ' ')"
if [ "${CPL[8]}" -ge 0 ] && [ "${CPL[8]}" -le $((CP0[8] + 2)) ]; then check ok "mpirun fds mid-job, exec mode: ${CP0[8]} -> ${CPL[8]} (tolerance +2)"
else check fail "mpirun fds mid-job, exec mode: ${CP0[8]} -> ${CPL[8]} (tolerance +2)"; fi
if [ "${CPL[10]}" -ge 0 ] && [ "${CPL[10]}" -le $((CP0[10] + 2)) ]; then check ok "mpirun fds mid-job, job-owned: ${CP0[10]} -> ${CPL[10]} (tolerance +2)"
else check fail "mpirun fds mid-job, job-owned: ${CP0[10]} -> ${CPL[10]} (tolerance +2)"; fi
if [ "${CPL[7]}" -le $((CP0[7] + 5)) ]; then check ok "dockerd fds: ${CP0[7]} -> ${CPL[7]} (tolerance +5)"
else check fail "dockerd fds: ${CP0[7]} -> ${CPL[7]} (tolerance +5)"; fi
# (fds: without other users' containers and live clients, after draining)
if [ "${CPL[6]}" -le $((CP0[6] + 65536)) ]; then check ok "dockerd RSS: ${CP0[6]}k -> ${CPL[6]}k (tolerance +64 MiB)"
else check fail "dockerd RSS: ${CP0[6]}k -> ${CPL[6]}k (tolerance +64 MiB)"; fi

echo
printf '%s\n' "${CHECK_LINES[@]}"
printf '%s passed, %s failed\n' "$PASSED" "$FAILED"
[ "$FAILED" -eq 0 ]
