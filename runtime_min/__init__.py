"""hpi's minimal runtime: opens signed bundles and runs PaddleX pipelines without Paddle."""

from hpi.runtime_min.api import Pipeline, open_bundle

__all__ = ["Pipeline", "open_bundle"]
