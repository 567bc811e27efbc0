# shellcheck shell=bash
# shellcheck disable=SC2034,SC2119,SC2120  # variables for the callers; optional arguments
# Images of the Open MPI 5 (PRRTE) matrix: Debian trixie with Debian's Open
# MPI 5.0.x, built without any registry and cached by content, like
# image.sh's bookworm images.
#
#   ompi-docker-trixie-base:<h>   debootstrap minbase of trixie + openmpi-bin
#                                 (the nodes' system), `docker import`ed.
#   ompi-docker-trixie-build:<h>  the same rootfs + build tools and the
#                                 development packages, and PRRTE's generated
#                                 prte_config.h in $TRX_PRTE_CONFIG_DIR
#                                 (scripts/lib/gen-prte-config.sh).
#   ompi-docker-trixie-test:<t>   FROM the base + the test programs (ring),
#                                 compiled with the build image's mpicc, in
#                                 /usr/local/bin: the node image. Also tagged
#                                 ompi-docker-trixie-test:latest.
#
# Base and build rootfs come from one debootstrap run, so that their Open MPI
# is the same version, and are kept as tarballs in $OD_CACHE_DIR: a run after
# the image store was wiped only imports them. <h> hashes the recipe below
# (and gen-prte-config.sh), <t> the two images, the sources and the recipe.
# Open MPI 5 never touches the host: everything of trixie lives in the
# rootfs (chroot, in a mount namespace of its own) and the images.
#
# trx_ensure_images prints the node image's name on stdout (logs on stderr)
# and sets TRX_BASE_IMAGE, TRX_BUILD_IMAGE and TRX_TEST_IMAGE.

# shellcheck source=scripts/lib/image.sh
. "$(dirname "${BASH_SOURCE[0]}")/image.sh"

# Bump when the recipe changes in a way the variables below do not show.
TRX_RECIPE_VERSION=1
TRX_SUITE=trixie
TRX_MIRROR=${OMPI_DOCKER_MIRROR:-http://deb.debian.org/debian}
TRX_VARIANT=minbase
TRX_BASE_PACKAGES=openmpi-bin
TRX_BUILD_PACKAGES=(
    build-essential autoconf automake libtool pkg-config make
    libopenmpi-dev libcurl4-openssl-dev libjson-c-dev libevent-dev libcmocka-dev
    dpkg-dev   # dpkg-source, for gen-prte-config.sh
)
# Where the build image has the generated prte_config.h (configure's
# default for --with-prte-config).
TRX_PRTE_CONFIG_DIR=/usr/local/include/prte-generated
TRX_APPS=(ring)   # test/apps/<name>.c, compiled with the build image's mpicc

TRX_BASE_IMAGE=
TRX_BUILD_IMAGE=
TRX_TEST_IMAGE=

trx_hash() {
    {
        printf 'recipe=%s\nsuite=%s\nvariant=%s\nbase=%s\nbuild=%s\nconfig=%s\n' \
            "$TRX_RECIPE_VERSION" "$TRX_SUITE" "$TRX_VARIANT" "$TRX_BASE_PACKAGES" \
            "${TRX_BUILD_PACKAGES[*]}" "$TRX_PRTE_CONFIG_DIR"
        cat "$OD_TOP/scripts/lib/gen-prte-config.sh"
    } | _img_hash
}

# _trx_chroot ROOT SCRIPT: runs SCRIPT with bash inside ROOT (chroot) with
# /proc and /dev mounted, in a mount namespace of its own (the mounts vanish
# with it), with the host's resolver for apt.
_trx_chroot() {
    local root=$1 script=$2
    cp /etc/resolv.conf "$root/etc/resolv.conf"
    printf '%s\n' "$script" >"$root/tmp/od-step.sh"
    # shellcheck disable=SC2016  # $1 is the inner shell's
    unshare --mount --propagation private -- /bin/sh -c '
        mount -t proc proc "$1/proc" && mount --rbind /dev "$1/dev" &&
        exec chroot "$1" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
            DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8 /bin/bash /tmp/od-step.sh' sh "$root"
    local rc=$?
    rm -f "$root/tmp/od-step.sh"
    : >"$root/etc/resolv.conf"
    return $rc
}

# _trx_tar ROOT TARBALL
_trx_tar() {
    rm -rf "$1"/var/cache/apt/archives/*.deb "$1"/var/cache/apt/*.bin "$1"/var/lib/apt/lists/* \
        "$1"/var/log/bootstrap.log "$1"/debootstrap "$1"/tmp/*
    : >"$1/etc/resolv.conf"
    tar --numeric-owner -C "$1" -cf "$2.part" . || return 1
    mv "$2.part" "$2"
}

# _trx_rootfs BASE_TARBALL BUILD_TARBALL: the slow part (a few minutes).
_trx_rootfs() {
    local base_tar=$1 build_tar=$2 root t0 t1 rc
    command -v debootstrap >/dev/null || od_die "debootstrap not installed"
    [ -f "/usr/share/debootstrap/scripts/$TRX_SUITE" ] \
        || od_die "this debootstrap does not know $TRX_SUITE (apt-get install debootstrap)"
    mkdir -p "$OD_CACHE_DIR"
    root=$(mktemp -d "$OD_CACHE_DIR/rootfs-$TRX_SUITE.XXXXXX")
    t0=$(od_now)
    od_log "debootstrap $TRX_SUITE ($TRX_VARIANT, +$TRX_BASE_PACKAGES) into $root"
    if ! debootstrap --variant="$TRX_VARIANT" --include="$TRX_BASE_PACKAGES" \
            "$TRX_SUITE" "$root" "$TRX_MIRROR" >"$root.log" 2>&1; then
        tail -n 30 "$root.log" >&2
        rm -rf "$root"
        od_die "debootstrap $TRX_SUITE failed (log: $root.log)"
    fi
    _trx_tar "$root" "$base_tar" || { rm -rf "$root"; od_die "tar of the $TRX_SUITE rootfs failed"; }
    od_log "base rootfs cached as $base_tar ($(du -h "$base_tar" | cut -f1), $(od_elapsed "$t0") s)"

    t1=$(od_now)
    od_log "build rootfs: ${TRX_BUILD_PACKAGES[*]}, generated prte_config.h"
    mkdir -p "$root/tmp"
    cp "$OD_TOP/scripts/lib/gen-prte-config.sh" "$root/tmp/gen-prte-config.sh"
    printf 'deb-src %s %s main\n' "$TRX_MIRROR" "$TRX_SUITE" >"$root/etc/apt/sources.list.d/od-src.list"
    _trx_chroot "$root" "set -e
apt-get update -q >/dev/null
apt-get install -y -q --no-install-recommends ${TRX_BUILD_PACKAGES[*]} >/tmp/apt.log 2>&1 \\
    || { tail -n 30 /tmp/apt.log; exit 1; }
bash /tmp/gen-prte-config.sh $TRX_PRTE_CONFIG_DIR" >>"$root.log" 2>&1
    rc=$?
    rm -f "$root/etc/apt/sources.list.d/od-src.list"
    if [ "$rc" -ne 0 ]; then
        tail -n 40 "$root.log" >&2
        rm -rf "$root"
        od_die "build rootfs failed (log: $root.log)"
    fi
    _trx_tar "$root" "$build_tar" || { rm -rf "$root"; od_die "tar of the build rootfs failed"; }
    rm -rf "$root" "$root.log"
    od_log "build rootfs cached as $build_tar ($(du -h "$build_tar" | cut -f1), $(od_elapsed "$t1") s)"
}

# _trx_import TARBALL TAG KIND MESSAGE
_trx_import() {
    local t0
    t0=$(od_now)
    od_docker import \
        --change "LABEL ompi-docker.image=$3 ompi-docker.recipe=${2##*:}" \
        --change 'CMD ["/bin/bash"]' \
        --message "$4" "$1" "$2" >/dev/null || od_die "docker import of $1 failed"
    od_log "imported $2 in $(od_elapsed "$t0") s"
}

trx_ensure_rootfs_images() {
    local hash base_tar build_tar
    hash=$(trx_hash)
    TRX_BASE_IMAGE=ompi-docker-trixie-base:$hash
    TRX_BUILD_IMAGE=ompi-docker-trixie-build:$hash
    _img_exists "$TRX_BASE_IMAGE" && _img_exists "$TRX_BUILD_IMAGE" && return 0
    base_tar=$OD_CACHE_DIR/trixie-base-$hash.tar
    build_tar=$OD_CACHE_DIR/trixie-build-$hash.tar
    if ! [ -s "$base_tar" ] || ! [ -s "$build_tar" ]; then
        _trx_rootfs "$base_tar" "$build_tar"
    fi
    _img_exists "$TRX_BASE_IMAGE" || _trx_import "$base_tar" "$TRX_BASE_IMAGE" trixie-base \
        "ompi-docker: debootstrap $TRX_SUITE $TRX_VARIANT +$TRX_BASE_PACKAGES"
    _img_exists "$TRX_BUILD_IMAGE" || _trx_import "$build_tar" "$TRX_BUILD_IMAGE" trixie-build \
        "ompi-docker: $TRX_SUITE build image, prte_config.h in $TRX_PRTE_CONFIG_DIR"
}

_trx_test_dockerfile() {
    cat <<DOCKERFILE
FROM $TRX_BASE_IMAGE
COPY bin/ /usr/local/bin/
LABEL ompi-docker.image=trixie-test
DOCKERFILE
}

trx_test_hash() {
    local a
    {
        printf 'base=%s\nbuild=%s\nrecipe=%s\n' "$TRX_BASE_IMAGE" "$TRX_BUILD_IMAGE" "$TRX_RECIPE_VERSION"
        for a in "${TRX_APPS[@]}"; do cat "$OD_TOP/test/apps/$a.c"; done
        _trx_test_dockerfile
    } | _img_hash
}

trx_ensure_test() {
    local hash tag ctx a t0
    hash=$(trx_test_hash)
    tag=ompi-docker-trixie-test:$hash
    TRX_TEST_IMAGE=$tag
    if _img_exists "$tag"; then
        od_docker tag "$tag" ompi-docker-trixie-test:latest
        return 0
    fi
    t0=$(od_now)
    ctx=$(mktemp -d "${TMPDIR:-/tmp}/ompi-docker-trx.XXXXXX")
    mkdir -p "$ctx/bin"
    for a in "${TRX_APPS[@]}"; do
        if ! od_docker run --rm --network none -v "$OD_TOP/test/apps:/apps:ro" -v "$ctx/bin:/out" \
                "$TRX_BUILD_IMAGE" mpicc -O2 -g -Wall -o "/out/$a" "/apps/$a.c"; then
            rm -rf "$ctx"
            od_die "mpicc (trixie) of test/apps/$a.c failed"
        fi
    done
    _trx_test_dockerfile >"$ctx/Dockerfile"
    if ! od_docker build -q --label "ompi-docker.recipe=$hash" -t "$tag" "$ctx" >"$ctx.log" 2>&1; then
        cat "$ctx.log" >&2
        rm -rf "$ctx" "$ctx.log"
        od_die "docker build of $tag failed"
    fi
    rm -rf "$ctx" "$ctx.log"
    od_docker tag "$tag" ompi-docker-trixie-test:latest
    od_log "built $tag in $(od_elapsed "$t0") s"
}

# trx_ensure_images: the three images; prints the node image's name.
trx_ensure_images() {
    local lock_fd
    mkdir -p "$OD_CACHE_DIR"
    # One builder at a time on this machine (image.sh has its own lock).
    exec {lock_fd}>"$OD_CACHE_DIR/.lock-trixie"
    flock "$lock_fd"
    trx_ensure_rootfs_images
    trx_ensure_test
    exec {lock_fd}>&-
    printf '%s\n' "$TRX_TEST_IMAGE"
}
