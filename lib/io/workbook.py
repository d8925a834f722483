"""An .xlsx as calamine should see it: its declared size bounded by its real rows.

A sheet that was formatted, or had a space typed, down to row 1,048,576 declares a million
rows; calamine then holds every cell of that range (1.4 GB for 48 real rows and 41 columns).
Such a workbook is rewritten in memory first: each oversized sheet keeps the rows up to its
last row with a value that is not blank, and nothing else of the file changes. Workbooks of an
ordinary size are read as they are, at no cost beyond a look at each sheet's first bytes.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

DECLARED_ROWS_LIMIT = 200_000  # more rows than any village sheet holds: look at the real rows
_DIMENSION = re.compile(rb'<dimension ref="[A-Z]+\d+(?::[A-Z]+(\d+))?"')
_ROW = re.compile(rb"<row\b[^>]*?(?:/>|>.*?</row>)", re.S)
_CELL = re.compile(rb"<c\b([^>]*?)(?:/>|>(.*?)</c>)", re.S)
_VALUE = re.compile(rb"<v>(.*?)</v>", re.S)
_TEXT = re.compile(rb"<t[^>]*>(.*?)</t>", re.S)
_SHARED = re.compile(rb"<si>(.*?)</si>", re.S)
_SHEET_DATA_END = b"</sheetData>"


def _declared_rows(head: bytes) -> int:
    found = _DIMENSION.search(head)
    return int(found.group(1)) if found and found.group(1) else 0


def _blank_shared_strings(book: zipfile.ZipFile) -> set[int]:
    """Indexes of shared strings that are only white space (a typed space is no value)."""
    try:
        data = book.read("xl/sharedStrings.xml")
    except KeyError:
        return set()
    return {
        i for i, si in enumerate(_SHARED.findall(data))
        if not b"".join(_TEXT.findall(si)).decode("utf-8", "replace").strip()
    }


def _has_value(row: bytes, blank_strings: set[int]) -> bool:
    for attrs, body in _CELL.findall(row):
        if not body:
            continue
        if b't="inlineStr"' in attrs:
            if b"".join(_TEXT.findall(body)).decode("utf-8", "replace").strip():
                return True
            continue
        value = _VALUE.search(body)
        if value is None:
            continue
        if b't="s"' in attrs:
            if int(value.group(1)) not in blank_strings:
                return True
        elif value.group(1).strip():
            return True
    return False


def _trimmed_sheet(data: bytes, blank_strings: set[int]) -> bytes:
    """The sheet's XML without the rows after its last row with a value."""
    start = data.find(b"<sheetData")
    end = data.find(_SHEET_DATA_END)
    if start < 0 or end < 0:
        return data
    keep_until = None
    for row in _ROW.finditer(data, start, end):
        if _has_value(row.group(0), blank_strings):
            keep_until = row.end()
    if keep_until is None:  # no value at all: an empty sheet
        keep_until = data.find(b">", start) + 1
    head = _DIMENSION.sub(b'<dimension ref="A1"', data[:start], count=1)
    return head + data[start:keep_until] + data[end:]


def bounded(path: Path) -> str | bytes:
    """``path`` itself when no sheet declares more than DECLARED_ROWS_LIMIT rows, else the
    workbook's bytes with those sheets trimmed to their real rows (fastexcel reads both)."""
    try:
        book = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        return str(path)  # not a zip (encrypted, .xls, broken): the reader says what it is
    with book:
        sheets = [n for n in book.namelist() if n.startswith("xl/worksheets/") and n.endswith(".xml")]
        oversized = []
        for name in sheets:
            with book.open(name) as f:
                if _declared_rows(f.read(4096)) > DECLARED_ROWS_LIMIT:
                    oversized.append(name)
        if not oversized:
            return str(path)
        blank_strings = _blank_shared_strings(book)
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as copy:
            for item in book.infolist():
                data = book.read(item.filename)
                if item.filename in oversized:
                    data = _trimmed_sheet(data, blank_strings)
                copy.writestr(item, data)
        return out.getvalue()
