#!/usr/bin/env bash
# Build llama.cpp's `llama-server` (and `llama-quantize`) for this CPU: the peer of the bench's
# many-users case (openvino_ui/bench/cases/users.py). The source is the llama.cpp that the
# llama-cpp-python sdist vendors (the version scripts/setup.sh pins); ~7-10 min on 2 cores.
#   bash scripts/llama-server.sh           # build unless built; print the binary's path
#   bash scripts/llama-server.sh --check   # print the path if built, else exit 3
# The flags depend on the CPU (python -m openvino_ui.bench.cases.users plan): GGML_NATIVE, unless
# the CPU has AMX that ggml cannot use there (the OS does not grant the tile state, or ggml's tile
# set-up dies when this compiler builds it: openvino_ui/bench/amx_probe.py), in which case the
# CPU's other features are listed one by one and AMX is left out. They are recorded in
# build-info.json beside the binary.
# Cache: ${OPENVINO_UI_LLAMA_SERVER_CACHE:-~/.cache/openvino-ui/llama-server}/<version>-<flags hash>/
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
check=0
for arg in "$@"; do
  case "$arg" in
    --check) check=1 ;;
    *) echo "unknown option $arg (use --check)" >&2; exit 2 ;;
  esac
done

PY="$root/.venv/bin/python"
[ -x "$PY" ] || PY=python3
plan="$(PYTHONPATH="$root${PYTHONPATH:+:$PYTHONPATH}" "$PY" -m openvino_ui.bench.cases.users plan --shell)"
eval "$plan"  # LS_VERSION LS_FLAGS LS_DIR LS_BINARY LS_CMAKE_ARGS LS_AMX
export LS_VERSION LS_FLAGS LS_CMAKE_ARGS LS_AMX

built() { [ -x "$LS_BINARY" ] && [ -f "$LS_DIR/build-info.json" ]; }
if built; then echo "$LS_BINARY"; exit 0; fi
if [ "$check" = 1 ]; then
  echo "llama-server is not built for this CPU ($LS_FLAGS): run bash scripts/llama-server.sh" >&2
  exit 3
fi

cache="$(dirname "$LS_DIR")"
mkdir -p "$cache"
# One build at a time (a second caller waits, then finds it built).
exec 9>"$cache/.lock"
if command -v flock >/dev/null; then flock 9; fi
if built; then echo "$LS_BINARY"; exit 0; fi

echo "== llama-server $LS_VERSION for this CPU: $LS_FLAGS" >&2
if ! command -v cmake >/dev/null || ! command -v g++ >/dev/null || ! command -v make >/dev/null; then
  echo "== apt-get install cmake build-essential" >&2
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends cmake build-essential >/dev/null
fi

# The sdist: kept in the cache after the first download; pip's own HTTP cache serves it when it
# has it, otherwise PyPI does.
src="$cache/src"
sdist="$src/llama_cpp_python-$LS_VERSION.tar.gz"
mkdir -p "$src"
if [ ! -f "$sdist" ]; then
  echo "== pip download llama-cpp-python==$LS_VERSION (sdist)" >&2
  "$PY" -m pip download --disable-pip-version-check -q --no-binary :all: --no-deps \
    "llama-cpp-python==$LS_VERSION" -d "$src" >&2
fi
tree="$src/llama_cpp_python-$LS_VERSION"
if [ ! -f "$tree/vendor/llama.cpp/CMakeLists.txt" ]; then
  rm -rf "$tree"
  tar -xzf "$sdist" -C "$src"
fi

build="$LS_DIR.build"
stage="$LS_DIR.tmp"
rm -rf "$build" "$stage"
started=$(date +%s)
# shellcheck disable=SC2086  # LS_CMAKE_ARGS is a list of -D options without spaces
cmake -S "$tree/vendor/llama.cpp" -B "$build" $LS_CMAKE_ARGS >"$build.log" 2>&1 \
  || { tail -n 40 "$build.log" >&2; exit 1; }
echo "== cmake --build (llama-server, llama-quantize) -j2; log: $build.log" >&2
cmake --build "$build" --target llama-server llama-quantize -j2 >>"$build.log" 2>&1 \
  || { tail -n 40 "$build.log" >&2; exit 1; }
seconds=$(( $(date +%s) - started ))

mkdir -p "$stage/bin"
cp "$build/bin/llama-server" "$build/bin/llama-quantize" "$stage/bin/"
"$stage/bin/llama-server" --version >"$stage/version.txt" 2>&1 || true
LS_SECONDS="$seconds" LS_COMPILER="$(g++ --version | head -n 1)" "$PY" - "$stage/build-info.json" <<'EOF'
import json, os, sys, time
info = {
    "version": os.environ["LS_VERSION"],
    "flags": os.environ["LS_FLAGS"],
    "cmake_args": os.environ["LS_CMAKE_ARGS"].split(),
    "amx": json.loads(os.environ["LS_AMX"]),
    "compiler": os.environ["LS_COMPILER"],
    "build_s": int(os.environ["LS_SECONDS"]),
    "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
}
with open(sys.argv[1], "w", encoding="utf-8") as fh:
    json.dump(info, fh, indent=1)
EOF
rm -rf "$LS_DIR"
mv "$stage" "$LS_DIR"
rm -rf "$build"
echo "== built in ${seconds}s: $LS_BINARY" >&2
echo "$LS_BINARY"
