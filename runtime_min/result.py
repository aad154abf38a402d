"""Results in PaddleX's JSON form, with PaddleX's `to_dict()` / `save_to_json()` / `save_to_img()`."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np


def plain(obj):
    """PaddleX's _format_data: arrays -> nested lists, numpy scalars -> Python numbers."""
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, dict):
        return {k: plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [plain(v) for v in obj]
    return obj


class Result:
    """One input's result. The pipeline runner decides the JSON form and the picture."""

    def __init__(self, input_path: str | None, data: dict, image: np.ndarray, runner):
        self.input_path = input_path
        self._data = data
        self._image = image
        self._runner = runner

    def to_dict(self) -> dict:
        """What PaddleX's `save_to_json` writes (its `result.json["res"]`)."""
        return self._runner.to_json(self._data, self.input_path)

    def __getitem__(self, key):
        return self.to_dict()[key]

    def _target(self, path, suffix: str) -> Path:
        path = Path(path)
        if path.suffix.lower() != suffix:
            stem = Path(self.input_path).stem if self.input_path else "array"
            path = path / f"{stem}_res{suffix}"
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def save_to_json(self, path) -> Path:
        """A `.json` path, or a folder to write `<input stem>_res.json` into."""
        target = self._target(path, ".json")
        target.write_text(json.dumps(self.to_dict(), ensure_ascii=False, indent=4), encoding="utf-8")
        return target

    def save_to_img(self, path) -> Path:
        """A `.png` path, or a folder to write `<input stem>_res.png` into."""
        target = self._target(path, ".png")
        self._runner.save_visualization(self._data, self._image, target)
        return target
