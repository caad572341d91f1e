"""Tables as files people open in Excel: CSV in UTF-8 with a BOM (so Excel shows Vietnamese letters, not
mojibake) and XLSX. Every export in the platform goes through these two functions."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime

from flask import Response

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _attachment(filename: str) -> str:
    ascii_name = filename.encode("ascii", "replace").decode().replace("?", "_")
    return f'attachment; filename="{ascii_name}"'


def csv_bytes(headers: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(headers)
    for row in rows:
        writer.writerow(["" if value is None else value for value in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def csv_response(filename: str, headers: Sequence[str], rows: Iterable[Sequence]) -> Response:
    return Response(csv_bytes(headers, rows), content_type=CSV_TYPE,
                    headers={"Content-Disposition": _attachment(filename)})


def xlsx_bytes(sheet_title: str, headers: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    # Imported here: openpyxl adds ~7 MB to every web worker, and only exports need it.
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    # Write-only mode streams the cells instead of building a sheet object per cell: a units x courses
    # matrix is ~170,000 cells, which the normal mode takes seconds to write.
    values = [[value.replace(tzinfo=None) if isinstance(value, datetime) and value.tzinfo else value
               for value in row] for row in rows]
    widths = [len(str(h)) for h in headers]
    for row in values:
        for index, value in enumerate(row):
            shown = value.strftime("%d/%m/%Y") if isinstance(value, date) else str(value if value is not None else "")
            widths[index] = max(widths[index], min(len(shown), 60))
    book = Workbook(write_only=True)
    sheet = book.create_sheet(sheet_title[:31])  # Excel's limit
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width + 2
    sheet.freeze_panes = "A2"
    header_cells = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=header)
        cell.font = Font(bold=True)
        header_cells.append(cell)
    sheet.append(header_cells)
    for row in values:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def xlsx_response(filename: str, sheet_title: str, headers: Sequence[str], rows: Iterable[Sequence]) -> Response:
    return Response(xlsx_bytes(sheet_title, headers, rows), content_type=XLSX_TYPE,
                    headers={"Content-Disposition": _attachment(filename)})
