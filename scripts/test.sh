#!/usr/bin/env bash
# The test command: installs dependencies, builds, and runs every test
# (unit, integration against a memcached each test starts itself, and the
# differential comparison with Debian's postmap).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
cd "${BUILD_DIR:-build}"
ctest --output-on-failure -j2 --timeout 300
