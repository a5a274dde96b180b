#!/usr/bin/env bash
# Refresh the vendored htmx + SSE extension from the npm registry (no CDN at runtime).
# Usage: scripts/vendor-htmx.sh [htmx-version] [sse-version]   (defaults: 2.0.x 2.2.x)
set -euo pipefail
HTMX_VERSION="${1:-2.0.x}"
SSE_VERSION="${2:-2.2.x}"
DEST="$(cd "$(dirname "$0")/.." && pwd)/src/jobdock/web/static/vendor"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
cd "$TMP"
npm pack --silent "htmx.org@${HTMX_VERSION}" "htmx-ext-sse@${SSE_VERSION}" >/dev/null
mkdir htmx sse
tar -xzf htmx.org-*.tgz -C htmx
tar -xzf htmx-ext-sse-*.tgz -C sse
mkdir -p "$DEST"
cp htmx/package/dist/htmx.min.js "$DEST/htmx.min.js"
cp sse/package/dist/sse.min.js "$DEST/sse.min.js"
version() { sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$1" | head -n 1; }
echo "vendored htmx.org $(version htmx/package/package.json)" \
     "and htmx-ext-sse $(version sse/package/package.json) into ${DEST}"
echo "now update the versions in ${DEST}/README.md"
