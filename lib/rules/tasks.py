"""牵头单位任务清单: what each of the plan's five lead units has to do, household by household.

The plan gives every measure a lead unit (区人社局 for public-welfare posts, 区民政局 for the
social-assistance safety net, …). A household needs a unit when the unit's measure is
recommended for it or already planned or in place; the task's status is 已落实 when a
measure of that kind is in place, 计划 when one is only planned, 未安排 when it is recommended
and nothing of that kind exists yet. Units, villages and statuses come in catalogue order,
so a unit's list reads the same in the briefing, the district page and the ledger.
"""

from __future__ import annotations

import polars as pl

from lib.catalogue import DISTRICT, ID, LEAD_UNITS, MEASURE_NAMES, TOWNSHIP, VILLAGE, code_key, code_order

CODE, UNIT, NAME, STATUS = "措施代码", "牵头单位", "措施名称", "落实状态"
DONE, PLANNED, NOT_ARRANGED = "已落实", "计划", "未安排"
STATUSES = (NOT_ARRANGED, PLANNED, DONE)  # the order a unit's list is read in: what is missing first
TASK_COLUMNS = (
    UNIT, CODE, NAME, TOWNSHIP, VILLAGE, ID, "户主姓名", "收入研判", "预警等级", "收入缺口",
    STATUS, "预计增收", "措施内容", "推荐理由",
)
SUMMARY_COLUMNS = (
    VILLAGE, UNIT, NAME, "需帮扶户数", "已落实户数", "计划户数", "未安排户数", "涉及收入缺口", "预计增收合计",
)
_FACTS = (ID, TOWNSHIP, VILLAGE, "户主姓名", "收入研判", "预警等级", "收入缺口")


def lead_unit_tasks(households: pl.DataFrame, recommendations: pl.DataFrame, measures: pl.DataFrame) -> pl.DataFrame:
    """One row per household and measure kind it needs (TASK_COLUMNS), by lead unit.

    ``households``, ``recommendations`` and ``measures`` are the frames of an ``Analysis``
    (measures: the input's measure rows joined to the roster, 措施类型 a code).
    """
    recommended = recommendations.lazy().select(ID, pl.col(CODE), "推荐理由")
    planned = (
        measures.lazy()
        .select(ID, pl.col("措施类型").alias(CODE), "状态", "预计增收", "措施内容")
        .group_by(ID, CODE)
        .agg(
            (pl.col("状态") == DONE).any().alias("_落实"),
            pl.col("预计增收").fill_null(0.0).sum().round(2).alias("预计增收"),
            pl.col("措施内容").drop_nulls().unique(maintain_order=True).str.join("；").alias("措施内容"),
        )
    )
    statuses = {s: i for i, s in enumerate(STATUSES)}
    return (
        recommended.join(planned, on=[ID, CODE], how="full", coalesce=True)
        .join(households.lazy().select(_FACTS), on=ID, how="inner")  # households of the roster only
        .with_columns(
            pl.col(CODE).replace_strict(LEAD_UNITS, default=None).alias(UNIT),
            pl.col(CODE).replace_strict(MEASURE_NAMES, default=None).alias(NAME),
            pl.when(pl.col("_落实")).then(pl.lit(DONE))
            .when(pl.col("_落实").is_not_null()).then(pl.lit(PLANNED))
            .otherwise(pl.lit(NOT_ARRANGED)).alias(STATUS),
            pl.col("预计增收").fill_null(0.0),
            pl.col("收入缺口").round(2),
            pl.when(pl.col("措施内容") != "").then(pl.col("措施内容")).alias("措施内容"),
        )
        .sort(
            code_order(CODE),
            TOWNSHIP, VILLAGE,
            pl.col(STATUS).replace_strict(statuses),
            pl.col("收入缺口"), ID,
            descending=[False, False, False, False, True, False], nulls_last=True,
        )
        .select(TASK_COLUMNS)
        .collect()
    )


def lead_unit_summary(tasks: pl.DataFrame) -> pl.DataFrame:
    """Per village and for 全区, per lead unit (all five, in catalogue order, zeros kept):
    households that need the unit, how many have its measure 已落实 / 计划 / 未安排, the
    income gap of those households and the measures' expected gain (SUMMARY_COLUMNS)."""
    def counts(frame: pl.LazyFrame, keys: list[str]) -> pl.LazyFrame:
        return frame.group_by(keys).agg(
            pl.col(ID).n_unique().alias("需帮扶户数"),
            *(pl.col(ID).filter(pl.col(STATUS) == s).n_unique().alias(f"{s}户数") for s in (DONE, PLANNED, NOT_ARRANGED)),
            # a household's gap once per unit, even when two of the unit's measures concern it
            pl.col("收入缺口").filter(pl.col(ID).is_first_distinct()).sum().round(2).alias("涉及收入缺口"),
            pl.col("预计增收").sum().round(2).alias("预计增收合计"),
        )

    frame = tasks.lazy()
    villages = tasks.get_column(VILLAGE).unique().drop_nulls().sort().to_list()
    codes = sorted(LEAD_UNITS, key=code_key)
    grid = pl.LazyFrame(
        {VILLAGE: [v for v in [*villages, DISTRICT] for _ in codes], CODE: codes * (len(villages) + 1)}
    )
    found = pl.concat([
        counts(frame, [VILLAGE, CODE]),
        counts(frame, [CODE]).with_columns(pl.lit(DISTRICT).alias(VILLAGE)),
    ], how="diagonal")
    zero = ["需帮扶户数", *(f"{s}户数" for s in (DONE, PLANNED, NOT_ARRANGED)), "涉及收入缺口", "预计增收合计"]
    return (
        grid.join(found, on=[VILLAGE, CODE], how="left", maintain_order="left")
        .with_columns(
            pl.col(CODE).replace_strict(LEAD_UNITS).alias(UNIT),
            pl.col(CODE).replace_strict(MEASURE_NAMES).alias(NAME),
            *(pl.col(c).fill_null(0) for c in zero),
        )
        .select(SUMMARY_COLUMNS)
        .collect()
    )
