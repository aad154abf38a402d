"""PaddleX 3.7.2's stock PP-ShiTuV2.yaml and face_recognition.yaml, unchanged, compiled from a PaddleX model cache,
vs PaddleX itself, vector index included (recipes/retrieval.py, runtime_min/pipelines/retrieval.py,
runtime_min/ops/vector_index.py).

The cache holds fixtures with the real signatures (no official weights are reachable here): PP-ShiTuV2_det and
PP-YOLOE_plus-S_face from tests/fixtures/make_detection_model.py (one-class NMS detectors, seeded), PP-ShiTuV2_rec
and ResNet50_face from tests/fixtures/make_image_feature_model.py (resnet18 + Linear/BatchNorm neck, seeded, 512
values). The oracle is PaddleX's own pipeline on the same cache (tests/oracle/paddlex_retrieval.py, which fixes the
one PaddleX 3.7.2 defect that stops it from building or searching any index: see that script).

A gallery of ../shared/testdata/vision images is indexed the same way on both sides (build Flat / IP, append two,
remove one id; face_recognition: PaddleX's default HNSW32), both save it, and:

* the saved folders are PaddleX's form on both sides: id_map.yaml byte for byte, the vectors within tolerance;
* queries on hpi's own index give PaddleX's JSON (labels identical, rec_scores / det_score / coordinate within
  TOLERANCES) and its pictures pixel for pixel (same font: PADDLE_PDX_LOCAL_FONT_FILE_PATH);
* each side searches the other's saved index (PaddleX loads hpi's with det_threshold 1.0, so every query is one
  `full_img` box and the gallery images find themselves) and gets the same answers.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from conftest import ORACLE_PYTHON, REPO, compile_cli, paddlex_home, run_oracle
from parity import MaxAbs, compare, record, report
from vision_parity import MARKS, VISION

sys.path.insert(0, str(REPO / "tests" / "fixtures"))
import make_detection_model  # noqa: E402
import make_image_feature_model  # noqa: E402

PARITY_PIPELINES = ("PP-ShiTuV2", "face_recognition")
COMPILED_MODELS = ("PP-ShiTuV2_det", "PP-ShiTuV2_rec", "PP-YOLOE_plus-S_face", "ResNet50_face")
STOCK = {name: next((REPO / ".venv-oracle" / "lib").glob(f"python3*/site-packages/paddlex/configs/pipelines/"
                                                         f"{name}.yaml"), None) for name in PARITY_PIPELINES}
# (image, label): built from the first four, the last two appended, id 1 removed.
GALLERY = [("000000014439.jpg", "Straße"), ("090004.jpg", "bird"), ("orange_71.jpg", "orange"),
           ("human.jpg", "person"), ("000000087038.jpg", "Straße"), ("road554.png", "sign")]
REMOVED = [1]
QUERIES = ("090004.jpg", "000000570688.jpg", "hrnet_demo.jpg", "human.jpg")
FULL_IMAGE = {"det_threshold": 1.0, "rec_topk": 3}  # no box passes: PP-ShiTuV2 embeds each whole image
# Limits about 10x the worst measured on ONNX Runtime over both pipelines and all queries (in the comments).
TOLERANCES = {"boxes.rec_scores": MaxAbs(1e-5),  # 8.8e-7 (face_recognition), 4.2e-7 (PP-ShiTuV2)
              "boxes.det_score": MaxAbs(3e-5),  # 2.7e-6
              "boxes.coordinate": MaxAbs(1e-3)}  # 6.1e-5 px
VECTORS = MaxAbs(1e-5)  # the saved unit embeddings, element by element: 8.9e-7

pytestmark = MARKS


def _font() -> str | None:
    from hpi.runtime_min.pipelines.fonts import SYSTEM_FONTS

    return next((f for f in SYSTEM_FONTS if Path(f).is_file()), None)


@pytest.fixture(scope="module")
def setup(hpi_config, tmp_path_factory):
    """(work dir, {pipeline: bundle}): the cache laid out, both stock YAMLs compiled from it."""
    if any(path is None for path in STOCK.values()):
        pytest.skip("PaddleX's stock PP-ShiTuV2.yaml / face_recognition.yaml are not in .venv-oracle")
    pytest.importorskip("faiss", reason="the retrieval extra (faiss-cpu) is not installed: pip install "
                                        "'hpi-aot[retrieval]'")
    home = tmp_path_factory.mktemp("paddlex-home")
    cache = home / "official_models"
    # Four exports, each a child interpreter that mostly waits on Paddle's start: two at a time.
    with ThreadPoolExecutor(2) as pool:
        made = [pool.submit(make_detection_model.make_model, cache / name, model_name=name)
                for name in ("PP-ShiTuV2_det", "PP-YOLOE_plus-S_face")]
        made += [pool.submit(make_image_feature_model.make_model, cache / name, name)
                 for name in ("PP-ShiTuV2_rec", "ResNet50_face")]
        for future in made:
            future.result()
    with paddlex_home(home):
        work = tmp_path_factory.mktemp("retrieval")
        bundles = {}
        for name, stock in STOCK.items():
            bundles[name] = work / f"{name}.hpi"
            assert compile_cli(stock, "--output", bundles[name], "--quiet", "--cpu-backend", "onnxruntime",
                               "--calibration-images", VISION / QUERIES[0]) == 0
        yield work, bundles


def _gallery(part: slice) -> tuple[list[str], list[str]]:
    items = GALLERY[part]
    return [str(VISION / image) for image, _ in items], [label for _, label in items]


@pytest.fixture(scope="module")
def ours(setup):
    """hpi's side: each pipeline opened on ONNX Runtime, its index built, appended, trimmed and saved."""
    from hpi.runtime_min import create_pipeline

    work, bundles = setup
    pipelines = {name: create_pipeline(bundle, engine="onnxruntime") for name, bundle in bundles.items()}
    shitu = pipelines["PP-ShiTuV2"]
    index = shitu.build_index(*_gallery(slice(0, 4)), metric_type="IP", index_type="Flat")
    index = shitu.remove_index(REMOVED, shitu.append_index(*_gallery(slice(4, 6)), index))
    index.save(work / "hpi-shitu-index")
    pipelines["face_recognition"].build_index(*_gallery(slice(None))).save(work / "hpi-face-index")
    return pipelines


@pytest.fixture(scope="module")
def theirs(setup, ours):
    """PaddleX's side, one process: the same index operations and queries, and its search of hpi's index."""
    work, _ = setup
    font = _font()
    if font is None:
        pytest.skip("no system TrueType font for PaddleX's pictures (it would download one)")
    images = [str(VISION / q) for q in QUERIES]
    shitu, face = str(STOCK["PP-ShiTuV2"]), str(STOCK["face_recognition"])
    plans = [
        {"config": shitu, "out": str(work / "pdx-shitu"), "images": images, "save": str(work / "pdx-shitu-index"),
         "build": dict(zip(("images", "labels"), _gallery(slice(0, 4))), metric_type="IP", index_type="Flat"),
         "append": dict(zip(("images", "labels"), _gallery(slice(4, 6)))), "remove": REMOVED},
        {"config": shitu, "out": str(work / "pdx-shitu-on-hpi-index"), "images": images,
         "index": str(work / "hpi-shitu-index"), "params": FULL_IMAGE},
        {"config": face, "out": str(work / "pdx-face"), "images": images, "save": str(work / "pdx-face-index"),
         "build": dict(zip(("images", "labels"), _gallery(slice(None))))},
    ]
    (work / "plans.json").write_text(json.dumps(plans, ensure_ascii=False), encoding="utf-8")
    run_oracle([str(ORACLE_PYTHON), str(REPO / "tests/oracle/paddlex_retrieval.py"), str(work / "plans.json")],
               check=True, capture_output=True, env={**os.environ, "PADDLE_PDX_LOCAL_FONT_FILE_PATH": font})
    return {plan["out"].rsplit("/", 1)[1]: {q: json.loads((Path(plan["out"]) / f"{Path(q).stem}.json").read_text(
        encoding="utf-8")) for q in QUERIES} for plan in plans}


def _unmatched_as_empty(result: dict) -> dict:
    """rec_scores None ([None] in PP-ShiTuV2) as [] so the numeric comparison takes them; labels keep the form."""
    boxes = [{**b, "rec_scores": [] if b["rec_scores"] in (None, [None]) else b["rec_scores"]}
             for b in result["boxes"]]
    return {**result, "boxes": boxes}


def _compare(pipeline, index, expected: dict, case: str, work: Path, pictures: Path | None = None, **params):
    import cv2

    mismatches = []
    for query in QUERIES:
        result = next(iter(pipeline.predict(str(VISION / query), index=index, **params)))
        mine = _unmatched_as_empty(dict(result))
        mismatches += compare(query, mine, _unmatched_as_empty(expected[query]), TOLERANCES, case=case)
        if pictures is not None:
            result.save_to_img(work / "ours" / f"{Path(query).stem}.png")
            a = cv2.imread(str(work / "ours" / f"{Path(query).stem}.png"))
            b = cv2.imread(str(pictures / f"{Path(query).stem}.png"))
            record(case, "picture pixels differing", float((a != b).any(axis=2).mean()) if a.shape == b.shape else 1.0)
            if a.shape != b.shape or (a != b).any():
                mismatches.append(f"{query}: the picture differs from PaddleX's")
    return mismatches


def _saved_alike(ours_dir: Path, theirs_dir: Path, case: str) -> None:
    from hpi.runtime_min.ops.vector_index import VectorIndex

    assert (ours_dir / "id_map.yaml").read_bytes() == (theirs_dir / "id_map.yaml").read_bytes()
    a, b = VectorIndex.load(ours_dir), VectorIndex.load(theirs_dir)
    ids = sorted(a.id_map)
    va = np.stack([a.index.reconstruct(i) for i in ids]) if a.index_type != "HNSW32" else \
        a.index.index.reconstruct_n(0, len(a))
    vb = np.stack([b.index.reconstruct(i) for i in ids]) if b.index_type != "HNSW32" else \
        b.index.index.reconstruct_n(0, len(b))
    worst = float(np.abs(va - vb).max())
    record(case, "index vectors (max abs)", worst)
    assert worst <= VECTORS.limit, f"saved vectors differ by {worst:.3g}"


def test_stock_shitu_yaml_index_and_queries_match_paddlex(setup, ours, theirs):
    work, _ = setup
    expected = theirs["pdx-shitu"]
    labels = [b["labels"][0] for r in expected.values() for b in r["boxes"]]
    # What PaddleX did, so the comparison means something: matched and unmatched boxes, the removed label gone.
    assert any(label is None for label in labels) and any(label is not None for label in labels), labels
    assert "bird" not in {label for r in expected.values() for b in r["boxes"] for label in b["labels"]}
    case = "PP-ShiTuV2 stock yaml vs PaddleX onnxruntime"
    _saved_alike(work / "hpi-shitu-index", work / "pdx-shitu-index", case)
    mismatches = _compare(ours["PP-ShiTuV2"], str(work / "hpi-shitu-index"), expected, case, work,
                          pictures=work / "pdx-shitu")
    print(f"{case}: {len(QUERIES)} queries, {len(labels)} boxes ({sum(x is None for x in labels)} unmatched); "
          f"{report(case)}")
    assert not mismatches, "\n".join(mismatches)


def test_each_side_searches_the_others_saved_index(setup, ours, theirs):
    """PaddleX on hpi's saved index and hpi on PaddleX's, one full_img box per query: the same answers."""
    work, _ = setup
    expected = theirs["pdx-shitu-on-hpi-index"]
    assert all(r["boxes"][0]["labels"][0] == label for (image, label), r in
               ((g, expected[g[0]]) for g in GALLERY if g[0] in QUERIES and GALLERY.index(g) not in REMOVED))
    case = "PP-ShiTuV2 full image, each side's saved index vs PaddleX onnxruntime"
    mismatches = _compare(ours["PP-ShiTuV2"], str(work / "pdx-shitu-index"), expected, case, work, **FULL_IMAGE)
    print(f"{case}: {report(case)}")
    assert not mismatches, "\n".join(mismatches)


def test_stock_face_recognition_yaml_matches_paddlex(setup, ours, theirs):
    work, _ = setup
    expected = theirs["pdx-face"]
    case = "face_recognition stock yaml (HNSW32) vs PaddleX onnxruntime"
    _saved_alike(work / "hpi-face-index", work / "pdx-face-index", case)
    mismatches = _compare(ours["face_recognition"], str(work / "hpi-face-index"), expected, case, work,
                          pictures=work / "pdx-face")
    boxes = [b for r in expected.values() for b in r["boxes"]]
    assert boxes and any(b["labels"] is None for b in boxes) and any(b["labels"] for b in boxes)
    print(f"{case}: {len(boxes)} faces; {report(case)}")
    assert not mismatches, "\n".join(mismatches)


def test_index_cli_and_hpi_run(setup, ours, tmp_path):
    """`hpi index build/remove/info` from a PaddleX gallery label file, and `hpi-run --index`."""
    from hpi.core.errors import UsageError
    from hpi.runtime_min.cli import main as run_main
    from hpi.runtime_min.index_cli import main as index_main

    work, bundles = setup
    gallery = tmp_path / "gallery"
    gallery.mkdir()
    for image, _ in GALLERY:
        shutil.copy(VISION / image, gallery / image)
    (gallery / "labels.txt").write_text("".join(f"{i} {l}\n" for i, l in GALLERY), encoding="utf-8")
    out = tmp_path / "index"
    assert index_main(["index", "build", str(bundles["PP-ShiTuV2"]), "--gallery", str(gallery / "labels.txt"),
                       "--root", str(gallery), "--out", str(out), "--index-type", "Flat",
                       "--backend", "onnxruntime"]) == 0
    assert index_main(["index", "remove", "--index", str(out), "--ids", "1"]) == 0
    assert index_main(["index", "info", str(out)]) == 0
    # Built from the file in one go: the same vectors and labels as the API's build + append + remove.
    from hpi.runtime_min.ops.vector_index import VectorIndex

    a, b = VectorIndex.load(out), VectorIndex.load(work / "hpi-shitu-index")
    assert a.id_map == b.id_map
    assert np.abs(a.index.reconstruct(5) - b.index.reconstruct(5)).max() < 1e-6
    with pytest.raises(UsageError, match="HNSW32 index cannot remove"):
        VectorIndex.load(work / "hpi-face-index").remove([0])
    with pytest.raises(UsageError, match="needs a vector index"):
        next(iter(ours["PP-ShiTuV2"].predict(str(VISION / QUERIES[0]))))

    assert run_main([str(bundles["PP-ShiTuV2"]), "--input", str(VISION / QUERIES[1]), "--backend", "onnxruntime",
                     "--index", str(out), "--rec-topk", "2", "--output", str(tmp_path / "json"), "--quiet"]) == 0
    (written,) = (tmp_path / "json").glob("*_res.json")
    result = json.loads(written.read_text(encoding="utf-8"))
    assert set(result) == {"input_path", "boxes"}
    assert all(b["labels"] == [None] or len(b["labels"]) == 2 for b in result["boxes"])
