"""Matching the 户编号 of 收入 and 帮扶措施 to the roster as a clerk would.

A 户编号 column that Excel held as numbers loses its leading zeros (0001 → 1): every income
row of the sheet would then be "不在户信息中". Such an ID is given back its zeros when exactly
one roster ID reads the same without them; the row is used and a finding (W208) says so.
"""

from __future__ import annotations

import polars as pl

from lib.catalogue import ID, SOURCE_ROW
from lib.codes import problem_columns, sentence


def restore_leading_zeros(roster: pl.DataFrame, frame: pl.DataFrame, sheet: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(``frame`` with unambiguous IDs restored, the findings saying which)."""
    known = roster.get_column(ID)
    stripped = pl.col(ID).str.strip_chars_start("0")
    # Only IDs not on the roster are candidates, and there are usually none: the roster's
    # digits-without-zeros table is built only when one is found.
    unknown = ~pl.col(ID).is_in(known.implode())
    candidates = frame.filter(unknown)
    if candidates.is_empty() or not candidates.select(pl.col(ID).str.contains(r"^\d+$").any()).item():
        return frame, frame.clear().select(problem_columns(sheet, SOURCE_ROW, ID, None, "W208", ""))
    unknown = unknown & pl.col(ID).str.contains(r"^\d+$")
    # Roster IDs by their digits without leading zeros; a form two roster IDs share is ambiguous.
    by_digits = (
        known.unique().to_frame().filter(pl.col(ID).str.contains(r"^\d+$"))
        .group_by(stripped.alias("_digits"))
        .agg(pl.col(ID).first().alias("_restored"), pl.len().alias("_n"))
        .filter(pl.col("_n") == 1)
        .drop("_n")
    )
    matched = frame.with_columns(pl.when(unknown).then(stripped).alias("_digits")).join(
        by_digits, on="_digits", how="left", maintain_order="left"
    )
    restored = pl.col("_restored").is_not_null()
    findings = matched.filter(restored).select(
        problem_columns(sheet, SOURCE_ROW, ID, pl.col(ID), "W208",
                        pl.concat_str(pl.lit(f"工作表「{sheet}」第"), pl.col(SOURCE_ROW).cast(pl.String), pl.lit("行："),
                                      sentence("W208", typed=pl.col(ID), restored=pl.col("_restored"))))
    )
    fixed = matched.with_columns(pl.coalesce("_restored", ID).alias(ID)).drop("_digits", "_restored")
    return fixed, findings
