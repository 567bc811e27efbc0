#!/bin/sh
# The seed's launch agent, our baseline: plm rsh runs "AGENT HOST CMD..." and
# this runs CMD in container HOST with the docker CLI. Use it as
#   mpirun --mca plm rsh --mca plm_rsh_agent /path/to/shim-agent.sh ...
H=$1; shift; exec docker exec -i "$H" /bin/sh -c "$*"
