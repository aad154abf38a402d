#!/usr/bin/env bash
# What we run on the GPU machine (docs/targets.md, "Measured"): install the runtime from this checkout
# beside onnxruntime-gpu, run the GPU tests, show hpi-run's report, self-test the bundle, then benchmark
# under each ONNX Runtime CUDA setting. Figures land in $OUT (default build/gpu).
#   usage: benchmarks/gpu_session.sh BUNDLE IMAGES_DIR [TRUSTED_KEY]
# Expects onnxruntime-gpu, pyclipper, cryptography and cffi (cryptography's _cffi_backend) wheels already
# unpacked in $HPI_GPU_SITE
# (default /root/site; ../shared/scripts/gpu-wheels.sh carries them there).
set -uo pipefail
bundle=$1 images=$2
out=${OUT:-build/gpu}; mkdir -p "$out"
site=${HPI_GPU_SITE:-/root/site}
[ $# -ge 3 ] && export HPI_TRUSTED_KEYS=$3
# hpi from this checkout without building it (the machine's setuptools may predate our pyproject): the
# top-level folders are the subpackages of the `hpi` namespace, as pyproject.toml maps them.
mkdir -p "$site/hpi-src/hpi"
for part in core compiler runtime_min licensing recipes; do ln -sfn "$PWD/$part" "$site/hpi-src/hpi/$part"; done
export PYTHONPATH=$site/hpi-src:$site
hpi-run() { python3 -m hpi.runtime_min.cli "$@"; }
hpi() { python3 -m hpi.compiler.tools_cli "$@"; }
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
python3 -c "import onnxruntime as o; print('onnxruntime', o.__version__, o.get_available_providers())"
python3 -m pytest -q -rs -p no:cacheprovider tests/gpu 2>&1 | tail -8
echo "--- hpi-run --device gpu"
hpi-run "$bundle" -i "$images/ch_en_num.jpg" --device gpu -o "$out" 2>&1 | cut -c1-400
echo "--- hpi verify --self-test"
hpi verify "$bundle" --self-test 2>&1 | cut -c1-300
i=0
for options in '' '{"use_tf32": 1}' '{"cudnn_conv_algo_search": "EXHAUSTIVE"}'; do
  echo "--- bench_gpu.py, CUDA provider options: ${options:-bundle defaults}"
  HPI_ORT_CUDA_OPTIONS=$options python3 benchmarks/bench_gpu.py "$bundle" --images "$images" --out "$out/bench-$i.json" \
    2>&1 | grep -v '^ \{2,\}\|Fallback mode' | cut -c1-300
  i=$((i + 1))
done
