#!/bin/bash
# IT_RUNTIMES: orte
# shellcheck disable=SC2119,SC2120  # helpers with optional arguments
# Tree-spawn (plm_docker_tree_spawn 1, Open MPI 4) on a private TLS engine.
#
# The rig: a bridge of the run (198.18.N.0/24, the host = .1) made before a
# private dockerd starts on it (--bridge, so the engine can listen on the
# bridge's address from the start), --tlsverify on tcp://127.0.0.1:PORT (for
# mpirun) and tcp://GATEWAY:PORT (for the daemons inside the containers),
# its own data root, exec root, pid file and socket, no iptables rules of its
# own; one FORWARD rule for the bridge (the machine's engine sets the policy
# to DROP). The machine's engine is never touched, except to read the test
# image (docker save).
#
# Images on the private engine: the plain test image, and a "tree" image
# FROM it with mca_plm_docker.so (this build), its help files and the
# libraries it needs (libcurl4, libjson-c5, ... as .debs from Debian's
# archive, cached) — the recipe of docs/tree-spawn.md. Containers t1..t6 of
# the tree image and p1..p5 of the plain one, all with the client
# certificates mounted read-only at /certs.
#
# Cases:
#  1. tree: -np 6 over t1..t6, routed_radix 2: ring ok, a rank in every
#     container, the verbose output shows daemons launched by daemons
#     ("[[j,0],V] plm:docker: launching daemon ... via tcp://GATEWAY:PORT"
#     with V != 0), and mpirun itself launched only its children.
#  2. fallback, no component: -np 5 over p1..p5 (plain image): exactly one
#     tree-spawn warning, ring ok, a rank in every container.
#  3. fallback, no credentials: t1..t5 with plm_docker_tree_cert_path
#     naming a directory that does not exist in the containers: one warning
#     (naming the engine's complaint), ring ok.
#  4. a flat launch with the same containers is unchanged (no warning, no
#     daemon launched by a daemon).
# After each: no exec running in any container, only init and sleep.

# shellcheck source=test/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=test/integration/tree_image.sh
. "$IT_DIR/tree_image.sh"

it_setup 0
# shellcheck source=test/integration/private_engine.sh
. "$IT_DIR/private_engine.sh"

PD_PORT=
PD_URL=            # for mpirun: tcp://127.0.0.1:PORT
PD_GW_URL=         # for the daemons: tcp://GATEWAY:PORT
TREE_BRIDGE=       # the run's bridge interface (PD_BRIDGE: the FORWARD rule is in)
PKI=$IT_RUNDIR/pki
GOOD=$IT_RUNDIR/certs
TREE_IMAGE=ompi-docker-tree-test:$IT_RUNID
T_C=() P_C=()
for i in 1 2 3 4 5 6; do T_C+=("$IT_PREFIX-t$i"); done
for i in 1 2 3 4 5; do P_C+=("$IT_PREFIX-p$i"); done


_ossl() { openssl "$@" >>"$PKI/openssl.log" 2>&1; }

# make_certs GATEWAY: a CA, a server certificate for 127.0.0.1 and GATEWAY,
# a client certificate (GOOD: ca.pem, cert.pem, key.pem).
make_certs() {
    mkdir -p "$PKI" "$GOOD" || return 1
    (
        cd "$PKI" || exit 1
        _ossl req -x509 -newkey rsa:2048 -nodes -keyout ca-key.pem -out ca.pem -days 2 \
            -subj "/CN=ompi-docker tree CA $IT_RUNID" || exit 1
        printf 'subjectAltName=IP:127.0.0.1,IP:%s\nextendedKeyUsage=serverAuth\n' "$1" >server.ext
        _ossl req -newkey rsa:2048 -nodes -keyout server-key.pem -out server.csr \
            -subj /CN=127.0.0.1 || exit 1
        _ossl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 2 \
            -extfile server.ext -out server-cert.pem || exit 1
        printf 'extendedKeyUsage=clientAuth\n' >client.ext
        _ossl req -newkey rsa:2048 -nodes -keyout key.pem -out client.csr \
            -subj "/CN=ompi-docker client" || exit 1
        _ossl x509 -req -in client.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 2 \
            -extfile client.ext -out cert.pem || exit 1
    ) || return 1
    cp "$PKI/ca.pem" "$PKI/cert.pem" "$PKI/key.pem" "$GOOD/" && chmod 0644 "$GOOD"/*.pem
}

# build_tree_image: the image recipe of docs/tree-spawn.md, on the private
# engine (no network during the build).
build_tree_image() {
    tree_image_build pd "$IT_IMAGE" "$TREE_IMAGE" "$IT_RUNDIR" "${IT_LABELS[@]}" || { PD_WHY=$TI_WHY; return 1; }
}

pd_start() {
    local i subnet gw img_id c out
    PD_PORT=$(closed_port) || { PD_WHY="no free port"; return 1; }
    subnet=$(free_subnet) || { PD_WHY="no free subnet"; return 1; }
    gw=${subnet%.0/24}.1
    TREE_BRIDGE=odt${IT_RUNID}tr
    ip link add name "$TREE_BRIDGE" type bridge && ip addr add "$gw/24" dev "$TREE_BRIDGE" \
        && ip link set "$TREE_BRIDGE" up || { PD_WHY="could not make bridge $TREE_BRIDGE"; return 1; }
    make_certs "$gw" || { PD_WHY="could not make the certificates: $(tail -n 3 "$PKI/openssl.log")"; return 1; }
    PD_URL=tcp://127.0.0.1:$PD_PORT
    PD_GW_URL=tcp://$gw:$PD_PORT
    PD_ARGS=(--tlsverify --tlscacert "$PKI/ca.pem" --tlscert "$PKI/server-cert.pem"
             --tlskey "$PKI/server-key.pem" -H "$PD_URL" -H "$PD_GW_URL" --dns "$gw")
    PD_BRIDGE_OPT=(--bridge "$TREE_BRIDGE")
    pd_daemon_start && pd_load_image || return 1
    build_tree_image || return 1
    iptables -I FORWARD -i "$TREE_BRIDGE" -o "$TREE_BRIDGE" -j ACCEPT \
        || { PD_WHY="could not allow forwarding on $TREE_BRIDGE"; return 1; }
    PD_BRIDGE=$TREE_BRIDGE
    # A private component directory of this host in OMPI_MCA_mca_base_component_path
    # (a build not installed) reaches the ranks through their environment: an
    # empty directory there in the containers, so that their scan goes on to
    # the image's own (a missing one stops it).
    local d mounts=()
    mkdir -p "$IT_RUNDIR/empty"
    for d in ${OMPI_MCA_mca_base_component_path//:/ }; do
        [ -d "$d" ] && [[ $d != /usr/lib/* ]] && mounts+=(-v "$IT_RUNDIR/empty:$d:ro")
    done
    for c in "${T_C[@]}" "${P_C[@]}"; do
        local img=$TREE_IMAGE
        [[ $c == *-p* ]] && img=$IT_IMAGE
        if ! out=$(pd run -d --init --name "$c" --hostname "$c" "${IT_LABELS[@]}" \
                -v "$GOOD:/certs:ro" "${mounts[@]}" --pull never "$img" sleep infinity 2>&1); then
            PD_WHY="could not start $c: $out"
            return 1
        fi
    done
    printf 'private engine %s / %s (pid %s): bridge %s %s, tree image %s\n' "$PD_URL" \
        "$PD_GW_URL" "$PD_PID" "$TREE_BRIDGE" "$subnet" "$TREE_IMAGE"
    PD_READY=1
}

# tree_stop: the private engine (private_engine.sh), its bridge and keys.
tree_stop() {
    pd_stop
    if [ -n "$TREE_BRIDGE" ] && ip link show "$TREE_BRIDGE" >/dev/null 2>&1; then
        ip link del "$TREE_BRIDGE" 2>/dev/null
    fi
    rm -rf "$PKI" "$GOOD" "$IT_RUNDIR/tree-image"
}

# pd_clean C...: no exec still running in the containers, and nothing but
# init and sleep in them (nor of mpirun's session on the host).
pd_clean() {
    local c e execs
    for c in "$@"; do
        execs=$(pd inspect -f '{{range .ExecIDs}}{{.}} {{end}}' "$c")
        for e in $execs; do
            [ "$(pd exec inspect -f '{{.Running}}' "$e" 2>/dev/null)" = true ] \
                && fail "an exec still runs in $c: $(pd exec inspect -f '{{.ProcessConfig.Entrypoint}} {{.ProcessConfig.Arguments}}' "$e" | cut -c1-120)"
        done
    done
    on_pd assert_no_leftovers --within 10 "$@"
}

TREE_ARGS=()
tree_args() {   # tree_args CERT_PATH_IN_CONTAINERS
    TREE_ARGS=(--mca plm_docker_host "$PD_URL" --mca plm_docker_tls_verify 1
               --mca plm_docker_cert_path "$GOOD" --mca plm_docker_tree_spawn 1
               --mca plm_docker_tree_host "$PD_GW_URL" --mca plm_docker_tree_cert_path "$1"
               --mca routed_radix 2 --mca plm_base_verbose 5)
}

# launched_by_daemons: the "launching daemon" lines of daemons (not mpirun).
launched_by_daemons() {
    grep -E '^(\[[^]]+\] )?\[\[[0-9]+,0\],[1-9][0-9]*\] plm:docker: launching daemon \[\[[0-9]+,0\],[0-9]+\] in container ' "$LAST_OUT"
}
launched_by_mpirun() {
    grep -E '^(\[[^]]+\] )?\[\[[0-9]+,0\],0\] plm:docker: launching daemon \[\[[0-9]+,0\],[0-9]+\] in container ' "$LAST_OUT"
}

# 1. Tree-spawn: daemons launch daemons.
case_tree() {
    pd_ready || return
    local n_d n_m
    tree_args /certs
    mpirun_docker "${TREE_ARGS[@]}" -np 6 --host "$(it_hosts "${T_C[@]}")" ring
    expect_ok || { pd_clean "${T_C[@]}"; return; }
    expect_output '^ring ok: sum=21$' 1
    on_pd check_ranks 6 "${T_C[@]}"
    n_d=$(launched_by_daemons | wc -l)
    n_m=$(launched_by_mpirun | wc -l)
    note "launched by mpirun: $n_m, by daemons: $n_d"
    launched_by_daemons | sed -e 's/^/    | /' | head -n 6
    [ "$n_d" -ge 1 ] || { fail "no daemon was launched by a daemon"; show_output; }
    [ $((n_d + n_m)) -eq 6 ] || fail "$((n_d + n_m)) launches for 6 daemons"
    [ "$n_m" -lt 6 ] || fail "mpirun launched every daemon itself"
    launched_by_daemons | grep -qF "via $PD_GW_URL" || fail "daemons did not use $PD_GW_URL"
    if grep -qi 'could not launch daemons\|cannot launch daemons' "$LAST_OUT"; then
        fail "a tree-spawn warning in a good run"
    fi
    pd_clean "${T_C[@]}"
}

# 2. The image lacks the component: one warning, flat, the job runs.
case_fallback_no_component() {
    pd_ready || return
    local n_w
    tree_args /certs
    mpirun_docker "${TREE_ARGS[@]}" -np 5 --host "$(it_hosts "${P_C[@]}")" ring
    expect_ok || { pd_clean "${P_C[@]}"; return; }
    expect_output '^ring ok: sum=15$' 1
    on_pd check_ranks 5 "${P_C[@]}"
    n_w=$(grep -c 'plm_docker_tree_spawn was set, but the daemon in container' "$LAST_OUT")
    [ "$n_w" -eq 1 ] || { fail "$n_w tree-spawn warnings, want 1"; show_output; }
    grep -q 'launch daemons (Docker endpoint' "$LAST_OUT" || fail "the warning is not the tree-spawn one"
    [ "$(launched_by_daemons | wc -l)" -eq 0 ] || fail "a daemon launched a daemon"
    pd_clean "${P_C[@]}"
}

# 3. The component is there but the credentials are not: one warning, flat.
case_fallback_no_certs() {
    pd_ready || return
    local n_w
    tree_args /nonexistent-certs
    mpirun_docker "${TREE_ARGS[@]}" -np 5 --host "$(it_hosts "${T_C[@]:0:5}")" ring
    expect_ok || { pd_clean "${T_C[@]}"; return; }
    expect_output '^ring ok: sum=15$' 1
    on_pd check_ranks 5 "${T_C[@]:0:5}"
    n_w=$(grep -c 'plm_docker_tree_spawn was set, but the daemon in container' "$LAST_OUT")
    [ "$n_w" -eq 1 ] || { fail "$n_w tree-spawn warnings, want 1"; show_output; }
    grep -q 'cannot launch daemons: tcp://' "$LAST_OUT" \
        || fail "the warning does not carry the daemon's reason"
    [ "$(launched_by_daemons | wc -l)" -eq 0 ] || fail "a daemon launched a daemon"
    pd_clean "${T_C[@]}"
}

# 4. Without plm_docker_tree_spawn: flat, as before, in the same containers.
case_flat() {
    pd_ready || return
    mpirun_docker --mca plm_docker_host "$PD_URL" --mca plm_docker_tls_verify 1 \
        --mca plm_docker_cert_path "$GOOD" --mca routed_radix 2 --mca plm_base_verbose 5 \
        -np 6 --host "$(it_hosts "${T_C[@]}")" ring
    expect_ok || { pd_clean "${T_C[@]}"; return; }
    expect_output '^ring ok: sum=21$' 1
    [ "$(launched_by_mpirun | wc -l)" -eq 6 ] || fail "mpirun did not launch all 6 daemons"
    [ "$(launched_by_daemons | wc -l)" -eq 0 ] || fail "a daemon launched a daemon"
    pd_clean "${T_C[@]}"
}

it_at_exit tree_stop
if ! command -v openssl >/dev/null; then
    PD_WHY="openssl is not installed"
elif ! command -v dockerd >/dev/null; then
    PD_WHY="dockerd is not installed"
else
    pd_start || echo "private engine not ready: $PD_WHY"
fi

run_case "1: tree-spawn, routed_radix 2, 6 containers" case_tree
run_case "2: fallback: the image lacks plm docker" case_fallback_no_component
run_case "3: fallback: no credentials in the containers" case_fallback_no_certs
run_case "4: flat launch (no plm_docker_tree_spawn)" case_flat

tree_stop
it_summary
