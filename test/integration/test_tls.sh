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

# shellcheck source=test/integration/private_engine.sh
. "$IT_DIR/private_engine.sh"
PD_NET=$IT_PREFIX-tlsnet
PD_PORT=
PD_URL=
PKI=$IT_RUNDIR/pki
GOOD=$IT_RUNDIR/certs-good
WRONG=$IT_RUNDIR/certs-wrong-ca
NOCERT=$IT_RUNDIR/certs-no-client
EXPIRED=$IT_RUNDIR/certs-expired
EXPIRED_WHY=       # set when no expired certificate could be made

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

# tls_start: the private engine, listening on tcp://127.0.0.1:PORT with
# --tlsverify too.
tls_start() {
    PD_PORT=$(closed_port) || { PD_WHY="no free loopback port"; return 1; }
    PD_URL=tcp://127.0.0.1:$PD_PORT
    PD_ARGS=(--tlsverify --tlscacert "$PKI/ca.pem" --tlscert "$PKI/server-cert.pem"
             --tlskey "$PKI/server-key.pem" -H "tcp://127.0.0.1:$PD_PORT")
    pd_start && echo "private engine with TLS on $PD_URL"
}

# tls_stop: the private engine and the keys.
tls_stop() {
    pd_stop
    rm -rf "$PKI" "$GOOD" "$WRONG" "$NOCERT" "$EXPIRED"
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

it_at_exit tls_stop
if ! command -v openssl >/dev/null; then
    PD_WHY="openssl is not installed"
elif ! make_certs; then
    PD_WHY="could not make the certificates: $(tail -n 3 "$PKI/openssl.log" 2>/dev/null)"
elif ! command -v dockerd >/dev/null; then
    PD_WHY="dockerd is not installed"
else
    tls_start || echo "private engine not ready: $PD_WHY"
fi

run_case "1: good certificates (MCA parameters)" case_good_mca
run_case "2: good certificates (DOCKER_HOST, DOCKER_TLS_VERIFY, DOCKER_CERT_PATH)" case_good_env
run_case "3: ca.pem of another CA" case_wrong_ca
run_case "4: no client certificate" case_no_client_cert
run_case "5: expired client certificate" case_expired_client_cert
run_case "6: plain HTTP to the TLS port" case_plain_http
run_case "7: ras docker over TLS" case_ras

tls_stop
it_summary
