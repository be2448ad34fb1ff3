#!/usr/bin/env bash
# Makes sure the browser suite can run: Debian's Chromium (installed with
# apt when running as root) and the npm packages pinned in package-lock.json.
# Playwright never downloads a browser of its own.
set -euo pipefail
cd "$(dirname "$0")"

chromium=${CHROMIUM_PATH:-/usr/bin/chromium}
if [ ! -x "$chromium" ]; then
	if [ -n "${CHROMIUM_PATH:-}" ]; then
		echo "CHROMIUM_PATH=$CHROMIUM_PATH is not an executable; point it at a Chromium binary." >&2
		exit 1
	fi
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		echo "installing Debian's chromium with apt-get..."
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq
		apt-get install -y -qq chromium >/dev/null
	else
		echo "The browser suite needs Chromium: install Debian's package (sudo apt-get install chromium) or set CHROMIUM_PATH." >&2
		exit 1
	fi
fi

if ! command -v npm >/dev/null; then
	echo "The browser suite needs Node.js 20 and npm: install them (apt-get install nodejs npm) and run make test again." >&2
	exit 1
fi
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
	echo "The browser suite needs Node.js 20 or newer (Playwright 1.65); this machine has $(node --version 2>/dev/null || echo none)." >&2
	exit 1
fi
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
	PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
fi
