"""PaddleX 3.7.2's stock small_object_detection.yaml (PP-YOLOE_plus_SOD-L), unchanged, and the same config naming
PP-YOLOE_plus_SOD-S and PP-YOLOE_plus_SOD-largesize-L, compiled from a PaddleX model cache, vs PaddleX's own pipeline.

The cache holds fixtures from tests/fixtures/make_detection_model.py (no official weights are reachable here): the
exported PP-YOLOE+ signature (`image`, `scale_factor`; Paddle's multiclass_nms3), VisDrone's ten labels, and the
SOD exports' fused normalisation (`fuse_normalize`: inference.yml has only Resize and Permute, the model scales
the pixels itself), 640 x 640 and, for largesize-L, 1920 x 1920. The SOD-S config also sets the module's
`threshold` to 0.9, which PaddleX reads and never uses (its predict() passes only a per-call threshold): PaddleX's
boxes under 0.9 show it, and the bundle, held to PaddleX's results, does the same.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
import yaml

from conftest import ORACLE_PYTHON, REPO, TESTDATA, compile_cli, needs_oracle, needs_testdata, paddlex_home, run_oracle
from parity import MaxAbs, compare, report

sys.path.insert(0, str(REPO / "tests" / "fixtures"))
import make_detection_model  # noqa: E402

PARITY_PIPELINES = ("small_object_detection",)
COMPILED_MODELS = ("PP-YOLOE_plus_SOD-S", "PP-YOLOE_plus_SOD-L", "PP-YOLOE_plus_SOD-largesize-L")
STOCK = next((REPO / ".venv-oracle" / "lib").glob("python3*/site-packages/paddlex/configs/pipelines/"
                                                   "small_object_detection.yaml"), None)
VISION = TESTDATA / "vision"
IMAGES = [VISION / n for n in ("visdrone_0000315_01601_d_0000509.jpg", "000000087038.jpg", "road554.png")]
# config -> (model name, module threshold); "stock" is the file unchanged
CONFIGS = {"stock": ("PP-YOLOE_plus_SOD-L", None), "S": ("PP-YOLOE_plus_SOD-S", 0.9),
           "largesize-L": ("PP-YOLOE_plus_SOD-largesize-L", None)}
TOLERANCES = {"boxes.score": MaxAbs(5e-5), "boxes.coordinate": MaxAbs(2.5e-3)}  # as test_parity_detection.py

pytestmark = [pytest.mark.slow, needs_oracle(), needs_testdata([p for p in IMAGES if p.is_file()], VISION)]


@pytest.fixture(scope="module")
def configs(tmp_path_factory) -> dict[str, Path]:
    """The configs, with a PaddleX cache of the three fixtures set as $PADDLE_PDX_CACHE_HOME."""
    if STOCK is None:
        pytest.skip("PaddleX's stock small_object_detection.yaml is not in .venv-oracle")
    home = tmp_path_factory.mktemp("paddlex-home")
    work = tmp_path_factory.mktemp("sod-configs")
    paths = {}
    for key, (model, threshold) in CONFIGS.items():
        make_detection_model.make_model(home / "official_models" / model, model, seed=len(paths))
        if key == "stock":
            paths[key] = STOCK
            continue
        config = yaml.safe_load(STOCK.read_text(encoding="utf-8"))
        module = config["SubModules"]["SmallObjectDetection"]
        module["model_name"] = model
        if threshold is not None:
            module["threshold"] = threshold
        paths[key] = work / f"small_object_detection-{key}.yaml"
        paths[key].write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    with paddlex_home(home):
        yield paths


@pytest.fixture(scope="module")
def bundles(hpi_config, configs, tmp_path_factory) -> dict[str, Path]:
    out = {}
    for key, path in configs.items():
        out[key] = tmp_path_factory.mktemp("bundles") / f"sod-{key}.hpi"
        assert compile_cli(path, "--output", out[key], "--quiet", "--calibration-images", IMAGES[0]) == 0
    return out


@pytest.fixture(scope="module")
def paddlex(configs, tmp_path_factory) -> dict[str, dict[str, dict]]:
    """PaddleX's JSON per config and image name (the three configs in one PaddleX process)."""
    from hpi.runtime_min.pipelines.fonts import SYSTEM_FONTS

    # PaddleX's detection picture needs a font: a system one, or it downloads its own (no network here).
    font = next((str(Path(f).expanduser()) for f in SYSTEM_FONTS if Path(f).expanduser().is_file()), None)
    env = {**os.environ, **({"PADDLE_PDX_LOCAL_FONT_FILE_PATH": font} if font else {})}
    out = tmp_path_factory.mktemp("paddlex-sod")
    run_oracle([str(ORACLE_PYTHON), str(REPO / "tests/oracle/paddlex_vision_pipeline.py"),
                ":".join(str(p) for p in configs.values()), str(out), *map(str, IMAGES)],
               check=True, capture_output=True, env=env)
    return {key: {p.name: json.loads((out / str(i) / f"{p.stem}.json").read_text(encoding="utf-8")) for p in IMAGES}
            for i, key in enumerate(configs)}


def _compare(bundle: Path, theirs: dict, backend: str, case: str, **call) -> list[str]:
    from hpi.runtime_min import open_bundle

    pipeline = open_bundle(bundle, backend=backend)
    assert set(pipeline.models) == {"model"}
    return [m for image in IMAGES
            for m in compare(image.name, pipeline.predict_one(str(image), **call).to_dict(), theirs[image.name],
                             TOLERANCES, case=case)]


@pytest.mark.parametrize("backend", ["onnxruntime", "openvino"])
def test_stock_config_matches_paddlex(bundles, paddlex, backend):
    theirs = paddlex["stock"]
    boxes = [b for r in theirs.values() for b in r["boxes"]]
    assert len(boxes) >= 10 and len({b["label"] for b in boxes}) >= 5  # a real comparison: many boxes, labels
    case = f"small_object_detection stock yaml (PP-YOLOE_plus_SOD-L) vs PaddleX paddle/{backend}"
    mismatches = _compare(bundles["stock"], theirs, backend, case)
    print(f"{case}: {len(boxes)} boxes; {report(case)}")
    assert not mismatches, "\n".join(mismatches[:40])


@pytest.mark.parametrize("key", ["S", "largesize-L"])
def test_other_sod_models_match_paddlex(bundles, paddlex, key):
    theirs = paddlex[key]
    scores = [b["score"] for r in theirs.values() for b in r["boxes"]]
    assert len(scores) >= 10
    if CONFIGS[key][1] is not None:  # the module threshold PaddleX does not apply
        assert min(scores) < CONFIGS[key][1]
    case = f"small_object_detection {CONFIGS[key][0]} vs PaddleX paddle/onnxruntime"
    mismatches = _compare(bundles[key], theirs, "onnxruntime", case)
    print(f"{case}: {len(scores)} boxes; {report(case)}")
    assert not mismatches, "\n".join(mismatches[:40])


def test_per_call_threshold_and_hpi_run(bundles, paddlex, tmp_path):
    import cv2

    from hpi.runtime_min import open_bundle
    from hpi.runtime_min.cli import main

    pipeline = open_bundle(bundles["stock"], backend="onnxruntime")
    image = IMAGES[0]
    stock = paddlex["stock"][image.name]["boxes"]
    high = pipeline.predict_one(str(image), threshold=0.8).to_dict()["boxes"]
    assert high == [b for b in pipeline.predict_one(str(image)).to_dict()["boxes"] if b["score"] > 0.8]
    assert 0 < len(high) < len(stock)
    assert main([str(bundles["stock"]), "--input", str(image), "--backend", "onnxruntime", "--output", str(tmp_path),
                 "--save-vis", str(tmp_path)]) == 0
    (written,) = tmp_path.glob("*_res.json")
    assert not compare(image.name, json.loads(written.read_text(encoding="utf-8")), paddlex["stock"][image.name],
                       TOLERANCES, skip=("input_path",))
    (picture,) = tmp_path.glob("*.png")
    assert cv2.imread(str(picture)).shape == cv2.imread(str(image)).shape


@pytest.mark.parametrize("name", ["FasterRCNN-Swin-Tiny-FPN", "CenterNet-DLA-34", "CenterNet-ResNet50"])
def test_detectors_paddlex_hpi_leaves_on_paddle_are_refused_with_the_reason(name):
    from hpi.core.errors import CompileError
    from hpi.recipes import model_recipe_for

    with pytest.raises(CompileError, match="generate_proposals_v2" if "RCNN" in name else "WarpAffine"):
        model_recipe_for(name)
