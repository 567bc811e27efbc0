#!/bin/sh
# plm rsh agent for test/bench/launch, the floor: "agent HOST CMD..." enters
# the namespaces of container HOST's init process (mount, UTS, IPC, network,
# PID) and runs CMD there with a clean environment, as docker exec would (the
# container's PATH and HOME, not mpirun's environment, which carries
# OMPI_MCA_plm_rsh_agent). No engine at all.
#   BENCH_PIDDIR  a directory with one file per container name holding its
#                 init's host PID (docker inspect -f '{{.State.Pid}}')
H=$1
shift
pid=$(cat "${BENCH_PIDDIR:?}/$H") || exit 1
exec nsenter -t "$pid" -m -u -i -n -p \
    env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
    /bin/sh -c "$*"
