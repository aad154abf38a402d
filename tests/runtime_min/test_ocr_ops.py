"""Known-answer tests of the OCR ops and pipeline on synthetic images (no PaddleX needed)."""

import json
import struct
from pathlib import Path

import cv2
import numpy as np
import pytest

from conftest import missing
from hpi.runtime_min.ops.image_io import read_image
from hpi.runtime_min.ops.normalize import normalize_to_chw, parse_scale
from hpi.runtime_min.ops.text_det import DBPostProcess, DetResize
from hpi.runtime_min.ops.text_rec import CTCLabelDecode, rec_batch, rec_resize_norm
from hpi.runtime_min.pipelines.ocr import (
    DEFAULT_PARAMS, OcrRunner, convert_points_to_boxes, get_rotate_crop_image, sort_quad_boxes)
from hpi.runtime_min.pipelines.ocr_result import save_visualization, to_json_dict

TESTDATA = Path(__file__).resolve().parents[2].parent / "shared" / "testdata" / "ocr"


def text_image(lines=("Hello 123", "OCR test line"), size=(360, 700)):
    img = np.full((*size, 3), 255, np.uint8)
    for i, line in enumerate(lines):
        cv2.putText(img, line, (20, 100 + 160 * i), cv2.FONT_HERSHEY_SIMPLEX, 2.0, (0, 0, 0), 4)
    return img


# --- image_io -------------------------------------------------------------------------------


def test_read_image_formats(tmp_path):
    bgr = np.random.default_rng(0).integers(0, 256, (40, 60, 3), dtype=np.uint8)
    cv2.imwrite(str(tmp_path / "c.png"), bgr)
    assert np.array_equal(read_image(tmp_path / "c.png"), bgr)

    gray = bgr[:, :, 1].copy()
    cv2.imwrite(str(tmp_path / "g.png"), gray)
    assert np.array_equal(read_image(tmp_path / "g.png"), np.dstack([gray] * 3))

    bgra = np.dstack([bgr, np.zeros_like(gray)])  # fully transparent: alpha is just dropped
    cv2.imwrite(str(tmp_path / "a.png"), bgra)
    assert np.array_equal(read_image(tmp_path / "a.png"), bgr)

    deep = (bgr.astype(np.uint16) << 8) | 0xAB  # 16-bit: OpenCV keeps the high byte
    cv2.imwrite(str(tmp_path / "d.png"), deep)
    assert np.array_equal(read_image(tmp_path / "d.png"), bgr)


def test_read_image_exif_orientation_applied():
    path = TESTDATA / "img_exif_orientation.jpg"  # EXIF orientation 3: rotate 180 degrees
    if not path.is_file():
        missing(f"{path} is absent")
    flags = cv2.IMREAD_COLOR | cv2.IMREAD_IGNORE_ORIENTATION
    raw = cv2.imdecode(np.fromfile(path, np.uint8), flags)
    assert np.array_equal(read_image(path), cv2.rotate(raw, cv2.ROTATE_180))


def test_read_image_rejects_bad_files(tmp_path):
    (tmp_path / "t.jpg").write_text("not an image")
    (tmp_path / "e.png").write_bytes(b"")
    for name in ("t.jpg", "e.png"):
        with pytest.raises(ValueError, match=name):
            read_image(tmp_path / name)
    with pytest.raises(FileNotFoundError):
        read_image(tmp_path / "missing.png")
    ok, jpeg = cv2.imencode(".jpg", text_image())
    (tmp_path / "cut.jpg").write_bytes(jpeg.tobytes()[: len(jpeg) // 2])
    with pytest.raises(ValueError, match="truncated JPEG"):  # OpenCV would fill it with garbage
        read_image(tmp_path / "cut.jpg")


def _png_header(w, h):
    return b"\x89PNG\r\n\x1a\n" + struct.pack(">I4sII", 13, b"IHDR", w, h) + b"\x08\x02\x00\x00\x00"


def test_read_image_pixel_cap(tmp_path):
    (tmp_path / "big.png").write_bytes(_png_header(20000, 10000))
    with pytest.raises(ValueError, match="over the limit"):
        read_image(tmp_path / "big.png")
    # 10000x10000 = 100 MP is allowed: this header-only file gets past the cap and fails decoding.
    (tmp_path / "ok.png").write_bytes(_png_header(10000, 10000))
    with pytest.raises(ValueError, match="not an image"):
        read_image(tmp_path / "ok.png")
    small = np.zeros((30, 40, 3), np.uint8)
    for ext, params in [(".jpg", []), (".bmp", []), (".webp", [cv2.IMWRITE_WEBP_QUALITY, 90]),
                        (".webp", [cv2.IMWRITE_WEBP_QUALITY, 101])]:  # lossy VP8, lossless VP8L
        path = tmp_path / f"s{params[1] if params else ''}{ext}"
        cv2.imwrite(str(path), small, params)
        with pytest.raises(ValueError, match=r"40x30 = 1200 pixels"):  # refused from the header
            read_image(path, max_pixels=1000)
        assert read_image(path, max_pixels=1200).shape == (30, 40, 3)


def test_read_image_arrays():
    bgr = np.zeros((5, 6, 3), np.uint8)
    assert read_image(bgr) is bgr
    gray = np.arange(30, dtype=np.uint8).reshape(5, 6)
    assert np.array_equal(read_image(gray), np.dstack([gray] * 3))
    bgra = np.dstack([bgr + 7, np.full((5, 6), 200, np.uint8)])
    assert np.array_equal(read_image(bgra), bgr + 7)
    with pytest.raises(ValueError, match="uint8"):
        read_image(np.zeros((5, 6, 3), np.float32))


# --- text detection -------------------------------------------------------------------------


@pytest.mark.parametrize("hw, args, out_hw, ratios", [
    ((100, 200), (64, "min"), (96, 192), [0.96, 0.96]),        # no scaling; 100 -> 96, 200 -> 192
    ((30, 20), (64, "min"), (64, 64), [2.0, 2.0]),              # padded to 32x32 first, then x2
    ((1000, 3000), (960, "max"), (320, 960), [0.32, 0.32]),
    ((48, 80), (960, "max"), (64, 64), [64 / 48, 0.8]),         # 1.5 and 2.5 round to even: 2
    ((100, 5000), (736, "min"), (64, 4000), [0.64, 0.8]),       # clamped to 4000; 80 -> 64
    ((300, 500), (1000, "resize_long"), (608, 992), [608 / 300, 992 / 500]),
])
def test_det_resize_known_sizes(hw, args, out_hw, ratios):
    img, shape = DetResize(*args)(np.zeros((*hw, 3), np.uint8))
    assert img.shape == (*out_hw, 3)
    assert shape.tolist() == [*hw, *ratios]


def test_normalize_to_chw_values():
    img = np.zeros((2, 3, 3), np.uint8)
    img[0, 0] = [255, 0, 128]
    x = normalize_to_chw(img)
    assert x.shape == (3, 2, 3) and x.dtype == np.float32 and x.flags.c_contiguous
    # channel c: float32(v * float32(scale / std[c])) + float32(-mean[c] / std[c])
    alpha0, beta0 = np.float32(1 / 255 / 0.229), np.float32(-0.485 / 0.229)
    assert x[0, 0, 0] == np.float32(np.float32(255) * alpha0) + beta0
    assert x[1, 0, 0] == np.float32(-0.456 / 0.224)
    assert np.array_equal(normalize_to_chw(np.dstack([img, img[:, :, :1]])), x)  # alpha dropped
    assert parse_scale("1./255.") == 1.0 / 255.0


def _map_with(rects, shape=(128, 256), value=0.9):
    pred = np.zeros(shape, np.float32)
    for x0, y0, x1, y1 in rects:
        pred[y0:y1, x0:x1] = value
    return pred[np.newaxis, np.newaxis]


def test_db_finds_rectangle():
    pred = _map_with([(50, 20, 150, 60)])
    src = np.array([256.0, 512.0, 0.5, 0.5])  # the original image was twice the map's size
    boxes, scores = DBPostProcess(box_thresh=0.6, unclip_ratio=1.5)(pred, [src])
    (box,) = boxes[0]
    assert boxes[0].dtype == np.int16
    assert scores[0] == [float(np.float32(0.9))]  # cv2.mean of the float32 map, as a float
    # The 99x39 contour grows by 99*39*1.5 / (2*(99+39)) = 21 px each side, then doubles.
    np.testing.assert_allclose(box, [[58, 0], [340, 0], [340, 160], [58, 160]], atol=2)
    assert box[0, 0] < box[1, 0] and box[0, 1] < box[3, 1]  # clockwise from top-left


def test_db_filters():
    shape = [np.array([128.0, 256.0, 1.0, 1.0])]
    weak = _map_with([(50, 20, 150, 60)], value=0.5)
    assert DBPostProcess(box_thresh=0.6)(weak, shape)[0][0].shape == (0,)
    assert len(DBPostProcess()(_map_with([(10, 10, 12, 12)]), shape)[0][0]) == 0  # too small
    two = [(20, 20, 60, 60), (61, 20, 100, 60)]  # one-pixel gap: dilation merges the two blobs
    assert len(DBPostProcess()(_map_with(two), shape)[0][0]) == 2
    assert len(DBPostProcess(use_dilation=True)(_map_with(two), shape)[0][0]) == 1
    apart = _map_with([(20, 20, 60, 60), (120, 20, 200, 90)])
    assert len(DBPostProcess(max_candidates=1)(apart, shape)[0][0]) == 1
    polys, _ = DBPostProcess(box_type="poly")(_map_with([(50, 20, 150, 60)]), shape)
    assert isinstance(polys[0], list) and polys[0][0].ndim == 2 and polys[0][0].shape[1] == 2


# --- text recognition -----------------------------------------------------------------------


def test_rec_resize_norm():
    white = np.full((32, 100, 3), 255, np.uint8)
    x = rec_resize_norm(white)  # 100/32*48 = 150 columns of 1.0, zero padding to 320
    assert x.shape == (3, 48, 320) and x.dtype == np.float32
    assert (x[:, :, :150] == 1.0).all() and (x[:, :, 150:] == 0.0).all()
    assert rec_resize_norm(np.zeros((20, 400, 3), np.uint8)).shape == (3, 48, 960)
    assert (rec_resize_norm(np.zeros((20, 400, 3), np.uint8)) == -1.0).all()
    assert rec_resize_norm(np.zeros((10, 2000, 3), np.uint8)).shape == (3, 48, 3200)  # capped
    batch = rec_batch([x, rec_resize_norm(np.zeros((20, 400, 3), np.uint8))])
    assert batch.shape == (2, 3, 48, 960) and (batch[0, :, :, 320:] == 0).all()


def test_ctc_decode_known_answer():
    dec = CTCLabelDecode(list("abc"))  # classes: 0 blank, 1 a, 2 b, 3 c, 4 space
    assert dec.character == ["blank", "a", "b", "c", " "]
    seq = [1, 1, 0, 1, 2, 2, 4, 3, 0, 0]
    probs = np.full((2, len(seq), 5), 0.01, np.float32)
    for t, c in enumerate(seq):
        probs[0, t, c] = [0.5, 0.25, 0.9, 0.75, 0.5, 1.0, 0.75, 1.0, 0.9, 0.9][t]
    probs[1, :, 0] = 0.9  # only blanks
    texts, scores = dec(probs)
    # kept steps 0, 3, 4, 6, 7 (repeats and blanks dropped): mean(0.5, 0.75, 0.5, 0.75, 1.0)
    assert texts == ["aab c", ""] and scores == [float(np.float32(0.7)), 0.0]  # float32 mean
    assert CTCLabelDecode(list("abc"), use_space_char=False).character[-1] == "c"
    with pytest.raises(ValueError, match="characters"):
        dec(np.zeros((1, 4, 7), np.float32))


# --- pipeline -------------------------------------------------------------------------------


def fake_det(x):
    """Dark pixels, smeared sideways so each drawn line becomes one blob."""
    dark = (x[0, 0] < -0.5).astype(np.uint8)
    return cv2.dilate(dark, np.ones((15, 61), np.uint8)).astype(np.float32)[np.newaxis, np.newaxis]


class FakeRec:
    """Reads 'ab' with probability 0.9 on every crop; records the batch shapes."""

    def __init__(self):
        self.calls = []

    def __call__(self, x):
        self.calls.append(x.shape)
        probs = np.full((x.shape[0], x.shape[3] // 8, 5), 0.02, np.float32)
        probs[:, :, 0] = 0.9
        probs[:, 1, 1] = probs[:, 3, 2] = 0.9
        probs[:, 1, 0] = probs[:, 3, 0] = 0.02
        return probs


def test_pipeline_on_drawn_text(tmp_path):
    img = text_image()
    rec = FakeRec()
    res = OcrRunner(fake_det, rec, list("abc"), {"rec_batch_size": 1}).predict_one(img)
    assert len(res["dt_polys"]) == 2
    assert res["dt_polys"][0][0][1] < res["dt_polys"][1][0][1]  # top line first
    assert res["rec_texts"] == ["ab", "ab"] and res["rec_scores"] == pytest.approx([0.9, 0.9])
    assert res["textline_orientation_angles"] == [-1, -1]
    assert res["rec_boxes"].tolist() == [
        [int(p[:, 0].min()), int(p[:, 1].min()), int(p[:, 0].max()), int(p[:, 1].max())]
        for p in res["rec_polys"]]
    assert [c[0] for c in rec.calls] == [1, 1] and all(c[1:3] == (3, 48) for c in rec.calls)

    out = to_json_dict(res, "img.png")
    assert list(out)[:4] == ["input_path", "page_index", "model_settings", "dt_polys"]
    assert list(out["text_det_params"].items()) == [
        ("limit_side_len", 64), ("limit_type", "min"), ("thresh", 0.3), ("max_side_limit", 4000),
        ("box_thresh", 0.6), ("unclip_ratio", 1.5)]

    filtered = OcrRunner(fake_det, FakeRec(), list("abc"), {"text_rec_score_thresh": 0.95})
    res2 = filtered.predict_one(img)
    assert len(res2["dt_polys"]) == 2 and res2["rec_texts"] == [] and res2["rec_boxes"].size == 0


def test_pipeline_empty_image_and_params():
    blank = np.full((50, 80, 3), 255, np.uint8)
    res = OcrRunner(fake_det, FakeRec(), list("abc"), {}).predict_one(blank)
    assert res["dt_polys"] == [] and res["rec_texts"] == []
    assert "textline_orientation_angles" not in res  # PaddleX only sets it when boxes exist
    assert to_json_dict(res)["rec_boxes"] == []
    with pytest.raises(ValueError, match="unknown"):
        OcrRunner(fake_det, FakeRec(), [], {"text_det_tresh": 0.3})
    with pytest.raises(ValueError, match="positive"):
        OcrRunner(fake_det, FakeRec(), [], {"text_det_thresh": 0})
    assert DEFAULT_PARAMS["rec_image_shape"] == [3, 48, 320]


def test_sort_quad_boxes_swaps_same_line():
    def quad(x, y):
        return [[x, y], [x + 30, y], [x + 30, y + 10], [x, y + 10]]

    boxes = np.array([quad(200, 14), quad(10, 50), quad(100, 12), quad(5, 18)], np.int16)
    ordered = sort_quad_boxes(boxes)
    # by (y, x): (100,12) (200,14) (5,18) (10,50); within 10 px of y the left box moves first.
    assert [tuple(b[0]) for b in ordered] == [(5, 18), (100, 12), (200, 14), (10, 50)]
    assert convert_points_to_boxes(ordered)[0].tolist() == [5, 18, 35, 28]


def test_rotate_crop_upright_and_tall():
    img = np.random.default_rng(1).integers(0, 256, (100, 200, 3), dtype=np.uint8)
    crop = get_rotate_crop_image(img, np.float32([[10, 20], [110, 20], [110, 50], [10, 50]]))
    assert crop.shape == (30, 100, 3)
    assert np.abs(crop.astype(int) - img[20:50, 10:110]).max() <= 1
    tall = get_rotate_crop_image(img, np.float32([[10, 10], [30, 10], [30, 70], [10, 70]]))
    assert tall.shape == (20, 60, 3)  # 60 high, 20 wide: turned 90 degrees


def test_visualization(tmp_path):
    """Two panels; fonts and the notice are tested in test_fonts.py."""
    img = text_image()
    res = OcrRunner(fake_det, FakeRec(), list("abc"), {}).predict_one(img)
    save_visualization(res, img, tmp_path / "vis.png")
    vis = cv2.imread(str(tmp_path / "vis.png"))
    assert vis.shape == (img.shape[0], 2 * img.shape[1], 3)
