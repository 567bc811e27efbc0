#!/bin/bash
# IT_RUNTIMES: orte
# shellcheck disable=SC2119,SC2120  # helpers with optional arguments
# plm docker inside a Slurm allocation, on a real single-machine Slurm
# (Debian 12's slurm-wlm 22.05): a private munged, slurmctld and one slurmd
# per node (slurmd -N NAME: Debian's slurmd runs several per host), nodes
# n1..n$SL_NODES all on this host, every daemon on ports, files and a munge
# socket of this run's own ($IT_RUNDIR/slurm, SLURM_CONF), stopped by pid at
# exit. No system service is touched.
#
# What is checked: salloc -N k + mpirun --mca plm_docker_image IMG makes the
# allocation Slurm's (ras slurm: nodes n1..nk, their CPUs as slots), one
# job-owned container per allocated node (through plm_docker_host: on one
# machine every node's engine is this host's), the ranks spread over them,
# and nothing left afterwards (containers, the per-job network); the
# cancellation of a running job (salloc -K, sbatch) ends mpirun, and its
# containers go.
#
# Skips (exit 0, "SKIP test_slurm: REASON", "0 passed, 0 failed") when slurm-wlm or munge is not
# installed (apt-get install slurmd slurmctld slurm-client munge; Debian's
# postinst starts no service where policy-rc.d or the lack of systemd stops
# it), when not root, or when the daemons do not come up (their logs shown).
#
# Environment: SL_NODES (default 2), SL_CPUS (CPUs per node, default 2), and
# those of test/integration/lib.sh (IT_ONLY, IT_KEEP, ...).

for tool in salloc sbatch scancel squeue sinfo slurmctld slurmd munged; do
    if ! command -v "$tool" >/dev/null 2>&1 && ! [ -x "/usr/sbin/$tool" ]; then
        printf 'SKIP test_slurm: %s not installed (apt-get install slurmd slurmctld slurm-client munge)\n' "$tool"
        printf '1 skipped\n0 passed, 0 failed\n'
        exit 0
    fi
done
if [ "$(id -u)" -ne 0 ]; then
    printf 'SKIP test_slurm: needs root (slurmd runs as root)\n1 skipped\n0 passed, 0 failed\n'
    exit 0
fi

# shellcheck source=test/integration/lib.sh
. "$(dirname "$0")/../integration/lib.sh"

it_setup 0

PATH=$PATH:/usr/sbin
IMG=$IT_IMAGE
SL_NODES=${SL_NODES:-2}
SL_CPUS=${SL_CPUS:-2}
SL_DIR=$IT_RUNDIR/slurm
SL_PIDS=()   # munged, slurmctld, slurmd... as started
WORK=$IT_RUNDIR/work
mkdir -p "$WORK" "$SL_DIR"/{state,log,spool} || od_die "cannot make $SL_DIR"
cd "$WORK" || od_die "cannot enter $WORK"

# ---------------------------------------------------------------- Slurm

# sl_free_ports N: prints a base port B such that B..B+N-1 are not listened on.
sl_free_ports() {
    local n=$1 b p ok i
    for ((i = 0; i < 50; i++)); do
        b=$((20000 + RANDOM % 20000))
        ok=1
        for ((p = b; p < b + n; p++)); do
            [ -z "$(ss -Hltn "sport = :$p" 2>/dev/null)" ] || { ok=0; break; }
        done
        [ "$ok" = 1 ] && { echo "$b"; return 0; }
    done
    return 1
}

# sl_pid FILE: the pid in FILE, once it is there (10 s).
sl_pid() {
    local i
    for ((i = 0; i < 100; i++)); do
        [ -s "$1" ] && { cat "$1"; return 0; }
        sleep 0.1
    done
    return 1
}

sl_up() {
    local host base n pid i state
    host=$(hostname -s)
    base=$(sl_free_ports $((2 + SL_NODES))) || { echo "no free ports"; return 1; }
    # munge: a key of its own, a socket of its own (AuthInfo below)
    head -c 1024 /dev/urandom >"$SL_DIR/munge.key" && chmod 400 "$SL_DIR/munge.key" || return 1
    munged --socket="$SL_DIR/munge.sock" --key-file="$SL_DIR/munge.key" \
        --pid-file="$SL_DIR/munged.pid" --log-file="$SL_DIR/log/munged.log" \
        --seed-file="$SL_DIR/munge.seed" --force || { echo "munged did not start"; return 1; }
    pid=$(sl_pid "$SL_DIR/munged.pid") || { echo "munged wrote no pid"; return 1; }
    SL_PIDS+=("$pid")
    {
        echo "ClusterName=odt$IT_RUNID"
        echo "SlurmctldHost=$host(127.0.0.1)"
        echo "SlurmctldPort=$base"
        echo "SlurmdPort=$((base + 1))"
        echo "AuthType=auth/munge"
        echo "AuthInfo=socket=$SL_DIR/munge.sock"
        echo "CredType=cred/munge"
        echo "SlurmUser=root"
        echo "SlurmdUser=root"
        echo "StateSaveLocation=$SL_DIR/state"
        echo "SlurmdSpoolDir=$SL_DIR/spool/%n"
        echo "SlurmctldPidFile=$SL_DIR/slurmctld.pid"
        echo "SlurmdPidFile=$SL_DIR/slurmd-%n.pid"
        echo "SlurmctldLogFile=$SL_DIR/log/slurmctld.log"
        echo "SlurmdLogFile=$SL_DIR/log/slurmd-%n.log"
        echo "PlugStackConfig=$SL_DIR/plugstack.conf"
        echo "MailProg=/bin/true"
        echo "ProctrackType=proctrack/linuxproc"
        echo "TaskPlugin=task/none"
        echo "JobAcctGatherType=jobacct_gather/none"
        echo "AccountingStorageType=accounting_storage/none"
        echo "JobCompType=jobcomp/none"
        echo "SchedulerType=sched/builtin"
        echo "SelectType=select/cons_tres"
        echo "SelectTypeParameters=CR_Core"
        echo "MpiDefault=none"
        echo "ReturnToService=2"
        echo "InactiveLimit=0"
        echo "KillWait=5"
        echo "MinJobAge=5"
        for ((i = 1; i <= SL_NODES; i++)); do
            echo "NodeName=n$i NodeHostname=$host NodeAddr=127.0.0.1 Port=$((base + 1 + i)) CPUs=$SL_CPUS RealMemory=100 State=UNKNOWN"
        done
        echo "PartitionName=odt Nodes=n[1-$SL_NODES] Default=YES MaxTime=10 State=UP"
    } >"$SL_DIR/slurm.conf"
    : >"$SL_DIR/plugstack.conf"
    export SLURM_CONF=$SL_DIR/slurm.conf
    slurmctld -f "$SLURM_CONF" -i || { echo "slurmctld did not start"; return 1; }
    pid=$(sl_pid "$SL_DIR/slurmctld.pid") || { echo "slurmctld wrote no pid"; return 1; }
    SL_PIDS+=("$pid")
    for ((i = 1; i <= SL_NODES; i++)); do
        mkdir -p "$SL_DIR/spool/n$i"
        slurmd -f "$SLURM_CONF" -N "n$i" || { echo "slurmd -N n$i did not start"; return 1; }
        pid=$(sl_pid "$SL_DIR/slurmd-n$i.pid") || { echo "slurmd n$i wrote no pid"; return 1; }
        SL_PIDS+=("$pid")
    done
    for ((i = 0; i < 200; i++)); do
        state=$(sinfo -h -o '%D %T' 2>/dev/null)
        [ "$state" = "$SL_NODES idle" ] && return 0
        sleep 0.1
    done
    echo "the nodes are not idle after 20 s: $(sinfo -h -N -o '%N %T' 2>&1 | tr '\n' ' ')"
    return 1
}

# sl_down: stops what sl_up started, by pid (slurmds first), and checks that
# none of them is left; also the job steps (slurmstepd) of its slurmds.
sl_down() {
    local pid i left=() steps
    for ((i = ${#SL_PIDS[@]} - 1; i >= 0; i--)); do
        kill -TERM "${SL_PIDS[$i]}" 2>/dev/null
    done
    for ((i = 0; i < 100; i++)); do
        left=()
        for pid in "${SL_PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && left+=("$pid"); done
        [ ${#left[@]} -eq 0 ] && break
        sleep 0.1
    done
    for pid in "${left[@]}"; do kill -KILL "$pid" 2>/dev/null; done
    # a slurmstepd of this cluster has a file of its spool directory open
    steps=$(pgrep -x slurmstepd 2>/dev/null | while read -r pid; do
        for f in "/proc/$pid/cwd" "/proc/$pid/fd/"*; do
            [[ $(readlink "$f" 2>/dev/null) == "$SL_DIR"/* ]] && { echo "$pid"; break; }
        done; done)
    for pid in $steps; do kill -KILL "$pid" 2>/dev/null; done
    SL_PIDS=()
    [ ${#left[@]} -eq 0 ] && [ -z "$steps" ] ||
        echo "sl_down: had to kill ${left[*]} ${steps}" >&2
}
it_at_exit sl_down

t0=$(od_now)
if ! sl_up >"$SL_DIR/up.log" 2>&1; then
    printf 'SKIP test_slurm: a single-machine Slurm could not be started: %s\n' "$(tr '\n' ' ' <"$SL_DIR/up.log")"
    tail -n 5 "$SL_DIR"/log/*.log 2>/dev/null | sed -e 's/^/    | /'
    printf '1 skipped\n0 passed, 0 failed\n'
    exit 0
fi
printf 'slurm: %s nodes (n1..n%s, %s CPUs each) up in %ss, SLURM_CONF=%s\n' \
    "$SL_NODES" "$SL_NODES" "$SL_CPUS" "$(od_elapsed "$t0")" "$SLURM_CONF"

# ---------------------------------------------------------------- helpers

TAG=
CL=
case_tag() { TAG=$1; CL=ompi-docker.case=$IT_RUNID-$TAG; }
job_labels() {
    local l="$IT_LABEL,$CL"
    [ -n "${OD_SESSION:-}" ] && l="$l,ompi-docker.session=$OD_SESSION"
    echo "$l"
}

# A private component directory of this host in
# OMPI_MCA_mca_base_component_path (a build not installed) reaches the
# ranks through their environment, and a missing directory stops their
# component scan: an empty directory there in the containers.
mkdir -p "$IT_RUNDIR/empty"
MOUNTS=
cp=${OMPI_MCA_mca_base_component_path:-}
for d in ${cp//:/ }; do
    [ -d "$d" ] && [[ $d != /usr/lib/* ]] && MOUNTS="${MOUNTS:+$MOUNTS,}$IT_RUNDIR/empty:$d:ro"
done
JOBC=()
[ -n "$MOUNTS" ] && JOBC=(--mca plm_docker_mounts "$MOUNTS")

# sl_mpirun [--no-plm] SALLOC_ARGS... -- MPIRUN_ARGS...: salloc SALLOC_ARGS
# running mpirun (the tests' sandbox, --mca plm docker unless --no-plm)
# with the image and the case's labels; LAST_* as run_capture.
sl_mpirun() {
    local cmd sa=()
    _it_mpirun_cmd cmd
    if [ "$1" = --no-plm ]; then
        shift
        local c=() i
        for ((i = 0; i < ${#cmd[@]}; i++)); do
            if [ "${cmd[$i]} ${cmd[$i + 1]:-} ${cmd[$i + 2]:-}" = "--mca plm docker" ]; then
                i=$((i + 2))
                continue
            fi
            c+=("${cmd[$i]}")
        done
        cmd=("${c[@]}")
    fi
    while [ "$1" != -- ]; do sa+=("$1"); shift; done
    shift
    run_capture -- salloc "${sa[@]}" "${cmd[@]}" --mca plm_docker_image "$IMG" \
        --mca plm_docker_labels "$(job_labels)" "${JOBC[@]}" "$@"
}

# case_left: containers (any state) and networks of the current case.
case_left() {
    local c n
    c=$(od_docker ps -aq --filter "label=$CL" | wc -l)
    n=$(od_docker network ls -q --filter "label=$CL" | wc -l)
    echo "$((c + n))"
}

# expect_clean [S]: nothing of the case left within S seconds (default 15).
expect_clean() {
    local within=${1:-15} i t0
    t0=$(od_now)
    for ((i = 0; i <= within * 5; i++)); do
        if [ "$(case_left)" = 0 ]; then
            note "nothing left of the job after $(od_elapsed "$t0")s more"
            return 0
        fi
        sleep 0.2
    done
    fail "left after ${within}s: $(od_docker ps -a --filter "label=$CL" --format '{{.Names}} {{.Status}}' | tr '\n' ' ') $(od_docker network ls --filter "label=$CL" --format '{{.Name}}' | tr '\n' ' ')"
}

# expect_ranks NP HOST...: the last output has NP lines "rank R of NP on
# HOST", R = 0..NP-1 once each, NP/#HOST on each HOST (hostname = node name).
expect_ranks() {
    local np=$1 line r h ok=1
    shift
    local -A seen=() per=()
    for h in "$@"; do per[$h]=0; done
    while IFS= read -r line; do
        [[ $line =~ ^rank\ ([0-9]+)\ of\ ([0-9]+)\ on\ (.+)$ ]] || continue
        r=${BASH_REMATCH[1]} h=${BASH_REMATCH[3]}
        [ "${BASH_REMATCH[2]}" = "$np" ] || { fail "rank $r says size ${BASH_REMATCH[2]}"; ok=0; }
        [ -z "${seen[$r]:-}" ] || { fail "rank $r printed twice"; ok=0; }
        seen[$r]=1
        if [ -z "${per[$h]+x}" ]; then fail "rank $r ran on $h, none of $*"; ok=0; continue; fi
        per[$h]=$((${per[$h]} + 1))
    done <"$LAST_OUT"
    for ((r = 0; r < np; r++)); do [ -n "${seen[$r]:-}" ] || { fail "no line from rank $r"; ok=0; }; done
    local map=
    for h in "$@"; do
        map="$map $h=${per[$h]}"
        [ "${per[$h]}" -eq $((np / $#)) ] || { fail "$h ran ${per[$h]} ranks, want $((np / $#))"; ok=0; }
    done
    expect_output '^ring ok' 1 || ok=0
    if [ "$ok" = 1 ]; then note "ranks per node:$map"; else show_output; fi
}

# expect_allocation "NAME SLOTS"...: mpirun's --display-allocation block.
expect_allocation() {
    local got want
    got=$(allocated_nodes | tr '\n' ',')
    want=$(printf '%s,' "$@")
    if [ "$got" = "$want" ]; then note "allocation: ${got%,}"; else fail "allocation '${got%,}', want '${want%,}'"; show_output; fi
}

# expect_containers NODE...: the job made one container per NODE (plm
# verbose: "daemon V goes to container ompi-<tag>-NODE"), and no other.
expect_containers() {
    local got want n
    got=$(grep -oE 'goes to container ompi-[^ ]+' "$LAST_OUT" | sed -e 's/.*-//' | sort | tr '\n' ' ')
    want=$(for n in "$@"; do echo "$n"; done | sort | tr '\n' ' ')
    if [ "$got" = "$want" ]; then note "job-owned containers for: $got"; else fail "containers for '$got', want '$want'"; show_output; fi
}

# ---------------------------------------------------------------- cases

NODES=()
for ((i = 1; i <= SL_NODES; i++)); do NODES+=("n$i"); done
NP=$((SL_NODES * SL_CPUS))

case_alloc() {
    case_tag alloc
    local a=()
    for n in "${NODES[@]}"; do a+=("$n $SL_CPUS"); done
    sl_mpirun -N "$SL_NODES" --ntasks-per-node "$SL_CPUS" -- --display-allocation --mca plm_base_verbose 1 ring
    expect_ok || return
    expect_allocation "${a[@]}"
    expect_containers "${NODES[@]}"
    expect_ranks "$NP" "${NODES[@]}"
    expect_clean
}
run_case "a: salloc -N $SL_NODES: Slurm's nodes, one job-owned container each, $NP ranks, nothing left" case_alloc

case_noplm() {
    case_tag noplm
    sl_mpirun --no-plm -N "$SL_NODES" -- --mca plm_base_verbose 1 --map-by node -np "$SL_NODES" ring
    expect_ok || return
    expect_containers "${NODES[@]}"
    expect_ranks "$SL_NODES" "${NODES[@]}"
    expect_clean
}
run_case "b: without --mca plm: plm_docker_image selects plm docker (80) over plm slurm (75)" case_noplm

case_one() {
    case_tag one
    sl_mpirun -N 1 --ntasks-per-node "$SL_CPUS" -- --display-allocation --mca plm_base_verbose 1 -np "$SL_CPUS" ring
    expect_ok || return
    local node
    node=$(allocated_nodes | awk 'NR == 1 { print $1 }')
    [[ " ${NODES[*]} " == *" $node "* ]] || { fail "allocated '$node'"; show_output; return; }
    expect_allocation "$node $SL_CPUS"
    expect_containers "$node"
    expect_ranks "$SL_CPUS" "$node"
    expect_clean
}
run_case "c: salloc -N 1: one node of $SL_NODES, one container" case_one

case_rasdocker() {
    case_tag rasdocker
    sl_mpirun -N "$SL_NODES" -- --mca ras docker --display-allocation --mca plm_base_verbose 1 -np 2 ring
    expect_ok || return
    expect_allocation "node1 2"
    expect_containers node1
    expect_ranks 2 node1
    expect_clean
}
run_case "d: --mca ras docker inside salloc: the user's choice wins (node1 on the endpoint)" case_rasdocker

# sl_cancel_case TAG WANT_SECS CMD...: runs CMD (a salloc or sbatch of a job
# sleeping 60 s) in the background, waits for the case's containers, scancels
# the Slurm job and expects mpirun gone and nothing of the job left within
# WANT_SECS.
sl_job_id() { squeue -h -o '%i %j' | awk -v n="$1" '$2 == n { print $1; exit }'; }
case_cancel_salloc() {
    case_tag cancel
    local cmd jid i t0 pid
    _it_mpirun_cmd cmd
    IT_N=$((IT_N + 1))
    LAST_OUT=$IT_RUNDIR/out.$IT_N
    setsid salloc -K -J "odt-$IT_RUNID-cancel" -N "$SL_NODES" "${cmd[@]}" --mca plm_docker_image "$IMG" \
        --mca plm_docker_labels "$(job_labels)" "${JOBC[@]}" ring --sleep 60 >"$LAST_OUT" 2>&1 </dev/null &
    pid=$!
    IT_BG_PIDS+=("$pid")
    for ((i = 0; i < 300; i++)); do
        [ "$(od_docker ps -q --filter "label=$CL" | wc -l)" = "$SL_NODES" ] && grep -q '^ring ok' "$LAST_OUT" && break
        sleep 0.1
    done
    jid=$(sl_job_id "odt-$IT_RUNID-cancel")
    if [ -z "$jid" ] || ! grep -q '^ring ok' "$LAST_OUT"; then
        fail "the job did not start (job id '$jid')"; show_output; return
    fi
    t0=$(od_now)
    scancel "$jid"
    for ((i = 0; i < 150; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then fail "salloc -K still runs 15 s after scancel"; show_output; return; fi
    note "salloc -K ended $(od_elapsed "$t0")s after scancel"
    expect_clean
}
run_case "e: scancel of a running salloc -K job: mpirun ends, its containers and network go" case_cancel_salloc

case_cancel_sbatch() {
    case_tag sbatch
    local cmd jid i t0
    _it_mpirun_cmd cmd
    IT_N=$((IT_N + 1))
    LAST_OUT=$IT_RUNDIR/out.$IT_N
    {
        echo '#!/bin/bash'
        printf '%q ' "${cmd[@]}" --mca plm_docker_image "$IMG" --mca plm_docker_labels "$(job_labels)" \
            "${JOBC[@]}" ring --sleep 60
        echo
    } >"$IT_RUNDIR/job.sh"
    jid=$(sbatch --parsable -J "odt-$IT_RUNID-sbatch" -N "$SL_NODES" -D "$WORK" -o "$LAST_OUT" "$IT_RUNDIR/job.sh") \
        || { fail "sbatch failed: $jid"; return; }
    for ((i = 0; i < 300; i++)); do
        [ "$(od_docker ps -q --filter "label=$CL" | wc -l)" = "$SL_NODES" ] && grep -q '^ring ok' "$LAST_OUT" 2>/dev/null && break
        sleep 0.1
    done
    grep -q '^ring ok' "$LAST_OUT" 2>/dev/null || { fail "the batch job did not start"; show_output; scancel "$jid"; return; }
    t0=$(od_now)
    scancel "$jid"
    for ((i = 0; i < 150; i++)); do pgrep -f "plm_docker_labels $IT_LABEL,$CL" >/dev/null || break; sleep 0.1; done
    if pgrep -f "plm_docker_labels $IT_LABEL,$CL" >/dev/null; then fail "mpirun still runs 15 s after scancel"; show_output; return; fi
    note "the batch job's mpirun ended $(od_elapsed "$t0")s after scancel"
    expect_clean
}
run_case "f: scancel of a running sbatch job: mpirun ends, its containers and network go" case_cancel_sbatch

printf 'set-up and cases: %ss\n' "$(od_elapsed "$t0")"
it_summary
