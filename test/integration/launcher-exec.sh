#!/bin/bash
# launcher-exec.sh PID CMD [ARGS...]: runs CMD inside the Open MPI 5
# launcher container whose main process is PID (a host pid): in its mount
# namespace (its root filesystem, with Open MPI 5 and our components), its
# UTS, IPC and network namespaces (the test network, its hostname). The
# container shares the host's PID namespace (docker run --pid host), so CMD
# stays a process of this machine: this script execs it (no fork), and the
# caller's pid, session, time bound and signals (INT, TERM, KILL) are CMD's
# own, as for an mpirun on the host. (`docker exec` forwards no signal, and
# killing its client leaves the command running in the container.)
#
# CMD gets a fresh environment: PATH, LANG, HOME (the caller's, else /root;
# the run directory is mounted at its own path in the container), and the
# caller's OMPI_*, PRTE_*, PMIX_* and DOCKER_HOST variables.
set -eu
[ $# -ge 2 ] || { echo "usage: launcher-exec.sh PID CMD [ARGS...]" >&2; exit 125; }
pid=$1
shift
envs=(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8
      "HOME=${HOME:-/root}")
while IFS= read -r -d '' kv; do
    case $kv in
        OMPI_*=* | PRTE_*=* | PMIX_*=* | DOCKER_HOST=*) envs+=("$kv") ;;
    esac
done < <(env -0)
exec nsenter --target "$pid" --mount --uts --ipc --net --root --wd -- \
    /usr/bin/env -i "${envs[@]}" "$@"
