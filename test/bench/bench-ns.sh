#!/bin/bash
# bench-ns.sh [--hosts FILE] [--resolv FILE] -- CMD [ARGS...]
#
# Runs CMD in a private mount namespace (it re-executes itself under
# `unshare -m`) with /etc/hosts and/or /etc/resolv.conf replaced by FILE, so
# that nothing changes for the rest of the machine; then execs CMD (same
# pid, so signals and rusage reach CMD). test/bench/launch gives every
# mpirun a resolv.conf whose nameserver is an unused loopback address: name
# lookups that reach DNS fail at once and no query leaves the machine.
set -eu

if [ "${1:-}" != --in-namespace ]; then
    exec unshare --mount --propagation private -- "$0" --in-namespace "$@"
fi
shift

hosts=
resolv=
while [ $# -gt 0 ]; do
    case $1 in
        --hosts) hosts=$2; shift ;;
        --resolv) resolv=$2; shift ;;
        --) shift; break ;;
        *) echo "bench-ns.sh: unknown option $1" >&2; exit 125 ;;
    esac
    shift
done
[ $# -gt 0 ] || { echo "bench-ns.sh: no command" >&2; exit 125; }

# Fail closed: refuse to mount anything unless this is a namespace of our own.
self_ns=$(readlink /proc/self/ns/mnt 2>/dev/null || true)
parent_ns=$(readlink "/proc/$PPID/ns/mnt" 2>/dev/null || true)
if [ -z "$self_ns" ] || [ -z "$parent_ns" ] || [ "$self_ns" = "$parent_ns" ]; then
    echo "bench-ns.sh: not in a mount namespace of its own" >&2
    exit 125
fi
mount --make-rprivate /
[ -z "$hosts" ] || mount --bind "$hosts" /etc/hosts
[ -z "$resolv" ] || mount --bind "$resolv" /etc/resolv.conf
exec "$@"
