"""Exploration: filters, the aggregations behind the linked charts, and one household's detail.

Pure functions over the frames of ``lib.rules.analysis.Analysis`` (contract §2); the explore
notebook and ``lib.interactive.widgets`` only call these. A filter left as None or empty means "all"
(a multi-select with nothing picked shows everything).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import polars as pl

from lib.catalogue import (
    DISTRICT,
    INCOME_KINDS,
    ITEM_NAMES,
    JUDGEMENTS,
    RISK_POINTS,
    WARNING_LEVELS,
)
from lib.present.format import LIST_SEPARATOR, measure_names
from lib.rules.figures import label, risk_point_figures, village_figures

NOT_MONITORED = "非监测对象"  # label for an empty 监测对象类别
NOT_GIVEN = "未填写"  # label for an empty 户类型
NET_INCOME = "家庭纯收入"  # the whole household net income, first choice of the income selector


def _chosen(values: Iterable[str] | None) -> list[str] | None:
    """None for "no filter": None or an empty selection."""
    if values is None:
        return None
    values = [v for v in values]
    return values or None


def _labelled(column: str, empty_label: str) -> pl.Expr:
    return pl.col(column).fill_null(empty_label)


def filter_households(
    households: pl.DataFrame,
    villages: Iterable[str] | None = None,
    household_types: Iterable[str] | None = None,
    categories: Iterable[str] | None = None,
    risk_codes: Iterable[str] | None = None,
    warning_levels: Iterable[str] | None = None,
    judgements: Iterable[str] | None = None,
) -> pl.DataFrame:
    """Households matching every given filter (each filter: any of its values).

    ``categories`` may contain NOT_MONITORED for households with no 监测对象类别 and
    ``household_types`` NOT_GIVEN for an empty 户类型; ``risk_codes`` keeps households with at
    least one of the codes; ``warning_levels`` never matches a not-surveyed household (its
    level is empty).
    """
    conditions = []
    for column, values, empty in (
        ("村", villages, None),
        ("户类型", household_types, NOT_GIVEN),
        ("监测对象类别", categories, NOT_MONITORED),
        ("预警等级", warning_levels, None),
        ("收入研判", judgements, None),
    ):
        chosen = _chosen(values)
        if chosen is not None:
            col = _labelled(column, empty) if empty else pl.col(column)
            conditions.append(col.is_in(chosen))
    codes = _chosen(risk_codes)
    if codes is not None:
        conditions.append(pl.col("风险点代码").list.eval(pl.element().is_in(codes)).list.any())
    if not conditions:
        return households
    return households.filter(pl.all_horizontal(conditions).fill_null(False))


def filter_options(households: pl.DataFrame) -> dict[str, list[tuple[str, str]]]:
    """(label, value) choices for each filter, in catalogue order, from the data at hand."""
    villages = sorted(households["村"].drop_nulls().unique().to_list())
    types = households.select(_labelled("户类型", NOT_GIVEN))["户类型"].unique().to_list()
    cats = households.select(_labelled("监测对象类别", NOT_MONITORED))["监测对象类别"].unique().to_list()
    return {
        "villages": [(v, v) for v in villages],
        "household_types": [(t, t) for t in sorted(types)],
        "categories": [(c, c) for c in sorted(cats, key=lambda c: (c == NOT_MONITORED, c))],
        "risk_codes": [(f"{r.code} {r.label}", r.code) for r in RISK_POINTS],
        "warning_levels": [(w, w) for w in WARNING_LEVELS],
        "judgements": [(j, j) for j in JUDGEMENTS],
    }


def income_choices() -> list[str]:
    """What the income selector offers: net income, the four kinds, then every item."""
    return [NET_INCOME, *INCOME_KINDS, *ITEM_NAMES]


SUMMARY_FIGURES = (
    "households", "increase", "flat", "decrease", "not_surveyed", "exited",
    *(f"level_{w}" for w in WARNING_LEVELS), "should_monitor", "lost", "shortfall",
    "per_capita_last", "per_capita_this",
)


def village_summary(households: pl.DataFrame) -> pl.DataFrame:
    """Per village, over the given households: the figures of lib.rules.figures
    (``SUMMARY_FIGURES``: counts per 收入研判 and 预警等级, 应纳未纳, money lost, gap, pooled
    per-capita income both years), the same values the briefings show. Every judgement and
    level is a column, even at 0."""
    return (
        village_figures(households)
        .filter(pl.col("村") != DISTRICT)
        .select("村", *(label(k) for k in SUMMARY_FIGURES))
        .sort("村")
    )


def income_by_village(households: pl.DataFrame, items: pl.DataFrame, choice: str) -> pl.DataFrame:
    """Sum of the chosen income (net income, a kind or an item) per village, both years, over
    the given households: 村, 上年, 本年, 变化. Kinds come from the household columns, which are
    already net of 生产经营性支出 and leave out the pension only when the policy does."""
    if choice == NET_INCOME or choice in INCOME_KINDS:
        last, this = f"上年{choice}", f"本年{choice}"
        frame = households.select("村", pl.col(last).alias("上年"), pl.col(this).alias("本年"))
    elif choice in ITEM_NAMES:
        frame = items.filter(
            (pl.col("收入项目") == choice) & pl.col("户编号").is_in(households["户编号"].implode())
        ).select("村", "上年", "本年")
    else:
        raise ValueError(f"未知的收入项目：{choice}")
    villages = households.select("村").unique()
    return (
        villages.join(
            frame.group_by("村").agg(pl.col("上年").sum(), pl.col("本年").sum()), on="村", how="left"
        )
        .with_columns(pl.col("上年", "本年").fill_null(0.0))
        .with_columns((pl.col("本年") - pl.col("上年")).alias("变化"))
        .sort("村")
    )


def income_by_kind(households: pl.DataFrame) -> pl.DataFrame:
    """The four income kinds summed over the given households: 收入类别, 上年, 本年, 变化."""
    rows = [
        {
            "收入类别": kind,
            "上年": float(households[f"上年{kind}"].fill_null(0.0).sum()),
            "本年": float(households[f"本年{kind}"].fill_null(0.0).sum()),
        }
        for kind in INCOME_KINDS
    ]
    return pl.DataFrame(rows).with_columns((pl.col("本年") - pl.col("上年")).alias("变化"))


def risk_counts(households: pl.DataFrame, risks: pl.DataFrame) -> pl.DataFrame:
    """For each of the nine risk points (all listed, in catalogue order): households of the
    given set where it fired, and the yuan lost to it."""
    chosen = risks.filter(pl.col("户编号").is_in(households["户编号"].implode()))
    return risk_point_figures(chosen).select("风险点代码", "风险点", "涉及户数", "减收金额")


TABLE_COLUMNS = (
    "户编号", "村", "户主姓名", "户类型", "监测对象类别", "上年人均纯收入", "本年人均纯收入", "人均纯收入变化",
    "收入研判", "预警等级", "减收风险点", "推荐措施", "收入缺口",
)


def household_table(households: pl.DataFrame) -> pl.DataFrame:
    """The household list as shown: list columns joined with "；" (M5's own name holds a "、"), measures by name."""
    return households.select(
        *(c for c in TABLE_COLUMNS if c not in ("减收风险点", "推荐措施")),
        pl.col("减收风险点").list.join(LIST_SEPARATOR),
        measure_names("推荐措施").list.join(LIST_SEPARATOR),
    ).select(TABLE_COLUMNS)


@dataclass(frozen=True)
class HouseholdDetail:
    """One household: its row, both years item by item, why, its risks and its measures."""

    household_id: str
    profile: dict  # the household row of Analysis.households
    items: pl.DataFrame  # 收入项目, 收入类别, 上年, 本年, 变化 (catalogue order)
    explanation: str  # 说明
    risks: pl.DataFrame  # 风险点代码, 风险点, 减收金额, 细分原因, 原因来源
    recommendations: pl.DataFrame  # 措施代码, 措施类型, 牵头单位, 推荐理由
    measures: pl.DataFrame  # measures already in the 帮扶措施 sheet

    @property
    def title(self) -> str:
        p = self.profile
        return f"{p['村']} {p.get('户主姓名') or ''}户（{self.household_id}）：{p['收入研判']}"


def household_detail(analysis, household_id: str) -> HouseholdDetail:
    """Everything the drill-down shows for one household; KeyError (Chinese) if unknown."""
    row = analysis.households.filter(pl.col("户编号") == household_id)
    if row.height == 0:
        raise KeyError(f"没有户编号为 {household_id} 的户")
    order = {name: i for i, name in enumerate(ITEM_NAMES)}
    items = (
        analysis.items.filter(pl.col("户编号") == household_id)
        .with_columns(pl.col("收入项目").replace_strict(order, default=len(order)).alias("_order"))
        .sort("_order")
        .select("收入项目", "收入类别", "上年", "本年", "变化")
    )
    risks = analysis.risks.filter(pl.col("户编号") == household_id).drop("户编号", "村")
    recs = analysis.recommendations.filter(pl.col("户编号") == household_id).drop("户编号", "村")
    measures = analysis.measures.filter(pl.col("户编号") == household_id)
    profile = row.to_dicts()[0]
    return HouseholdDetail(household_id, profile, items, profile.get("说明") or "", risks, recs, measures)
