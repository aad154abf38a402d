"""PaddleX 3.7.2's retrieval pipelines: `PP-ShiTuV2` (pipelines/pp_shitu_v2/pipeline.py, result.py) and
`face_recognition` (pipelines/face_recognition/, its subclass): detect -> crop each box (CropByBoxes) -> embed
each crop -> search PaddleX's faiss index (runtime_min/ops/vector_index.py) -> ShiTuResult / FaceRecResult.

The two differ where PaddleX's do: with no box PP-ShiTuV2 embeds the whole image as one `full_img` box
(score 0), face_recognition returns no boxes; an unmatched box is labels [None] / rec_scores [None] in
PP-ShiTuV2 and None / None in face_recognition, and is drawn "None" / "Unknown 0.00". The index is data given
per call (`index=`: a folder PaddleX or hpi saved, or a built VectorIndex); build_index / append_index /
remove_index are PaddleX's, embedding the gallery with the bundle's own recognition model.

One PaddleX 3.7.2 defect is not reproduced: its image feature predictor hands every result the whole batch's
[1, D] feature array, so the pipeline's np.array of the crops' features is [N, 1, D], and FaissBuilder.build
("too many values to unpack") and the index search both fail: PaddleX 3.7.2 cannot build or search an index
at all. Here each crop's feature is its own [D] row, what the pipeline code expects (the parity oracle applies
that one fix to PaddleX, tests/oracle/paddlex_retrieval.py; every other step is PaddleX's own).
"""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np

from hpi.core.errors import BundleError, UsageError
from hpi.core.specs import RetrievalParams
from hpi.runtime_min.ops.image_io import read_image
from hpi.runtime_min.ops.vector_index import VectorIndex, as_index
from hpi.runtime_min.pipelines.detection import DetectionRunner
from hpi.runtime_min.pipelines.image_feature import ImageFeatureRunner
from hpi.runtime_min.result import plain

__all__ = ["RetrievalRunner", "build", "load_gallery"]

# PaddleX's get_colormap(rgb=True) and font_colormap (inference/utils/color_map.py).
COLORMAP = [(0xFF, 0x00, 0x00), (0xCC, 0xFF, 0x00), (0x00, 0xFF, 0x66), (0x00, 0x66, 0xFF), (0xCC, 0x00, 0xFF),
            (0xFF, 0x4D, 0x00), (0x80, 0xFF, 0x00), (0x00, 0xFF, 0xB2), (0x00, 0x1A, 0xFF), (0xFF, 0x00, 0xE5),
            (0xFF, 0x99, 0x00), (0x33, 0xFF, 0x00), (0x00, 0xFF, 0xFF), (0x33, 0x00, 0xFF), (0xFF, 0x00, 0x99),
            (0xFF, 0xE5, 0x00), (0x00, 0xFF, 0x1A), (0x00, 0xB2, 0xFF), (0x80, 0x00, 0xFF), (0xFF, 0x00, 0x4D)]
_LIGHT_TEXT = {0, 3, 4, 8, 9, 13, 14, 18, 19}
_PARAMS = ("det_threshold", "rec_threshold", "rec_topk", "hamming_radius")


def load_gallery(label_file, root="") -> tuple[list[str], list[str]]:
    """FaissBuilder.load_gallery: a text file of `relative/path label` lines (one space) -> (labels, paths)."""
    labels, files = [], []
    for number, line in enumerate(Path(label_file).read_text(encoding="utf-8").splitlines(), start=1):
        parts = line.strip().split(" ")
        if len(parts) != 2:
            raise UsageError(f"{label_file} line {number}: expected `path label` (one space, as PaddleX's "
                             f"gallery files), got {line!r}")
        files.append((Path(root) / parts[0]).as_posix())
        labels.append(parts[1])
    return labels, files


class RetrievalRunner:
    """`predict_one(image)`: PaddleX's ShiTuResult / FaceRecResult fields (boxes with labels, rec_scores,
    det_score, coordinate)."""

    picture_key = "res"

    def __init__(self, name: str, det: DetectionRunner, rec: ImageFeatureRunner, params: RetrievalParams,
                 index: VectorIndex | None = None):
        self.name, self.det, self.rec, self.index = name, det, rec, index
        self.params = {key: getattr(params, key) for key in _PARAMS}
        self.face = name == "face_recognition"

    def with_params(self, index=None, **call) -> "RetrievalRunner":
        """PaddleX's predict(input, index=None, det_threshold, rec_threshold, rec_topk, hamming_radius); None:
        the bundle's value. UsageError names an unknown parameter or a bad value."""
        unknown = sorted(set(call) - set(_PARAMS))
        if unknown:
            raise UsageError(f"unknown predict parameter(s) {', '.join(unknown)} for {self.name}; accepted "
                             f"(PaddleX's names): index, {', '.join(_PARAMS)}")
        twin = copy.copy(self)
        twin.params = dict(self.params)
        for key, value in call.items():
            if value is None:
                continue
            if key == "rec_topk":
                if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                    raise UsageError(f"rec_topk must be a positive integer, got {value!r}")
            elif key != "det_threshold" and (isinstance(value, bool) or not isinstance(value, (int, float))):
                raise UsageError(f"{key} must be a number, got {value!r}")
            twin.params[key] = value
        twin.det = self.det.with_params(threshold=twin.params["det_threshold"])
        if index is not None:
            twin.index = as_index(index)
        return twin

    def _embed(self, images) -> list[np.ndarray]:
        """Each image's unit embedding, one [D] row per image."""
        return [self.rec.predict_one(image)["feature"][0] for image in images]

    def predict_one(self, image: np.ndarray) -> dict:
        if self.index is None:
            raise UsageError(f"{self.name} needs a vector index: predict(input, index=DIR) or hpi-run BUNDLE "
                             "--index DIR (build one with create_pipeline(bundle).build_index(...) or "
                             "`hpi index build`)")
        boxes = self.det.predict_one(image)["boxes"]  # at det_threshold (build / with_params set it)
        if not boxes and not self.face:
            h, w = image.shape[:2]
            boxes = [{"cls_id": 0, "label": "full_img", "score": 0, "coordinate": [0, 0, w, h]}]
        matches = []
        if boxes:
            crops = []
            for box in boxes:
                xmin, ymin, xmax, ymax = (int(v) for v in box["coordinate"])
                crops.append(image[ymin:ymax, xmin:xmax].copy())
            p = self.params
            matches = self.index.search(self._embed(crops), p["rec_threshold"], p["hamming_radius"], p["rec_topk"])
        out = []
        for box, match in zip(boxes, matches):
            labels, scores = match["label"], match["score"]
            if not self.face:
                labels = labels if labels is not None else [None]
                scores = scores if scores is not None else [None]
            out.append({"labels": labels, "rec_scores": scores, "det_score": box["score"],
                        "coordinate": box["coordinate"]})
        return {"boxes": out}

    def to_json(self, data: dict, input_path=None) -> dict:
        return {"input_path": input_path, **plain(data)}

    # --- PaddleX's index operations, embedding the gallery with this bundle's recognition model -----------

    def _gallery(self, gallery_imgs, gallery_label) -> tuple[list, list[str]]:
        if isinstance(gallery_label, (str, Path)):
            labels, files = load_gallery(gallery_label, gallery_imgs or "")
        else:
            labels, files = list(gallery_label), gallery_imgs
            if isinstance(files, (str, Path)):
                raise UsageError("gallery_imgs is a folder: give gallery_label as a label file (`path label` "
                                 "lines, as PaddleX), or gallery_imgs as a list of images with a list of labels")
        images = []
        for item in files:
            try:
                images.append(read_image(item))
            except (OSError, ValueError) as exc:
                raise UsageError(f"gallery image {item}: {exc}") from None
        return self._embed(images), labels

    def build_index(self, gallery_imgs, gallery_label, metric_type="IP", index_type="HNSW32") -> VectorIndex:
        features, labels = self._gallery(gallery_imgs, gallery_label)
        return VectorIndex.build(features, labels, metric_type=metric_type, index_type=index_type)

    def append_index(self, gallery_imgs, gallery_label, index) -> VectorIndex:
        features, labels = self._gallery(gallery_imgs, gallery_label)
        return as_index(index).append(features, labels)

    def remove_index(self, remove_ids, index) -> VectorIndex:
        return as_index(index).remove(remove_ids)

    # --- PaddleX's picture: pp_shitu_v2/result.py draw_box ---------------------------------------------------

    def save_visualization(self, data: dict, image: np.ndarray, path, fonts=None) -> None:
        from PIL import Image, ImageDraw

        from hpi.runtime_min.pipelines.fonts import default_chooser

        boxes = [{"coordinate": b["coordinate"],
                  "label": b["labels"][0] if b["labels"] is not None else "Unknown",
                  "score": b["rec_scores"][0] if b["rec_scores"] is not None else 0} for b in data["boxes"]]
        img = Image.fromarray(np.ascontiguousarray(image[..., ::-1]))
        font_size = int(0.018 * int(img.width)) + 2
        thickness = int(max(img.size) * 0.002)
        draw = ImageDraw.Draw(img)
        colours, text_colours = {}, {}
        chooser = fonts or default_chooser()
        for i, box in enumerate(boxes):
            label, (xmin, ymin, xmax, ymax), score = box["label"], box["coordinate"], box["score"]
            if label not in colours:
                colours[label] = COLORMAP[i % len(COLORMAP)]
                text_colours[label] = (255, 255, 255) if i % len(COLORMAP) in _LIGHT_TEXT else (0x14, 0x0E, 0x35)
            colour = colours[label]
            draw.line([(xmin, ymin), (xmin, ymax), (xmax, ymax), (xmax, ymin), (xmin, ymin)], width=thickness,
                      fill=colour)
            text = f"{label} {score:.2f}" if score is not None else f"{label}"
            face = chooser.font_for(text)
            if face is None:
                continue
            font = face.at(font_size)
            left, top, right, bottom = draw.textbbox((0, 0), text, font)
            tw, th = right - left, bottom - top + 4
            if ymin < th:
                draw.rectangle([(xmin, ymin), (xmin + tw + 4, ymin + th + 1)], fill=colour)
                draw.text((xmin + 2, ymin - 2), text, fill=text_colours[label], font=font)
            else:
                draw.rectangle([(xmin, ymin - th), (xmin + tw + 4, ymin + 1)], fill=colour)
                draw.text((xmin + 2, ymin - th - 2), text, fill=text_colours[label], font=font)
        img.save(str(path))


def build(name: str, models: dict, params: dict):
    missing = sorted({"det", "rec"} - set(models))
    if missing:
        raise BundleError(f"the bundle's {name} pipeline has no {', '.join(missing)} model (roles: "
                          f"{', '.join(sorted(models))}); recompile it")
    settings = RetrievalParams.from_dict(params, "pipeline.params")
    det = DetectionRunner(models["det"], models["det"].entry.spec)
    rec = ImageFeatureRunner(models["rec"], models["rec"].entry.spec)
    return RetrievalRunner(name, det.with_params(threshold=settings.det_threshold), rec, settings)
