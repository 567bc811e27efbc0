# shellcheck shell=bash
# shellcheck disable=SC2034,SC2119,SC2120  # variables for the callers; optional arguments
# Shared helpers for the ompi-docker scripts: logging and paths.
# Source it; it defines functions and variables only.

if [ -n "${_OD_COMMON_SH:-}" ]; then return 0; fi
_OD_COMMON_SH=1

# Top of the source tree (scripts/lib/.. /..).
OD_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# Where the scripts keep what survives between runs (image rootfs cache).
OD_CACHE_DIR=${OMPI_DOCKER_CACHE_DIR:-/var/cache/ompi-docker}

od_log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
od_die() { printf '[%s] error: %s\n' "$(date +%H:%M:%S)" "$*" >&2; exit 1; }

# od_now: seconds since the epoch with microseconds (bash 5).
od_now() { printf '%s\n' "${EPOCHREALTIME/,/.}"; }
# od_elapsed START: seconds since START, one decimal.
od_elapsed() { awk -v a="$1" -v b="${EPOCHREALTIME/,/.}" 'BEGIN { printf "%.1f\n", b - a }'; }

# od_docker ARGS...: the docker CLI with a bound on time, so a wedged daemon
# cannot hang a script (the rig's own calls; the component never uses it).
od_docker() { timeout -k 5 "${OD_DOCKER_TIMEOUT:-120}" docker "$@"; }
