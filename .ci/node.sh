# Sourced by .ci/run. CI tests on the Node.js major Lambda runs (nodejs24.x).

# Puts a Node.js 24 or newer first on PATH and says which node runs: the machine's when it is one,
# else the binary that the npm package node-linux-<arch>@24 carries, installed with npm under
# .ci/.node (no binary is fetched from anywhere else).
use_node_24() {
  local major arch prefix
  major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
  if [ "$major" -lt 24 ]; then
    case "$(uname -m)" in
      x86_64) arch=x64 ;;
      aarch64 | arm64) arch=arm64 ;;
      *) echo ".ci/run: no node-linux package for $(uname -m); install Node.js 24" >&2; return 1 ;;
    esac
    prefix="$PWD/.ci/.node"
    echo ".ci/run: node $(node --version 2>/dev/null || echo "missing") is older than 24; installing node-linux-$arch@24 from npm" >&2
    npm install --prefix "$prefix" --no-save --no-package-lock --no-audit --no-fund "node-linux-$arch@24" >&2
    export PATH="$prefix/node_modules/node-linux-$arch/bin:$PATH"
  fi
  echo ".ci/run: running on node $(node --version) ($(command -v node))"
}
