"""The Python API and hpi-run for batch users: bad inputs skipped and reported, PaddleX's per-call OCR
parameters, the picture's font. On the real compiled PP-OCRv4 bundle (PaddleX parity of the parameters:
tests/recipes/test_parity_paddlex.py)."""

from __future__ import annotations

import json
import os
import sys

import cv2
import pytest

from conftest import OCR_IMAGES, REPO, compile_cli, missing, reads_hello
from hpi.runtime_min.cli import main as hpi_run
from hpi.core.errors import InputError, UsageError
from hpi.runtime_min.pipelines.fonts import FONT_ENV

pytestmark = pytest.mark.slow

DEJAVU = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


@pytest.fixture(scope="module")
def pipeline(ocr_bundle):
    from hpi.runtime_min import open_bundle

    return open_bundle(ocr_bundle, backend="openvino")


@pytest.fixture
def batch(text_image, tmp_path):
    (tmp_path / "notes.txt").write_text("not an image")
    return [tmp_path / "notes.txt", text_image, tmp_path / "missing.png"]


def run(capsys, *args):
    code = hpi_run([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, [json.loads(line) for line in out.splitlines()], err


# --- bad inputs in a batch ------------------------------------------------------------------------


def test_predict_raises_at_a_bad_input_by_default(pipeline, batch):
    results = pipeline.predict(batch)
    with pytest.raises(InputError, match="notes.txt: not an image"):
        next(results)


def test_predict_skips_and_reports_bad_inputs(pipeline, batch, capsys):
    results = list(pipeline.predict(batch, on_error="skip"))
    assert [r.input_path for r in results] == [str(batch[1])] and reads_hello(results[0])
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines == [f"hpi: skipped {batch[0]}: not an image (or a format or corruption OpenCV cannot decode)",
                     f"hpi: skipped {batch[2]}: not found"]


def test_predict_hands_bad_inputs_to_a_callable(pipeline, batch):
    failed = []
    results = list(pipeline.predict(batch, on_error=lambda item, error: failed.append((item, error))))
    assert len(results) == 1
    assert [str(item) for item, _ in failed] == [str(batch[0]), str(batch[2])]
    assert all(isinstance(error, InputError) and str(error).count(str(item)) == 1 for item, error in failed)


def test_unknown_on_error_is_refused(pipeline, text_image):
    with pytest.raises(UsageError, match="expected 'raise', 'skip' or a callable"):
        pipeline.predict(text_image, on_error="ignore")


# --- PaddleX's per-call parameters -----------------------------------------------------------------


def test_per_call_parameters_show_in_the_result(pipeline, text_image):
    default = pipeline.predict_one(text_image).to_dict()
    (result,) = pipeline.predict(text_image, text_det_limit_side_len=736, text_det_limit_type="min",
                                 text_det_thresh=0.4, text_det_box_thresh=0.5, text_det_unclip_ratio=1.8,
                                 text_rec_score_thresh=0.5, use_textline_orientation=False)
    result = result.to_dict()
    assert result["text_det_params"] == {"limit_side_len": 736, "limit_type": "min", "thresh": 0.4,
                                         "max_side_limit": 4000, "box_thresh": 0.5, "unclip_ratio": 1.8}
    assert result["text_rec_score_thresh"] == 0.5 and reads_hello(result)
    assert result["model_settings"] == {"use_doc_preprocessor": False, "use_textline_orientation": False}
    # None means "the bundle's", as in PaddleX; the pipeline itself keeps its own values.
    (same,) = pipeline.predict(text_image, text_det_thresh=None)
    assert same.to_dict() == default and pipeline.predict_one(text_image).to_dict() == default


def test_a_score_threshold_drops_lines(pipeline, text_image):
    assert pipeline.predict_one(text_image, text_rec_score_thresh=1.01).to_dict()["rec_texts"] == []


def test_unknown_or_unsupported_parameters_are_refused_before_any_result(pipeline, text_image):
    with pytest.raises(UsageError, match="unknown predict parameter.*text_det_treshold.*accepted.*text_det_thresh"):
        pipeline.predict(text_image, text_det_treshold=0.5)
    with pytest.raises(UsageError, match="use_doc_unwarping=True: this bundle's OCR pipeline has no document preprocessor"):
        pipeline.predict(text_image, use_doc_unwarping=True)
    with pytest.raises(UsageError, match="no text line orientation model; fix: compile"):
        pipeline.predict(text_image, use_textline_orientation=True)
    with pytest.raises(UsageError, match="no document preprocessor"):
        pipeline.predict(text_image, use_doc_orientation_classify=True)
    with pytest.raises(UsageError, match="text_det_limit_type must be one of min, max, resize_long"):
        pipeline.predict(text_image, text_det_limit_type="long")
    with pytest.raises(UsageError, match="text_det_thresh must be a positive number, got -0.1"):
        pipeline.predict(text_image, text_det_thresh=-0.1)


def test_hpi_run_passes_parameters_through(ocr_bundle, text_image, capsys):
    code, (result,), err = run(capsys, ocr_bundle, "--input", text_image, "--text-det-limit-side-len", "736",
                               "--text-det-limit-type", "min", "--text-det-thresh", "0.4", "--text-rec-score-thresh",
                               "0.5", "--use-textline-orientation", "false")
    assert code == 0, err
    assert result["text_det_params"]["limit_side_len"] == 736 and result["text_det_params"]["thresh"] == 0.4
    assert result["text_rec_score_thresh"] == 0.5 and reads_hello(result)


def test_hpi_run_refuses_a_parameter_the_bundle_cannot_honour(ocr_bundle, text_image, capsys):
    code, results, err = run(capsys, ocr_bundle, "--input", text_image, "--use-textline-orientation", "True")
    assert code == 2 and not results
    assert err.strip().splitlines()[-1].startswith("hpi-run: error: use_textline_orientation=True: this bundle has no")


@pytest.fixture(scope="module")
def classification_bundle(hpi_config, tmp_path_factory):
    sys.path.insert(0, str(REPO / "tests" / "fixtures"))
    from make_classification_model import make_model

    model = make_model(tmp_path_factory.mktemp("models") / "PP-LCNet_x1_0")
    out = tmp_path_factory.mktemp("bundles") / "cls.hpi"
    assert compile_cli(model, "--output", out, "--quiet") == 0  # no shared images needed
    return out


def test_other_pipelines_take_only_their_own_parameters(classification_bundle, text_image, capsys):
    """Classification takes PaddleX's per-call `topk` and refuses OCR's names, in the API and in hpi-run."""
    from hpi.runtime_min import open_bundle

    pipeline = open_bundle(classification_bundle)
    with pytest.raises(UsageError, match="accepted .PaddleX's name.: topk"):
        pipeline.predict(text_image, text_det_thresh=0.5)
    with pytest.raises(UsageError, match="topk must be a positive integer"):
        pipeline.predict(text_image, topk=0)
    (full,), (top1,) = list(pipeline.predict(text_image)), list(pipeline.predict(text_image, topk=1))
    assert len(full["scores"]) > 1 and top1["scores"] == full["scores"][:1]
    code, _, err = run(capsys, classification_bundle, "--input", text_image, "--text-det-thresh", "0.5")
    assert code == 2 and "accepted (PaddleX's name): topk" in err


# --- the picture's font ----------------------------------------------------------------------------


def _right_panel(path):
    picture = cv2.imread(str(path))
    return picture[:, picture.shape[1] // 2:]


@pytest.mark.skipif(not os.path.isfile(DEJAVU), reason="DejaVu Sans not installed")
def test_hpi_run_draws_the_texts(ocr_bundle, text_image, tmp_path, capsys):
    from hpi.runtime_min.pipelines.fonts import FontChooser
    from hpi.runtime_min.pipelines.ocr_result import save_visualization

    code, (result,), err = run(capsys, ocr_bundle, "--input", text_image, "--save-vis", tmp_path, "--font-path", DEJAVU)
    assert code == 0 and "not drawn" not in err
    boxes_only = {"rec_polys": result["rec_polys"], "rec_texts": [""] * len(result["rec_texts"])}
    save_visualization(boxes_only, cv2.imread(str(text_image)), tmp_path / "boxes.png", fonts=FontChooser(DEJAVU))
    texts, boxes = _right_panel(tmp_path / "hello_res.png"), _right_panel(tmp_path / "boxes.png")
    assert texts.shape == boxes.shape and (texts != boxes).any(axis=2).sum() > 100


def test_python_api_font_choice(ocr_bundle, pipeline, text_image, tmp_path):
    from hpi.runtime_min import open_bundle

    with pytest.raises(UsageError, match="no such file"):
        open_bundle(ocr_bundle, font_path=tmp_path / "none.ttf")
    result = pipeline.predict_one(text_image)
    with pytest.raises(UsageError, match="no such file"):
        result.save_to_img(tmp_path, font_path=tmp_path / "none.ttf")
    if os.path.isfile(DEJAVU):
        assert result.save_to_img(tmp_path / "a.png", font_path=DEJAVU).is_file()


def test_hpi_run_with_an_unusable_font_setting_stops_before_the_first_image(ocr_bundle, text_image, tmp_path,
                                                                          capsys, monkeypatch):
    monkeypatch.setenv(FONT_ENV, str(tmp_path / "none.ttf"))
    code, results, err = run(capsys, ocr_bundle, "--input", text_image, "--save-vis", tmp_path)
    assert code == 2 and not results
    assert err.strip().splitlines()[-1] == (f"hpi-run: error: ${FONT_ENV} {tmp_path / 'none.ttf'}: no such file; "
                                            "expected a TrueType/OpenType font (.ttf, .ttc, .otf); fix: name an "
                                            "existing font file (e.g. after `apt install fonts-noto-cjk`)")
    # Without --save-vis the font is not needed, so the setting does not matter.
    assert run(capsys, ocr_bundle, "--input", text_image)[0] == 0


@pytest.mark.skipif(not os.path.isfile(DEJAVU), reason="DejaVu Sans not installed")
def test_hpi_run_says_once_when_texts_cannot_be_drawn(ocr_bundle, tmp_path, capsys):
    """Chinese texts with a Latin-only font: one line naming the fix, however many images."""
    images = [p for p in OCR_IMAGES if p.name in ("ch_en_num.jpg", "check_return_word_len.jpeg")]
    if len(images) < 2:
        missing("the shared Chinese test images are absent")
    code, results, err = run(capsys, ocr_bundle, "--input", *images, "--save-vis", tmp_path, "--font-path", DEJAVU)
    assert code == 0 and all(r["rec_texts"] for r in results)
    notices = [line for line in err.splitlines() if "not drawn" in line]
    assert len(notices) == 1, err
    assert notices[0].startswith("hpi-run: ") and DEJAVU in notices[0] and "fonts-noto-cjk" in notices[0]
