"""The one small interface every backend implements."""

from __future__ import annotations

import importlib.util

import numpy as np

from hpi.core.errors import BackendUnavailable


class Session:
    """A loaded model: named float/int inputs in, outputs in the model's declared order out."""

    input_names: list[str]
    output_names: list[str]

    def run(self, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
        raise NotImplementedError

    def close(self) -> None:
        """Free what the session holds (device memory, engines) now. Sessions of backends whose library
        frees on collection keep this default; the session is not used after."""


class Backend:
    name: str = ""
    artifact_format: str = ""  # which artifact of a model this backend consumes
    python_module: str = ""  # import name of the library it needs
    install_hint: str = ""
    devices: tuple[str, ...] = ("cpu", "gpu")

    @classmethod
    def is_available(cls) -> bool:
        return importlib.util.find_spec(cls.python_module) is not None

    @classmethod
    def unavailable_on(cls, device: str) -> str | None:
        """Why this backend cannot run on `device` ("cpu" or "gpu") here, or None when it can."""
        if device not in cls.devices:
            return f"{cls.name} does not run on {device}"
        if not cls.is_available():
            return f"{cls.name} is not installed (`{cls.install_hint}`)"
        return None

    @classmethod
    def accepts(cls, artifact) -> str | None:
        """Why this machine cannot use this artifact (e.g. an engine built for another GPU), or None."""
        return None

    @classmethod
    def compiled_cache_config(cls) -> dict:
        """Config entries that let the backend reuse its compiled form of a model across processes."""
        return {}

    @classmethod
    def require(cls):
        """The backend's library, imported; BackendUnavailable when it is not installed."""
        cls.check_installed()
        return importlib.import_module(cls.python_module)

    @classmethod
    def check_installed(cls) -> None:
        if not cls.is_available():
            raise BackendUnavailable(
                f"backend {cls.name!r} needs the {cls.python_module!r} package; install it with "
                f"`{cls.install_hint}`"
            )

    @classmethod
    def load(cls, files: dict[str, memoryview | bytes], config: dict, num_threads: int | None) -> Session:
        """`files` are the artifact's members by role (e.g. {"model": ...}); `config` its manifest config.
        The caller closes the session (`Session.close`) when done."""
        raise NotImplementedError
