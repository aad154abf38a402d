"""save_to_xlsx (runtime_min/ops/xlsx.py) against PaddleX 3.7.2's own XlsxWriter on the same HTML.

The tables are what the table pipelines put in `pred_html` (PaddleX's `<html><body><table>...` form), with the
shapes its writer has to handle: spans across rows and columns (the case PaddleX patched tablepyxl for), a
thead, inline and <style> CSS (premailer inlines it; tablepyxl maps it to fonts, fills, alignment, borders),
Chinese text and empty cells. Each workbook is compared cell by cell: values, merged ranges, column widths, row
heights and each cell's font, fill, alignment, border and number format.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import ORACLE_PYTHON, REPO, needs_oracle, run_oracle

TABLES = {
    "plain": "<html><body><table><tr><td>Item</td><td>Q1</td><td>Q2</td></tr><tr><td>Rent</td><td>12.50</td>"
             "<td>13.75</td></tr><tr><td>Staff</td><td>40.20</td><td>41.00</td></tr></table></body></html>",
    "spans": "<html><body><table><thead><tr><td rowspan=\"2\">Region</td><td colspan=\"2\">Sales</td></tr>"
             "<tr><td>2025</td><td>2026</td></tr></thead><tbody><tr><td>North</td><td>1,200</td><td>1,350</td></tr>"
             "<tr><td rowspan=\"2\">South</td><td>980</td><td>1,010</td></tr><tr><td>75%</td><td></td></tr>"
             "</tbody></table></body></html>",
    "styled": "<html><head><style>td.head {font-weight: bold; background-color: #DDEEFF; text-align: center}"
              "</style></head><body><table border=\"1\"><tr><td class=\"head\">项目</td><td class=\"head\">金额</td></tr>"
              "<tr><td style=\"color: #FF0000; font-style: italic\">租金</td><td style=\"text-align: right\">"
              "12.50</td></tr><tr><td></td><td style=\"border: 1px solid black\">合计</td></tr></table>"
              "</body></html>",
}


def _cells(path: Path) -> dict:
    from openpyxl import load_workbook

    book = load_workbook(path)
    sheets = {}
    for sheet in book.worksheets:
        cells = {}
        for row in sheet.iter_rows():
            for cell in row:
                cells[cell.coordinate] = (cell.value, repr(cell.font), repr(cell.fill), repr(cell.alignment),
                                          repr(cell.border), cell.number_format)
        sheets[sheet.title] = {
            "cells": cells,
            "merged": sorted(str(r) for r in sheet.merged_cells.ranges),
            "widths": {k: d.width for k, d in sheet.column_dimensions.items()},
            "heights": {k: d.height for k, d in sheet.row_dimensions.items()},
        }
    return sheets


@needs_oracle()
def test_workbooks_equal_paddlex(tmp_path):
    from hpi.runtime_min.ops.xlsx import save_xlsx

    spec = tmp_path / "tables.json"
    spec.write_text(json.dumps(TABLES, ensure_ascii=False), encoding="utf-8")
    run_oracle([str(ORACLE_PYTHON), str(REPO / "tests/oracle/paddlex_xlsx.py"), str(spec), str(tmp_path / "px")],
               check=True, capture_output=True)
    errors = {p.stem: p.read_text(encoding="utf-8") for p in (tmp_path / "px").glob("*.error")}
    assert not errors, errors
    for name, html in TABLES.items():
        save_xlsx(html, tmp_path / f"{name}.xlsx")
        ours, theirs = _cells(tmp_path / f"{name}.xlsx"), _cells(tmp_path / "px" / f"{name}.xlsx")
        assert ours == theirs, name
    spans = _cells(tmp_path / "spans.xlsx")["Sheet"]
    # The spans came out where the HTML put them: South's rowspan pushes "75%" to column B.
    assert spans["merged"] == ["A1:A2", "A4:A5", "B1:C1"]
    assert [spans["cells"][c][0] for c in ("A4", "B4", "B5")] == ["South", "980", "75%"]


def test_save_to_xlsx_names_files_as_paddlex(tmp_path):
    from types import SimpleNamespace

    import numpy as np

    from hpi.runtime_min.result import Result

    tables = SimpleNamespace(to_xlsx=lambda data: {"table_1": TABLES["plain"], "table_2": TABLES["spans"]})
    result = Result("/data/page.png", {}, np.zeros((1, 1, 3), np.uint8), tables)
    written = result.save_to_xlsx(tmp_path / "out")
    assert [p.name for p in written] == ["page_table_1.xlsx", "page_table_2.xlsx"]
    assert result.save_to_xlsx(tmp_path / "one.xlsx") == [tmp_path / "one.xlsx"]
    assert _cells(tmp_path / "one.xlsx")["Sheet"]["cells"]["A2"][0] == "Rent"


def test_pipelines_without_tables_and_missing_extra_say_the_fix(tmp_path, monkeypatch):
    import builtins
    from types import SimpleNamespace

    import numpy as np

    from hpi.core.errors import UsageError
    from hpi.runtime_min.ops import xlsx
    from hpi.runtime_min.result import Result

    with pytest.raises(UsageError, match="drop --save-xlsx"):
        Result(None, {}, np.zeros((1, 1, 3), np.uint8), SimpleNamespace()).save_to_xlsx(tmp_path)
    real_import = builtins.__import__

    def no_premailer(name, *args, **kwargs):
        if name == "premailer":
            raise ModuleNotFoundError("No module named 'premailer'", name="premailer")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_premailer)
    with pytest.raises(UsageError, match=r"needs premailer; fix: pip install 'hpi-aot\[xlsx\]'"):
        xlsx.html_to_workbook(TABLES["plain"])
