"""预警等级 and 应纳未纳, from this year's per-capita and this year's monitoring line.

- 红: this year's per-capita is below this year's monitoring line (whatever the judgement);
- 橙: 减收 and (the drop is at least ``orange_drop`` of last year's per-capita, or this year's
  per-capita is below ``orange_multiple`` × the line);
- 黄: any other 减收;
- 绿: otherwise (增收, 持平, or 未排查 with only last year missing and not below the line);
- null: this year is missing (nothing to warn on).

应纳未纳: a 脱贫户 or 一般农户 that is not a monitoring target (no 监测对象类别) but whose
this-year per-capita is below the line. False when this year is missing (nothing shows it below
the line; its 收入研判 未排查 says why) and when 户类型 is blank (the reader reports blank cells).
"""

from __future__ import annotations

import polars as pl

from lib.catalogue import DECREASE, GREEN, HOUSEHOLD_TYPES, ORANGE, RED, YELLOW
from lib.rules.classify import JUDGEMENT, PC_LAST, PC_THIS, RELATIVE_SLACK
from lib.policy import Policy

LEVEL, SHOULD_MONITOR = "预警等级", "应纳未纳"


def warning_level(policy: Policy, year_this: int) -> pl.Expr:
    line = policy.threshold(year_this)
    drop = pl.col(PC_LAST) - pl.col(PC_THIS)
    # drop / 上年 ≥ orange_drop, written without the division (no rate when 上年 ≤ 0), with the
    # same relative slack as the flat band so a drop of exactly 30% is 橙.
    big_drop = (pl.col(PC_LAST) > 0) & (
        drop >= policy.orange_drop * pl.col(PC_LAST) - RELATIVE_SLACK * pl.col(PC_LAST).abs()
    )
    near_line = pl.col(PC_THIS) < policy.orange_multiple * line
    losing = pl.col(JUDGEMENT) == DECREASE
    return (
        pl.when(pl.col(PC_THIS).is_null())
        .then(pl.lit(None, pl.String))
        .when(pl.col(PC_THIS) < line)
        .then(pl.lit(RED))
        .when(losing & (big_drop | near_line))
        .then(pl.lit(ORANGE))
        .when(losing)
        .then(pl.lit(YELLOW))
        .otherwise(pl.lit(GREEN))
        .alias(LEVEL)
    )


def should_be_monitored(policy: Policy, year_this: int) -> pl.Expr:
    line = policy.threshold(year_this)
    return (
        pl.col("户类型").is_in(list(HOUSEHOLD_TYPES)).fill_null(False)
        & pl.col("监测对象类别").is_null()
        & (pl.col(PC_THIS) < line).fill_null(False)
    ).alias(SHOULD_MONITOR)


def add_warnings(frame: pl.DataFrame | pl.LazyFrame, policy: Policy, year_this: int):
    """Adds 预警等级 and 应纳未纳 to a frame that has per-capita and 收入研判."""
    return frame.with_columns(warning_level(policy, year_this), should_be_monitored(policy, year_this))
