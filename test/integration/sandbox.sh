#!/bin/bash
# sandbox.sh [--no-cli] [--no-dns] [--hosts FILE] -- CMD [ARGS...]
#
# Runs CMD with a few files of the host replaced, in a private mount
# namespace of its own (it re-executes itself under `unshare -m`), so that
# nothing changes for the rest of the machine.
#
#   --no-cli      /bin/false is bind-mounted over every docker, ssh and rsh
#                 executable found in PATH and the usual bin directories, so
#                 CMD cannot use the docker CLI or ssh.
#   --no-dns      /etc/nsswitch.conf with "hosts: files" only: name lookups
#                 use /etc/hosts and never send a DNS query (the test rig's
#                 network rule), and fail at once for unknown names.
#   --hosts FILE  FILE is bind-mounted over /etc/hosts.
#
# Then it execs CMD (same pid, so signals sent to it reach CMD).
set -eu

if [ "${1:-}" != --in-namespace ]; then
    exec unshare --mount --propagation private -- "$0" --in-namespace "$@"
fi
shift

no_cli=0
no_dns=0
hosts=
while [ $# -gt 0 ]; do
    case $1 in
        --no-cli) no_cli=1 ;;
        --no-dns) no_dns=1 ;;
        --hosts) hosts=$2; shift ;;
        --) shift; break ;;
        *) echo "sandbox.sh: unknown option $1" >&2; exit 125 ;;
    esac
    shift
done
[ $# -gt 0 ] || { echo "sandbox.sh: no command" >&2; exit 125; }

# unshare made a new mount namespace or failed; check anyway, and make sure
# nothing we mount propagates back.
# (Fail closed: an unreadable link counts as "same".)
self_ns=$(readlink /proc/self/ns/mnt 2>/dev/null || true)
parent_ns=$(readlink "/proc/$PPID/ns/mnt" 2>/dev/null || true)
if [ -z "$self_ns" ] || [ -z "$parent_ns" ] || [ "$self_ns" = "$parent_ns" ]; then
    echo "sandbox.sh: not in a mount namespace of its own" >&2
    exit 125
fi
mount --make-rprivate /

if [ "$no_cli" = 1 ]; then
    seen=" "
    for d in ${PATH//:/ } /usr/local/bin /usr/local/sbin /usr/bin /usr/sbin /bin /sbin; do
        for n in docker ssh rsh; do
            [ -e "$d/$n" ] || continue
            real=$(readlink -f "$d/$n")
            case $seen in *" $real "*) continue ;; esac
            seen="$seen$real "
            mount --bind /bin/false "$real"
        done
    done
fi

if [ "$no_dns" = 1 ]; then
    nss=$(mktemp "${TMPDIR:-/tmp}/sandbox-nsswitch.XXXXXX")
    if [ -f /etc/nsswitch.conf ]; then
        sed -e 's/^hosts:.*/hosts: files/' /etc/nsswitch.conf >"$nss"
        grep -q '^hosts:' "$nss" || echo 'hosts: files' >>"$nss"
    else
        echo 'hosts: files' >"$nss"
    fi
    chmod 644 "$nss"
    mount --bind "$nss" /etc/nsswitch.conf
    rm -f "$nss"
fi

if [ -n "$hosts" ]; then
    mount --bind "$hosts" /etc/hosts
fi

exec "$@"
