#!/bin/bash
# IT_RUNTIMES: orte
# shellcheck disable=SC2119,SC2120  # helpers with optional arguments
# plm docker with job-owned containers (plm_docker_image): mpirun creates one
# container per node of the allocation from the image (orted is the
# container's own command, under an init) on a per-job --internal network,
# and removes them all when the job ends, on every exit path (a reaper
# process does it after a SIGKILL of mpirun). ras docker makes the
# allocation (node1..nodeN, ras_docker_containers, default 1) unless --host
# names the nodes.
#
# Every job here gets plm_docker_labels with the run's label and a label of
# its case, ompi-docker.case=$IT_RUNID-TAG ($CL), so that what a job leaves
# behind is counted exactly: containers in any state, and networks. mpirun
# runs in $IT_RUNDIR/work (bind-mounted into the containers as the working
# directory), or in a directory of the other user (uid case).
#
# Open MPI 4 (ORTE) only: under IT_RUNTIME=prrte mpirun runs in a launcher
# container, which the per-job network (reached through its gateway on this
# host) and the working-directory mount do not fit yet.

# shellcheck source=test/integration/lib.sh
. "$(dirname "$0")/lib.sh"

it_setup 0

IMG=$IT_IMAGE
# The endpoint the component uses by default, as its messages spell it.
EP=${DOCKER_HOST:-unix:///var/run/docker.sock}
SOCK=/var/run/docker.sock
case $EP in unix://*) SOCK=${EP#unix://} ;; esac
# The job tag is <short hostname>-<mpirun's pid>-<hex>.
SHORT_HOST=$(hostname)
SHORT_HOST=${SHORT_HOST%%.*}
ME_UID=$(id -u)
ME_GID=$(id -g)
ME_NAME=$(id -un)
OTHER_UID=4242
WORK=$IT_RUNDIR/work
mkdir -p "$WORK" || od_die "cannot make $WORK"
cd "$WORK" || od_die "cannot enter $WORK"

# re_quote STRING: STRING as an extended regular expression matching itself.
re_quote() { printf '%s' "$1" | sed -e 's/[][\.*^$+?(){}|/]/\\&/g'; }

# ---------------------------------------------------------------- helpers

TAG=       # the current case's tag
CL=        # its label, key=value

# case_tag TAG: the jobs of this case are labelled ompi-docker.case=$IT_RUNID-TAG.
case_tag() {
    TAG=$1
    CL=ompi-docker.case=$IT_RUNID-$TAG
}

# job_labels: plm_docker_labels for a job of the current case.
job_labels() {
    local l="$IT_LABEL,$CL"
    [ -n "${OD_SESSION:-}" ] && l="$l,ompi-docker.session=$OD_SESSION"
    echo "$l"
}

# jm ARGS...: mpirun_docker of a job in containers of image $IMG (the test
# image unless the caller sets it), labelled for the current case.
# jm_bg ARGS...: the same in the background (mpirun_docker_bg).
# jm_as USER ARGS...: the same as USER (mpirun_docker_as).
jm() { mpirun_docker --mca plm_docker_image "$IMG" --mca plm_docker_labels "$(job_labels)" "$@"; }
jm_bg() { mpirun_docker_bg --mca plm_docker_image "$IMG" --mca plm_docker_labels "$(job_labels)" "$@"; }
jm_as() {
    local user=$1
    shift
    mpirun_docker_as "$user" --mca plm_docker_image "$IMG" --mca plm_docker_labels "$(job_labels)" "$@"
}

# nothing_left [--within S]: no container (any state) and no network with
# the case's label (at once: mpirun removes them before it returns), and
# nothing left of mpirun's session on the host.
nothing_left() {
    if assert_no_labelled "$@" "$CL"; then
        note "no container or network left${1:+ (after ${LABELLED_SECS}s)}"
    fi
    assert_no_leftovers
}

# expect_ranks_on HOST...: the last output has one "rank R of N on HOST" line
# per rank, N = the number of HOSTs, rank r on the r-th HOST.
expect_ranks_on() {
    local np=$# line r host ok=1 got=()
    local -A at=()
    while IFS= read -r line; do
        if [[ $line =~ ^rank\ ([0-9]+)\ of\ ([0-9]+)\ on\ (.+)$ ]]; then
            r=${BASH_REMATCH[1]} host=${BASH_REMATCH[3]}
            if [ "${BASH_REMATCH[2]}" != "$np" ]; then
                fail "rank $r says size ${BASH_REMATCH[2]}, want $np"; ok=0
            fi
            if [ -n "${at[$r]:-}" ]; then fail "rank $r printed twice"; ok=0; fi
            at[$r]=$host
        fi
    done <"$LAST_OUT"
    for ((r = 0; r < np; r++)); do got+=("${at[$r]:--}"); done
    if [ "${got[*]}" != "$*" ]; then
        fail "ranks ran on [${got[*]}], want [$*]"; ok=0
    fi
    if [ "$ok" = 1 ]; then note "ranks on: ${got[*]}"; else show_output; fi
    [ "$ok" = 1 ]
}

# expect_job_names NODE...: the last output (plm_base_verbose 1) sent the
# daemons to exactly the containers ompi-<tag>-NODE, one per NODE, with one
# tag of the form <short host>-<pid>-<hex>. Sets JOB_TAG.
expect_job_names() {
    local names first want node
    names=$(grep -oE 'goes to container [^ ]+' "$LAST_OUT" | awk '{ print $4 }' | sort)
    first=$(head -n 1 <<<"$names")
    JOB_TAG=
    if [[ $first =~ ^ompi-("$SHORT_HOST"-[0-9]+-[0-9a-f]+)-.+$ ]]; then
        JOB_TAG=${BASH_REMATCH[1]}
    fi
    want=$(for node in "$@"; do echo "ompi-$JOB_TAG-$node"; done | sort)
    if [ -z "$JOB_TAG" ] || [ "$names" != "$want" ]; then
        fail "daemon containers [$(echo "$names" | tr '\n' ' ')], want ompi-$SHORT_HOST-PID-HEX-{$*}"
        show_output
        return 1
    fi
    note "containers: $(echo "$names" | tr '\n' ' ')"
}

# job_tag_of_case: the ompi-docker.job label of a container of the case.
job_tag_of_case() {
    local id
    id=$(od_docker ps -aq --filter "label=$CL" | head -n 1)
    [ -n "$id" ] || return 1
    od_docker inspect -f '{{index .Config.Labels "ompi-docker.job"}}' "$id"
}

# reaper_pids TAG: the reaper processes of job TAG.
reaper_pids() {
    ps -eo pid=,args= | awk -v t="$1" '
        $2 ~ /ompi-docker-reaper$/ { for (i = 3; i < NF; i++) if ($i == "--job" && $(i + 1) == t) print $1 }'
}

# expect_reaper_gone TAG S: no reaper of job TAG within S seconds.
expect_reaper_gone() {
    local i
    for ((i = 0; i <= $2 * 5; i++)); do
        [ -z "$(reaper_pids "$1")" ] && return 0
        sleep 0.2
    done
    fail "the reaper of job $1 still runs after $2 s: $(reaper_pids "$1" | tr '\n' ' ')"
    return 1
}

# bg_job_going OUT PID NP: a background job printed "ring ok" and its NP rank
# lines; else fail, kill it and return 1.
bg_job_going() {
    local jout=$1 pid=$2 np=$3
    if wait_for_lines "$jout" '^ring ok' 1 90 "$pid" \
        && wait_for_lines "$jout" '^rank [0-9]+ of [0-9]+ on ' "$np" 5 "$pid"; then
        return 0
    fi
    fail "the job did not get going within 90 s"
    show_output "$jout"
    kill -KILL "$pid" 2>/dev/null
    wait_pid_exit "$pid" 10
    return 1
}

# ------------------------------------------------------ a-c: allocation

# a. 4 containers, 8 ranks: 2 in each of node1..node4 (by slot), the ring
#    works across them, the containers are ompi-<tag>-node1..4, nothing left,
#    and the reaper ends once mpirun did.
case_four() {
    case_tag four
    jm --mca ras_docker_containers 4 --mca plm_base_verbose 1 --display-allocation -np 8 ring
    expect_ok || { nothing_left; return; }
    expect_output '^ring ok: sum=36$' 1
    expect_ranks_on node1 node1 node2 node2 node3 node3 node4 node4
    local got
    got=$(allocated_nodes | tr '\n' ' ')
    if [ "$got" != "node1 2 node2 2 node3 2 node4 2 " ]; then
        fail "allocation [$got], want [node1 2 node2 2 node3 2 node4 2]"
    fi
    expect_job_names node1 node2 node3 node4
    nothing_left
    [ -n "$JOB_TAG" ] && expect_reaper_gone "$JOB_TAG" 5
}

# b. The default: one container, node1, every rank in it.
case_default_one() {
    case_tag one
    jm --mca plm_base_verbose 1 --display-allocation -np 4 ring
    expect_ok || { nothing_left; return; }
    expect_output '^ring ok: sum=10$' 1
    expect_ranks_on node1 node1 node1 node1
    local got
    got=$(allocated_nodes | tr '\n' ' ')
    [ "$got" = "node1 4 " ] || fail "allocation [$got], want [node1 4]"
    expect_job_names node1
    nothing_left
}

# c. --host a,b: a container per named host, hostname = that name.
case_hosts() {
    case_tag hosts
    jm --mca plm_base_verbose 1 -np 2 --host a,b ring
    expect_ok || { nothing_left; return; }
    expect_output '^ring ok: sum=3$' 1
    expect_ranks_on a b
    expect_job_names a b
    nothing_left
}

# ------------------------------------------- d: the containers themselves

# d. While a job runs: names, hostnames, labels, user, working directory and
#    its mount, init, AutoRemove, /dev/shm size, the command (orted), the
#    environment, the per-job --internal network; the reaper runs in a
#    session of its own. Then the job ends well and nothing is left.
case_containers() {
    case_tag props
    jm_bg --mca ras_docker_containers 2 -np 2 ring --sleep 6
    local jout=$LAST_OUT pid=$IT_BG_MPIRUN
    bg_job_going "$jout" "$pid" 2 || { nothing_left; return; }
    local tag ids id line net
    tag=$(job_tag_of_case)
    if [[ $tag =~ ^"$SHORT_HOST"-"$pid"-[0-9a-f]+$ ]]; then
        note "job tag $tag (mpirun's pid $pid)"
    else
        fail "job tag '$tag' is not $SHORT_HOST-$pid-<hex>"
    fi
    net=ompi-$tag-net
    ids=$(od_docker ps -q --filter "label=$CL")
    [ "$(wc -w <<<"$ids")" -eq 2 ] || fail "$(wc -w <<<"$ids") running containers with $CL, want 2"
    local fmt='{{.Name}}|{{.Config.Hostname}}|{{.Config.User}}|{{.Config.WorkingDir}}'
    fmt+='|{{.HostConfig.AutoRemove}}|{{.HostConfig.Init}}|{{.HostConfig.ShmSize}}|{{.HostConfig.Privileged}}'
    fmt+='|{{.Config.Image}}|{{index .Config.Cmd 0}}|{{index .Config.Labels "ompi-docker.project"}}'
    fmt+='|{{index .Config.Labels "ompi-docker.job"}}|{{index .Config.Labels "ompi-docker.owner"}}'
    # shellcheck disable=SC2016  # a Go template
    fmt+='|{{index .Config.Labels "ompi-docker.test"}}|{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}'
    local -A seen=()
    for id in $ids; do
        line=$(od_docker inspect -f "$fmt" "$id") || { fail "cannot inspect $id"; continue; }
        local f=()
        IFS='|' read -ra f <<<"$line"
        local name=${f[0]#/} node=${f[1]}
        seen[$node]=1
        [ "$name" = "ompi-$tag-$node" ] || fail "container $name with hostname $node, want name ompi-$tag-$node"
        [ "${f[2]}" = "$ME_UID:$ME_GID" ] || fail "$name: User '${f[2]}', want $ME_UID:$ME_GID"
        [ "${f[3]}" = "$WORK" ] || fail "$name: WorkingDir '${f[3]}', want $WORK"
        [ "${f[4]}" = true ] || fail "$name: AutoRemove ${f[4]}"
        [ "${f[5]}" = true ] || fail "$name: Init ${f[5]}"
        [ "${f[6]}" = 1073741824 ] || fail "$name: ShmSize ${f[6]}, want 1g (1073741824)"
        [ "${f[7]}" = false ] || fail "$name: Privileged ${f[7]}"
        [ "${f[8]}" = "$IMG" ] || fail "$name: image ${f[8]}, want $IMG"
        [ "${f[9]}" = orted ] || fail "$name: command '${f[9]}', want orted"
        [ "${f[10]}" = ompi-docker ] || fail "$name: label ompi-docker.project='${f[10]}'"
        [ "${f[11]}" = "$tag" ] || fail "$name: label ompi-docker.job='${f[11]}'"
        [ "${f[12]}" = "$ME_UID" ] || fail "$name: label ompi-docker.owner='${f[12]}', want $ME_UID"
        [ "${f[13]}" = "$IT_RUNID" ] || fail "$name: label ompi-docker.test='${f[13]}' (plm_docker_labels)"
        [ "${f[14]}" = "$net " ] || fail "$name: networks '${f[14]}', want only $net"
        if ! od_docker inspect -f '{{range .HostConfig.Binds}}{{println .}}{{end}}' "$id" \
                | grep -qE "^$(re_quote "$WORK:$WORK")(:|$)"; then
            fail "$name: the working directory $WORK is not bind-mounted at the same path"
        fi
        local env
        env=$(od_docker inspect -f '{{range .Config.Env}}{{println .}}{{end}}' "$id")
        grep -qx 'HOME=/tmp' <<<"$env" || fail "$name: no HOME=/tmp in its environment"
        grep -qx "USER=$ME_NAME" <<<"$env" || fail "$name: no USER=$ME_NAME in its environment"
    done
    [ "${!seen[*]}" = "node2 node1" ] || [ "${!seen[*]}" = "node1 node2" ] \
        || fail "hostnames [${!seen[*]}], want node1 node2"
    line=$(od_docker network inspect -f '{{.Internal}}|{{.Driver}}|{{index .Labels "ompi-docker.job"}}|{{index .Labels "ompi-docker.project"}}|{{index .Labels "ompi-docker.owner"}}|{{index .Labels "ompi-docker.case"}}' "$net" 2>&1)
    if [ "$line" != "true|bridge|$tag|ompi-docker|$ME_UID|$IT_RUNID-$TAG" ]; then
        fail "network $net: internal|driver|labels = '$line'"
    fi
    local rp sid
    rp=$(reaper_pids "$tag" | head -n 1)
    if [ -z "$rp" ]; then
        fail "no reaper process for job $tag"
    else
        sid=$(ps -o sid= -p "$rp" | tr -d ' ')
        [ "$sid" != "$pid" ] || fail "the reaper ($rp) is in mpirun's session"
    fi
    note "checked: 2 containers ompi-$tag-node1,2; network $net; reaper ${rp:-none} (session ${sid:-?})"
    if ! wait_pid_exit "$pid" 90; then
        fail "mpirun still runs 90 s later"
        kill -KILL "$pid" 2>/dev/null
        wait_pid_exit "$pid" 10
    elif [ "$WAIT_RC" -ne 0 ]; then
        fail "mpirun exited $WAIT_RC"
        show_output "$jout"
    fi
    LAST_OUT=$jout
    expect_output '^ring ok: sum=3$' 1
    nothing_left
    expect_reaper_gone "$tag" 5
}

# ------------------------------------------------------ e: exit paths

# e1. A rank fails (exit 3 without MPI_Finalize).
case_app_fails() {
    case_tag appfail
    local IT_MPIRUN_TIMEOUT=90
    jm --mca ras_docker_containers 2 -np 4 ring --fail-rank 1
    if [ "$LAST_RC" -eq 0 ]; then
        fail "exit 0 although rank 1 failed"; show_output
    elif [ "$LAST_RC" -eq 124 ] || [ "$LAST_RC" -eq 137 ]; then
        fail "mpirun did not end within ${IT_MPIRUN_TIMEOUT}s"; show_output
    else
        note "exit $LAST_RC in ${LAST_SECS}s"
    fi
    expect_output '^rank 1 of 4 on node1$'
    expect_output '^ring: rank 1 exits with code 3'
    nothing_left
}

# e2. orted cannot start: the message names the container and carries the
#     daemon's own output.
case_orted_fails() {
    case_tag orted
    expect_fail_with '/nonexistent/orted' --and 'no such file|not found' \
        --and "ompi-$(re_quote "$SHORT_HOST")-[0-9]+-[0-9a-f]+-node[12]" -- \
        jm --mca plm_docker_orted /nonexistent/orted --mca ras_docker_containers 2 -np 2 ring
    nothing_left
}

# e3-e5. A signal to mpirun while the ranks sleep (all printed, ring done).
#   INT, TERM: mpirun exits non-zero within 10 s and has removed everything
#   when it returns. KILL: the reaper removes the containers and the network
#   within 20 s (the time it took is printed).
_signal_case() {
    local sig=$1 olderr t0 exited=0 tag
    case_tag "sig${sig,,}"
    jm_bg --mca ras_docker_containers 2 -np 4 ring --sleep 30
    local jout=$LAST_OUT pid=$IT_BG_MPIRUN
    bg_job_going "$jout" "$pid" 4 || { nothing_left; return; }
    tag=$(job_tag_of_case)
    [[ $tag =~ ^"$SHORT_HOST"-"$pid"-[0-9a-f]+$ ]] || fail "job tag '$tag' is not $SHORT_HOST-$pid-<hex>"
    t0=$(od_now)
    # (stderr off meanwhile: bash reports a job killed by a signal.)
    exec {olderr}>&2 2>/dev/null
    kill "-$sig" "$pid"
    wait_pid_exit "$pid" 10 && exited=1
    exec 2>&"$olderr" {olderr}>&-
    if [ "$exited" = 1 ]; then
        note "mpirun exited (status $WAIT_RC) $(od_elapsed "$t0") s after SIG$sig"
        if [ "$sig" != KILL ] && [ "$WAIT_RC" -eq 0 ]; then fail "mpirun exited 0 after SIG$sig"; fi
    else
        fail "mpirun still runs 10 s after SIG$sig"
        show_output "$jout"
        kill -KILL "$pid" 2>/dev/null
        wait_pid_exit "$pid" 10
    fi
    if [ "$sig" != KILL ]; then
        nothing_left
        [ -n "$tag" ] && expect_reaper_gone "$tag" 5
        return
    fi
    # SIGKILL: poll until the containers and the network are gone.
    local c n tc="" tn=""
    while :; do
        c=$(od_docker ps -aq --filter "label=$CL" | wc -l)
        n=$(od_docker network ls -q --filter "label=$CL" | wc -l)
        [ "$c" -eq 0 ] && [ -z "$tc" ] && tc=$(od_elapsed "$t0")
        [ "$n" -eq 0 ] && [ -z "$tn" ] && tn=$(od_elapsed "$t0")
        [ -n "$tc" ] && [ -n "$tn" ] && break
        awk -v a="$(od_elapsed "$t0")" 'BEGIN { exit !(a > 20) }' && break
        sleep 0.1
    done
    if [ -n "$tc" ] && [ -n "$tn" ]; then
        note "after SIGKILL of mpirun: containers gone in ${tc}s, network gone in ${tn}s (bound 20 s)"
    else
        fail "after SIGKILL of mpirun, still there 20 s later: $c container(s), $n network(s)"
    fi
    nothing_left
    [ -n "$tag" ] && expect_reaper_gone "$tag" 5
}
case_sigint() { _signal_case INT; }
case_sigterm() { _signal_case TERM; }
case_sigkill() { _signal_case KILL; }

# ------------------------------------------------------------ f: uid/gid

# f. As a non-root user that may use the engine (uid 4242, group of the
#    socket), in a directory of that user: mpirun without
#    --allow-run-as-root; the ranks run as that uid:gid, so out.txt (a
#    relative path: the working directory is mounted) is theirs. With
#    plm_docker_user 0:0 (asked explicitly) the file is root's.
case_uid() {
    case_tag uid
    local user gid udir st
    if ! user=$(it_ensure_user "$OTHER_UID" odtest); then
        skip "no user with uid $OTHER_UID in the group of $SOCK (socket group: $(stat -c %G "$SOCK" 2>/dev/null))"
        return
    fi
    if ! it_as_user "$user" test -r "$SOCK" -a -w "$SOCK"; then
        skip "$user cannot use $SOCK"
        return
    fi
    gid=$(id -g "$user")
    udir=$(mktemp -d "${TMPDIR:-/tmp}/odt-$IT_RUNID-uid.XXXXXX") || { fail "no directory"; return; }
    it_at_exit rm -rf "$udir"
    chown "$OTHER_UID:$gid" "$udir" && chmod 755 "$udir"
    note "as $user ($OTHER_UID:$gid) in $udir"
    cd "$udir" || { fail "cannot enter $udir"; return; }
    jm_as "$user" --mca ras_docker_containers 2 -np 2 ring --write out.txt --print-env USER --print-env HOME
    cd "$WORK" || return
    if expect_ok; then
        expect_output '^ring ok: sum=3$' 1
        expect_output "^env: USER=$user\$" 1
        expect_output '^env: HOME=/tmp$' 1
        st=$(stat -c %u:%g "$udir/out.txt" 2>&1)
        if [ "$st" = "$OTHER_UID:$gid" ]; then
            note "out.txt in the host's $udir, owner $st"
        else
            fail "out.txt: '$st', want $OTHER_UID:$gid"
        fi
    fi
    nothing_left

    note "plm_docker_user 0:0"
    cd "$udir" || { fail "cannot enter $udir"; return; }
    jm_as "$user" --mca plm_docker_user 0:0 -np 1 ring --write root.txt
    cd "$WORK" || return
    if expect_ok; then
        st=$(stat -c %u:%g "$udir/root.txt" 2>&1)
        if [ "$st" = 0:0 ]; then note "root.txt owner $st"; else fail "root.txt: '$st', want 0:0"; fi
    fi
    nothing_left
}

# ------------------------------------------------- g: shared memory

# g. 4 ranks in one container over shared memory only (btl self,vader), and
#    200 MB allocated in /dev/shm: fine with the default 1g, refused (ENOSPC)
#    with plm_docker_shm_size 64m.
case_shm() {
    case_tag shm
    jm -np 4 --mca btl self,vader ring --fill-shm 200
    if expect_ok; then
        expect_output '^ring ok: sum=10$' 1
        expect_output '^shm ok: 200 MB$' 1
        expect_ranks_on node1 node1 node1 node1
    fi
    nothing_left

    note "plm_docker_shm_size 64m"
    jm --mca plm_docker_shm_size 64m -np 4 --mca btl self,vader ring --fill-shm 200
    if [ "$LAST_RC" -eq 0 ]; then
        fail "exit 0: 200 MB fit in a 64m /dev/shm"; show_output
    elif [ "$LAST_RC" -eq 124 ] || [ "$LAST_RC" -eq 137 ]; then
        fail "mpirun did not end"; show_output
    else
        note "exit $LAST_RC in ${LAST_SECS}s"
        expect_output '^ring ok: sum=10$' 1
        expect_output '^shm FAILED: .*No space left on device' 1
    fi
    nothing_left
}

# ------------------------------------------------- h: missing image

# h1. The engine pulls a missing image (plm_docker_pull missing): from a
#     registry on a closed loopback port, so nothing leaves this machine.
case_pull_fails() {
    case_tag pull
    local IMG=127.0.0.1:9/nosuch:1
    expect_fail_with "$(re_quote "$IMG")" --and "$(re_quote "$EP")" --and 'connection refused' \
        --and '127\.0\.0\.1:9' -- jm -np 2 ring
    nothing_left
}

# h2. plm_docker_pull never: no registry contact, "not on the endpoint".
case_image_missing() {
    case_tag noimg
    local IMG=ompi-docker-nosuch-$IT_RUNID:1
    if od_docker image inspect "$IMG" >/dev/null 2>&1; then
        fail "precondition: $IMG exists"
        return
    fi
    expect_fail_with 'not on the Docker endpoint' --and "$(re_quote "$IMG")" --and "$(re_quote "$EP")" \
        --and 'never' -- jm --mca plm_docker_pull never -np 2 ring
    nothing_left
}

# ------------------------------------------------- i: two jobs at once

# i. Two mpiruns on the same endpoint at the same time, labelled apart: both
#    run (seen side by side), their tags and names differ, nothing is left.
case_concurrent() {
    case_tag conc
    local base=$CL cla=$CL-a clb=$CL-b
    CL=$cla
    jm_bg --mca ras_docker_containers 2 -np 4 ring --sleep 8
    local pa=$IT_BG_MPIRUN oa=$LAST_OUT
    CL=$clb
    jm_bg --mca ras_docker_containers 2 -np 4 ring --sleep 8
    local pb=$IT_BG_MPIRUN ob=$LAST_OUT
    CL=$base
    local ok=1
    bg_job_going "$oa" "$pa" 4 || ok=0
    bg_job_going "$ob" "$pb" 4 || ok=0
    if [ "$ok" = 1 ]; then
        local na nb ta tb
        na=$(od_docker ps --filter "label=$cla" --format '{{.Names}}' | sort)
        nb=$(od_docker ps --filter "label=$clb" --format '{{.Names}}' | sort)
        ta=$(od_docker ps --filter "label=$cla" --format '{{.Label "ompi-docker.job"}}' | sort -u)
        tb=$(od_docker ps --filter "label=$clb" --format '{{.Label "ompi-docker.job"}}' | sort -u)
        if [ "$(wc -l <<<"$na")" -ne 2 ] || [ "$(wc -l <<<"$nb")" -ne 2 ]; then
            fail "not side by side: running [$(echo "$na" | tr '\n' ' ')] and [$(echo "$nb" | tr '\n' ' ')]"
        elif [ "$ta" = "$tb" ] || [ -n "$(comm -12 <(echo "$na") <(echo "$nb"))" ]; then
            fail "the jobs collide: tags $ta / $tb, names [$na] / [$nb]"
        else
            note "side by side: $(echo "$na" "$nb" | tr '\n' ' ')"
        fi
    fi
    local p o
    for p in "$pa" "$pb"; do
        if ! wait_pid_exit "$p" 90; then
            fail "mpirun $p still runs"
            kill -KILL "$p" 2>/dev/null
            wait_pid_exit "$p" 10
        elif [ "$WAIT_RC" -ne 0 ]; then
            fail "mpirun $p exited $WAIT_RC"
        fi
    done
    for o in "$oa" "$ob"; do
        LAST_OUT=$o
        expect_output '^ring ok: sum=10$' 1
        expect_ranks_on node1 node1 node2 node2
    done
    if assert_no_labelled "$cla" "$clb"; then note "no container or network left of either job"; fi
    assert_no_leftovers
}

# ------------------------------------------------- j: plm_docker_keep

# j. plm_docker_keep 1: after the job its containers (exited) and its network
#    are still there, with the job's labels, also once the reaper is gone;
#    then the test removes them.
case_keep() {
    case_tag keep
    jm --mca plm_docker_keep 1 --mca ras_docker_containers 2 -np 2 ring
    if expect_ok; then
        expect_output '^ring ok: sum=3$' 1
        local tag got want
        tag=$(job_tag_of_case)
        if [ -n "$tag" ]; then
            expect_reaper_gone "$tag" 20
            want=$(printf 'ompi-%s-node%d exited %s ompi-docker %s\n' "$tag" 1 "$tag" "$ME_UID" "$tag" 2 "$tag" "$ME_UID")
            # (a daemon's container ends a moment after mpirun has returned)
            for _ in $(seq 1 20); do
                got=$(od_docker ps -a --filter "label=$CL" --format '{{.Names}} {{.State}} {{.Label "ompi-docker.job"}} {{.Label "ompi-docker.project"}} {{.Label "ompi-docker.owner"}}' | sort)
                [ "$got" = "$want" ] && break
                sleep 0.5
            done
            if [ "$got" = "$want" ]; then
                note "kept: $(echo "$got" | awk '{ print $1, $2 }' | tr '\n' ' ')"
            else
                fail "containers [$(echo "$got" | tr '\n' ';')], want [$(echo "$want" | tr '\n' ';')]"
            fi
            got=$(od_docker network ls --filter "label=$CL" --filter "label=ompi-docker.job=$tag" --format '{{.Name}}')
            if [ "$got" = "ompi-$tag-net" ]; then note "kept: network $got"; else fail "networks [$got], want ompi-$tag-net"; fi
        else
            fail "no container of the job was kept"
        fi
    fi
    dkr_remove_labelled "$CL"
    nothing_left
}

# ------------------------------------------------- k: plm_docker_mounts

# k. A relative source is refused, naming the mount (and the network made
#    before is removed); an absolute SRC:/data:ro is readable, not writable.
case_mounts() {
    case_tag mnt
    expect_fail_with 'plm_docker_mounts' --and '"data:/data"' -- \
        jm --mca plm_docker_mounts data:/data -np 2 ring
    nothing_left

    local src=$IT_RUNDIR/mnt-src
    mkdir -p "$src" && echo "mounted $IT_RUNID" >"$src/hello.txt"
    note "plm_docker_mounts $src:/data:ro"
    jm --mca plm_docker_mounts "$src:/data:ro" --mca ras_docker_containers 2 -np 2 ring --read /data/hello.txt
    if expect_ok; then
        expect_output '^ring ok: sum=3$' 1
        expect_output "^read: mounted $IT_RUNID\$" 1
    fi
    nothing_left

    note "writing to the :ro mount"
    jm --mca plm_docker_mounts "$src:/data:ro" -np 1 ring --write /data/x.txt
    if [ "$LAST_RC" -eq 0 ] || [ -e "$src/x.txt" ]; then
        fail "a rank could write to the read-only mount (exit $LAST_RC)"; show_output
    else
        expect_output 'write /data/x\.txt: Read-only file system' 1
    fi
    nothing_left
}

# ------------------------------------------------- l: plm_docker_env

# l. plm_docker_env K=V,... reaches the ranks (with HOME and USER).
case_env() {
    case_tag env
    jm --mca plm_docker_env "FOO=bar,ODT_RUN=$IT_RUNID" -np 2 ring \
        --print-env FOO --print-env ODT_RUN --print-env HOME --print-env USER
    if expect_ok; then
        expect_output '^env: FOO=bar$' 1
        expect_output "^env: ODT_RUN=$IT_RUNID\$" 1
        expect_output '^env: HOME=/tmp$' 1
        expect_output "^env: USER=$ME_NAME\$" 1
    fi
    nothing_left
}

run_case "a: 4 containers, 8 ranks, 2 per node" case_four
run_case "b: default, one container" case_default_one
run_case "c: --host a,b, a container per host" case_hosts
run_case "d: the containers and network while the job runs" case_containers
run_case "e1: a rank fails" case_app_fails
run_case "e2: orted cannot start" case_orted_fails
run_case "e3: SIGINT of mpirun" case_sigint
run_case "e4: SIGTERM of mpirun" case_sigterm
run_case "e5: SIGKILL of mpirun, the reaper cleans up" case_sigkill
run_case "f: uid:gid of the invoking user, plm_docker_user 0:0" case_uid
run_case "g: /dev/shm size, vader" case_shm
run_case "h1: missing image, pull from a closed loopback registry" case_pull_fails
run_case "h2: missing image, plm_docker_pull never" case_image_missing
run_case "i: two jobs at once" case_concurrent
run_case "j: plm_docker_keep 1" case_keep
run_case "k: plm_docker_mounts" case_mounts
run_case "l: plm_docker_env" case_env
it_summary
