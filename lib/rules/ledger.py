"""The ledger (台账) the plan asks for by the end of August: households with measures,
measures by kind and lead unit, the share of 减收 households covered, households at risk
with no measure yet, and 减收 households whose measures do not close the shortfall.

`build_ledger` returns named views with Chinese headers, in the order of the Excel sheets.
Summary views hold one row per village and a district row (村 = "全区", last). 台账汇总 is
a selection of `lib.rules.figures` (every page shows those figures with the same values);
措施分类统计's district rows are computed from the measures themselves, so that they can be
checked against the villages'. List columns are joined into text, ready for Excel and CSV.
"""

from __future__ import annotations

import polars as pl

from lib.catalogue import (
    DISTRICT,
    ID,
    DECREASE,
    MEASURE_CODES,
    LEAD_UNITS,
    MEASURE_NAMES,
    ORANGE,
    RED,
    WARNING_LEVELS,
    code_order,
)
from lib.rules.figures import label, village_figures
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
# At risk for the ledger: losing income, or red / orange warning (the 风险户数 of lib.rules.figures).
_at_risk = (_decrease | pl.col("预警等级").is_in([RED, ORANGE])).fill_null(False)
_not_recovering = _decrease & (pl.col("预计能恢复") == False)

# 台账汇总's columns after 乡镇, 村: figures of lib.rules.figures, computed there once.
SUMMARY_FIGURES = (
    "households", "surveyed", "not_surveyed", "exited", "new_entry", "increase", "flat", "decrease", f"level_{RED}", f"level_{ORANGE}",
    "should_monitor", "decrease_helped", "coverage", "at_risk", "at_risk_unhelped", "not_recovering",
    "measures", "implemented", "planned", "expected_gain", "shortfall",
)


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


def _village_recommended(households: pl.DataFrame) -> pl.DataFrame:
    """How many households each measure is recommended to, per village (and the district)."""
    flags = (
        households.lazy()
        .select(
            *VILLAGE_KEYS,
            *(pl.col("推荐措施").list.contains(code).alias(_recommended_count(code)) for code in MEASURE_CODES),
        )
        .collect(engine=ENGINE)
    )
    aggs = [
        pl.col(_recommended_count(code)).sum().cast(pl.Int64).alias(_recommended_count(code))
        for code in MEASURE_CODES
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


def _summary(households: pl.DataFrame, figures: pl.DataFrame | None = None) -> pl.DataFrame:
    return (village_figures(households) if figures is None else figures).select(*VILLAGE_KEYS, *(label(k) for k in SUMMARY_FIGURES))


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
        .sort("_村序", code_order("措施代码"), *_MEASURE_KEY, nulls_last=True)  # M10 after M9
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


def build_ledger(households: pl.DataFrame, measures_joined: pl.DataFrame,
                 figures: pl.DataFrame | None = None) -> dict[str, pl.DataFrame]:
    """The ledger views, in sheet order (`VIEWS`).

    ``households`` is the result frame with the columns of `lib.rules.measures.attach_measures`;
    ``measures_joined`` its second result; ``figures`` its `village_figures` table when the caller
    has it already (`analyze` computes it once for the ledger and summary.json). Recommendations
    are counted from the households' 推荐措施 (the codes of `recommend`), in the same pass as the summary.
    """
    village_households = _village_recommended(households)
    village_measures = _village_measures(measures_joined)
    return {
        SUMMARY: _summary(households, figures),
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
