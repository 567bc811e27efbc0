#!/bin/bash
# shellcheck disable=SC2119,SC2120  # helpers with optional arguments
# plm docker, exec mode: mpirun starts orted inside running containers through
# the Docker Engine API (no ssh, no docker CLI). The containers are the
# harness's c1..c4 (c1: hostname differs from its name; c2, c4: Docker's
# default hostname, the short id; c3: hostname = name).
# shellcheck source=test/integration/lib.sh
. "$(dirname "$0")/lib.sh"

it_setup 4
C=("${IT_CONTAINERS[@]}")
ALL=$(it_hosts)

# a. The basic job: one rank per container, the ring and the allreduce.
case_basic() {
    mpirun_docker -np 4 --host "$ALL" ring
    expect_ok || { assert_no_leftovers "${C[@]}"; return; }
    expect_output '^ring ok: sum=10$' 1
    check_ranks 4 "${C[@]}"
    assert_no_leftovers "${C[@]}"
}

# b. No docker CLI and no ssh on the launching host (inside a private mount
#    namespace, /bin/false is bind-mounted over them).
case_no_cli() {
    run_capture -- "$IT_DIR/sandbox.sh" --no-cli -- /bin/sh -c '
        docker version >/dev/null 2>&1 && echo "docker works"
        ssh -V >/dev/null 2>&1 && echo "ssh works"
        true'
    if [ "$LAST_RC" -ne 0 ] || grep -q works "$LAST_OUT"; then
        fail "precondition: the sandbox does not hide docker/ssh"
        show_output
        return
    fi
    # shellcheck disable=SC2034  # read by mpirun_docker
    local IT_SANDBOX_OPTS=(--no-cli)
    mpirun_docker -np 4 --host "$ALL" ring
    expect_ok || { assert_no_leftovers "${C[@]}"; return; }
    expect_output '^ring ok: sum=10$' 1
    check_ranks 4 "${C[@]}"
    assert_no_leftovers "${C[@]}"
}

# c. Containers given by their short ids instead of their names.
case_by_id() {
    local ids=() c
    for c in "${C[@]}"; do ids+=("$(c_short_id "$c")"); done
    mpirun_docker -np 4 --host "$(it_hosts "${ids[@]}")" ring
    expect_ok || { assert_no_leftovers "${C[@]}"; return; }
    expect_output '^ring ok: sum=10$' 1
    check_ranks 4 "${C[@]}"
    assert_no_leftovers "${C[@]}"
}

# d. Bad inputs: non-zero exit, a message naming the culprit, within 30 s,
#    nothing left behind.
case_unknown_container() {
    local bad=$IT_PREFIX-nosuch
    expect_fail_with "$bad" -- mpirun_docker -np 3 --host "${C[0]},$bad,${C[2]}" ring
    assert_no_leftovers "${C[@]}"
}

case_stopped_container() {
    local stopped=$IT_PREFIX-stopped
    if ! it_container_start "$stopped" - >/dev/null || ! od_docker stop -t 1 "$stopped" >/dev/null; then
        fail "could not make a stopped container"
        return
    fi
    expect_fail_with "$stopped" -- mpirun_docker -np 2 --host "${C[0]},$stopped" ring
    assert_no_leftovers "${C[@]}"
    od_docker rm -f "$stopped" >/dev/null
}

case_endpoint_missing_socket() {
    expect_fail_with '/nonexistent/docker\.sock' -- \
        mpirun_docker --mca plm_docker_host unix:///nonexistent/docker.sock -np 2 \
        --host "${C[0]},${C[1]}" ring
    assert_no_leftovers "${C[@]}"
}

case_endpoint_closed_port() {
    local port
    port=$(closed_port) || { fail "no closed port found"; return; }
    expect_fail_with "127\.0\.0\.1:$port" -- \
        mpirun_docker --mca plm_docker_host "tcp://127.0.0.1:$port" -np 2 \
        --host "${C[0]},${C[1]}" ring
    assert_no_leftovers "${C[@]}"
}

# _bad_endpoint MODE KIND WITHIN [--and REGEX]... -- MPIRUN_ARGS...: a fake
# endpoint as plm_docker_host; the message must name the endpoint.
_bad_endpoint() {
    local mode=$1 kind=$2 within=$3 name
    shift 3
    fake_endpoint_start "$mode" "$kind" || return
    if [ "$kind" = unix ]; then
        name=${FAKE_URL#unix://}
    else
        name=${FAKE_URL#tcp://}
    fi
    local also=()
    while [ "$1" = --and ]; do also+=(--and "$2"); shift 2; done
    [ "$1" = -- ] && shift
    expect_fail_with --within "$within" "${name//./\\.}" "${also[@]}" -- \
        mpirun_docker --mca plm_docker_host "$FAKE_URL" "$@" -np 2 --host "${C[0]},${C[1]}" ring
    fake_endpoint_stop
    assert_no_leftovers "${C[@]}"
}

case_endpoint_stall() {
    _bad_endpoint stall unix 20 -- --mca plm_docker_timeout 3
}
case_endpoint_not_docker() { _bad_endpoint not-docker tcp 30; }
case_endpoint_old_api() { _bad_endpoint old-api unix 30 --and '1\.20'; }
case_endpoint_garbage() { _bad_endpoint garbage unix 30; }
case_endpoint_http_500() {
    _bad_endpoint http-500 unix 30 --and 'internal error of the fake engine'
}

# e. orted cannot start: the message names the container and carries the
#    daemon's own error output.
case_orted_missing() {
    expect_fail_with '/nonexistent/orted' --and 'no such file' --and "$IT_PREFIX-c[1-4]" -- \
        mpirun_docker --mca plm_docker_orted /nonexistent/orted -np 4 --host "$ALL" ring
    assert_no_leftovers "${C[@]}"
}

# f. A rank exits with code 3 without MPI_Finalize.
case_rank_fails() {
    local IT_MPIRUN_TIMEOUT=90
    mpirun_docker -np 4 --host "$ALL" ring --fail-rank 1
    if [ "$LAST_RC" -eq 0 ]; then
        fail "exit 0 although rank 1 failed"; show_output
    elif [ "$LAST_RC" -eq 124 ] || [ "$LAST_RC" -eq 137 ]; then
        fail "mpirun did not end within ${IT_MPIRUN_TIMEOUT}s"; show_output
    else
        note "exit $LAST_RC in ${LAST_SECS}s"
    fi
    # The job did start, and rank 1 did fail as asked.
    expect_output '^rank 1 of 4 on '
    expect_output '^ring: rank 1 exits with code 3'
    assert_no_leftovers "${C[@]}"
}

# g. Signals to mpirun while the ranks sleep.
_signal_case() {
    local sig=$1 exit_within=$2 clean_within=$3 olderr
    mpirun_docker_bg -np 4 --host "$ALL" ring --sleep 30
    if ! wait_for_lines "$LAST_OUT" '^ring ok' 1 60 "$IT_BG_MPIRUN" \
        || ! wait_for_lines "$LAST_OUT" '^rank [0-9]+ of 4 on ' 4 5 "$IT_BG_MPIRUN"; then
        fail "the job did not get going within 60 s"
        show_output
        kill -KILL "$IT_BG_MPIRUN" 2>/dev/null
        wait_pid_exit "$IT_BG_MPIRUN" 10
        assert_no_leftovers "${C[@]}"
        return
    fi
    local t0 exited=0
    t0=$(od_now)
    # (stderr off meanwhile: bash reports a job killed by a signal.)
    exec {olderr}>&2 2>/dev/null
    kill "-$sig" "$IT_BG_MPIRUN"
    wait_pid_exit "$IT_BG_MPIRUN" "$exit_within" && exited=1
    exec 2>&"$olderr" {olderr}>&-
    if [ "$exited" = 1 ]; then
        note "mpirun exited (status $WAIT_RC) $(od_elapsed "$t0") s after SIG$sig"
        if [ "$sig" != KILL ] && [ "$WAIT_RC" -eq 0 ]; then
            fail "mpirun exited 0 after SIG$sig"
        fi
    else
        fail "mpirun still runs ${exit_within}s after SIG$sig"
        show_output
        kill -KILL "$IT_BG_MPIRUN" 2>/dev/null
        wait_pid_exit "$IT_BG_MPIRUN" 10
    fi
    assert_no_leftovers --within "$clean_within" "${C[@]}"
}
case_sigint() { _signal_case INT 10 10; }
case_sigterm() { _signal_case TERM 10 10; }
case_sigkill() { _signal_case KILL 5 15; }

# h. Containers on two networks: no oob/btl if_include needed.
case_two_networks() {
    local net2=$IT_PREFIX-net2 c
    if ! it_network_create "$net2" >/dev/null; then
        fail "could not create $net2"
        return
    fi
    for c in "${C[@]}"; do
        od_docker network connect "$net2" "$c" || fail "could not connect $c to $net2"
    done
    local IT_MPIRUN_TIMEOUT=60
    mpirun_docker -np 4 --host "$ALL" ring
    if expect_ok; then
        expect_output '^ring ok: sum=10$' 1
        check_ranks 4 "${C[@]}"
    fi
    assert_no_leftovers "${C[@]}"
    for c in "${C[@]}"; do od_docker network disconnect -f "$net2" "$c" >/dev/null 2>&1; done
    od_docker network rm "$net2" >/dev/null || true
}

# h2. A second network that only c1 and c2 share.
case_partial_network() {
    local net3=$IT_PREFIX-net3 c
    if ! it_network_create "$net3" >/dev/null; then
        fail "could not create $net3"
        return
    fi
    for c in "${C[0]}" "${C[1]}"; do
        od_docker network connect "$net3" "$c" || fail "could not connect $c to $net3"
    done
    local IT_MPIRUN_TIMEOUT=60
    mpirun_docker -np 4 --host "$ALL" ring
    if expect_ok; then
        expect_output '^ring ok: sum=10$' 1
        check_ranks 4 "${C[@]}"
    fi
    assert_no_leftovers "${C[@]}"
    for c in "${C[0]}" "${C[1]}"; do od_docker network disconnect -f "$net3" "$c" >/dev/null 2>&1; done
    od_docker network rm "$net3" >/dev/null || true
}

# i. Arguments with shell metacharacters reach the ranks unchanged, and
#    nothing runs them through a shell.
case_metachars() {
    local marker=/tmp/odt-$IT_RUNID-x c i
    # shellcheck disable=SC2016  # literal $ on purpose
    local args=('a b' "\$(touch $marker)" ';' '"q"' '*' "\`touch $marker-bt\`" "it's" '&&' 'x>y' '$HOME' '\n')
    rm -f "$marker" "$marker-bt"
    mpirun_docker -np 4 --host "$ALL" ring --print-args "${args[@]}"
    expect_ok || { assert_no_leftovers "${C[@]}"; return; }
    expect_output '^ring ok: sum=10$' 1
    check_ranks 4 "${C[@]}"
    expect_output '^arg\[1\]=<--print-args>$' 4
    for ((i = 0; i < ${#args[@]}; i++)); do
        local want="arg[$((i + 2))]=<${args[$i]}>" got
        got=$(grep -cxF -- "$want" "$LAST_OUT")
        [ "$got" -eq 4 ] || fail "line '$want' seen $got times, want 4"
    done
    expect_output '^arg\[[0-9]+\]=' $((4 * (${#args[@]} + 2)))
    for c in "${C[@]}"; do
        if od_docker exec "$c" /bin/sh -c "test -e '$marker' || test -e '$marker-bt'"; then
            fail "$c: $marker was created: an argument went through a shell"
        fi
    done
    if [ -e "$marker" ] || [ -e "$marker-bt" ]; then
        fail "the host has $marker: an argument went through a shell"
        rm -f "$marker" "$marker-bt"
    fi
    assert_no_leftovers "${C[@]}"
}

# k. Progress: a daemon start-up slower than plm_docker_progress (2 s) prints
#    "N/M daemons started, K/M called back" lines, the last one with all
#    called back; a fast one prints none. The slow daemon is a script of the
#    test in the containers (sleep 3, then orted).
case_progress() {
    local c daemon
    daemon=$(it_rt_is_prrte && echo prted || echo orted)
    for c in "${C[@]}"; do
        # shellcheck disable=SC2016  # for the container's shell
        od_docker exec "$c" sh -c 'printf "#!/bin/sh\nsleep 3\nexec $1 \"\$@\"\n" >/tmp/slow-daemon \
            && chmod +x /tmp/slow-daemon' sh "$daemon" || { fail "could not write /tmp/slow-daemon in $c"; return; }
    done
    mpirun_docker --mca plm_docker_orted /tmp/slow-daemon -np 4 --host "$ALL" ring
    if expect_ok; then
        expect_output '^mpirun: plm docker: 4/4 daemons started, [0-3]/4 called back \([0-9.]+ s\)$'
        expect_output '^mpirun: plm docker: 4/4 daemons started, 4/4 called back \([0-9.]+ s\)$' 1
        note "$(grep -c '^mpirun: plm docker:' "$LAST_OUT") progress line(s)"
    fi
    mpirun_docker -np 4 --host "$ALL" ring
    expect_ok && expect_output '^mpirun: plm docker: ' 0
    for c in "${C[@]}"; do od_docker exec "$c" rm -f /tmp/slow-daemon; done
    assert_no_leftovers "${C[@]}"
}

# j. The component's parameters, each with a help string.
case_params() {
    local p help
    run_capture -- ompi_info --param plm docker --level 9
    expect_ok || return
    for p in host tls_verify cert_path user num_concurrent timeout orted priority tree_spawn; do
        grep -q "\"plm_docker_$p\"" "$LAST_OUT" || fail "plm_docker_$p not listed"
    done
    run_capture -- ompi_info --param plm docker --level 9 --parsable
    expect_ok || return
    for p in host tls_verify cert_path user num_concurrent timeout orted priority tree_spawn; do
        help=$(sed -n "s/^mca:plm:docker:param:plm_docker_$p:help://p" "$LAST_OUT")
        [ -n "$help" ] || fail "plm_docker_$p has no help string"
    done
}

run_case "a: 4 containers, one rank each" case_basic
run_case "b: no docker CLI, no ssh on the host" case_no_cli
run_case "c: containers given by short id" case_by_id
run_case "d1: unknown container" case_unknown_container
run_case "d2: stopped container" case_stopped_container
run_case "d3: endpoint: missing unix socket" case_endpoint_missing_socket
run_case "d4: endpoint: closed tcp port" case_endpoint_closed_port
run_case "d5: endpoint: stalls (plm_docker_timeout 3)" case_endpoint_stall
run_case "d6: endpoint: not Docker" case_endpoint_not_docker
run_case "d7: endpoint: API version too old" case_endpoint_old_api
run_case "d8: endpoint: garbage" case_endpoint_garbage
run_case "d9: endpoint: HTTP 500" case_endpoint_http_500
run_case "e: orted missing in the containers" case_orted_missing
run_case "f: a rank fails" case_rank_fails
run_case "g1: SIGINT to mpirun" case_sigint
run_case "g2: SIGTERM to mpirun" case_sigterm
run_case "g3: SIGKILL to mpirun" case_sigkill
run_case "h: containers on two networks" case_two_networks
run_case "h2: a second network shared by c1 and c2 only" case_partial_network
run_case "i: shell metacharacters in arguments" case_metachars
run_case "j: parameters listed by ompi_info" case_params
run_case "k: progress lines while start-up is slow" case_progress

it_summary
