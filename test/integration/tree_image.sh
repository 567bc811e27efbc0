# shellcheck shell=bash
# shellcheck disable=SC2034  # variables for the callers
# The image recipe of docs/tree-spawn.md for the tests: FROM the test image,
# with mca_plm_docker.so of this build, its help files where this build
# looks for them, and the libraries it needs beyond the test image
# (libcurl4, libjson-c5, ... as .debs from Debian's archive, downloaded once
# and cached). Built with no network.
#
#   tree_image_build DOCKER-FN BASE-IMAGE TAG WORKDIR [--label L ...]
#
# DOCKER-FN is the docker CLI to build with (a function or command, e.g.
# od_docker or a private engine's). Non-zero on failure, with the reason
# in TI_WHY.

TI_DEB_CACHE=${OD_CACHE_DIR:-/var/cache/ompi-docker}/tree-debs
# What mca_plm_docker.so needs beyond the test image (Debian bookworm).
TI_DEBS=(libcurl4 libjson-c5 libnghttp2-14 libpsl5 librtmp1 libssh2-1 libbrotli1
         libldap-2.5-0 libsasl2-2 libsasl2-modules-db)
TI_WHY=

# tree_debs LOG: the .debs of TI_DEBS, downloaded once from Debian's archive.
tree_debs() {
    local p missing=()
    mkdir -p "$TI_DEB_CACHE" || return 1
    for p in "${TI_DEBS[@]}"; do
        compgen -G "$TI_DEB_CACHE/${p}_*.deb" >/dev/null || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    (cd "$TI_DEB_CACHE" && timeout 300 apt-get download "${missing[@]}") >"$1" 2>&1
}

# tree_image_component: this build's mca_plm_docker.so (in the source tree,
# or in check.sh's build directory), else the installed one.
tree_image_component() {
    local f
    for f in "$IT_TOP/src/mca/plm/docker/.libs/mca_plm_docker.so" \
        "${OD_BUILD_DIR:+$OD_BUILD_DIR/src/mca/plm/docker/.libs/mca_plm_docker.so}" \
        "$(ompi_info --path pkglibdir --parsable 2>/dev/null | sed -n 's/^path:pkglibdir://p')/mca_plm_docker.so"; do
        [ -n "$f" ] && [ -f "$f" ] && { echo "$f"; return 0; }
    done
    return 1
}

tree_image_build() {
    local docker=$1 base=$2 tag=$3 work=$4
    shift 4
    local ctx=$work/tree-image so helpdir
    so=$(tree_image_component) || { TI_WHY="no mca_plm_docker.so: build or install the project first"; return 1; }
    # where this build looks for its help files (configure's prefix)
    helpdir=$(grep -aoE '/[[:alnum:]/._-]*/share/ompi-docker' "$so" | head -n 1)
    [ -n "$helpdir" ] || { TI_WHY="no help directory in $so"; return 1; }
    tree_debs "$work/apt.log" || { TI_WHY="could not download ${TI_DEBS[*]} (see $work/apt.log)"; return 1; }
    mkdir -p "$ctx/debs" "$ctx/help" || return 1
    cp "$TI_DEB_CACHE"/*.deb "$ctx/debs/" && cp "$so" "$ctx/" \
        && cp "$IT_TOP/src/mca/plm/docker/help-plm-docker.txt" \
            "$IT_TOP/src/mca/common/help-docker.txt" "$ctx/help/" || return 1
    cat >"$ctx/Dockerfile" <<DOCKERFILE
FROM $base
COPY debs/ /tmp/debs/
RUN dpkg -i /tmp/debs/*.deb && rm -rf /tmp/debs
COPY mca_plm_docker.so /usr/lib/x86_64-linux-gnu/openmpi/lib/openmpi3/
COPY help/ $helpdir/
DOCKERFILE
    DOCKER_BUILDKIT=0 "$docker" build -q --network none "$@" -t "$tag" "$ctx" >"$work/build.log" 2>&1 \
        || { TI_WHY="docker build of the tree image failed: $(tail -n 5 "$work/build.log")"; return 1; }
}
