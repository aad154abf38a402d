"""Bundles of one instance segmentation model, in PaddleX's `InstanceSegResult` form."""

from __future__ import annotations

import numpy as np

from hpi.runtime_min.compare import canonical
from hpi.runtime_min.ops.detection import preprocess, split_batch
from hpi.runtime_min.ops.instance_segmentation import postprocess, split_masks
from hpi.runtime_min.pipelines.detection import PALETTE, DetectionRunner

_ALPHA, _TOWARDS_WHITE = 0.7, 0.4  # PaddleX's draw_mask: colour lightened by 0.4, blended at 0.7


class InstanceSegmentationRunner(DetectionRunner):
    """`boxes` as detection's, `masks` = per box its 0/1 mask cropped to the box (PaddleX's form)."""

    def predict_one(self, image: np.ndarray) -> dict:
        feeds = preprocess(image, self.spec)
        session = self.model.session
        outputs = session.run(dict(zip(session.input_names, feeds.values())))
        if len(outputs) != 3:
            raise ValueError(f"an instance segmentation model returns boxes, box count and masks; this one "
                             f"returns {len(outputs)} outputs")
        boxes, counts, masks = canonical(outputs, self.spec.output_order)[:3]
        p = self.post
        found, crops = postprocess(split_batch(boxes, counts)[0], split_masks(masks, counts)[0],
                                   [image.shape[1], image.shape[0]], p.threshold, p.label_list)
        return {"boxes": found, "masks": crops}

    def save_visualization(self, data: dict, image: np.ndarray, path, fonts=None) -> None:
        """Each mask filled in its label's colour, then detection's boxes and captions on top."""
        canvas = image.astype(np.float32)
        colours: dict[str, tuple] = {}
        for box, mask in zip(data["boxes"], data["masks"]):
            colour = colours.setdefault(box["label"], PALETTE[len(colours) % len(PALETTE)])
            light = np.array(colour, np.float32) * (1 - _TOWARDS_WHITE) + 255 * _TOWARDS_WHITE
            x1, y1 = (int(round(float(v))) for v in box["coordinate"][:2])
            region = canvas[y1:y1 + mask.shape[0], x1:x1 + mask.shape[1]]
            on = mask[:region.shape[0], :region.shape[1]].astype(bool)
            region[on] = region[on] * (1 - _ALPHA) + _ALPHA * light
        super().save_visualization(data, canvas.astype(np.uint8), path)


def build(name: str, models: dict, params: dict):
    return InstanceSegmentationRunner.from_models(models)
