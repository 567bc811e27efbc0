#!/bin/sh
# plm rsh agent for test/bench/launch: "agent HOST CMD..." runs CMD (a shell
# command line) in container HOST through the Docker Engine API with the curl
# CLI over the unix socket: one exec create, one detached start. No docker
# CLI. Given to mpirun as OMPI_MCA_plm_rsh_agent=/path/agent-curl.sh.
#   BENCH_DOCKER_SOCK  the engine's socket (default /var/run/docker.sock)
#   BENCH_DOCKER_API   the API version prefix (default v1.41)
H=$1
shift
sock=${BENCH_DOCKER_SOCK:-/var/run/docker.sock}
api=${BENCH_DOCKER_API:-v1.41}
# CMD as a JSON string: escape backslashes and double quotes (rsh's command
# line is one line without control characters).
cmd=$(printf '%s' "$*" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g')
id=$(curl -sS --fail --unix-socket "$sock" -H 'Content-Type: application/json' \
    -d "{\"Cmd\":[\"/bin/sh\",\"-c\",\"$cmd\"]}" \
    "http://localhost/$api/containers/$H/exec") || exit 1
id=${id#*\"Id\":\"}
id=${id%%\"*}
exec curl -sS --fail --unix-socket "$sock" -H 'Content-Type: application/json' \
    -d '{"Detach":true,"Tty":false}' -o /dev/null "http://localhost/$api/exec/$id/start"
