#!/bin/bash
# shellcheck disable=SC2119,SC2120  # helpers with optional arguments
# demo.sh [--no-build] [--shim]: the plm docker component at work.
#
# Sets up like check.sh (packages, dockerd, test image, build + install;
# --no-build skips the build and uses what is installed), starts 4
# containers on an --internal network, runs
#     mpirun --mca plm docker -np 4 --host c1,c2,c3,c4 ring
# and shows in which container each rank ran. Removes the containers and the
# network at the end (and stops dockerd if it started it). --shim runs the
# same job with the baseline launcher (plm rsh + a docker-exec agent).
set -uo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
build=1
launcher=docker
for a in "$@"; do
    case $a in
        --no-build) build=0 ;;
        --shim) launcher=shim ;;
        *) echo "usage: $0 [--no-build] [--shim]" >&2; exit 2 ;;
    esac
done

. "$TOP/scripts/lib/deps.sh"
. "$TOP/scripts/lib/build.sh"
. "$TOP/test/integration/lib.sh"

[ "$(id -u)" -eq 0 ] || od_die "run as root"
od_install_deps
if [ "$build" = 1 ]; then
    od_build_install || od_die "build failed at: $OD_BUILD_FAILED"
fi

it_setup 4   # dockerd, image, network, containers c1..c4 (removed at exit)

echo
echo "\$ mpirun --allow-run-as-root --mca plm $([ "$launcher" = shim ] && echo "rsh (docker-exec agent)" || echo docker)" \
    "-np 4 --host $(it_hosts) ring"
IT_LAUNCHER=$launcher mpirun_docker -np 4 --host "$(it_hosts)" ring
cat "$LAST_OUT"
echo
echo "exit status $LAST_RC after ${LAST_SECS} s"

# Which container each rank ran in: its hostname -> the container.
declare -A host2c=()
for c in "${IT_CONTAINERS[@]}"; do
    host2c[$(c_hostname "$c")]=$c
done
echo
printf '%-6s %-24s %-16s %s\n' rank hostname container id
while IFS= read -r line; do
    if [[ $line =~ ^rank\ ([0-9]+)\ of\ [0-9]+\ on\ (.+)$ ]]; then
        h=${BASH_REMATCH[2]}
        c=${host2c[$h]:-"(not a container!)"}
        printf '%-6s %-24s %-16s %s\n' "${BASH_REMATCH[1]}" "$h" "${c#"$IT_PREFIX"-}" \
            "$(c_short_id "$c" 2>/dev/null)"
    fi
done < <(sort -k2,2n "$LAST_OUT")

left=$(it_leftovers "${IT_CONTAINERS[@]}")
echo
if [ -z "$left" ]; then
    echo "nothing left in the containers after the job"
else
    echo "left in the containers:"
    echo "$left"
fi
rm -rf "$IT_RUNDIR"
IT_RUNDIR=
[ "$LAST_RC" -eq 0 ]
