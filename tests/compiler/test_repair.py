"""A converter output that fails to load or to match Paddle is rejected, the next candidate tried.

The real trap (GUIDE.md): paddle2onnx 2.1.0's PP-OCRv4 rec model loads in neither ONNX Runtime nor OpenVINO
("All inputs to Concat must have same rank"); 1.3.1's does and matches Paddle.
"""

from __future__ import annotations

import numpy as np
import pytest

from conftest import compile_cli
from hpi.compiler.convert import converters
from hpi.runtime_min.compare import Case, Tolerance, compare

needs_two = pytest.mark.skipif(
    sorted(c.version for c in converters()) != ["1.3.1", "2.1.0"],
    reason="needs paddle2onnx 1.3.1 installed and 2.1.0 in $HPI_TOOLS_DIR (scripts/setup.sh)")


@pytest.mark.slow
@needs_two
def test_failing_converter_is_rejected_and_the_next_kept(models_dir, tmp_path, hpi_config):
    from hpi.core.signing import TrustStore
    from hpi.core.bundle_format import Bundle

    out = tmp_path / "rec.hpi"
    assert compile_cli(models_dir / "PP-OCRv4_mobile_rec", "--output", out, "--quiet",
                       "--converter", "2.1.0", "--converter", "1.3.1") == 0
    rec = Bundle.open(out, trust=TrustStore.default()).manifest["models"]["text_recognition"]
    assert rec["conversion"]["converter"] == {"name": "paddle2onnx", "version": "1.3.1"}
    rejected = rec["verification"]["rejected_candidates"]
    assert rejected and all(r.startswith("paddle2onnx 2.1.0") for r in rejected)
    assert all("Concat" in r for r in rejected)  # the rank-mismatched Concat node, in ORT or OpenVINO


@pytest.mark.slow
@needs_two
def test_no_passing_candidate_is_refused_with_the_reasons(models_dir, tmp_path, capsys, hpi_config):
    out = tmp_path / "rec.hpi"
    code = compile_cli(models_dir / "PP-OCRv4_mobile_rec", "--output", out, "--quiet", "--converter", "2.1.0")
    err = " ".join(capsys.readouterr().err.split())
    assert code == 11 and not out.exists()
    assert "no conversion reproduced the reference" in err and "Concat" in err


def test_unknown_converter_version_is_a_usage_error(models_dir, tmp_path, capsys, hpi_config):
    code = compile_cli(models_dir / "PP-OCRv4_mobile_rec", "--output", tmp_path / "x.hpi", "--converter", "0.9")
    assert code == 2 and "paddle2onnx 0.9 is not installed" in capsys.readouterr().err


def test_comparison_names_output_worst_element_and_values():
    want = np.zeros((1, 4, 3), np.float32)
    got = want.copy()
    got[0, 2, 1] = 0.25
    got[0, 0, 0] = 1e-5
    diff, = compare(Case("opt", {}, [want]), [got], ["softmax_0"], Tolerance(atol=1e-4))
    assert not diff.passed and diff.max_abs == pytest.approx(0.25) and diff.worst_index == (0, 2, 1)
    assert diff.describe() == "output 'softmax_0' on opt: max abs diff 0.25 at [0, 2, 1] (want 0, got 0.25)"
    ok, = compare(Case("opt", {}, [want]), [got * 0 + 1e-5], ["softmax_0"], Tolerance(atol=1e-4))
    assert ok.passed
    nan, = compare(Case("opt", {}, [want]), [got * np.nan], ["softmax_0"], Tolerance(atol=1e-4))
    assert not nan.passed
    shape, = compare(Case("opt", {}, [want]), [want[:, :2]], ["softmax_0"], Tolerance(atol=1e-4))
    assert not shape.passed
