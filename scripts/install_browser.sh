#!/usr/bin/env bash
# Install what the viewer's browser tests need, only when it is missing: Debian's chromium and
# chromium-driver (no browser download by a driver) and the Selenium Python package.
# Usage: scripts/install_browser.sh [PYTHON]   (default: python3; .ci/run calls it before the tests)
set -euo pipefail
PYTHON="${1:-python3}"
if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null
fi
if ! "$PYTHON" -c "import selenium" 2>/dev/null; then
    "$PYTHON" -m pip install -q "selenium>=4.20"  # normally there already: the dev extra has it
fi
/usr/bin/chromium --version 2>/dev/null | head -1
"$PYTHON" -c "import selenium; print('selenium', selenium.__version__)"
