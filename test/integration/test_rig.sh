#!/bin/bash
# shellcheck disable=SC2119,SC2120  # helpers with optional arguments
# IT_RUNTIMES: orte
# The test rig itself: image, containers, network, the baseline launcher
# (the seed's docker-exec shim), the leftover check, the fake endpoints and
# the sandbox. Independent of the plm docker component: if these fail, the
# component's results mean nothing.
# shellcheck source=test/integration/lib.sh
. "$(dirname "$0")/lib.sh"

it_setup 4
C=("${IT_CONTAINERS[@]}")

case_image_plain() {
    local out
    # shellcheck disable=SC2016  # the script runs in the container
    run_capture -- docker exec "${C[0]}" /bin/sh -c '
        for p in orted ring; do command -v $p >/dev/null || echo "MISSING $p"; done
        for p in docker dockerd curl; do command -v $p >/dev/null && echo "PRESENT $p"; done
        find / -xdev \( -name "*plm_docker*" -o -name "*ras_docker*" -o -name "libdkr*" \) -print 2>/dev/null | sed "s/^/FOUND /"
        true'
    expect_ok || return
    out=$(grep -E '^(MISSING|PRESENT|FOUND) ' "$LAST_OUT")
    [ -z "$out" ] || fail "image is not plain Debian + Open MPI + ring: $(echo "$out" | tr '\n' ' ')"
}

case_containers() {
    local c h id net internal
    for c in "${C[@]}"; do
        [ "$(od_docker inspect -f '{{.State.Running}}' "$c")" = true ] || fail "$c not running"
        h=$(c_hostname "$c")
        id=$(c_short_id "$c")
        case $c in
            *-c1) if [ "$h" = "$c" ] || [ "$h" = "$id" ]; then
                      fail "$c: hostname $h should differ from name and id"
                  fi ;;
            *-c3) [ "$h" = "$c" ] || fail "$c: hostname $h should be its name" ;;
            *) [ "$h" = "$id" ] || fail "$c: hostname $h should be Docker's default ($id)" ;;
        esac
    done
    for net in $(od_docker network ls -q --filter "label=$IT_LABEL"); do
        internal=$(od_docker network inspect -f '{{.Internal}}' "$net")
        [ "$internal" = true ] || fail "network $net is not --internal"
    done
}

case_baseline_shim() {
    mpirun_shim -np 4 --host "$(it_hosts)" ring
    expect_ok || return
    expect_output '^ring ok: sum=10$' 1
    check_ranks 4 "${C[@]}"
    assert_no_leftovers "${C[@]}"
}

# _fake_client URL: the docker CLI against URL, pinned to API 1.41.
_fake_client() {
    run_capture --timeout 5 -- env DOCKER_API_VERSION=1.41 docker -H "$1" version \
        --format '{{.Server.APIVersion}}'
}

case_fake_endpoints() {
    local m sock
    for m in stall garbage not-docker old-api http-500; do
        fake_endpoint_start "$m" unix || continue
        sock=${FAKE_URL#unix://}
        [ -S "$sock" ] || fail "$m: no socket at $sock"
        _fake_client "$FAKE_URL"
        case $m in
            stall) [ "$LAST_RC" -eq 124 ] || fail "stall: client was not left waiting (rc $LAST_RC)" ;;
            garbage) grep -q 'malformed HTTP' "$LAST_OUT" || fail "garbage: $(cat "$LAST_OUT")" ;;
            not-docker) { [ "$LAST_RC" -ne 0 ] && grep -q "invalid character '<'" "$LAST_OUT"; } \
                || fail "not-docker: rc $LAST_RC $(cat "$LAST_OUT")" ;;
            old-api) grep -q 'client version 1.41 is too new. Maximum supported API version is 1.20' \
                "$LAST_OUT" || fail "old-api: $(cat "$LAST_OUT")" ;;
            http-500) grep -q 'internal error of the fake engine' "$LAST_OUT" \
                || fail "http-500: $(cat "$LAST_OUT")" ;;
        esac
        [ "$LAST_RC" -ne 0 ] || fail "$m: the docker CLI succeeded"
        fake_endpoint_stop
        [ ! -e "$sock" ] || fail "$m: socket $sock left after SIGTERM"
    done
    fake_endpoint_start old-api tcp || return
    [[ $FAKE_URL =~ ^tcp://127\.0\.0\.1:[0-9]+$ ]] || fail "tcp url: $FAKE_URL"
    # /_ping as a client that negotiates would see it.
    if (exec 3<>"/dev/tcp/127.0.0.1/${FAKE_URL##*:}" && printf 'GET /_ping HTTP/1.1\r\nHost: x\r\n\r\n' >&3 \
            && timeout 5 cat <&3) >"$IT_RUNDIR/ping.out" 2>&1; then
        grep -q '^Api-Version: 1.20' "$IT_RUNDIR/ping.out" || fail "tcp /_ping: $(cat "$IT_RUNDIR/ping.out")"
    else
        fail "tcp /_ping failed"
    fi
    fake_endpoint_stop
    local p
    p=$(closed_port) || fail "no closed port found"
    note "closed port for the tests: $p"
}

case_sandbox() {
    local before after
    before=$(md5sum /etc/nsswitch.conf "$(command -v docker)")
    run_capture -- "$IT_DIR/sandbox.sh" --no-cli --no-dns -- /bin/sh -c '
        docker version >/dev/null 2>&1 && echo "DOCKER WORKS"
        ssh -V >/dev/null 2>&1 && echo "SSH WORKS"
        /usr/bin/docker version >/dev/null 2>&1 && echo "DEBIAN DOCKER WORKS"
        grep "^hosts:" /etc/nsswitch.conf
        getent hosts localhost >/dev/null || echo "NO LOCALHOST"
        true'
    expect_ok || return
    if grep -qE 'WORKS|NO LOCALHOST' "$LAST_OUT"; then fail "sandbox leaks: $(cat "$LAST_OUT")"; fi
    grep -qx 'hosts: files' "$LAST_OUT" || fail "nsswitch not replaced: $(cat "$LAST_OUT")"
    after=$(md5sum /etc/nsswitch.conf "$(command -v docker)")
    [ "$before" = "$after" ] || fail "the host's files changed"
    dkr_ping || fail "the docker CLI no longer works outside the sandbox"
    # Its guard: told it is in a namespace of its own while it shares its
    # parent's, it must refuse. (Tried inside a throw-away namespace, so that
    # a broken guard cannot touch the machine's files.)
    run_capture -- unshare --mount --propagation private -- /bin/sh -c \
        "'$IT_DIR/sandbox.sh' --in-namespace --no-cli -- true"
    [ "$LAST_RC" -eq 125 ] || fail "sandbox.sh ran in its parent's mount namespace (rc $LAST_RC)"
}

run_case "rig: image is plain (Debian, Open MPI, ring)" case_image_plain
run_case "rig: containers, hostnames, internal network" case_containers
run_case "rig: baseline shim (plm rsh + docker exec) runs ring on 4 containers" case_baseline_shim
run_case "rig: a leftover process is detected and cleared" it_case_leftover_detection
run_case "rig: fake endpoints answer as specified" case_fake_endpoints
run_case "rig: sandbox hides docker/ssh and DNS only inside" case_sandbox

it_summary
