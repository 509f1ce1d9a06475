#!/usr/bin/env bash
# Quick start, step 1: install, build, make sure an engine answers, build the base and shell
# images, start paddockd and print the dashboard's login link. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f node_modules/.package-lock.json ] || npm ci --no-audit --no-fund
npm run build
bash scripts/preflight.sh
node backend/bin/paddock.js daemon start
node backend/bin/paddock.js build shell
node backend/bin/paddock.js dashboard --no-open
