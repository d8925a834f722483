"""The Excel ledger (台账) of a village and of the district (I/O only).

One sheet per ledger view of ``Analysis.ledger`` (台账汇总, 措施户清单, …, whichever exist),
a 户研判 sheet with every household's judgement, and the policy parameters used. Headers
are Chinese, the header row is frozen and filterable, columns are sized to their content,
yuan have thousands separators and shares show as %. Text reads as in the briefings
(``lib.present.format.cell_text``), resident IDs and phone numbers are masked.

Every value from the data is written as a value with an explicit type: a cell that reads
"=1+1" or "http://…" stays text (``write_string`` and ``strings_to_formulas=False``), and a
text cell Excel would take for a formula when edited carries the quote prefix, bidi controls
removed (``lib.present.format.spreadsheet_text``), so a ledger cannot carry a formula that
came in with the input. The file appears atomically
(temporary file + rename), so a reader never opens half a workbook.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Mapping
from pathlib import Path

import polars as pl
import xlsxwriter

from lib.catalogue import RED
from lib.catalogue import VILLAGE
from lib.io.atomic import atomic_path
from lib.present.format import cell_text, mask_frame, measure_names, number_kind, spreadsheet_text

HOUSEHOLD_SHEET = "户研判"
POLICY_SHEET = "政策参数"
QUALITY_SHEET = "数据核查"
# Code lists are shown by name in a ledger; the code columns themselves are left out.
_CODE_LISTS_SHOWN_AS_NAMES = ("推荐措施", "已有措施")
_HIDDEN_COLUMNS = ("风险点代码", "来源行号")

_NUMBER_FORMATS = {
    "year": "0",
    "yuan": "#,##0",
    "share": "0.0%",
    "index": "0.0000",
    "count": "#,##0",
    "plain": "#,##0.00",
}
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
_MAX_WIDTH, _MIN_WIDTH = 60, 6


# ---------------------------------------------------------------------------------------
# What goes in a ledger
# ---------------------------------------------------------------------------------------


def household_sheet(households: pl.DataFrame) -> pl.DataFrame:
    """户研判: one row per household, measure codes shown as names, internals left out."""
    shown = households.drop([c for c in _HIDDEN_COLUMNS if c in households.columns])
    return shown.with_columns(measure_names(c) for c in _CODE_LISTS_SHOWN_AS_NAMES if c in shown.columns)


def policy_sheet(policy) -> pl.DataFrame:
    rows = policy.table()
    return pl.DataFrame({"参数": [r[0] for r in rows], "取值": [r[1] for r in rows]})


def quality_sheet(analysis, village: str | None = None) -> pl.DataFrame:
    """数据核查: the data checks' findings of one village, or of the district with the
    reader's findings (which name a sheet and row, not a village) first."""
    from lib.rules.quality import empty_quality, findings_table

    quality = getattr(analysis, "quality", None)
    quality = empty_quality() if quality is None or not quality.width else quality
    if village is not None:
        return findings_table(quality.filter(pl.col(VILLAGE) == village))
    return findings_table(quality, getattr(analysis, "findings", None))


def village_sheets(analysis, village: str) -> dict[str, pl.DataFrame]:
    """Sheets of one village's ledger: each ledger view's rows of that village (no 全区 row),
    the village's 户研判, and the parameters used."""
    from lib.rules.ledger import village_ledger

    known = analysis.households.get_column(VILLAGE).unique().drop_nulls().sort().to_list()
    if village not in known:
        raise ValueError(f"户信息中没有村“{village}”，无法生成该村台账（已有：{'、'.join(known) or '无'}）")
    sheets = village_ledger(dict(analysis.ledger), village)
    sheets[HOUSEHOLD_SHEET] = household_sheet(
        analysis.households.filter(pl.col(VILLAGE) == village)
    )
    sheets[QUALITY_SHEET] = quality_sheet(analysis, village)
    sheets[POLICY_SHEET] = policy_sheet(analysis.policy)
    return sheets


def district_sheets(analysis) -> dict[str, pl.DataFrame]:
    """Sheets of the district ledger: every view, villages compared, FGT, 户研判, parameters."""
    from lib.present.charts import village_ranking

    sheets = dict(analysis.ledger)
    sheets["各村对比"] = village_ranking(analysis.households)
    sheets["FGT指数"] = analysis.fgt
    sheets[HOUSEHOLD_SHEET] = household_sheet(analysis.households)
    sheets[QUALITY_SHEET] = quality_sheet(analysis)
    sheets[POLICY_SHEET] = policy_sheet(analysis.policy)
    return sheets


# ---------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------


def _display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _sheet_name(name: str, taken: set[str]) -> str:
    base = _BAD_SHEET_CHARS.sub("_", name).strip("'")[:31] or "Sheet"
    candidate, k = base, 2
    while candidate.lower() in taken:
        suffix = f"_{k}"
        candidate, k = base[: 31 - len(suffix)] + suffix, k + 1
    taken.add(candidate.lower())
    return candidate


class _Formats:
    def __init__(self, book: xlsxwriter.Workbook):
        self.header = book.add_format({
            "bold": True, "bg_color": "#DCE6F1", "border": 1, "text_wrap": True,
            "valign": "vcenter", "align": "center",
        })
        self.numbers = {k: book.add_format({"num_format": v}) for k, v in _NUMBER_FORMATS.items()}
        self.date = book.add_format({"num_format": "yyyy-mm-dd"})
        self.datetime = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
        self.text = book.add_format({"num_format": "@"})
        self.quoted = book.add_format({"quote_prefix": True})  # Excel's leading apostrophe
        self.red = book.add_format({"font_color": "#C00000", "bold": True})


def _write_sheet(book: xlsxwriter.Workbook, fmt: _Formats, name: str, frame: pl.DataFrame) -> None:
    sheet = book.add_worksheet(name)
    frame = mask_frame(frame)
    widths = [_display_width(c) + 2 for c in frame.columns]
    sheet.set_row(0, 30)
    for j, column in enumerate(frame.columns):
        sheet.write_string(0, j, column, fmt.header)
    for j, (column, dtype) in enumerate(frame.schema.items()):
        numeric = dtype.is_numeric()
        number_format = fmt.numbers[number_kind(column, integer=dtype.is_integer())] if numeric else None
        for i, value in enumerate(frame.get_column(column).to_list(), start=1):
            if value is None:
                continue
            if isinstance(value, bool):
                shown = cell_text(column, value)
                sheet.write_string(i, j, shown)
            elif numeric:
                if not math.isfinite(value):
                    continue  # not a number: left blank, never written as 0
                sheet.write_number(i, j, value, number_format)
                shown = f"{value:,.2f}"
            elif isinstance(value, dt.datetime):
                sheet.write_datetime(i, j, value, fmt.datetime)
                shown = "0000-00-00 00:00"
            elif isinstance(value, dt.date):
                sheet.write_datetime(i, j, dt.datetime.combine(value, dt.time()), fmt.date)
                shown = "0000-00-00"
            else:
                shown, formula_like = spreadsheet_text(cell_text(column, value))
                sheet.write_string(i, j, shown, fmt.quoted if formula_like else None)
            if i <= 500:  # widths from the first rows are enough, and fast
                widths[j] = max(widths[j], _display_width(shown) + 2)
    for j, width in enumerate(widths):
        sheet.set_column(j, j, max(_MIN_WIDTH, min(_MAX_WIDTH, width)))
    sheet.freeze_panes(1, 0)
    if frame.width:
        sheet.autofilter(0, 0, max(frame.height, 1), frame.width - 1)
    if "预警等级" in frame.columns and frame.height:
        col = frame.columns.index("预警等级")
        sheet.conditional_format(1, col, frame.height, col, {
            "type": "cell", "criteria": "==", "value": f'"{RED}"', "format": fmt.red,
        })


def write_ledger(path: str | Path, sheets: Mapping[str, pl.DataFrame]) -> Path:
    """Write ``sheets`` ({sheet name: frame}) as one workbook at ``path``, atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        book = xlsxwriter.Workbook(str(tmp), {
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        })
        fmt = _Formats(book)
        taken: set[str] = set()
        for name, frame in sheets.items():
            _write_sheet(book, fmt, _sheet_name(name, taken), frame)
        book.close()
    return path


def _sheets(analysis_or_frames, build) -> Mapping[str, pl.DataFrame]:
    if isinstance(analysis_or_frames, Mapping):
        return analysis_or_frames
    return build(analysis_or_frames)


def write_village_ledger(path: str | Path, analysis_or_frames, village: str) -> Path:
    """``<village>_台账.xlsx``: the village's ledger views, 户研判 and the parameters used.

    ``analysis_or_frames`` is an ``Analysis`` (the village's rows are picked here) or a
    ready mapping {sheet name: frame}.
    """
    return write_ledger(path, _sheets(analysis_or_frames, lambda a: village_sheets(a, village)))


def write_district_ledger(path: str | Path, analysis_or_frames) -> Path:
    """The district ledger: every view, the villages compared, FGT, 户研判, parameters."""
    return write_ledger(path, _sheets(analysis_or_frames, district_sheets))


