"""Table classification (PP-LCNet_x1_0_table_cls) vs PaddleX 3.7.2.

PaddleX runs the name with its ClasPredictor (module `table_classification`): PP-LCNet_x1_0's pre-processing
(resize short side 256, centre crop 224, ImageNet normalisation) and Topk 5 over the labels wired_table /
wireless_table (inference_meta._meta_cls_table). The model is tests/fixtures/make_classification_model.py's
(resnet18, seeded weights, softmax output as PaddleClas exports) with two classes and PaddleX's inference.yml
for the name, exported as PIR and compiled through hpi's Paddle path; PaddleX runs the same dir with its Paddle
engine (tests/oracle/paddlex_model.py). On every image of ../shared/testdata/vision both CPU backends must give
every field of PaddleX's TopkResult.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from conftest import REPO
from parity import MaxAbs
from vision_parity import IMAGES, MARKS, assert_matches, compile_bundle, paddlex_results as oracle

sys.path.insert(0, str(REPO / "tests" / "fixtures"))
from make_classification_model import TABLE_CLS, make_model  # noqa: E402

PARITY_FAMILIES = ("image_classification",)
COMPILED_MODELS = ("PP-LCNet_x1_0_table_cls",)
# PaddleX rounds scores to 5 decimals and so does the runtime (test_parity_classification.py's limit); measured
# here: 0 on both backends (17 images).
TOLERANCES = {"scores": MaxAbs(1.5e-5)}

pytestmark = MARKS


@pytest.fixture(scope="module")
def table_cls_model(tmp_path_factory) -> Path:
    # Seed 1: both labels on top somewhere among the 17 images (seed 0 says wired_table on all); the closest top
    # score is 9e-5 from the 0.5 tie, ~100x the float noise, so the labels cannot flip between engines.
    return make_model(tmp_path_factory.mktemp("models") / TABLE_CLS, model_name=TABLE_CLS, seed=1)


@pytest.fixture(scope="module")
def table_cls_bundle(hpi_config, table_cls_model, tmp_path_factory) -> Path:
    return compile_bundle(table_cls_model, tmp_path_factory.mktemp("bundles") / "table_cls.hpi")


@pytest.fixture(scope="module")
def paddlex_table_cls(table_cls_model, tmp_path_factory) -> dict[str, dict]:
    return oracle(table_cls_model, tmp_path_factory.mktemp("paddlex-table-cls"))


@pytest.mark.parametrize("backend", ["onnxruntime", "openvino"])
def test_table_classification_matches_paddlex(table_cls_bundle, paddlex_table_cls, backend):
    results = paddlex_table_cls.values()
    assert all(sorted(r["label_names"]) == ["wired_table", "wireless_table"] for r in results)
    top = {r["label_names"][0] for r in results}
    assert top == {"wired_table", "wireless_table"}, f"the fixture gives one label on every image: {top}"
    case = f"{TABLE_CLS} fixture vs PaddleX paddle/{backend}"
    worst = assert_matches(table_cls_bundle, paddlex_table_cls, backend, TOLERANCES, case)
    print(f"{case}: {len(IMAGES)} images, top labels {sorted(top)}, worst {worst}")


def test_other_labels_are_refused(tmp_path):
    import yaml

    from hpi.core.errors import CompileError
    from hpi.recipes.classification import TableClassificationRecipe
    from make_classification_model import inference_config

    config = inference_config(TABLE_CLS)
    config["PostProcess"]["Topk"]["label_list"] = ["table", "no_table"]
    with pytest.raises(CompileError, match="wired_table, wireless_table"):
        TableClassificationRecipe.runtime_spec(yaml.safe_load(yaml.safe_dump(config)))
