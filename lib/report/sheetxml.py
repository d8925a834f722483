"""Worksheet rows of a big table as SpreadsheetML, built with polars, spliced into a workbook.

xlsxwriter spends ~6 µs per cell in Python (a ``Cell`` object per value, then one XML
element per cell at close); a 20,000-household ledger has ~1.5 million cells. Here a
table's rows are built column-wise with polars string expressions — one expression per
column gives every cell's ``<c>`` element, a horizontal concatenation gives the
``<row>`` elements — and the result is put into the sheet xlsxwriter wrote around it
(title, header, merged cells, signature lines, print setup, frozen panes, filter,
conditional formats, styles stay xlsxwriter's).

What a cell holds follows xlsxwriter's own writing (``worksheet._write_cell``,
``xmlwriter``) so the workbook reads back the same:

* numbers ``<c r s><v>…</v></c>`` (polars' shortest round-trip text of the float; NaN and
  infinities were made blank before); null → a blank cell carrying its format;
* dates and datetimes as Excel serial numbers (1900 system, with Excel's day 60);
* text as an inline string (``t="inlineStr"`` of ECMA-376, what xlsxwriter's constant_memory
  mode and Apache POI's streaming writer write; Excel turns it into shared strings when it
  saves; LibreOffice, openpyxl and calamine read it — tests/report/test_ledger_fast_path.py):
  cut to Excel's 32,767 characters, ``&<>`` escaped, XML-illegal
  control characters written as Excel's ``_xHHHH_`` escapes (and a literal ``_xHHHH_``
  protected as ``_x005F_xHHHH_``), ``xml:space="preserve"`` when it starts or ends with
  white space; an empty string is a blank cell, as in xlsxwriter.

Unlike xlsxwriter's writer, a text that reads ``<r>…</r>`` is escaped like any other text
(xlsxwriter copies such a string into the XML as a rich-text run, unescaped).
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import polars as pl

EXCEL_MAX_CHARS = 32_767
EXCEL_MAX_ROWS = 1_048_576
CHUNK_ROWS = 10_000  # rows built at a time: memory bounded by a chunk's XML, not a sheet's
# Excel 1900 date system: serial 25569 is 1970-01-01 (1899-12-30 is day 0 for serials > 60).
_UNIX_EPOCH_SERIAL = 25_568
_CONTROL = [chr(c) for c in (*range(0x00, 0x09), *range(0x0B, 0x20))]
_ESCAPES = ["&", "<", ">", *_CONTROL]
_ESCAPED = ["&amp;", "&lt;", "&gt;", *(f"_x{ord(c):04X}_" for c in _CONTROL)]
_EXCEL_ESCAPE = r"(_x[0-9a-fA-F]{4}_)"
_NEEDS_ESCAPE = "[&<>\x00-\x08\x0b-\x1f]"
_ROW = re.compile(rb'<row r="(\d+)"')
COMPRESSLEVEL = 1  # chosen by measurement (docs/benchmarks.md): level 6 costs ~2x for ~25% less


@dataclass(frozen=True)
class Column:
    """One column of a table: its values' name in the frame, its letter, and the style
    (xf) index of its plain cells, of its quote-prefixed text cells and of total rows."""

    name: str
    letter: str
    xf: int
    xf_quoted: int
    xf_total: int
    quoted: pl.Expr | None = None  # text cells carrying the quote prefix
    content: pl.Expr | None = None  # the cells' content (text_cell / number_cell) when not the column's own
    total_content: pl.Expr | None = None  # the same in total rows


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA (xlsxwriter's ``xl_col_to_name`` without importing it here)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


_CHECKS = {  # what a text column may need, found with one scan per column
    "long": lambda t: t.str.len_chars() > EXCEL_MAX_CHARS,
    "excel_escape": lambda t: t.str.contains(_EXCEL_ESCAPE),
    "escape": lambda t: t.str.contains(_NEEDS_ESCAPE),
    "preserve": lambda t: t.str.contains(r"^\s|\s$"),
}


def text_cell(values: pl.Expr, needs: frozenset[str] = frozenset(_CHECKS)) -> pl.Expr:
    """Text as a cell's content after ``<c r s``: an inline string; null when blank.
    ``needs``: the steps some cell of the column needs (``_CHECKS``); the others are skipped."""
    text = values.cast(pl.String)
    if "long" in needs:
        text = text.str.slice(0, EXCEL_MAX_CHARS)
    if "excel_escape" in needs:
        text = text.str.replace_all(_EXCEL_ESCAPE, "_x005F$1")
    if "escape" in needs:
        text = text.str.replace_many(_ESCAPES, _ESCAPED)
    opening = pl.lit(' t="inlineStr"><is><t>')
    if "preserve" in needs:  # after the escapes, as xlsxwriter decides it
        opening = pl.when(text.str.contains(r"^\s|\s$")).then(pl.lit(' t="inlineStr"><is><t xml:space="preserve">')
                                                              ).otherwise(opening)
    return pl.when(text != "").then(pl.concat_str(opening, text, pl.lit("</t></is></c>")))


def number_cell(col: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    """A number, date or datetime as a cell's content (``><v>…</v></c>``); null when blank."""
    if dtype == pl.Date:
        days = col.cast(pl.Int64) + _UNIX_EPOCH_SERIAL
        value = pl.when(days > 59).then(days + 1).otherwise(days).cast(pl.String)
    elif dtype == pl.Datetime:
        days = col.dt.epoch("us").cast(pl.Float64) / 86_400e6 + _UNIX_EPOCH_SERIAL
        value = pl.when(days > 59).then(days + 1).otherwise(days).cast(pl.String)
    elif dtype == pl.Boolean:
        value = col.cast(pl.Int8).cast(pl.String)
    else:
        value = col.cast(pl.String)
    return pl.concat_str(pl.lit("><v>"), value, pl.lit("</v></c>"))


def supported(dtype: pl.DataType) -> bool:
    return dtype.is_numeric() or dtype in (pl.String, pl.Date, pl.Datetime, pl.Boolean, pl.Null)


_ROW_NUMBER = "_行号"


def rows_xml(frame: pl.DataFrame, first_row: int, columns: Sequence[Column], totals: Sequence[int] = (),
             heights: pl.Expr | None = None) -> list[bytes]:
    """The ``<row>`` elements of ``frame`` written from 0-based ``first_row`` on, in pieces of
    at most ``CHUNK_ROWS`` rows: one cell per column of ``columns`` (every cell written,
    blank ones with their format, as the form's borders need); rows ``totals`` (0-based)
    in their total style and content; ``heights`` each row's height in points (null: default)."""
    if first_row + 1 + frame.height > EXCEL_MAX_ROWS:
        raise ValueError(f"{frame.height:,} 行超过 Excel 工作表的 {EXCEL_MAX_ROWS:,} 行上限")
    totals = sorted(set(totals))
    return [_rows_xml(frame.slice(start, CHUNK_ROWS), first_row + start, columns,
                      [t - start for t in totals if start <= t < start + CHUNK_ROWS], heights)
            for start in range(0, frame.height, CHUNK_ROWS)]


def _rows_xml(frame: pl.DataFrame, first_row: int, columns: Sequence[Column], totals: list[int],
              heights: pl.Expr | None) -> bytes:
    texts = [c.name for c in columns if c.content is None and frame.schema[c.name] in (pl.String, pl.Null)]
    found = frame.select(
        check(pl.col(c).cast(pl.String)).any().alias(f"{c}\0{what}") for c in texts for what, check in _CHECKS.items()
    ).row(0, named=True) if texts else {}
    needs = {c: frozenset(w for w in _CHECKS if found[f"{c}\0{w}"]) for c in texts}
    frame = frame.with_columns(pl.int_range(first_row + 1, first_row + 1 + frame.height, dtype=pl.Int64)
                               .cast(pl.String).alias(_ROW_NUMBER))
    number = pl.col(_ROW_NUMBER)

    def content_of(column: Column, total: bool) -> pl.Expr:
        given = column.total_content if total and column.total_content is not None else column.content
        if given is not None:
            return given
        dtype = frame.schema[column.name]
        if dtype in (pl.String, pl.Null):
            return text_cell(pl.col(column.name), needs[column.name])
        return number_cell(pl.col(column.name), dtype)

    def cell(column: Column, total: bool) -> pl.Expr:
        if total:
            xf: pl.Expr | str = str(column.xf_total)
        elif column.quoted is not None:
            xf = pl.when(column.quoted).then(pl.lit(str(column.xf_quoted))).otherwise(pl.lit(str(column.xf)))
        else:
            xf = str(column.xf)
        parts = [pl.lit(f'<c r="{column.letter}'), number]
        parts += [pl.lit(f'" s="{xf}"')] if isinstance(xf, str) else [pl.lit('" s="'), xf, pl.lit('"')]
        return pl.concat_str(*parts, content_of(column, total).fill_null(pl.lit("/>")))

    if heights is None:
        opening = pl.concat_str(pl.lit('<row r="'), number, pl.lit('">'))
    else:
        # xlsxwriter's set_row: points → whole pixels → points (``ht``), so the heights agree
        points = ((heights * 4.0 / 3.0 + 0.5).floor() * 0.75).cast(pl.String)
        opening = pl.concat_str(pl.lit('<row r="'), number, pl.when(points.is_not_null()).then(
            pl.concat_str(pl.lit('" ht="'), points, pl.lit('" customHeight="1">'))).otherwise(pl.lit('">')))

    def rows(part: pl.DataFrame, total: bool) -> pl.Series:
        # each column's cells in one select (polars runs the columns in parallel), then the rows
        cells = part.select(opening.alias("_row"), *(cell(c, total).alias(f"_{j}") for j, c in enumerate(columns)))
        return cells.select(pl.concat_str(pl.all(), pl.lit("</row>"))).to_series()

    out = rows(frame, False)
    if totals:  # the few total rows again, in their own style, put in their places
        out = out.scatter(totals, rows(frame[totals], True))
    return pl.select(out.str.join("").cast(pl.Binary)).item()


def splice(book: bytes, blocks: Mapping[str, Sequence[tuple[int, Sequence[bytes]]]], out, *,
           compresslevel: int = COMPRESSLEVEL) -> None:
    """Write the xlsx ``book`` (bytes) to ``out`` (a path or file) with each ``blocks``
    member (``xl/worksheets/sheetN.xml``) given its (0-based first row, rows XML pieces)
    blocks, each put before the first row xlsxwriter wrote below it (or at the end of the
    data); the pieces are streamed into the archive."""
    with zipfile.ZipFile(io.BytesIO(book)) as source, \
            zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=compresslevel) as target:
        for info in source.infolist():
            pieces = _spliced(source.read(info), blocks.get(info.filename, ()))
            copy = zipfile.ZipInfo(info.filename, date_time=info.date_time)
            copy.external_attr, copy.compress_type = info.external_attr, zipfile.ZIP_DEFLATED
            try:  # the level open() compresses with: public from Python 3.13, private before
                copy.compress_level = compresslevel
            except AttributeError:
                copy._compresslevel = compresslevel
            big = sum(map(len, pieces)) >= zipfile.ZIP64_LIMIT
            with target.open(copy, "w", force_zip64=big) as member:
                for piece in pieces:
                    member.write(piece)


def _spliced(sheet: bytes, blocks: Sequence[tuple[int, Sequence[bytes]]]) -> list[bytes]:
    """The pieces of ``sheet`` with each block's rows in place."""
    if not blocks:
        return [sheet]
    if b"<sheetData/>" in sheet:  # xlsxwriter wrote no row at all
        head, tail = sheet.split(b"<sheetData/>", 1)
        return [head, b"<sheetData>", *(p for _, pieces in sorted(blocks, key=lambda b: b[0]) for p in pieces),
                b"</sheetData>", tail]
    start, end = sheet.index(b"<sheetData"), sheet.index(b"</sheetData>")
    opened = sheet.index(b">", start) + 1
    data = sheet[opened:end]
    rows = [(int(m.group(1)), m.start()) for m in _ROW.finditer(data)]
    out, at = [sheet[:opened]], 0
    for first_row, pieces in sorted(blocks, key=lambda b: b[0]):
        place = next((pos for number, pos in rows if number > first_row + 1 and pos >= at), len(data))
        out += [data[at:place], *pieces]
        at = place
    out += [data[at:], sheet[end:]]
    return out


__all__ = ["CHUNK_ROWS", "Column", "EXCEL_MAX_CHARS", "EXCEL_MAX_ROWS", "column_letter", "number_cell", "rows_xml", "splice", "supported", "text_cell"]
