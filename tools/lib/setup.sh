# Shared set-up for tools/run and tools/test: install missing Debian packages, configure, build.
# Sourced, not executed. Every function is idempotent, so a second run costs only the build check.

RUNNEL_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# Packages the server needs to build.
RUNNEL_BUILD_PACKAGES=(cmake g++ make pkg-config libuv1-dev libxxhash-dev libtomlplusplus-dev libssl-dev
                       libhttp-parser-dev doctest-dev libhiredis-dev)

runnel_log() { printf '[runnel] %s\n' "$*" >&2; }

# Installs the given Debian packages that are not installed yet (through sudo when not root).
runnel_ensure_packages() {
  local missing=() pkg
  for pkg in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
      missing+=("$pkg")
    fi
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  runnel_log "installing: ${missing[*]}"
  local sudo=()
  [ "$(id -u)" -ne 0 ] && sudo=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -q || true
  "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
}

runnel_jobs() { nproc 2>/dev/null || echo 2; }

# runnel_build DIR [cmake args...]: configures DIR once, then builds it.
runnel_build() {
  local dir="$1"; shift
  local generator=()
  if [ ! -f "$RUNNEL_ROOT/$dir/CMakeCache.txt" ]; then
    command -v ninja >/dev/null 2>&1 && generator=(-G Ninja)
    cmake -S "$RUNNEL_ROOT" -B "$RUNNEL_ROOT/$dir" "${generator[@]}" "$@" >&2
  fi
  cmake --build "$RUNNEL_ROOT/$dir" -j "$(runnel_jobs)" >&2
}

# The client libraries tests/clients runs against Runnel (Debian's packages).
RUNNEL_CLIENT_PACKAGES=(python3-redis ruby-redis libredis-perl golang-go
                        golang-github-gomodule-redigo-dev tmux)

# Installs the npm clients of tests/clients/node (ioredis, node-redis) from its lockfile,
# once, and again when the lockfile changes. They need Node.js 20 or newer; with an older
# Node.js (or none, and no npm) their tests skip, saying why.
runnel_ensure_node_clients() {
  command -v node >/dev/null 2>&1 || runnel_ensure_packages nodejs npm || return 0
  local major
  major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
  if [ "$major" -lt 20 ]; then
    runnel_log "Node.js $(node --version) is older than 20: the Node.js client tests will skip"
    return 0
  fi
  local dir="$RUNNEL_ROOT/tests/clients/node"
  local stamp="$dir/node_modules/.runnel-lock"
  if [ -f "$stamp" ] && cmp -s "$dir/package-lock.json" "$stamp"; then return 0; fi
  runnel_log "installing the Node.js clients (npm ci in tests/clients/node)"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) >&2 &&
    cp "$dir/package-lock.json" "$stamp"
}
