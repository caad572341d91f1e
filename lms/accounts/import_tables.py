"""Turning an uploaded CSV or XLSX file into rows of text, each with the line a person sees in the file.

Offices make these lists in Excel: "CSV UTF-8" (with a BOM), plain CSV with ; or , or tabs, Windows line
ends, or a workbook with a title above the header and numbers typed as numbers. Anything we cannot read
safely (an old .xls, a file in a Windows code page that would turn Vietnamese letters into mojibake) is
refused with what to do instead. Nothing here touches the database.
"""
from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, time

from flask_babel import lazy_gettext as _l

XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls and other old Office files
DELIMITERS = (",", ";", "\t")
MAX_ROWS = 5000


class ImportFileError(ValueError):
    """The file as a whole cannot be read; the message says what to do and is shown to the user."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


@dataclass
class Table:
    kind: str  # "csv" or "xlsx"
    rows: list[tuple[int, list[str]]]  # (line or row number in the file, cell texts); blank rows left out
    delimiter: str | None = None


SAVE_AS_HINT = _l("In Excel choose File → Save As → “CSV UTF-8 (Comma delimited) (*.csv)” or “Excel "
                  "Workbook (*.xlsx)”, then upload that file.")


def read_table(data: bytes) -> Table:
    if not data.strip():
        raise ImportFileError(_l("The file is empty."))
    if data.startswith(XLSX_MAGIC):
        return _read_xlsx(data)
    if data.startswith(OLE_MAGIC):
        raise ImportFileError(_l("This is an old Excel file (.xls), which cannot be read here. %(hint)s",
                                 hint=SAVE_AS_HINT))
    return _read_csv(_decode(data))


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode Text" is UTF-16 with a BOM
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            pass
        else:
            if "\x00" not in text:
                return text
            raise ImportFileError(_l("This is not a CSV or XLSX file. %(hint)s", hint=SAVE_AS_HINT))
    # Most often a CSV saved in a Windows code page (cp1258/cp1252): guessing would garble the names.
    raise ImportFileError(_l("This file is not in UTF-8, so its Vietnamese letters cannot be read reliably. "
                             "%(hint)s", hint=SAVE_AS_HINT))


def _read_csv(text: str) -> Table:
    best: Table | None = None
    best_score = -1
    for delimiter in DELIMITERS:
        rows = _csv_rows(text, delimiter)
        # The delimiter that splits the first rows into the most known column names wins; ties go to
        # the one that splits the header into more cells.
        score = max((header_score(cells) * 1000 + len(cells) for _, cells in rows[:10]), default=0)
        if score > best_score:
            best, best_score = Table(kind="csv", rows=rows, delimiter=delimiter), score
    assert best is not None
    return best


def _csv_rows(text: str, delimiter: str) -> list[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    rows: list[tuple[int, list[str]]] = []
    start = 1
    try:
        for cells in reader:
            cells = [cell.strip() for cell in cells]
            if any(cells):
                rows.append((start, cells))
                if len(rows) > MAX_ROWS + 20:
                    raise ImportFileError(_l("The file has more than %(n)d rows; split it into smaller files.",
                                             n=MAX_ROWS))
            start = reader.line_num + 1
    except csv.Error as error:
        raise ImportFileError(_l("Line %(line)d cannot be read as CSV (%(error)s).", line=start,
                                 error=str(error))) from error
    return rows


def _read_xlsx(data: bytes) -> Table:
    from openpyxl import load_workbook

    try:
        # Read-only streams the sheet: a workbook formatted down to row 1,048,576 costs time, not memory.
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = book.worksheets[0]
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError, IndexError) as error:
        raise ImportFileError(_l("This file cannot be read as an Excel workbook (.xlsx). %(hint)s",
                                 hint=SAVE_AS_HINT)) from error
    rows: list[tuple[int, list[str]]] = []
    blank_run = 0
    try:
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = [cell_text(value) for value in values]
            if not any(cells):
                blank_run += 1
                if rows and blank_run > 1000:  # only formatting is left below the list
                    break
                continue
            blank_run = 0
            rows.append((number, cells))
            if len(rows) > MAX_ROWS + 20:
                raise ImportFileError(_l("The file has more than %(n)d rows; split it into smaller files.",
                                         n=MAX_ROWS))
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as error:
        raise ImportFileError(_l("This file cannot be read as an Excel workbook (.xlsx). %(hint)s",
                                 hint=SAVE_AS_HINT)) from error
    finally:
        book.close()
    return Table(kind="xlsx", rows=rows)


def cell_text(value) -> str:
    """A cell as the person sees it in Excel: whole numbers without ".0", dates as dd/mm/yyyy."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        if value.time() == time(0, 0):
            return value.strftime("%d/%m/%Y")
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, time):
        return value.strftime("%H:%M")
    return " ".join(str(value).split())


# --- column names -------------------------------------------------------------------------------------------

# Keys are headings folded by `fold` (no diacritics, case, spaces or punctuation).
HEADINGS = {
    "full_name": ("hovaten", "hoten", "hotendaydu", "hovatendaydu", "fullname", "name", "tenhocvien",
                  "hovatenhocvien"),
    "family_name": ("ho", "hodem", "hovatendem", "holot", "hovadem"),
    "given_name": ("ten",),
    "username": ("tendangnhap", "taikhoan", "tentaikhoan", "username", "login", "loginname", "user"),
    "email": ("email", "thudientu", "diachiemail", "diachithudientu", "mail", "emailaddress"),
    "unit": ("donvi", "tendonvi", "coquan", "coquandonvi", "donvicongtac", "coquancongtac", "unit", "unitname",
             "organisation", "organization", "agency"),
    "unit_code": ("madonvi", "unitcode"),
    "position": ("chucvu", "chucdanh", "position", "jobtitle", "title"),
    "role": ("vaitro", "role"),
}
FIELD_OF_HEADING = {alias: field for field, aliases in HEADINGS.items() for alias in aliases}


def fold(text: str) -> str:
    """'Họ và tên (*)' → 'hovaten': compares headings and words whatever their case, marks or spacing."""
    text = re.sub(r"\([^)]*\)|\*", "", text).replace("đ", "d").replace("Đ", "D")
    text = unicodedata.normalize("NFD", text)
    return "".join(ch for ch in text if ch.isalnum() and not unicodedata.combining(ch)).lower()


def header_score(cells: list[str]) -> int:
    return len({FIELD_OF_HEADING[fold(cell)] for cell in cells if fold(cell) in FIELD_OF_HEADING})
