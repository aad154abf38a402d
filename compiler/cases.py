"""Verification cases kept on disk, so a compile holds one case in memory at a time.

A case is a folder: `in_<input>.npy` written by the compiler, `out_<i>.npy` written by the reference (Paddle
in its child process, or the source ONNX). Its arrays are read when a verifier asks for them and dropped
after: PP-OCRv4 det's 1x3x4000x4000 corner alone is 192 MB of input, and the profile's three corners plus
every calibration image used to stay resident for the whole compile.

A StoredCase reads like runtime_min.compare.Case (`name`, `feeds`, `expected`), so every verifier takes either.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np


def input_file(folder: Path, input_name: str) -> Path:
    return folder / f"in_{input_name}.npy"


def output_file(folder: Path, index: int) -> Path:
    return folder / f"out_{index}.npy"


@dataclass(frozen=True)
class StoredCase:
    name: str
    folder: Path
    input_names: tuple[str, ...]

    @classmethod
    def save(cls, folder: Path, name: str, feeds: dict[str, np.ndarray]) -> "StoredCase":
        folder.mkdir(parents=True)
        for input_name, array in feeds.items():
            np.save(input_file(folder, input_name), np.ascontiguousarray(array), allow_pickle=False)
        return cls(name, folder, tuple(feeds))

    @property
    def feeds(self) -> dict[str, np.ndarray]:
        return {n: np.load(input_file(self.folder, n), allow_pickle=False) for n in self.input_names}

    @property
    def expected(self) -> list[np.ndarray]:
        files = sorted(self.folder.glob("out_*.npy"), key=lambda p: int(p.stem.rsplit("_", 1)[1]))
        return [np.load(f, allow_pickle=False) for f in files]

    def save_expected(self, outputs: list[np.ndarray]) -> None:
        for i, array in enumerate(outputs):
            np.save(output_file(self.folder, i), np.ascontiguousarray(array), allow_pickle=False)
