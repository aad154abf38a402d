"""SLANet / SLANet_plus through hpi's Paddle path (PIR inference.json -> paddle2onnx) vs PaddleX 3.7.2's Paddle engine.

The models are tests/fixtures/make_table_structure_model.py's: PaddleOCR's architecture (PP-LCNet + CSP-PAN +
SLAHead, tests/fixtures/ppocr_slanet.py) at a small config, seeded weights shaped so the decoded sequences follow
the table (see its docstring), exported by paddle 3.0 as PIR with SLAHead's decoding loop (a while loop with a
`break` at `eos`; paddle2onnx makes it an ONNX Loop), with PaddleX's inference.yml for the names. PaddleX runs
the same model dirs with its Paddle engine (tests/oracle/paddlex_table.py --engine=paddle); on the structure
test's six drawn tables both CPU backends must give every field of PaddleX's TableRecResult and its picture.

paddle2onnx 2.1.0's Loop for this while loop loads in neither ONNX Runtime nor OpenVINO as written; the compiler's
exact rewrites (compiler/loops.py: loadable_loops, hoist_loop_invariants) make both run it.
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
import make_table_structure_model  # noqa: E402

PARITY_FAMILIES = ("table_structure_recognition",)
COMPILED_MODELS = ("SLANet", "SLANet_plus")
# Measured on the 6 drawn tables (36 SLANet / 48 SLANet_plus cells): structure equal, bbox 0 px, pictures identical
# on both backends; structure_score 3.7e-9 / 5.6e-9 (ONNX Runtime), 7.5e-9 / 5.6e-9 (OpenVINO). Limits about 10x.
# A box may move by 1 px, where float noise meets PaddleX's int truncation of a coordinate on an integer.
TOLERANCES = {
    "onnxruntime": {"bbox": MaxAbs(1), "structure_score": MaxAbs(1e-7)},
    "openvino": {"bbox": MaxAbs(1), "structure_score": MaxAbs(1e-7)},
}

pytestmark = [pytest.mark.slow, needs_oracle()]


@pytest.fixture(scope="module", params=COMPILED_MODELS)
def variant(request, hpi_config, table_images, tmp_path_factory):  # noqa: F811
    """(model name, bundle, PaddleX's results dir) per model: exported, compiled and run by PaddleX once each."""
    name = request.param
    model = make_table_structure_model.make_model(tmp_path_factory.mktemp("table-fixtures") / name, name,
                                                  table_images)
    bundle = tmp_path_factory.mktemp("bundles") / f"{name}.hpi"
    assert compile_cli(model, "--output", bundle, "--quiet", "--calibration-images", table_images[1]) == 0
    out = tmp_path_factory.mktemp(f"paddlex-{name}")
    run_oracle([str(ORACLE_PYTHON), str(REPO / "tests/oracle/paddlex_table.py"), "--engine=paddle", str(model),
                str(out), *map(str, table_images)], check=True, capture_output=True)
    return name, bundle, out


@pytest.mark.parametrize("backend", ["onnxruntime", "openvino"])
def test_table_structure_paddle_path_matches_paddlex(variant, table_images, backend, tmp_path):  # noqa: F811
    from hpi.runtime_min import open_bundle

    name, bundle, paddlex = variant
    model = open_bundle(bundle, backend=backend)
    assert model.bundle.manifest["models"]["table_structure_recognition"]["conversion"]["converter"]["name"] \
        == "paddle2onnx"
    case = f"{name} fixture (Paddle path) vs PaddleX paddle/{backend}"
    mismatches, tokens, cells, lengths = [], set(), 0, []
    for image in table_images:
        result = model.predict_one(str(image))
        ours = result.to_dict()
        theirs = json.loads((paddlex / f"{image.stem}.json").read_text(encoding="utf-8"))
        ours["input_path"] = theirs["input_path"]
        mismatches += compare(image.name, ours, theirs, TOLERANCES[backend], case=case)
        tokens |= set(theirs["structure"])
        cells += len(theirs["bbox"])
        lengths.append(len(theirs["structure"]))
        if ours["bbox"] == theirs["bbox"]:
            mine = cv2.imread(str(result.save_to_img(tmp_path / f"{image.stem}.png")))
            their = cv2.imread(str(paddlex / "vis" / f"{image.stem}.png"))
            differing = float((mine != their).any(axis=2).mean()) if mine.shape == their.shape else 1.0
            record(case, "picture (differing share)", differing)
            if differing:
                mismatches.append(f"{image.name}: picture differs from PaddleX's on {differing:.2%} of the pixels")
    print(f"{case}: {len(table_images)} tables, lengths {lengths}, {len(tokens)} distinct tokens, {cells} cells; "
          f"{report(case)}")
    # The fixture's decoder runs all 501 steps (no eos) on every table: the converted loop's full length.
    assert all(n >= 501 for n in lengths) and len(tokens) >= 4 and cells >= 6 * len(table_images), \
        (lengths, tokens, cells)
    assert not mismatches, "\n".join(mismatches[:20])
