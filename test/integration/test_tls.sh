#!/bin/bash
# IT_RUNTIMES: orte
# shellcheck disable=SC2119,SC2120  # helpers with optional arguments
# TLS endpoints for real: a second, private dockerd of the run listens on
# tcp://127.0.0.1:PORT with --tlsverify (a CA of the run, a server
# certificate for IP 127.0.0.1) and on a unix socket in the run directory
# (for the test's own calls), with its own data root, exec root (and so its
# own containerd), pid file, no default bridge and no iptables rules of its
# own: the machine's engine is never touched. It gets the test image from
# the machine's engine (docker save | docker load, the exact tag, no pull),
# an --internal network with a subnet of 198.18.0.0/15 (off Docker's default
# pools, so no NAT rule of the machine's engine applies to it) and two
# containers. Forwarding between them on that bridge is allowed by one
# FORWARD rule of the run (the machine's engine sets the policy to DROP),
# removed at exit.
#
# mpirun runs on this host with plm_docker_host tcp://127.0.0.1:PORT and
# the client's certificate directory (ca.pem, cert.pem, key.pem): good
# certificates (MCA parameters, then DOCKER_HOST/DOCKER_TLS_VERIFY/
# DOCKER_CERT_PATH), the CA of another authority, no client certificate,
# an expired client certificate, plain HTTP to the TLS port, and ras docker
# over TLS. Open MPI 4 only (mpirun on the host, the private engine's
# bridge reached through its gateway).

# shellcheck source=test/integration/lib.sh
. "$(dirname "$0")/lib.sh"

it_setup 0

PD_SOCK=$IT_RUNDIR/tls-docker.sock
PD_PIDFILE=$IT_RUNDIR/dockerd.pid
PD_DATA=$IT_RUNDIR/data
PD_EXEC=$IT_RUNDIR/exec
PD_LOG=$IT_RUNDIR/dockerd.log
PD_PORT=
PD_PID=
PD_URL=
PD_READY=0
PD_WHY=            # why the private engine is not ready
PD_NET=$IT_PREFIX-tlsnet
PD_BRIDGE=         # its bridge interface, once the FORWARD rule is in
PD_C=("$IT_PREFIX-t1" "$IT_PREFIX-t2")
PKI=$IT_RUNDIR/pki
GOOD=$IT_RUNDIR/certs-good
WRONG=$IT_RUNDIR/certs-wrong-ca
NOCERT=$IT_RUNDIR/certs-no-client
EXPIRED=$IT_RUNDIR/certs-expired
EXPIRED_WHY=       # set when no expired certificate could be made

# pd ARGS...: the docker CLI against the private engine (its unix socket).
pd() {
    timeout -k 5 120 env -u DOCKER_TLS_VERIFY -u DOCKER_CERT_PATH -u DOCKER_TLS \
        DOCKER_HOST="unix://$PD_SOCK" docker "$@"
}

# on_pd CMD...: a helper of lib.sh (check_ranks, assert_no_leftovers...)
# against the private engine.
on_pd() { DOCKER_HOST="unix://$PD_SOCK" "$@"; }

# re_quote TEXT: TEXT as an extended regular expression matching itself.
# shellcheck disable=SC2016  # a sed expression
re_quote() { printf '%s' "$1" | sed -e 's/[][\.*^$+?(){}|/]/\\&/g'; }

_ossl() { openssl "$@" >>"$PKI/openssl.log" 2>&1; }

# make_certs: the CA, the server and client certificates, the other CA, and
# an expired client certificate (openssl ca with explicit dates); the
# client directories GOOD, WRONG, NOCERT, EXPIRED.
make_certs() {
    mkdir -p "$PKI/db/new" "$GOOD" "$WRONG" "$NOCERT" "$EXPIRED" || return 1
    (
        cd "$PKI" || exit 1
        _ossl req -x509 -newkey rsa:2048 -nodes -keyout ca-key.pem -out ca.pem -days 2 \
            -subj "/CN=ompi-docker test CA $IT_RUNID" || exit 1
        _ossl req -x509 -newkey rsa:2048 -nodes -keyout other-ca-key.pem -out other-ca.pem \
            -days 2 -subj "/CN=ompi-docker other CA $IT_RUNID" || exit 1
        printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >server.ext
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
    cp "$PKI/ca.pem" "$PKI/cert.pem" "$PKI/key.pem" "$GOOD/" || return 1
    cp "$PKI/other-ca.pem" "$WRONG/ca.pem" && cp "$PKI/cert.pem" "$PKI/key.pem" "$WRONG/" || return 1
    cp "$PKI/ca.pem" "$NOCERT/" || return 1
    # Expired: signed by the right CA, valid for one day in 2020.
    : >"$PKI/db/index.txt"
    echo 1000 >"$PKI/db/serial"
    cat >"$PKI/ca.cnf" <<EOF
[ ca ]
default_ca = ca_run
[ ca_run ]
database = $PKI/db/index.txt
new_certs_dir = $PKI/db/new
serial = $PKI/db/serial
default_md = sha256
policy = policy_any
x509_extensions = client_ext
unique_subject = no
[ policy_any ]
commonName = supplied
[ client_ext ]
extendedKeyUsage = clientAuth
basicConstraints = CA:FALSE
EOF
    if _ossl req -newkey rsa:2048 -nodes -keyout "$EXPIRED/key.pem" -out "$PKI/expired.csr" \
            -subj "/CN=ompi-docker expired client" \
        && _ossl ca -batch -notext -config "$PKI/ca.cnf" -cert "$PKI/ca.pem" \
            -keyfile "$PKI/ca-key.pem" -in "$PKI/expired.csr" -out "$EXPIRED/cert.pem" \
            -startdate 20200101000000Z -enddate 20200102000000Z \
        && ! openssl x509 -in "$EXPIRED/cert.pem" -noout -checkend 0 >/dev/null 2>&1; then
        cp "$PKI/ca.pem" "$EXPIRED/" || return 1
    else
        EXPIRED_WHY="openssl ca could not make a backdated certificate (see $PKI/openssl.log)"
    fi
}

# A 198.18.N.0/24 (RFC 2544 benchmark range) no route of this machine uses.
free_subnet() {
    local n i
    for ((i = 0; i < 50; i++)); do
        n=$((RANDOM % 256))
        ip -4 route | grep -q "^198\.18\.$n\." && continue
        echo "198.18.$n.0/24"
        return 0
    done
    return 1
}

# pd_start: the private engine, its image, network, FORWARD rule and the two
# containers. Sets PD_READY=1, or PD_WHY.
pd_start() {
    local i subnet gw img_id c out
    PD_PORT=$(closed_port) || { PD_WHY="no free loopback port"; return 1; }
    PD_URL=tcp://127.0.0.1:$PD_PORT
    # Its own session: a ctrl-C of the test does not reach it first.
    setsid dockerd --tlsverify --tlscacert "$PKI/ca.pem" --tlscert "$PKI/server-cert.pem" \
        --tlskey "$PKI/server-key.pem" -H "tcp://127.0.0.1:$PD_PORT" -H "unix://$PD_SOCK" \
        --data-root "$PD_DATA" --exec-root "$PD_EXEC" --pidfile "$PD_PIDFILE" \
        --bridge none --iptables=false --ip6tables=false >"$PD_LOG" 2>&1 </dev/null &
    PD_PID=$!
    for ((i = 0; i < 120; i++)); do
        pd version --format '{{.Server.Version}}' >/dev/null 2>&1 && break
        if ! kill -0 "$PD_PID" 2>/dev/null; then
            wait "$PD_PID" 2>/dev/null
            PD_WHY="the private dockerd exited at start-up"
            return 1
        fi
        sleep 0.25
    done
    if [ "$i" -ge 120 ]; then PD_WHY="the private dockerd did not answer within 30 s"; return 1; fi
    i=$(cat "$PD_PIDFILE" 2>/dev/null)
    [ -n "$i" ] && [ "$(cat "/proc/$i/comm" 2>/dev/null)" = dockerd ] && PD_PID=$i
    # The test image, by its exact tag; nothing is ever pulled.
    img_id=$(od_docker image inspect -f '{{.Id}}' "$IT_IMAGE") \
        || { PD_WHY="no image $IT_IMAGE on the machine's engine"; return 1; }
    od_docker save "$IT_IMAGE" | pd load -q >/dev/null \
        || { PD_WHY="docker save | docker load of $IT_IMAGE failed"; return 1; }
    [ "$(pd image inspect -f '{{.Id}}' "$IT_IMAGE" 2>/dev/null)" = "$img_id" ] \
        || { PD_WHY="$IT_IMAGE is not on the private engine after the load"; return 1; }
    for ((i = 0; i < 5; i++)); do
        subnet=$(free_subnet) || break
        gw=${subnet%.0/24}.1
        pd network create --internal --subnet "$subnet" --gateway "$gw" "${IT_LABELS[@]}" \
            "$PD_NET" >/dev/null 2>&1 && break
        subnet=
    done
    [ -n "$subnet" ] || { PD_WHY="could not create network $PD_NET"; return 1; }
    c=br-$(pd network inspect -f '{{.Id}}' "$PD_NET" | cut -c1-12)
    iptables -I FORWARD -i "$c" -o "$c" -j ACCEPT \
        || { PD_WHY="could not allow forwarding on $c"; return 1; }
    PD_BRIDGE=$c
    for c in "${PD_C[@]}"; do
        if ! out=$(pd run -d --init --name "$c" "${IT_LABELS[@]}" --network "$PD_NET" \
                --dns "$gw" --pull never "$IT_IMAGE" sleep infinity 2>&1); then
            PD_WHY="could not start $c on the private engine: $out"
            return 1
        fi
    done
    printf 'private engine %s (pid %s, data %s): network %s %s, containers %s\n' \
        "$PD_URL" "$PD_PID" "$PD_DATA" "$PD_NET" "$subnet" "${PD_C[*]}"
    PD_READY=1
}

# pd_stop: everything of the private engine, idempotent: its containers and
# network, the FORWARD rule, the daemon (and its containerd), its mounts,
# data and exec roots, and the keys. The log stays with the outputs.
pd_stop() {
    local ids pid i m cpid
    if [ -n "$PD_PID" ] && kill -0 "$PD_PID" 2>/dev/null; then
        ids=$(pd ps -aq --filter "label=$IT_LABEL" 2>/dev/null)
        # shellcheck disable=SC2086  # ids are words
        [ -z "$ids" ] || pd rm -f $ids >/dev/null 2>&1
        ids=$(pd network ls -q --filter "label=$IT_LABEL" 2>/dev/null)
        # shellcheck disable=SC2086
        [ -z "$ids" ] || pd network rm $ids >/dev/null 2>&1
    fi
    if [ -n "$PD_BRIDGE" ]; then
        iptables -D FORWARD -i "$PD_BRIDGE" -o "$PD_BRIDGE" -j ACCEPT 2>/dev/null
        PD_BRIDGE=
    fi
    pid=$PD_PID
    PD_PID=
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        cpid=$(cat "$PD_EXEC/containerd/containerd.pid" 2>/dev/null)
        kill -TERM "$pid" 2>/dev/null
        for ((i = 0; i < 150; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.2
        done
        if kill -0 "$pid" 2>/dev/null; then
            echo "private dockerd (pid $pid) still runs after 30 s: SIGKILL"
            kill -KILL "$pid" 2>/dev/null
        fi
        wait "$pid" 2>/dev/null
        # Its containerd ends with it; after a SIGKILL it may not.
        if [ -n "$cpid" ] && [ "$(cat "/proc/$cpid/comm" 2>/dev/null)" = containerd ] \
            && tr '\0' ' ' <"/proc/$cpid/cmdline" | grep -qF "$PD_EXEC/"; then
            kill -KILL "$cpid" 2>/dev/null
        fi
    fi
    for m in $(findmnt -rn -o TARGET | grep -F "$IT_RUNDIR/" | sort -r); do
        umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null
    done
    rm -rf "$PD_DATA" "$PD_EXEC" "$PKI" "$GOOD" "$WRONG" "$NOCERT" "$EXPIRED" "$PD_SOCK"
}

# pd_ready: the private engine runs; otherwise the case fails, with the
# daemon's log.
pd_ready() {
    [ "$PD_READY" = 1 ] && return 0
    fail "no private TLS engine: $PD_WHY"
    [ -f "$PD_LOG" ] && tail -n 15 "$PD_LOG" | sed -e 's/^/    | /'
    return 1
}

# pd_clean: nothing of ours left on the private engine: only the two holder
# containers (no exec of a job still running in them), and no process but
# init and sleep in them (nor of mpirun's session on the host).
pd_clean() {
    local names execs c e
    names=$(pd ps -a --format '{{.Names}}' | sort | tr '\n' ' ')
    [ "$names" = "$(printf '%s\n' "${PD_C[@]}" | sort | tr '\n' ' ')" ] \
        || fail "containers on the private engine: $names (want only ${PD_C[*]})"
    for c in "${PD_C[@]}"; do
        execs=$(pd inspect -f '{{range .ExecIDs}}{{.}} {{end}}' "$c")
        for e in $execs; do
            [ "$(pd exec inspect -f '{{.Running}}' "$e" 2>/dev/null)" = true ] \
                && fail "an exec still runs in $c: $(pd exec inspect -f '{{.ProcessConfig.Entrypoint}}' "$e")"
        done
    done
    on_pd assert_no_leftovers "${PD_C[@]}"
}

TLS_ARGS=()        # set per case: --mca plm_docker_host ... tls ... cert path
tls_args() {
    TLS_ARGS=(--mca plm_docker_host "$PD_URL" --mca plm_docker_tls_verify 1
              --mca plm_docker_cert_path "$1")
}

# 1. Good certificates, given as MCA parameters.
case_good_mca() {
    pd_ready || return
    tls_args "$GOOD"
    mpirun_docker "${TLS_ARGS[@]}" -np 2 --host "$(it_hosts "${PD_C[@]}")" ring
    expect_ok || { pd_clean; return; }
    expect_output '^ring ok: sum=3$' 1
    on_pd check_ranks 2 "${PD_C[@]}"
    pd_clean
}

# 2. The same through the docker CLI's environment, no MCA parameter.
case_good_env() {
    pd_ready || return
    DOCKER_HOST=$PD_URL DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=$GOOD \
        mpirun_docker -np 2 --host "$(it_hosts "${PD_C[@]}")" ring
    expect_ok || { pd_clean; return; }
    expect_output '^ring ok: sum=3$' 1
    on_pd check_ranks 2 "${PD_C[@]}"
    pd_clean
}

# 3. ca.pem of another CA: the engine's certificate does not verify.
case_wrong_ca() {
    pd_ready || return
    tls_args "$WRONG"
    expect_fail_with --within 10 "127\.0\.0\.1:$PD_PORT" --and 'certificate verification of the engine failed' \
        --and "$(re_quote "$WRONG/ca.pem")" -- \
        mpirun_docker "${TLS_ARGS[@]}" -np 2 --host "$(it_hosts "${PD_C[@]}")" ring
    pd_clean
}

# 4. No client certificate (ca.pem only): the engine wants one.
case_no_client_cert() {
    pd_ready || return
    tls_args "$NOCERT"
    expect_fail_with --within 10 "127\.0\.0\.1:$PD_PORT" \
        --and 'wants a client certificate and none was given' -- \
        mpirun_docker "${TLS_ARGS[@]}" -np 2 --host "$(it_hosts "${PD_C[@]}")" ring
    pd_clean
}

# 5. An expired client certificate of the right CA: refused by the engine.
case_expired_client_cert() {
    pd_ready || return
    if [ -n "$EXPIRED_WHY" ]; then skip "$EXPIRED_WHY"; return; fi
    tls_args "$EXPIRED"
    expect_fail_with --within 10 "127\.0\.0\.1:$PD_PORT" \
        --and "refused the client certificate $(re_quote "$EXPIRED/cert.pem") \(expired" -- \
        mpirun_docker "${TLS_ARGS[@]}" -np 2 --host "$(it_hosts "${PD_C[@]}")" ring
    pd_clean
}

# 6. Plain HTTP to the TLS port (TLS off, no certificate directory): refused,
#    never downgraded, and the message says the engine speaks TLS.
case_plain_http() {
    pd_ready || return
    expect_fail_with --within 10 "tcp://127\.0\.0\.1:$PD_PORT speaks TLS" \
        --and 'plain HTTP was used' -- \
        mpirun_docker --mca plm_docker_host "$PD_URL" --mca plm_docker_tls_verify 0 \
        --mca plm_docker_cert_path "$IT_RUNDIR/nonexistent" \
        -np 2 --host "$(it_hosts "${PD_C[@]}")" ring
    if grep -qiE 'not a Docker (engine|endpoint)' "$LAST_OUT"; then
        fail "the message calls the TLS engine no Docker endpoint"
    fi
    pd_clean
}

# 7. ras docker over TLS: the run's label selects the two containers.
case_ras() {
    pd_ready || return
    tls_args "$GOOD"
    mpirun_docker --mca ras docker --mca ras_docker_label "$IT_LABEL" "${TLS_ARGS[@]}" \
        --display-allocation -np 2 ring
    expect_ok || { pd_clean; return; }
    local got
    got=$(allocated_nodes | tr '\n' ' ')
    [ "$got" = "${PD_C[0]} 1 ${PD_C[1]} 1 " ] \
        || { fail "allocation: '$got', want ${PD_C[0]} 1 ${PD_C[1]} 1"; show_output; }
    expect_output '^ring ok: sum=3$' 1
    on_pd check_ranks 2 "${PD_C[@]}"
    pd_clean
}

it_at_exit pd_stop
if ! command -v openssl >/dev/null; then
    PD_WHY="openssl is not installed"
elif ! make_certs; then
    PD_WHY="could not make the certificates: $(tail -n 3 "$PKI/openssl.log" 2>/dev/null)"
elif ! command -v dockerd >/dev/null; then
    PD_WHY="dockerd is not installed"
else
    pd_start || echo "private engine not ready: $PD_WHY"
fi

run_case "1: good certificates (MCA parameters)" case_good_mca
run_case "2: good certificates (DOCKER_HOST, DOCKER_TLS_VERIFY, DOCKER_CERT_PATH)" case_good_env
run_case "3: ca.pem of another CA" case_wrong_ca
run_case "4: no client certificate" case_no_client_cert
run_case "5: expired client certificate" case_expired_client_cert
run_case "6: plain HTTP to the TLS port" case_plain_http
run_case "7: ras docker over TLS" case_ras

pd_stop
it_summary
