"""The figures every page shows, each defined once: label, unit, 口径 and its polars expression.

A briefing, the district page, the index, the Excel ledger's 台账汇总, summary.json and the
explore notebook all read `village_figures` (or `figures_of` for a set of households), so a
figure that appears on two pages has one value. Adding a figure is one row of `FIGURES`.

Two kinds of row:

* additive (``additive=True``): ``expr`` aggregates the households of one village. The 全区
  row is the sum of the village rows, so it equals the sum of the villages exactly.
* derived (``additive=False``): a share or a per-capita figure; ``expr`` is evaluated on the
  additive figures of the same row (its own village, or 全区), so the district share is computed
  over all households, never as an average of village shares.

Hidden helper sums (names starting with "_") feed the derived rows and are not shown.
Pure polars; no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from lib.catalogue import (
    DECREASE,
    DISTRICT,
    EXITED,
    FLAT,
    GREEN,
    INCREASE,
    NEW_ENTRY,
    NOT_SURVEYED,
    ORANGE,
    RED,
    RISK_POINTS,
    VILLAGE,
    YELLOW,
)

TOWNSHIP = "乡镇"
VILLAGE_KEYS = [TOWNSHIP, VILLAGE]


@dataclass(frozen=True)
class Figure:
    key: str  # stable name for code
    label: str  # Chinese label: the column of the figures table, the header on every page
    unit: str  # 户, 项, 元, 元/人, %
    definition: str  # 口径, printed in each briefing's appendix
    expr: pl.Expr  # additive: aggregation over households; derived: over the additive figures
    additive: bool = True


def _count(condition: pl.Expr) -> pl.Expr:
    return condition.fill_null(False).sum().cast(pl.Int64)


def _sum(column: str) -> pl.Expr:
    return pl.col(column).fill_null(0).sum().cast(pl.Float64)


def _share(part: str, whole: str) -> pl.Expr:
    """part / whole; null when the whole is 0 (a share of nothing is not 0 %)."""
    return pl.when(pl.col(whole) > 0).then(pl.col(part) / pl.col(whole))


_judged = pl.col("收入研判")
_level = pl.col("预警等级")
_decrease = _judged == DECREASE
_surveyed = ~_judged.is_in([NOT_SURVEYED, EXITED])  # 已退出: left the roster, not to be surveyed
_has_measure = pl.col("已有措施").list.len() > 0
# 风险户 (the ledger's): losing income, or a red / orange warning though not losing.
_at_risk = _decrease | _level.is_in([RED, ORANGE])
_recovering = _decrease & _has_measure & pl.col("预计能恢复").fill_null(False)


def _surveyed_sum(column: str) -> pl.Expr:
    return pl.col(column).filter(_surveyed).fill_null(0).sum().cast(pl.Float64)


_LEVEL_DEFINITIONS = {
    RED: "本年人均纯收入低于本年监测线的户。",
    ORANGE: "减收，且减收幅度达到橙色预警比例或本年人均纯收入低于监测线的橙色预警倍数的户（比例和倍数见政策参数），不含红色。",
    YELLOW: "其余减收户（非红、非橙）。",
    GREEN: "已排查且不属于红、橙、黄的户。",
}

FIGURES: tuple[Figure, ...] = (
    Figure("households", "户数", "户", "户信息中的户，含未排查户（不落一户）和已退出户。", pl.len().cast(pl.Int64)),
    Figure("exited", EXITED, "户",
           "上年在名单中、本年已不需排查的户：风险已消除（非脱贫户）、自然消亡，或本年系统导出中已无此户；原因见各户说明。",
           _count(_judged == EXITED)),
    Figure("to_survey", "应排查", "户", "户数 − 已退出：本年必须排查的户。", _count(_judged != EXITED)),
    Figure("new_entry", NEW_ENTRY, "户", "本年新识别的监测对象（识别监测时间在本年，或上年导出中没有此户）。",
           _count(pl.col(NEW_ENTRY))),
    Figure("surveyed", "已排查", "户", "应排查户中，上年、本年两个年度都有收入记录的户。", _count(_surveyed)),
    Figure("not_surveyed", NOT_SURVEYED, "户", "户信息在册、但缺少上年或本年收入记录的户；不参与收入研判和预警。",
           _count(_judged == NOT_SURVEYED)),
    Figure("increase", INCREASE, "户", "已排查户中，本年人均纯收入比上年高出持平区间（上年人均纯收入的持平比例，见政策参数）的户。",
           _count(_judged == INCREASE)),
    Figure("flat", FLAT, "户", "已排查户中，人均纯收入变化不超过持平区间的户。", _count(_judged == FLAT)),
    Figure("decrease", DECREASE, "户", "已排查户中，本年人均纯收入比上年低出持平区间的户。", _count(_decrease)),
    *(Figure(f"level_{level}", f"{level}色预警", "户", text, _count(_level == level))
      for level, text in _LEVEL_DEFINITIONS.items()),
    Figure("unrated", "未评定预警", "户", "没有预警等级的户（未排查户）。", _count(_level.is_null())),
    Figure("should_monitor", "应纳未纳", "户", "脱贫户或一般农户，本年人均纯收入低于监测线，但没有监测对象类别的户。",
           _count(pl.col("应纳未纳"))),
    Figure("at_risk", "风险户数", "户", "减收户，加上未减收但为红色或橙色预警的户（台账口径）。", _count(_at_risk)),
    Figure("decrease_helped", "有措施的减收户数", "户",
           "减收户中，帮扶措施台账已有至少一项措施（计划或已落实均算）的户。", _count(_decrease & _has_measure)),
    Figure("decrease_unhelped", "尚无措施的减收户数", "户",
           "减收户中，台账尚无任何措施的户 = 减收 − 有措施的减收户数；只看减收户，"
           "红、橙色预警但未减收的户不在其中（见风险未帮扶户数）。", _count(_decrease & ~_has_measure)),
    Figure("at_risk_unhelped", "风险未帮扶户数", "户",
           "风险户中台账尚无任何措施的户 = 尚无措施的减收户数 + 未减收但红、橙色预警且无措施的户；"
           "名单见台账“风险未帮扶户”。", _count(_at_risk & ~_has_measure)),
    Figure("recovering", "可补足缺口的减收户数", "户",
           "减收户中已有措施、且其措施的预计增收合计（计划和已落实）不少于收入缺口的户。", _count(_recovering)),
    Figure("not_recovering", "缺口未补足户数", "户",
           "减收户中预计增收合计小于收入缺口的户，含尚无措施的户 = 减收 − 可补足缺口的减收户数；名单见台账“缺口未补足户”。",
           _count(_decrease & ~pl.col("预计能恢复").fill_null(False))),
    Figure("measures", "措施数", "项", "帮扶措施台账中本村各户的措施条数，计划和已落实都算；户编号不在户信息中的措施不计。",
           (pl.col("已落实措施数").fill_null(0) + pl.col("计划措施数").fill_null(0)).sum().cast(pl.Int64)),
    Figure("implemented", "已落实数", "项", "措施数中状态为“已落实”的条数。", pl.col("已落实措施数").fill_null(0).sum().cast(pl.Int64)),
    Figure("planned", "计划数", "项", "措施数中状态为“计划”（含未填状态）的条数。", pl.col("计划措施数").fill_null(0).sum().cast(pl.Int64)),
    Figure("expected_gain", "预计增收合计", "元",
           "帮扶措施台账中本村全部措施的预计增收之和（元/年）：状态为计划和已落实的都计入，"
           "所有户的措施都计入（不只减收户）。", _sum("预计增收合计")),
    Figure("shortfall", "收入缺口合计", "元",
           "各减收户恢复到上年人均纯收入所需的增收之和：每户 max(0, (上年人均 − 本年人均) × 本年家庭人口数)；"
           "非减收户为 0。它衡量要补多少，与减收金额合计（哪些收入项目减少了多少）不同。", _sum("收入缺口")),
    Figure("lost", "减收金额合计", "元",
           "各户各减收风险点的减收金额之和：每个风险点对应收入项目的减少额（元/年），一户有几个风险点就累加几个；"
           "增收、持平户某项收入减少也计入，其他项目的增加不抵扣，所以通常不等于收入缺口合计。", _sum("减收金额")),
    # Hidden sums behind the pooled per-capita figures.
    Figure("_income_last", "_上年家庭纯收入", "元", "", _surveyed_sum("上年家庭纯收入")),
    Figure("_income_this", "_本年家庭纯收入", "元", "", _surveyed_sum("本年家庭纯收入")),
    Figure("_members_last", "_上年家庭人口数", "人", "", _surveyed_sum("上年家庭人口数")),
    Figure("_members_this", "_本年家庭人口数", "人", "", _surveyed_sum("本年家庭人口数")),
    # Derived: shares and per-capita figures over the additive ones of the same row.
    Figure("survey_rate", "排查率", "%", "已排查 ÷ 应排查（已退出户不计入）。", _share("已排查", "应排查"), additive=False),
    Figure("decrease_share", "减收户占比", "%", "减收 ÷ 已排查。", _share(DECREASE, "已排查"), additive=False),
    Figure("red_share", "红色预警户占比", "%", "红色预警 ÷ 户数（未排查户没有预警等级，也计入分母）。",
           _share(f"{RED}色预警", "户数"), additive=False),
    Figure("coverage", "覆盖率", "%", "有措施的减收户数 ÷ 减收；没有减收户时空缺。",
           _share("有措施的减收户数", DECREASE), additive=False),
    Figure("per_capita_last", "上年人均纯收入", "元/人",
           "已排查户上年家庭纯收入之和 ÷ 上年家庭人口数之和（按人口加权，不是各户人均的简单平均）。",
           _share("_上年家庭纯收入", "_上年家庭人口数"), additive=False),
    Figure("per_capita_this", "本年人均纯收入", "元/人", "已排查户本年家庭纯收入之和 ÷ 本年家庭人口数之和。",
           _share("_本年家庭纯收入", "_本年家庭人口数"), additive=False),
)
FIGURE_BY_KEY = {f.key: f for f in FIGURES}
FIGURE_BY_LABEL = {f.label: f for f in FIGURES}
_ADDITIVE = [f for f in FIGURES if f.additive]
_DERIVED = [f for f in FIGURES if not f.additive]
SHOWN = tuple(f for f in FIGURES if not f.key.startswith("_"))


def label(key: str) -> str:
    """The Chinese label of figure ``key`` (KeyError for an unknown key)."""
    return FIGURE_BY_KEY[key].label


def heading(key: str) -> str:
    """Label with its unit, for a table header: 减收金额合计（元）."""
    f = FIGURE_BY_KEY[key]
    return f"{f.label}（{f.unit}）"


def _derive(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(f.expr.alias(f.label) for f in _DERIVED).drop(
        f.label for f in FIGURES if f.key.startswith("_")
    )


def village_figures(households: pl.DataFrame) -> pl.DataFrame:
    """Every figure per village (乡镇, 村; sorted, blank 乡镇 last) and the 全区 row last.

    ``households`` is `Analysis.households` or any subset of it (a filter in explore). The
    全区 row's additive figures are the villages' sums; its shares are over all households.
    """
    return combine_additive([additive_figures(households)])


def combine_additive(parts: list[pl.DataFrame]) -> pl.DataFrame:
    """`village_figures` from the additive tables of disjoint sets of households (a district
    analysed partition by partition): a village's sums added, then the shares derived."""
    per_village = pl.concat(parts, how="vertical_relaxed")
    if len(parts) > 1:
        per_village = (
            per_village.group_by(VILLAGE_KEYS)
            .agg(pl.col(f.label).sum() for f in _ADDITIVE)
            .sort(VILLAGE_KEYS, nulls_last=True)
        )
    district = per_village.select(
        pl.lit(None, per_village.schema[TOWNSHIP]).alias(TOWNSHIP),
        pl.lit(DISTRICT, pl.String).alias(VILLAGE),
        *(pl.col(f.label).sum().cast(per_village.schema[f.label]) for f in _ADDITIVE),
    )
    return _derive(pl.concat([per_village, district], how="vertical_relaxed"))


def additive_figures(households: pl.DataFrame) -> pl.DataFrame:
    """The additive figures per village (hidden sums included), before any share is derived."""
    keys = [k for k in VILLAGE_KEYS if k in households.columns]
    if NEW_ENTRY not in households.columns:  # a frame built by hand may leave the export's columns out
        households = households.with_columns(pl.lit(None, pl.Boolean).alias(NEW_ENTRY))
    per_village = (
        households.lazy()
        .group_by(keys)
        .agg(f.expr.alias(f.label) for f in _ADDITIVE)
        .sort(keys, nulls_last=True)
        .collect()
    )
    if TOWNSHIP not in per_village.columns:
        per_village = per_village.with_columns(pl.lit(None, pl.String).alias(TOWNSHIP))
    return per_village.select(*VILLAGE_KEYS, *(f.label for f in _ADDITIVE))


def figures_of(households: pl.DataFrame) -> dict:
    """Every figure over all of ``households`` (one village's for a village's households):
    the 全区 row of `village_figures`, as {label: value}."""
    return village_figures(households).row(-1, named=True)


def village_row(table: pl.DataFrame, village: str) -> dict:
    """One village's (or 全区's) row of a `village_figures` table as {label: value}."""
    rows = table.filter(pl.col(VILLAGE) == village)
    if rows.height != 1:
        raise KeyError(f"汇总表中没有（或不止一行）村“{village}”")
    return rows.row(0, named=True)


# ---------------------------------------------------------------------------------------
# Per risk point (the nine, in catalogue order)
# ---------------------------------------------------------------------------------------

RISK_FIGURES: tuple[Figure, ...] = (
    Figure("risk_households", "涉及户数", "户", "该风险点触发的户数（一户可有多个风险点，各风险点户数之和可大于风险户数）。",
           pl.col("户编号").n_unique().cast(pl.Int64)),
    Figure("risk_decrease", "其中减收户数", "户", "涉及户中收入研判为减收的户数。",
           pl.col("户编号").filter(pl.col("收入研判") == DECREASE).n_unique().cast(pl.Int64)),
    Figure("risk_lost", "减收金额", "元", "该风险点对应收入项目的减少额之和（元/年）；九类之和即减收金额合计。",
           pl.col("减收金额").fill_null(0).sum().cast(pl.Float64)),
)


def risk_point_figures(risks: pl.DataFrame) -> pl.DataFrame:
    """风险点代码, 风险点, then `RISK_FIGURES` for each of the nine (zeros included)."""
    catalogue = pl.DataFrame(
        {"风险点代码": [r.code for r in RISK_POINTS], "风险点": [r.label for r in RISK_POINTS]}
    )
    found = risks.group_by("风险点代码").agg(f.expr.alias(f.label) for f in RISK_FIGURES)
    return catalogue.join(found, on="风险点代码", how="left", maintain_order="left").with_columns(
        pl.col(f.label).fill_null(0) for f in RISK_FIGURES
    )


def definitions(keys) -> list[Figure]:
    """The catalogue rows of ``keys`` (figure keys of `FIGURES` or `RISK_FIGURES`), in order."""
    by_key = FIGURE_BY_KEY | {f.key: f for f in RISK_FIGURES}
    return [by_key[k] for k in keys]
