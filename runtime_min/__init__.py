"""hpi's minimal runtime: opens signed bundles and runs PaddleX pipelines without Paddle.

The package face is lazy (PEP 562): `from hpi.runtime_min import open_bundle` (or PaddleX's
`create_pipeline` / `create_model`) loads the API and numpy, `import hpi.runtime_min.targets` (or the
licensing client) does not.
"""

__all__ = ["Pipeline", "create_model", "create_pipeline", "open_bundle"]
_PADDLEX_FACE = ("create_model", "create_pipeline")  # PaddleX's API over bundles (paddlex_api.py)


def __getattr__(name: str):
    if name in _PADDLEX_FACE:
        from hpi.runtime_min import paddlex_api

        return getattr(paddlex_api, name)
    if name in __all__:
        from hpi.runtime_min import api

        return getattr(api, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
