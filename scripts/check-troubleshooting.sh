#!/bin/sh
# Fails when a help topic the components can print (a [topic] of
# src/mca/*/docker/help-*.txt or src/mca/common/help-docker.txt) has no entry
# in docs/troubleshooting.md, or the page has an entry for a topic that no
# longer exists.  An entry is a heading that ends with the topic in
# backquotes and brackets, e.g.  ### `[no-such-container]` (help-plm-docker.txt)
# Run by `make check` (the srcdir variable) or by hand from anywhere.
set -eu
top=${srcdir:-$(dirname "$0")/..}
case $top in /*) ;; *) top=$(pwd)/$top ;; esac
[ -f "$top/docs/troubleshooting.md" ] || top=$(cd "$(dirname "$0")/.." && pwd)
page=$top/docs/troubleshooting.md
fail=0
topics=$(mktemp)
entries=$(mktemp)
trap 'rm -f "$topics" "$entries"' EXIT

for f in "$top"/src/mca/*/docker/help-*.txt "$top"/src/mca/common/help-*.txt; do
    [ -f "$f" ] || continue
    sed -n "s/^\[\([^]]*\)\]\$/$(basename "$f") \1/p" "$f"
done | sort -u >"$topics"
# shellcheck disable=SC2016  # the backquotes are markdown, not a command
sed -n 's/^#\{2,4\} .*`\[\([^]]*\)\]` (\([^)]*\)).*$/\2 \1/p' "$page" | sort -u >"$entries"

[ -s "$topics" ] || { echo "no help topics found under $top/src" >&2; exit 1; }
while read -r file topic; do
    grep -qx "$file $topic" "$entries" || { echo "FAIL: $file [$topic] has no entry in docs/troubleshooting.md"; fail=1; }
done <"$topics"
while read -r file topic; do
    grep -qx "$file $topic" "$topics" || { echo "FAIL: docs/troubleshooting.md has an entry for $file [$topic], which no help file has"; fail=1; }
done <"$entries"
n=$(wc -l <"$topics")
[ "$fail" -ne 0 ] || echo "PASS: all $n help topics have a troubleshooting entry"
exit "$fail"
