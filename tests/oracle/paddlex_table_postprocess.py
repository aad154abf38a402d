"""PaddleX 3.7.2's table_recognition post-processing on given inputs (the oracle for
runtime_min/ops/table_recognition.py): get_table_recognition_res and get_neighbor_boxes_idx.

    .venv-oracle/bin/python tests/oracle/paddlex_table_postprocess.py CASES.json OUT.json

Each case: table_box, structure ({bbox, structure}), ocr ({rec_polys, rec_texts, rec_scores, rec_boxes}),
img_shape [h, w], cells_texts, use_cells, sort. Writes per case cell_box_list, pred_html, table_ocr_pred
(PaddleX's _format_data) and the neighbour indices.
"""

import json
import sys

import numpy as np
from paddlex.inference.common.result.mixin import _format_data
from paddlex.inference.pipelines.table_recognition.table_recognition_post_processing import (
    get_table_recognition_res)
from paddlex.inference.pipelines.table_recognition.utils import get_neighbor_boxes_idx


def main(cases_path, out_path):
    out = []
    for case in json.load(open(cases_path, encoding="utf-8")):
        ocr = dict(case["ocr"])
        ocr["rec_polys"] = [np.array(p, dtype=np.int16) for p in ocr["rec_polys"]]
        ocr["rec_boxes"] = np.array(ocr["rec_boxes"], dtype=np.int16).reshape(-1, 4)
        ocr["doc_preprocessor_res"] = {"output_img": np.zeros((*case["img_shape"], 3), np.uint8)}
        res = get_table_recognition_res(case["table_box"], dict(case["structure"]), ocr, case["cells_texts"],
                                        case["use_cells"], cell_sort_by_y_projection=case["sort"])
        out.append({"cell_box_list": _format_data(res["cell_box_list"]), "pred_html": res["pred_html"],
                    "table_ocr_pred": _format_data(res["table_ocr_pred"]),
                    "neighbours": [int(i) for i in get_neighbor_boxes_idx(ocr["rec_boxes"], case["table_box"])]})
    json.dump(out, open(out_path, "w", encoding="utf-8"), ensure_ascii=False)


if __name__ == "__main__":
    main(*sys.argv[1:])
