"""The OCR pipeline's document preprocessor (orientation, unwarping): recipe checks and runtime flow."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from hpi.recipes import model_recipe_for, pipeline_recipe_for
from hpi.core.errors import CompileError
from hpi.runtime_min.pipelines.ocr import OcrRunner, rotate_image
from hpi.runtime_min.pipelines.ocr_result import to_json_dict

from conftest import REPO
from test_ocr_ops import FakeRec, fake_det, text_image

sys.path.insert(0, str(REPO / "tests" / "fixtures"))
from make_classification_model import DOC_ORI, inference_config  # noqa: E402
sys.path.insert(0, str(REPO / "scripts"))
from fetch_models import pipeline_config  # noqa: E402

SPEC = model_recipe_for(DOC_ORI).runtime_spec(inference_config(DOC_ORI))


def doc_config(**sub):
    config = pipeline_config()
    config["use_doc_preprocessor"] = True
    config["SubPipelines"] = {"DocPreprocessor": {
        "use_doc_orientation_classify": True, "use_doc_unwarping": False,
        "SubModules": {"DocOrientationClassify": {"model_name": DOC_ORI, "model_dir": f"./{DOC_ORI}"}}, **sub}}
    return config


class FakeDocOri:
    def __init__(self, cls):
        self.cls, self.calls = cls, []

    def __call__(self, x):
        self.calls.append(x.shape)
        probs = np.full((len(x), 4), 0.1, np.float32)
        probs[:, self.cls] = 0.7
        return probs


def test_recipe_modules_and_params():
    ocr = pipeline_recipe_for("OCR")
    assert model_recipe_for(DOC_ORI).family == "image_classification"
    assert SPEC.to_dict()["postprocess"] == {"name": "Topk", "topk": 1, "label_list": ["0", "90", "180", "270"]}
    config = doc_config()
    assert ocr.modules_for(config)["DocOrientationClassify"] == "doc_ori"
    where, module = ocr.module_config(config, "DocOrientationClassify")
    assert where.startswith("SubPipelines.DocPreprocessor.SubModules") and module["model_name"] == DOC_ORI
    params = ocr.params(config, {"text_det": {}, "text_rec": {}, "doc_ori": SPEC})
    assert params["use_doc_preprocessor"] is True and params["use_doc_orientation_classify"] is True
    # Configs without the preprocessor resolve exactly as before.
    plain = pipeline_config()
    assert "DocOrientationClassify" not in ocr.modules_for(plain)
    assert not {"use_doc_preprocessor", "use_doc_orientation_classify"} & set(
        ocr.params(plain, {"text_det": {}, "text_rec": {}}))
    # Preprocessor without orientation: no model needed.
    off = doc_config(use_doc_orientation_classify=False)
    assert "DocOrientationClassify" not in ocr.modules_for(off)
    assert ocr.params(off, {})["use_doc_orientation_classify"] is False


def test_recipe_refusals():
    ocr = pipeline_recipe_for("OCR")
    with pytest.raises(CompileError, match=r"SubModules.DocUnwarping \(model_name UVDoc, model_dir\)"):
        ocr.modules_for(doc_config(use_doc_unwarping=True))
    unset = doc_config()
    del unset["SubPipelines"]["DocPreprocessor"]["use_doc_unwarping"]
    with pytest.raises(CompileError, match="use_doc_unwarping is not set, and PaddleX then turns it on"):
        ocr.modules_for(unset)
    with pytest.raises(CompileError, match="no document unwarping model was compiled"):
        ocr.params(unset, {"doc_ori": SPEC})
    nodir = doc_config()
    nodir["SubPipelines"]["DocPreprocessor"]["SubModules"] = {}
    with pytest.raises(CompileError, match=r"DocOrientationClassify \(model_name, model_dir\)"):
        ocr.modules_for(nodir)
    with pytest.raises(CompileError, match="no document orientation model"):
        ocr.params(doc_config(), {})
    bad = inference_config(DOC_ORI)
    bad["PostProcess"]["Topk"]["label_list"] = ["0", "90", "180", "up"]
    with pytest.raises(CompileError, match="angles"):
        model_recipe_for(DOC_ORI).runtime_spec(bad)


@pytest.mark.parametrize("cls,angle", [(0, 0), (1, 90), (2, 180)])
def test_runtime_turns_the_image_and_reports_paddlex_json(cls, angle):
    img = text_image()
    ori = FakeDocOri(cls)
    params = {"rec_batch_size": 1, "use_doc_preprocessor": True, "use_doc_orientation_classify": True}
    res = OcrRunner(fake_det, FakeRec(), list("abc"), params, doc_ori_infer=ori,
                      doc_ori_spec=SPEC).predict_one(img)
    assert ori.calls == [(1, 3, 224, 224)]
    assert res["model_settings"] == {"use_doc_preprocessor": True, "use_textline_orientation": False}
    assert res["doc_preprocessor_res"] == {"input_path": None, "page_index": None, "model_settings": {
        "use_doc_orientation_classify": True, "use_doc_unwarping": False}, "angle": angle}
    # OCR ran on the turned image: same boxes as running on it directly.
    direct = OcrRunner(fake_det, FakeRec(), list("abc"), {"rec_batch_size": 1}).predict_one(
        rotate_image(img, angle))
    assert [p.tolist() for p in res["dt_polys"]] == [p.tolist() for p in direct["dt_polys"]]
    keys = list(to_json_dict(res))
    assert keys[:4] == ["input_path", "page_index", "model_settings", "doc_preprocessor_res"]


def test_runtime_without_orientation_and_checks():
    res = OcrRunner(fake_det, FakeRec(), list("abc"), {"use_doc_preprocessor": True}).predict_one(text_image())
    assert res["doc_preprocessor_res"]["angle"] == -1
    plain = OcrRunner(fake_det, FakeRec(), list("abc")).predict_one(text_image())
    assert "doc_preprocessor_res" not in plain and "doc_preprocessor_res" not in to_json_dict(plain)
    with pytest.raises(ValueError, match="document orientation model"):
        OcrRunner(fake_det, FakeRec(), list("abc"),
                    {"use_doc_preprocessor": True, "use_doc_orientation_classify": True})


def test_pictures_are_paddlexs_ocr_res_img_and_preprocessed_img(tmp_path):
    """With the preprocessor PaddleX's OCR result has two pictures (`ocr_res_img`, `preprocessed_img`), written
    as `<stem>_<key>.png`; without it one, written to the path given."""
    import cv2

    img = text_image()
    params = {"rec_batch_size": 1, "use_doc_preprocessor": True, "use_doc_orientation_classify": True}
    runner = OcrRunner(fake_det, FakeRec(), list("abc"), params, doc_ori_infer=FakeDocOri(1), doc_ori_spec=SPEC)
    runner.save_visualization(runner.predict_one(img), img, tmp_path / "x_res.png")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x_res_ocr_res_img.png", "x_res_preprocessed_img.png"]
    panels = cv2.imread(str(tmp_path / "x_res_preprocessed_img.png"))
    h, w = img.shape[:2]  # input, turned 90 degrees, and the same again (no unwarping), over a caption row
    assert panels.shape[:2] == (max(h, w) + 25, w + 2 * h)
    plain = OcrRunner(fake_det, FakeRec(), list("abc"), {"rec_batch_size": 1})
    plain.save_visualization(plain.predict_one(img), img, tmp_path / "one.png")
    assert (tmp_path / "one.png").is_file() and not (tmp_path / "one_ocr_res_img.png").exists()
