"""PP-FormulaNet through hpi's Paddle path (PIR inference.json -> paddle2onnx) vs PaddleX 3.7.2's Paddle engine.

The models are tests/fixtures/make_formula_model.py's: PaddleOCR's PP-FormulaNet-S architecture (PP-HGNetV2-B4
encoder, mBART decoder with its past-key/value cache and the export-mode parallel-step generation loop,
tests/fixtures/ppocr_formulanet.py) at a small config, seeded weights, exported by paddle 3.0 as PIR with the
loop (a while loop with a `break` once every sequence holds `eos`; paddle2onnx makes it an ONNX Loop), with
PaddleX's inference.yml (UniMERNetImgDecode / UniMERNetTestTransform / LatexImageFormat, UniMERNetDecode with a
byte-level BPE tokenizer) under each of the five PP-FormulaNet names (384 x 384 or 768 x 768 as the name's
export). PaddleX runs the same model dirs with its Paddle engine (tests/oracle/paddlex_table.py --engine=paddle:
create_model, predict, save_to_img). Images: formulas drawn with matplotlib's mathtext
(make_formula_model.render_formulas) and, where ../shared/testdata is present, four of its OCR images. On every
image both CPU backends must give PaddleX's `rec_formula` string and its picture (without a LaTeX toolchain
PaddleX's picture is the input image).
"""

from __future__ import annotations

import json
import sys

import cv2
import pytest

from conftest import OCR_IMAGES, ORACLE_PYTHON, REPO, compile_cli, needs_oracle, run_oracle
from parity import compare, record, report

sys.path.insert(0, str(REPO / "tests" / "fixtures"))
import make_formula_model  # noqa: E402

PARITY_FAMILIES = ("formula_recognition",)
# Every accepted name, each its own export under its name and input size (384: -S, _plus-S, _plus-M; 768: -L,
# _plus-L): PaddleX's processing is chosen by name, so each is checked against PaddleX's.
COMPILED_MODELS = ("PP-FormulaNet-S", "PP-FormulaNet_plus-S", "PP-FormulaNet_plus-M", "PP-FormulaNet-L",
                   "PP-FormulaNet_plus-L")
TOLERANCES = {"onnxruntime": {}, "openvino": {}}  # rec_formula is a string: equal or not

pytestmark = [pytest.mark.slow, needs_oracle()]


@pytest.fixture(scope="module")
def formula_images(tmp_path_factory):
    drawn = make_formula_model.render_formulas(tmp_path_factory.mktemp("formulas"))
    return drawn + sorted(OCR_IMAGES)[:4]


@pytest.fixture(scope="module", params=COMPILED_MODELS)
def variant(request, hpi_config, formula_images, tmp_path_factory):
    """(model name, bundle, PaddleX's results dir) per model: exported, compiled and run by PaddleX once each."""
    name = request.param
    drawn = [p for p in formula_images if p.name.startswith("formula_")]
    model = make_formula_model.make_model(tmp_path_factory.mktemp("formula-fixtures") / name, name, drawn)
    bundle = tmp_path_factory.mktemp("bundles") / f"{name}.hpi"
    assert compile_cli(model, "--output", bundle, "--quiet", "--calibration-images", drawn[1]) == 0
    out = tmp_path_factory.mktemp(f"paddlex-{name}")
    run_oracle([str(ORACLE_PYTHON), str(REPO / "tests/oracle/paddlex_table.py"), "--engine=paddle", str(model),
                str(out), *map(str, formula_images)], check=True, capture_output=True)
    return name, bundle, out


@pytest.mark.parametrize("backend", ["onnxruntime", "openvino"])
def test_formula_paddle_path_matches_paddlex(variant, formula_images, backend, tmp_path):
    from hpi.runtime_min import open_bundle

    name, bundle, paddlex = variant
    model = open_bundle(bundle, backend=backend)
    entry = model.bundle.manifest["models"]["formula_recognition"]
    assert entry["conversion"]["converter"]["name"] == "paddle2onnx"
    case = f"{name} fixture (Paddle path) vs PaddleX paddle/{backend}"
    mismatches, lengths, texts = [], [], set()
    for image in formula_images:
        result = model.predict_one(str(image))
        ours = result.to_dict()
        theirs = json.loads((paddlex / f"{image.stem}.json").read_text(encoding="utf-8"))
        ours["input_path"] = theirs["input_path"]
        found = compare(image.name, ours, theirs, TOLERANCES[backend], case=case)
        record(case, "rec_formula (differing share)", len(found) / len(formula_images), worse=lambda a, b: a + b)
        mismatches += found
        texts.add(theirs["rec_formula"])
        lengths.append(model._runner.token_ids(cv2.imread(str(image))).shape[-1])
        mine = cv2.imread(str(result.save_to_img(tmp_path / f"{image.stem}.png")))
        their = cv2.imread(str(paddlex / "vis" / f"{image.stem}.png"))
        differing = float((mine != their).any(axis=2).mean()) if mine.shape == their.shape else 1.0
        record(case, "picture (differing share)", differing)
        if differing:
            mismatches.append(f"{image.name}: picture differs from PaddleX's on {differing:.2%} of the pixels")
    print(f"{case}: {len(formula_images)} images, token lengths {lengths}, {len(texts)} distinct formulas; "
          f"{report(case)}")
    # The loop both stops early (eos) and runs to max_new_tokens on these images, and the texts follow the image.
    full = 3 + make_formula_model.MAX_NEW_TOKENS
    assert min(lengths) < full and max(lengths) == full and len(texts) >= 5, (lengths, texts)
    assert not mismatches, "\n".join(mismatches[:20])


def test_refused_formula_names_say_why():
    from hpi.core.errors import CompileError
    from hpi.recipes import model_recipe_for

    for name in ("UniMERNet", "LaTeX_OCR_rec"):
        with pytest.raises(CompileError, match=f"formula model {name} is not supported"):
            model_recipe_for(name)
