"""What the OCR parity tests share: PaddleX's results for a config, and one image's comparison."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import OCR_IMAGES, ORACLE_PYTHON, REPO, run_oracle
from parity import MaxAbs, compare

# Measured on the 18 images of ../shared/testdata/ocr, OpenVINO and ONNX Runtime, fp32, with the plain, text
# line and document orientation configs and per-call parameters; the limit is about 10x the worst. Every other
# field PaddleX returns (texts, settings, text line and page angles, thresholds) must be equal.
TOLERANCES = {
    "dt_polys": MaxAbs(0),  # integer px; measured 0: any difference is a real one (the audit's +1 px passed 2 px)
    "rec_polys": MaxAbs(0),  # integer px; measured 0
    "rec_boxes": MaxAbs(0),  # integer px; measured 0
    "rec_scores": MaxAbs(3e-4),  # measured 2.9e-5 (doc orientation config, ONNX Runtime), 1.2e-5 plain OCR
}


def paddlex_ocr_results(config: Path, out: Path, params: dict | None = None) -> dict[str, dict]:
    """PaddleX's OCR pipeline (tests/oracle/paddlex_ocr.py, in .venv-oracle) on every OCR test image;
    `params`: per-call parameters for its `predict`."""
    extra = ["--params", json.dumps(params)] if params else []
    run_oracle([str(ORACLE_PYTHON), str(REPO / "tests/oracle/paddlex_ocr.py"), str(config), str(out),
                *extra, *map(str, OCR_IMAGES)], check=True, capture_output=True)
    return {p.name: json.loads((out / f"{p.stem}.json").read_text(encoding="utf-8")) for p in OCR_IMAGES}


def compare_ocr(name: str, ours: dict, theirs: dict, case: str | None = None) -> list[str]:
    """Mismatches of one image's OCR result with PaddleX's: every field, at TOLERANCES (parity.compare)."""
    return compare(name, ours, theirs, TOLERANCES, case=case)


def absolute_ocr_config(models_dir: Path, tmp: Path) -> Path:
    """models_dir/OCR.yaml (scripts/fetch_models.py's) with its model dirs absolute, written to tmp: PaddleX
    reads relative ones from its working folder, and `create_pipeline` / `paddlex --serve` run elsewhere."""
    import yaml

    config = yaml.safe_load((models_dir / "OCR.yaml").read_text(encoding="utf-8"))
    for module in config["SubModules"].values():
        module["model_dir"] = str(models_dir / module["model_dir"])
    path = tmp / "OCR.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path

