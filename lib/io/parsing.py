"""Cell parsing for the input sheets: headers, amounts, counts, years, yes/no, dates, IDs.

Pure functions, no I/O. Each parser is a pair of polars expressions over a Utf8 column —
the parsed value and a Chinese reason (null when the cell is fine) — so the reader parses a
million-row column in one vectorised pass. The scalar helpers (``parse_amount`` …) run the
very same expressions on one value, so tests of the scalar form test the column form.

A column may also come typed (a parquet Float64, Int64, Boolean or Date): the parsers read it
as the text polars writes for it, with the same result, but take the plain cells (a finite
non-negative amount, a year in range …) in their own type without writing them out as text.

A cell that cannot be read never becomes 0: it gets a reason, and the reader rejects the row.
Blank money cells are 0 only where the data contract says so (income amounts).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import NamedTuple

import polars as pl

from lib.catalogue import Column

# ---------------------------------------------------------------------------------------
# Headers
# ---------------------------------------------------------------------------------------

# Unit or fill-in hints that real sheets append to a header: 务工收入（元）, 家庭人口数(人) …
# Only these are dropped, so a meaningful bracket such as 乡(镇) survives.
_UNIT_SUFFIX = re.compile(
    r"[(\[【]\s*(元|万元|元/年|元/人|元/人/年|元/户|元/月|月|个月|人|个|户|年|天|亩|%|必填|选填|可空)\s*[)\]】]$"
)
_HEADER_NOISE = re.compile(r"[\s*※:：]")


def normalise_header(text: object) -> str:
    """Header as compared: half-width, no spaces or line breaks, no unit suffix or * marker."""
    if text is None:
        return ""
    s = unicodedata.normalize("NFKC", str(text))  # full-width （元） → (元), Ａ → A
    s = _HEADER_NOISE.sub("", s)
    while True:  # "金额(元)(必填)" carries two suffixes
        stripped = _UNIT_SUFFIX.sub("", s)
        if stripped == s:
            return s
        s = stripped


def _header_lookup(columns: Iterable[Column]) -> dict[str, str]:
    """Normalised header → canonical name; Chinese names win over English names over aliases."""
    lookup: dict[str, str] = {}
    columns = tuple(columns)
    for level in (lambda c: c.aliases, lambda c: (c.en,), lambda c: (c.name,)):
        for column in columns:
            for key in level(column):
                lookup[normalise_header(key).lower()] = column.name
    return lookup


def match_columns(headers: Sequence[object], columns: Sequence[Column]) -> dict[str, str]:
    """Raw header → canonical column name, for the headers that match a catalogue column.

    A header matches by the Chinese name, the English name (case-insensitive) or an alias,
    all compared after ``normalise_header``. When two headers match the same column the first
    one (leftmost) is used.
    """
    lookup = _header_lookup(columns)
    matched: dict[str, str] = {}
    taken: set[str] = set()
    for header in headers:
        if header is None or header in matched:
            continue
        name = lookup.get(normalise_header(header).lower())
        if name is not None and name not in taken:
            matched[header] = name
            taken.add(name)
    return matched


# ---------------------------------------------------------------------------------------
# Column parsers: Utf8 Series in, (value, reason) columns out
# ---------------------------------------------------------------------------------------
# Each parser runs in stages (cleaned text → pieces → value and reason), every stage naming
# its columns, so a piece used by several conditions is computed once per cell. (Nesting the
# same expression inside each condition would recompute it and make a million-row column slow.)


class Parsed(NamedTuple):
    value: object
    reason: str | None  # Chinese; None when the cell was read


# Characters a sheet does not show: zero-width spaces and joiners, word joiner, soft hyphen,
# BOM, and the bidi controls (a right-to-left override can make a name read backwards).
INVISIBLE = r"[\x{00AD}\x{200B}-\x{200F}\x{202A}-\x{202E}\x{2060}-\x{2064}\x{2066}-\x{2069}\x{FEFF}]"
# What a key may hold that its user cannot see: the above, and no-break / full-width spaces.
UNSEEN_IN_KEY = r"[\x{00A0}\x{3000}\x{00AD}\x{200B}-\x{200F}\x{202A}-\x{202E}\x{2060}-\x{2064}\x{2066}-\x{2069}\x{FEFF}]"


def clean_text(expr: pl.Expr) -> pl.Expr:
    """NFKC (full-width digits, ￥, （）, no-break spaces), invisible characters removed,
    trimmed; empty → null."""
    s = expr.cast(pl.String).str.normalize("NFKC").str.replace_all(INVISIBLE, "").str.strip_chars()
    return pl.when(s == "").then(None).otherwise(s)


DEDUPE_FROM = 10_000  # above this many cells, parse each distinct text once and join back


class Shortcut(NamedTuple):
    """Cells a parser reads without its stages: where ``accept`` holds (over column "raw"),
    ``outputs`` are exactly what the stages would give. Plain cells (a typed Float64 amount, an
    ID of digits) are nearly all cells of a big sheet; only the others go through the stages."""

    accept: pl.Expr
    outputs: dict[str, pl.Expr]


def _run_stages(raw: pl.Series, stages: Sequence[dict[str, pl.Expr]], outputs: Sequence[str], dedupe: bool) -> pl.DataFrame:
    if len(raw) > 1 and raw.null_count() == len(raw):  # a column the sheet does not have: parse one blank
        one = _run_stages(raw.head(1), stages, outputs, dedupe=False)
        return one.select(pl.all().gather(pl.repeat(0, len(raw), dtype=pl.UInt32)))
    # Amounts, years, yes/no repeat a lot in a big sheet: parsing distinct texts is far cheaper.
    distinct = raw.unique() if dedupe and len(raw) > DEDUPE_FROM else raw
    frame = distinct.to_frame().lazy()
    for stage in stages:
        frame = frame.with_columns(**stage)
    if distinct is raw:
        return frame.select(outputs).collect()
    parsed = frame.select("raw", *outputs).collect()
    return raw.to_frame().join(parsed, on="raw", how="left", nulls_equal=True, maintain_order="left").select(outputs)


def _staged(series: pl.Series, *stages: dict[str, pl.Expr], outputs: Sequence[str] = ("value", "reason"),
            dedupe: bool = True, shortcut: Callable[[pl.DataType], Shortcut | None] | None = None) -> pl.DataFrame:
    """Run ``stages`` over the cells as text; typed cells (a parquet Float64 …) are read as the text
    polars writes for them. ``shortcut(dtype)`` may read plain cells directly, in their own type.

    Text that repeats (amounts, years) is deduplicated instead, which is as fast as a shortcut."""
    raw = series.rename("raw")
    quick = shortcut(raw.dtype) if shortcut is not None else None
    if quick is None and raw.dtype != pl.String:
        raw = raw.cast(pl.String)
        quick = shortcut(pl.String) if shortcut is not None else None
    if quick is None or raw.is_empty():
        return _run_stages(raw.cast(pl.String), stages, outputs, dedupe)
    frame = raw.to_frame()
    if dedupe and raw.dtype == pl.String and len(raw) > DEDUPE_FROM and _accepts_all(quick, raw.unique()):
        accepted = raw.is_not_null()  # every distinct text is plain: no cell needs the test again
    else:
        accepted = frame.select((quick.accept & pl.col("raw").is_not_null()).fill_null(False)).to_series()
    # what the stages give a blank cell; each stage works cell by cell, so cells can be split up
    blank = _run_stages(pl.Series("raw", [None], dtype=pl.String), stages, outputs, dedupe=False)
    if accepted.all():
        return frame.select(quick.outputs[o].cast(blank.schema[o]).alias(o) for o in outputs)
    rest = ~accepted & raw.is_not_null()
    slow = _run_stages(raw.filter(rest).cast(pl.String), stages, outputs, dedupe)
    position = pl.select(pl.when(rest).then(rest.cum_sum().cast(pl.Int64) - 1)).to_series().cast(pl.UInt32)
    frame = frame.with_columns(accepted.alias("__accepted"), *(slow[o].gather(position).alias(f"__slow_{o}") for o in outputs))
    return frame.select(
        pl.when(pl.col("__accepted")).then(quick.outputs[o].cast(blank.schema[o]))
        .when(pl.col("raw").is_null()).then(pl.lit(blank[o][0], dtype=blank.schema[o]))
        .otherwise(pl.col(f"__slow_{o}"))
        .alias(o)
        for o in outputs
    )


def _accepts_all(quick: Shortcut, distinct: pl.Series) -> bool:
    """Whether ``quick`` reads every non-blank text of ``distinct`` (the column's distinct cells):
    amounts, years, yes/no repeat, so this tests a few thousand texts instead of every cell."""
    return distinct.to_frame().select((quick.accept | pl.col("raw").is_null()).fill_null(False).all()).item()


def null_column(name: str, length: int) -> pl.Series:
    """An all-blank text column (a column the sheet does not have)."""
    return pl.repeat(None, length, dtype=pl.String, eager=True).alias(name)


T = pl.col("text")
R = pl.col("raw")
_NO_REASON = pl.lit(None, dtype=pl.String)
_EXACT_INT = 2**53  # integers below this are exact as Float64, like the digits read back from text


def _plain_float(x: pl.Expr) -> pl.Expr:
    """A Float64 that polars writes as a plain unsigned decimal with round-trip digits.

    Polars writes 1e-5 ≤ x < 1e16 without an exponent (and −0.0 with its sign, which the text
    parsers read as negative); the bounds here keep a margin inside that range."""
    return x.is_finite() & (((x >= 1e-4) & (x < 1e15)) | ((x == 0) & (1.0 / x > 0)))


def _exact_int(x: pl.Expr) -> pl.Expr:
    return (x >= 0) & (x < _EXACT_INT)


_DECIMAL = r"^(\d+|\d{1,3}(,\d{3})+)(\.\d+)?$"
_RANGE = r"\d[~\-—至到]\d"
# Text the cleaning stages leave as it is and every number stage reads as written (no sign,
# exponent, separator, unit, space or non-ASCII digit): read straight with a cast.
_PLAIN_DECIMAL = r"^[0-9]+(\.[0-9]+)?$"
_PLAIN_WHOLE = r"^[0-9]+$"
_NO_SPACES = {"text": clean_text(pl.col("raw")).str.replace_all(r"\s", "")}


def parse_amount_column(series: pl.Series, blank_is_zero: bool = True) -> pl.DataFrame:
    """Yuan per year. Accepts 1200, 1,200, 1200元, ￥1,200.50, 1200.0, 1.2万; blank → 0 (or null)."""
    core = T.str.replace(r"^[¥$]", "").str.replace(r"(元/年|元每年|元|块)$", "")
    pieces = {"wan": core.str.ends_with("万"), "number": core.str.replace(r"万$", "")}
    checks = {"valid": pl.col("number").str.contains(_DECIMAL)}
    value = (
        pl.when(pl.col("valid"))
        .then(pl.col("number").str.replace_all(",", "").cast(pl.Float64, strict=False)
              * pl.when(pl.col("wan")).then(10_000.0).otherwise(1.0))
        .round(2)
    )
    if blank_is_zero:
        value = pl.when(T.is_null()).then(0.0).otherwise(value)
    reason = (
        pl.when(T.is_null() | pl.col("valid")).then(None)
        .when(pl.col("number").str.contains(r"^-\d")).then(pl.lit("金额不能为负数"))
        .when(T.str.contains(r"/月|每月|月均|元月")).then(pl.lit("像是月收入，请换算为全年金额（元/年）"))
        .when(T.str.contains(_RANGE)).then(pl.lit("是一个范围，请填写确定的金额"))
        .otherwise(pl.lit("不是金额，请只填数字（单位：元）"))
    )
    return _staged(series, _NO_SPACES, pieces, checks, {"value": value, "reason": reason}, shortcut=_amount_shortcut)


def _amount_shortcut(dtype: pl.DataType) -> Shortcut | None:
    if dtype.is_integer():
        return Shortcut(_exact_int(R), {"value": R.cast(pl.Float64).round(2), "reason": _NO_REASON})
    if dtype == pl.Float64:
        return Shortcut(_plain_float(R), {"value": R.round(2), "reason": _NO_REASON})
    if dtype == pl.String:  # ASCII digits with an optional fraction: the stages read the same number
        return Shortcut(R.str.contains(_PLAIN_DECIMAL), {"value": R.cast(pl.Float64, strict=False).round(2), "reason": _NO_REASON})
    return None


def parse_count_column(series: pl.Series) -> pl.DataFrame:
    """A whole number of people: 3, 3.0, 3人; null when blank."""
    text = {"text": clean_text(pl.col("raw")).str.replace_all(r"\s", "").str.replace(r"(人|个|口|名)$", "")}
    checks = {"valid": T.str.contains(r"^\d+(\.0+)?$")}
    value = pl.when(pl.col("valid")).then(T.cast(pl.Float64, strict=False).cast(pl.Int64))
    reason = (
        pl.when(T.is_null() | pl.col("valid")).then(None)
        .when(T.str.contains(r"^-\d")).then(pl.lit("人数不能为负数"))
        .when(T.str.contains(r"^\d+\.\d+$")).then(pl.lit("人数应为整数"))
        .otherwise(pl.lit("不是整数"))
    )
    return _staged(series, text, checks, {"value": value, "reason": reason}, shortcut=_count_shortcut)


def _count_shortcut(dtype: pl.DataType) -> Shortcut | None:
    if dtype.is_integer():
        return Shortcut(_exact_int(R), {"value": pl.when(_exact_int(R)).then(R).cast(pl.Int64), "reason": _NO_REASON})
    if dtype == pl.Float64:
        accept = _plain_float(R) & (R == R.floor())
        return Shortcut(accept, {"value": pl.when(accept).then(R).cast(pl.Int64), "reason": _NO_REASON})
    if dtype == pl.String:
        return Shortcut(R.str.contains(_PLAIN_WHOLE), {"value": R.cast(pl.Float64, strict=False).cast(pl.Int64), "reason": _NO_REASON})
    return None


YEAR_RANGE = (1990, 2100)


def parse_year_column(series: pl.Series) -> pl.DataFrame:
    """A four-digit year: 2022, 2022.0, 2022年, 2022年度; null when blank."""
    text = {"text": clean_text(pl.col("raw")).str.replace_all(r"\s", "").str.replace(r"(年度|年)$", "")}
    shaped = {"shaped": T.str.contains(r"^\d{4}(\.0+)?$")}
    number = {"number": pl.when(pl.col("shaped")).then(T.cast(pl.Float64, strict=False).cast(pl.Int64))}
    in_range = {"ok": pl.col("number").is_between(*YEAR_RANGE).fill_null(False)}
    value = pl.when(pl.col("ok")).then(pl.col("number"))
    reason = (
        pl.when(T.is_null() | pl.col("ok")).then(None)
        .when(pl.col("shaped")).then(pl.lit(f"年度超出范围（{YEAR_RANGE[0]}–{YEAR_RANGE[1]}）"))
        .otherwise(pl.lit("不是4位年份"))
    )
    return _staged(series, text, shaped, number, in_range, {"value": value, "reason": reason}, shortcut=_year_shortcut)


def _year_shortcut(dtype: pl.DataType) -> Shortcut | None:
    if dtype.is_integer():
        accept = R.is_between(*YEAR_RANGE)
    elif dtype == pl.Float64:  # written 2022.0
        accept = R.is_between(*YEAR_RANGE) & R.is_finite() & (R == R.floor())
    elif dtype == pl.String:  # four ASCII digits in range
        number = R.cast(pl.Int64, strict=False)
        accept = R.str.contains(r"^[0-9]{4}$") & number.is_between(*YEAR_RANGE)
        return Shortcut(accept, {"value": pl.when(accept).then(number), "reason": _NO_REASON})
    else:
        return None
    return Shortcut(accept, {"value": pl.when(accept).then(R).cast(pl.Int64), "reason": _NO_REASON})


def parse_months_column(series: pl.Series) -> pl.DataFrame:
    """Months worked in the year, 0–12 (6, 6.5, 6个月); null when blank (= not given)."""
    text = {"text": clean_text(pl.col("raw")).str.replace_all(r"\s", "").str.replace(r"(个月|月)$", "")}
    shaped = {"shaped": T.str.contains(r"^\d+(\.\d+)?$")}
    number = {"number": pl.when(pl.col("shaped")).then(T.cast(pl.Float64, strict=False))}
    in_range = {"ok": (pl.col("number") <= 12).fill_null(False)}
    value = pl.when(pl.col("ok")).then(pl.col("number"))
    reason = (
        pl.when(T.is_null() | pl.col("ok")).then(None)
        .when(pl.col("shaped")).then(pl.lit("务工月数超过12个月"))
        .when(T.str.contains(r"^-\d")).then(pl.lit("月数不能为负数"))
        .otherwise(pl.lit("不是月数，请填0–12的数字"))
    )
    return _staged(series, text, shaped, number, in_range, {"value": value, "reason": reason}, shortcut=_months_shortcut)


def _months_shortcut(dtype: pl.DataType) -> Shortcut | None:
    if dtype.is_integer():
        return Shortcut(R.is_between(0, 12), {"value": R.cast(pl.Float64), "reason": _NO_REASON})
    if dtype == pl.Float64:
        return Shortcut(_plain_float(R) & (R <= 12), {"value": R, "reason": _NO_REASON})
    if dtype == pl.String:
        number = R.cast(pl.Float64, strict=False)
        return Shortcut(R.str.contains(_PLAIN_DECIMAL) & (number <= 12), {"value": number, "reason": _NO_REASON})
    return None


TRUE_WORDS = ("是", "y", "yes", "1", "1.0", "√", "✓", "✔", "true", "有")
FALSE_WORDS = ("否", "n", "no", "0", "0.0", "×", "✗", "false", "无")


def parse_bool_column(series: pl.Series, blank: bool | None = False) -> pl.DataFrame:
    """是/否, Y/N, 1/0, √/×, TRUE/FALSE; blank → ``blank``."""
    text = {"text": clean_text(pl.col("raw")).str.replace_all(r"\s", "").str.to_lowercase()}
    mapping = {**{w: True for w in TRUE_WORDS}, **{w: False for w in FALSE_WORDS}}
    mapped = {"mapped": T.replace_strict(mapping, default=None, return_dtype=pl.Boolean)}
    value = pl.when(T.is_null()).then(pl.lit(blank, dtype=pl.Boolean)).otherwise(pl.col("mapped"))
    reason = pl.when(T.is_not_null() & pl.col("mapped").is_null()).then(pl.lit("应填“是”或“否”"))
    return _staged(series, text, mapped, {"value": value, "reason": reason}, shortcut=_bool_shortcut)


def _bool_shortcut(dtype: pl.DataType) -> Shortcut | None:
    if dtype == pl.Boolean:  # written true / false
        return Shortcut(pl.lit(True), {"value": R, "reason": _NO_REASON})
    if dtype.is_integer():  # written 1 / 0
        return Shortcut(R.is_in([0, 1]), {"value": R == 1, "reason": _NO_REASON})
    if dtype == pl.Float64:  # written 1.0 / 0.0 (−0.0 is not a yes/no word)
        return Shortcut((R == 1.0) | ((R == 0) & (1.0 / R > 0)), {"value": R == 1.0, "reason": _NO_REASON})
    if dtype == pl.String:  # the words as the template's drop-down writes them
        return Shortcut(R.is_in(["是", "否"]), {"value": R == "是", "reason": _NO_REASON})
    return None


_EXCEL_EPOCH = dt.date(1899, 12, 30)


def parse_date_column(series: pl.Series) -> pl.DataFrame:
    """2022-08-15, 2022/8/15, 2022.8.15, 2022年8月15日, 2022-08-15 00:00:00, Excel day numbers."""
    text = {"text": clean_text(pl.col("raw")).str.replace(r"\s+00:00:00(\.0+)?$", "").str.replace_all(r"\s", "")}
    pieces = {
        "parsed": T.str.replace_all(r"[/.年月]", "-").str.replace(r"日$", "").str.to_date("%Y-%m-%d", strict=False),
        "serial": pl.when(T.str.contains(r"^\d{5}(\.0+)?$")).then(T.cast(pl.Float64, strict=False).cast(pl.Int64)),
    }
    from_serial = pl.when(pl.col("serial").is_between(20_000, 80_000)).then(pl.lit(_EXCEL_EPOCH) + pl.duration(days=pl.col("serial")))
    value = {"value": pl.coalesce(pl.col("parsed"), from_serial)}
    reason = pl.when(T.is_not_null() & pl.col("value").is_null()).then(pl.lit("不是日期（如 2022-08-15）"))
    return _staged(series, text, pieces, value, {"reason": reason}, shortcut=_date_shortcut)


def _date_shortcut(dtype: pl.DataType) -> Shortcut | None:
    if dtype == pl.Date:  # written YYYY-MM-DD
        return Shortcut(R.dt.year().is_between(1900, 2999), {"value": R, "reason": _NO_REASON})
    return None


def parse_choice_column(series: pl.Series, mapping: Mapping[str, str], allowed: Sequence[str]) -> pl.DataFrame:
    """One of a fixed list. ``mapping`` maps accepted spellings (spaces removed) to the stored value."""
    value = {"value": T.replace_strict(dict(mapping), default=None, return_dtype=pl.String)}
    reason = pl.when(T.is_not_null() & pl.col("value").is_null()).then(pl.lit(f"不是可选值（可选：{'、'.join(allowed)}）"))
    return _staged(series, _NO_SPACES, value, {"reason": reason})


# Text that NFKC and trimming leave as it is: printable ASCII and CJK unified ideographs
# (neither has a compatibility form or combines), no space at either end.
_PLAIN_TEXT = r"^[!-~\x{4E00}-\x{9FFF}](?:[ -~\x{4E00}-\x{9FFF}]*[!-~\x{4E00}-\x{9FFF}])?$"


def _unchanged_if(shape: str) -> Callable[[pl.DataType], Shortcut | None]:
    """Text cells of ``shape`` are their own value (the stages would leave them as they are)."""
    return lambda dtype: Shortcut(R.str.contains(shape), {"value": R, "reason": _NO_REASON}) if dtype == pl.String else None


def parse_text_column(series: pl.Series) -> pl.DataFrame:
    return _staged(series, {"value": clean_text(pl.col("raw")), "reason": pl.lit(None, dtype=pl.String)}, dedupe=False,
                   shortcut=_unchanged_if(_PLAIN_TEXT))


# ---------------------------------------------------------------------------------------
# IDs and phone numbers: text kept exactly
# ---------------------------------------------------------------------------------------

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"  # GB 11643: check character for sum mod 11
EXCEL_DIGITS = 15  # Excel keeps 15 significant digits of a number; longer IDs lose the tail


def id_text(expr: pl.Expr) -> pl.Expr:
    """An ID or phone number as text: NFKC, no spaces, no leading apostrophe (Excel's text mark)."""
    return clean_text(expr).str.replace_all(r"\s", "").str.strip_prefix("'").str.to_uppercase()


def parse_id_column(series: pl.Series) -> pl.DataFrame:
    # ASCII digits and capitals: no full-width form, space, apostrophe or lower case to clean
    return _staged(series, {"value": id_text(pl.col("raw")), "reason": pl.lit(None, dtype=pl.String)}, dedupe=False,
                   shortcut=_unchanged_if(r"^[0-9A-Z]+$"))


def _calendar_date(yyyymmdd: pl.Expr) -> pl.Expr:
    """Whether the digits YYYYMMDD name a day of the calendar (what strptime("%Y%m%d") accepts),
    by arithmetic: parsing 200,000 birth dates as dates cost a tenth of a second."""
    year, month, day = yyyymmdd // 10_000, yyyymmdd // 100 % 100, yyyymmdd % 100
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    days = month.replace_strict({1: 31, 2: 28, 3: 31, 4: 30, 5: 31, 6: 30, 7: 31, 8: 31, 9: 30, 10: 31, 11: 30, 12: 31},
                                default=0, return_dtype=pl.Int64) + (leap & (month == 2)).cast(pl.Int64)
    return (day >= 1) & (day <= days)


def parse_resident_id_column(series: pl.Series) -> pl.DataFrame:
    """(value, damage, finding) columns for resident IDs.

    Damage (the row cannot be trusted, reject it): the ID went through a number — scientific
    notation, a decimal point, or 18 digits ending in 000 that fail the checksum, which is
    what Excel leaves after rounding to 15 digits. Finding (row kept, flagged): wrong length,
    checksum or birth date.
    """
    # A column of ASCII digits and capitals only is its own cleaned text (see ``parse_id_column``):
    # one scan instead of the cleaning stages over every cell.
    plain = series.dtype == pl.String and series.str.contains(r"^[0-9A-Z]+$").fill_null(True).all()
    text = {"text": pl.col("raw") if plain else id_text(pl.col("raw"))}
    shaped = {"shaped": T.str.contains(r"^\d{17}[\dX]$")}
    # 17 digits fit an Int64: take the digits arithmetically rather than slicing the text 17 times
    first17 = {"first17": pl.when(pl.col("shaped")).then(T.str.slice(0, 17).str.to_integer(strict=False))}
    total = pl.sum_horizontal((pl.col("first17") // 10 ** (16 - i)) % 10 * w for i, w in enumerate(_ID_WEIGHTS))
    check = {
        "checksum_ok": pl.col("shaped") & (T.str.slice(17, 1) == (total % 11).replace_strict(dict(enumerate(_ID_CHECK)), return_dtype=pl.String)),
        "birth_ok": _calendar_date(pl.col("first17") // 1000 % 100_000_000),
    }
    damage = {"damage": (
        pl.when(T.str.contains(r"^\d(\.\d+)?E[+]?\d+$"))
        .then(pl.lit("是科学计数法：证件号码被Excel按数字保存，后几位已丢失，请将该列设为文本后重新录入"))
        .when(T.str.contains(r"^\d+\.\d+$"))
        .then(pl.lit("带小数点：证件号码经过数字格式转换，请以文本重新录入"))
        .when(pl.col("shaped") & ~pl.col("checksum_ok") & T.str.ends_with("000"))
        .then(pl.lit("末三位为000且校验位不符：疑似被Excel按数字保存（只保留15位有效数字）后截断"))
    )}
    finding = (
        pl.when(T.is_null() | pl.col("damage").is_not_null() | (pl.col("checksum_ok") & pl.col("birth_ok"))).then(None)
        .when(~pl.col("shaped")).then(pl.lit("不是18位居民身份证号码"))
        .when(~pl.col("checksum_ok")).then(pl.lit("校验位不符（GB 11643），请核对证件号码"))
        .otherwise(pl.lit("出生日期无效，请核对证件号码"))
    )
    return _staged(series, text, shaped, first17, check, damage, {"value": T, "finding": finding},
                   outputs=("value", "damage", "finding"), dedupe=False)


def stored_as_number_reason(value: pl.Series, stored_as_number: pl.Series) -> pl.Series:
    """Reason for an ID cell that Excel (or a typed file) held as a number and that is too long to survive."""
    frame = pl.DataFrame({"value": value, "numeric": stored_as_number})
    digits = pl.col("value").str.replace_all(r"\D", "").str.len_chars()
    return frame.select(
        pl.when(pl.col("numeric") & (digits > EXCEL_DIGITS))
        .then(pl.lit(f"单元格被存为数字：超过{EXCEL_DIGITS}位的数字末几位已丢失，请将该列设为文本后重新录入"))
        .alias("reason")
    ).to_series()


# ---------------------------------------------------------------------------------------
# Scalar forms (same column parsers, one value)
# ---------------------------------------------------------------------------------------


def _one(parser, text: object, *args) -> tuple:
    return parser(pl.Series([None if text is None else str(text)], dtype=pl.String), *args).row(0)


def parse_amount(text: object, blank_is_zero: bool = True) -> Parsed:
    return Parsed(*_one(parse_amount_column, text, blank_is_zero))


def parse_int(text: object) -> Parsed:
    return Parsed(*_one(parse_count_column, text))


def parse_year(text: object) -> Parsed:
    return Parsed(*_one(parse_year_column, text))


def parse_months(text: object) -> Parsed:
    return Parsed(*_one(parse_months_column, text))


def parse_bool(text: object, blank: bool | None = False) -> Parsed:
    return Parsed(*_one(parse_bool_column, text, blank))


def parse_date(text: object) -> Parsed:
    return Parsed(*_one(parse_date_column, text))


def normalise_resident_id(text: object) -> str | None:
    return _one(parse_resident_id_column, text)[0]


def resident_id_problem(text: object) -> tuple[str | None, str | None]:
    """(damage reason, finding reason) for one ID; both None when the ID is valid."""
    _, damage, finding = _one(parse_resident_id_column, text)
    return damage, finding


def resident_id_valid(text: object) -> bool:
    """True for an 18-character GB 11643 ID whose check character and birth date are right."""
    value, damage, finding = _one(parse_resident_id_column, text)
    return value is not None and damage is None and finding is None


def normalise_phone(text: object) -> str | None:
    return _one(parse_id_column, text)[0]
