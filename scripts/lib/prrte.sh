# shellcheck shell=bash
# shellcheck disable=SC2034,SC2119,SC2120  # variables for the callers; optional arguments
# The Open MPI 5 (PRRTE) build of the project, inside Debian trixie
# containers; Open MPI 5 never touches the host.
#
#   prrte_ensure_launcher  the trixie launcher image: a container of the
#       trixie build image (trixie.sh) gets a copy of this source tree in
#       /src and runs ./autogen.sh, then in /build: /src/configure, make,
#       make install, make check; the container is committed as
#       ompi-docker-trixie-launcher:<h> (also :latest), the project installed
#       into its Open MPI 5, /build kept (so make check can run again).
#       <h> hashes the build image, every file of the tree that git does not
#       ignore and this recipe: an unchanged tree reuses the image.
#       Sets PRRTE_LAUNCHER_IMAGE, PRRTE_BUILT (1 built now, 0 cached),
#       PRRTE_LOG (the build's output, when built now) and, on failure,
#       PRRTE_FAILED (the step). A build whose only failure is make check
#       still makes the image (the integration tests can run).
#   prrte_unit_tests  make check's cmocka results (the build's own output
#       when it was built now, else make check again in a throw-away
#       container of the launcher image). Prints the cmocka lines; sets
#       PRRTE_UNIT_PASS, PRRTE_UNIT_FAIL and PRRTE_CHECK_RC.
#   prrte_launcher_image  prrte_ensure_launcher, then prints the image name
#       (for $(...); non-zero status on failure).
#
# Environment: OD_MAKE_JOBS (2), PRRTE_CONFIGURE_ARGS (extra configure
# arguments), PRRTE_BUILD_TIMEOUT (1800 s).

# shellcheck source=scripts/lib/trixie.sh
. "$(dirname "${BASH_SOURCE[0]}")/trixie.sh"

PRRTE_RECIPE_VERSION=1
PRRTE_LAUNCHER_REPO=ompi-docker-trixie-launcher
PRRTE_LAUNCHER_IMAGE=
PRRTE_BUILT=
PRRTE_LOG=
PRRTE_FAILED=
PRRTE_UNIT_PASS=0
PRRTE_UNIT_FAIL=0
PRRTE_CHECK_RC=

# What runs in the build container ($JOBS, $CONFIGURE_ARGS from its
# environment). Exit status: 0 ok, 21-24 autogen/configure/make/install
# failed, 25 only make check failed.
# shellcheck disable=SC2016  # runs in the container
_PRRTE_SCRIPT='set -u
step() {
    local name=$1 t0 rc
    shift
    t0=$(date +%s.%N)
    echo "=== prrte: $name"
    "$@"
    rc=$?
    echo "=== prrte: $name: status $rc, $(awk -v a="$t0" -v b="$(date +%s.%N)" "BEGIN { printf \"%.1f\", b - a }") s"
    return $rc
}
unit_logs() {
    find test/unit -name "*.log" ! -name test-suite.log ! -name "*.valgrind.log" | sort |
        while read -r log; do echo "----- $log"; cat "$log"; done
}
cd /src || exit 20
step autogen ./autogen.sh || exit 21
mkdir -p /build && cd /build || exit 20
# shellcheck disable=SC2086
step configure /src/configure $CONFIGURE_ARGS || { tail -n 40 config.log; exit 22; }
step make make -j"$JOBS" || exit 23
step "make install" make install || exit 24
step "make check" make -j"$JOBS" check
rc=$?
unit_logs
[ "$rc" -eq 0 ] || exit 25'

# _prrte_files: the files of the source tree (relative, NUL-separated):
# what git tracks or would track (not ignored), else every file but build
# products.
_prrte_files() {
    local f
    if git -C "$OD_TOP" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
        git -C "$OD_TOP" ls-files -z -c -o --exclude-standard |
            while IFS= read -r -d '' f; do
                [ -f "$OD_TOP/$f" ] && printf '%s\0' "$f"
            done
    else
        (cd "$OD_TOP" && find . \( -name .git -o -name _build -o -name build -o -name autom4te.cache \
                -o -name .deps -o -name .libs \) -prune -o -type f ! -name '*.o' ! -name '*.lo' \
                ! -name '*.la' ! -name config.status ! -name config.log ! -name Makefile \
                ! -name libtool -printf '%P\0')
    fi | sort -z
}

prrte_launcher_hash() {
    {
        printf 'build=%s\nrecipe=%s\nargs=%s\n' "$TRX_BUILD_IMAGE" "$PRRTE_RECIPE_VERSION" \
            "${PRRTE_CONFIGURE_ARGS:-}"
        printf '%s\n' "$_PRRTE_SCRIPT"
        (cd "$OD_TOP" && _prrte_files | xargs -0 -r sha256sum)
    } | _img_hash
}

# _prrte_build TAG: the build container, committed as TAG.
_prrte_build() {
    local tag=$1 cid rc t0 jobs=${OD_MAKE_JOBS:-2} labels=(--label ompi-docker.role=prrte-build)
    [ -n "${OD_SESSION:-}" ] && labels+=(--label "ompi-docker.session=$OD_SESSION")
    t0=$(od_now)
    PRRTE_LOG=$(mktemp "${TMPDIR:-/tmp}/ompi-docker-prrte-build.XXXXXX")
    od_log "building the project for Open MPI 5 in a container of $TRX_BUILD_IMAGE (log: $PRRTE_LOG)"
    if ! cid=$(od_docker create "${labels[@]}" --network none -e "JOBS=$jobs" \
            -e "CONFIGURE_ARGS=${PRRTE_CONFIGURE_ARGS:-}" "$TRX_BUILD_IMAGE" bash -c "$_PRRTE_SCRIPT"); then
        PRRTE_FAILED="build container"
        return 1
    fi
    # The sources, copied (the build writes into /src: autogen).
    if ! (cd "$OD_TOP" && _prrte_files | tar --null -T - --transform 's,^,src/,' -cf -) |
            od_docker cp - "$cid:/"; then
        od_docker rm -f "$cid" >/dev/null
        PRRTE_FAILED="copying the sources into the build container"
        return 1
    fi
    OD_DOCKER_TIMEOUT=${PRRTE_BUILD_TIMEOUT:-1800} od_docker start -a "$cid" >"$PRRTE_LOG" 2>&1
    rc=$?
    grep '^=== prrte: ' "$PRRTE_LOG" | sed 's/^=== prrte: /    /' >&2
    case $rc in
        0 | 25) ;;
        *)
            tail -n 60 "$PRRTE_LOG" >&2
            case $rc in
                21) PRRTE_FAILED=autogen ;;
                22) PRRTE_FAILED=configure ;;
                23) PRRTE_FAILED="make" ;;
                24) PRRTE_FAILED="make install" ;;
                124 | 137) PRRTE_FAILED="build timed out" ;;
                *) PRRTE_FAILED="build (status $rc)" ;;
            esac
            od_docker rm -f "$cid" >/dev/null
            od_log "Open MPI 5 build failed: $PRRTE_FAILED ($(od_elapsed "$t0") s)"
            return 1
            ;;
    esac
    # Labels of the build container must not stick to the image's containers.
    if ! od_docker commit \
            --change 'CMD ["sleep", "infinity"]' --change 'WORKDIR /' \
            --change "LABEL ompi-docker.image=trixie-launcher ompi-docker.recipe=${tag##*:} ompi-docker.role= ompi-docker.session=" \
            "$cid" "$tag" >/dev/null; then
        od_docker rm -f "$cid" >/dev/null
        PRRTE_FAILED="docker commit"
        return 1
    fi
    od_docker rm -f "$cid" >/dev/null
    PRRTE_CHECK_RC=$((rc == 25 ? 2 : 0))
    od_log "built $tag in $(od_elapsed "$t0") s"
}

prrte_ensure_launcher() {
    local hash tag lock_fd old n
    PRRTE_FAILED=
    PRRTE_LOG=
    PRRTE_CHECK_RC=
    # The images (in a subshell: image building dies on failure), then
    # their names here (cached by then).
    if ! (trx_ensure_images >/dev/null); then
        PRRTE_FAILED="trixie images"
        return 1
    fi
    trx_ensure_images >/dev/null
    mkdir -p "$OD_CACHE_DIR"
    exec {lock_fd}>"$OD_CACHE_DIR/.lock-prrte"
    flock "$lock_fd"
    hash=$(prrte_launcher_hash)
    tag=$PRRTE_LAUNCHER_REPO:$hash
    PRRTE_LAUNCHER_IMAGE=$tag
    if _img_exists "$tag"; then
        PRRTE_BUILT=0
        od_docker tag "$tag" "$PRRTE_LAUNCHER_REPO:latest"
        exec {lock_fd}>&-
        return 0
    fi
    if ! _prrte_build "$tag"; then
        exec {lock_fd}>&-
        return 1
    fi
    PRRTE_BUILT=1
    od_docker tag "$tag" "$PRRTE_LAUNCHER_REPO:latest"
    # Launcher images of older trees: the three newest are kept (others
    # may be using them; one in use by a container stays anyway).
    n=0
    for old in $(od_docker images --format '{{.Repository}}:{{.Tag}}' "$PRRTE_LAUNCHER_REPO"); do
        case $old in "$tag" | "$PRRTE_LAUNCHER_REPO:latest") continue ;; esac
        n=$((n + 1))
        [ "$n" -le 2 ] || od_docker rmi "$old" >/dev/null 2>&1 || true
    done
    exec {lock_fd}>&-
}

prrte_launcher_image() {
    prrte_ensure_launcher || return 1
    printf '%s\n' "$PRRTE_LAUNCHER_IMAGE"
}

prrte_unit_tests() {
    local log rc
    if [ "$PRRTE_BUILT" = 1 ] && [ -n "$PRRTE_LOG" ]; then
        log=$PRRTE_LOG
        rc=$PRRTE_CHECK_RC
    else
        log=$(mktemp "${TMPDIR:-/tmp}/ompi-docker-prrte-check.XXXXXX")
        # shellcheck disable=SC2016  # runs in the container
        OD_DOCKER_TIMEOUT=600 od_docker run --rm --network none \
            ${OD_SESSION:+--label "ompi-docker.session=$OD_SESSION"} "$PRRTE_LAUNCHER_IMAGE" \
            bash -c 'cd /build && make -j"${OD_MAKE_JOBS:-2}" check >/tmp/check.out 2>&1; rc=$?
                [ "$rc" -eq 0 ] || tail -n 30 /tmp/check.out
                find test/unit -name "*.log" ! -name test-suite.log ! -name "*.valgrind.log" | sort |
                    while read -r l; do echo "----- $l"; cat "$l"; done
                exit $rc' >"$log" 2>&1
        rc=$?
    fi
    sed -n '/^----- test\/unit\//,$p' "$log"
    PRRTE_UNIT_PASS=$(sed -n 's/^\[  PASSED  \] \([0-9][0-9]*\) test(s)\..*/\1/p' "$log" | awk '{ s += $1 } END { print s + 0 }')
    PRRTE_UNIT_FAIL=$(sed -n 's/^\[  FAILED  \] \([^ ]*: \)\{0,1\}\([0-9][0-9]*\) test(s), listed below:.*/\2/p' "$log" | awk '{ s += $1 } END { print s + 0 }')
    PRRTE_CHECK_RC=$rc
    [ "$log" = "$PRRTE_LOG" ] || rm -f "$log"
    echo "unit tests (cmocka, Open MPI 5 build): $PRRTE_UNIT_PASS ok, $PRRTE_UNIT_FAIL failed"
    [ "$rc" -eq 0 ]
}
