#!/bin/bash
# shellcheck disable=SC2119,SC2120  # helpers with optional arguments
# IT_RUNTIMES: prrte
# The Open MPI 5 test rig itself (IT_RUNTIME=prrte; run.sh runs this file
# only then): the trixie node image, the launcher container and its image,
# the network between them, a baseline job that does not use plm docker, the
# fake endpoints and the leftover check. Independent of the docker
# components' behaviour: if these fail, the PRRTE results mean nothing.
# shellcheck source=test/integration/lib.sh
. "$(dirname "$0")/lib.sh"

it_rt_is_prrte || { echo "test_rig_prrte.sh: needs IT_RUNTIME=prrte" >&2; echo "0 passed, 1 failed"; exit 1; }

it_setup 4
C=("${IT_CONTAINERS[@]}")
L=$IT_PRRTE_LAUNCHER

# The node image: trixie, Debian's Open MPI 5 (prted), ring, nothing of ours;
# the same Open MPI as the launcher's.
case_node_image_plain() {
    local out node_v launcher_v
    # shellcheck disable=SC2016  # the script runs in the container
    run_capture -- docker exec "${C[0]}" /bin/sh -c '
        echo "DEBIAN $(cat /etc/debian_version)"
        for p in prted prterun ring; do command -v $p >/dev/null || echo "MISSING $p"; done
        for p in orted docker dockerd curl; do command -v $p >/dev/null && echo "PRESENT $p"; done
        find / -xdev \( -name "*plm_docker*" -o -name "*ras_docker*" -o -name "libdkr*" \) -print 2>/dev/null | sed "s/^/FOUND /"
        true'
    expect_ok || return
    grep -q '^DEBIAN 13' "$LAST_OUT" || fail "not Debian 13 (trixie): $(head -n 1 "$LAST_OUT")"
    out=$(grep -E '^(MISSING|PRESENT|FOUND) ' "$LAST_OUT")
    [ -z "$out" ] || fail "node image is not plain trixie + Open MPI 5 + ring: $(echo "$out" | tr '\n' ' ')"
    # shellcheck disable=SC2016  # dpkg-query's format
    node_v=$(od_docker exec "${C[0]}" dpkg-query -W -f='${Version}' openmpi-bin)
    # shellcheck disable=SC2016
    launcher_v=$(od_docker exec "$L" dpkg-query -W -f='${Version}' openmpi-bin)
    if [ -z "$node_v" ] || [ "$node_v" != "$launcher_v" ]; then
        fail "Open MPI differs: nodes '$node_v', launcher '$launcher_v'"
    fi
    note "Open MPI $node_v (Debian) on nodes and launcher"
}

# The launcher: our components installed where PRRTE loads them and listed
# by prte_info; no docker CLI (ssh is there: Debian's openmpi-bin depends on
# it; sandbox.sh --no-cli hides it); the engine's socket; files-only DNS.
case_launcher() {
    local dir
    it_launcher_exec prte_info
    expect_ok || return
    expect_output '^ *MCA plm: docker \(' 1
    expect_output '^ *MCA ras: docker \(' 1
    it_launcher_exec prte_info --path pkglibdir
    dir=$(sed -n 's/^ *Pkglibdir: *//p' "$LAST_OUT")
    it_launcher_exec /bin/sh -c "ls '$dir'"
    expect_output '^prte_mca_plm_docker\.so$' 1
    expect_output '^prte_mca_ras_docker\.so$' 1
    expect_output '\.la$' 0
    # shellcheck disable=SC2016  # the script runs in the launcher
    it_launcher_exec /bin/sh -c '
        for p in docker dockerd; do command -v $p >/dev/null && echo "PRESENT $p"; done
        test -S "${DOCKER_HOST:-unix:///var/run/docker.sock}" 2>/dev/null || test -S /var/run/docker.sock || echo "NO SOCKET"
        grep "^hosts:" /etc/nsswitch.conf
        true'
    expect_ok || return
    if grep -qE '^(PRESENT|NO SOCKET)' "$LAST_OUT"; then fail "launcher: $(tr '\n' ' ' <"$LAST_OUT")"; fi
    if [ "${IT_DNS:-0}" != 1 ]; then expect_output '^hosts: files$' 1; fi
    [ "$(od_docker inspect -f '{{.HostConfig.PidMode}}' "$L")" = host ] || fail "launcher not in the host's PID namespace"
}

# The sandbox in the launcher hides docker and ssh (IT_SANDBOX_OPTS).
case_sandbox_in_launcher() {
    local cmd
    # shellcheck disable=SC2034  # read by it_rt_cmd
    local IT_SANDBOX_OPTS=(--no-cli)
    it_rt_cmd cmd
    run_capture -- "${cmd[@]}" /bin/sh -c '
        ssh -V >/dev/null 2>&1 && echo "SSH WORKS"
        grep "^hosts:" /etc/nsswitch.conf
        true'
    expect_ok || return
    if grep -q WORKS "$LAST_OUT"; then fail "sandbox in the launcher leaks: $(cat "$LAST_OUT")"; fi
    if [ "${IT_DNS:-0}" != 1 ]; then expect_output '^hosts: files$' 1; fi
    it_launcher_exec ssh -V
    expect_ok "ssh outside the sandbox"
}

# mpirun in the launcher, a local job: no plm needed, docker not chosen.
case_local_job() {
    it_launcher_exec mpirun --allow-run-as-root -np 1 hostname
    expect_ok || return
    expect_output "^$L\$" 1
}

# A baseline job across the nodes without plm docker: plm ssh with an agent
# that enters the node container's namespaces (nsenter from the launcher,
# which sees the host's PIDs). Proves the network and the images: the
# prteds in the nodes call back to mpirun in the launcher.
case_baseline_nsenter() {
    local agent=$IT_RUNDIR/nsenter-agent.sh map=$IT_RUNDIR/nodes c
    : >"$map"
    for c in "${C[@]}"; do
        printf '%s %s\n' "$c" "$(od_docker inspect -f '{{.State.Pid}}' "$c")" >>"$map"
    done
    cat >"$agent" <<EOF
#!/bin/sh
# plm ssh agent: HOST COMMAND... (a shell command line), run in HOST's container.
h=\$1; shift
pid=\$(awk -v h="\$h" '\$1 == h { print \$2 }' "$map")
[ -n "\$pid" ] || { echo "nsenter-agent: unknown host \$h" >&2; exit 255; }
exec nsenter -t "\$pid" -m -u -i -n -p -r -w -- /bin/sh -c "\$*"
EOF
    chmod +x "$agent"
    local cmd
    it_rt_cmd cmd
    run_capture -- "${cmd[@]}" mpirun --allow-run-as-root --prtemca plm ssh \
        --prtemca plm_ssh_agent "sh $agent" --prtemca plm_ssh_no_tree_spawn 1 \
        -np 4 --host "$(it_hosts)" ring
    expect_ok || return
    expect_output '^ring ok: sum=10$' 1
    check_ranks 4 "${C[@]}"
    # (Its prteds are not in the containers' cgroups: docker top cannot see
    # them. Find them on the host instead.)
    local i left
    for ((i = 0; i < 20; i++)); do
        left=$(pgrep -a -f '^[^ ]*prted .*--prtemca ess ' || true)
        [ -z "$left" ] && break
        sleep 0.5
    done
    [ -z "$left" ] || fail "prted left after the baseline job: $left"
}

# Fake endpoints run in the launcher: unix sockets appear in the run
# directory (seen from the host too), tcp ones answer on the launcher's
# loopback; closed_port finds a closed port there.
case_fake_endpoints() {
    local m sock p
    for m in old-api http-500; do
        fake_endpoint_start "$m" unix || continue
        sock=${FAKE_URL#unix://}
        [ -S "$sock" ] || fail "$m: no socket at $sock"
        run_capture --timeout 5 -- env DOCKER_API_VERSION=1.41 docker -H "$FAKE_URL" version \
            --format '{{.Server.APIVersion}}'
        case $m in
            old-api) grep -q 'Maximum supported API version is 1.20' "$LAST_OUT" \
                || fail "old-api: $(cat "$LAST_OUT")" ;;
            http-500) grep -q 'internal error of the fake engine' "$LAST_OUT" \
                || fail "http-500: $(cat "$LAST_OUT")" ;;
        esac
        fake_endpoint_stop
        [ ! -e "$sock" ] || fail "$m: socket $sock left after SIGTERM"
    done
    fake_endpoint_start old-api tcp || return
    [[ $FAKE_URL =~ ^tcp://127\.0\.0\.1:[0-9]+$ ]] || fail "tcp url: $FAKE_URL"
    # shellcheck disable=SC2016  # for the inner bash
    it_launcher_exec bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" &&
        printf "GET /_ping HTTP/1.1\r\nHost: x\r\n\r\n" >&3 && timeout 5 cat <&3' sh "${FAKE_URL##*:}"
    grep -q '^Api-Version: 1.20' "$LAST_OUT" || fail "tcp /_ping in the launcher: $(cat "$LAST_OUT")"
    fake_endpoint_stop
    p=$(closed_port) || fail "no closed port found"
    note "closed port in the launcher: $p"
}

# Signals reach mpirun in the launcher (launcher-exec.sh execs it): SIGTERM
# ends a local job at once.
case_signal_reaches_mpirun() {
    local cmd olderr
    it_rt_cmd cmd
    IT_N=$((IT_N + 1))
    LAST_OUT=$IT_RUNDIR/out.$IT_N
    setsid env --default-signal=INT,TERM "${cmd[@]}" mpirun --allow-run-as-root -np 1 sleep 60 \
        >"$LAST_OUT" 2>&1 </dev/null &
    local pid=$!
    IT_BG_PIDS+=("$pid")
    sleep 1
    [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = prterun ] || note "process $pid is $(cat "/proc/$pid/comm" 2>/dev/null)"
    exec {olderr}>&2 2>/dev/null
    kill -TERM "$pid"
    if wait_pid_exit "$pid" 10; then
        exec 2>&"$olderr" {olderr}>&-
        note "mpirun exited (status $WAIT_RC) after SIGTERM"
    else
        exec 2>&"$olderr" {olderr}>&-
        fail "mpirun still runs 10 s after SIGTERM"
        kill -KILL "$pid" 2>/dev/null
    fi
    LAST_SID=$pid
    assert_no_leftovers --within 5 "${C[@]}"
}

run_case "rig5: node image is plain (trixie, Open MPI 5, ring)" case_node_image_plain
run_case "rig5: launcher has the components, no docker CLI, the socket" case_launcher
run_case "rig5: sandbox.sh --no-cli in the launcher hides ssh" case_sandbox_in_launcher
run_case "rig5: launcher runs a local job" case_local_job
run_case "rig5: baseline (plm ssh + nsenter agent) runs ring on 4 containers" case_baseline_nsenter
run_case "rig5: fake endpoints run in the launcher" case_fake_endpoints
run_case "rig5: a leftover process is detected and cleared" it_case_leftover_detection
run_case "rig5: signals reach mpirun in the launcher" case_signal_reaches_mpirun

it_summary
