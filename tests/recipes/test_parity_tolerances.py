"""The parity checks can fail: each family's comparison (tests/parity.py at the tolerances its parity test
sets) passes PaddleX's own result and refuses it with the bugs an audit found passing the old checks planted
(scores x0.99, a polygon 1 px off, a box 0.5 px off, a perturbed embedding, a label map a few pixels off).
Results are PaddleX-shaped dicts; no PaddleX, model or image is needed."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import test_parity_anomaly as anomaly
import test_parity_classification as classification
import test_parity_detection as detection
import test_parity_image_feature as image_feature
import test_parity_instance_segmentation as instance_segmentation
import test_parity_multilabel as multilabel
import test_parity_segmentation as segmentation
from ocr_parity import TOLERANCES as OCR
from parity import compare

RNG = np.random.default_rng(0)
OCR_RESULT = {
    "input_path": "a.jpg", "page_index": None,
    "model_settings": {"use_doc_preprocessor": False, "use_textline_orientation": True},
    "text_det_params": {"limit_side_len": 64, "limit_type": "min", "thresh": 0.3},
    "text_type": "general", "text_rec_score_thresh": 0.0, "textline_orientation_angles": [0, 1],
    "dt_polys": [[[10, 12], [80, 12], [80, 30], [10, 30]], [[5, 40], [90, 41], [90, 60], [5, 59]]],
    "rec_texts": ["HELLO", "2026"], "rec_scores": [0.998765, 0.912345],
    "rec_polys": [[[10, 12], [80, 12], [80, 30], [10, 30]], [[5, 40], [90, 41], [90, 60], [5, 59]]],
    "rec_boxes": [[10, 12, 80, 30], [5, 40, 90, 60]],
    "doc_preprocessor_res": {"input_path": None, "page_index": None, "model_settings": {}, "angle": 90},
}
BOXES = {"input_path": "b.jpg", "page_index": None,
         "boxes": [{"cls_id": 1, "label": "person", "score": 0.87654321, "coordinate": [12.5, 30.25, 100.0, 200.75]},
                   {"cls_id": 0, "label": "car", "score": 0.55, "coordinate": [0.0, 1.0, 2.0, 3.0]}]}
CLASSES = {"input_path": "c.jpg", "page_index": None, "class_ids": [3, 1], "scores": [0.81234, 0.10101],
           "label_names": ["cat", "dog"]}
FEATURE = RNG.standard_normal(512)
EMBEDDING = {"input_path": "d.jpg", "page_index": None, "feature": [(FEATURE / np.linalg.norm(FEATURE)).tolist()]}
MAP = {"input_path": "e.jpg", "page_index": None, "pred": RNG.integers(0, 4, (1, 64, 64)).tolist()}


def _planted(result, edit):
    ours = copy.deepcopy(result)
    edit(ours)
    return ours


def _scale(values, factor):
    return [v * factor for v in values]


PLANTS = [  # (what, tolerances, PaddleX's result, the bug)
    ("OCR: rec_scores x0.99", OCR, OCR_RESULT, lambda r: r.update(rec_scores=_scale(r["rec_scores"], 0.99))),
    ("OCR: a polygon +1 px", OCR, OCR_RESULT, lambda r: r["dt_polys"][1][2].__setitem__(0, 91)),
    ("OCR: a rec polygon +1 px", OCR, OCR_RESULT, lambda r: r["rec_polys"][0][0].__setitem__(1, 13)),
    ("OCR: a rec box +1 px", OCR, OCR_RESULT, lambda r: r["rec_boxes"][0].__setitem__(2, 81)),
    ("OCR: a text", OCR, OCR_RESULT, lambda r: r["rec_texts"].__setitem__(1, "2O26")),
    ("OCR: a line angle", OCR, OCR_RESULT, lambda r: r["textline_orientation_angles"].__setitem__(1, 0)),
    ("OCR: the page angle", OCR, OCR_RESULT, lambda r: r["doc_preprocessor_res"].__setitem__("angle", 0)),
    ("OCR: a setting", OCR, OCR_RESULT, lambda r: r["text_det_params"].__setitem__("thresh", 0.35)),
    ("OCR: a missing field", OCR, OCR_RESULT, lambda r: r.pop("rec_boxes")),
    ("detection: box +0.5 px", detection.TOLERANCES, BOXES, lambda r: r["boxes"][0]["coordinate"].__setitem__(0, 13.0)),
    ("detection: score x0.99", detection.TOLERANCES, BOXES, lambda r: r["boxes"][0].__setitem__("score", 0.87654321 * 0.99)),
    ("detection: a label", detection.TOLERANCES, BOXES, lambda r: r["boxes"][1].__setitem__("label", "bus")),
    ("detection: a class id", detection.TOLERANCES, BOXES, lambda r: r["boxes"][1].__setitem__("cls_id", 2)),
    ("detection: a box less", detection.TOLERANCES, BOXES, lambda r: r["boxes"].pop()),
    ("instance seg: box +0.5 px", instance_segmentation.TOLERANCES, BOXES,
     lambda r: r["boxes"][0]["coordinate"].__setitem__(3, 201.25)),
    ("instance seg: score x0.99", instance_segmentation.TOLERANCES, BOXES,
     lambda r: r["boxes"][1].__setitem__("score", 0.55 * 0.99)),
    ("classification: scores x0.99", classification.TOLERANCES, CLASSES, lambda r: r.update(scores=_scale(r["scores"], 0.99))),
    ("classification: a class id", classification.TOLERANCES, CLASSES, lambda r: r["class_ids"].__setitem__(0, 4)),
    ("classification: a label", classification.TOLERANCES, CLASSES, lambda r: r["label_names"].__setitem__(1, "fox")),
    ("multilabel: scores x0.99", multilabel.TOLERANCES, CLASSES, lambda r: r.update(scores=_scale(r["scores"], 0.99))),
    ("multilabel: order", multilabel.TOLERANCES, CLASSES, lambda r: r.update(class_ids=[1, 3])),
    ("embedding: perturbed (cosine 1 - 1e-6)", image_feature.TOLERANCES, EMBEDDING,
     lambda r: r.update(feature=[(np.asarray(r["feature"][0]) + 1.4e-3 * RNG.standard_normal(512) / np.sqrt(512)).tolist()])),
    ("embedding: one element +1e-4", image_feature.TOLERANCES, EMBEDDING,
     lambda r: r["feature"][0].__setitem__(7, r["feature"][0][7] + 1e-4)),
    ("segmentation: 0.1 % of pixels", segmentation.TOLERANCES, MAP,
     lambda r: [r["pred"][0][i].__setitem__(i, (r["pred"][0][i][i] + 1) % 4) for i in range(5)]),
    ("anomaly: 0.1 % of pixels", anomaly.TOLERANCES, MAP,
     lambda r: [r["pred"][0][i].__setitem__(i, (r["pred"][0][i][i] + 1) % 4) for i in range(5)]),
]


@pytest.mark.parametrize("what,tolerances,theirs,edit", PLANTS, ids=[p[0] for p in PLANTS])
def test_each_planted_bug_fails_and_paddlex_own_result_passes(what, tolerances, theirs, edit):
    assert compare("x", copy.deepcopy(theirs), theirs, tolerances) == []
    assert compare("x", _planted(theirs, edit), theirs, tolerances), f"{what} passed the parity check"
