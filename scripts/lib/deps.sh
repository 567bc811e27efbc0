# shellcheck shell=bash
# shellcheck disable=SC2034,SC2119,SC2120  # variables for the callers; optional arguments
# od_install_deps: install with apt-get whatever the project's build and tests
# need and is missing. Quiet when everything is there; runs `apt-get update`
# once, and only when something has to be installed.

# shellcheck source=scripts/lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

OD_DEPS=(
    docker.io debootstrap iptables procps util-linux openssl curl
    libopenmpi-dev openmpi-bin
    libcurl4-openssl-dev libjson-c-dev libevent-dev libcmocka-dev
    autoconf automake libtool pkg-config make gcc
    valgrind
    clang libclang-rt-dev   # test/fuzz (libFuzzer + sanitizers; the runtime is only a Recommends of clang)
    dpkg-dev debhelper lintian   # test/pkg/test_deb.sh (dpkg-buildpackage -b)
    podman uidmap   # test/integration/test_podman.sh (Podman 4.3 with runc and CNI, newuidmap for its rootless case: about 35 s to install)
    slurmd slurmctld slurm-client munge   # test/slurm/test_slurm.sh (a private Slurm of the test; the packages' own services are not used)
)

od_install_deps() {
    local missing=() p status
    for p in "${OD_DEPS[@]}" "$@"; do
        status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
        case $status in
            *" installed") ;;
            *) missing+=("$p") ;;
        esac
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    [ "$(id -u)" -eq 0 ] || od_die "missing packages (${missing[*]}) and not root"
    od_log "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null || od_die "apt-get update failed"
    apt-get install -y -q --no-install-recommends "${missing[@]}" \
        || od_die "apt-get install ${missing[*]} failed"
}
