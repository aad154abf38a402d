#!/usr/bin/env bash
# Set up everything hpi's development and tests need, idempotently:
#   .venv          hpi with the compiler, both CPU backends and the test tools
#   .venv-oracle   PaddleX 3.7.2 + paddlepaddle 3.0.0, the parity oracle (its own env: PaddleX pins
#                  opencv-contrib-python, which cannot share site-packages with opencv-python-headless)
#   $HPI_TOOLS_DIR/paddle2onnx-2.1.0   the second converter (PIR models; fallback for legacy ones)
#   a signing key  ~/.config/hpi/signing_key.pem (or $HPI_CONFIG_DIR), trusted on this machine
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
TOOLS=${HPI_TOOLS_DIR:-$HOME/.cache/hpi/tools}
stamp() { cat pyproject.toml constraints.txt scripts/setup.sh | sha256sum | cut -c1-16; }

if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv" >&2
  $PY -m venv .venv
fi
if [ "$(cat .venv/.hpi-stamp 2>/dev/null)" != "$(stamp)" ]; then
  echo "setup: installing hpi[dev] into .venv (a few minutes the first time)" >&2
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -c constraints.txt -e ".[dev]"
  stamp > .venv/.hpi-stamp
fi
if [ ! -d "$TOOLS/paddle2onnx-2.1.0/paddle2onnx" ]; then
  echo "setup: installing paddle2onnx 2.1.0 into $TOOLS" >&2
  .venv/bin/python -m pip install -q --no-deps --target "$TOOLS/paddle2onnx-2.1.0" paddle2onnx==2.1.0
fi
if [ "${HPI_NO_ORACLE:-0}" != 1 ] && ! .venv-oracle/bin/python -c "import paddlex" 2>/dev/null; then
  echo "setup: installing the PaddleX oracle into .venv-oracle (a few minutes)" >&2
  $PY -m venv .venv-oracle
  .venv-oracle/bin/python -m pip install -q --upgrade pip
  .venv-oracle/bin/python -m pip install -q "paddlex[ocr-core]==3.7.2" paddlepaddle==3.0.0
fi
# PaddleX's anomaly detection post-processing (MapToMask) needs scikit-image, which ocr-core lacks;
# a separate step so existing oracle envs get it too.
if [ "${HPI_NO_ORACLE:-0}" != 1 ] && ! .venv-oracle/bin/python -c "import skimage" 2>/dev/null; then
  echo "setup: installing scikit-image into .venv-oracle (PaddleX anomaly detection)" >&2
  .venv-oracle/bin/python -m pip install -q scikit-image==0.26.0
fi
key=${HPI_SIGNING_KEY:-${HPI_CONFIG_DIR:-$HOME/.config/hpi}/signing_key.pem}
if [ ! -f "$key" ]; then
  .venv/bin/hpi-license keygen
fi
echo "setup: ready (.venv, .venv-oracle, $TOOLS)" >&2
