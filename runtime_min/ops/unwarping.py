"""Document image unwarping (UVDoc), ported from PaddleX 3.7.2's WarpRunnerPredictor
(inference/models/image_unwarping/predictor.py, processors.py).

The predictor hard-codes its processing: the BGR image as read, `Normalize(mean=0, std=1, scale=1/255)`,
`ToCHWImage`, `ToBatch`; the exported model unwarps inside its graph (resize to 712 x 488, the network's
backward map, resized back and `grid_sample`d over the input) and returns the unwarped image
[N, 3, H, W] in [0, 1]; `DocTrPostProcess` turns it into a uint8 HWC image.
"""

from __future__ import annotations

import numpy as np

from hpi.core.specs import DocTrPostProcessSpec, ImageUnwarpingSpec
from hpi.runtime_min.ops.normalize import normalize

__all__ = ["preprocess", "doctr_postprocess", "unwarp"]


def preprocess(image: np.ndarray, spec: ImageUnwarpingSpec) -> np.ndarray:
    """The model input [1, 3, H, W] float32 of one BGR uint8 image (the spec's channel order)."""
    if spec.img_mode == "RGB":
        image = np.ascontiguousarray(image[:, :, ::-1])
    return normalize(image, spec.normalize)[np.newaxis]


def doctr_postprocess(pred: np.ndarray, spec: DocTrPostProcessSpec) -> np.ndarray:
    """PaddleX's `DocTrPostProcess.doctr` on one [1, 3, H, W] output: HWC, times `scale` (255) in
    float32, channels reversed, `astype("uint8")` (truncation, no clipping: the model's grid_sample
    of a [0, 1] image stays in [0, 1])."""
    im = np.array(pred, dtype=np.float32).squeeze(0).transpose(1, 2, 0)
    im *= np.float32(spec.scale)
    return im[:, :, ::-1].astype("uint8", copy=False)


def unwarp(image: np.ndarray, infer, spec: ImageUnwarpingSpec) -> np.ndarray:
    """The unwarped image as PaddleX's doc preprocessor uses it (`doctr_img[:, :, ::-1]`): uint8 HWC
    in the input's channel order."""
    return np.ascontiguousarray(doctr_postprocess(infer(preprocess(image, spec)), spec.postprocess)[:, :, ::-1])
