"""runtime_min/ops/table_recognition.py vs PaddleX 3.7.2's own post-processing on random tables (no models):
cell boxes to page coordinates, the OCR lines in the table, matching (several lines per cell, lines outside
every cell, empty texts, leading spaces, <b>), the y-projection sort, per-cell OCR texts, the no-OCR and
no-cell fallbacks and the neighbour texts. Every output must be equal (pred_html identical)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from conftest import ORACLE_PYTHON, REPO, needs_oracle, run_oracle

pytestmark = needs_oracle()
WORDS = ["12.5", " lead", "<b>Bold</b>", "", "Total", "a b", "x"]


def _case(rng, i: int) -> dict:
    rows, cols = int(rng.integers(1, 5)), int(rng.integers(1, 5))
    cw, rh = int(rng.integers(30, 90)), int(rng.integers(15, 40))
    tokens, bbox = ["<html>", "<body>", "<table>"], []
    for r in range(rows):
        tokens.append("<tr>")
        for c in range(cols):
            if rng.random() < 0.2:
                tokens += ["<td", ' colspan="2"', ">", "</td>"]
            else:
                tokens.append("<td></td>")
            x1, y1, x2, y2 = c * cw + 3, r * rh + 2, (c + 1) * cw - 3, (r + 1) * rh - 2
            bbox.append([x1, y1, x2, y1, x2, y2, x1, y2])
        tokens.append("</tr>")
    tokens += ["</table>", "</body>", "</html>"]
    origin = rng.uniform(0, 200, 2).astype(np.float32)
    table_box = [float(origin[0]), float(origin[1]), float(origin[0] + cols * cw), float(origin[1] + rows * rh)]
    if i % 7 == 0:
        table_box = [0, 0, int(origin[0] + cols * cw), int(origin[1] + rows * rh)]
    lines = []
    for _ in range(int(rng.integers(0 if i % 5 == 0 else 1, 3 * rows * cols + 2))):
        x, y = rng.uniform(origin[0] - 40, origin[0] + cols * cw + 20), rng.uniform(origin[1] - 30, origin[1] + rows * rh + 10)
        w, h = rng.uniform(5, cw), rng.uniform(6, rh)
        lines.append([int(x), int(y), int(x + w), int(y + h)])
    polys = [[[x1, y1], [x2, y1], [x2, y2], [x1, y2]] for x1, y1, x2, y2 in lines]
    texts = [WORDS[int(rng.integers(0, len(WORDS)))] for _ in lines]
    return {"table_box": table_box, "structure": {"bbox": [] if i % 11 == 3 else bbox, "structure": tokens},
            "ocr": {"rec_polys": polys, "rec_texts": texts, "rec_scores": rng.uniform(0.5, 1, len(lines)).tolist(),
                    "rec_boxes": lines},
            "img_shape": [int(origin[1] + rows * rh + 50), int(origin[0] + cols * cw - 10)],
            "cells_texts": [WORDS[int(rng.integers(0, len(WORDS)))] for _ in bbox], "use_cells": i % 4 == 1,
            "sort": i % 3 == 0}


def test_post_processing_equals_paddlex(tmp_path):
    from hpi.runtime_min.ops.table_recognition import get_neighbor_boxes_idx, get_table_recognition_res
    from hpi.runtime_min.result import plain

    rng = np.random.default_rng(17)
    cases = [_case(rng, i) for i in range(60)]
    (tmp_path / "cases.json").write_text(json.dumps(cases), encoding="utf-8")
    proc = run_oracle([str(ORACLE_PYTHON), str(REPO / "tests/oracle/paddlex_table_postprocess.py"),
                       str(tmp_path / "cases.json"), str(tmp_path / "out.json")], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    theirs = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    multi = 0
    for i, (case, their) in enumerate(zip(cases, theirs)):
        ocr = dict(case["ocr"])
        ocr["rec_polys"] = [np.array(p, dtype=np.int16) for p in ocr["rec_polys"]]
        ocr["rec_boxes"] = np.array(ocr["rec_boxes"], dtype=np.int16).reshape(-1, 4)
        ours = get_table_recognition_res(case["table_box"], case["structure"], ocr, case["img_shape"],
                                         case["cells_texts"], case["use_cells"], case["sort"])
        assert ours["pred_html"] == their["pred_html"], i
        assert plain(ours["cell_box_list"]) == their["cell_box_list"], i
        assert plain(ours["table_ocr_pred"]) == their["table_ocr_pred"], i
        assert [int(k) for k in get_neighbor_boxes_idx(ocr["rec_boxes"], case["table_box"])] == their["neighbours"]
        multi += ours["pred_html"].count(" ") > 3
    assert multi >= 10  # cells holding several lines were exercised
