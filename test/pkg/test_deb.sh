#!/bin/bash
# test/pkg/test_deb.sh [--deb FILE] [--keep-build]: the Debian package, end to end.
#
#  1. Builds the .deb with `dpkg-buildpackage -us -uc -b` from a copy of the
#     tree (tracked and new, not ignored, files), unless --deb gives one, and
#     runs lintian -I --pedantic on it (errors and warnings fail, the rest
#     is shown; debian/ompi-docker.lintian-overrides says why some are fine).
#  2. Checks its contents: both components in Debian's Open MPI component
#     directory, the help files, the reaper, the manual page, the example
#     params file; and its Depends (the exact Open MPI release).
#  3. Installs it with dpkg into a clean container of the base image
#     (bookworm + openmpi, nothing of ours; checked first), together with the
#     dependencies that image lacks (downloaded on this host by apt-get
#     against the image's own dpkg status, installed offline).
#  4. In that container: ompi_info lists plm docker and ras docker with their
#     parameters; the container is the launcher (the engine's socket mounted,
#     on an --internal network of this test with two target containers of the
#     test image): mpirun --mca plm docker -np 2 --host c1,c2 hostname, the
#     same found by ras docker through a label, and a bad host's message
#     (which needs the installed help files).
#
# Everything it creates carries the label ompi-docker.test=pkg (and the run's
# id) and is removed at exit. Prints PASS/FAIL lines and "N passed, N failed";
# exit status 1 when anything failed. As root, with dockerd running.
#
# Environment: PKG_BASE_IMAGE (ompi-docker-base:66507280f57f), PKG_TEST_IMAGE
# (ompi-docker-test:01b6dc718cf4), PKG_DEB_CACHE (where downloaded
# dependencies are kept between runs; default /var/cache/ompi-docker-pkg-test).
# shellcheck disable=SC2001  # sed prefixes every line of a command's output
set -uo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
BASE_IMAGE=${PKG_BASE_IMAGE:-ompi-docker-base:66507280f57f}
TEST_IMAGE=${PKG_TEST_IMAGE:-ompi-docker-test:01b6dc718cf4}
DEB_CACHE=${PKG_DEB_CACHE:-/var/cache/ompi-docker-pkg-test}
MCADIR=/usr/lib/x86_64-linux-gnu/openmpi/lib/openmpi3
RUNID=$$-$(date +%s)
LABEL='ompi-docker.test=pkg'
RUNLABEL=ompi-docker.pkg-run=$RUNID
PREFIX=odpkg-$$
deb=
keep_build=0
while [ $# -gt 0 ]; do
    case $1 in
        --deb) deb=$(readlink -f "$2"); shift 2 ;;
        --keep-build) keep_build=1; shift ;;
        *) echo "usage: test_deb.sh [--deb FILE] [--keep-build]" >&2; exit 2 ;;
    esac
done

passed=0
failed=0
pass() { echo "PASS: $*"; passed=$((passed + 1)); }
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }
log() { echo "== $(date +%T) $*"; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ompi-docker-pkg.XXXXXX")
cleanup() {
    local ids
    mapfile -t ids < <(docker ps -aq --filter "label=$RUNLABEL")
    [ ${#ids[@]} -eq 0 ] || docker rm -f "${ids[@]}" >/dev/null
    mapfile -t ids < <(docker network ls -q --filter "label=$RUNLABEL")
    [ ${#ids[@]} -eq 0 ] || docker network rm "${ids[@]}" >/dev/null
    if [ "$keep_build" = 1 ]; then echo "build kept in $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

[ "$(id -u)" -eq 0 ] || { echo "run as root" >&2; exit 2; }
docker version >/dev/null 2>&1 || { echo "no Docker engine answers" >&2; exit 2; }
for img in "$BASE_IMAGE" "$TEST_IMAGE"; do
    docker image inspect "$img" >/dev/null 2>&1 || { echo "image $img is not here (never pulled: build it with scripts/build-images.sh)" >&2; exit 2; }
done

# 1. the package
t_all=$(now)
if [ -z "$deb" ]; then
    for tool in dpkg-buildpackage dh lintian; do
        command -v "$tool" >/dev/null || { echo "$tool missing: apt-get install dpkg-dev debhelper lintian" >&2; exit 2; }
    done
    version=$(sed -n '1s/^[^(]*(\([^)]*\)).*/\1/p' "$TOP/debian/changelog")
    src=$WORK/build/ompi-docker-${version%-*}
    mkdir -p "$src"
    (cd "$TOP" && git ls-files -co --exclude-standard -z | tar --null -T - -cf -) | tar -C "$src" -xf -
    log "dpkg-buildpackage -us -uc -b (in $src)"
    t0=$(now)
    if (cd "$src" && dpkg-buildpackage -us -uc -b) >"$WORK/build.log" 2>&1; then
        pass "dpkg-buildpackage -us -uc -b ($(since "$t0") s)"
    else
        tail -40 "$WORK/build.log"
        fail "dpkg-buildpackage (log above)"
        echo "$passed passed, $failed failed"
        exit 1
    fi
    deb=$(find "$WORK/build" -maxdepth 1 -name 'ompi-docker_*.deb' | head -n 1)
fi
[ -f "$deb" ] || { echo "no .deb: $deb" >&2; exit 2; }
log "package $(basename "$deb"), $(stat -c %s "$deb") bytes"

if command -v lintian >/dev/null; then
    lintian --tag-display-limit 0 -I --pedantic "$deb" >"$WORK/lintian.log" 2>&1
    cat "$WORK/lintian.log"
    if grep -q '^[EW]: ' "$WORK/lintian.log"; then
        fail "lintian: errors or warnings (above)"
    else
        pass "lintian -I --pedantic: no errors or warnings ($(grep -c '^[IP]: ' "$WORK/lintian.log") info/pedantic tags)"
    fi
fi

# 2. contents and Depends
contents=$(dpkg-deb -c "$deb" | awk '{ print $NF }' | sed 's|^\./|/|')
for f in "$MCADIR/mca_plm_docker.so" "$MCADIR/mca_ras_docker.so" \
         /usr/share/ompi-docker/help-plm-docker.txt /usr/share/ompi-docker/help-ras-docker.txt \
         /usr/share/ompi-docker/help-docker.txt /usr/libexec/ompi-docker/ompi-docker-reaper \
         /usr/share/man/man7/ompi-docker.7.gz /usr/share/doc/ompi-docker/examples/mca-params.conf.example \
         /usr/share/doc/ompi-docker/troubleshooting.md.gz; do
    if grep -qx "$f" <<<"$contents"; then pass "package holds $f"; else fail "package lacks $f"; fi
done
if grep -q '\.la$' <<<"$contents"; then fail "package holds libtool .la files"; else pass "no .la files"; fi
if grep -qx '/etc/openmpi/openmpi-mca-params.conf' <<<"$contents"; then fail "package overwrites the system params file"; else pass "system params file left alone"; fi
depends=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $depends"
ompi=$(dpkg-query -W -f '${source:Upstream-Version}' libopenmpi-dev 2>/dev/null)
for d in libcurl4 libjson-c5 "libopenmpi3 (>= $ompi)" "libopenmpi3 (<< " "openmpi-bin (>= $ompi)"; do
    if grep -qF "$d" <<<"$depends"; then pass "Depends has $d"; else fail "Depends lacks $d"; fi
done

# 3. the clean container and the dependencies it lacks
log "base image $BASE_IMAGE"
if docker run --rm --network none --label "$LABEL" --label "$RUNLABEL" "$BASE_IMAGE" sh -c \
    "ls $MCADIR | grep -i docker; ls -d /usr/share/ompi-docker /usr/libexec/ompi-docker 2>/dev/null; dpkg -l ompi-docker 2>/dev/null | grep '^ii'" >"$WORK/base.txt"; then
    fail "base image already has ompi-docker files: $(tr '\n' ' ' <"$WORK/base.txt")"
else
    pass "base image has no ompi-docker files"
fi
mkdir -p "$DEB_CACHE/partial" "$WORK/debs"
docker run --rm --network none --label "$LABEL" --label "$RUNLABEL" "$BASE_IMAGE" cat /var/lib/dpkg/status >"$WORK/status"
t0=$(now)
if apt-get install -y -q --download-only -o Dir::State::status="$WORK/status" \
        -o Dir::Cache::archives="$DEB_CACHE" -o Debug::NoLocking=1 "$deb" >"$WORK/apt.log" 2>&1; then
    # the packages apt would install there (the .deb itself is not copied)
    sed -n 's/^Inst \([^ ]*\) .*/\1/p' < <(apt-get install -s -o Dir::State::status="$WORK/status" \
        -o Debug::NoLocking=1 "$deb" 2>/dev/null) | grep -vx ompi-docker >"$WORK/need.txt"
    while read -r p; do
        cp "$DEB_CACHE/${p}"_*.deb "$WORK/debs/" 2>/dev/null || fail "downloaded dependency $p not found in $DEB_CACHE"
    done <"$WORK/need.txt"
    pass "dependencies the base image lacks: $(wc -l <"$WORK/need.txt") packages ($(tr '\n' ' ' <"$WORK/need.txt")), $(since "$t0") s"
else
    cat "$WORK/apt.log"
    fail "apt-get could not resolve the package's dependencies against the base image"
fi
cp "$deb" "$WORK/debs/"

# 4. the network, two targets, the launcher
net=$PREFIX-net
docker network create --internal --label "$LABEL" --label "$RUNLABEL" "$net" >/dev/null || { fail "network create"; exit 1; }
gw=$(docker network inspect -f '{{(index .IPAM.Config 0).Gateway}}' "$net")
for c in c1 c2; do
    docker run -d --init --name "$PREFIX-$c" --hostname "$PREFIX-$c-host" --network "$net" --dns "$gw" \
        --label "$LABEL" --label "$RUNLABEL" --label "$PREFIX-node" "$TEST_IMAGE" sleep infinity >/dev/null ||
        fail "start target $c"
done
launcher=$PREFIX-launcher
docker run -d --init --name "$launcher" --hostname "$launcher" --network "$net" --dns "$gw" \
    --label "$LABEL" --label "$RUNLABEL" -v /var/run/docker.sock:/var/run/docker.sock \
    -v "$WORK/debs:/debs:ro" "$BASE_IMAGE" sleep infinity >/dev/null || { fail "start launcher"; exit 1; }
lx() { docker exec -e OMPI_ALLOW_RUN_AS_ROOT=1 -e OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 "$launcher" "$@"; }

t0=$(now)
if lx sh -c 'dpkg -i /debs/*.deb' >"$WORK/dpkg.log" 2>&1; then
    pass "dpkg -i in the clean container ($(since "$t0") s)"
else
    tail -30 "$WORK/dpkg.log"
    fail "dpkg -i in the clean container"
fi
if lx dpkg -s ompi-docker 2>/dev/null | grep -q '^Status: install ok installed'; then
    pass "ompi-docker installed (dpkg -s)"
else fail "ompi-docker not installed"; fi
if lx dpkg -L ompi-docker | grep -qx "$MCADIR/mca_plm_docker.so"; then pass "installed into $MCADIR"; else fail "not in $MCADIR"; fi
if lx test -x /usr/libexec/ompi-docker/ompi-docker-reaper; then pass "reaper installed"; else fail "reaper missing"; fi
rc=0; lx /usr/libexec/ompi-docker/ompi-docker-reaper >/dev/null 2>&1 || rc=$?
if [ "$rc" = 2 ]; then pass "reaper runs (usage, status 2)"; else fail "reaper does not run (status $rc)"; fi
lx sh -c 'zcat /usr/share/man/man7/ompi-docker.7.gz' >"$WORK/man.txt" 2>/dev/null
if grep -q '^\.B plm_docker_host' "$WORK/man.txt" && grep -q '^\.B ras_docker_label' "$WORK/man.txt" &&
   grep -q "$MCADIR" "$WORK/man.txt"; then
    pass "man page lists the parameters and the component directory"
else fail "man page incomplete"; fi

# ompi_info: components and parameters
for fw in plm ras; do
    out=$(lx ompi_info --parsable 2>&1 | grep "^mca:$fw:docker:")
    if [ -n "$out" ]; then pass "ompi_info lists $fw docker"; else fail "ompi_info does not list $fw docker"; fi
    params=$(lx ompi_info --param "$fw" docker --level 9 --parsable 2>&1 | sed -n "s/^mca:$fw:docker:param:\([^:]*\):value:.*/\1/p")
    want=$(sed -n "/^## $fw docker/,/^## /s/^| \`\([a-z_]*\)\`.*/\1/p" "$TOP/docs/mca-params.md")
    if [ -n "$params" ] && [ "$(sort <<<"$params")" = "$(sort <<<"$want")" ]; then
        pass "ompi_info: $fw docker has its $(wc -l <<<"$params") parameters"
    else
        fail "ompi_info: $fw docker parameters differ from docs/mca-params.md: $(tr '\n' ' ' <<<"$params")"
    fi
done

# a real job, launched from the installed package
t0=$(now)
out=$(timeout 120 docker exec -e OMPI_ALLOW_RUN_AS_ROOT=1 -e OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 "$launcher" \
    mpirun --mca plm docker -np 2 --host "$PREFIX-c1,$PREFIX-c2" hostname 2>&1)
rc=$?
echo "$out" | sed 's/^/  | /'
if [ "$rc" -eq 0 ] && grep -qx "$PREFIX-c1-host" <<<"$out" && grep -qx "$PREFIX-c2-host" <<<"$out"; then
    pass "mpirun --mca plm docker -np 2 --host c1,c2 hostname ($(since "$t0") s)"
else
    fail "mpirun --mca plm docker (status $rc)"
fi
t0=$(now)
out=$(timeout 120 docker exec -e OMPI_ALLOW_RUN_AS_ROOT=1 -e OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 "$launcher" \
    mpirun --mca ras docker --mca ras_docker_label "$PREFIX-node" --mca plm docker -np 2 hostname 2>&1)
rc=$?
echo "$out" | sed 's/^/  | /'
if [ "$rc" -eq 0 ] && grep -qx "$PREFIX-c1-host" <<<"$out" && grep -qx "$PREFIX-c2-host" <<<"$out"; then
    pass "mpirun --mca ras docker --mca plm docker -np 2 hostname ($(since "$t0") s)"
else
    fail "mpirun --mca ras docker (status $rc)"
fi
out=$(timeout 60 docker exec -e OMPI_ALLOW_RUN_AS_ROOT=1 -e OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 "$launcher" \
    mpirun --mca plm docker -np 1 --host "$PREFIX-nosuch" hostname 2>&1)
rc=$?
if [ "$rc" -ne 0 ] && grep -q "No container \"$PREFIX-nosuch\" exists on the Docker endpoint" <<<"$out"; then
    pass "a bad host fails with the installed help text"
else
    echo "$out" | sed 's/^/  | /'
    fail "a bad host (status $rc): no help text"
fi
# nothing of the job left in the targets
for c in c1 c2; do
    left=$(docker top "$PREFIX-$c" -eo pid,comm 2>/dev/null | grep -c -E 'orted|hostname')
    if [ "$left" = 0 ]; then pass "nothing left running in $c"; else fail "$left processes left in $c"; fi
done

echo "== test_deb.sh: $(since "$t_all") s"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
