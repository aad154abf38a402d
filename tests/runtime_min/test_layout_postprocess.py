"""runtime_min/ops/detection.py's layout post-processing vs PaddleX 3.7.2's DetPostProcess.apply on random raw
boxes (no models): PP-StructureV3's per-class threshold and merge-mode maps (its stock config's values, and
random ones), layout NMS, unclipping, a single merge mode; every field of every box equal."""

from __future__ import annotations

import json

import numpy as np

from conftest import ORACLE_PYTHON, REPO, needs_oracle, run_oracle

pytestmark = needs_oracle()
LABELS = ["paragraph_title", "image", "text", "number", "abstract", "content", "figure_title", "formula", "table",
          "reference", "doc_title", "footnote", "header", "algorithm", "footer", "seal", "chart", "formula_number",
          "aside_text", "reference_content"]
# PP-StructureV3.yaml's SubModules.LayoutDetection maps.
STOCK_THRESHOLD = {0: 0.3, 1: 0.5, 2: 0.4, 3: 0.5, 4: 0.5, 5: 0.5, 6: 0.5, 7: 0.3, 8: 0.5, 9: 0.5, 10: 0.5,
                   11: 0.5, 12: 0.5, 13: 0.5, 14: 0.5, 15: 0.45, 16: 0.5, 17: 0.5, 18: 0.5, 19: 0.5}
STOCK_MERGE = {i: "large" if i in (0, 1, 7, 16) else "union" for i in range(20)}


def _case(rng, i: int) -> dict:
    w, h = int(rng.integers(300, 900)), int(rng.integers(300, 900))
    boxes = []
    for _ in range(int(rng.integers(1, 40))):
        x1, y1 = rng.uniform(-10, w * 0.8), rng.uniform(-10, h * 0.8)
        x2, y2 = x1 + rng.uniform(2, w * 0.6), y1 + rng.uniform(2, h * 0.5)
        boxes.append([int(rng.integers(0, 20)), float(rng.uniform(0.1, 1.0)), x1, y1, x2, y2])
        if rng.random() < 0.4:  # a box inside or near the last one: containment and NMS at work
            cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
            s = rng.uniform(0.3, 1.02)
            boxes.append([int(rng.integers(0, 20)), float(rng.uniform(0.1, 1.0)), cx - (cx - x1) * s,
                          cy - (cy - y1) * s, cx + (x2 - cx) * s, cy + (y2 - cy) * s])
    merge = [STOCK_MERGE, "large", "small", "union",
             {int(k): str(rng.choice(["union", "large", "small"])) for k in rng.choice(20, 6, replace=False)}][i % 5]
    threshold = STOCK_THRESHOLD if i % 2 == 0 else 0.3
    return {"boxes": np.array(boxes, dtype=np.float32).tolist(), "img_size": [w, h], "labels": LABELS,
            "threshold": threshold, "layout_nms": i % 3 != 2, "unclip": [1.0, 1.0] if i % 4 else [1.1, 0.9],
            "merge": merge}


def test_layout_postprocess_equals_paddlex(tmp_path):
    from hpi.runtime_min.ops.detection import postprocess
    from hpi.runtime_min.result import plain

    rng = np.random.default_rng(23)
    cases = [_case(rng, i) for i in range(80)]
    # As a bundle gives the maps back: JSON, string keys.
    (tmp_path / "cases.json").write_text(json.dumps(cases), encoding="utf-8")
    run_oracle([ORACLE_PYTHON, str(REPO / "tests/oracle/paddlex_layout_postprocess.py"),
                str(tmp_path / "cases.json"), str(tmp_path / "out.json")], check=True)
    theirs = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    stored = json.loads((tmp_path / "cases.json").read_text(encoding="utf-8"))
    kept = 0
    for i, (case, want) in enumerate(zip(stored, theirs)):
        ours = postprocess(np.array(case["boxes"], dtype=np.float32).reshape(-1, 6), case["img_size"],
                           case["threshold"], LABELS, case["layout_nms"], case["unclip"], case["merge"])
        assert json.loads(json.dumps(plain(ours))) == want, f"case {i}: {case['merge']!r}"
        kept += len(want)
    assert kept > 300, kept  # the cases keep boxes, and drop some (containment / NMS / thresholds)
