#!/bin/bash
# shellcheck disable=SC2119,SC2120  # helpers with optional arguments
# Builds (or finds in the cache) the test images and prints the test image's
# name. Needs a Docker engine that answers (see scripts/lib/dockerd.sh).
set -euo pipefail
# shellcheck source=scripts/lib/image.sh
. "$(dirname "$0")/lib/image.sh"
img_ensure_images
