# shellcheck shell=bash
# shellcheck disable=SC2034,SC2119,SC2120  # variables for the callers; optional arguments
# od_build_install: autogen, configure, make, make install of the project.
# Builds in $OMPI_DOCKER_BUILD_DIR (default _build/ in the source tree), or
# in the source tree itself when that is configured in place already (a
# VPATH build refuses to run then). Sets OD_BUILD_DIR. make install puts the
# components where the installed Open MPI loads them from (root needed).
# Returns non-zero at the first step that fails, its name in OD_BUILD_FAILED.

# shellcheck source=scripts/lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

OD_BUILD_DIR=
OD_BUILD_FAILED=

_od_step() {
    local name=$1 t0
    shift
    t0=$(od_now)
    od_log "$name"
    if ! "$@"; then
        OD_BUILD_FAILED=$name
        od_log "$name failed"
        return 1
    fi
    od_log "$name: $(od_elapsed "$t0") s"
}

od_build_install() {
    local jobs=${OD_MAKE_JOBS:-2}
    if [ -f "$OD_TOP/config.status" ]; then
        OD_BUILD_DIR=$OD_TOP
    else
        OD_BUILD_DIR=${OMPI_DOCKER_BUILD_DIR:-$OD_TOP/_build}
    fi
    mkdir -p "$OD_BUILD_DIR"
    _od_step "autogen" "$OD_TOP/autogen.sh" || return 1
    # shellcheck disable=SC2016  # $1, $2 are the inner shell's
    _od_step "configure (in $OD_BUILD_DIR)" \
        sh -c 'cd "$1" && "$2/configure"' sh "$OD_BUILD_DIR" "$OD_TOP" || return 1
    _od_step "make" make -C "$OD_BUILD_DIR" -j"$jobs" || return 1
    _od_step "make install" make -C "$OD_BUILD_DIR" install || return 1
}
