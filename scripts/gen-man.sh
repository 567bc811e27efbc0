#!/bin/sh
# gen-man.sh TEMPLATE PARAMS_MD VERSION MCADIR HELPDIR LIBEXECDIR
#
# Writes the manual page ompi-docker(7) to stdout: TEMPLATE (roff) with
# @VERSION@, @MCADIR@, @HELPDIR@, @LIBEXECDIR@ replaced by the build's values
# and the line @PARAMETERS@ replaced by every parameter of PARAMS_MD
# (docs/mca-params.md, generated from ompi_info by scripts/params-doc.sh):
# name, default, level, meaning and example. Run by `make` (docs/local.mk).
set -eu
[ $# -eq 6 ] || { echo "usage: gen-man.sh TEMPLATE PARAMS_MD VERSION MCADIR HELPDIR LIBEXECDIR" >&2; exit 2; }
tmpl=$1 md=$2 version=$3 mcadir=$4 helpdir=$5 libexecdir=$6

# The parameters: "## plm docker" starts a framework; each table row is
# | `name` | `default` | level | meaning | `example` |  (\| is a literal bar).
params() {
    awk '
        function roff(s) {
            gsub(/\\/, "\\e", s)          # a backslash in the text
            gsub(/\001/, "|", s)
            gsub(/`/, "", s)
            return s
        }
        /^## / { fw = substr($0, 4); printf ".SS %s\n", fw; next }
        /^\| `/ {
            line = $0
            gsub(/\\\|/, "\001", line)
            n = split(line, f, "|")
            for (i = 2; i < n; i++) { gsub(/^ +| +$/, "", f[i]) }
            printf ".TP\n.B %s\n", roff(f[2])
            printf "Default: \\fB%s\\fR (level %s).\n.br\n", roff(f[3]), roff(f[4])
            m = roff(f[5])
            sub(/^[.'"'"']/, "\\\\\\&&", m)
            printf "%s\n", m
            if (n > 6 && f[6] != "") printf ".br\nExample: \\fB%s\\fR\n", roff(f[6])
        }
    ' "$md"
}

# sed replacement text: escape \, & and the delimiter |
esc() { printf '%s' "$1" | sed -e 's/[\\&|]/\\&/g'; }

ptmp=$(mktemp)
trap 'rm -f "$ptmp"' EXIT
params >"$ptmp"
[ -s "$ptmp" ] || { echo "gen-man.sh: no parameters found in $md" >&2; exit 1; }

sed -e "s|@VERSION@|$(esc "$version")|g" \
    -e "s|@MCADIR@|$(esc "$mcadir")|g" \
    -e "s|@HELPDIR@|$(esc "$helpdir")|g" \
    -e "s|@LIBEXECDIR@|$(esc "$libexecdir")|g" \
    -e "/^@PARAMETERS@\$/{
r $ptmp
d
}" "$tmpl"
