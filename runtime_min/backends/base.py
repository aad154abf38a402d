"""The one small interface every backend implements."""

from __future__ import annotations

import importlib.util

import numpy as np

from hpi.runtime_min.errors import BackendUnavailable


class Session:
    """A loaded model: named float/int inputs in, outputs in the model's declared order out."""

    input_names: list[str]
    output_names: list[str]

    def run(self, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
        raise NotImplementedError


class Backend:
    name: str = ""
    artifact_format: str = ""  # which artifact of a model this backend consumes
    python_module: str = ""  # import name of the library it needs
    install_hint: str = ""

    @classmethod
    def is_available(cls) -> bool:
        return importlib.util.find_spec(cls.python_module) is not None

    @classmethod
    def require(cls) -> None:
        if not cls.is_available():
            raise BackendUnavailable(
                f"backend {cls.name!r} needs the {cls.python_module!r} package; install it with "
                f"`{cls.install_hint}`"
            )

    @classmethod
    def version(cls) -> str:
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version(cls.python_module)
        except PackageNotFoundError:
            return "unknown"

    @classmethod
    def load(cls, files: dict[str, memoryview | bytes], config: dict, num_threads: int | None) -> Session:
        """`files` are the artifact's members by role (e.g. {"model": ...}); `config` its manifest config."""
        raise NotImplementedError
