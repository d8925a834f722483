"""The input workbook: the empty template analysts fill, and the same layout filled with data.

``write_template(path)`` writes the empty workbook behind ``zengshou template PATH``;
``write_input_workbook`` writes the three data sheets (户信息, 收入, 帮扶措施) from polars frames
— the demo generator uses it, errors included, to produce the workbook a village would send.

What the workbook does for the person filling it:
- canonical Chinese headers (the catalogue's names), bold, header row frozen;
- ID-like columns (户编号, 证件号码, 联系电话) formatted as text ("@") so Excel keeps all 18
  digits and leading zeros when someone types into them;
- drop-down lists for the fixed-value columns (户类型, 监测对象类别, 是否…, 措施类型, 状态);
- a 填写说明 sheet listing every column (type, required, note) and the income-item, risk-point
  and measure catalogues.

Cell values are written as a user would have typed them: numbers as numbers, text as text. A
Utf8 value in a number column is written as a number only when it is a plain number
("1200", "1200.5"); anything else ("1,200元", "不详") stays text so the reader meets it as a
real sheet would carry it. In an ID column a Utf8 value is always text, while a numeric
dtype is written as a number — that is how a test or the demo reproduces an ID damaged by
Excel's number format.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import polars as pl
import xlsxwriter

from lib.catalogue import (
    MEASURES,
    SHEET_INSTRUCTIONS,
    SHEETS,
    SOURCE_ROW,
    Column,
    income_items_frame,
    measures_frame,
    risk_points_frame,
)

# How each column type is described to the person filling the sheet.
TYPE_LABELS = {
    "id": "文本（保留前导零，勿转为数字）",
    "text": "文本",
    "int": "整数",
    "money": "金额（元/年，数字）",
    "months": "月数（0–12）",
    "bool": "是/否",
    "year": "年份（4位数字）",
    "date": "日期（如 2022-08-15）",
    "choice": "下拉选择",
}
NUMBER_TYPES = frozenset({"int", "money", "months", "year"})
ID_TYPE = "id"

# Rows given a drop-down list below the header: enough for a township's sheet and then some.
VALIDATION_ROWS = 5000
_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_WIDE_TYPES = {"id": 22, "date": 13, "money": 13, "text": 14}


def _choices(column: Column) -> tuple[str, ...]:
    """Values offered in the drop-down: measure type accepts both its code and its name."""
    if column.name == "措施类型":
        return tuple(m.code for m in MEASURES) + tuple(m.name for m in MEASURES)
    return column.choices


def _column_width(column: Column) -> float:
    name_width = 2 * len(column.name) + 2  # CJK characters are about two columns wide
    return max(name_width, _WIDE_TYPES.get(column.dtype, 10))


class _SheetWriter:
    """Writes one data sheet: formats are shared per workbook, values typed per column."""

    def __init__(self, book: xlsxwriter.Workbook, formats: dict):
        self.book = book
        self.formats = formats

    def write(
        self,
        sheet: str,
        frame: pl.DataFrame | None,
        title: str | None,
        extra_rows: Sequence[Mapping[str, object]],
    ) -> None:
        columns = SHEETS[sheet]
        known = {c.name for c in columns}
        extra_columns = [] if frame is None else [c for c in frame.columns if c not in known and c != SOURCE_ROW]
        headers: list[tuple[str, Column | None]] = [(c.name, c) for c in columns] + [(c, None) for c in extra_columns]
        ws = self.book.add_worksheet(sheet)
        header_row = 0
        if title:
            ws.merge_range(0, 0, 0, len(headers) - 1, title, self.formats["title"])
            ws.set_row(0, 24)
            header_row = 1
        for j, (name, column) in enumerate(headers):
            ws.write_string(header_row, j, name, self.formats["header"])
            width = _column_width(column) if column else 2 * len(name) + 2
            ws.set_column(j, j, width, self.formats["text"] if column and column.dtype == ID_TYPE else None)
            if column and _choices(column):
                ws.data_validation(
                    header_row + 1, j, header_row + VALIDATION_ROWS, j,
                    {
                        "validate": "list",
                        "source": list(_choices(column)),
                        "ignore_blank": True,
                        "error_type": "warning",  # pasted or legacy values stay possible; the reader checks them
                        "error_title": "不在可选范围",
                        "error_message": f"「{name}」可选：{'、'.join(_choices(column))}",
                    },
                )
        ws.freeze_panes(header_row + 1, 0)

        row = header_row + 1
        if frame is not None:
            present = [(j, name, column) for j, (name, column) in enumerate(headers) if name in frame.columns]
            for record in frame.select([name for _, name, _ in present]).iter_rows():
                for (j, _, column), value in zip(present, record):
                    self._cell(ws, row, j, value, column)
                row += 1
        index = {name: j for j, (name, _) in enumerate(headers)}
        for record in extra_rows:
            for name, value in record.items():
                if name not in index:
                    raise KeyError(f"extra_rows：工作表「{sheet}」没有列「{name}」")
                self._cell(ws, row, index[name], value, headers[index[name]][1])
            row += 1

    def _cell(self, ws, row: int, col: int, value, column: Column | None) -> None:
        if value is None:
            return
        dtype = column.dtype if column else "text"
        if isinstance(value, bool):
            ws.write_string(row, col, "是" if value else "否")
        elif isinstance(value, (int, float)):
            ws.write_number(row, col, value)
        elif isinstance(value, (dt.date, dt.datetime)):
            ws.write_datetime(row, col, value, self.formats["date"])
        elif dtype == ID_TYPE:
            ws.write_string(row, col, str(value), self.formats["text"])
        elif dtype in NUMBER_TYPES and _PLAIN_NUMBER.match(str(value).strip()):
            ws.write_number(row, col, float(str(value).strip()))
        else:
            ws.write_string(row, col, str(value))


def _write_instructions(book: xlsxwriter.Workbook, formats: dict) -> None:
    ws = book.add_worksheet(SHEET_INSTRUCTIONS)
    ws.set_column(0, 0, 12)
    ws.set_column(1, 2, 24)
    ws.set_column(3, 3, 30)
    ws.set_column(4, 4, 10)
    ws.set_column(5, 6, 40)
    row = 0
    ws.write_string(row, 0, "填写说明", formats["title"])
    notes = (
        "1. 每个工作表第一行为表头，请勿修改列名；表头上方可以有标题行。",
        "2. 户信息每户一行；收入每户每年度一行（至少填两个年度）；帮扶措施每条措施一行。",
        "3. 金额单位为元/年，只填数字；收入中空白视为0，无法识别的内容（如“不详”）会被列入问题清单，不会当作0。",
        "4. 户编号、证件号码、联系电话请以文本填写，避免Excel把18位证件号码变成科学计数法而丢失末几位。",
        "5. 合计、小计行不会计入任何一户，读入时列入问题清单。",
    )
    for note in notes:
        row += 1
        ws.write_string(row, 0, note)
    row += 2

    def table(heading: str, frame: pl.DataFrame) -> None:
        nonlocal row
        ws.write_string(row, 0, heading, formats["subtitle"])
        row += 1
        ws.write_row(row, 0, frame.columns, formats["header"])
        for record in frame.iter_rows():
            row += 1
            ws.write_row(row, 0, ["" if v is None else str(v) for v in record])
        row += 2

    columns = pl.DataFrame(
        [
            {
                "工作表": sheet,
                "列名": c.name,
                "英文列名": c.en,
                "类型": TYPE_LABELS[c.dtype],
                "是否必填": "必填" if c.required else "选填",
                "可选值": "、".join(_choices(c)),
                "说明": "；".join(x for x in (c.note, ("也接受列名：" + "、".join(c.aliases)) if c.aliases else "") if x),
            }
            for sheet, cols in SHEETS.items()
            for c in cols
        ]
    )
    table("各列说明", columns)
    table("收入项目", income_items_frame())
    table("九类减收风险点（减收原因可填代码、名称或文字）", risk_points_frame())
    table("五类帮扶措施", measures_frame())


def write_input_workbook(
    path: str | Path,
    households: pl.DataFrame | None = None,
    income: pl.DataFrame | None = None,
    measures: pl.DataFrame | None = None,
    *,
    titles: dict[str, str] | None = None,
    extra_rows: dict[str, list[dict]] | None = None,
) -> Path:
    """Write the input workbook (three data sheets + 填写说明) to ``path``, atomically.

    Frames use the catalogue's Chinese column names; a missing column is left empty, a
    column the catalogue does not know is written after the canonical ones (``来源行号`` is
    dropped). ``titles`` puts a title row above a sheet's header; ``extra_rows`` appends raw
    rows (e.g. a 合计 row) after the data, keyed by header name.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    titles = titles or {}
    extra_rows = extra_rows or {}
    unknown = (set(titles) | set(extra_rows)) - set(SHEETS)
    if unknown:
        raise KeyError(f"未知的工作表：{'、'.join(sorted(unknown))}（可用：{'、'.join(SHEETS)}）")
    frames = dict(zip(SHEETS, (households, income, measures)))

    # Temp file in the target folder so os.replace is an atomic rename on the same disk.
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".xlsx.tmp", dir=path.parent)
    os.close(fd)
    try:
        book = xlsxwriter.Workbook(
            tmp_name,
            {"strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False},
        )
        formats = {
            "title": book.add_format({"bold": True, "font_size": 14, "align": "center", "valign": "vcenter"}),
            "subtitle": book.add_format({"bold": True, "font_size": 12}),
            "header": book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True, "valign": "vcenter"}),
            "text": book.add_format({"num_format": "@"}),
            "date": book.add_format({"num_format": "yyyy-mm-dd"}),
        }
        writer = _SheetWriter(book, formats)
        for sheet, frame in frames.items():
            writer.write(sheet, frame, titles.get(sheet), extra_rows.get(sheet, ()))
        _write_instructions(book, formats)
        book.close()
        os.chmod(tmp_name, 0o644)  # mkstemp creates 0600; the workbook is shared like any other file
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return path


def write_template(path: str | Path) -> Path:
    """The empty input workbook behind ``zengshou template PATH``."""
    return write_input_workbook(path)
