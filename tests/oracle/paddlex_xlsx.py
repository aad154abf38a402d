"""PaddleX's own save_to_xlsx writer (the parity oracle): each HTML document to an Excel workbook.

    .venv-oracle/bin/python tests/oracle/paddlex_xlsx.py TABLES.json OUT_DIR

TABLES.json maps names to HTML; writes OUT_DIR/<name>.xlsx with PaddleX's XlsxWriter (what its table results'
`save_to_xlsx` calls), or OUT_DIR/<name>.error with the exception when PaddleX's writer fails.
"""

import json
import sys
from pathlib import Path

from paddlex.inference.utils.io.writers import XlsxWriter


def main(tables_json, out_dir):
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    writer = XlsxWriter()
    for name, html in json.loads(Path(tables_json).read_text(encoding="utf-8")).items():
        try:
            writer.write(str(out / f"{name}.xlsx"), html)
        except Exception as exc:  # noqa: BLE001  (the test compares failures too)
            (out / f"{name}.error").write_text(f"{type(exc).__name__}: {exc}", encoding="utf-8")


if __name__ == "__main__":
    main(*sys.argv[1:])
