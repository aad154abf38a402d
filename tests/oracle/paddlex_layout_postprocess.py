"""PaddleX 3.7.2's DetPostProcess.apply on given raw boxes (the oracle for runtime_min/ops/detection.py's
layout options: per-class thresholds and merge modes, layout NMS, unclipping).

    .venv-oracle/bin/python tests/oracle/paddlex_layout_postprocess.py CASES.json OUT.json

Each case: boxes [K, 6], img_size [w, h], labels, threshold (float or {id: float}), layout_nms, unclip,
merge (str or {id: mode}). Writes each case's boxes as PaddleX's DetResult JSON gives them.
"""

import json
import sys

import numpy as np
from paddlex.inference.common.result.mixin import _format_data
from paddlex.inference.models.object_detection.processors import DetPostProcess


def _keys(value):
    return {int(k): v for k, v in value.items()} if isinstance(value, dict) else value


def main(cases_path, out_path):
    out = []
    for case in json.load(open(cases_path, encoding="utf-8")):
        boxes = np.array(case["boxes"], dtype=np.float32).reshape(-1, 6)
        res = DetPostProcess(labels=case["labels"]).apply(boxes, case["img_size"], _keys(case["threshold"]),
                                                          case["layout_nms"], case["unclip"], _keys(case["merge"]))
        out.append(_format_data(list(res)))
    json.dump(out, open(out_path, "w", encoding="utf-8"))


if __name__ == "__main__":
    main(*sys.argv[1:])
