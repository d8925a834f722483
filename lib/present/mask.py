"""Masking of personal identifiers in everything a report shows.

Reports travel on USB sticks and intranets, so a resident ID keeps only its first 6 digits
(the issuing county) and last 4 (230811********1234), and a phone number only its first 3
and last 4 (138****5678). A value too short to mask that way is hidden completely: a
malformed number must never show more than a well-formed one.

Free text (a finding's 说明, a reject's 原因 or 值) can quote a number: an 18-character
resident ID or an 11-digit mobile number inside such text is masked by the same rule.

Each rule exists as a plain function (for single values, e.g. in Excel cells) and as a
polars expression (for whole frames); ``mask_frame`` applies both rules to whichever
identifier columns a frame has, and every table a report shows goes through it.
"""

from __future__ import annotations

import polars as pl

from lib.catalogue import HOUSEHOLD_COLUMNS

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
    text = pl.col(column).cast(pl.Utf8)
    for pattern, kept in (_ID_IN_TEXT, _PHONE_IN_TEXT):
        text = text.str.replace_all(pattern, kept)
    return text.alias(column)


def mask_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """The frame with every resident-ID and phone column masked, and IDs and phones inside
    its free-text columns (others untouched)."""
    exprs = [resident_id_expr(c) for c in RESIDENT_ID_COLUMNS if c in frame.columns]
    exprs += [phone_expr(c) for c in PHONE_COLUMNS if c in frame.columns]
    exprs += [text_expr(c) for c in TEXT_COLUMNS if c in frame.columns and frame.schema[c] == pl.Utf8]
    return frame.with_columns(exprs) if exprs else frame
