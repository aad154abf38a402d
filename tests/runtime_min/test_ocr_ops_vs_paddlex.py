"""Parity of hpi.runtime_min's OCR code with PaddleX 3.7.2's own classes, bit for bit.

This file is also the oracle: the test runs it as a script under the PaddleX interpreter
(`.venv-oracle`), which applies PaddleX's ReadImage, DetResizeForTest, NormalizeImage,
DBPostProcess, OCRReisizeNormImg, CTCLabelDecode, SortQuadBoxes, CropByPolys and the OCR
pipeline itself to the same inputs and writes its outputs as .npy/.json into a temporary folder.
No model is needed: both pipelines get the same deterministic fake det/rec "networks" below,
so any difference comes from the code around the models.
"""

import hashlib
import json
import sys
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[2]
ORACLE_PYTHON = ROOT / ".venv-oracle" / "bin" / "python"
TESTDATA = ROOT.parent / "shared" / "testdata" / "ocr"
# "ab": dictionary entries may be several characters long; they stay one class.
CHARS = list("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJ.,:-()正品促销韩国小馆中文字") + ["ab"]
DET_CONFIGS = [  # (limit_side_len, limit_type, max_side_limit)
    (64, "min", 4000), (960, "max", 4000), (736, "min", 4000), (736, "min", 640),
    (500, "resize_long", 4000), (32, "max", 4000),
]
DB_CONFIGS = [  # DBPostProcess keyword arguments
    {},
    {"thresh": 0.3, "box_thresh": 0.6, "unclip_ratio": 1.5},
    {"box_thresh": 0.3, "score_mode": "slow"},
    {"box_thresh": 0.5, "use_dilation": True, "unclip_ratio": 1.2},
    {"box_thresh": 0.5, "box_type": "poly", "unclip_ratio": 1.5},
    {"box_thresh": 0.2, "max_candidates": 5},
]
PIPELINE_CONFIGS = [  # OcrRunner params; the same values configure PaddleX's pipeline
    {},
    {"text_det_limit_side_len": 960, "text_det_limit_type": "max", "text_det_box_thresh": 0.5,
     "text_det_unclip_ratio": 2.0, "text_rec_score_thresh": 0.7, "rec_batch_size": 2},
    {"text_det_limit_side_len": 736, "text_det_max_side_limit": 640, "rec_batch_size": 1},
]


def fake_det(x):
    """Stand-in detector: dark pixels of the (normalized) blue channel, widened and blurred."""
    out = []
    for img in x:
        dark = (img[0] < -0.5).astype(np.uint8)
        dark = cv2.dilate(dark, np.ones((5, 15), np.uint8))
        out.append(cv2.blur(dark.astype(np.float32), (5, 5))[np.newaxis])
    return np.stack(out)


def fake_rec(x, num_classes):
    """Stand-in recognizer: one step per 8 columns; integer features keep it exact everywhere."""
    n, _, _, w = x.shape
    steps = w // 8
    q = np.floor(x[:, :, :, : steps * 8] * 4).astype(np.int64)
    feat = np.abs(q.reshape(n, -1, steps, 8).sum(axis=(1, 3)))
    cls = np.where(feat % 3 == 0, 0, 1 + feat % (num_classes - 1))
    probs = np.full((n, steps, num_classes), 0.001, dtype=np.float32)
    peak = (0.5 + (feat % 41) / 100.0).astype(np.float32)
    np.put_along_axis(probs, cls[:, :, np.newaxis], peak[:, :, np.newaxis], axis=2)
    return probs


def digest(a):
    a = np.ascontiguousarray(a)
    return [str(a.dtype), list(a.shape), hashlib.sha256(a.tobytes()).hexdigest()]


def db_record(boxes, scores):
    """One image's DBPostProcess output as comparable JSON: digests, container type, values."""
    return [[digest(np.asarray(b)) for b in boxes], boxes.__class__.__name__,
            [np.asarray(b).tolist() for b in boxes], scores]


def pipeline_params(cfg):
    p = {"text_det_limit_side_len": 64, "text_det_limit_type": "min",
         "text_det_max_side_limit": 4000, "text_det_thresh": 0.3, "text_det_box_thresh": 0.6,
         "text_det_unclip_ratio": 1.5, "text_rec_score_thresh": 0.0, "rec_batch_size": 6}
    p.update(cfg)
    return p


# ---------------------------------------------------------------------------------------------
# Oracle side: runs under .venv-oracle with PaddleX; never imports hpi.
# ---------------------------------------------------------------------------------------------


def _oracle(work):
    from paddlex.inference.common.batch_sampler import ImageBatchSampler
    from paddlex.inference.common.reader import ReadImage
    from paddlex.inference.models.common import ToBatch, ToCHWImage
    from paddlex.inference.models.text_detection.processors import (
        DBPostProcess, DetResizeForTest, NormalizeImage)
    from paddlex.inference.models.text_recognition.processors import (
        CTCLabelDecode, OCRReisizeNormImg)
    from paddlex.inference.models.text_recognition.processors import ToBatch as RecToBatch
    from paddlex.inference.pipelines.components import (
        CropByPolys, SortQuadBoxes, convert_points_to_boxes)
    from paddlex.inference.pipelines.ocr.pipeline import _OCRPipeline

    inp = json.loads((work / "inputs.json").read_text())
    out = {"read": {}, "resize": [], "db": [], "rec": [], "crop": [], "pipeline": []}
    reader = ReadImage(format="BGR")
    images = {}
    for path in inp["images"]:
        try:
            images[path] = reader.read(path)
            out["read"][path] = digest(images[path])
        except Exception as e:  # PaddleX raises a bare Exception for undecodable files
            out["read"][path] = f"error: {e}"

    norm = NormalizeImage(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225],
                          scale="1./255.", order="hwc")
    for path in inp["det_images"]:
        for side, kind, max_side in DET_CONFIGS:
            op = DetResizeForTest(limit_side_len=side, limit_type=kind, input_shape=None)
            (img,), (shape,) = op([images[path]], side, kind, max_side)
            (chw,) = ToCHWImage()(norm([img]))
            out["resize"].append([digest(img), shape.tolist(), digest(chw)])

    for k in range(inp["num_maps"]):
        pred = np.load(work / f"map_{k}.npy")
        shape = np.load(work / f"shape_{k}.npy")
        for cfg in DB_CONFIGS:
            boxes, scores = DBPostProcess(**cfg)([pred], [shape])
            out["db"].append(db_record(boxes[0], scores[0]))

    rec_norm = OCRReisizeNormImg(rec_image_shape=[3, 48, 320])
    for k in range(inp["num_crops"]):
        crop = np.load(work / f"crop_{k}.npy")
        out["rec"].append([digest(rec_norm.resize(crop)),
                           digest(rec_norm.resize_norm_img(crop, 9.5))])
    crops = [np.load(work / f"crop_{k}.npy") for k in range(inp["num_crops"])]
    out["rec_batch"] = digest(RecToBatch()(rec_norm(crops))[0])
    texts, scores = CTCLabelDecode(character_list=CHARS)([np.load(work / "ctc.npy")])
    out["ctc"] = [texts, scores]

    for k in range(inp["num_quads"]):
        quads = np.load(work / f"quads_{k}.npy")
        img = images[inp["det_images"][k % len(inp["det_images"])]]
        ordered = SortQuadBoxes()(quads)
        sub_imgs = CropByPolys(det_box_type="quad")(img, ordered)
        out["crop"].append([[q.tolist() for q in ordered], [digest(c) for c in sub_imgs],
                            np.asarray(convert_points_to_boxes(ordered)).tolist()])

    class FakeDetModel:  # TextDetPredictor.process with a fake runner
        def __call__(self, imgs, limit_side_len, limit_type, thresh, max_side_limit,
                     box_thresh, unclip_ratio):
            resize = DetResizeForTest(limit_side_len=limit_side_len, limit_type=limit_type,
                                      input_shape=None)
            batch, shapes = resize(ReadImage(format="BGR")(imgs), limit_side_len, limit_type,
                                   max_side_limit)
            x = ToBatch()(ToCHWImage()(norm(batch)))
            post = DBPostProcess(thresh=thresh, box_thresh=box_thresh, unclip_ratio=unclip_ratio)
            polys, det_scores = post([fake_det(x[0])], shapes)
            for p, s in zip(polys, det_scores):
                yield {"dt_polys": p, "dt_scores": s}

    class FakeRecModel:  # TextRecPredictor batching + process with a fake runner
        def __init__(self, batch_size):
            self.batch_size = batch_size
            self.decode = CTCLabelDecode(character_list=CHARS)

        def __call__(self, imgs, return_word_box=False):
            for start in range(0, len(imgs), self.batch_size):
                raw = ReadImage(format="BGR")(imgs[start : start + self.batch_size])
                x = RecToBatch()(rec_norm(raw))
                texts, rec_scores = self.decode([fake_rec(x[0], len(CHARS) + 2)])
                for t, s in zip(texts, rec_scores):
                    yield {"rec_text": t, "rec_score": s, "vis_font": None}

    for cfg in PIPELINE_CONFIGS:
        p = pipeline_params(cfg)
        pipe = object.__new__(_OCRPipeline)  # its __init__ would load real models
        pipe.use_doc_preprocessor = pipe.use_textline_orientation = pipe.return_word_box = False
        pipe.text_type = "general"
        for key in ("limit_side_len", "limit_type", "max_side_limit", "thresh", "box_thresh",
                    "unclip_ratio"):
            setattr(pipe, f"text_det_{key}", p[f"text_det_{key}"])
        pipe.text_rec_score_thresh = p["text_rec_score_thresh"]
        pipe._sort_boxes = SortQuadBoxes()
        pipe._crop_by_polys = CropByPolys(det_box_type="quad")
        pipe.text_det_model = FakeDetModel()
        pipe.text_rec_model = FakeRecModel(p["rec_batch_size"])
        pipe.batch_sampler = ImageBatchSampler(batch_size=1)
        pipe.img_reader = ReadImage(format="BGR")
        for path in inp["pipeline_images"]:
            (res,) = list(pipe.predict(path))
            out["pipeline"].append(json.dumps(res.json["res"], indent=4, ensure_ascii=False))

    (work / "oracle.json").write_text(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    _oracle(Path(sys.argv[1]))
    sys.exit(0)

# ---------------------------------------------------------------------------------------------
# Test side: runs under the project's .venv.
# ---------------------------------------------------------------------------------------------

import pytest  # noqa: E402  (after the oracle entry point: the oracle venv has no pytest)

from conftest import missing, run_oracle  # noqa: E402
from hpi.runtime_min.ops.image_io import read_image  # noqa: E402
from hpi.runtime_min.ops.normalize import normalize_to_chw  # noqa: E402
from hpi.runtime_min.ops.text_det import DBPostProcess, DetResize  # noqa: E402
from hpi.runtime_min.ops.text_rec import (  # noqa: E402
    CTCLabelDecode, rec_batch, rec_resize_norm, resize_norm_img)
from hpi.runtime_min.pipelines.ocr import (  # noqa: E402
    OcrRunner, convert_points_to_boxes, get_minarea_rect_crop, sort_quad_boxes)
from hpi.runtime_min.pipelines.ocr_result import to_json_dict  # noqa: E402

pytestmark = pytest.mark.slow


def _make_inputs(work):
    """Write the shared inputs; returns what the test side needs to recompute its outputs."""
    det_images = sorted(str(p) for p in TESTDATA.iterdir() if p.is_file())
    rng = np.random.default_rng(0)
    # Reader edge cases besides the real files: 16-bit, BMP, WebP, truncated, empty, not an image.
    pixels = rng.integers(0, 65536, (37, 53, 3), dtype=np.uint16)
    cv2.imwrite(str(work / "deep.png"), pixels)
    cv2.imwrite(str(work / "deep_gray.png"), pixels[:, :, 0])
    cv2.imwrite(str(work / "plain.bmp"), (pixels >> 8).astype(np.uint8))
    cv2.imwrite(str(work / "plain.webp"), (pixels >> 8).astype(np.uint8))
    jpeg = (TESTDATA / "en.jpg").read_bytes()
    (work / "truncated.jpg").write_bytes(jpeg[: len(jpeg) // 2])
    (work / "empty.png").write_bytes(b"")
    (work / "not_an_image.jpg").write_text("this is not a JPEG")
    extra = ["deep.png", "deep_gray.png", "plain.bmp", "plain.webp", "truncated.jpg", "empty.png",
             "not_an_image.jpg"]
    images = det_images + [str(work / name) for name in extra]

    maps = []
    for path in det_images[:8]:  # the fake detector's map of a real image
        img, shape = DetResize(736, "min")(read_image(path))
        maps.append((fake_det(normalize_to_chw(img)[np.newaxis]), shape))
    for k in range(4):  # random smooth blobs: many contours of odd shapes
        noise = cv2.GaussianBlur(rng.random((320, 480), dtype=np.float32), (0, 0), 6 + 2 * k)
        prob = np.clip((noise - noise.min()) / np.ptp(noise) * 1.4 - 0.2, 0, 1).astype(np.float32)
        maps.append((prob[np.newaxis, np.newaxis], np.array([640 + 37 * k, 913.0, 0.5, 0.52])))
    for k, (pred, shape) in enumerate(maps):
        np.save(work / f"map_{k}.npy", pred, allow_pickle=False)
        np.save(work / f"shape_{k}.npy", shape, allow_pickle=False)

    crops = []
    src = read_image(det_images[0])
    sizes = [(48, 320), (32, 100), (20, 1500), (100, 30), (60, 61), (1, 1), (7, 3300), (48, 10)]
    for h, w in sizes:
        crops.append(cv2.resize(src, (w, h), interpolation=cv2.INTER_AREA))
    for k, crop in enumerate(crops):
        np.save(work / f"crop_{k}.npy", crop, allow_pickle=False)

    logits = rng.normal(size=(6, 40, len(CHARS) + 2)).astype(np.float32)
    logits[:, ::3, 0] += 4  # plenty of blanks
    logits[:, 5:9, 7] += 8  # a repeated character
    logits[5, :, 0] += 50  # a row with only blanks -> "" and score 0.0
    probs = np.exp(logits) / np.exp(logits).sum(axis=-1, keepdims=True)
    np.save(work / "ctc.npy", probs.astype(np.float32), allow_pickle=False)

    quad_sets = []
    for k in range(6):
        h, w = read_image(det_images[k % len(det_images)]).shape[:2]
        centers = rng.uniform([0, 0], [w, h], size=(7, 2))
        sizes = rng.uniform([4, 4], [w * 0.6, h * 0.4], size=(7, 2)) * (1 if k % 2 else [0.2, 3])
        angles = rng.uniform(-0.4, 0.4, size=7)
        # Three upright boxes on one line, right to left: the sort's swap pass must reorder them.
        centers[:3] = [[0.8 * w, 0.5 * h], [0.5 * w, 0.5 * h + 3], [0.2 * w, 0.5 * h - 2]]
        sizes[:3] = [[0.2 * w, 0.1 * h + 8]] * 3
        angles[:3] = 0
        quads = []
        for (cx, cy), (bw, bh), a in zip(centers, sizes, angles):
            pts = cv2.boxPoints(((cx, cy), (bw, bh), np.degrees(a)))
            quads.append(np.clip(np.round(pts), 0, [w, h]))
        quads = np.array(quads, dtype=np.int16)
        quad_sets.append(quads)
        np.save(work / f"quads_{k}.npy", quads, allow_pickle=False)

    pipeline_images = det_images
    (work / "inputs.json").write_text(json.dumps({
        "images": images, "det_images": det_images, "num_maps": len(maps), "num_crops": len(crops),
        "num_quads": len(quad_sets), "pipeline_images": pipeline_images}))
    return images, det_images, maps, crops, probs.astype(np.float32), quad_sets, pipeline_images


@pytest.fixture(scope="module")
def oracle(tmp_path_factory):
    if not ORACLE_PYTHON.exists():
        missing(f"PaddleX oracle interpreter {ORACLE_PYTHON} is absent")
    probe = run_oracle([str(ORACLE_PYTHON), "-c", "import paddlex"], capture_output=True)
    if probe.returncode != 0:
        missing("paddlex is not importable in the oracle interpreter")
    if not TESTDATA.is_dir():
        missing(f"test images {TESTDATA} are absent")
    work = tmp_path_factory.mktemp("ocr_oracle")
    inputs = _make_inputs(work)
    run = run_oracle([str(ORACLE_PYTHON), __file__, str(work)], capture_output=True, text=True,
                     timeout=900)
    assert run.returncode == 0, f"oracle failed:\n{run.stderr[-4000:]}"
    return json.loads((work / "oracle.json").read_text()), inputs


def test_read_image_matches(oracle):
    want, (images, *_) = oracle
    for path in images:
        if isinstance(want["read"][path], str):  # PaddleX failed to read it: we must refuse it
            with pytest.raises(ValueError):
                read_image(path)
        elif path.endswith("truncated.jpg"):  # PaddleX returns uninitialised rows: we refuse
            with pytest.raises(ValueError, match="truncated JPEG"):
                read_image(path)
        else:
            assert digest(read_image(path)) == want["read"][path], path


def test_det_resize_and_normalize_match(oracle):
    want, (_, det_images, *_) = oracle
    got = []
    for path in det_images:
        for side, kind, max_side in DET_CONFIGS:
            img, shape = DetResize(side, kind, max_side)(read_image(path))
            chw = normalize_to_chw(img, scale="1./255.")
            got.append([digest(img), shape.tolist(), digest(chw)])
    assert got == want["resize"]


def test_db_postprocess_matches(oracle):
    want, (_, _, maps, *_) = oracle
    got = []
    for pred, shape in maps:
        for cfg in DB_CONFIGS:
            boxes, scores = DBPostProcess(**cfg)(pred, [shape])
            got.append(db_record(boxes[0], scores[0]))
    assert sum(len(g[2]) for g in got) > 50  # the maps do produce boxes
    for g, w in zip(got, want["db"], strict=True):
        assert g == w


def test_rec_preprocess_and_ctc_match(oracle):
    want, (_, _, _, crops, probs, *_) = oracle
    got = [[digest(rec_resize_norm(c)), digest(resize_norm_img(c, (3, 48, 320), 9.5))]
           for c in crops]
    assert got == want["rec"]
    assert digest(rec_batch([rec_resize_norm(c) for c in crops])) == want["rec_batch"]
    texts, scores = CTCLabelDecode(CHARS)(probs)
    assert [texts, scores] == want["ctc"]
    assert texts[5] == "" and scores[5] == 0.0


def test_sort_and_crop_match(oracle):
    want, (_, det_images, _, _, _, quad_sets, _) = oracle
    for k, quads in enumerate(quad_sets):
        img = read_image(det_images[k % len(det_images)])
        ordered = sort_quad_boxes(quads)
        crops = [get_minarea_rect_crop(img, q) for q in ordered]
        got = [[q.tolist() for q in ordered], [digest(c) for c in crops],
               convert_points_to_boxes(ordered).tolist()]
        assert got == want["crop"][k]


def test_pipeline_json_matches(oracle):
    want, (*_, pipeline_images) = oracle
    got = []
    for cfg in PIPELINE_CONFIGS:
        pipe = OcrRunner(fake_det, lambda x: fake_rec(x, len(CHARS) + 2), CHARS, cfg)
        for path in pipeline_images:
            result = pipe.predict_one(read_image(path))
            got.append(json.dumps(to_json_dict(result, path), indent=4, ensure_ascii=False))
    assert sum(json.loads(g)["rec_texts"] != [] for g in got) > 10  # the fakes do find lines
    for g, w in zip(got, want["pipeline"], strict=True):
        assert g == w
