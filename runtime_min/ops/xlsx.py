"""HTML tables to an Excel workbook: PaddleX 3.7.2's `save_to_xlsx` (inference/utils/io/tablepyxl.py).

PaddleX vendors tablepyxl 0.6.1 (PyPI) with one change: `write_rows` steps over the cells a rowspan above has
merged (tablepyxl 0.6.1 writes into them, which openpyxl refuses: "MergedCell ... read-only"). So tablepyxl's own
CSS-to-style module does the styling and this module holds PaddleX's fixed writer; the rest (premailer inlines the
CSS, one sheet per table) is tablepyxl's code as PaddleX runs it. Needs the `[xlsx]` extra.
"""

from __future__ import annotations

from pathlib import Path

from hpi.core.errors import UsageError


def require_xlsx() -> None:
    """UsageError naming the extra when a library save_to_xlsx needs is missing."""
    try:
        from openpyxl import Workbook  # noqa: F401
        from premailer import Premailer  # noqa: F401
        from tablepyxl import tablepyxl  # noqa: F401
    except ImportError as exc:
        raise UsageError(f"saving tables as Excel needs {exc.name}; fix: pip install 'hpi-aot[xlsx]'") from None


def _write_rows(worksheet, rows, row: int, column: int = 1) -> int:
    """PaddleX's write_rows: every tr of `rows` to a worksheet row from (row, column); the next free row."""
    from openpyxl.cell.cell import MergedCell
    from openpyxl.utils import get_column_letter
    from tablepyxl.tablepyxl import string_to_int

    initial_column = column
    for table_row in rows.rows:
        for table_cell in table_row.cells:
            cell = worksheet.cell(row=row, column=column)
            while isinstance(cell, MergedCell):  # PaddleX's fix: a rowspan above covers this column
                column += 1
                cell = worksheet.cell(row=row, column=column)
            colspan = string_to_int(table_cell.element.get("colspan", "1"))
            rowspan = string_to_int(table_cell.element.get("rowspan", "1"))
            if rowspan > 1 or colspan > 1:
                worksheet.merge_cells(start_row=row, start_column=column, end_row=row + rowspan - 1,
                                      end_column=column + colspan - 1)
            cell.value = table_cell.value
            table_cell.format(cell)
            min_width = table_cell.get_dimension("min-width")
            max_width = table_cell.get_dimension("max-width")
            if colspan == 1:  # the column as wide as its widest text + 2, within the cell's CSS bounds
                letter = get_column_letter(column)
                width = max(worksheet.column_dimensions[letter].width or 0, len(table_cell.value) + 2)
                if max_width and width > max_width:
                    width = max_width
                elif min_width and width < min_width:
                    width = min_width
                worksheet.column_dimensions[letter].width = width
            column += colspan
        row += 1
        column = initial_column
    return row


def html_to_workbook(html: str):
    """tablepyxl's document_to_workbook with PaddleX's writer: one sheet per <table> of `html`."""
    require_xlsx()
    from openpyxl import Workbook
    from premailer import Premailer
    from tablepyxl.tablepyxl import get_Tables

    workbook = Workbook()
    workbook.remove(workbook.active)
    for table in get_Tables(Premailer(html, base_url=None, remove_classes=False).transform()):
        sheet = workbook.create_sheet(title=table.element.get("name"))
        row = 1
        if table.head:
            row = _write_rows(sheet, table.head, row)
        if table.body:
            _write_rows(sheet, table.body, row)
    return workbook


def save_xlsx(html: str, path: Path) -> None:
    html_to_workbook(html).save(str(path))
