"""Results in PaddleX's JSON form, with PaddleX's `to_dict()` / `save_to_json()` / `save_to_img()`."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np


def _jsonable(value):
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


class Result:
    def __init__(self, input_path: str | None, data: dict, image: np.ndarray, runner):
        self.input_path = input_path
        self._data = data
        self._image = image
        self._runner = runner

    def to_dict(self) -> dict:
        return _jsonable({"input_path": self.input_path, "page_index": None, **self._data})

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
        import cv2

        target = self._target(path, ".png")
        if not cv2.imwrite(str(target), self._runner.visualize(self._image, self._data)):
            raise OSError(f"cannot write {target}")
        return target
