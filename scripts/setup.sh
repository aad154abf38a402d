#!/usr/bin/env bash
# Set up what hpi needs, idempotently. Two modes:
#   scripts/setup.sh demo   .venv with hpi and the compiler (both CPU backends, Paddle, paddle2onnx):
#                           what `scripts/demo.sh` needs, nothing more
#   scripts/setup.sh        (test mode) also the test tools and the license server in .venv, and
#     .venv-oracle   PaddleX 3.7.2 + paddlepaddle 3.0.0, the parity oracle (its own env: PaddleX pins
#                    opencv-contrib-python, which cannot share site-packages with opencv-python-headless)
#     $HPI_TOOLS_DIR/paddle2onnx-2.1.0   the second converter (PIR models; fallback for legacy ones)
# Both make a signing key (~/.config/hpi/signing_key.pem, or $HPI_CONFIG_DIR), trusted on this machine.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-test}
PY=${PYTHON:-python3}
TOOLS=${HPI_TOOLS_DIR:-$HOME/.cache/hpi/tools}
# pip quiet and without its version check; its warnings still show (-q keeps errors and warnings).
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_WARN_SCRIPT_LOCATION=1
stamp() { cat pyproject.toml scripts/setup.sh | sha256sum | cut -c1-16; }
installed() { cat .venv/.hpi-stamp 2>/dev/null || true; }
# pip on machines whose pip.conf names local index folders that do not exist warns once per package
# ("WARNING: Location 'file:///...' is ignored"); those lines are the machine's, not the set-up's.
pip_in() { local py=$1; shift; "$py" -m pip "$@" 2> >(grep -v "^WARNING: Location 'file://" >&2); }

if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv" >&2
  $PY -m venv .venv
fi
extra=dev; [ "$mode" = demo ] && extra=compiler
# A test set-up (dev) also serves the demo; a demo set-up is completed for the tests.
if [ "$(installed)" != "$(stamp) dev" ] && [ "$(installed)" != "$(stamp) $extra" ]; then
  echo "setup: installing hpi-aot[$extra] into .venv (a few minutes the first time)" >&2
  # `hpi` was this project's distribution name before hpi-aot (PyPI's hpi is another project).
  pip_in .venv/bin/python uninstall -q -y hpi 2>/dev/null || true
  # PYTHONWARNINGS: setuptools warns about every editable install with a package-dir mapping.
  PYTHONWARNINGS=ignore pip_in .venv/bin/python install -q -e ".[$extra]"
  echo "$(stamp) $extra" > .venv/.hpi-stamp
fi
if [ "$mode" != demo ]; then
  if [ ! -d "$TOOLS/paddle2onnx-2.1.0/paddle2onnx" ]; then
    echo "setup: installing paddle2onnx 2.1.0 into $TOOLS" >&2
    pip_in .venv/bin/python install -q --no-deps --target "$TOOLS/paddle2onnx-2.1.0" paddle2onnx==2.1.0
  fi
  if [ "${HPI_NO_ORACLE:-0}" != 1 ] && ! .venv-oracle/bin/python -c "import paddlex, skimage, sklearn, onnxruntime, tokenizers, ftfy, fastapi, aiohttp, faiss, pycocotools, openpyxl, premailer, chinese_calendar" 2>/dev/null; then
    echo "setup: installing the PaddleX oracle into .venv-oracle (a few minutes)" >&2
    [ -x .venv-oracle/bin/python ] || $PY -m venv .venv-oracle
    # scikit-image: PaddleX's anomaly detection post-processing (MapToMask), which ocr-core lacks;
    # onnxruntime: PaddleX's engine="onnxruntime", the oracle for real ONNX weights (PP-OCRv5/v6);
    # tokenizers, ftfy: PaddleX's UniMERNetDecode (formula recognition), which ocr-core lacks;
    # fastapi ... yarl: PaddleX's serving extra (its own opencv-contrib pin is ocr-core's), for `paddlex --serve`;
    # faiss-cpu, matplotlib, pycocotools: the rest of PaddleX's cv extra, which its vision pipelines require;
    # scikit-learn: PaddleX's table_recognition_v2 merges cells with KMeans (its ocr extra).
    # openpyxl, premailer: PaddleX's save_to_xlsx (its vendored tablepyxl; the ocr extra).
    # chinese-calendar: the rest of PaddleX's ts extra, which its ts_forecast / ts_anomaly_detection pipelines require.
    pip_in .venv-oracle/bin/python install -q "paddlex[ocr-core]==3.7.2" paddlepaddle==3.0.0 scikit-image==0.26.0 \
      onnxruntime==1.32.0 tokenizers==0.22.2 ftfy==6.3.1 fastapi==0.165.0 uvicorn==0.54.0 aiohttp==3.14.5 \
      starlette==1.10.0 yarl==1.25.1 filetype==1.2.0 faiss-cpu==1.15.1 matplotlib==3.11.2 pycocotools==2.0.8 \
      scikit-learn==1.7.2 openpyxl==3.1.5 premailer==3.10.0 chinese-calendar==1.11.0
  fi
fi
key=${HPI_SIGNING_KEY:-${HPI_CONFIG_DIR:-$HOME/.config/hpi}/signing_key.pem}
if [ ! -f "$key" ]; then
  .venv/bin/hpi-license keygen
fi
echo "setup: ready ($mode)" >&2
