#!/usr/bin/env bash
# Builds slalang.vsix, the VS Code extension, from the files in this folder: the exact npm
# packages of package-lock.json, the repository's LICENSE, then `vsce package`.
# Usage: editors/vscode/build.sh [OUTPUT.vsix]
set -euo pipefail
cd "$(dirname "$0")"
cp ../../LICENSE LICENSE
[ -d node_modules ] || npm ci --no-audit --no-fund
npx vsce package --allow-missing-repository -o "${1:-slalang.vsix}"
