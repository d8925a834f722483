"""Reading the input: an .xlsx workbook, a folder of CSV files, or a folder of parquet files.

``read_input(path)`` returns the canonical frames of docs/contract.md §1. The sheets people
actually send carry title rows above the header, 合计 rows below the data, IDs that Excel
turned into numbers, and cells such as “1,200元” or “不详”. The reader

- finds the header row itself (the row among the first rows that matches most catalogue
  columns) and counts rows as Excel shows them (1-based, title and header rows included);
- parses every column with the vectorised parsers of ``lib.io.parsing``;
- never drops a row silently: a row it does not use goes to ``rejects`` with a stable code
  and a Chinese sentence naming sheet, row and column (only entirely blank rows are skipped,
  and those are not counted in ``rows_read``); a row used but doubtful goes to ``findings``;
- raises ``InputError`` for input it cannot use at all (not a workbook, a missing sheet or
  required column, fewer than two years).

Invariant: ``rows_read[sheet] == used rows + rejected rows`` for each sheet; ``rejects``
holds exactly one line per rejected row (its first problem in 列/值/代码, all problems in 原因).

A workbook without 户信息 that looks like a person-level export of the national monitoring
system is handed to ``lib.io.system_export``.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import polars as pl

from lib.catalogue import (
    ID as HOUSEHOLD_ID,
    MEMBERS,
    YEAR,
    MEASURE_BY_CODE,
    MEASURES,
    SHEET_EN,
    SHEET_HOUSEHOLDS,
    SHEET_INCOME,
    SHEET_MEASURES,
    SHEETS,
    SOURCE_ROW,
    Column,
)
from lib.io.parsing import (
    match_columns,
    normalise_header,
    null_column,
    parse_amount_column,
    parse_bool_column,
    parse_choice_column,
    parse_count_column,
    parse_date_column,
    parse_id_column,
    parse_months_column,
    parse_resident_id_column,
    parse_text_column,
    parse_year_column,
    stored_as_number_reason,
)

EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".xlsb")
HEADER_SEARCH_ROWS = 30  # title rows above the header are few; a header lower than this is not searched
TOTAL_ROW = r"^\s*(合\s*计|小\s*计|总\s*计|共\s*计)"
WHITESPACE_ONLY = r"^\s*$"  # regex \s and strip_chars() agree on every code point (both: Unicode White_Space)
DECODE_CHUNK = 1 << 24  # bytes decoded at a time when checking or converting a CSV file's encoding
RESIDENT_ID = "证件号码"

# Stable codes: one rule, one code, one Chinese label (the reason sentence adds the detail).
CODES = {
    "E101": "缺少必填值",
    "E102": "数字无法识别",
    "E103": "年度无效",
    "E104": "家庭人口数小于1",
    "E105": "不是可选值",
    "E106": "户编号重复",
    "E107": "同一户同一年度重复",
    "E108": "合计/小计行",
    "E109": "编号被存为数字或已损坏",
    "E110": "日期无效",
    "E111": "是/否无法识别",
    "E112": "同户其他行有误",
    "E113": "收入分项之和大于合计",
    "W201": "证件号码有误",
    "W202": "未识别的列，已忽略",
    "W203": "重复的列，已忽略",
    "W204": "没有户主行",
    "W205": "人均纯收入与分项不符",
    "W206": "固定值无法识别，已留空",
}
_DTYPE_CODE = {
    "id": "E109", "int": "E102", "money": "E102", "months": "E102",
    "year": "E103", "choice": "E105", "date": "E110", "bool": "E111",
}
# Canonical values given to blank cells (contract §1); other blanks stay null.
BLANK_DEFAULTS = {"重度残疾人数": 0, "重病人数": 0, "状态": "计划"}
OUTPUT_DTYPES = {"id": pl.String, "text": pl.String, "choice": pl.String, "int": pl.Int64, "money": pl.Float64,
                 "months": pl.Float64, "bool": pl.Boolean, "year": pl.Int64, "date": pl.Date}
# Parser per column type; blank income amounts are 0 (contract §1), blank yes/no is 否.
PARSERS = {
    "id": parse_id_column,
    "text": parse_text_column,
    "int": parse_count_column,
    "money": parse_amount_column,
    "months": parse_months_column,
    "bool": parse_bool_column,
    "year": parse_year_column,
    "date": parse_date_column,
}
MIN_MEMBERS = 1
LEAD_UNIT = "牵头单位"
MEASURE_TYPE = "措施类型"
KEYS = {SHEET_HOUSEHOLDS: (HOUSEHOLD_ID,), SHEET_INCOME: (HOUSEHOLD_ID, YEAR)}
DUPLICATE_CODE = {SHEET_HOUSEHOLDS: "E106", SHEET_INCOME: "E107"}


class InputError(ValueError):
    """Input that cannot be used at all; the message (Chinese) names the sheet and column."""


@dataclass(frozen=True)
class InputData:
    households: pl.DataFrame
    income: pl.DataFrame
    measures: pl.DataFrame
    rejects: pl.DataFrame
    findings: pl.DataFrame
    rows_read: dict[str, int]
    source: str


def empty_problems() -> pl.DataFrame:
    return pl.DataFrame(schema={"工作表": pl.String, "行号": pl.Int64, "列": pl.String, "值": pl.String,
                                "代码": pl.String, "原因": pl.String})


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


def _grid_column_names(n: int) -> list[str]:
    return [f"c{i}" for i in range(n)]


def _excel_grids(path: Path) -> dict[str, Callable[[], Grid]]:
    import fastexcel

    try:
        book = fastexcel.read_excel(str(path))
        names = book.sheet_names
    except Exception as exc:  # calamine raises several kinds; all mean "not a workbook we can read"
        raise InputError(f"无法读取文件「{path.name}」：不是有效的 Excel 工作簿（{type(exc).__name__}）") from None

    def load(name: str) -> Grid:
        sheet = book.load_sheet(name, header_row=None, skip_rows=0, dtypes="string", whitespace_as_null=True)
        cells = pl.DataFrame(sheet)
        cells.columns = _grid_column_names(cells.width)

        def numeric(columns: Sequence[int]) -> pl.DataFrame:
            # Loading as boolean keeps number and boolean cells and nulls text cells.
            flags = pl.DataFrame(book.load_sheet(name, header_row=None, skip_rows=0, dtypes="boolean"))
            flags.columns = _grid_column_names(flags.width)
            return flags.select(pl.col(f"c{i}").is_not_null() for i in columns)

        return Grid(name, cells, 1, numeric)

    return {name: (lambda name=name: load(name)) for name in names}


def _utf8_bytes(path: Path) -> bytes:
    """The file's text as UTF-8 bytes without BOM (converted from GB18030 when it is not UTF-8)."""
    data = path.read_bytes()
    view = memoryview(data)
    for encoding in ("utf-8-sig", "gb18030"):  # Excel on Chinese Windows saves CSV as GBK ⊂ GB18030
        # Decoded a chunk at a time, so a big file is never held as one Python str; UTF-8 is only
        # checked (polars reads the bytes), GB18030 is converted.
        decoder = codecs.getincrementaldecoder(encoding)()
        converted = []
        try:
            for start in range(0, len(data), DECODE_CHUNK):
                text = decoder.decode(view[start:start + DECODE_CHUNK])
                if encoding != "utf-8-sig":
                    converted.append(text.encode("utf-8"))
            text = decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        if encoding == "utf-8-sig":
            return data[len(codecs.BOM_UTF8):] if data.startswith(codecs.BOM_UTF8) else data
        return b"".join([*converted, text.encode("utf-8")])
    raise InputError(f"无法读取文件「{path.name}」：编码既不是 UTF-8 也不是 GBK/GB18030")


def _first_lines(data: bytes, count: int) -> list[str]:
    """``text.splitlines()[:count]`` of UTF-8 ``data``, decoding only as much as needed."""
    size = 1 << 16
    while True:
        lines = data[:size].decode("utf-8", errors="ignore").splitlines()  # errors: a character cut at the end
        if len(lines) > count or size >= len(data):
            return lines[:count]
        size *= 4


def _csv_grid(path: Path, sheet: str) -> Grid:
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
    del data
    cells = _single_chunks(cells)
    cells.columns = _grid_column_names(cells.width)
    for i, column in enumerate(cells.iter_columns()):
        cells.replace_column(i, _trimmed(column))
    return Grid(sheet, cells, skip + 1, trimmed=True)


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


def _sheet_key(name: str) -> str:
    return normalise_header(name).lower()


def _folder_grids(folder: Path) -> dict[str, Callable[[], Grid | ParquetGrid]]:
    """Files named after the sheets (户信息.csv / households.parquet …); CSV wins over parquet."""
    wanted = {_sheet_key(s): s for s in SHEETS} | {SHEET_EN[s]: s for s in SHEETS}
    found: dict[str, Callable[[], Grid | ParquetGrid]] = {}
    for suffix, loader in ((".parquet", _parquet_grid), (".csv", None)):
        for file in sorted(folder.glob(f"*{suffix}")):
            sheet = wanted.get(_sheet_key(file.stem))
            if sheet is None:
                continue
            if loader is None:
                found[sheet] = lambda file=file, sheet=sheet: _csv_grid(file, sheet)
            else:
                found[sheet] = lambda file=file, sheet=sheet: _parquet_grid(file, sheet)
    return found


def every_file_grids(folder: Path) -> dict[str, Callable[[], Grid | ParquetGrid]]:
    """Every CSV file and every sheet of every workbook in a folder (for system exports, one per year)."""
    found: dict[str, Callable[[], Grid | ParquetGrid]] = {}
    for file in sorted(folder.iterdir()):
        suffix = file.suffix.lower()
        if file.name.startswith((".", "~$")):  # hidden files and Excel's lock files
            continue
        if suffix == ".csv":
            found[file.stem] = lambda file=file: _csv_grid(file, file.stem)
        elif suffix in EXCEL_SUFFIXES:
            for sheet, load in _excel_grids(file).items():
                found[f"{file.stem}·{sheet}"] = load
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
    header = list(top[index])
    header_row = grid.first_row + index
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
                          f"工作表「{sheet}」第{header_row}行：列「{raw}」{CODES[code]}"))
    missing = [c for c in columns if c.required and c.name not in positions]
    if missing:
        c = missing[0]
        accepted = "、".join(dict.fromkeys((c.name, c.en, *c.aliases)))
        raise InputError(
            f"工作表「{sheet}」缺少必填列「{c.name}」（表头在第{header_row}行；可用的列名：{accepted}）"
        )
    if typed and isinstance(grid, ParquetGrid) and index == 0:
        body = [_typed_cells(grid.frame.to_series(p), _column(columns, name)) for name, p in positions.items()]
    else:
        body = [grid.cells.get_column(f"c{p}").slice(index + 1) for p in positions.values()]
    if not grid.trimmed:
        body = [_blank_if_spaces(series) for series in body]
    cells = pl.DataFrame([series.alias(name) for name, series in zip(positions, body)]).with_columns(
        pl.int_range(pl.len(), dtype=pl.Int64).add(header_row + 1).alias(SOURCE_ROW))
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
    return Table(sheet, cells, header_row, numeric, pl.DataFrame(notes, schema=empty_problems().schema, orient="row"))


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


# ---------------------------------------------------------------------------------------
# Row checks
# ---------------------------------------------------------------------------------------


def _measure_type_spellings() -> dict[str, str]:
    spellings = {}
    for m in MEASURES:
        for key in (m.code, m.code.lower(), m.name, m.code + m.name, m.code.lower() + m.name):
            spellings[key] = m.code
    return spellings


def parse_cells(column: Column, raw: pl.Series, numeric: pl.Series | None = None) -> pl.DataFrame:
    """value, reason (reject) and finding columns for one canonical column's raw text."""
    if column.dtype == "choice":
        measure = column.name == MEASURE_TYPE
        spellings = _measure_type_spellings() if measure else {c: c for c in column.choices}
        allowed = [f"{m.code} {m.name}" for m in MEASURES] if measure else column.choices
        out = parse_choice_column(raw, spellings, allowed)
    elif column.dtype == "id" and column.name == RESIDENT_ID:
        out = parse_resident_id_column(raw).rename({"damage": "reason"})
    else:
        out = PARSERS[column.dtype](raw)
    if "finding" not in out.columns:
        out = out.with_columns(pl.lit(None, dtype=pl.String).alias("finding"))
    if numeric is not None and numeric.any():  # no cell held as a number: nothing to add
        out = out.with_columns(pl.coalesce(stored_as_number_reason(out["value"], numeric), pl.col("reason")).alias("reason"))
    blank = raw.is_null()  # locate_table made whitespace-only cells null
    value, reason = pl.col("value"), pl.col("reason")
    if column.name in BLANK_DEFAULTS:
        value = pl.when(blank).then(pl.lit(BLANK_DEFAULTS[column.name])).otherwise(value)
    if column.required:
        reason = pl.coalesce(reason, pl.when(pl.col("value").is_null()).then(pl.lit("缺少必填值")))
    if column.name == MEMBERS:
        reason = pl.coalesce(reason, pl.when(pl.col("value") < MIN_MEMBERS).then(pl.lit(f"家庭人口数应不小于{MIN_MEMBERS}")))
    return out.select(value.cast(OUTPUT_DTYPES[column.dtype]).alias("value"), reason.cast(pl.String).alias("reason"), "finding")


def _reason_code(column: Column, reason: pl.Expr) -> pl.Expr:
    return (
        pl.when(reason == "缺少必填值").then(pl.lit("E101"))
        .when(reason.str.starts_with("家庭人口数应不小于")).then(pl.lit("E104"))
        .otherwise(pl.lit(_DTYPE_CODE.get(column.dtype, "E102")))
    )


def _describe(sheet: str) -> Callable[[pl.Expr, pl.Expr, pl.Expr], pl.Expr]:
    def sentence(column: pl.Expr, value: pl.Expr, reason: pl.Expr) -> pl.Expr:
        shown = pl.when(value.is_null()).then(pl.lit("为空")).otherwise(pl.concat_str(pl.lit("填写为“"), value, pl.lit("”")))
        return pl.concat_str(pl.lit("「"), column, pl.lit("」"), shown, pl.lit("："), reason)

    return sentence


def check_table(table: Table, columns: Sequence[Column]) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, int]:
    """Parse and check one table: (used rows, rejects, findings, rows read).

    Columns are parsed one by one; the problem lines are built only from the rows that have a
    problem, so a clean million-row sheet costs little more than its parsing.
    """
    sheet = table.sheet
    names = [c.name for c in columns if c.name in table.cells.columns]
    cells = table.cells
    if table.numeric is not None:
        cells = cells.with_columns(table.numeric.rename(lambda n: f"__numeric_{n}"))
    blank = cells.select(pl.all_horizontal(pl.col(n).is_null() for n in names)).to_series()
    if blank.any():
        cells = cells.filter(~blank)
    rows_read = cells.height

    values: dict[str, pl.Series] = {}
    reasons: dict[str, pl.Series] = {}  # (reject) only for columns with at least one
    notes: dict[str, pl.Series] = {}  # findings, likewise
    for column in columns:
        raw = cells[column.name] if column.name in names else null_column(column.name, cells.height)
        numeric = cells[f"__numeric_{column.name}"] if f"__numeric_{column.name}" in cells.columns else None
        out = parse_cells(column, raw, numeric)
        values[column.name] = out["value"].alias(column.name)
        if out["reason"].null_count() < out.height:
            reasons[column.name] = out["reason"]
        if out["finding"].null_count() < out.height:
            notes[column.name] = out["finding"]
    # 合计 is written in a label column (户编号, 村 …), never in an amount
    labels = [c.name for c in columns if c.name in names and c.dtype in ("id", "text")]
    is_total = pl.any_horizontal(pl.col(n).str.contains(TOTAL_ROW).fill_null(False) for n in labels) if labels else pl.lit(False)
    total = cells.select(is_total.alias("__total")).to_series()
    has_problem = total
    for reason in reasons.values():
        has_problem = has_problem | reason.is_not_null()
    # The rows with a problem, with their cells as the user typed them (typed cells as text).
    checked = pl.DataFrame([
        cells[SOURCE_ROW], total,
        *(r.alias(f"__reason_{n}") for n, r in reasons.items()),
        *(cells[n].alias(f"__raw_{n}") for n in names),
    ]).filter(has_problem).with_columns(pl.col(f"__raw_{n}").cast(pl.String) for n in names)

    # One problem per (row, column), in column order; a 合计 row reports only that it is one.
    problems = []
    for order, column in enumerate(columns):
        if column.name not in reasons:
            continue
        reason = pl.col(f"__reason_{column.name}")
        raw = pl.col(f"__raw_{column.name}") if column.name in names else pl.lit(None, dtype=pl.String)
        found = checked.filter(reason.is_not_null() & ~pl.col("__total")).select(
            pl.col(SOURCE_ROW).alias("行号"),
            pl.lit(order).alias("__order"),
            pl.lit(column.name).alias("列"),
            raw.alias("值"),
            _reason_code(column, reason).alias("代码"),
            _describe(sheet)(pl.lit(column.name), raw, reason).alias("原因"),
        )
        problems.append(found)
    total_rows = checked.filter(pl.col("__total")).select(
        pl.col(SOURCE_ROW).alias("行号"),
        pl.lit(-1).alias("__order"),
        pl.lit(names[0] if names else "").alias("列"),
        # the cell that says 合计, not the whole row of sums
        pl.coalesce(
            [pl.when(pl.col(f"__raw_{n}").str.contains(TOTAL_ROW)).then(pl.col(f"__raw_{n}")) for n in labels if n in names]
            or [pl.lit(None, dtype=pl.String)]
        ).alias("值"),
        pl.lit("E108").alias("代码"),
        pl.lit("合计/小计行，不是农户，未使用").alias("原因"),
    )
    problems.append(total_rows)
    problems_frame = pl.concat(problems)

    # Duplicate keys among rows otherwise fine: the first stays, later ones are rejected.
    keys = KEYS.get(sheet, ())
    if keys:
        clean_rows = pl.DataFrame([cells[SOURCE_ROW], *(values[k] for k in keys)])
        if has_problem.any():
            clean_rows = clean_rows.filter(~has_problem)
        # Rows whose key hash repeats hold every repeated key (and, rarely, a hash collision, which
        # the grouping below sorts out); there are usually none, so the full grouping is skipped.
        repeated = clean_rows.filter(clean_rows.select(keys).hash_rows().is_duplicated())
        first = repeated.group_by(keys, maintain_order=True).agg(pl.col(SOURCE_ROW).first().alias("__first"))
        dup = repeated.join(first, on=list(keys)).filter(pl.col(SOURCE_ROW) != pl.col("__first"))
        key_text = pl.concat_str([pl.col(k).cast(pl.String) for k in keys], separator="、")
        problems_frame = pl.concat([
            problems_frame,
            dup.select(
                pl.col(SOURCE_ROW).alias("行号"),
                pl.lit(len(columns)).alias("__order"),
                pl.lit("、".join(keys)).alias("列"),
                key_text.alias("值"),
                pl.lit(DUPLICATE_CODE[sheet]).alias("代码"),
                pl.concat_str(pl.lit(f"「{'、'.join(keys)}」“"), key_text,
                              pl.lit("”与第"), pl.col("__first").cast(pl.String), pl.lit("行重复，本行未使用")).alias("原因"),
            ),
        ])

    rejects = (
        problems_frame.sort("行号", "__order")
        .group_by("行号", maintain_order=True)
        .agg(pl.col("列").first(), pl.col("值").first(), pl.col("代码").first(), pl.col("原因").str.join("；"))
        .select(
            pl.lit(sheet).alias("工作表"), "行号", "列", "值", "代码",
            pl.concat_str(pl.lit(f"工作表「{sheet}」第"), pl.col("行号").cast(pl.String), pl.lit("行："), pl.col("原因")).alias("原因"),
        )
    )
    used = ~cells[SOURCE_ROW].is_in(rejects["行号"].implode())

    findings = [table.notes]
    for column in columns:
        if column.name not in notes:
            continue
        raw = cells[column.name] if column.name in names else null_column(column.name, cells.height)
        noted = (
            pl.DataFrame([cells[SOURCE_ROW], notes[column.name].alias("__finding"), raw.alias("__raw"), used.alias("__used")])
            .filter(pl.col("__finding").is_not_null() & pl.col("__used"))
            .with_columns(pl.col("__raw").cast(pl.String))
        )
        if noted.height:
            findings.append(noted.select(
                pl.lit(sheet).alias("工作表"), pl.col(SOURCE_ROW).alias("行号"), pl.lit(column.name).alias("列"),
                pl.col("__raw").alias("值"), pl.lit("W201").alias("代码"),
                pl.concat_str(pl.lit(f"工作表「{sheet}」第"), pl.col(SOURCE_ROW).cast(pl.String), pl.lit("行："),
                              _describe(sheet)(pl.lit(column.name), pl.col("__raw"), pl.col("__finding"))).alias("原因"),
            ))
    frame = pl.DataFrame([*(values[c.name] for c in columns), cells[SOURCE_ROW]])
    if rejects.height:
        frame = frame.filter(used)
    return frame, rejects, pl.concat(findings), rows_read


def _fill_lead_units(measures: pl.DataFrame) -> pl.DataFrame:
    lead = pl.col(MEASURE_TYPE).replace_strict({c: m.lead_unit for c, m in MEASURE_BY_CODE.items()}, default=None)
    return measures.with_columns(pl.coalesce(pl.col(LEAD_UNIT), lead).alias(LEAD_UNIT))


def empty_frame(columns: Sequence[Column]) -> pl.DataFrame:
    return pl.DataFrame(schema={**{c.name: OUTPUT_DTYPES[c.dtype] for c in columns}, SOURCE_ROW: pl.Int64})


def check_years(income: pl.DataFrame, sheet: str = SHEET_INCOME) -> None:
    years = sorted(income.get_column(YEAR).unique().drop_nulls().to_list())
    if len(years) < 2:
        shown = "、".join(map(str, years)) or "无"
        raise InputError(
            f"工作表「{sheet}」列「{YEAR}」只有 {len(years)} 个可用年度（{shown}）：至少需要两个年度才能比较收入"
        )


# ---------------------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------------------


def _sources(path: Path) -> dict[str, Callable[[], Grid | ParquetGrid]]:
    if path.is_dir():
        return _folder_grids(path)
    if path.suffix.lower() in EXCEL_SUFFIXES:
        return _excel_grids(path)
    raise InputError(
        f"无法读取「{path.name}」：请提供 Excel 工作簿（.xlsx），或包含 户信息.csv、收入.csv、帮扶措施.csv（或同名 parquet）的文件夹"
    )


def _find_sheet(sources: dict[str, Callable[[], Grid | ParquetGrid]], sheet: str) -> Callable[[], Grid | ParquetGrid] | None:
    wanted = {_sheet_key(sheet), SHEET_EN[sheet]}
    return next((load for name, load in sources.items() if _sheet_key(name) in wanted), None)


def read_input(path: str | Path) -> InputData:
    """Read and check the input at ``path`` (workbook or folder); see the module docstring."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"找不到输入文件或文件夹：{path}")
    sources = _sources(path)
    if _find_sheet(sources, SHEET_HOUSEHOLDS) is None:
        from lib.io import system_export

        candidates = sources if sources or not path.is_dir() else every_file_grids(path)
        exported = system_export.read_export(candidates, path.name)
        if exported is not None:
            return exported
    frames, rejects, findings, rows_read = {}, [], [], {}
    for sheet, columns in SHEETS.items():
        load = _find_sheet(sources, sheet)
        if load is None:
            if sheet == SHEET_MEASURES:  # 帮扶措施 may not exist yet early in the survey
                frames[sheet] = empty_frame(columns)
                continue
            present = "、".join(sources) or "无"
            raise InputError(f"找不到工作表「{sheet}」（「{path.name}」中有：{present}）")
        table = locate_table(load(), columns, sheet, typed=True)
        frame, sheet_rejects, sheet_findings, count = check_table(table, columns)
        del table  # the sheet's cells, before the next sheet is read
        frames[sheet], rows_read[sheet] = frame, count
        rejects.append(sheet_rejects)
        findings.append(sheet_findings)
    check_years(frames[SHEET_INCOME])
    return InputData(
        households=frames[SHEET_HOUSEHOLDS],
        income=frames[SHEET_INCOME],
        measures=_fill_lead_units(frames[SHEET_MEASURES]),
        rejects=pl.concat([empty_problems(), *rejects]),
        findings=pl.concat([empty_problems(), *findings]),
        rows_read=rows_read,
        source=path.name,
    )
