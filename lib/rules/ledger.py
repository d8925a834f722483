"""The ledger (台账) the plan asks for by the end of August: households with measures,
measures by kind and lead unit, the share of 减收 households covered, households at risk
with no measure yet, and 减收 households whose measures do not close the shortfall.

`build_ledger` returns named views with Chinese headers, in the order of the Excel sheets.
Summary views hold one row per village and a district row (村 = "全区", last) computed from
the households themselves, not by adding up village rows, so that the two can be checked
against each other. List columns are joined into text, ready for Excel and CSV.
"""

from __future__ import annotations

import polars as pl

from lib.catalogue import (
    DISTRICT,
    ID,
    DECREASE,
    EXITED,
    FLAT,
    INCREASE,
    MEASURE_CODES,
    LEAD_UNITS,
    MEASURE_NAMES,
    NEW_ENTRY,
    NOT_SURVEYED,
    ORANGE,
    RED,
    WARNING_LEVELS,
)
from lib.rules.income import ENGINE
from lib.rules.measures import IMPLEMENTED, PLANNED

VILLAGE_KEYS = ["乡镇", "村"]

SUMMARY, MEASURE_HOUSEHOLDS, MEASURE_STATS, AT_RISK_UNHELPED, SHORTFALL_OPEN = (
    "台账汇总",
    "措施户清单",
    "措施分类统计",
    "风险未帮扶户",
    "缺口未补足户",
)
VIEWS = (SUMMARY, MEASURE_HOUSEHOLDS, MEASURE_STATS, AT_RISK_UNHELPED, SHORTFALL_OPEN)


_has_measure = pl.col("已有措施").list.len() > 0
_decrease = pl.col("收入研判") == DECREASE
# At risk for the ledger: losing income, or red / orange warning.
_at_risk = (_decrease | pl.col("预警等级").is_in([RED, ORANGE])).fill_null(False)
_not_recovering = _decrease & (pl.col("预计能恢复") == False)

# Household counts of the summary: header → which households it counts.
_SUMMARY_COUNTS: dict[str, pl.Expr] = {
    "户数": pl.col(ID).is_not_null(),
    "已排查": ~pl.col("收入研判").is_in([NOT_SURVEYED, EXITED]),
    "未排查": pl.col("收入研判") == NOT_SURVEYED,
    EXITED: pl.col("收入研判") == EXITED,  # left the roster: neither surveyed nor 未排查
    NEW_ENTRY: pl.col(NEW_ENTRY).fill_null(False),
    INCREASE: pl.col("收入研判") == INCREASE,
    FLAT: pl.col("收入研判") == FLAT,
    DECREASE: _decrease,
    RED: pl.col("预警等级") == RED,
    ORANGE: pl.col("预警等级") == ORANGE,
    "应纳未纳": pl.col("应纳未纳"),
    "有措施的减收户数": _decrease & _has_measure,
    "风险户数": _at_risk,
    "风险未帮扶户数": _at_risk & ~_has_measure,
    "缺口未补足户数": _not_recovering,
}


def _grouped(frame: pl.DataFrame, keys: list[str], aggs: list[pl.Expr]) -> pl.DataFrame:
    """Aggregate per ``keys``, or over the whole frame when there are none."""
    # Lazy, so that only the columns the aggregations read are touched.
    lazy = frame.lazy()
    return (lazy.group_by(keys).agg(aggs) if keys else lazy.select(aggs)).collect()


def _with_district(per_village, keys: list[str]) -> pl.DataFrame:
    """Village rows (sorted) and the district rows (村 = 全区, 乡镇 empty) last."""
    villages = per_village(VILLAGE_KEYS + keys).sort(
        VILLAGE_KEYS + keys, nulls_last=True
    )
    district = (
        per_village(keys)
        .sort(keys, nulls_last=True)
        .with_columns(
            pl.lit(None, villages.schema["乡镇"]).alias("乡镇"),
            pl.lit(DISTRICT, pl.String).alias("村"),
        )
    )
    return pl.concat(
        [villages, district.select(villages.columns)], how="vertical_relaxed"
    )


def _names(column: str) -> pl.Expr:
    """A List of M-codes as measure names joined with "；" (M5's own name holds a "、")."""
    return (
        pl.col(column)
        .list.eval(pl.element().replace_strict(MEASURE_NAMES, return_dtype=pl.String))
        .list.join("；")
    )


def _recommended_count(code: str) -> str:
    return f"_推荐{code}"


def _village_households(households: pl.DataFrame) -> pl.DataFrame:
    """One pass over the households per village (and the district): the summary's counts,
    the shortfall total and how many households each measure is recommended to."""
    # Each count's flag is computed once, into a narrow frame that the village and the
    # district passes both sum (rather than each pass evaluating every expression again).
    if NEW_ENTRY not in households.columns:  # a frame built by hand may leave the export's columns out
        households = households.with_columns(pl.lit(None, dtype=pl.Boolean).alias(NEW_ENTRY))
    flags = (
        households.lazy()
        .select(
            *VILLAGE_KEYS,
            *(expr.fill_null(False).alias(name) for name, expr in _SUMMARY_COUNTS.items()),
            pl.col("收入缺口"),
            *(pl.col("推荐措施").list.contains(code).alias(_recommended_count(code)) for code in MEASURE_CODES),
        )
        .collect(engine=ENGINE)
    )
    aggs = [
        *(pl.col(name).sum().cast(pl.Int64).alias(name) for name in _SUMMARY_COUNTS),
        pl.col("收入缺口").sum().alias("收入缺口合计"),
        *(
            pl.col(_recommended_count(code)).sum().cast(pl.Int64).alias(_recommended_count(code))
            for code in MEASURE_CODES
        ),
    ]
    return _with_district(lambda keys: _grouped(flags, keys, aggs), [])


def _village_measures(measures_joined: pl.DataFrame) -> pl.DataFrame:
    """Measures in place per village (and the district), measure code and lead unit."""
    aggs = [
        pl.col(ID).n_unique().cast(pl.Int64).alias("户数"),
        pl.len().cast(pl.Int64).alias("措施数"),
        (pl.col("状态") == IMPLEMENTED).sum().cast(pl.Int64).alias("已落实"),
        (pl.col("状态") == PLANNED).sum().cast(pl.Int64).alias("计划"),
        pl.col("预计增收").sum().cast(pl.Float64).alias("预计增收"),
    ]
    in_place = measures_joined.rename({"措施类型": "措施代码"})
    return _with_district(lambda keys: _grouped(in_place, keys, aggs), _MEASURE_KEY)


_MEASURE_KEY = ["措施代码", "牵头单位"]


def _summary(
    village_households: pl.DataFrame, village_measures: pl.DataFrame
) -> pl.DataFrame:
    totals = village_measures.group_by(VILLAGE_KEYS).agg(
        pl.col("措施数").sum(),
        pl.col("已落实").sum().alias("已落实数"),
        pl.col("计划").sum().alias("计划数"),
        pl.col("预计增收").sum().alias("预计增收合计"),
    )
    return (
        village_households.join(
            totals, on=VILLAGE_KEYS, how="left", nulls_equal=True, maintain_order="left"
        )
        .with_columns(
            pl.col("措施数", "已落实数", "计划数").fill_null(0),
            pl.col("预计增收合计").fill_null(0.0),
            # Share of 减收 households with at least one measure; null when none is 减收.
            pl.when(pl.col(DECREASE) > 0)
            .then(pl.col("有措施的减收户数") / pl.col(DECREASE))
            .alias("覆盖率"),
        )
        .select(
            *VILLAGE_KEYS,
            "户数",
            "已排查",
            "未排查",
            EXITED,
            NEW_ENTRY,
            INCREASE,
            FLAT,
            DECREASE,
            RED,
            ORANGE,
            "应纳未纳",
            "有措施的减收户数",
            "覆盖率",
            "风险户数",
            "风险未帮扶户数",
            "缺口未补足户数",
            "措施数",
            "已落实数",
            "计划数",
            "预计增收合计",
            "收入缺口合计",
        )
    )


def _measure_households(measures_joined: pl.DataFrame) -> pl.DataFrame:
    """One row per measure with its household's facts (`attach_measures` joined them)."""
    return (
        measures_joined.lazy()
        .with_columns(
            pl.col("措施类型").alias("措施代码"),
            pl.col("措施名称").alias("措施类型"),
            pl.col("减收风险点").list.join("；"),
        )
        .sort([*VILLAGE_KEYS, ID, "来源行号"], nulls_last=True, maintain_order=True)
        .select(
            *VILLAGE_KEYS,
            ID,
            "户主姓名",
            "家庭人口数",
            "收入研判",
            "预警等级",
            "减收风险点",
            "收入缺口",
            "预计能恢复",
            "措施代码",
            "措施类型",
            "措施内容",
            "牵头单位",
            "落实日期",
            "预计增收",
            "状态",
            "来源行号",
        )
        .collect(engine=ENGINE)  # a stable sort: the same order on either engine, this one faster
    )


def _measure_stats(
    village_households: pl.DataFrame, village_measures: pl.DataFrame
) -> pl.DataFrame:
    """Per measure and lead unit: households recommended it, households and measures in place.
    Every village (and the district) lists the five measures with their catalogue lead
    units; a measure led by another unit adds a row."""
    catalogue = pl.DataFrame(
        {"措施代码": list(LEAD_UNITS), "牵头单位": list(LEAD_UNITS.values())}
    )
    recommended = (
        village_households.select(
            *VILLAGE_KEYS, *(_recommended_count(c) for c in MEASURE_CODES)
        )
        .unpivot(index=VILLAGE_KEYS, variable_name="措施代码", value_name="推荐户数")
        .with_columns(pl.col("措施代码").str.strip_prefix(_recommended_count("")))
        .join(
            catalogue, on="措施代码"
        )  # recommendations name the catalogue's lead unit
    )
    keys = [*VILLAGE_KEYS, *_MEASURE_KEY]
    order = village_households.select(VILLAGE_KEYS).with_row_index("_村序")
    return (
        recommended.join(
            village_measures, on=keys, how="full", coalesce=True, nulls_equal=True
        )
        .join(order, on=VILLAGE_KEYS, how="left", nulls_equal=True)
        .sort("_村序", *_MEASURE_KEY)
        .with_columns(
            pl.col("推荐户数", "户数", "措施数", "已落实", "计划").fill_null(0),
            pl.col("预计增收").fill_null(0.0),
            pl.col("措施代码")
            .replace_strict(MEASURE_NAMES, default=None, return_dtype=pl.String)
            .alias("措施类型"),
        )
        .select(
            *VILLAGE_KEYS,
            "措施代码",
            "措施类型",
            "牵头单位",
            "推荐户数",
            "户数",
            "措施数",
            "已落实",
            "计划",
            "预计增收",
        )
    )


_WARNING_ORDER = {level: i for i, level in enumerate(WARNING_LEVELS)}


def _at_risk_unhelped(households: pl.DataFrame) -> pl.DataFrame:
    return (
        households.lazy()
        .filter(_at_risk & ~_has_measure)
        .with_columns(
            pl.col("预警等级")
            .replace_strict(_WARNING_ORDER, default=None, return_dtype=pl.Int64)
            .alias("_序")
        )
        .sort(  # 户编号 last: equal gaps come out in the same order on every run
            [*VILLAGE_KEYS, "_序", "收入缺口", ID],
            descending=[False, False, False, True, False],
            nulls_last=True,
        )
        .select(
            *VILLAGE_KEYS,
            ID,
            "户主姓名",
            "家庭人口数",
            "收入研判",
            "预警等级",
            "上年人均纯收入",
            "本年人均纯收入",
            "人均纯收入变化率",
            pl.col("减收风险点").list.join("；"),
            "收入缺口",
            _names("推荐措施").alias("推荐措施"),
            "推荐理由",
        )
        .collect()
    )


def _shortfall_open(households: pl.DataFrame) -> pl.DataFrame:
    """减收 households whose measures (planned and implemented) do not close the shortfall,
    those with no measure at all included: the 30 September list."""
    return (
        households.lazy()
        .filter(_not_recovering)
        .with_columns((pl.col("收入缺口") - pl.col("预计增收合计")).alias("尚需增收"))
        .sort(
            [*VILLAGE_KEYS, "尚需增收", ID],
            descending=[False, False, True, False],
            nulls_last=True,
        )
        .select(
            *VILLAGE_KEYS,
            ID,
            "户主姓名",
            "家庭人口数",
            "预警等级",
            "上年家庭纯收入",
            "本年家庭纯收入",
            "收入缺口",
            "预计增收合计",
            "尚需增收",
            _names("已有措施").alias("已有措施"),
            "已落实措施数",
            "计划措施数",
            _names("推荐措施").alias("推荐措施"),
        )
        .collect()
    )


def build_ledger(households: pl.DataFrame, measures_joined: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """The ledger views, in sheet order (`VIEWS`).

    ``households`` is the result frame with the columns of `lib.rules.measures.attach_measures`;
    ``measures_joined`` its second result. Recommendations are counted from the households'
    推荐措施 (the codes of `recommend`), in the same pass as the summary.
    """
    village_households = _village_households(households)
    village_measures = _village_measures(measures_joined)
    return {
        SUMMARY: _summary(village_households, village_measures),
        MEASURE_HOUSEHOLDS: _measure_households(measures_joined),
        MEASURE_STATS: _measure_stats(village_households, village_measures),
        AT_RISK_UNHELPED: _at_risk_unhelped(households),
        SHORTFALL_OPEN: _shortfall_open(households),
    }


def village_ledger(
    ledger: dict[str, pl.DataFrame], village: str
) -> dict[str, pl.DataFrame]:
    """The same views for one village (its rows only; no district row)."""
    return {name: view.filter(pl.col("村") == village) for name, view in ledger.items()}
