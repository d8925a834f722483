"""收入研判: 增收 / 持平 / 减收 by the policy's flat band, 未排查 when a year is missing.

Δ = 本年人均纯收入 − 上年人均纯收入. The household is 持平 when |Δ| ≤ flat_band × |上年人均纯收入|,
the edge itself included (a change of exactly 2% is 持平). The band is taken around the size of
last year's per-capita, so a household whose per-capita was negative last year (operating costs
above income) and did not move is 持平; when last year's per-capita is 0 the band is empty and only
an unchanged per-capita is 持平. A household of 户信息 without a 收入 row for either year is 未排查 and
keeps that judgement in every output (不落一户). A household with a 退出原因 (it left the roster: risk
eliminated, died out, absent from this year's export) is 已退出 whatever its income rows: it is
not to be surveyed, so it is neither 未排查 nor compared.

Comparisons carry a relative slack of 1e-9 × |上年人均| so that a change exactly at the band,
as an analyst computes it by hand, is not pushed outside by floating-point rounding (0.98 × 600
is not exactly 588 in binary); the slack scales with the amounts, so scaling every amount changes
no judgement.
"""

from __future__ import annotations

import polars as pl

from lib.catalogue import DECREASE, EXIT_REASON, EXITED, FLAT, INCREASE, NOT_SURVEYED
from lib.policy import Policy

PC_LAST, PC_THIS = "上年人均纯收入", "本年人均纯收入"
CHANGE, CHANGE_RATE, JUDGEMENT = "人均纯收入变化", "人均纯收入变化率", "收入研判"
RELATIVE_SLACK = 1e-9


def change() -> pl.Expr:
    return (pl.col(PC_THIS) - pl.col(PC_LAST)).alias(CHANGE)


def change_rate() -> pl.Expr:
    """Δ / 上年人均; null when last year's per-capita is ≤ 0 (a rate of nothing)."""
    return pl.when(pl.col(PC_LAST) > 0).then(change() / pl.col(PC_LAST)).alias(CHANGE_RATE)


def judgement(flat_band: float, exits: bool = False) -> pl.Expr:
    """``exits``: the frame has a 退出原因 column (null = still on the roster)."""
    delta = pl.col(PC_THIS) - pl.col(PC_LAST)
    band = (flat_band + RELATIVE_SLACK) * pl.col(PC_LAST).abs()
    left = pl.col(EXIT_REASON).is_not_null() if exits else pl.lit(False)
    return (
        pl.when(left)
        .then(pl.lit(EXITED))
        .when(pl.col(PC_LAST).is_null() | pl.col(PC_THIS).is_null())
        .then(pl.lit(NOT_SURVEYED))
        .when(delta.abs() <= band)
        .then(pl.lit(FLAT))
        .when(delta > 0)
        .then(pl.lit(INCREASE))
        .otherwise(pl.lit(DECREASE))
        .alias(JUDGEMENT)
    )


def classify(frame: pl.DataFrame | pl.LazyFrame, policy: Policy):
    """Adds 人均纯收入变化, 人均纯收入变化率 and 收入研判 to a frame with both per-capita columns."""
    exits = EXIT_REASON in frame.collect_schema().names()
    return frame.with_columns(change(), change_rate(), judgement(policy.flat_band, exits))
