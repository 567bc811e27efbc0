# shellcheck shell=bash
# shellcheck disable=SC2034,SC2119,SC2120  # variables for the callers; optional arguments
# Test images, built without any registry and cached by content.
#
#   ompi-docker-base:<hash>  debootstrap minbase of Debian bookworm with
#                            Debian's Open MPI, imported with `docker import`.
#                            <hash> is a hash of the recipe below. The rootfs
#                            tarball is kept in $OD_CACHE_DIR, so that a run
#                            after the image store was wiped skips debootstrap.
#   ompi-docker-test:<hash>  FROM the base, plus the test programs (compiled
#                            on the host with mpicc) in /usr/local/bin.
#                            <hash> covers the base, the sources and mpicc.
#                            Also tagged ompi-docker-test:latest.
#
# Both stay "plain": Debian + Debian's Open MPI + the test app, nothing of
# the launcher.
#
# img_ensure_images prints the test image's name on stdout (logs on stderr)
# and sets OD_BASE_IMAGE and OD_TEST_IMAGE.

# shellcheck source=scripts/lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

# Bump when the recipe changes in a way the variables below do not show.
IMG_RECIPE_VERSION=1
IMG_SUITE=${OMPI_DOCKER_SUITE:-bookworm}
IMG_MIRROR=${OMPI_DOCKER_MIRROR:-http://deb.debian.org/debian}
IMG_VARIANT=minbase
IMG_PACKAGES=openmpi-bin,libopenmpi3
IMG_APPS=(ring)   # test/apps/<name>.c, compiled with mpicc

OD_BASE_IMAGE=
OD_TEST_IMAGE=

_img_hash() { sha256sum | cut -c1-12; }

_img_exists() { od_docker image inspect "$1" >/dev/null 2>&1; }

img_base_hash() {
    # The mirror only matters for where packages come from, not what they are.
    printf 'recipe=%s\nsuite=%s\nvariant=%s\npackages=%s\n' \
        "$IMG_RECIPE_VERSION" "$IMG_SUITE" "$IMG_VARIANT" "$IMG_PACKAGES" | _img_hash
}

# _img_debootstrap TARBALL: make the rootfs tarball (the slow part, ~1-2 min).
_img_debootstrap() {
    local tarball=$1 root t0
    command -v debootstrap >/dev/null || od_die "debootstrap not installed"
    mkdir -p "$OD_CACHE_DIR"
    root=$(mktemp -d "$OD_CACHE_DIR/rootfs.XXXXXX")
    t0=$(od_now)
    od_log "debootstrap $IMG_SUITE ($IMG_VARIANT, +$IMG_PACKAGES) into $root"
    if ! debootstrap --variant="$IMG_VARIANT" --include="$IMG_PACKAGES" \
            "$IMG_SUITE" "$root" "$IMG_MIRROR" >"$root.log" 2>&1; then
        tail -n 30 "$root.log" >&2
        rm -rf "$root"
        od_die "debootstrap failed (log: $root.log)"
    fi
    # Smaller image: no downloaded .debs, no apt lists; Docker provides
    # /etc/hostname, /etc/hosts and /etc/resolv.conf itself.
    rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* \
        "$root"/var/log/bootstrap.log "$root"/debootstrap
    : >"$root/etc/resolv.conf"
    tar --numeric-owner -C "$root" -cf "$tarball.part" . || od_die "tar of the rootfs failed"
    mv "$tarball.part" "$tarball"
    rm -rf "$root" "$root.log"
    od_log "rootfs cached as $tarball ($(du -h "$tarball" | cut -f1), debootstrap+tar $(od_elapsed "$t0") s)"
}

img_ensure_base() {
    local hash tag tarball t0
    hash=$(img_base_hash)
    tag=ompi-docker-base:$hash
    OD_BASE_IMAGE=$tag
    _img_exists "$tag" && return 0
    tarball=$OD_CACHE_DIR/base-$hash.tar
    [ -s "$tarball" ] || _img_debootstrap "$tarball"
    t0=$(od_now)
    od_docker import \
        --change "LABEL ompi-docker.image=base ompi-docker.recipe=$hash" \
        --change 'CMD ["/bin/bash"]' \
        --message "ompi-docker base: debootstrap $IMG_SUITE $IMG_VARIANT +$IMG_PACKAGES" \
        "$tarball" "$tag" >/dev/null || od_die "docker import of $tarball failed"
    od_log "imported $tag in $(od_elapsed "$t0") s"
}

img_test_hash() {
    local a
    {
        printf 'base=%s\nrecipe=%s\n' "$OD_BASE_IMAGE" "$IMG_RECIPE_VERSION"
        mpicc -showme 2>/dev/null
        mpicc --showme:version 2>&1
        for a in "${IMG_APPS[@]}"; do cat "$OD_TOP/test/apps/$a.c"; done
        _img_dockerfile
    } | _img_hash
}

_img_dockerfile() {
    cat <<DOCKERFILE
FROM $OD_BASE_IMAGE
COPY bin/ /usr/local/bin/
LABEL ompi-docker.image=test
DOCKERFILE
}

img_ensure_test() {
    local hash tag ctx a t0
    hash=$(img_test_hash)
    tag=ompi-docker-test:$hash
    OD_TEST_IMAGE=$tag
    if _img_exists "$tag"; then
        od_docker tag "$tag" ompi-docker-test:latest
        return 0
    fi
    command -v mpicc >/dev/null || od_die "mpicc not found (apt-get install libopenmpi-dev)"
    t0=$(od_now)
    ctx=$(mktemp -d "${TMPDIR:-/tmp}/ompi-docker-img.XXXXXX")
    mkdir -p "$ctx/bin"
    for a in "${IMG_APPS[@]}"; do
        mpicc -O2 -g -Wall -o "$ctx/bin/$a" "$OD_TOP/test/apps/$a.c" \
            || { rm -rf "$ctx"; od_die "mpicc of test/apps/$a.c failed"; }
    done
    _img_dockerfile >"$ctx/Dockerfile"
    if ! od_docker build -q --label "ompi-docker.recipe=$hash" -t "$tag" "$ctx" >"$ctx.log" 2>&1; then
        cat "$ctx.log" >&2
        rm -rf "$ctx" "$ctx.log"
        od_die "docker build of $tag failed"
    fi
    rm -rf "$ctx" "$ctx.log"
    od_docker tag "$tag" ompi-docker-test:latest
    od_log "built $tag in $(od_elapsed "$t0") s"
}

# img_ensure_images: both images; prints the test image's name.
img_ensure_images() {
    local lock_fd
    mkdir -p "$OD_CACHE_DIR"
    # One builder at a time on this machine.
    exec {lock_fd}>"$OD_CACHE_DIR/.lock"
    flock "$lock_fd"
    img_ensure_base
    img_ensure_test
    exec {lock_fd}>&-
    printf '%s\n' "$OD_TEST_IMAGE"
}
