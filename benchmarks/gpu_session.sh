#!/usr/bin/env bash
# What we run on the GPU machine (docs/targets.md, "Measured"): install the runtime from this checkout
# beside the GPU backends' wheels, run the GPU tests, show hpi-run's report (which backend and why),
# self-test the bundle on every backend that runs here, then benchmark every GPU backend of the bundle
# side by side with its cpu target (benchmarks/bench_gpu.py). Figures land in $OUT (default build/gpu).
#   usage: benchmarks/gpu_session.sh BUNDLE IMAGES_DIR [TRUSTED_KEY]   ($BENCH_ARGS: more bench_gpu.py options)
# Wheels: every .whl in $HPI_GPU_WHEELS (default .whl: onnx2torch, pyclipper, cryptography, cffi, ...) is
# unpacked into $HPI_GPU_SITE (default /root/site), where ../shared/scripts/gpu-wheels.sh puts
# onnxruntime-gpu. The machine's own torch (and onnx) serve the torch_cuda backend.
set -uo pipefail
bundle=$1 images=$2
out=${OUT:-build/gpu}; mkdir -p "$out"
site=${HPI_GPU_SITE:-/root/site}
wheels=${HPI_GPU_WHEELS:-.whl}
[ $# -ge 3 ] && export HPI_TRUSTED_KEYS=$3
if ls "$wheels"/*.whl >/dev/null 2>&1; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target "$site" "$wheels"/*.whl
fi
# hpi from this checkout without building it (the machine's setuptools may predate our pyproject): the
# top-level folders are the subpackages of the `hpi` namespace, as pyproject.toml maps them.
mkdir -p "$site/hpi-src/hpi"
for part in core compiler runtime_min licensing recipes; do ln -sfn "$PWD/$part" "$site/hpi-src/hpi/$part"; done
export PYTHONPATH=$site/hpi-src:$site
hpi-run() { python3 -m hpi.runtime_min.cli "$@"; }
hpi() { python3 -m hpi.compiler.tools_cli "$@"; }
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
python3 -c "import torch, onnxruntime as o; print('torch', torch.__version__, 'cuda', torch.version.cuda, \
'| onnxruntime', o.__version__, o.get_available_providers())"
HPI_GPU_BUNDLE=$bundle python3 -m pytest -q -rfs --tb=line -p no:cacheprovider -W ignore::UserWarning tests/gpu \
  tests/runtime_min/backends/test_torch_cuda.py 2>&1 | tail -15
echo "--- hpi-run --device gpu"
hpi-run "$bundle" -i "$images/ch_en_num.jpg" --device gpu -o "$out" 2>&1 | cut -c1-400
echo "--- hpi verify --self-test"
hpi verify "$bundle" --self-test 2>&1 | cut -c1-300
echo "--- bench_gpu.py: every GPU backend, then the cpu target"
python3 -W ignore::UserWarning benchmarks/bench_gpu.py "$bundle" --images "$images" --out "$out/bench.json" ${BENCH_ARGS:-} 2>&1 \
  | grep -v '^ \{2,\}\|^[{}]\|Fallback mode' | cut -c1-1500
python3 - "$out/bench.json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
for name, s in r["summary"].items():
    print(f"{name:12s} " + " ".join(f"{k}={v}" for k, v in s.items() if v is not None))
EOF
