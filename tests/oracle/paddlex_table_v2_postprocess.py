"""PaddleX 3.7.2's table_recognition_v2 cell handling and post-processing on given inputs (the oracle for
runtime_min/ops/table_cells_v2.py and table_recognition_v2.py): the pipeline's cells_det_results_nms,
get_region_ocr_det_boxes, cells_det_results_reprocessing, trans_cells_det_results_to_html and
map_cells_to_original_image (methods that read nothing of the pipeline but each other), then
get_table_recognition_res (v2).

    .venv-oracle/bin/python tests/oracle/paddlex_table_v2_postprocess.py CASES.json OUT.json

Each case: table_box, cells, scores, structure (tokens), ocr ({rec_polys, rec_texts, rec_scores, rec_boxes}),
img_shape [h, w], cells_texts, use_cells, angle. Writes per case the outputs of each step (PaddleX's _format_data),
or `error` with the exception's type name where PaddleX raises (its KMeans merge needs scikit-learn;
per-cell texts fewer than the merged cells index past the list).
"""

import json
import sys

import numpy as np
from paddlex.inference.common.result.mixin import _format_data
from paddlex.inference.pipelines.table_recognition.pipeline_v2 import _TableRecognitionPipelineV2
from paddlex.inference.pipelines.table_recognition.table_recognition_post_processing_v2 import (
    get_table_recognition_res)


def _one(pipe, case):
    out = {}
    boxes, scores = pipe.cells_det_results_nms(case["cells"], case["scores"])
    out["nms"] = _format_data([boxes, scores])
    out["html_from_cells"] = pipe.trans_cells_det_results_to_html(boxes)
    ocr = dict(case["ocr"])
    ocr["rec_polys"] = [np.array(p, dtype=np.int16) for p in ocr["rec_polys"]]
    ocr["rec_boxes"] = np.array(ocr["rec_boxes"], dtype=np.int16).reshape(-1, 4)
    ocr["doc_preprocessor_res"] = {"output_img": np.zeros((*case["img_shape"], 3), np.uint8)}
    region = pipe.get_region_ocr_det_boxes(ocr["rec_boxes"].tolist(), case["table_box"])
    out["region"] = _format_data(region)
    n = sum(t in ("<td></td>", "</td>") for t in case["structure"])
    try:
        cells = pipe.cells_det_results_reprocessing(boxes, scores, region, n)
        out["cells"] = _format_data(cells)
        res = get_table_recognition_res(case["table_box"], case["structure"], cells, ocr, {}, case["cells_texts"],
                                        case["use_cells"], False)
    except Exception as exc:  # noqa: BLE001  (KMeans without scikit-learn; PaddleX's own IndexErrors)
        out["error"] = type(exc).__name__
        return out
    out.update(cell_box_list=_format_data(res["cell_box_list"]), pred_html=res["pred_html"],
               table_ocr_pred=_format_data(res["table_ocr_pred"]))
    h, w = case["img_shape"]
    out["mapped"] = _format_data(pipe.map_cells_to_original_image(res["cell_box_list"], case["angle"], w, h))
    return out


def main(cases_path, out_path):
    pipe = object.__new__(_TableRecognitionPipelineV2)
    out = [_one(pipe, case) for case in json.load(open(cases_path, encoding="utf-8"))]
    json.dump(out, open(out_path, "w", encoding="utf-8"), ensure_ascii=False)


if __name__ == "__main__":
    main(*sys.argv[1:])
