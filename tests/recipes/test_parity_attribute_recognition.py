"""PaddleX 3.7.2's stock pedestrian_attribute_recognition.yaml and vehicle_attribute_recognition.yaml, unchanged,
compiled from a PaddleX model cache, vs PaddleX's own pipelines on the same cache.

The cache (`$PADDLE_PDX_CACHE_HOME/official_models`) holds fixtures, as no official weights are reachable here:
PP-YOLOE-L_human / PP-YOLOE-L_vehicle from tests/fixtures/make_detection_model.py (the exported detectors'
signature and Paddle's own multiclass_nms3, one label each, 640 x 640, ImageNet normalisation) and
PP-LCNet_x1_0_pedestrian_attribute / _vehicle_attribute from tests/fixtures/make_multilabel_model.py (PaddleClas's
PPLCNet_x1_0 with its head and sigmoid, 26 / 19 attribute labels, 192 x 256 / 256 x 192). Every detected box is
cropped and classified with the stock thresholds (detection 0.5, attributes 0.7); PaddleX's JSON is compared field
by field on both CPU backends, and hpi-run's JSON and picture with PaddleX's files.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from conftest import ORACLE_PYTHON, REPO, TESTDATA, compile_cli, needs_oracle, needs_testdata, paddlex_home, run_oracle
from parity import MaxAbs, compare, record, report

sys.path.insert(0, str(REPO / "tests" / "fixtures"))
import make_detection_model  # noqa: E402
import make_multilabel_model  # noqa: E402

PARITY_PIPELINES = ("pedestrian_attribute_recognition", "vehicle_attribute_recognition")
COMPILED_MODELS = ("PP-YOLOE-L_human", "PP-YOLOE-L_vehicle", "PP-LCNet_x1_0_pedestrian_attribute",
                   "PP-LCNet_x1_0_vehicle_attribute")
STOCK = next((REPO / ".venv-oracle" / "lib").glob("python3*/site-packages/paddlex/configs/pipelines"), None)
VISION = TESTDATA / "vision"
# pipeline -> (detector, classifier, images)
PIPELINES = {
    "pedestrian_attribute_recognition": ("PP-YOLOE-L_human", "PP-LCNet_x1_0_pedestrian_attribute",
                                         ("090004.jpg", "human.jpg", "000000014439.jpg")),
    "vehicle_attribute_recognition": ("PP-YOLOE-L_vehicle", "PP-LCNet_x1_0_vehicle_attribute",
                                      ("000000570688.jpg", "road554.png", "visdrone_0000315_01601_d_0000509.jpg")),
}
# Attribute scores are rounded to 5 decimals (one step at most apart); boxes as tests/recipes/test_parity_detection.py.
TOLERANCES = {"boxes.cls_scores": MaxAbs(1.5e-5), "boxes.det_score": MaxAbs(5e-5), "boxes.coordinate": MaxAbs(2.5e-3)}

pytestmark = [pytest.mark.slow, needs_oracle(),
              needs_testdata([VISION / n for _, _, names in PIPELINES.values() for n in names
                              if (VISION / n).is_file()], VISION)]


def _font() -> str | None:
    from hpi.runtime_min.pipelines.fonts import SYSTEM_FONTS

    return next((str(Path(f).expanduser()) for f in SYSTEM_FONTS if Path(f).expanduser().is_file()), None)


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    """The PaddleX home whose official_models hold the four fixtures, set as $PADDLE_PDX_CACHE_HOME."""
    if STOCK is None:
        pytest.skip("PaddleX's stock pipeline configs are not in .venv-oracle")
    home = tmp_path_factory.mktemp("paddlex-home")
    for det, clas, _ in PIPELINES.values():
        make_detection_model.make_model(home / "official_models" / det, det)
        make_multilabel_model.make_model(home / "official_models" / clas, 0, clas)
    with paddlex_home(home):
        yield home


def _images(name: str) -> list[Path]:
    return [VISION / n for n in PIPELINES[name][2]]


@pytest.fixture(scope="module")
def bundles(hpi_config, cache, tmp_path_factory) -> dict[str, Path]:
    out = {}
    for name in PIPELINES:
        out[name] = tmp_path_factory.mktemp("bundles") / f"{name}.hpi"
        assert compile_cli(STOCK / f"{name}.yaml", "--output", out[name], "--quiet", "--calibration-images",
                           _images(name)[0]) == 0
    return out


@pytest.fixture(scope="module")
def paddlex(cache, tmp_path_factory) -> dict[str, tuple[dict[str, dict], Path]]:
    """Per pipeline: PaddleX's JSON per image name and the folder of its pictures (both pipelines in one PaddleX
    process, each on all the images; pictures drawn with hpi's default font when there is one)."""
    font = _font()
    env = {**os.environ, **({"PADDLE_PDX_LOCAL_FONT_FILE_PATH": font} if font else {})}
    out = tmp_path_factory.mktemp("paddlex-attributes")
    images = [p for name in PIPELINES for p in _images(name)]
    run_oracle([str(ORACLE_PYTHON), str(REPO / "tests/oracle/paddlex_vision_pipeline.py"),
                ":".join(str(STOCK / f"{name}.yaml") for name in PIPELINES), str(out), *map(str, images)],
               check=True, capture_output=True, env=env)
    return {name: ({p.name: json.loads((out / str(i) / f"{p.stem}.json").read_text(encoding="utf-8"))
                    for p in _images(name)}, out / str(i) / "pictures")
            for i, name in enumerate(PIPELINES)}


@pytest.mark.parametrize("name", PIPELINES)
def test_fixtures_give_boxes_with_varying_attributes(paddlex, name):
    """No box, or no attribute, would let the parity test pass for the wrong reason."""
    boxes = [b for r in paddlex[name][0].values() for b in r["boxes"]]
    labels = [tuple(b["labels"]) for b in boxes]
    assert len(boxes) >= 6 and sum(map(len, labels)) >= 2 * len(boxes) and len(set(labels)) >= len(boxes) // 2


@pytest.mark.parametrize("backend", ["onnxruntime", "openvino"])
@pytest.mark.parametrize("name", PIPELINES)
def test_stock_config_matches_paddlex(bundles, paddlex, name, backend):
    from hpi.runtime_min import open_bundle

    pipeline = open_bundle(bundles[name], backend=backend)
    assert set(pipeline.models) == {"det", "cls"}
    case = f"{name} stock yaml vs PaddleX paddle/{backend}"
    mismatches = []
    for image in _images(name):
        mismatches += compare(image.name, pipeline.predict_one(str(image)).to_dict(), paddlex[name][0][image.name],
                              TOLERANCES, case=case)
    print(f"{case}: {sum(len(r['boxes']) for r in paddlex[name][0].values())} boxes; {report(case)}")
    assert not mismatches, "\n".join(mismatches[:40])


def test_per_call_thresholds(bundles):
    """PaddleX's per-call det_threshold / cls_threshold: fewer boxes, each with its stock attributes above 0.9."""
    from hpi.core.errors import UsageError
    from hpi.runtime_min import open_bundle

    name = "pedestrian_attribute_recognition"
    image = _images(name)[1]
    pipeline = open_bundle(bundles[name], backend="onnxruntime")
    stock = pipeline.predict_one(str(image)).to_dict()
    stricter = pipeline.predict_one(str(image), det_threshold=0.9, cls_threshold=0.9).to_dict()
    assert 0 < len(stricter["boxes"]) < len(stock["boxes"])
    kept = {tuple(b["coordinate"]): b for b in stock["boxes"]}
    for box in stricter["boxes"]:
        same = kept[tuple(box["coordinate"])]
        assert box["labels"] == [n for n, s in zip(same["labels"], same["cls_scores"]) if s > 0.9]
    with pytest.raises(UsageError, match="cls_threshold"):
        pipeline.predict_one(str(image), cls_threshold=[0.5])
    with pytest.raises(UsageError, match="threshold"):
        pipeline.predict_one(str(image), threshold=0.5)


def test_hpi_run_writes_paddlex_json_and_picture(bundles, paddlex, tmp_path):
    """On a PNG input (PaddleX writes its picture as the input's type; a JPEG's would be lossy)."""
    import cv2
    import numpy as np

    from hpi.runtime_min.cli import main
    from hpi.runtime_min.pipelines.fonts import FontChooser

    name = "vehicle_attribute_recognition"
    image = VISION / "road554.png"
    assert main([str(bundles[name]), "--input", str(image), "--backend", "onnxruntime", "--output", str(tmp_path),
                 "--save-vis", str(tmp_path)]) == 0
    (written,) = tmp_path.glob("*_res.json")
    assert not compare(image.name, json.loads(written.read_text(encoding="utf-8")), paddlex[name][0][image.name],
                       TOLERANCES, skip=("input_path",))
    ours = cv2.imread(str(tmp_path / "road554_res.png"))
    theirs = cv2.imread(str(paddlex[name][1] / "road554_res.png"))
    assert ours.shape == theirs.shape
    differ = (ours != theirs).any(axis=2)
    labels = [n for b in paddlex[name][0][image.name]["boxes"] for n in b["labels"]]
    font = _font()
    if font is not None and not FontChooser(font).font().missing("".join(labels)):
        assert not differ.any()  # the same font draws every attribute: PaddleX's picture
    else:  # hpi leaves out texts its font has no glyphs for (PaddleX draws empty boxes): all else is PaddleX's
        texts = _text_areas(paddlex[name][0][image.name]["boxes"], ours.shape, font)
        record(f"{name} picture vs PaddleX (no CJK font)", "differing share", float(differ.mean()))
        record(f"{name} picture vs PaddleX (no CJK font)", "differing share outside PaddleX's texts",
               float((differ & ~texts).mean()))
        assert not (differ & ~texts).any()


def _text_areas(boxes: list[dict], shape, font: str | None):
    """Where PaddleX's draw_attribute_result writes each attribute line (with its shadow), as a mask."""
    import numpy as np
    from PIL import Image, ImageDraw, ImageFont

    mask = np.zeros(shape[:2], bool)
    if font is None:
        return ~mask
    face = ImageFont.truetype(font, int((0.024 * shape[1] + 2) * 0.7))
    draw = ImageDraw.Draw(Image.new("RGB", (shape[1], shape[0])))
    for box in boxes:
        x, y = box["coordinate"][:2]
        for line in box["labels"]:
            left, top, right, bottom = draw.textbbox((5 + x, y), line, face)
            mask[max(0, int(top) - 1):int(bottom) + 3, max(0, int(left) - 1):int(right) + 3] = True
            _, t, _, b = draw.textbbox((0, 0), line, face)
            y += b - t + 4
    return mask
