# Shared set-up for tools/run and tools/test: install missing Debian packages, configure, build.
# Sourced, not executed. Every function is idempotent, so a second run costs only the build check.

RUNNEL_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# Packages the server needs to build.
RUNNEL_BUILD_PACKAGES=(cmake g++ make pkg-config libuv1-dev libxxhash-dev libtomlplusplus-dev
                       doctest-dev libhiredis-dev)

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
