"""SLANeXt_wired / SLANeXt_wireless through hpi's Paddle path (PIR inference.json -> paddle2onnx) vs PaddleX 3.7.2's
Paddle engine.

The models are tests/fixtures/make_slanext_model.py's: PaddleOCR's architecture (Vary's SAM ViT encoder with
windowed and global attention and decomposed relative positions, then SLAHead; tests/fixtures/ppocr_slanext.py)
at a small config, seeded weights, exported by paddle 3.0 as PIR with SLAHead's decoding loop (an ONNX Loop after
paddle2onnx, made loadable by compiler/loops.py), with the inference.yml PaddleX ships for the names (512 x 512).
PaddleX runs the same model dirs with its Paddle engine (tests/oracle/paddlex_table.py --engine=paddle); on the
structure test's six drawn tables both CPU backends must give every field of PaddleX's TableRecResult and its
picture. Unlike the SLANet fixture, the sequences follow the table (SLANeXt_wired reaches `eos` on the grid).
"""

from __future__ import annotations

import json
import sys

import cv2
import pytest

from conftest import ORACLE_PYTHON, REPO, compile_cli, needs_oracle, run_oracle
from parity import MaxAbs, compare, record, report
from test_parity_table_structure import table_images  # noqa: F401  (the drawn tables, a module fixture)

sys.path.insert(0, str(REPO / "tests" / "fixtures"))
import make_slanext_model  # noqa: E402

PARITY_FAMILIES = ("table_structure_recognition",)
COMPILED_MODELS = ("SLANeXt_wired", "SLANeXt_wireless")
# Measured on the 6 drawn tables: see docs/pipelines.md (table structure). Limits about 10x the measured; a box
# may move by 1 px, where float noise meets PaddleX's int truncation of a coordinate on an integer.
TOLERANCES = {
    "onnxruntime": {"bbox": MaxAbs(1), "structure_score": MaxAbs(1e-6)},
    "openvino": {"bbox": MaxAbs(1), "structure_score": MaxAbs(1e-6)},
}

pytestmark = [pytest.mark.slow, needs_oracle()]


@pytest.fixture(scope="module", params=COMPILED_MODELS)
def variant(request, hpi_config, table_images, tmp_path_factory):  # noqa: F811
    """(model name, bundle, PaddleX's results dir) per model: exported, compiled and run by PaddleX once each."""
    name = request.param
    model = make_slanext_model.make_model(tmp_path_factory.mktemp("slanext-fixtures") / name, name)
    bundle = tmp_path_factory.mktemp("bundles") / f"{name}.hpi"
    assert compile_cli(model, "--output", bundle, "--quiet", "--calibration-images", table_images[1]) == 0
    out = tmp_path_factory.mktemp(f"paddlex-{name}")
    run_oracle([str(ORACLE_PYTHON), str(REPO / "tests/oracle/paddlex_table.py"), "--engine=paddle", str(model),
                str(out), *map(str, table_images)], check=True, capture_output=True)
    return name, bundle, out


@pytest.mark.parametrize("backend", ["onnxruntime", "openvino"])
def test_slanext_matches_paddlex(variant, table_images, backend, tmp_path):  # noqa: F811
    from hpi.runtime_min import open_bundle

    name, bundle, paddlex = variant
    model = open_bundle(bundle, backend=backend)
    manifest = model.bundle.manifest["models"]["table_structure_recognition"]
    assert manifest["conversion"]["converter"]["name"] == "paddle2onnx"
    case = f"{name} fixture vs PaddleX paddle/{backend}"
    mismatches, tokens, cells, lengths, sequences = [], set(), 0, [], set()
    for image in table_images:
        result = model.predict_one(str(image))
        ours = result.to_dict()
        theirs = json.loads((paddlex / f"{image.stem}.json").read_text(encoding="utf-8"))
        ours["input_path"] = theirs["input_path"]
        mismatches += compare(image.name, ours, theirs, TOLERANCES[backend], case=case)
        tokens |= set(theirs["structure"])
        cells += len(theirs["bbox"])
        lengths.append(len(theirs["structure"]))
        sequences.add(tuple(theirs["structure"]))
        if ours["bbox"] == theirs["bbox"]:
            mine = cv2.imread(str(result.save_to_img(tmp_path / f"{image.stem}.png")))
            their = cv2.imread(str(paddlex / "vis" / f"{image.stem}.png"))
            differing = float((mine != their).any(axis=2).mean()) if mine.shape == their.shape else 1.0
            record(case, "picture (differing share)", differing)
            if differing:
                mismatches.append(f"{image.name}: picture differs from PaddleX's on {differing:.2%} of the pixels")
    print(f"{case}: {len(table_images)} tables, lengths {lengths}, {len(tokens)} distinct tokens, {cells} cells; "
          f"{report(case)}")
    # The sequences differ per table (the decoder follows the image) and hold cells with boxes.
    assert len(sequences) >= 2 and len(tokens) >= 4 and cells >= 1, (lengths, tokens, cells)
    assert not mismatches, "\n".join(mismatches[:20])
