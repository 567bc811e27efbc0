#!/bin/bash
# gen-prte-config.sh DESTDIR: generates PRRTE's prte_config.h for the
# installed Open MPI 5 and puts it into DESTDIR (with a README saying how).
#
# Runs inside a Debian trixie system (the rootfs of the build image, as
# root, with network access to Debian's archive and a deb-src entry). Debian's
# libopenmpi-dev ships PRRTE's framework headers but not the generated
# prte_config.h they include; this makes it the way Debian's own build did:
# Debian's source package of exactly the installed version, PRRTE's configure
# (3rd-party/prrte) run out of tree with the exact "Configure command line"
# that prte_info reports. Nothing is built, nothing else installed; the
# source tree is removed again.
set -euo pipefail
dest=${1:?usage: gen-prte-config.sh DESTDIR}
work=$(mktemp -d /tmp/prte-config.XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$work"

ver=$(dpkg-query -W -f='${source:Version}' libopenmpi-dev)
[ -n "$ver" ] || { echo "gen-prte-config: libopenmpi-dev is not installed" >&2; exit 1; }

# The configure line, unwrapped: prte_info folds it at blanks onto lines
# indented to the value column.
cli=$(prte_info | awk '
    /^ *Configure command line: / { on = 1; sub(/^ *Configure command line: /, ""); printf "%s", $0; next }
    on && /^                          / { sub(/^ +/, " "); printf "%s", $0; next }
    on { exit }')
[ -n "$cli" ] || { echo "gen-prte-config: prte_info shows no configure command line" >&2; exit 1; }
case $cli in
    *--with-devel-headers*) ;;
    *) echo "gen-prte-config: warning: PRRTE was configured without --with-devel-headers" >&2 ;;
esac

# Debian's source of exactly that version (apt-get source as root warns
# that it cannot drop privileges: harmless).
apt-get source -q --download-only "openmpi=$ver" >source.log 2>&1 \
    || { cat source.log >&2; echo "gen-prte-config: apt-get source openmpi=$ver failed (deb-src entry?)" >&2; exit 1; }
dpkg-source -q -x openmpi_*.dsc src >extract.log 2>&1 \
    || { cat extract.log >&2; exit 1; }
[ -x src/3rd-party/prrte/configure ] \
    || { echo "gen-prte-config: no 3rd-party/prrte/configure in the source of openmpi $ver" >&2; exit 1; }

# The line ends with --srcdir=../../../../3rd-party/prrte: Open MPI ran
# PRRTE's configure four levels below the source top. Do the same, so that
# the line applies unchanged.
reldir=_od/a/3rd-party/prrte
mkdir -p "src/$reldir"
cd "src/$reldir"
eval "set -- $cli"
if ! ../../../../3rd-party/prrte/configure "$@" >configure.out 2>&1; then
    tail -n 40 configure.out >&2
    echo "gen-prte-config: PRRTE's configure failed" >&2
    exit 1
fi
[ -s src/include/prte_config.h ] || { echo "gen-prte-config: configure made no src/include/prte_config.h" >&2; exit 1; }

mkdir -p "$dest"
cp src/include/prte_config.h "$dest/prte_config.h"
cat >"$dest/README" <<EOF
prte_config.h here was generated, not written: PRRTE's configure from
Debian's source package openmpi $ver (3rd-party/prrte), run with the
configure command line that prte_info reports:

  $cli

by ompi-docker's scripts/lib/gen-prte-config.sh. Debian's libopenmpi-dev
ships PRRTE's headers without it. Add this directory to the include path
before $(prte_info --path incdir | sed -n 's/^ *Incdir: //p')/prte.
EOF
echo "gen-prte-config: $dest/prte_config.h (openmpi $ver)"
