"""How a value reads wherever zengshou shows or writes it: tables, key figures, the index, the
widgets, the Excel ledger and the CSV files of ``zengshou analyze``.

One module so that the same figure reads the same on every page and in every file:

- cell text: yuan (元, 万元), shares (%), dates, counts, lists joined with '；', 是/否;
- code → name for measures (M1…) and risk points (R1…), from the catalogue's tables;
- masking of resident IDs and phone numbers (reports travel on USB sticks and intranets);
- HTML and Markdown escaping (data comes from a workbook anyone can type into);
- the spreadsheet neutraliser: a text cell that Excel would read as a formula is marked as
  text, and bidi control characters (which can make "=1+1" look like a harmless name) go.
"""

from __future__ import annotations

import datetime as dt
import html as _html
import math
import re

import polars as pl

from lib.catalogue import HOUSEHOLD_COLUMNS, MEASURE_NAMES, RISK_POINTS

LIST_SEPARATOR = "；"
MISSING = "—"  # a figure that is not known (never shown as 0)

# ---------------------------------------------------------------------------------------
# Numbers: how a column's numbers read, from its name
# ---------------------------------------------------------------------------------------

# Column-name patterns that say how a number reads; first match wins.
_SHARE_NAME = re.compile(r"(率|占比|比例|覆盖|P0)$")
_INDEX_NAME = re.compile(r"^P[12]$")
_YUAN_NAME = re.compile(r"(收入|金额|缺口|增收|合计|监测线|标准|元)")
_YEAR_NAME = re.compile(r"(年度|年份)$")


def number_kind(column: str, integer: bool = False) -> str:
    """How numbers of a column read, from its name: year / share / index / yuan / count / plain.

    Shared by the HTML tables and the Excel ledger so both show a column the same way.
    """
    if _YEAR_NAME.search(column):
        return "year"
    if _INDEX_NAME.search(column):
        return "index"
    if _SHARE_NAME.search(column):
        return "share"
    if _YUAN_NAME.search(column):
        return "yuan"
    return "count" if integer else "plain"


def number_text(column: str, value: float) -> str:
    """How a number of column ``column`` reads in a table (no unit: the header says it)."""
    if isinstance(value, bool):
        return "是" if value else "否"
    kind = number_kind(column, integer=isinstance(value, int))
    if kind == "year":
        return f"{value:.0f}"
    if kind == "index":
        return f"{value:.4f}"
    if kind == "share":
        return percent(value)
    if kind == "count":
        return f"{value:,}"
    if kind == "yuan" or abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:,.2f}"


def is_number(value) -> bool:
    """A real number a table can sort by (not a boolean, not NaN)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and not (
        isinstance(value, float) and math.isnan(value)
    )


def yuan(value: float | None, *, fen: bool = False, sign: bool = False) -> str:
    """'12,346 元' (whole yuan, as the briefings print figures); ``fen=True`` keeps the fen
    ('12,345.60 元', for amounts that must add up); ``sign=True`` writes '+' for a gain."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return MISSING
    spec = ("+" if sign else "") + (",.2f" if fen else ",.0f")
    return f"{value:{spec}} 元"


def wan_yuan(value: float | None) -> str:
    """'12.35 万元': district totals, where whole yuan would be too many digits to read."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return MISSING
    return f"{value / 10_000:,.2f} 万元"


def percent(share: float | None, *, sign: bool = False) -> str:
    """0.125 → '12.5%' (one decimal: enough to tell 2.0% from 2.4%)."""
    if share is None or (isinstance(share, float) and math.isnan(share)):
        return MISSING
    return f"{share:{'+' if sign else ''}.1%}"


def count(n: int | None, unit: str = "户") -> str:
    """1200 → '1,200 户'."""
    return MISSING if n is None else f"{n:,} {unit}"


def date_text(value: dt.date | dt.datetime | None) -> str:
    """'2022-08-31' ('2022-08-31 14:05' for a time): the form the township forms use."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return value.isoformat()


def cell_text(column: str, value) -> str:
    """Plain text of one cell: lists joined with '；', booleans 是/否, None and NaN empty
    (missing, never 0), numbers as their column reads (``number_text``)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (int, float)):
        return number_text(column, value) if is_number(value) else ""
    if isinstance(value, (list, tuple)):
        return LIST_SEPARATOR.join(cell_text(column, v) for v in value if v is not None)
    if isinstance(value, (dt.date, dt.datetime)):
        return date_text(value)
    return str(value)


# ---------------------------------------------------------------------------------------
# Codes shown by name (the catalogue's tables; an unknown code stays as it is)
# ---------------------------------------------------------------------------------------

_RISK_LABELS = {r.code: r.label for r in RISK_POINTS}


def measure_name(code: str) -> str:
    """'M1' → '公益岗就业帮扶'."""
    return MEASURE_NAMES.get(code, code)


def risk_label(code: str) -> str:
    """'R1' → the risk point's label (务工减收 …)."""
    return _RISK_LABELS.get(code, code)


def measure_names(column: str) -> pl.Expr:
    """A list column of M-codes as measure names (公益岗就业帮扶 …; an unknown code stays)."""
    return pl.col(column).list.eval(pl.element().replace(MEASURE_NAMES)).alias(column)


def risk_labels(column: str) -> pl.Expr:
    """A list column of R-codes as risk-point labels (an unknown code stays)."""
    return pl.col(column).list.eval(pl.element().replace(_RISK_LABELS)).alias(column)


# ---------------------------------------------------------------------------------------
# Masking of personal identifiers
# ---------------------------------------------------------------------------------------
# A resident ID keeps only its first 6 digits (the issuing county) and last 4
# (230811********1234), a phone number its first 3 and last 4 (138****5678). A value too
# short to mask that way is hidden completely: a malformed number must never show more than
# a well-formed one. Each rule is a plain function (single values) and a polars expression
# (whole frames); ``mask_frame`` applies both to whichever identifier columns a frame has.

# Column names that hold identifiers, from the input catalogue (canonical name + aliases),
# so a frame that kept a user's header such as 身份证号 is masked too.
_ID_EN, _PHONE_EN = "resident_id", "phone"
RESIDENT_ID_COLUMNS: tuple[str, ...] = tuple(
    n for c in HOUSEHOLD_COLUMNS if c.en == _ID_EN for n in (c.name, *c.aliases)
)
PHONE_COLUMNS: tuple[str, ...] = tuple(
    n for c in HOUSEHOLD_COLUMNS if c.en == _PHONE_EN for n in (c.name, *c.aliases)
)

MASK_CHAR = "*"
# (kept at the start, kept at the end); a value must be longer than their sum to be shown
# partly, otherwise every character is masked.
ID_KEEP = (6, 4)
PHONE_KEEP = (3, 4)


def _mask(value: str | None, head: int, tail: int) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    if text == "":
        return ""
    n = len(text)
    if n <= head + tail:
        return MASK_CHAR * n
    return text[:head] + MASK_CHAR * (n - head - tail) + text[n - tail :]


def mask_resident_id(value: str | None) -> str | None:
    """'230811199001011234' -> '230811********1234'; None stays None."""
    return _mask(value, *ID_KEEP)


def mask_phone(value: str | None) -> str | None:
    """'13812345678' -> '138****5678'; None stays None."""
    return _mask(value, *PHONE_KEEP)


def _mask_expr(column: str | pl.Expr, head: int, tail: int) -> pl.Expr:
    expr = pl.col(column) if isinstance(column, str) else column
    name = expr.meta.output_name(raise_if_undetermined=False)
    text = expr.cast(pl.Utf8).str.strip_chars()
    n = text.str.len_chars()
    stars = pl.lit(MASK_CHAR).repeat_by(n - head - tail).list.join("")
    all_stars = pl.lit(MASK_CHAR).repeat_by(n).list.join("")
    masked = (
        pl.when(text.is_null())
        .then(pl.lit(None, dtype=pl.Utf8))
        .when(n > head + tail)
        .then(pl.concat_str([text.str.head(head), stars, text.str.tail(tail)]))
        .otherwise(all_stars)
    )
    return masked.alias(name) if name else masked


def resident_id_expr(column: str | pl.Expr) -> pl.Expr:
    """Polars expression masking a resident-ID column (same rule as ``mask_resident_id``);
    it keeps the column's name."""
    return _mask_expr(column, *ID_KEEP)


def phone_expr(column: str | pl.Expr) -> pl.Expr:
    """Polars expression masking a phone column (same rule as ``mask_phone``)."""
    return _mask_expr(column, *PHONE_KEEP)


# Columns of text the program writes that may quote an identifier (findings, rejects).
TEXT_COLUMNS = ("说明", "原因", "值")
# An ID or a mobile number written inside text, kept as ID_KEEP / PHONE_KEEP keep them.
_ID_IN_TEXT = (r"(\d{%d})\d{8}(\d{3}[\dXx])" % ID_KEEP[0], "${1}" + MASK_CHAR * 8 + "${2}")
_PHONE_IN_TEXT = (r"(1[3-9]\d)\d{4}(\d{%d})" % PHONE_KEEP[1], "${1}" + MASK_CHAR * 4 + "${2}")


def text_expr(column: str) -> pl.Expr:
    """Polars expression masking IDs and mobile numbers written inside a text column."""
    text = pl.col(column).cast(pl.String)
    for pattern, kept in (_ID_IN_TEXT, _PHONE_IN_TEXT):
        text = text.str.replace_all(pattern, kept)
    return text.alias(column)


def mask_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """The frame with every resident-ID and phone column masked, and IDs and phones inside
    its free-text columns (others untouched)."""
    exprs = [resident_id_expr(c) for c in RESIDENT_ID_COLUMNS if c in frame.columns]
    exprs += [phone_expr(c) for c in PHONE_COLUMNS if c in frame.columns]
    exprs += [text_expr(c) for c in TEXT_COLUMNS if c in frame.columns and frame.schema[c] == pl.String]
    return frame.with_columns(exprs) if exprs else frame


# ---------------------------------------------------------------------------------------
# Escaping
# ---------------------------------------------------------------------------------------


def escape(value) -> str:
    """Text for HTML element content or a quoted attribute (None → empty).

    Besides ``& < > " '`` the backtick is escaped too, so data can never look like a
    JavaScript template-literal import to ``lib.report.html.external_references``.
    """
    return "" if value is None else _html.escape(str(value), quote=True).replace("`", "&#96;")


def css_string(value) -> str:
    """``value`` as a quoted CSS string (for ``content:`` in a style sheet).

    Only ASCII letters and digits and printable non-ASCII characters (Chinese text) stay as
    they are; every other character is written as a CSS hex escape, so data cannot end the
    string, the rule or the ``<style>`` element, nor write ``url(``."""
    out = []
    for ch in "" if value is None else str(value):
        keep = (ch.isascii() and ch.isalnum()) or (not ch.isascii() and ch.isprintable() and ch not in BIDI_CONTROLS)
        out.append(ch if keep else f"\\{ord(ch):x} ")
    return '"' + "".join(out) + '"'


_MD_SPECIAL = re.compile(r"([\\`*_\[\]{}()#+!|~>-])")


def md_escape(value) -> str:
    """Text safe inside Markdown: HTML-escaped, Markdown punctuation backslash-escaped
    (the backtick among it; quotes stay, an entity's '#' would be escaped to text)."""
    return _MD_SPECIAL.sub(r"\\\1", _html.escape(str(value), quote=False))


# ---------------------------------------------------------------------------------------
# Text cells in CSV and XLSX files
# ---------------------------------------------------------------------------------------
# Excel and WPS run a cell that starts with = + - @ (or tab / CR before one) as a formula
# (OWASP "CSV injection"); a leading apostrophe is Excel's own mark for "this is text". A
# number such as -120.5 is left alone: it is data, not a formula. Bidi controls can show
# "=HYPERLINK(…)" reversed as an innocent name, so they are removed from every text cell.

BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f"
_BIDI = "[" + BIDI_CONTROLS + "]"
_BIDI_RE = re.compile(_BIDI)
_FORMULA_START = r"^[=+\-@\t\r]"
_NUMBER = r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$"
_FORMULA_START_RE, _NUMBER_RE = re.compile(_FORMULA_START), re.compile(_NUMBER)
TEXT_MARK = "'"


def spreadsheet_text(text: str) -> tuple[str, bool]:
    """(the text without bidi controls, whether it must be marked as text).

    The XLSX ledger marks such a cell with the quote-prefix format (what Excel does when a
    clerk types the apostrophe); a CSV file can only carry the apostrophe itself."""
    clean = _BIDI_RE.sub("", text)
    return clean, bool(_FORMULA_START_RE.match(clean)) and not _NUMBER_RE.match(clean)


def neutralise(value):
    """A CSV cell safe to open in Excel: text starting like a formula gets a leading
    apostrophe, bidi controls removed; numbers, None and other values unchanged."""
    if not isinstance(value, str):
        return value
    clean, mark = spreadsheet_text(value)
    return TEXT_MARK + clean if mark else clean


def neutralise_expr(column: str) -> pl.Expr:
    """Polars expression doing ``neutralise`` on a text column (same rule, whole frames)."""
    clean = pl.col(column).cast(pl.String).str.replace_all(_BIDI, "")
    mark = clean.str.contains(_FORMULA_START) & ~clean.str.contains(_NUMBER)
    return pl.when(mark).then(pl.lit(TEXT_MARK) + clean).otherwise(clean).alias(column)


def neutralise_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """Every text column neutralised (``neutralise``); numeric columns stay numbers."""
    texts = [name for name, dtype in frame.schema.items() if dtype in (pl.String, pl.Categorical)]
    if not texts:
        return frame
    # One scan per column finds the (rare) columns with a cell to change; only those are rewritten.
    touched = frame.select(
        pl.col(c).cast(pl.String).str.contains(f"{_BIDI}|{_FORMULA_START}").any().alias(c) for c in texts
    ).row(0)
    return frame.with_columns(neutralise_expr(c) for c, t in zip(texts, touched, strict=True) if t)
