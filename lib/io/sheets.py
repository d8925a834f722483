"""Sheets as grids of cells, and finding a table's header in them.

A workbook's sheets, CSV files (UTF-8 or GB18030) and parquet files become ``Grid``s (every
cell as text) or ``ParquetGrid``s (typed); ``locate_table`` finds the header row among the
first rows (title rows above it are normal) and returns the body with canonical column names.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import polars as pl

from lib.catalogue import (
    SHEET_EN,
    SHEETS,
    SOURCE_ROW,
    Column,
)
from lib.codes import InputError, empty_problems, label
from lib.io.parsing import (
    match_columns,
    normalise_header,
)
from lib.io.workbook import bounded

EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".xlsb")
HEADER_SEARCH_ROWS = 30  # title rows above the header are few; a header lower than this is not searched
WHITESPACE_ONLY = r"^\s*$"  # regex \s and strip_chars() agree on every code point (both: Unicode White_Space)
DECODE_CHUNK = 1 << 24  # bytes decoded at a time when checking or converting a CSV file's encoding


# ---------------------------------------------------------------------------------------
# Grids: a sheet as rows of text, before the header is known
# ---------------------------------------------------------------------------------------


@dataclass
class Grid:
    """All cells of one sheet as text (columns c0, c1, …), top row first.

    ``first_row`` is the 1-based row number of the grid's first row as the user sees it.
    ``numeric`` tells, for given grid columns, which cells the file held as numbers (Excel
    number cells, numeric parquet columns): that is how a damaged 18-digit ID is recognised.
    """

    name: str
    cells: pl.DataFrame
    first_row: int = 1
    numeric: Callable[[Sequence[int]], pl.DataFrame] | None = None
    trimmed: bool = False  # cells already trimmed, blank ones null (CSV): no whitespace-only cell left
    hash_marks: bool = True  # False: no cell holds "#" (a CSV file without that byte), so none is an Excel error value

    def top(self, n: int) -> list[tuple]:
        return self.cells.head(n).rows()


@dataclass
class ParquetGrid:
    """A parquet table read as a sheet: its column names are row 1, its rows follow.

    The cells keep their types in ``frame``; ``cells`` (everything as text, like ``Grid``) is
    only built when asked for. ``locate_table(…, typed=True)`` takes a header in row 1 straight
    from ``frame``, so a million typed amounts are checked as numbers, never turned into text.
    """

    name: str
    frame: pl.DataFrame
    first_row: int = 1
    trimmed: bool = False

    @cached_property
    def cells(self) -> pl.DataFrame:
        # The header becomes row 1, as if the table had been saved from a sheet.
        names = _grid_column_names(self.frame.width)
        return pl.concat([
            pl.DataFrame([self.frame.columns], schema=names, orient="row"),
            self.frame.select(pl.all().cast(pl.String)).rename(dict(zip(self.frame.columns, names))),
        ])

    def top(self, n: int) -> list[tuple]:
        return [tuple(self.frame.columns), *self.frame.head(n - 1).select(pl.all().cast(pl.String)).rows()]

    def numeric(self, columns: Sequence[int]) -> pl.DataFrame:
        flags = {f"c{i}": pl.concat([pl.Series([False]), self.frame.to_series(i).is_not_null()])
                 if self.frame.dtypes[i].is_numeric() else pl.Series([False] * (self.frame.height + 1)) for i in columns}
        return pl.DataFrame(flags)


@dataclass
class Table:
    """A sheet after its header was found: canonical columns and their row numbers.

    Cells are text, except in a table taken typed from a parquet file: there, columns of
    numbers, yes/no or dates keep their type (the parsers read them as the text polars
    writes for them); IDs and text are text.
    """

    sheet: str
    cells: pl.DataFrame  # canonical column names, plus SOURCE_ROW
    header_row: int
    numeric: pl.DataFrame | None  # Boolean per ID column present: cell held as a number
    notes: pl.DataFrame = field(default_factory=empty_problems)  # header findings
    hash_marks: bool = True  # False: no cell holds "#" (see Grid)


def _grid_column_names(n: int) -> list[str]:
    return [f"c{i}" for i in range(n)]


# Excel's error values as calamine names them, and as a sheet shows them.
EXCEL_ERRORS = {
    "NA": "#N/A", "Value": "#VALUE!", "Div0": "#DIV/0!", "Ref": "#REF!", "Name": "#NAME?",
    "Num": "#NUM!", "Null": "#NULL!", "GettingData": "#GETTING_DATA",
}
_CALAMINE_ERROR = re.compile(r"Error\((\w+)\)")
_OLE_MAGIC = bytes.fromhex("d0cf11e0a1b11ae1")  # an encrypted .xlsx is an OLE container, not a zip


def _encrypted(path: Path) -> bool:
    """True for a workbook saved with an open password (Excel and WPS encrypt it into an OLE
    container holding an EncryptionInfo stream)."""
    with path.open("rb") as f:
        head = f.read(1 << 16)
    return head.startswith(_OLE_MAGIC) and "EncryptionInfo".encode("utf-16-le") in head


def _with_error_values(batch, errors) -> pl.DataFrame:
    """The sheet's cells as text, with each Excel error cell shown as its error value (#N/A …):
    calamine reads them as empty, which would make a broken formula an amount of 0."""
    cells = pl.DataFrame(batch)
    by_column: dict[int, list[tuple[int, str]]] = {}
    for error in errors.errors:
        found = _CALAMINE_ERROR.search(error.detail)
        shown = EXCEL_ERRORS.get(found.group(1), f"#{found.group(1).upper()}") if found else "#ERROR"
        row, column = error.position
        by_column.setdefault(column, []).append((row, shown))
    for column, hits in by_column.items():
        rows, values = zip(*hits)
        series = cells.to_series(column).scatter(list(rows), list(values))
        cells.replace_column(column, series)
    return cells


def excel_grids(path: Path) -> dict[str, Callable[[], Grid]]:
    import fastexcel

    try:
        book = fastexcel.read_excel(bounded(path))
        names = book.sheet_names
    except Exception as exc:  # calamine raises several kinds; all mean "not a workbook we can read"
        if _encrypted(path) or "password" in str(exc).lower():
            raise InputError(
                f"工作簿「{path.name}」已加密（设有打开密码），程序无法读取：请在 Excel 或 WPS 中用密码打开，"
                "在“文件 → 信息 → 保护工作簿 → 用密码进行加密”（WPS：“文件 → 文档加密 → 密码加密”）中清空密码，"
                "另存为 .xlsx 后再运行"
            ) from None
        raise InputError(f"无法读取文件「{path.name}」：不是有效的 Excel 工作簿（{type(exc).__name__}）") from None

    def load(name: str) -> Grid:
        # Trailing blank rows are skipped while reading: a sheet formatted down to row 1,048,576
        # costs what its real rows cost.
        options = dict(header_row=None, skip_rows=0, whitespace_as_null=True, skip_whitespace_tail_rows=True)
        batch, errors = book.load_sheet(name, dtypes="string", **options).to_arrow_with_errors()
        cells = _with_error_values(batch, errors) if errors is not None and errors.errors else pl.DataFrame(batch)
        cells.columns = _grid_column_names(cells.width)

        def numeric(columns: Sequence[int]) -> pl.DataFrame:
            # Loading as boolean keeps number and boolean cells and nulls text cells. Only the ID
            # columns asked for are loaded again, not the whole sheet a second time.
            wanted = sorted(set(columns))
            flags = pl.DataFrame(book.load_sheet(name, dtypes="boolean", use_columns=wanted, **options))
            flags = flags.head(cells.height)
            flags.columns = [f"c{i}" for i in wanted]
            pad = cells.height - flags.height  # trailing rows with no ID cell at all
            flags = flags.select(pl.col(f"c{i}").is_not_null() for i in columns)
            return pl.concat([flags, pl.DataFrame({c: [False] * pad for c in flags.columns})]) if pad > 0 else flags

        return Grid(name, cells, 1, numeric)

    return {name: (lambda name=name: load(name)) for name in names}


def _utf8_bytes(path: Path) -> bytes:
    """The file's text as UTF-8 bytes without BOM (converted from GB18030 when it is not UTF-8)."""
    data = path.read_bytes()
    body = data[len(codecs.BOM_UTF8):] if data.startswith(codecs.BOM_UTF8) else data
    if _is_utf8(body):  # checked in polars (a tenth of the time of Python's decoder), not decoded
        return body
    del body
    # Excel on Chinese Windows saves CSV as GBK ⊂ GB18030: converted a chunk at a time, so a big
    # file is never held as one Python str.
    view = memoryview(data)
    decoder = codecs.getincrementaldecoder("gb18030")()
    converted = []
    try:
        for start in range(0, len(data), DECODE_CHUNK):
            converted.append(decoder.decode(view[start:start + DECODE_CHUNK]).encode("utf-8"))
        converted.append(decoder.decode(b"", final=True).encode("utf-8"))
    except UnicodeDecodeError:
        raise InputError(f"无法读取文件「{path.name}」：编码既不是 UTF-8 也不是 GBK/GB18030") from None
    return b"".join(converted)


def _is_utf8(data: bytes) -> bool:
    """Whether ``data`` is valid UTF-8 (what Python's utf-8 codec accepts: no surrogates or overlong forms)."""
    try:
        pl.Series([data], dtype=pl.Binary).cast(pl.String)
    except (pl.exceptions.ComputeError, pl.exceptions.InvalidOperationError):
        return False
    return True


# What can put whitespace at the edge of a CSV cell, or leave an empty text in one (polars reads
# an empty unquoted field as null): ASCII whitespace but the line break, a lone carriage return,
# a quote (a quoted cell may hold "" or line breaks), and the non-ASCII White_Space characters
# (U+0085, U+00A0, U+1680, U+2000–U+200A, U+2028, U+2029, U+202F, U+205F, U+3000), found by the
# UTF-8 bytes they start with: each pattern has a literal first byte, which keeps the search fast.
_ASCII_SPACES = (b" ", b"\t", b"\x0b", b"\x0c")
_UNICODE_SPACES = tuple(re.compile(p) for p in (
    rb"\xc2[\x85\xa0]", rb"\xe1\x9a\x80", rb"\xe2(?:\x80[\x80-\x8a\xa8\xa9\xaf]|\x81\x9f)", rb"\xe3\x80\x80",
))


def may_need_trimming(data: bytes) -> bool:
    """False when no cell of the CSV ``data`` can start or end with whitespace or be an empty text,
    so that its columns need no trimming (one scan of the bytes instead of one per column).

    Conservative: True whenever a quote, a carriage return outside CRLF or a non-ASCII space is
    in the file at all; an ASCII space or tab is looked for next to a comma or a line break."""
    if b'"' in data:
        return True
    if b"\r" in data and data.count(b"\r") != data.count(b"\r\n"):
        return True  # polars drops the \r of a CRLF line end; any other \r stays in a cell
    for space in _ASCII_SPACES:
        if space in data and (
            data.startswith(space) or b"," + space in data or b"\n" + space in data
            or re.search(re.escape(space) + rb"(?:,|\r|\n|\Z)", data) is not None
        ):
            return True
    return any(pattern.search(data) is not None for pattern in _UNICODE_SPACES)


def _first_lines(data: bytes, count: int) -> list[str]:
    """``text.splitlines()[:count]`` of UTF-8 ``data``, decoding only as much as needed."""
    size = 1 << 16
    while True:
        lines = data[:size].decode("utf-8", errors="ignore").splitlines()  # errors: a character cut at the end
        if len(lines) > count or size >= len(data):
            return lines[:count]
        size *= 4


def csv_grid(path: Path, sheet: str) -> Grid:
    data = _utf8_bytes(path)
    # polars takes the width of the first line it parses, so start at the first of the widest
    # top lines: a short title line ("南岗村脱贫户收入排查表") is skipped, a padded one is kept.
    head = list(csv.reader(io.StringIO("\n".join(_first_lines(data, HEADER_SEARCH_ROWS)))))
    widths = [len(row) for row in head]
    skip = widths.index(max(widths)) if widths else 0
    try:
        cells = pl.read_csv(
            data, has_header=False, skip_lines=skip, infer_schema=False,
            truncate_ragged_lines=True, raise_if_empty=False,
        )
    except pl.exceptions.PolarsError as exc:
        raise InputError(f"无法读取文件「{path.name}」（工作表「{sheet}」）：不是有效的 CSV 文件（{exc}）") from None
    needs_trimming, hash_marks = may_need_trimming(data), b"#" in data
    del data
    cells = _single_chunks(cells)
    cells.columns = _grid_column_names(cells.width)
    if needs_trimming:
        for i, column in enumerate(cells.iter_columns()):
            cells.replace_column(i, _trimmed(column))
    return Grid(sheet, cells, skip + 1, trimmed=True, hash_marks=hash_marks)


def _trimmed(cells: pl.Series) -> pl.Series:
    """Cells without surrounding spaces, empty ones null; a column that needs neither is kept as it is."""
    if cells.str.contains(r"^\s|\s$").any():  # \s: what strip_chars() strips (see WHITESPACE_ONLY)
        cells = cells.str.strip_chars()
    return cells.replace("", None) if (cells == "").any() else cells


def _parquet_grid(path: Path, sheet: str) -> ParquetGrid:
    try:
        frame = pl.read_parquet(path)
    except Exception as exc:  # pyarrow/polars raise various errors for a file that is not parquet
        raise InputError(f"无法读取文件「{path.name}」（工作表「{sheet}」）：不是有效的 parquet 文件（{type(exc).__name__}）") from None
    return ParquetGrid(sheet, _single_chunks(frame))


def _single_chunks(frame: pl.DataFrame) -> pl.DataFrame:
    """Each column in one piece. A file comes in pieces (parquet row groups, CSV blocks), and the
    first select over several columns would copy the whole table to line them up; here one
    column is copied at a time and its pieces are freed at once."""
    for i, series in enumerate(frame.iter_columns()):
        if series.n_chunks() > 1:
            frame.replace_column(i, series.rechunk())
    return frame


def sheet_key(name: str) -> str:
    return normalise_header(name).lower()


def folder_grids(folder: Path) -> dict[str, Callable[[], Grid | ParquetGrid]]:
    """Files named after the sheets (户信息.csv / households.parquet …); CSV wins over parquet."""
    wanted = {sheet_key(s): s for s in SHEETS} | {SHEET_EN[s]: s for s in SHEETS}
    found: dict[str, Callable[[], Grid | ParquetGrid]] = {}
    for suffix, loader in ((".parquet", _parquet_grid), (".csv", None)):
        for file in sorted(folder.glob(f"*{suffix}")):
            sheet = wanted.get(sheet_key(file.stem))
            if sheet is None:
                continue
            if loader is None:
                found[sheet] = lambda file=file, sheet=sheet: csv_grid(file, sheet)
            else:
                found[sheet] = lambda file=file, sheet=sheet: _parquet_grid(file, sheet)
    return found


# ---------------------------------------------------------------------------------------
# Header
# ---------------------------------------------------------------------------------------


def _best_header(rows: Sequence[Sequence[object]], columns: Sequence[Column]) -> int | None:
    """Index of the row that matches most catalogue columns (at least two); first one wins ties."""
    best, best_count = None, 1
    for i, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        count = len(match_columns([c for c in row if c is not None], columns))
        if count > best_count:
            best, best_count = i, count
    return best


def _matches(row: Sequence[object], columns: Sequence[Column]) -> int:
    return len(match_columns([c for c in row if c is not None], columns))


def _two_rows(group: Sequence[object], sub: Sequence[object], columns: Sequence[Column]) -> list[object]:
    """One header from a grouped two-row header: a merged group cell (工资性收入 over 务工收入 /
    公益岗位收入) shows only in its first column, a cell merged over both rows (户编号) only in
    the upper row. Each column takes its lower cell, else its upper one; a lower cell that means
    nothing alone is tried with its group before it (工资性收入 + 合计)."""
    combined, current_group = [], None
    for upper, lower in zip(group, sub):
        current_group = upper if upper is not None else current_group
        if lower is None:
            combined.append(upper)
        elif _matches([lower], columns) or current_group is None:
            combined.append(lower)
        else:
            joined = f"{current_group}{lower}"
            combined.append(joined if _matches([joined], columns) else lower)
    return combined


def _header_rows(top: list[tuple], index: int, columns: Sequence[Column]) -> tuple[int, int, list[object]]:
    """(first, last, cells) of the header around the best single row ``index``: two rows when
    combining it with its neighbour matches more columns than the row alone."""
    best = (index, index, list(top[index]))
    best_count = _matches(top[index], columns)
    for first in (index - 1, index):
        if first < 0 or first + 1 >= len(top):
            continue
        cells = _two_rows(top[first], top[first + 1], columns)
        count = _matches(cells, columns)
        if count > best_count:
            best, best_count = (first, first + 1, cells), count
    return best


def _looks_two_rows(top: list[tuple], first: int, last: int, columns: Sequence[Column]) -> int | None:
    """The neighbour row (index) that also holds column names, when the header is one row."""
    for neighbour in (first - 1, last + 1):
        if first == last and 0 <= neighbour < len(top) and _matches(top[neighbour], columns):
            return neighbour
    return None


def locate_table(grid: Grid | ParquetGrid, columns: Sequence[Column], sheet: str | None = None,
                 typed: bool = False) -> Table:
    """Find the header row and return the body with canonical column names.

    With ``typed``, a parquet table whose header is its column names keeps the types of its
    number, yes/no and date columns (see ``Table``); otherwise every cell is text.
    """
    sheet = sheet or grid.name
    top = grid.top(HEADER_SEARCH_ROWS)
    index = _best_header(top, columns)
    if index is None:
        names = "、".join(c.name for c in columns if c.required)
        raise InputError(
            f"工作表「{sheet}」：前 {HEADER_SEARCH_ROWS} 行中找不到表头（表头应包含 {names} 等列名）"
        )
    first, index, header = _header_rows(top, index, columns)  # index: the header's last row
    header_row = grid.first_row + first
    positions: dict[str, int] = {}
    notes = []
    matched = match_columns([h for h in header if h is not None], columns)
    for position, raw in enumerate(header):
        if raw is None:
            continue
        name = matched.get(raw)
        if name is not None and name not in positions:
            positions[name] = position
        else:
            code = "W203" if name is not None or raw in matched else "W202"
            notes.append((sheet, header_row, str(raw), str(raw), code,
                          f"工作表「{sheet}」第{header_row}行：列「{raw}」{label(code)}"))
    missing = [c for c in columns if c.required and c.name not in positions]
    if missing:
        c = missing[0]
        accepted = "、".join(dict.fromkeys((c.name, c.en, *c.aliases)))
        shown_rows = f"第{header_row}行" if first == index else f"第{header_row}–{grid.first_row + index}行（两行表头）"
        neighbour = _looks_two_rows(top, first, index, columns)
        hint = ""
        if neighbour is not None:
            rows = sorted((header_row, grid.first_row + neighbour))
            hint = (f"；第{rows[0]}–{rows[1]}行像是两行表头（合并单元格），无法自动合并："
                    "请把两行合成一行表头（每列一个列名）后重试")
        raise InputError(
            f"工作表「{sheet}」缺少必填列「{c.name}」（表头在{shown_rows}；可用的列名：{accepted}）{hint}"
        )
    if typed and isinstance(grid, ParquetGrid) and index == 0:
        body = [_typed_cells(grid.frame.to_series(p), _column(columns, name)) for name, p in positions.items()]
    else:
        body = [grid.cells.get_column(f"c{p}").slice(index + 1) for p in positions.values()]
    if not grid.trimmed:
        body = [_blank_if_spaces(series) for series in body]
    cells = pl.DataFrame([series.alias(name) for name, series in zip(positions, body)]).with_columns(
        pl.int_range(pl.len(), dtype=pl.Int64).add(grid.first_row + index + 1).alias(SOURCE_ROW))
    id_columns = [name for name in positions if _column(columns, name).dtype == "id"]
    numeric = None
    if grid.numeric is not None and id_columns:
        # Only a cell with more than 15 digits can have been damaged by a number format.
        long_digits = cells.select(
            pl.any_horizontal(pl.col(n).str.contains(r"^\d{16,}$").any() for n in id_columns)
        ).item()
        if long_digits:
            flags = grid.numeric([positions[n] for n in id_columns]).slice(index + 1)
            numeric = flags.rename(dict(zip(flags.columns, id_columns)))
    return Table(sheet, cells, header_row, numeric, pl.DataFrame(notes, schema=empty_problems().schema, orient="row"),
                 hash_marks=getattr(grid, "hash_marks", True))


def _typed_cells(series: pl.Series, column: Column) -> pl.Series:
    """A parquet column as the parsers take it: IDs, text and choices as text (as a sheet shows
    them); numbers, yes/no and dates in their own type; anything else as text."""
    keeps_type = series.dtype.is_numeric() or series.dtype in (pl.Boolean, pl.Date)
    return series if keeps_type and column.dtype not in ("id", "text", "choice") else series.cast(pl.String)


def _blank_if_spaces(cells: pl.Series) -> pl.Series:
    """Whitespace-only text cells are blank (Unicode spaces, full-width ones too)."""
    if cells.dtype != pl.String or not cells.str.contains(WHITESPACE_ONLY).any():
        return cells
    cell = pl.col(cells.name)
    return cells.to_frame().select(pl.when(~cell.str.contains(WHITESPACE_ONLY)).then(cell)).to_series()


def _column(columns: Sequence[Column], name: str) -> Column:
    return next(c for c in columns if c.name == name)


