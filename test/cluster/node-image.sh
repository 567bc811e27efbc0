# shellcheck shell=bash
# shellcheck disable=SC2034  # variables for the callers
# The rig's node image: Debian bookworm with Docker's engine (docker.io),
# built without any registry and cached by content, like the test image
# (scripts/lib/image.sh):
#
#   ompi-docker-node:<hash>   debootstrap minbase + docker.io, iptables,
#                             procps, iproute2, ca-certificates; `docker
#                             import`ed. The rootfs tarball is kept in
#                             $OD_CACHE_DIR/node-<hash>.tar, so a run after
#                             the image store was wiped skips debootstrap.
#
# cl_ensure_node_image sets CL_NODE_IMAGE (logs on stderr).

# shellcheck source=scripts/lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib/common.sh"

CL_NODE_RECIPE_VERSION=1
CL_NODE_SUITE=${OMPI_DOCKER_SUITE:-bookworm}
CL_NODE_MIRROR=${OMPI_DOCKER_MIRROR:-http://deb.debian.org/debian}
CL_NODE_PACKAGES=docker.io,iptables,procps,iproute2,ca-certificates
CL_NODE_IMAGE=

cl_node_hash() {
    printf 'recipe=%s\nsuite=%s\nvariant=minbase\npackages=%s\n' \
        "$CL_NODE_RECIPE_VERSION" "$CL_NODE_SUITE" "$CL_NODE_PACKAGES" | sha256sum | cut -c1-12
}

_cl_node_debootstrap() {
    local tarball=$1 root t0
    command -v debootstrap >/dev/null || od_die "debootstrap not installed"
    mkdir -p "$OD_CACHE_DIR"
    root=$(mktemp -d "$OD_CACHE_DIR/noderoot.XXXXXX")
    t0=$(od_now)
    od_log "debootstrap $CL_NODE_SUITE (minbase, +$CL_NODE_PACKAGES) into $root"
    if ! debootstrap --variant=minbase --include="$CL_NODE_PACKAGES" \
            "$CL_NODE_SUITE" "$root" "$CL_NODE_MIRROR" >"$root.log" 2>&1; then
        tail -n 30 "$root.log" >&2
        rm -rf "$root"
        od_die "debootstrap of the node image failed (log: $root.log)"
    fi
    rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* \
        "$root"/var/log/bootstrap.log "$root"/debootstrap
    : >"$root/etc/resolv.conf"
    tar --numeric-owner -C "$root" -cf "$tarball.part" . || od_die "tar of the node rootfs failed"
    mv "$tarball.part" "$tarball"
    rm -rf "$root" "$root.log"
    od_log "node rootfs cached as $tarball ($(du -h "$tarball" | cut -f1), $(od_elapsed "$t0") s)"
}

cl_ensure_node_image() {
    local hash tag tarball lock_fd t0
    hash=$(cl_node_hash)
    tag=ompi-docker-node:$hash
    CL_NODE_IMAGE=$tag
    od_docker image inspect "$tag" >/dev/null 2>&1 && return 0
    mkdir -p "$OD_CACHE_DIR"
    exec {lock_fd}>"$OD_CACHE_DIR/.lock-node"
    flock "$lock_fd"
    if ! od_docker image inspect "$tag" >/dev/null 2>&1; then
        tarball=$OD_CACHE_DIR/node-$hash.tar
        [ -s "$tarball" ] || _cl_node_debootstrap "$tarball"
        t0=$(od_now)
        od_docker import \
            --change "LABEL ompi-docker.image=node ompi-docker.recipe=$hash" \
            --change 'CMD ["/bin/bash"]' \
            --message "ompi-docker rig node: debootstrap $CL_NODE_SUITE minbase +$CL_NODE_PACKAGES" \
            "$tarball" "$tag" >/dev/null || od_die "docker import of $tarball failed"
        od_log "imported $tag in $(od_elapsed "$t0") s"
    fi
    exec {lock_fd}>&-
}
