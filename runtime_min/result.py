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

    def __init__(self, input_path: str | None, data: dict, image: np.ndarray, runner, fonts=None):
        self.input_path = input_path
        self._data = data
        self._image = image
        self._runner = runner
        self._fonts = fonts  # a pipelines.fonts.FontChooser, or None for the process-wide one

    def to_dict(self) -> dict:
        """What PaddleX's `save_to_json` writes (its `result.json["res"]`)."""
        return self._runner.to_json(self._data, self.input_path)

    def __getitem__(self, key):
        """A field of the JSON form, else one PaddleX's result holds but leaves out of its JSON (the
        doc preprocessor's `output_img` and `rot_img`, BGR arrays)."""
        data = self.to_dict()
        if key not in data and key in self._data:
            return self._data[key]
        return data[key]

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

    def save_to_csv(self, path) -> Path:
        """PaddleX's `save_to_csv` (time series): a `.csv` path, or a folder to write `<input stem>_res.csv` into.
        UsageError for a pipeline whose results have no CSV."""
        to_csv = getattr(self._runner, "to_csv", None)
        if to_csv is None:
            from hpi.core.errors import UsageError

            raise UsageError("this bundle's pipeline writes no CSV (only the time series ones do); drop --save-csv")
        target = self._target(path, ".csv")
        target.write_text(to_csv(self._data), encoding="utf-8")
        return target

    def save_to_html(self, path) -> list[Path]:
        """PaddleX's `save_to_html` (table pipelines): a folder to write `<input stem>_<key>.html` into, one per
        table (`table_<region id>`), or one `.html` path (the first table's). UsageError for a pipeline whose
        results have no HTML."""
        to_html = getattr(self._runner, "to_html", None)
        if to_html is None:
            from hpi.core.errors import UsageError

            raise UsageError("this bundle's pipeline writes no HTML (only table_recognition does); drop --save-html")
        return self._save_tables(to_html(self._data), path, ".html",
                                 lambda html, target: target.write_text(html, encoding="utf-8"))

    def save_to_xlsx(self, path) -> list[Path]:
        """PaddleX's `save_to_xlsx` (table pipelines, PP-StructureV3): each table's HTML as an Excel workbook, in a
        folder as `<input stem>_<key>.xlsx`, or one `.xlsx` path (the first table's). Needs the `[xlsx]` extra.
        UsageError for a pipeline whose results have no tables."""
        from hpi.core.errors import UsageError
        from hpi.runtime_min.ops.xlsx import save_xlsx

        to_xlsx = getattr(self._runner, "to_xlsx", None)
        if to_xlsx is None:
            raise UsageError("this bundle's pipeline writes no tables (only the table pipelines and PP-StructureV3 "
                             "do); drop --save-xlsx")
        return self._save_tables(to_xlsx(self._data), path, ".xlsx", save_xlsx)

    def _save_tables(self, tables: dict, path, suffix: str, write) -> list[Path]:
        """PaddleX's HtmlMixin / XlsxMixin: `write(html, target)` for each table into the folder `path` as
        `<input stem>_<key><suffix>`, or the first table to `path` when it ends with `suffix`."""
        path = Path(path)
        if path.suffix.lower() == suffix:
            targets = [(path, next(iter(tables.values())))] if tables else []
        else:
            stem = Path(self.input_path).stem if self.input_path else "array"
            targets = [(path / f"{stem}_{key}{suffix}", html) for key, html in tables.items()]
        for target, html in targets:
            target.parent.mkdir(parents=True, exist_ok=True)
            write(html, target)
        return [target for target, _ in targets]

    def save_to_markdown(self, path) -> Path:
        """PaddleX's `save_to_markdown` (PP-StructureV3): a `.md` path, or a folder to write `<input stem>.md` into,
        with the page's pictures beside it (imgs/...). UsageError for a pipeline whose results have no Markdown."""
        save = getattr(self._runner, "save_markdown", None)
        if save is None:
            from hpi.core.errors import UsageError

            raise UsageError("this bundle's pipeline writes no Markdown (only PP-StructureV3 does); drop --save-markdown")
        return save(self._data, path, self.input_path)

    def markdown(self, pretty: bool = True, show_formula_number: bool = False) -> dict:
        """PaddleX's `_to_markdown` (PP-StructureV3): markdown_texts, markdown_images ({relative path: PIL image}),
        page_continuation_flags. UsageError for a pipeline whose results have no Markdown."""
        to_markdown = getattr(self._runner, "to_markdown", None)
        if to_markdown is None:
            from hpi.core.errors import UsageError

            raise UsageError("this bundle's pipeline writes no Markdown (only PP-StructureV3 does)")
        return to_markdown(self._data, self.input_path, pretty=pretty, show_formula_number=show_formula_number)

    def save_to_img(self, path, font_path=None) -> Path:
        """A `.png` path, or a folder to write `<input stem>_res.png` into.

        Texts (OCR) are drawn with `font_path` if given, else the font the pipeline was opened with
        (`open_bundle(font_path=...)`, $HPI_FONT_PATH, a system font; see pipelines/fonts.py)."""
        from hpi.runtime_min.pipelines.fonts import default_chooser

        target = self._target(path, ".png")
        fonts = (self._fonts or default_chooser()).using(font_path)
        self._runner.save_visualization(self._data, self._image, target, fonts)
        return target

    def pictures(self, font_path=None) -> dict:
        """PaddleX's pictures of this result by its keys (`result.img`): PIL images. A runner with several
        names them (`named_pictures`); one picture has the runner's `picture_key` (PaddleX's models: "res")."""
        import tempfile

        from PIL import Image

        from hpi.runtime_min.pipelines.fonts import default_chooser

        fonts = (self._fonts or default_chooser()).using(font_path)
        named = getattr(self._runner, "named_pictures", None)
        if named is not None:
            pictures = named(self._data, self._image, fonts)
        else:
            pictures = [(getattr(self._runner, "picture_key", "res"),
                         lambda target: self._runner.save_visualization(self._data, self._image, target, fonts))]
        with tempfile.TemporaryDirectory(prefix="hpi-img-") as tmp:
            drawn = {}
            for i, (key, draw) in enumerate(pictures):
                draw(Path(tmp) / f"{i}.png")
                drawn[key] = Image.open(Path(tmp) / f"{i}.png").copy()
            return drawn

    def has_html(self) -> bool:
        return hasattr(self._runner, "to_html")

    def has_xlsx(self) -> bool:
        return hasattr(self._runner, "to_xlsx")

    def has_markdown(self) -> bool:
        return hasattr(self._runner, "save_markdown")

