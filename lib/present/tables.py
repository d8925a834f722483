"""Tables and key-figure lines for the briefings, the index and the widgets, readable offline.

``table_markup`` is the one HTML table renderer: the briefings, the what-if page, the
widgets and ``index.html`` all show their tables through it, in the ``Look`` of their page.
In the briefings a leader can sort (click a header) and search (type in the box) a table
opened from disk: a few lines of inline JavaScript, no library, no request to any host.
Every value is HTML-escaped and the frame is masked (``lib.present.format``) before
anything is written, so a table cannot leak a full resident ID or run a script that came
in with the data.

The view functions pick the rows and columns each report section shows (未排查户, red and
orange households, shortfall check, 重点关注户); ``key_figures`` writes the section's
figures as escaped Markdown.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import quote

import polars as pl
from IPython.display import HTML, Markdown

from lib.catalogue import (
    DISTRICT,
    VILLAGE,
    DECREASE,
    GREEN,
    NOT_SURVEYED,
    ORANGE,
    RED,
    WARNING_LEVELS,
)
from lib.present.format import (
    MISSING,
    cell_text,
    css_string,
    escape,
    is_number,
    mask_frame,
    md_escape,
    measure_names,
    percent,
    yuan,
)
from lib.rules.figures import figures_of, label

EMPTY = "（无）"

_counter = itertools.count(1)


# ---------------------------------------------------------------------------------------
# The one table renderer
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Look:
    """How a table sits in its page; the cells (masked, escaped, ``cell_text``) are the same
    in every look."""

    table: str  # the opening <table …> tag
    sortable: bool  # search box, click-to-sort headers and their script
    number_class: str  # class of a numeric cell: the page's style sheet aligns it right
    missing: str = ""  # text of an empty cell


# The briefings: sortable and searchable, styled by _STYLE.
SORTABLE = Look("<table>", sortable=True, number_class="n")
# ipywidgets.HTML runs no script, so a widget's table (and the what-if page's, which shows the
# same tables) is plain and carries its style inline.
PLAIN = Look('<table style="border-collapse:collapse;font-size:12px" border="1">', sortable=False, number_class="n")
# index.html: styled by the index's own style sheet (table.summary, td.num).
SUMMARY = Look('<table class="summary">', sortable=False, number_class="num", missing=MISSING)

# The style sheet and the script are the same text for every table: each table's output
# carries them (a notebook shows each output on its own), and a page keeps the first copy of
# each (``data-zs-once``: ``lib.report.html.once``). What differs per table, the headers a
# phone shows beside each value, is a few rules of the table's own (``_table_css``).
_STYLE = """<style data-zs-once="table">
/* ".zs-table .zs-wrap table" outranks the notebook CSS (:not(…).jp-RenderedHTMLCommon td) */
.zs-table{margin:.6em 0 1.2em 0;font-size:13px}
.zs-table input{padding:3px 6px;width:16em;margin:0 1em .4em 0;border:1px solid #bbb;border-radius:3px}
.zs-table .zs-count{color:#666}
.zs-table .zs-wrap{max-height:32em;overflow:auto}
.zs-table .zs-wrap table{border-collapse:collapse;margin:0}
.zs-table .zs-wrap table caption{caption-side:top;text-align:left;font-weight:bold;padding:.3em 0}
.zs-table .zs-wrap table th{position:sticky;top:0;background:#f0f3f7;cursor:pointer;user-select:none}
.zs-table .zs-wrap table th,.zs-table .zs-wrap table td{border:1px solid #d9dee5;padding:3px 8px;text-align:left;
vertical-align:top;white-space:nowrap}
.zs-table .zs-wrap table td.n{text-align:right;font-variant-numeric:tabular-nums}
.zs-table .zs-wrap table td.long{white-space:normal;min-width:20em;max-width:36em}
.zs-table .zs-wrap table th[aria-sort=ascending]::after{content:" ▲"}
.zs-table .zs-wrap table th[aria-sort=descending]::after{content:" ▼"}
.zs-table .zs-wrap table tbody tr:nth-child(even) td{background:#fafbfc}
.zs-table.zs-folded:not(.zs-searching) tr.zs-more{display:none}
.zs-table .zs-fold{color:#555;margin:.3em 0}
.zs-table .zs-fold button{margin-left:1em;padding:2px 10px;border:1px solid #1f5fa8;background:#fff;color:#1f5fa8;border-radius:3px;cursor:pointer}
/* phone: every row a card, each value under its header; nothing wider than the screen */
@media screen and (max-width:640px){
.zs-table input{width:100%;box-sizing:border-box}
.zs-table .zs-wrap{max-height:none;overflow:visible}
.zs-table .zs-wrap table,.zs-table .zs-wrap table tbody,.zs-table .zs-wrap table tr,
.zs-table .zs-wrap table td,.zs-table .zs-wrap table tbody th{display:block;width:auto}
.zs-table .zs-wrap table thead{display:none}
.zs-table .zs-wrap table caption{display:block}  /* as a table-caption of a block table it shrinks to one character a line */
.zs-table .zs-wrap table tr{border:1px solid #d9dee5;border-radius:4px;margin:0 0 .6em 0;padding:.2em .4em}
.zs-table .zs-wrap table td,.zs-table .zs-wrap table tbody th{border:0;white-space:normal;min-width:0;max-width:none;
padding:1px 2px;text-align:left;overflow-wrap:anywhere}
.zs-table .zs-wrap table td.n{text-align:left}
.zs-table .zs-wrap table td::before,.zs-table .zs-wrap table tbody th::before{color:#666;font-weight:normal}
.zs-table .zs-wrap table tbody tr:nth-child(even) td{background:none}
}
/* print: every row, no scroll box, no search box; long cells wrap; a row never splits */
@media print{
.zs-table input,.zs-table .zs-count,.zs-table .zs-fold{display:none}
.zs-table.zs-folded tr.zs-more{display:table-row}
.zs-table .zs-wrap{max-height:none;overflow:visible}
.zs-table{font-size:8.5pt}
.zs-table .zs-wrap table{width:100%;table-layout:auto}
.zs-table .zs-wrap table th{position:static;cursor:auto}
.zs-table .zs-wrap table th,.zs-table .zs-wrap table td{white-space:normal;padding:2px 4px;overflow-wrap:anywhere}
.zs-table .zs-wrap table td.long{min-width:0;max-width:none}
.zs-table .zs-wrap table td.n{white-space:nowrap;overflow-wrap:normal}
.zs-table .zs-wrap table thead{display:table-header-group}
.zs-table .zs-wrap table tr{break-inside:avoid}
.zs-table .zs-wrap table caption{break-after:avoid}
}
</style>"""
LONG_TEXT = 24  # characters; a longer cell wraps instead of widening its column
# A table of this many columns or more prints on a landscape A4 page (class zs-landscape;
# the named page is set up by the briefing's page style, lib.report.html.PAGE_CSS): on a
# portrait page its columns would be squeezed to a character or two.
LANDSCAPE_COLUMNS = 11
# Columns whose cells never break inside on paper (a 户编号 cut over three lines cannot be read).
WHOLE_ON_PAPER = ("户编号", "户主姓名", "证件号码", "联系电话", "户类型", "预警等级", "收入研判", "村", "乡镇")

# Sorting compares numbers: data-v when the cell has it (its text is rounded or formatted),
# else a number cell's own text (data-v is left out when that text reads as the number
# itself); other cells by their text in Chinese collation. Searching hides rows whose text
# does not contain every word typed. The one script sets up every table of the page not set
# up yet: at once (the tables above it) and when the page has been read (those below).
_SCRIPT = """<script data-zs-once="table">(function(){
function key(td){var v=td.getAttribute("data-v");if(v!==null)return parseFloat(v);var t=td.textContent;
if(td.classList.contains("n")){var x=t.replace(/,/g,"");if(/^-?\\d+(\\.\\d+)?$/.test(x))return parseFloat(x);}return t;}
function init(root){if(root.dataset.ready)return;root.dataset.ready=1;
var tb=root.querySelector("tbody"),hs=root.querySelectorAll("thead th"),q=root.querySelector("input"),
cnt=root.querySelector(".zs-count"),total=tb.rows.length;
hs.forEach(function(th,i){th.addEventListener("click",function(){
var asc=th.getAttribute("aria-sort")!=="ascending";
hs.forEach(function(h){h.removeAttribute("aria-sort");});
th.setAttribute("aria-sort",asc?"ascending":"descending");
var rows=Array.prototype.slice.call(tb.rows);
rows.sort(function(a,b){var x=key(a.cells[i]),y=key(b.cells[i]),r;
if(typeof x==="number"&&typeof y==="number"){r=x-y;}
else{r=String(x).localeCompare(String(y),"zh-CN");}
return asc?r:-r;});
rows.forEach(function(r){tb.appendChild(r);});});});
var more=root.querySelector(".zs-all-button");
if(more)more.addEventListener("click",function(){root.classList.remove("zs-folded");more.parentNode.style.display="none";});
if(q)q.addEventListener("input",function(){root.classList.toggle("zs-searching",q.value.trim()!=="");
var words=q.value.trim().toLowerCase().split(/\\s+/).filter(Boolean),shown=0;
Array.prototype.forEach.call(tb.rows,function(r){var t=r.textContent.toLowerCase();
var ok=words.every(function(w){return t.indexOf(w)>=0;});r.style.display=ok?"":"none";if(ok)shown++;});
cnt.textContent=words.length?("显示 "+shown+" / "+total+" 行"):("共 "+total+" 行");});}
function all(){Array.prototype.forEach.call(document.querySelectorAll(".zs-table"),init);}
all();if(document.readyState==="loading")document.addEventListener("DOMContentLoaded",all);
})();</script>"""


_PLAIN_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")  # what the script's key() reads as a number


def _sort_key(value, text: str) -> str:
    """data-v for a number cell whose text does not read back as the number (rounded, a
    share, a unit); nothing when the script can read the text itself."""
    if not is_number(value):
        return ""
    plain = text.replace(",", "")
    if _PLAIN_NUMBER.fullmatch(plain) and float(plain) == float(value):
        return ""
    return f' data-v="{float(value)!r}"'


def _table_css(table_id: str, mapping: Mapping[str, str]) -> str:
    """The table's own rules, one per column rather than an attribute on every cell: on a
    phone each row is a card with each value under its header (the headers as ``::before``
    content); on paper the ``WHOLE_ON_PAPER`` columns do not break inside a value."""
    cell = f"#{table_id} tbody>tr>:nth-child"
    labels = "".join(f"{cell}({i})::before{{content:{css_string(h + '：')}}}"
                     for i, h in enumerate(mapping.values(), 1))
    whole = ",".join(f"{cell}({i})" for i, c in enumerate(mapping, 1) if c in WHOLE_ON_PAPER)
    paper = f"@media print{{{whole}{{white-space:nowrap;overflow-wrap:normal}}}}" if whole else ""
    return f"<style>@media screen and (max-width:640px){{{labels}}}{paper}</style>"


def _column_map(frame: pl.DataFrame, columns) -> dict[str, str]:
    if columns is None:
        return {c: c for c in frame.columns}
    if isinstance(columns, Mapping):
        mapping = dict(columns)
    else:
        mapping = {c: c for c in columns}
    missing = [c for c in mapping if c not in frame.columns]
    if missing:
        raise KeyError(f"表格缺少列：{'、'.join(missing)}")
    return mapping


def file_link(file_name, text: str) -> str:
    """A link to a file in the same folder (quote() keeps "/", so a sub-folder works);
    '—' when there is no file."""
    if not file_name:
        return f'<span class="none">{MISSING}</span>'
    return f'<a href="{escape(quote(str(file_name)))}">{escape(text)}</a>'


def html_table(
    frame: pl.DataFrame,
    columns: Sequence[str] | Mapping[str, str] | None = None,
    caption: str = "",
    **options,
) -> HTML:
    """``table_markup`` as a notebook output (the briefings' tables)."""
    return HTML(table_markup(frame, columns, caption, **options))


def table_markup(
    frame: pl.DataFrame,
    columns: Sequence[str] | Mapping[str, str] | None = None,
    caption: str = "",
    *,
    max_rows: int = 2000,
    empty_text: str = EMPTY,
    look: Look = SORTABLE,
    unit: str = "行",
    links: Mapping[str, str] | None = None,
    row_header: str | None = None,
    show_identifiers: bool = False,
    screen_rows: int | None = None,
    elsewhere: str = "Excel 台账",
    searchable: bool = True,
) -> str:
    """The HTML table of ``frame`` that every page shows: masked, escaped, numbers as their
    column reads; sortable and searchable offline in the ``SORTABLE`` look.

    ``columns`` picks and orders the columns (a mapping renames them: {列: 表头}).
    At most ``max_rows`` rows are written (the caption says so, counting in ``unit``, and
    that the rest are in ``elsewhere``), which keeps a report small; a district list belongs
    in the Excel ledger. With ``screen_rows`` the screen shows that many rows and a
    "显示全部" button; print shows every written row. In the sortable look a phone shows a
    row as a card, each value under its header (``_table_css``).
    ``links`` {列: 链接文字}: the column holds a file name in the same folder, shown as a
    link. ``row_header`` names the column written as each row's header cell. Resident IDs
    and phone numbers are masked unless the caller passes ``show_identifiers=True``.
    """
    mapping = _column_map(frame, columns)
    links = dict(links or {})
    source = frame if show_identifiers else mask_frame(frame)
    # by Series, not select(names): polars reads a name like "^…$" as a regular expression
    shown = pl.DataFrame([source.get_column(c) for c in mapping])
    total = shown.height
    if total == 0:
        cap = f"<b>{escape(caption)}</b>：" if caption else ""
        return f'<p class="zs-empty">{cap}{escape(empty_text)}</p>'
    shown = shown.head(max_rows)
    numeric = {c for c, t in shown.schema.items() if t.is_numeric()}

    body = []
    for row in shown.iter_rows():
        cells = []
        for name, value in zip(mapping, row, strict=True):
            if name in links:
                cells.append(f"<td>{file_link(value, links[name])}</td>")
                continue
            text = escape(cell_text(name, value) or look.missing)
            if name == row_header:
                cells.append(f'<th scope="row">{text}</th>')
            elif name in numeric:
                sort_key = _sort_key(value, text) if look.sortable else ""
                cells.append(f'<td class="{look.number_class}"{sort_key}>{text}</td>')
            elif len(text) > LONG_TEXT:
                cells.append(f'<td class="long">{text}</td>')
            else:
                cells.append(f"<td>{text}</td>")
        more = screen_rows is not None and look.sortable and len(body) >= screen_rows
        body.append(('<tr class="zs-more">' if more else "<tr>") + "".join(cells) + "</tr>")
    th = '<th scope="col" title="点击排序">' if look.sortable else "<th>"
    head = "".join(f"{th}{escape(h)}</th>" for h in mapping.values())

    note = (f"（仅显示前 {max_rows} {unit}，共 {total} {unit}；另有 {total - max_rows} {unit}见{elsewhere}）"
            if total > max_rows else "")
    cap = f"<caption>{escape(caption + note)}</caption>" if caption or note else ""
    table = f"{look.table}{cap}<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    if not look.sortable:
        return table
    digest = hashlib.sha1("\x1f".join([caption, *mapping, str(total)]).encode()).hexdigest()[:8]
    table_id = f"zs-t-{digest}-{next(_counter)}"
    folded = screen_rows is not None and shown.height > screen_rows
    classes = "zs-table" + (" zs-folded" if folded else "") + (" zs-landscape" if len(mapping) >= LANDSCAPE_COLUMNS else "")
    search = (f'<input type="search" placeholder="搜索（户编号、姓名、风险点…）" aria-label="搜索表格">'
              f'<span class="zs-count">共 {shown.height} 行</span>') if searchable else ""
    unfold = (f'<p class="zs-fold">屏幕上先列出前 {screen_rows} {unit}，打印时列出全部 {shown.height} {unit}。'
              f'<button type="button" class="zs-all-button">显示全部 {shown.height} {unit}</button></p>') if folded else ""
    return (
        f'{_STYLE}<div class="{classes}" id="{table_id}">{_table_css(table_id, mapping)}{search}'
        f'<div class="zs-wrap">{table}</div>{unfold}</div>{_SCRIPT}'
    )


# ---------------------------------------------------------------------------------------
# Key figures as escaped Markdown
# ---------------------------------------------------------------------------------------

def key_figures(rows: Sequence[tuple[str, object]], lead: str = "") -> Markdown:
    """A Markdown bullet list '- **label**：value' (labels and values escaped)."""
    lines = [md_escape(lead), ""] if lead else []
    lines += [f"- **{md_escape(label)}**：{md_escape(value)}" for label, value in rows]
    return Markdown("\n".join(lines))


# The figures each section shows (keys of lib.rules.figures); the briefings' appendix prints
# their 口径 (lib.present.definitions).
SURVEY_FIGURES = ("households", "surveyed", "not_surveyed", "increase", "flat", "decrease")
INCOME_FIGURES = ("per_capita_last", "per_capita_this")
WARNING_FIGURES = (*(f"level_{lv}" for lv in WARNING_LEVELS), "should_monitor")
MEASURE_FIGURES = (
    "decrease", "decrease_helped", "coverage", "decrease_unhelped", "at_risk_unhelped", "recovering",
    "shortfall", "expected_gain",
)


def _share_text(part: int, whole: int, of: str = "") -> str:
    return f"（占{of} {part / whole:.1%}）" if whole else ""


def survey_figures(
    households: pl.DataFrame, year_last: int, year_this: int, where_listed: str = "名单见下表"
) -> Markdown:
    """一、排查概况: roster vs surveyed, and the income judgement counts.

    ``where_listed`` says where the 未排查 list is (the district overview points to the
    village briefings)."""
    f = figures_of(households)
    n, surveyed, missing = f[label("households")], f[label("surveyed")], f[label("not_surveyed")]
    rows: list[tuple[str, object]] = [
        (label("households"), f"{n} 户"),
        (f"{label('surveyed')}（{year_last}、{year_this} 两年收入齐全）", f"{surveyed} 户"),
        (label("not_surveyed"), f"{missing} 户" + _share_text(missing, n)),
    ]
    for key in ("increase", "flat", "decrease"):
        k = f[label(key)]
        rows.append((label(key), f"{k} 户" + _share_text(k, surveyed, "已排查")))
    lead = "不落一户：在册户全部排查完毕。" if missing == 0 else f"尚有 {missing} 户未排查，{where_listed}。"
    return key_figures(rows, lead)


def income_figures(households: pl.DataFrame, year_last: int, year_this: int) -> Markdown:
    """二、收入变化: per-capita income both years (surveyed households, pooled)."""
    f = figures_of(households)
    if f[label("surveyed")] == 0:
        return key_figures([], "本村尚无两年收入齐全的户。")
    pc_last, pc_this = f[label("per_capita_last")], f[label("per_capita_this")]
    rows: list[tuple[str, object]] = [
        (f"{label('per_capita_last')}（{year_last} 年）", yuan(pc_last)),
        (f"{label('per_capita_this')}（{year_this} 年）", yuan(pc_this)),
    ]
    if pc_last and pc_this is not None:
        rows.append(("变化", f"{yuan(pc_this - pc_last, sign=True)}（{percent((pc_this - pc_last) / pc_last, sign=True)}）"))
    return key_figures(rows)


def warning_figures(households: pl.DataFrame) -> Markdown:
    """四、预警: households per warning level, and 应纳未纳."""
    f = figures_of(households)
    return key_figures([(level_text(k), f"{f[label(k)]} 户") for k in WARNING_FIGURES])


def level_text(key: str) -> str:
    """A figure's label as a briefing line reads it: green is the absence of a warning."""
    return "绿色（无预警）" if key == f"level_{GREEN}" else label(key)


def measure_figures(households: pl.DataFrame) -> Markdown:
    """五、帮扶措施: coverage of 减收 households and whether measures close the shortfall."""
    f = figures_of(households)
    n, covered = f[DECREASE], f[label("decrease_helped")]
    rows: list[tuple[str, object]] = [
        (label("decrease"), f"{n} 户"),
        (label("decrease_helped"), f"{covered} 户" + (f"（{label('coverage')} {covered / n:.1%}）" if n else "")),
        (label("decrease_unhelped"), f"{f[label('decrease_unhelped')]} 户"),
        (label("at_risk_unhelped"), f"{f[label('at_risk_unhelped')]} 户"),
        (label("recovering"), f"{f[label('recovering')]} 户"),
        (label("shortfall"), yuan(f[label("shortfall")])),
        (label("expected_gain"), yuan(f[label("expected_gain")])),
    ]
    return key_figures(rows)


# ---------------------------------------------------------------------------------------
# Views: which rows and columns each section's table shows
# ---------------------------------------------------------------------------------------

WHO = ("户编号", "户主姓名", "证件号码", "联系电话")


def not_surveyed(households: pl.DataFrame) -> pl.DataFrame:
    """未排查户: in the roster, income of one of the two years missing."""
    cols = [*WHO, "户类型", "监测对象类别", "家庭人口数", "上年人均纯收入", "本年人均纯收入"]
    return households.filter(pl.col("收入研判") == NOT_SURVEYED).select(
        [c for c in cols if c in households.columns]
    )


TO_LINE = "距监测线差额"


def to_line(threshold: float | None) -> pl.Expr:
    """What a household under the monitoring line still needs to reach it, to the fen:
    (监测线 − 本年人均纯收入) × 本年家庭人口数; null when it is not under the line. A red
    household whose income rose has no 收入缺口 (it is not 减收) but still this distance."""
    if threshold is None:
        return pl.lit(None, pl.Float64).alias(TO_LINE)
    gap = (pl.lit(float(threshold)) - pl.col("本年人均纯收入")) * pl.col("本年家庭人口数")
    return pl.when(gap > 0).then(gap.round(2)).alias(TO_LINE)


def warned(households: pl.DataFrame, levels: Sequence[str] = (RED, ORANGE), threshold: float | None = None) -> pl.DataFrame:
    """Households at the given warning levels, most urgent first, with their explanation;
    beside 收入缺口 the distance to this year's monitoring line ``threshold``."""
    order = {lv: i for i, lv in enumerate(WARNING_LEVELS)}
    return (
        households.filter(pl.col("预警等级").is_in(list(levels)))
        .with_columns(pl.col("预警等级").replace_strict(order, return_dtype=pl.Int64).alias("_o"), to_line(threshold))
        .sort(["_o", "本年人均纯收入"], nulls_last=True)
        .select(
            *WHO[:2], "预警等级", "上年人均纯收入", "本年人均纯收入", "人均纯收入变化率",
            "收入缺口", TO_LINE, "减收风险点", "说明",
        )
    )


def shortfall_check(households: pl.DataFrame) -> pl.DataFrame:
    """减收 households: income gap against the expected gain of their measures."""
    return (
        households.filter(pl.col("收入研判") == DECREASE)
        .sort("收入缺口", descending=True, nulls_last=True)
        .select(
            *WHO[:2],
            "减收风险点",
            "收入缺口",
            measure_names("已有措施"),
            "预计增收合计",
            pl.col("预计能恢复"),
            measure_names("推荐措施"),
        )
    )


_HAS_MEASURE = pl.col("已有措施").list.len() > 0
# 低收入人口 as the plan's 单人户 rule names them: monitored households, 低保 and 特困
# recipients, and households under the line or the 低保 standard.
def low_income(columns: Sequence[str]) -> pl.Expr:
    """Whether a household is 低收入人口, from the columns the frame has."""
    marks = [pl.col("预警等级").is_in([RED, ORANGE]), pl.col("低于低保标准").fill_null(False)]
    marks += [pl.col(c).fill_null(False) for c in ("是否低保户", "是否特困户") if c in columns]
    if "监测对象类别" in columns:
        marks.append(pl.col("监测对象类别").is_not_null() & (pl.col("监测对象类别") != ""))
    return pl.any_horizontal(marks)


# Why a household is 重点关注 (it needs a decision), as data: (reason shown, condition).
# The reasons exclude each other where they would say the same thing twice (a household
# with no measure is not also "措施不足"). Adding a reason is one row.
FOCUS_REASONS: tuple[tuple[str, pl.Expr], ...] = (
    ("红色预警", pl.col("预警等级") == RED),
    ("橙色预警", pl.col("预警等级") == ORANGE),
    ("应纳未纳", pl.col("应纳未纳")),
    ("减收且无措施", (pl.col("收入研判") == DECREASE) & ~_HAS_MEASURE),
    ("措施不足以补足缺口", (pl.col("收入研判") == DECREASE) & _HAS_MEASURE & (pl.col("预计能恢复") == False)),  # noqa: E712
    ("低于低保标准", pl.col("低于低保标准")),
    ("单人户施保待审核", pl.col("单人户审核")),  # and 低收入人口: see focus_households
)
SINGLE_PERSON = "单人户施保待审核"


def focus_households(households: pl.DataFrame, threshold: float | None = None) -> pl.DataFrame:
    """重点关注户: every household meeting at least one of ``FOCUS_REASONS``, with 关注原因
    (one list, each reason once) and the distance to the line ``threshold``."""
    low = low_income(households.columns)
    reasons = pl.concat_list(
        [pl.when((cond & low if label == SINGLE_PERSON else cond).fill_null(False)).then(pl.lit(label))
         for label, cond in FOCUS_REASONS]
    ).list.drop_nulls()
    cols = [
        *WHO, "户类型", "监测对象类别", "家庭人口数", "收入研判", "预警等级",
        "上年人均纯收入", "本年人均纯收入", "人均纯收入变化率", "减收风险点", "收入缺口", TO_LINE, "推荐措施",
    ]
    return (
        households.with_columns(reasons.alias("关注原因"), to_line(threshold))
        .filter(pl.col("关注原因").list.len() > 0)
        .with_columns(measure_names("推荐措施"))
        # why a household is here comes right after who it is: the first thing a leader asks
        .select([c for c in cols[:2] if c in households.columns] + ["关注原因"]
                + [c for c in cols[2:] if c in households.columns or c == TO_LINE])
    )


# ---------------------------------------------------------------------------------------
# One village's part of an analysis; headings and the parameters used
# ---------------------------------------------------------------------------------------



def village_view(analysis, village: str):
    """The analysis restricted to one village (same type, same field names).

    Every frame with a 村 column keeps that village's rows (ledger views too; a view without
    村 is a district aggregate and is left out, the 全区 rows too); fgt keeps the village's
    and the 全区 rows.
    ``transitions`` and ``summary`` stay district-wide. A village's load from the analysis
    store (``lib.report.store.load(folder, village)``) is already this view. An empty ``village``
    means the first village by name (a report notebook opened without parameters).
    """
    from dataclasses import fields, replace

    villages = analysis.households.get_column(VILLAGE).unique().drop_nulls().sort().to_list()
    if not village and villages:
        village = villages[0]
    if village not in villages:
        raise ValueError(f"户信息中没有村“{village}”（已有：{'、'.join(villages) or '无'}）")

    def mine(frame: pl.DataFrame) -> pl.DataFrame:
        return frame.filter(pl.col(VILLAGE) == village)

    changes = {}
    for f in fields(analysis):
        value = getattr(analysis, f.name)
        if f.name == "fgt" and isinstance(value, pl.DataFrame) and VILLAGE in value.columns:
            changes[f.name] = value.filter(pl.col(VILLAGE).is_in([village, DISTRICT]))
        elif f.name == "transitions":
            continue
        elif isinstance(value, pl.DataFrame) and VILLAGE in value.columns:
            changes[f.name] = mine(value)
    changes["ledger"] = {
        name: mine(frame) for name, frame in analysis.ledger.items() if VILLAGE in frame.columns
    }
    return replace(analysis, **changes)


def _source_line(analysis) -> str:
    # the workbook is named, not the file: a leader reads what was counted, not a file name
    return "数据来源：各村上报的户信息、收入和帮扶措施台账。"


def ledger_view(analysis, name: str, drop: Sequence[str] = ()) -> pl.DataFrame:
    """One ledger view by name, without the columns ``drop`` (e.g. 乡镇, 村 in a village's
    own briefing); an empty frame when this analysis has no such view."""
    frame = analysis.ledger.get(name, pl.DataFrame())
    return frame.drop([c for c in drop if c in frame.columns])


def briefing_heading(view) -> Markdown:
    """The village briefing's title and lead sentence, from ``village_view``'s result."""
    y1, y2 = view.year_last, view.year_this
    p = view.policy
    hh = view.households
    village = hh.get_column(VILLAGE).first()
    township = hh.get_column("乡镇").drop_nulls().first() if "乡镇" in hh.columns and hh.height else None
    where = f"{township}{village}" if township else village
    lead = (
        f"本简报对{where}在册脱贫户和监测对象 {y1} 年与 {y2} 年的家庭收入逐户、逐项进行比较，"
        f"按 {y2} 年监测线 {yuan(p.threshold(y2))}/人·年研判预警，并核对帮扶措施台账。"
        + _source_line(view)
        + "身份证号只显示前 6 位和后 4 位，电话只显示前 3 位和后 4 位。"
    )
    return Markdown(f"# {md_escape(village)}增收监测简报（{y1}—{y2}年）\n\n{md_escape(lead)}")


def district_heading(analysis) -> Markdown:
    """The district overview's title and lead sentence."""
    y1, y2 = analysis.year_last, analysis.year_this
    hh = analysis.households
    villages = hh.get_column(VILLAGE).n_unique()
    lead = (
        f"全区 {villages} 个村、{hh.height} 户在册脱贫户和监测对象 {y1} 年与 {y2} 年收入对比，"
        f"{y2} 年监测线 {yuan(analysis.policy.threshold(y2))}/人·年。" + _source_line(analysis)
    )
    return Markdown(f"# 全区增收监测总览（{y1}—{y2}年）\n\n{md_escape(lead)}")


def policy_table(policy) -> Markdown:
    """附：本报告使用的政策参数 (``Policy.table()``) as an escaped Markdown table."""
    lines = ["| 参数 | 取值 |", "| --- | --- |"]
    lines += [f"| {md_escape(k)} | {md_escape(_plain_source(k, v))} |" for k, v in policy.table()]
    return Markdown("\n".join(lines))


def _plain_source(name: str, value: str) -> str:
    """参数来源 without a file name: a leader reads whose parameters they are, not where they live."""
    if name != "参数来源":
        return value
    if value.startswith("政策文件"):
        return "本地政策参数（分析人员按本地文件设置）"
    return "内置默认参数（方案规定值）" if value.startswith("默认参数") else value
