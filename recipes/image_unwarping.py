"""Document image unwarping (PaddleX module `image_unwarping`): UVDoc.

PaddleX's WarpRunnerPredictor hard-codes its processing (no PreProcess / PostProcess in inference.yml):
the BGR image / 255 in, the exported model unwarps inside its graph and returns the image, and
`DocTrPostProcess` scales it by 255 to uint8 (runtime_min/ops/unwarping.py).
"""

from __future__ import annotations

from hpi.core.specs import DocTrPostProcessSpec, ImageUnwarpingSpec, NormalizeSpec
from hpi.recipes.base import ModelRecipe, Tolerance, register_model

@register_model
class ImageUnwarpingRecipe(ModelRecipe):
    family = "image_unwarping"
    model_names = ("UVDoc",)
    # PaddleX's own UVDoc Hpi block (input `img`).
    default_profile = {"img": ([1, 3, 128, 64], [1, 3, 256, 128], [8, 3, 512, 256])}
    # The output is the unwarped image in [0, 1], cut to uint8 after * 255: 1 / 255 is one grey level.
    # The backward map comes out of ~50 convolutions and is scaled to the image size, so float noise
    # moves a sample by a fraction of a pixel; on random-pixel profile inputs that shows as up to a few
    # 1e-3 (measured: see docs/pipelines.md); on real images less.
    tolerance = Tolerance(atol=2e-2)
    fp16_tolerance = Tolerance(atol=2e-2)

    @classmethod
    def runtime_spec(cls, config):
        # Like WarpRunnerPredictor, nothing of inference.yml but Global.model_name and the Hpi shapes is read.
        return ImageUnwarpingSpec(img_mode="BGR",
                                  normalize=NormalizeSpec(mean=[0.0, 0.0, 0.0], std=[1.0, 1.0, 1.0], scale=1 / 255),
                                  postprocess=DocTrPostProcessSpec(scale=255.0))

    @classmethod
    def sample_inputs(cls, image, spec):
        from hpi.runtime_min.ops.unwarping import preprocess

        return {"img": preprocess(image, spec)}
