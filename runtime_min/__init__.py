"""hpi's minimal runtime: opens signed bundles and runs PaddleX pipelines without Paddle.

The package face is lazy (PEP 562): `from hpi.runtime_min import open_bundle` loads the API and numpy,
`import hpi.runtime_min.targets` (or the licensing client) does not.
"""

__all__ = ["Pipeline", "open_bundle"]


def __getattr__(name: str):
    if name in __all__:
        from hpi.runtime_min import api

        return getattr(api, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
