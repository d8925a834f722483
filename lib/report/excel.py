"""The Excel ledger (台账) of a village, a township and the district (I/O only).

Each sheet reads as the form a township hands in: a title row naming the unit
("南岗村脱贫户和监测对象帮扶措施落实台账"), a 填报单位 / 截至日期 row, the header with 序号,
bordered and wrapped cells, 小计 rows per village where a sheet spans several and a 合计 row
(or the 全区 row of a summary), and the 填报人 / 审核人 / 联系电话 / 填报日期 lines at the foot.
Print setup: A4 landscape, fitted to the page width, title and header repeated on every
page, page numbers in the footer; panes frozen below the header and right of 户编号 and
户主姓名. Measures and risk points are shown by name; 来源行号, 措施代码 and 风险点代码 are not
shown. Resident IDs and phone numbers are masked (``masked=False`` only for the clerk's
full-ID copy, which ``lib.report.pipeline`` keeps outside ``outputs/``).

The sheets are ``Analysis.ledger``'s views, 牵头单位任务清单 (``lib.rules.tasks``: the summary
per lead unit on top, then the task list), 户研判, 数据核查 and the parameters used. Every
figure comes from ``lib.rules.figures`` (a township's or the district's summary row too, so a
share is over the households, never an average); 小计 and 合计 rows of household lists add
up the rows above them.

Columns are prepared with polars. xlsxwriter writes each sheet's form — title and
填报单位 rows, captions, headers, signature lines, merged cells, column widths, frozen
panes, filter, conditional formats, print setup and every cell format — and the tables'
rows are built as SpreadsheetML with polars, one expression per column
(``lib.report.sheetxml``), and put into the sheets when the workbook is closed: ~0.9 µs a
cell instead of xlsxwriter's ~6 µs (benchmarks/bench_ledger.py, docs/benchmarks.md).
``write_ledger(..., cell_by_cell=True)`` keeps xlsxwriter's own ``write_column`` writing of
the same workbook, the reference the fast path is tested against cell by cell
(tests/report/test_ledger_fast_path.py).

Every value is written with an explicit type: amounts rounded to the fen with a number
format, a cell that reads "=1+1" or "http://…" stays text, and text Excel would take for a
formula when edited carries the quote prefix, bidi controls removed (``lib.present.format``'s
neutraliser), so a ledger cannot carry a formula that came in with the input. The file
appears atomically (temporary file + rename).
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import xlsxwriter

from lib.catalogue import DISTRICT, ID, RED, TOWNSHIP, VILLAGE
from lib.io.atomic import atomic_path
from lib.present.format import (
    BIDI_CONTROLS,
    LIST_SEPARATOR,
    cell_text,
    mask_frame,
    measure_names,
    neutralise_expr,
    number_kind,
)
from lib.report import sheetxml
from lib.rules.figures import FIGURE_BY_LABEL
from lib.rules.ledger import MEASURE_HOUSEHOLDS, MEASURE_STATS, SHORTFALL_OPEN, SUMMARY, AT_RISK_UNHELPED

HOUSEHOLD_SHEET = "户研判"
POLICY_SHEET = "政策参数"
QUALITY_SHEET = "数据核查"
TASK_SHEET = "牵头单位任务清单"
COMPARISON_SHEET = "各村对比"
POVERTY_SHEET = "贫困指数"
NAME = "户主姓名"
# A frame's rows that are 小计 / 合计 rows carry their label (shown in 序号) in this column.
TOTAL = "_合计行"
SUBTOTAL_LABEL, TOTAL_LABEL = "小计", "合计"
SERIAL = "序号"
EMPTY = "（无）"

# Code columns are never shown: the names beside them are (措施类型 / 措施名称, 减收风险点).
_HIDDEN_COLUMNS = ("风险点代码", "来源行号", "措施代码")
_CODE_LISTS_SHOWN_AS_NAMES = ("推荐措施", "已有措施")
_NAME_OF_CODE = {"措施类型": "措施代码", "措施名称": "措施代码"}  # a name left blank shows its code
_POVERTY_NAMES = {"P0": "贫困发生率", "P1": "贫困深度", "P2": "贫困强度"}
_KIND_OF = {"贫困深度": "index", "贫困强度": "index"}  # names number_kind cannot tell
_COUNTED = ("户", "项", "人")  # units of lib.rules.figures that are counts
# Left to right and frozen: who a row is about.
_KEY_COLUMNS = (TOWNSHIP, VILLAGE, ID, NAME)


@dataclass(frozen=True)
class Form:
    """How a sheet reads as a form: its title (after the unit's name) and, for a list of
    households or measures, the columns its 小计 and 合计 rows add up (None: no total rows;
    a summary sheet brings its 合计 rows with it)."""

    title: str
    sums: tuple[str, ...] | None = None


_INCOME_TOTALS = tuple(f"{year}{kind}" for year in ("上年", "本年")
                       for kind in ("工资性收入", "生产经营性收入", "财产性收入", "转移性收入", "家庭纯收入"))
# Per-household columns whose sum means something (not 人均…, not shares); a measure list
# repeats its household's facts on each measure row, so there only the measure's own gain adds.
FORMS: dict[str, Form] = {
    SUMMARY: Form("脱贫户和监测对象增收监测汇总表"),
    MEASURE_HOUSEHOLDS: Form("脱贫户和监测对象帮扶措施落实台账", sums=("预计增收",)),
    MEASURE_STATS: Form("帮扶措施分类统计表"),
    AT_RISK_UNHELPED: Form("风险户未落实帮扶措施台账", sums=("家庭人口数", "收入缺口")),
    SHORTFALL_OPEN: Form("减收户收入缺口未补足台账", sums=(
        "家庭人口数", "上年家庭纯收入", "本年家庭纯收入", "收入缺口", "预计增收合计", "尚需增收",
        "已落实措施数", "计划措施数")),
    TASK_SHEET: Form("牵头单位帮扶任务清单"),
    COMPARISON_SHEET: Form("各村增收监测对比表"),
    POVERTY_SHEET: Form("贫困发生率、贫困深度和贫困强度"),
    HOUSEHOLD_SHEET: Form("脱贫户和监测对象收入研判台账", sums=(
        "家庭人口数", "劳动力人数", "弱劳动力或半劳动力人数", "重度残疾人数", "重病人数",
        "上年家庭人口数", "本年家庭人口数", *_INCOME_TOTALS, "减收金额", "已落实措施数", "计划措施数",
        "预计增收合计", "收入缺口")),
    QUALITY_SHEET: Form("数据核查问题清单"),
    POLICY_SHEET: Form("增收监测研判政策参数"),
}
TASK_CAPTIONS = ("一、各牵头单位任务汇总", "二、逐户任务清单")
SIGNATURE = "填报人：　　　　　　　　审核人：　　　　　　　　联系电话：　　　　　　　　填报日期：　　　　年　　月　　日"


@dataclass(frozen=True)
class Heading:
    """What the title rows say: ``unit`` opens the title (南岗村, 长发镇, 全区), ``filer`` is
    the 填报单位, ``as_of`` the 截至日期; ``implied`` are columns the heading already names
    (a village's ledger leaves out 乡镇 and 村)."""

    unit: str = ""
    filer: str = ""
    as_of: dt.date | None = None
    implied: tuple[str, ...] = ()


def date_words(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def ledger_heading(analysis, unit: str, filer: str | None = None, implied: tuple[str, ...] = ()) -> Heading:
    """The heading of ``analysis``' ledger for ``unit``; 截至 its as-of date (today without one)."""
    as_of = getattr(analysis, "as_of", None) or dt.date.today()
    return Heading(unit, filer or unit, as_of, implied)


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


def quality_sheet(analysis, village: str | None = None, villages: Sequence[str] | None = None) -> pl.DataFrame:
    """数据核查: the data checks' findings of one village (or of ``villages``), or of the
    district with the reader's findings (which name a sheet and row, not a village) first."""
    from lib.rules.quality import empty_quality, findings_table

    quality = getattr(analysis, "quality", None)
    quality = empty_quality() if quality is None or not quality.width else quality
    if village is not None:
        villages = [village]
    if villages is not None:
        return findings_table(quality.filter(pl.col(VILLAGE).is_in(list(villages))))
    return findings_table(quality, getattr(analysis, "findings", None))


def _marked(frame: pl.DataFrame, rows: pl.Expr, label: str, **cells: str) -> pl.DataFrame:
    """``frame`` with ``rows`` marked as total rows (``label`` in 序号) and ``cells`` set there."""
    previous = pl.col(TOTAL) if TOTAL in frame.columns else pl.lit(None, pl.String)
    return frame.with_columns(
        pl.when(rows).then(pl.lit(label)).otherwise(previous).alias(TOTAL),
        *(pl.when(rows).then(pl.lit(value)).otherwise(pl.col(c).cast(pl.String)).alias(c)
          for c, value in cells.items() if c in frame.columns),
    )


def _summary_rows(households: pl.DataFrame, total: str) -> pl.DataFrame:
    """台账汇总 of ``households``: village rows, a 小计 per 乡镇 when there are several, and the
    合计 row named ``total``, every row the figures of lib.rules.figures."""
    from lib.rules.figures import label, village_figures
    from lib.rules.ledger import SUMMARY_FIGURES, VILLAGE_KEYS

    def figures(rows: pl.DataFrame) -> pl.DataFrame:
        return village_figures(rows).select(*VILLAGE_KEYS, *(label(k) for k in SUMMARY_FIGURES))

    table = figures(households)
    villages, whole = table.slice(0, table.height - 1), table.tail(1)
    townships = villages.get_column(TOWNSHIP).drop_nulls().unique(maintain_order=True).to_list()
    parts = [villages]
    if len(townships) > 1:
        parts = []
        for township in townships:
            parts.append(villages.filter(pl.col(TOWNSHIP) == township))
            subtotal = figures(households.filter(pl.col(TOWNSHIP) == township)).tail(1)
            parts.append(_marked(subtotal, pl.lit(True), SUBTOTAL_LABEL, **{TOWNSHIP: township, VILLAGE: ""}))
        parts.append(villages.filter(pl.col(TOWNSHIP).is_null()))
    parts.append(_marked(whole, pl.lit(True), TOTAL_LABEL, **{TOWNSHIP: total, VILLAGE: total}))
    return pl.concat(parts, how="diagonal_relaxed")


def _task_sheet(analysis, households: pl.DataFrame, total: str | None) -> tuple[tuple[str, pl.DataFrame], ...]:
    """牵头单位任务清单 of ``households``: per lead unit on top (村 rows and, with ``total``,
    its rows per unit as 合计), then every task."""
    from lib.rules.tasks import lead_unit_summary, lead_unit_tasks

    tasks = lead_unit_tasks(households, analysis.recommendations, analysis.measures)
    summary = lead_unit_summary(tasks)
    is_total = pl.col(VILLAGE) == DISTRICT
    summary = summary.filter(~is_total) if total is None else _marked(summary, is_total, TOTAL_LABEL, **{VILLAGE: total})
    return (TASK_CAPTIONS[0], summary), (TASK_CAPTIONS[1], tasks)


def _known(analysis, column: str, value: str, what: str) -> pl.DataFrame:
    households = analysis.households.filter(pl.col(column) == value) if column in analysis.households.columns else None
    if households is None or households.is_empty():
        known = analysis.households.get_column(column).unique().drop_nulls().sort().to_list() \
            if column in analysis.households.columns else []
        raise ValueError(f"户信息中没有{what}“{value}”，无法生成其台账（已有：{'、'.join(known) or '无'}）")
    return households


def village_sheets(analysis, village: str) -> dict[str, pl.DataFrame | tuple]:
    """Sheets of one village's ledger: each ledger view's rows of that village (no 全区 row),
    the lead units' tasks, the village's 户研判, its findings and the parameters used."""
    from lib.rules.ledger import village_ledger

    households = _known(analysis, VILLAGE, village, "村")
    sheets: dict[str, pl.DataFrame | tuple] = dict(village_ledger(dict(analysis.ledger), village))
    sheets[TASK_SHEET] = _task_sheet(analysis, households, None)
    sheets[HOUSEHOLD_SHEET] = household_sheet(households)
    sheets[QUALITY_SHEET] = quality_sheet(analysis, village)
    sheets[POLICY_SHEET] = policy_sheet(analysis.policy)
    return sheets


def township_sheets(analysis, township: str) -> dict[str, pl.DataFrame | tuple]:
    """Sheets of one township's ledger: its villages' rows of every view, each summary ending
    in the township's 合计 row, household lists with a 小计 per village (added when written)."""
    households = _known(analysis, TOWNSHIP, township, "乡镇")
    villages = households.get_column(VILLAGE).unique().drop_nulls().to_list()
    ours = pl.col(VILLAGE).is_in(villages)
    sheets: dict[str, pl.DataFrame | tuple] = {
        name: view.filter(ours) if VILLAGE in view.columns else view for name, view in analysis.ledger.items()
    }
    sheets[SUMMARY] = _summary_rows(households, township)
    if MEASURE_STATS in sheets:
        stats = sheets[MEASURE_STATS]
        counts = [c for c, t in stats.schema.items() if t.is_numeric()]
        whole = (stats.group_by("措施代码", "措施类型", "牵头单位", maintain_order=True)
                 .agg(pl.col(counts).sum())
                 .with_columns(pl.lit(township).alias(TOWNSHIP), pl.lit(township).alias(VILLAGE),
                               pl.lit(TOTAL_LABEL).alias(TOTAL)))
        sheets[MEASURE_STATS] = pl.concat([stats, whole], how="diagonal_relaxed")
    sheets[TASK_SHEET] = _task_sheet(analysis, households, township)
    sheets[HOUSEHOLD_SHEET] = household_sheet(households)
    sheets[QUALITY_SHEET] = quality_sheet(analysis, villages=villages)
    sheets[POLICY_SHEET] = policy_sheet(analysis.policy)
    return sheets


def district_sheets(analysis) -> dict[str, pl.DataFrame | tuple]:
    """Sheets of the district ledger: every view (台账汇总 with a 小计 per 乡镇), the lead units'
    tasks, villages compared, poverty indices, 户研判, findings, parameters."""
    from lib.present.charts import village_ranking

    sheets: dict[str, pl.DataFrame | tuple] = dict(analysis.ledger)
    sheets[SUMMARY] = _summary_rows(analysis.households, DISTRICT)
    sheets[TASK_SHEET] = _task_sheet(analysis, analysis.households, DISTRICT)
    sheets[COMPARISON_SHEET] = village_ranking(analysis.households)
    sheets[POVERTY_SHEET] = analysis.fgt.rename(_POVERTY_NAMES, strict=False)
    sheets[HOUSEHOLD_SHEET] = household_sheet(analysis.households)
    sheets[QUALITY_SHEET] = quality_sheet(analysis)
    sheets[POLICY_SHEET] = policy_sheet(analysis.policy)
    return sheets


# ---------------------------------------------------------------------------------------
# A frame as the form shows it (polars, whole columns)
# ---------------------------------------------------------------------------------------


def with_totals(frame: pl.DataFrame, sums: Sequence[str]) -> pl.DataFrame:
    """The rows (grouped by 村, in order), a 小计 row after each village's when there are
    several, and a 合计 row: ``sums`` added up, 户编号 saying how many households."""
    summed = [c for c in sums if c in frame.columns]

    def total(rows: pl.DataFrame, label: str, village: str | None) -> pl.DataFrame:
        return rows.select(
            pl.lit(label).alias(TOTAL),
            *([pl.lit(village, pl.String).alias(VILLAGE)] if village is not None else []),
            *([pl.format("共 {} 户", pl.col(ID).n_unique()).alias(ID)] if ID in rows.columns else []),
            *(pl.col(c).sum() for c in summed),
        )

    parts = [frame]
    if VILLAGE in frame.columns and frame.get_column(VILLAGE).n_unique() > 1:
        keys = [c for c in (TOWNSHIP, VILLAGE) if c in frame.columns]
        parts = []
        for (village,), rows in frame.sort(keys, nulls_last=True, maintain_order=True).partition_by(
                VILLAGE, as_dict=True, maintain_order=True).items():
            parts += [rows, total(rows, SUBTOTAL_LABEL, village)]
    parts.append(total(frame, TOTAL_LABEL, None))
    return pl.concat(parts, how="diagonal_relaxed")


def _kind(column: str, dtype: pl.DataType) -> str:
    """Number kind of a numeric column (lib.present.format), or text / date / datetime."""
    if dtype.is_numeric():
        figure = FIGURE_BY_LABEL.get(column)
        if figure is not None and figure.unit in _COUNTED:  # 增收, 缺口未补足户数: households, not yuan
            return "count"
        return _KIND_OF.get(column) or number_kind(column, integer=dtype.is_integer())
    if dtype == pl.Datetime:
        return "datetime"
    return "date" if dtype == pl.Date else "text"


_BIDI = "[" + BIDI_CONTROLS + "]"


def _cell_values(frame: pl.DataFrame) -> pl.DataFrame:
    """Every column as the cells show it: numbers finite (NaN blank, never 0), amounts to the
    fen, other numbers to 6 places, lists joined with '；', booleans 是/否, text without bidi controls."""
    exprs = []
    for column, dtype in frame.schema.items():
        col = pl.col(column)
        if dtype == pl.Boolean:
            exprs.append(pl.when(col).then(pl.lit("是")).when(~col).then(pl.lit("否")).alias(column))
        elif dtype.is_float():
            finite = pl.when(col.is_finite()).then(col)
            # shares and indices to 6 places: a cell holds what it shows, not float dust
            # (-0.009999999999999943 for −1%, whose digits even read like an ID number)
            exprs.append((finite.round(2) if _kind(column, dtype) == "yuan" else finite.round(6)).alias(column))
        elif isinstance(dtype, pl.List):
            exprs.append(col.list.eval(pl.element().cast(pl.String)).list.join(LIST_SEPARATOR)
                         .str.replace_all(_BIDI, "").alias(column))
        elif dtype in (pl.String, pl.Categorical) or isinstance(dtype, pl.Enum):
            exprs.append(col.cast(pl.String).str.replace_all(_BIDI, "").alias(column))
        elif not (dtype.is_numeric() or dtype in (pl.Date, pl.Datetime, pl.Null)):
            exprs.append(col.map_elements(lambda v, c=column: cell_text(c, v), return_dtype=pl.String).alias(column))
    return frame.with_columns(exprs) if exprs else frame


def shown_frame(frame: pl.DataFrame, form: Form, heading: Heading, *, masked: bool = True,
                keys_first: bool = True) -> pl.DataFrame:
    """``frame`` as a sheet shows it: names for codes, 全区 rows marked as 合计 (their 乡镇 filled),
    小计 / 合计 rows of a list, code columns and the heading's columns left out, who-columns
    first, identifiers masked, cells typed (``_cell_values``)."""
    frame = frame.with_columns(
        pl.coalesce(pl.col(name), pl.col(code)).alias(name)
        for name, code in _NAME_OF_CODE.items() if name in frame.columns and code in frame.columns
    ).with_columns(
        measure_names(c) for c in _CODE_LISTS_SHOWN_AS_NAMES
        if c in frame.columns and isinstance(frame.schema[c], pl.List)
    )
    if VILLAGE in frame.columns and frame.height:
        frame = _marked(frame, pl.col(VILLAGE) == DISTRICT, TOTAL_LABEL, **{TOWNSHIP: DISTRICT})
    if form.sums is not None:
        frame = with_totals(frame, form.sums)
    frame = frame.drop([c for c in (*_HIDDEN_COLUMNS, *heading.implied) if c in frame.columns])
    if keys_first:
        keys = [c for c in _KEY_COLUMNS if c in frame.columns]
        frame = frame.select(*keys, *(c for c in frame.columns if c not in keys))
    return _cell_values(mask_frame(frame) if masked else frame)


# ---------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------

_NUMBER_FORMATS = {
    "year": "0",
    "yuan": "#,##0.00",  # to the fen: a 合计 visibly adds up
    "share": "0.0%",
    "index": "0.0000",
    "count": "#,##0",
    "plain": "#,##0.00",
    "date": "yyyy-mm-dd",
    "datetime": "yyyy-mm-dd hh:mm",
}
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
_MAX_WIDTH, _MIN_WIDTH, _HEADER_WRAP = 40, 6, 10
_LINE_HEIGHT = 13.5  # points per line of 10-point text: rows are sized to their wrapped text,
# as neither Excel nor LibreOffice fits a row's height to wrapped text when opening a file
_WIDTH_SAMPLE = 500  # rows: widths from the first rows are enough, and fast
_FONT = "宋体"


def _sheet_name(name: str, taken: set[str]) -> str:
    base = _BAD_SHEET_CHARS.sub("_", name).strip("'")[:31] or "Sheet"
    candidate, k = base, 2
    while candidate.lower() in taken:
        suffix = f"_{k}"
        candidate, k = base[: 31 - len(suffix)] + suffix, k + 1
    taken.add(candidate.lower())
    return candidate


class _Formats:
    """The workbook's formats, made once per (kind, total row)."""

    _BASE = {"font_name": _FONT, "font_size": 10, "border": 1, "valign": "vcenter"}

    def __init__(self, book: xlsxwriter.Workbook):
        self.book = book
        self._cells: dict[tuple[str, bool], xlsxwriter.format.Format] = {}
        plain = {"font_name": _FONT, "valign": "vcenter"}
        self.title = book.add_format({**plain, "bold": True, "font_size": 16, "align": "center"})
        self.filer = book.add_format({**plain, "font_size": 11, "align": "left"})
        self.as_of = book.add_format({**plain, "font_size": 11, "align": "right"})
        self.caption = book.add_format({**plain, "bold": True, "font_size": 11, "align": "left"})
        self.signature = book.add_format({**plain, "font_size": 11, "align": "left"})
        self.header = book.add_format({**self._BASE, "bold": True, "bg_color": "#DCE6F1", "text_wrap": True,
                                       "align": "center"})
        self.red = book.add_format({"font_color": "#C00000", "bold": True})

    def cell(self, kind: str, total: bool = False, quoted: bool = False):
        key = (kind + ("'" if quoted else ""), total)
        if key not in self._cells:
            props = dict(self._BASE, bold=total)
            if kind in _NUMBER_FORMATS:
                props["num_format"] = _NUMBER_FORMATS[kind]
            elif kind == "serial":
                props["align"] = "center"
            else:
                props["text_wrap"] = True
            if quoted:
                props["quote_prefix"] = True  # Excel's leading apostrophe
            self._cells[key] = self.book.add_format(props)
        return self._cells[key]


def _shown_width(column: str) -> pl.Expr:
    """Display width of a text column's cells: a CJK character counts two. In UTF-8 a CJK
    character is 3 bytes and 1 character, (3 + 1) / 2 = 2; an ASCII one (1 + 1) / 2 = 1."""
    text = pl.col(column).fill_null("")
    return (text.str.len_bytes() + text.str.len_chars()) // 2


def _text_width(text: str) -> int:
    return (len(text.encode()) + len(text)) // 2


def _clamped(width: int) -> int:
    return max(_MIN_WIDTH, min(_MAX_WIDTH, width))


def _lines(frame: pl.DataFrame, widths: list[int]) -> pl.Expr | None:
    """Lines of wrapped text each row needs (its widest text cell over its column's width),
    over the text columns that have a cell wider than the column (one line elsewhere)."""
    texts = [(c, max(_clamped(w) - 1, 1)) for c, w, t in zip(frame.columns, widths, frame.dtypes, strict=True)
             if t == pl.String]
    if not texts:
        return None
    widest = frame.select(_shown_width(c).max().alias(c) for c, _ in texts).row(0)
    lines = [(_shown_width(c) / room).ceil() for (c, room), most in zip(texts, widest, strict=True)
             if most is not None and most > room]
    return pl.max_horizontal(lines).fill_null(1).cast(pl.Int64) if lines else pl.lit(1, pl.Int64)


def _row_heights(frame: pl.DataFrame, widths: list[int]) -> list[tuple[int, float]]:
    """(row, height) of the rows whose wrapped text needs more than one line."""
    lines = _lines(frame, widths)
    if lines is None:
        return []
    most = frame.select(lines.alias("n")).with_row_index()
    return [(i, n * _LINE_HEIGHT + 2) for i, n in most.filter(pl.col("n") > 1).iter_rows()]


def _widths(frame: pl.DataFrame) -> list[int]:
    """Display width of each column (a CJK character counts two) from the first rows."""
    sample = frame.head(_WIDTH_SAMPLE)
    widths = []
    for column, dtype in sample.schema.items():
        header = _text_width(column)
        if dtype == pl.String:
            content = sample.select(_shown_width(column).max()).item() or 0
        elif dtype.is_numeric():
            biggest = sample.select(pl.col(column).abs().max()).item()
            content = len(f"{biggest:,.2f}") if biggest is not None and math.isfinite(biggest) else 0
        else:
            content = 16 if dtype == pl.Datetime else 10
        widths.append(max(content, min(header, _HEADER_WRAP)) + 2)
    return widths


def _write_table(sheet, fmt: _Formats, top: int, frame: pl.DataFrame,
                 bulk: _Bulk | None = None) -> tuple[int, list[int]]:
    """Header at row ``top`` (序号 first), then the rows, column by column; total rows in
    bold with their label in 序号. Returns the last row written and the column widths.
    With ``bulk`` the rows are built as XML with polars (``lib.report.sheetxml``) and spliced
    in when the workbook is closed; without, xlsxwriter writes them cell by cell."""
    labels = frame.get_column(TOTAL) if TOTAL in frame.columns else pl.Series(TOTAL, [None] * frame.height, pl.String)
    frame = frame.drop(TOTAL, strict=False)
    columns = list(frame.columns)
    first = top + 1
    sheet.write_row(top, 0, [SERIAL, *columns], fmt.header)
    if frame.height == 0:  # an empty list says so, inside the table's borders
        _across(sheet, first, 0, len(columns), EMPTY, fmt.cell("serial"))
        return first, [len(SERIAL) * 2 + 2, *_widths(frame)]
    widths = _widths(frame)
    kinds = [_kind(column, dtype) for column, dtype in frame.schema.items()]
    if bulk is not None and all(sheetxml.supported(t) for t in frame.dtypes):
        _bulk_rows(sheet, fmt, first, frame, labels, kinds, widths, bulk)
    else:
        _cell_rows(sheet, fmt, first, frame, labels, kinds, widths)
    header_lines = max(math.ceil(_text_width(c) / (_clamped(w) - 1)) for c, w in zip(columns, widths, strict=True))
    sheet.set_row(top, max(header_lines, 1) * _LINE_HEIGHT + 4)
    if "预警等级" in columns and frame.height:
        col = columns.index("预警等级") + 1
        sheet.conditional_format(first, col, first + frame.height - 1, col, {
            "type": "cell", "criteria": "==", "value": f'"{RED}"', "format": fmt.red,
        })
    return top + frame.height, [len(SERIAL) * 2 + 2, *widths]


def _cell_rows(sheet, fmt: _Formats, first: int, frame: pl.DataFrame, labels: pl.Series, kinds: list[str],
               widths: list[int]) -> None:
    """The rows through xlsxwriter, one ``write_column`` per column (the reference writer)."""
    is_data = labels.is_null()
    serial = pl.select(pl.when(is_data).then(is_data.cum_sum())).to_series().to_list()
    sheet.write_column(first, 0, serial, fmt.cell("serial"))
    totals = [(i, label) for i, label in enumerate(labels.to_list()) if label is not None]
    cells = []
    for j, (column, kind) in enumerate(zip(frame.columns, kinds, strict=True), start=1):
        values = frame.get_column(column).to_list()
        sheet.write_column(first, j, values, fmt.cell(kind))
        if kind == "text":  # the few cells Excel would take for a formula: quote prefix
            for i in frame.select(pl.arg_where(_formula_like(column))).to_series().to_list():
                sheet.write_string(first + i, j, values[i], fmt.cell(kind, quoted=True))
        cells.append(values)
    for i, label in totals:
        sheet.write_string(first + i, 0, label, fmt.cell("serial", total=True))
        for j, (kind, values) in enumerate(zip(kinds, cells, strict=True), start=1):
            sheet.write(first + i, j, values[i], fmt.cell(kind, total=True))
    for i, height in _row_heights(frame, widths):
        sheet.set_row(first + i, height)


class _Bulk:
    """Rows built as XML per worksheet file, put into the workbook after xlsxwriter closes it."""

    def __init__(self):
        self.blocks: dict[str, list[tuple[int, list[bytes]]]] = {}

    def add(self, sheet, first: int, xml: list[bytes]) -> None:
        # xlsxwriter numbers its worksheet files in the order the sheets were added
        self.blocks.setdefault(f"xl/worksheets/sheet{sheet.index + 1}.xml", []).append((first, xml))


_LABEL, _SERIAL = "_合计标签", "_序号"


def _bulk_rows(sheet, fmt: _Formats, first: int, frame: pl.DataFrame, labels: pl.Series, kinds: list[str],
               widths: list[int], bulk: _Bulk) -> None:
    """The same cells as ``_cell_rows``, each column one polars expression (sheetxml)."""
    def xf(cell_format) -> int:  # the style index xlsxwriter gives the format (and keeps in styles.xml)
        return cell_format._get_xf_index()

    is_data = labels.is_null()
    body = frame.with_columns(labels.alias(_LABEL), is_data.cum_sum().cast(pl.Int64).alias(_SERIAL))
    columns = [sheetxml.Column(
        _SERIAL, "A", xf(fmt.cell("serial")), 0, xf(fmt.cell("serial", total=True)),
        total_content=sheetxml.text_cell(pl.col(_LABEL)))]
    texts = [c for c, k in zip(frame.columns, kinds, strict=True) if k == "text"]
    marked = frame.select(_formula_like(c).any() for c in texts).row(0) if texts else ()
    quoted = {c for c, m in zip(texts, marked, strict=True) if m}
    for j, (column, kind) in enumerate(zip(frame.columns, kinds, strict=True), start=1):
        columns.append(sheetxml.Column(
            column, sheetxml.column_letter(j), xf(fmt.cell(kind)), xf(fmt.cell(kind, quoted=True)),
            xf(fmt.cell(kind, total=True)), quoted=_formula_like(column) if column in quoted else None))
    lines = _lines(frame, widths)
    heights = None if lines is None else pl.when(lines > 1).then(lines * _LINE_HEIGHT + 2)
    totals = labels.is_not_null().arg_true().to_list()
    if first + frame.height + 3 > sheetxml.EXCEL_MAX_ROWS:  # the rows, a blank row and the signature lines
        raise ValueError(f"工作表「{sheet.name}」有 {frame.height:,} 行，超过 Excel 的 {sheetxml.EXCEL_MAX_ROWS:,} 行上限")
    bulk.add(sheet, first, sheetxml.rows_xml(body, first, columns, totals, heights))


def _formula_like(column: str) -> pl.Expr:
    """Text cells the neutraliser would mark (bidi controls are gone already, so any change
    it makes is its text mark): the same rule as the CSV files, whole column at once."""
    return (neutralise_expr(column) != pl.col(column)).fill_null(False)


def _write_sheet(book: xlsxwriter.Workbook, fmt: _Formats, name: str, tables: Sequence[tuple[str, pl.DataFrame]],
                 heading: Heading, bulk: _Bulk | None = None) -> None:
    """One form: title, 填报单位 / 截至日期, each table (its caption above), the signature lines."""
    sheet = book.add_worksheet(name)
    last_col = max(t.width - (TOTAL in t.columns) for _, t in tables)  # 序号 is column 0
    form = FORMS.get(name, Form(name))
    sheet.set_row(0, 32)
    _across(sheet, 0, 0, last_col, f"{heading.unit}{form.title}", fmt.title)
    half = max(0, last_col // 2)
    as_of = f"截至日期：{date_words(heading.as_of or dt.date.today())}"
    if last_col >= 1:
        _across(sheet, 1, 0, half, f"填报单位：{heading.filer}", fmt.filer)
        _across(sheet, 1, half + 1, last_col, as_of, fmt.as_of)
    else:
        sheet.write_string(1, 0, f"填报单位：{heading.filer}　{as_of}", fmt.filer)
    row, widths, header_rows = 2, [0] * (last_col + 1), []
    for caption, frame in tables:
        if caption:
            _across(sheet, row, 0, last_col, caption, fmt.caption)
            row += 1
        header_rows.append(row)
        last, table_widths = _write_table(sheet, fmt, row, frame, bulk)
        widths = [max(a, b) for a, b in zip(widths, table_widths + [0] * (len(widths) - len(table_widths)),
                                            strict=True)]
        data_rows = frame.height - (frame.get_column(TOTAL).is_not_null().sum() if TOTAL in frame.columns else 0)
        filter_range = (row, 0, row + max(data_rows, 1), frame.width - (TOTAL in frame.columns))
        row = last + 2
    _across(sheet, row, 0, last_col, SIGNATURE, fmt.signature)
    sheet.set_row(row, 28)
    for j, width in enumerate(widths):
        sheet.set_column(j, j, _clamped(width))

    only = len(tables) == 1
    header = header_rows[0] if only else 1
    frame = tables[0][1]
    frozen = sum(1 for c in _KEY_COLUMNS if c in frame.columns) + 1 if only and NAME in frame.columns else 0
    sheet.freeze_panes(header + 1 if only else 2, frozen)
    sheet.autofilter(*filter_range)  # the last table's (one filter per sheet)
    # A4 landscape, one page wide, title and header on every page.
    sheet.set_paper(9)
    sheet.set_landscape()
    sheet.fit_to_pages(1, 0)
    sheet.repeat_rows(0, header)
    sheet.print_area(0, 0, row, last_col)
    sheet.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.7)
    sheet.center_horizontally()
    sheet.set_footer("&C第 &P 页，共 &N 页")


def _across(sheet, row: int, first: int, last: int, text: str, cell_format) -> None:
    if last > first:
        sheet.merge_range(row, first, row, last, text, cell_format)
    else:
        sheet.write_string(row, first, text, cell_format)


def _tables(sheet) -> list[tuple[str, pl.DataFrame]]:
    return [("", sheet)] if isinstance(sheet, pl.DataFrame) else list(sheet)


def write_ledger(path: str | Path, sheets: Mapping[str, pl.DataFrame | Sequence[tuple[str, pl.DataFrame]]],
                 heading: Heading | None = None, *, masked: bool = True, cell_by_cell: bool = False) -> Path:
    """Write ``sheets`` ({sheet name: frame, or (caption, frame) pairs stacked on one sheet})
    as one workbook at ``path``, atomically, each sheet as a form under ``heading``.

    The tables' rows are built as XML with polars (``lib.report.sheetxml``) and put into the
    sheets xlsxwriter writes around them; ``cell_by_cell=True`` has xlsxwriter write every
    cell instead (the reference the fast path is tested against, ~10× slower)."""
    path = Path(path)
    heading = heading or Heading(as_of=dt.date.today())
    path.parent.mkdir(parents=True, exist_ok=True)
    bulk = None if cell_by_cell else _Bulk()
    with atomic_path(path) as tmp:
        target = io.BytesIO() if bulk is not None else str(tmp)
        book = xlsxwriter.Workbook(target, {
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
            "in_memory": True,
        })
        fmt = _Formats(book)
        taken: set[str] = set()
        for name, sheet in sheets.items():
            form = FORMS.get(name, Form(name))
            tables = _tables(sheet)
            shown = [(caption, shown_frame(frame, form if len(tables) == 1 else Form(form.title), heading,
                                           masked=masked, keys_first=len(tables) == 1))
                     for caption, frame in tables]
            _write_sheet(book, fmt, _sheet_name(name, taken), shown, heading, bulk=bulk)
        book.close()
        if bulk is not None:
            sheetxml.splice(target.getvalue(), bulk.blocks, tmp)
    return path


def _sheets(analysis_or_frames, build) -> Mapping:
    if isinstance(analysis_or_frames, Mapping):
        return analysis_or_frames
    return build(analysis_or_frames)


def _township_of(analysis, village: str) -> str:
    if isinstance(analysis, Mapping) or TOWNSHIP not in analysis.households.columns:
        return ""
    found = analysis.households.filter(pl.col(VILLAGE) == village).get_column(TOWNSHIP).drop_nulls()
    return str(found[0]) if found.len() else ""


def write_village_ledger(path: str | Path, analysis_or_frames, village: str, *, masked: bool = True) -> Path:
    """``<village>_台账.xlsx``: the village's ledger views, tasks, 户研判 and the parameters used.

    ``analysis_or_frames`` is an ``Analysis`` (the village's rows are picked here) or a
    ready mapping {sheet name: frame}.
    """
    heading = ledger_heading(analysis_or_frames, village, _township_of(analysis_or_frames, village) + village,
                             implied=(TOWNSHIP, VILLAGE))
    return write_ledger(path, _sheets(analysis_or_frames, lambda a: village_sheets(a, village)), heading,
                        masked=masked)


def write_township_ledger(path: str | Path, analysis_or_frames, township: str, *, masked: bool = True) -> Path:
    """``<乡镇>_台账.xlsx``: the township's villages with their 小计 and the township's 合计."""
    heading = ledger_heading(analysis_or_frames, township, implied=(TOWNSHIP,))
    return write_ledger(path, _sheets(analysis_or_frames, lambda a: township_sheets(a, township)), heading,
                        masked=masked)


def write_district_ledger(path: str | Path, analysis_or_frames, *, masked: bool = True) -> Path:
    """The district ledger: every view, tasks, the villages compared, poverty indices, 户研判, parameters."""
    heading = ledger_heading(analysis_or_frames, DISTRICT)
    return write_ledger(path, _sheets(analysis_or_frames, district_sheets), heading, masked=masked)


def townships(households: pl.DataFrame) -> list[str]:
    """The 乡镇 of ``households`` (sorted); none when the input leaves 乡镇 blank."""
    if TOWNSHIP not in households.columns:
        return []
    return sorted(str(t) for t in households.get_column(TOWNSHIP).drop_nulls().unique().to_list() if str(t))


__all__ = [
    "FORMS", "Form", "Heading", "HOUSEHOLD_SHEET", "POLICY_SHEET", "QUALITY_SHEET", "TASK_SHEET", "TOTAL",
    "district_sheets", "ledger_heading", "shown_frame", "township_sheets", "townships", "village_sheets",
    "with_totals", "write_district_ledger", "write_ledger", "write_township_ledger", "write_village_ledger",
]
