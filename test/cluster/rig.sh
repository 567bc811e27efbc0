#!/bin/bash
# shellcheck disable=SC2034  # variables for the callers
# A multi-node Docker Swarm on one machine, for the multi-node tests:
#
#   test/cluster/rig.sh up     # prints the state file to source
#   test/cluster/rig.sh down   # removes everything up made (also a half-made rig)
#   test/cluster/rig.sh status
#
# or, sourced (`. test/cluster/rig.sh`), cl_up / cl_down / cl_load.
#
# What up builds (environment.md, "A multi-node Swarm on one machine"):
#   - an --internal bridge network of the rig; the host is on it (its
#     gateway) and is the Swarm manager (swarm init on that address);
#   - CL_NODES (3) Docker-in-Docker node containers from the node image
#     (node-image.sh: debootstrap + docker.io, cached by content), each with
#     its own dockerd on /var/lib/docker in a tmpfs, listening on
#     tcp://ADDR:2376 with TLS (--tlsverify; certificates made here with
#     openssl: a CA, one server certificate for every node address, one
#     client certificate), joined to the swarm as workers;
#     `--dns` is the rig's own gateway, so no name lookup leaves the rig;
#   - the test image (ompi-docker-test) loaded into every node
#     (POST /images/load of one `docker save`);
#   - an attachable overlay network CL_OVERLAY for the tests' services.
#
# Everything carries CL_LABEL (default ompi-docker.test=cluster, plus
# ompi-docker.session=$OD_SESSION when set). up refuses to run when the
# host engine is already in a swarm (not ours to change). A failing up
# removes what it made. The state file ($CL_DIR/state) records what was
# made, so down undoes exactly that, also after a crash.
#
# Environment: CL_DIR (default /tmp/ompi-docker-cluster), CL_NODES (3),
# CL_LABEL, CL_IMAGES (images to load; default: the test image).

CL_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=test/cluster/node-image.sh
. "$CL_TOP/test/cluster/node-image.sh"
# shellcheck source=scripts/lib/image.sh
. "$CL_TOP/scripts/lib/image.sh"

CL_DIR=${CL_DIR:-/tmp/ompi-docker-cluster}
CL_NODES=${CL_NODES:-3}
CL_LABEL=${CL_LABEL:-ompi-docker.test=cluster}
CL_STATE=$CL_DIR/state
CL_PORT=2376
CL_LABELS=(--label "$CL_LABEL" --label ompi-docker.rig=cluster)
[ -n "${OD_SESSION:-}" ] && CL_LABELS+=(--label "ompi-docker.session=$OD_SESSION")

# ------------------------------------------------------------ state file

# cl_state_set NAME VALUE: records (and sets) a variable of the rig.
cl_state_set() {
    mkdir -p "$CL_DIR"
    printf '%s=%q\n' "$1" "$2" >>"$CL_STATE"
    printf -v "$1" '%s' "$2"
}

cl_state_load() {
    # shellcheck disable=SC1090
    [ -f "$CL_STATE" ] && . "$CL_STATE"
    return 0
}

# cl_node_docker I ARGS...: the docker CLI against node I's engine (TLS).
cl_node_docker() {
    local i=$1
    shift
    local addrs
    read -r -a addrs <<<"$CL_NODE_ADDRS"
    DOCKER_HOST='' od_docker -H "tcp://${addrs[$i]}:$CL_PORT" --tlsverify \
        --tlscacert "$CL_CERTS/ca.pem" --tlscert "$CL_CERTS/cert.pem" --tlskey "$CL_CERTS/key.pem" "$@"
}

# cl_node_ping ADDR: the node engine answers /_ping over TLS.
cl_node_ping() {
    curl -sf --max-time 3 --cacert "$CL_CERTS/ca.pem" --cert "$CL_CERTS/cert.pem" \
        --key "$CL_CERTS/key.pem" "https://$1:$CL_PORT/_ping" >/dev/null 2>&1
}

# ----------------------------------------------------------------- certs

# _cl_certs DIR ADDR...: a CA, a server certificate valid for every node
# address (and localhost), a client certificate. Files as the docker CLI
# and plm_docker_cert_path expect them: ca.pem, cert.pem, key.pem (client),
# server-cert.pem, server-key.pem.
_cl_certs() {
    local dir=$1 san="DNS:localhost,IP:127.0.0.1" a
    shift
    for a in "$@"; do san="$san,IP:$a"; done
    mkdir -p "$dir"
    (
        cd "$dir" || exit 1
        openssl req -x509 -newkey rsa:2048 -nodes -keyout ca-key.pem -out ca.pem -days 2 \
            -subj "/CN=ompi-docker rig CA" 2>/dev/null &&
        openssl req -newkey rsa:2048 -nodes -keyout server-key.pem -out server.csr \
            -subj "/CN=ompi-docker rig node" 2>/dev/null &&
        printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\n' "$san" >server.ext &&
        openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial \
            -out server-cert.pem -days 2 -extfile server.ext 2>/dev/null &&
        openssl req -newkey rsa:2048 -nodes -keyout key.pem -out client.csr \
            -subj "/CN=ompi-docker rig client" 2>/dev/null &&
        printf 'extendedKeyUsage=clientAuth\n' >client.ext &&
        openssl x509 -req -in client.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial \
            -out cert.pem -days 2 -extfile client.ext 2>/dev/null &&
        rm -f ./*.csr ./*.ext ca.srl && chmod 0644 ./*.pem
    ) || od_die "openssl could not make the rig's certificates"
}

# ------------------------------------------------------------------- up

_cl_up_failed() {
    od_log "rig: set-up failed; removing what it made"
    cl_down
}

cl_up() {
    local t0 t state subnet gw base i name addr addrs=() names=() pids=() token tar img imgs=()
    t0=$(od_now)
    command -v curl >/dev/null || od_die "curl not installed"
    command -v openssl >/dev/null || od_die "openssl not installed"
    if [ -f "$CL_STATE" ]; then
        od_log "rig: a state file exists ($CL_STATE): taking the old rig down first"
        cl_down
    fi
    state=$(od_docker info --format '{{.Swarm.LocalNodeState}}') || od_die "no Docker engine answers"
    [ "$state" = inactive ] ||
        od_die "the host engine's swarm state is '$state', not inactive: not ours to change"
    mkdir -p "$CL_DIR"
    : >"$CL_STATE"
    trap '_cl_up_failed; exit 1' INT TERM

    # images first: nothing to undo if they cannot be had
    cl_ensure_node_image
    img=$(img_ensure_images) || { cl_down; od_die "no test image"; }
    cl_state_set CL_IMAGES "${CL_IMAGES:-$img}"
    od_log "rig: images ready ($(od_elapsed "$t0") s): $CL_NODE_IMAGE, $CL_IMAGES"

    t=$(od_now)
    cl_state_set CL_NET "odc-$$-net"
    od_docker network inspect docker_gwbridge >/dev/null 2>&1 && cl_state_set CL_GWBRIDGE_OLD 1
    od_docker network create --internal "${CL_LABELS[@]}" "$CL_NET" >/dev/null ||
        { _cl_up_failed; od_die "could not create the rig's network"; }
    subnet=$(od_docker network inspect -f '{{(index .IPAM.Config 0).Subnet}}' "$CL_NET")
    gw=$(od_docker network inspect -f '{{(index .IPAM.Config 0).Gateway}}' "$CL_NET")
    # the nodes get fixed addresses (in the certificate), which Docker
    # allows only on a network with a subnet given: the one it just chose
    if ! od_docker network rm "$CL_NET" >/dev/null ||
        ! od_docker network create --internal --subnet "$subnet" --gateway "$gw" "${CL_LABELS[@]}" \
            "$CL_NET" >/dev/null; then
        _cl_up_failed
        od_die "could not create the rig's network"
    fi
    case $subnet in
        */*) ;;
        *) _cl_up_failed; od_die "the rig's network has no IPv4 subnet" ;;
    esac
    base=${gw%.*}
    cl_state_set CL_SUBNET "$subnet"
    cl_state_set CL_MANAGER_ADDR "$gw"
    for i in $(seq 1 "$CL_NODES"); do
        addrs+=("$base.$((10 + i))")
        names+=("odc-$$-node$i")
    done
    cl_state_set CL_NODE_ADDRS "${addrs[*]}"
    cl_state_set CL_NODE_NAMES "${names[*]}"
    cl_state_set CL_CERTS "$CL_DIR/certs"
    _cl_certs "$CL_CERTS" "${addrs[@]}"

    for i in "${!names[@]}"; do
        od_docker run -d --name "${names[$i]}" --hostname "cl-node$((i + 1))" "${CL_LABELS[@]}" \
            --network "$CL_NET" --ip "${addrs[$i]}" --dns "$gw" \
            --cap-add=ALL --cap-drop=SYS_RESOURCE \
            --security-opt seccomp=unconfined --security-opt apparmor=unconfined \
            --tmpfs /run --tmpfs /var/lib/docker:exec,size=4g \
            -v /sys/fs/cgroup:/sys/fs/cgroup:rw -v "$CL_CERTS:/certs:ro" \
            "$CL_NODE_IMAGE" \
            dockerd -H unix:///var/run/docker.sock -H "tcp://0.0.0.0:$CL_PORT" \
            --tlsverify --tlscacert /certs/ca.pem --tlscert /certs/server-cert.pem \
            --tlskey /certs/server-key.pem --dns "$gw" >/dev/null ||
            { _cl_up_failed; od_die "could not start node ${names[$i]}"; }
    done
    for addr in "${addrs[@]}"; do
        for i in $(seq 1 120); do
            cl_node_ping "$addr" && break
            sleep 0.5
        done
        cl_node_ping "$addr" || { od_log "rig: node engine $addr:$CL_PORT does not answer";
            for name in "${names[@]}"; do od_docker logs --tail 20 "$name" >&2; done
            _cl_up_failed; od_die "rig: a node engine did not come up"; }
    done
    od_log "rig: ${#names[@]} node engines answer on TLS ($(od_elapsed "$t") s)"

    t=$(od_now)
    cl_state_set CL_SWARM_MINE 1
    od_docker swarm init --advertise-addr "$gw" --listen-addr "$gw:2377" >/dev/null ||
        { _cl_up_failed; od_die "docker swarm init failed"; }
    token=$(od_docker swarm join-token -q worker)
    # the saved images, once, while the nodes join
    tar=$CL_DIR/images.tar
    read -r -a imgs <<<"$CL_IMAGES"
    od_docker save -o "$tar" "${imgs[@]}" || { _cl_up_failed; od_die "docker save failed"; }
    pids=()
    for i in "${!names[@]}"; do
        cl_node_docker "$i" swarm join --token "$token" --advertise-addr "${addrs[$i]}" \
            "$gw:2377" >/dev/null &
        pids+=($!)
    done
    for i in "${pids[@]}"; do wait "$i" || { _cl_up_failed; od_die "a node could not join the swarm"; }; done
    od_log "rig: swarm of 1 manager + ${#names[@]} workers ($(od_elapsed "$t") s)"

    t=$(od_now)
    pids=()
    for i in "${!names[@]}"; do
        cl_node_docker "$i" load -q -i "$tar" >/dev/null &
        pids+=($!)
    done
    for i in "${pids[@]}"; do wait "$i" || { _cl_up_failed; od_die "loading the images into a node failed"; }; done
    rm -f "$tar"
    od_log "rig: images loaded into every node ($(od_elapsed "$t") s)"

    cl_state_set CL_OVERLAY "odc-$$-ov"
    od_docker network create -d overlay --attachable "${CL_LABELS[@]}" "$CL_OVERLAY" >/dev/null ||
        { _cl_up_failed; od_die "could not create the overlay network"; }
    # every worker ready before a test schedules on it
    for i in $(seq 1 60); do
        [ "$(od_docker node ls --filter role=worker --format '{{.Status}} {{.Availability}}' |
            grep -c '^Ready Active')" -eq "${#names[@]}" ] && break
        sleep 0.5
    done
    cl_state_set CL_UP 1
    trap - INT TERM
    od_log "rig: up in $(od_elapsed "$t0") s; state: $CL_STATE"
}

# ----------------------------------------------------------------- down

# cl_down: removes what the state file says was made, as far as it got;
# idempotent. Order: services (their tasks go with them), the overlay,
# the nodes (leaving the swarm), the manager's swarm, the node containers,
# the networks, the run directory.
cl_down() {
    local t0 ids i n pids=()
    t0=$(od_now)
    cl_state_load
    [ -f "$CL_STATE" ] || { od_log "rig: nothing to take down ($CL_STATE missing)"; return 0; }
    if [ "${CL_SWARM_MINE:-}" = 1 ]; then
        ids=$(od_docker service ls -q --filter "label=$CL_LABEL" 2>/dev/null)
        # shellcheck disable=SC2086
        [ -z "$ids" ] || od_docker service rm $ids >/dev/null 2>&1
        [ -z "${CL_OVERLAY:-}" ] || od_docker network rm "$CL_OVERLAY" >/dev/null 2>&1
        if [ -n "${CL_NODE_ADDRS:-}" ] && [ -n "${CL_CERTS:-}" ]; then
            read -r -a n <<<"$CL_NODE_ADDRS"
            for i in "${!n[@]}"; do
                OD_DOCKER_TIMEOUT=20 cl_node_docker "$i" swarm leave --force >/dev/null 2>&1 &
                pids+=($!)
            done
            for i in "${pids[@]}"; do wait "$i"; done
        fi
        od_docker swarm leave --force >/dev/null 2>&1
    fi
    ids=$(od_docker ps -aq --filter "label=$CL_LABEL" --filter label=ompi-docker.rig=cluster)
    # shellcheck disable=SC2086
    [ -z "$ids" ] || od_docker rm -f -v $ids >/dev/null 2>&1
    [ -z "${CL_NET:-}" ] || ! od_docker network inspect "$CL_NET" >/dev/null 2>&1 ||
        od_docker network rm "$CL_NET" >/dev/null
    if [ "${CL_SWARM_MINE:-}" = 1 ] && [ "${CL_GWBRIDGE_OLD:-}" != 1 ]; then
        for i in $(seq 1 20); do
            od_docker network inspect docker_gwbridge >/dev/null 2>&1 || break
            od_docker network rm docker_gwbridge >/dev/null 2>&1 && break
            sleep 0.5
        done
    fi
    rm -rf "$CL_CERTS" "$CL_DIR/images.tar" "$CL_STATE"
    rmdir "$CL_DIR" 2>/dev/null
    unset CL_UP CL_SWARM_MINE CL_OVERLAY CL_NET CL_NODE_ADDRS CL_NODE_NAMES CL_GWBRIDGE_OLD
    od_log "rig: down in $(od_elapsed "$t0") s"
}

# cl_leftovers: prints what of a rig is still there (nothing when clean).
cl_leftovers() {
    local state
    od_docker ps -aq --filter label=ompi-docker.rig=cluster | sed 's/^/container /'
    od_docker network ls -q --filter label=ompi-docker.rig=cluster | sed 's/^/network /'
    od_docker service ls -q --filter label=ompi-docker.rig=cluster 2>/dev/null | sed 's/^/service /'
    state=$(od_docker info --format '{{.Swarm.LocalNodeState}}')
    [ "$state" = inactive ] || echo "swarm $state"
    [ "${CL_GWBRIDGE_OLD:-}" = 1 ] || ! od_docker network inspect docker_gwbridge >/dev/null 2>&1 ||
        echo "network docker_gwbridge"
    od_docker network inspect ingress >/dev/null 2>&1 && echo "network ingress"
    [ ! -e "$CL_STATE" ] || echo "file $CL_STATE"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    case ${1:-} in
        up) cl_up && printf '%s\n' "$CL_STATE" ;;
        down) cl_down ;;
        status) cl_state_load; [ -f "$CL_STATE" ] && cat "$CL_STATE"; cl_leftovers ;;
        *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
    esac
fi
