"""PaddleX's own documented usage snippets, run on a bundle with one import and one path changed
(runtime_min/paddlex_api.py), against the same snippet run by PaddleX 3.7.2 on the same models.

The snippets are PaddleX 3.x's documentation as written (OCR: docs/pipeline_usage/tutorials/ocr_pipelines/OCR.en.md,
"2.2 Integration via Python Script"; image classification: docs/module_usage/tutorials/cv_modules/
image_classification.en.md, "Quick Integration"); the test replaces only the import, the pipeline / model name
(with the bundle, or for PaddleX the same models' config / dir) and the input image, each exactly once. Both runs
must write the same files (PaddleX's names) with the same results.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hpi.core.errors import UsageError
from hpi.runtime_min import paddlex_api

from conftest import OCR_IMAGES, ORACLE_PYTHON, REPO, missing, needs_oracle, needs_testdata
from ocr_parity import absolute_ocr_config, compare_ocr
from parity import MaxAbs, compare

OCR_SNIPPET = '''from paddlex import create_pipeline

pipeline = create_pipeline(pipeline="OCR")

output = pipeline.predict(
    input="./general_ocr_002.png",
    use_doc_orientation_classify=False,
    use_doc_unwarping=False,
    use_textline_orientation=False,
)
for res in output:
    res.print()
    res.save_to_img(save_path="./output/")
    res.save_to_json(save_path="./output/")
'''

CLASSIFICATION_SNIPPET = '''from paddlex import create_model
model = create_model(model_name="PP-LCNet_x1_0")
output = model.predict("general_image_classification_001.jpg", batch_size=1)
for res in output:
    res.print(json_format=False)
    res.save_to_img("./output/")
    res.save_to_json("./output/res.json")
'''


def _swap(snippet: str, **replacements: str) -> str:
    for old, new in replacements.values():
        assert snippet.count(old) == 1, f"PaddleX's snippet no longer has {old!r} once"
        snippet = snippet.replace(old, new)
    return snippet


def _run(python, snippet: str, cwd: Path) -> dict[str, bytes]:
    """The snippet as a script in `cwd`; {file name: bytes} of what it wrote under output/. PaddleX draws
    labels with a font it downloads unless PADDLE_PDX_LOCAL_FONT_FILE_PATH names one: a system font here."""
    from hpi.runtime_min.pipelines.fonts import SYSTEM_FONTS

    font = next((f for f in SYSTEM_FONTS if Path(f).is_file()), None)
    if font is None:
        missing("no system TrueType font for PaddleX's pictures (it would download one)")
    cwd.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PADDLE_PDX_LOCAL_FONT_FILE_PATH": font}
    proc = subprocess.run([str(python), "-c", snippet], cwd=cwd, capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return {p.name: p.read_bytes() for p in sorted((cwd / "output").iterdir())}


# ---- argument mapping (no bundle needed) ----

def test_device_and_engine_follow_paddlex_names():
    assert [paddlex_api._device(d) for d in (None, "cpu", "gpu", "gpu:0")] == ["auto", "cpu", "gpu", "gpu"]
    with pytest.raises(UsageError, match="CUDA_VISIBLE_DEVICES=1"):
        paddlex_api._device("gpu:1")
    with pytest.raises(UsageError, match="'cpu' or 'gpu'"):
        paddlex_api._device("npu:0")
    assert paddlex_api._backend(None, None) is None
    assert paddlex_api._backend("openvino", None) == "openvino"
    assert paddlex_api._backend(None, {"backend": "onnxruntime"}) == "onnxruntime"
    with pytest.raises(UsageError, match="no Paddle"):
        paddlex_api._backend("paddle", None)
    with pytest.raises(UsageError, match="disagree"):
        paddlex_api._backend("openvino", {"backend": "onnxruntime"})
    with pytest.raises(UsageError, match="fixed them at compile time"):
        paddlex_api._backend(None, {"backend": "onnxruntime", "trt_dynamic_shapes": {}})


def test_a_pipeline_name_or_compile_time_option_is_refused_with_the_fix(tmp_path):
    with pytest.raises(UsageError, match="hpi-compile"):
        paddlex_api.create_pipeline(pipeline="OCR")
    with pytest.raises(UsageError, match="config"):
        paddlex_api.create_pipeline(pipeline=str(tmp_path / "ocr.hpi"), config={"pipeline_name": "OCR"})
    with pytest.raises(UsageError, match="unknown argument"):
        paddlex_api.create_model(model_name=str(tmp_path / "m.hpi"), threshold_typo=0.5)


# ---- PaddleX's snippets, swapped, against PaddleX ----

@pytest.mark.slow
@needs_oracle()
@needs_testdata(OCR_IMAGES)
def test_paddlex_ocr_snippet_on_a_bundle_writes_what_paddlex_writes(ocr_bundle, models_dir, tmp_path):
    image = next(p for p in OCR_IMAGES if p.name == "ch_en_num.jpg")
    ours = _run(sys.executable, _swap(OCR_SNIPPET, imp=("from paddlex import", "from hpi.runtime_min import"),
                                      name=('"OCR"', f'"{ocr_bundle}"'),
                                      input=('"./general_ocr_002.png"', f'"{image}"')), tmp_path / "hpi")
    config = absolute_ocr_config(models_dir, tmp_path)
    theirs = _run(ORACLE_PYTHON, _swap(OCR_SNIPPET, name=('"OCR"', f'"{config}"'),
                                       input=('"./general_ocr_002.png"', f'"{image}"')), tmp_path / "paddlex")
    assert sorted(ours) == sorted(theirs) == ["ch_en_num_ocr_res_img.jpg", "ch_en_num_res.json"]
    ours_json, theirs_json = (json.loads(files["ch_en_num_res.json"]) for files in (ours, theirs))
    assert theirs_json["rec_texts"], "PaddleX read no text: the comparison would mean nothing"
    assert not compare_ocr(image.name, ours_json, theirs_json)


@pytest.mark.slow
@needs_oracle()
@needs_testdata(OCR_IMAGES)
def test_paddlex_classification_snippet_on_a_bundle_writes_what_paddlex_writes(hpi_config, tmp_path_factory):
    sys.path.insert(0, str(REPO / "tests" / "fixtures"))
    from make_classification_model import make_model
    from vision_parity import compile_bundle

    tmp = tmp_path_factory.mktemp("snippet-cls")
    model_dir = make_model(tmp / "PP-LCNet_x1_0", model_name="PP-LCNet_x1_0")
    bundle = compile_bundle(model_dir, tmp / "cls.hpi")
    image = next(p for p in OCR_IMAGES if p.name == "en.jpg")
    swap_input = ('"general_image_classification_001.jpg"', f'"{image}"')
    swap_import = ("from paddlex import", "from hpi.runtime_min import")
    ours = _run(sys.executable, _swap(CLASSIFICATION_SNIPPET, imp=swap_import, name=('"PP-LCNet_x1_0"', f'"{bundle}"'),
                                      input=swap_input), tmp / "hpi")
    with_dir = f'model_name="PP-LCNet_x1_0", model_dir="{model_dir}"'
    theirs = _run(ORACLE_PYTHON, _swap(CLASSIFICATION_SNIPPET, name=('model_name="PP-LCNet_x1_0"', with_dir),
                                       input=swap_input), tmp / "paddlex")
    assert sorted(ours) == sorted(theirs) == ["en_res.jpg", "res.json"]
    ours_json, theirs_json = json.loads(ours["res.json"]), json.loads(theirs["res.json"])
    assert not compare(image.name, {k: v for k, v in ours_json.items() if k != "input_path"},
                       {k: v for k, v in theirs_json.items() if k != "input_path"}, {"scores": MaxAbs(1.5e-5)})
    assert ours_json["input_path"] == theirs_json["input_path"] == str(image)
