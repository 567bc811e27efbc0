#!/bin/sh
# Generates configure and the Makefile.in files from the checked-in sources.
set -e
cd "$(dirname "$0")"
mkdir -p config
exec autoreconf --install --force --warnings=all
