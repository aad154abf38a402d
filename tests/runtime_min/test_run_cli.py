"""hpi-run as a user meets it: outputs, batches with bad inputs, odd image formats, clear errors."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from conftest import reads_hello, render_text
from hpi.runtime_min.cli import main as hpi_run

pytestmark = pytest.mark.slow


def run(capsys, *args):
    code = hpi_run([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, [json.loads(line) for line in out.splitlines()], err


def test_outputs_json_files_and_pictures(ocr_bundle, text_image, tmp_path, capsys):
    code, results, err = run(capsys, ocr_bundle, "--input", text_image, "--output", tmp_path / "json",
                             "--save-vis", tmp_path / "vis")
    assert code == 0
    assert "text_det: openvino fp32" in err
    (result,) = results
    assert result["input_path"] == str(text_image)
    assert reads_hello(result)
    assert json.loads((tmp_path / "json" / "hello_res.json").read_text(encoding="utf-8")) == result
    picture = cv2.imread(str(tmp_path / "vis" / "hello_res.png"))
    assert picture is not None and picture.shape[1] >= cv2.imread(str(text_image)).shape[1]


def test_backend_override_and_unknown_backend(ocr_bundle, text_image, capsys):
    code, results, err = run(capsys, ocr_bundle, "--input", text_image, "--backend", "onnxruntime")
    assert code == 0 and "onnxruntime fp32" in err and results[0]["rec_texts"]
    code, results, err = run(capsys, ocr_bundle, "--input", text_image, "--backend", "tensorflow")
    assert code == 2 and "unknown backend 'tensorflow'; expected one of openvino, onnxruntime" in err


def _write(path, image):
    assert cv2.imwrite(str(path), image)
    return path


def test_image_variants_are_read_like_paddlex(ocr_bundle, tmp_path, capsys):
    bgr = render_text()
    gray = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
    inputs = [
        _write(tmp_path / "gray.png", gray),
        _write(tmp_path / "rgba.png", cv2.cvtColor(bgr, cv2.COLOR_BGR2BGRA)),
        _write(tmp_path / "deep.png", bgr.astype(np.uint16) * 257),
        _write(tmp_path / "tiny.png", np.zeros((1, 1, 3), np.uint8)),
    ]
    code, results, err = run(capsys, ocr_bundle, "--input", *inputs)
    assert code == 0, err
    by_name = {r["input_path"].rsplit("/", 1)[1]: r for r in results}
    assert all(reads_hello(by_name[n]) for n in ("gray.png", "rgba.png", "deep.png"))
    assert by_name["tiny.png"]["rec_texts"] == []


def test_huge_image_is_processed(ocr_bundle, tmp_path, capsys):
    huge = np.full((10000, 10000, 3), 255, np.uint8)
    huge[4000:6000, 1000:9000] = cv2.resize(render_text(), (8000, 2000))
    code, results, err = run(capsys, ocr_bundle, "--input", _write(tmp_path / "huge.png", huge))
    assert code == 0, err
    assert reads_hello(results[0])


def test_bad_inputs_in_a_batch_are_reported_and_the_rest_run(ocr_bundle, text_image, tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("not an image")
    (tmp_path / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0" + b"\0" * 100)
    code, results, err = run(capsys, ocr_bundle, "--input", tmp_path / "notes.txt", text_image,
                             tmp_path / "broken.jpg", tmp_path / "missing.png")
    assert code == 0
    assert [r["input_path"] for r in results] == [str(text_image)]
    lines = err.strip().splitlines()
    skipped = [l for l in lines if l.startswith("hpi-run: skipped")]
    # Each line names its path once (it used to read "skipped a.jpg: a.jpg: not an image").
    assert skipped == [
        f"hpi-run: skipped {tmp_path / 'notes.txt'}: not an image (or a format or corruption OpenCV cannot decode)",
        f"hpi-run: skipped {tmp_path / 'broken.jpg'}: not an image (or a format or corruption OpenCV cannot decode)",
        f"hpi-run: skipped {tmp_path / 'missing.png'}: not found",
    ]
    assert "1 input(s) done, 3 failed" in lines[-1]


def test_only_bad_inputs_exit_non_zero(ocr_bundle, tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("not an image")
    code, results, err = run(capsys, ocr_bundle, "--input", tmp_path / "notes.txt")
    assert code == 6 and not results
    assert err.strip().splitlines()[-1] == "hpi-run: error: all 1 input(s) failed"


def test_folders_and_globs(ocr_bundle, tmp_path, capsys):
    for name in ("a.png", "b.jpg"):
        _write(tmp_path / name, render_text())
    code, results, _ = run(capsys, ocr_bundle, "--input", tmp_path, "--quiet")
    assert code == 0 and results == []
    code, results, _ = run(capsys, ocr_bundle, "--input", str(tmp_path / "*.png"))
    assert [r["input_path"] for r in results] == [str(tmp_path / "a.png")]


def test_missing_bundle_is_one_line(tmp_path, capsys, text_image):
    code, _, err = run(capsys, tmp_path / "nope.hpi", "--input", text_image)
    assert code == 2 and err.strip() == (f"hpi-run: error: bundle {tmp_path / 'nope.hpi'} not found; "
                                        "expected a .hpi file made by hpi-compile")


def test_python_api_predicts_arrays(ocr_bundle):
    from hpi.runtime_min import open_bundle

    pipeline = open_bundle(ocr_bundle)
    (result,) = list(pipeline.predict([render_text()]))
    assert result.to_dict()["input_path"] is None
    assert reads_hello(result)


def test_loading_leaves_the_process_locale_alone(ocr_bundle):
    """OpenVINO switches the locale to "C" and back while it reads a model from its cache; two such reads at
    once (models load side by side) used to leave the process at "C", where Python's open() reads ASCII."""
    import locale

    from hpi.runtime_min import open_bundle

    before = locale.setlocale(locale.LC_ALL)
    for _ in range(6):  # the first load may fill OpenVINO's cache; the others read it
        open_bundle(ocr_bundle, backend="openvino")
        assert locale.setlocale(locale.LC_ALL) == before
