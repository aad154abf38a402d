"""PaddleX 3.7.2's PP-StructureV3 page assembly on given inputs, without models (the oracle for
runtime_min/ops/layout_parsing): `_LayoutParsingPipelineV2.get_layout_parsing_res` and LayoutParsingResultV2's
JSON blocks and Markdown.

    .venv-oracle/bin/python tests/oracle/paddlex_layout_parsing.py CASES.json OUT.json

Each case: page [h, w] and seed (the page is the seeded uint8 noise), layout_det_res, region_det_res,
overall_ocr_res (rec_boxes, rec_polys, rec_texts, rec_scores), seal_res_list, model_settings. The text
recognizer the assembly calls on crops is a deterministic stand-in shared with the test (`stub_recognizer`).
Writes per case the blocks (label, content, bbox, id, order), the OCR result after the assembly and the Markdown.
"""

import copy
import json
import sys

import numpy as np
from paddlex.inference.common.result.mixin import _format_data
from paddlex.inference.pipelines.layout_parsing.pipeline_v2 import _LayoutParsingPipelineV2
from paddlex.inference.pipelines.layout_parsing.result_v2 import LayoutParsingResultV2


def stub_recognizer(crops):
    """A crop's size as its text and its mean grey level as its score (0 for an empty crop)."""
    return [{"rec_text": f"r{c.shape[0]}x{c.shape[1]}", "rec_score": float(c.mean() / 255) if c.size else 0.0}
            for c in crops]


class _Ocr:
    text_rec_model = staticmethod(stub_recognizer)
    text_rec_score_thresh = 0.0


def page_image(case):
    h, w = case["page"]
    return np.random.default_rng(case["seed"]).integers(0, 256, (h, w, 3), dtype=np.uint8)


def ocr_result(case):
    ocr = copy.deepcopy(case["overall_ocr_res"])
    ocr["rec_boxes"] = np.array(ocr["rec_boxes"], dtype=np.int16).reshape(-1, 4)
    ocr["rec_polys"] = [np.array(p, dtype=np.int16) for p in ocr["rec_polys"]]
    ocr["dt_polys"] = [p.copy() for p in ocr["rec_polys"]]
    ocr["rec_labels"] = ["text"] * len(ocr["rec_texts"])
    return ocr


def main(cases_path, out_path):
    pipeline = _LayoutParsingPipelineV2.__new__(_LayoutParsingPipelineV2)
    pipeline.general_ocr_pipeline = _Ocr()
    out = []
    for case in json.load(open(cases_path, encoding="utf-8")):
        try:
            out.append(one_case(pipeline, case))
        except Exception as exc:  # PaddleX's own failures are part of its behaviour: the test expects the same
            out.append({"error": f"{type(exc).__name__}: {exc}"})
    json.dump(out, open(out_path, "w", encoding="utf-8"), ensure_ascii=False)


def one_case(pipeline, case):
    """The assembly's outputs for one case."""
    image, ocr = page_image(case), ocr_result(case)
    settings = case["model_settings"]
    blocks = pipeline.get_layout_parsing_res(
        image, region_det_res=copy.deepcopy(case["region_det_res"]),
        layout_det_res=copy.deepcopy(case["layout_det_res"]), overall_ocr_res=ocr, table_res_list=[],
        seal_res_list=case["seal_res_list"], chart_res_list=[], formula_res_list=[],
        text_rec_score_thresh=None, markdown_ignore_labels=settings["markdown_ignore_labels"])
    result = LayoutParsingResultV2({"input_path": None, "page_index": None, "model_settings": settings,
                                    "doc_preprocessor_res": {"output_img": image}, "parsing_res_list": blocks,
                                    "imgs_in_doc": []})
    markdown = result._to_markdown()
    return {"blocks": _format_data([[b.label, b.content, b.bbox, b.index, b.order_index] for b in blocks]),
            "ocr": _format_data({k: ocr[k] for k in ("rec_texts", "rec_scores", "rec_boxes", "rec_polys")}),
            "markdown": markdown["markdown_texts"], "images": sorted(markdown["markdown_images"]),
            "flags": list(markdown["page_continuation_flags"])}


if __name__ == "__main__":
    main(*sys.argv[1:])
