"""Exploration: filters, the aggregations behind the linked charts, and one household's detail.

Pure functions over the frames of ``lib.rules.analysis.Analysis`` (contract §2); the explore
notebook and ``lib.interactive.widgets`` only call these. A filter left as None or empty means "all"
(a multi-select with nothing picked shows everything).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from lib.catalogue import (
    DECREASE,
    DISTRICT,
    RED,
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


# 措施状态 of a household, from its measures in the 帮扶措施 sheet.
IMPLEMENTED_STATE, PLANNED_STATE, NO_MEASURE = "已落实", "仅计划", "无措施"
MEASURE_STATES = (NO_MEASURE, PLANNED_STATE, IMPLEMENTED_STATE)


def measure_state() -> pl.Expr:
    """已落实 (at least one measure done), 仅计划 (only planned ones) or 无措施."""
    return (
        pl.when(pl.col("已落实措施数").fill_null(0) > 0).then(pl.lit(IMPLEMENTED_STATE))
        .when(pl.col("计划措施数").fill_null(0) > 0).then(pl.lit(PLANNED_STATE))
        .otherwise(pl.lit(NO_MEASURE))
    )


# The questions analysts ask most, one click each. Each is the condition of a figure of
# lib.rules.figures, so a quick filter's count is the figure the ledger and briefings show.
_decrease = pl.col("收入研判") == DECREASE
_no_measure = pl.col("已有措施").list.len().fill_null(0) == 0
QUICK_FILTERS: dict[str, pl.Expr] = {
    "减收且无措施": _decrease & _no_measure,  # 尚无措施的减收户数
    "红色预警": pl.col("预警等级") == RED,  # 红色预警
    "应纳未纳": pl.col("应纳未纳").fill_null(False),  # 应纳未纳
    "缺口未补足": _decrease & ~pl.col("预计能恢复").fill_null(False),  # 缺口未补足户数
}


def filter_households(
    households: pl.DataFrame,
    villages: Iterable[str] | None = None,
    household_types: Iterable[str] | None = None,
    categories: Iterable[str] | None = None,
    risk_codes: Iterable[str] | None = None,
    warning_levels: Iterable[str] | None = None,
    judgements: Iterable[str] | None = None,
    measure_states: Iterable[str] | None = None,
    quick: Iterable[str] | None = None,
) -> pl.DataFrame:
    """Households matching every given filter (each filter: any of its values).

    ``categories`` may contain NOT_MONITORED for households with no 监测对象类别 and
    ``household_types`` NOT_GIVEN for an empty 户类型; ``risk_codes`` keeps households with at
    least one of the codes; ``warning_levels`` never matches a not-surveyed household (its
    level is empty); ``measure_states`` are MEASURE_STATES; every ``quick`` filter named
    (QUICK_FILTERS) must hold.
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
    states = _chosen(measure_states)
    if states is not None:
        conditions.append(measure_state().is_in(states))
    for name in _chosen(quick) or ():
        if name not in QUICK_FILTERS:
            raise ValueError(f"未知的快捷筛选：{name}")
        conditions.append(QUICK_FILTERS[name])
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
        "measure_states": [(m, m) for m in MEASURE_STATES],
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


# The household list as shown: each money column says whether it is per person or per household.
PER_PERSON, PER_HOUSEHOLD = "（元/人）", "（元/户）"
TABLE_COLUMNS = (
    "户编号", "村", "户主姓名", "户类型", "监测对象类别", "本年家庭人口数",
    f"上年人均纯收入{PER_PERSON}", f"本年人均纯收入{PER_PERSON}", f"人均纯收入变化{PER_PERSON}",
    "收入研判", "预警等级", "减收风险点", f"收入缺口{PER_HOUSEHOLD}", "推荐措施", "已有措施", "措施状态",
)


def household_table(households: pl.DataFrame) -> pl.DataFrame:
    """The household list as shown: list columns joined with "；" (M5's own name holds a "、"),
    measures by name, empty 户类型 / 监测对象类别 under the filters' labels."""
    return households.select(
        "户编号", "村", "户主姓名",
        _labelled("户类型", NOT_GIVEN), _labelled("监测对象类别", NOT_MONITORED), "本年家庭人口数",
        pl.col("上年人均纯收入").alias(f"上年人均纯收入{PER_PERSON}"),
        pl.col("本年人均纯收入").alias(f"本年人均纯收入{PER_PERSON}"),
        pl.col("人均纯收入变化").alias(f"人均纯收入变化{PER_PERSON}"),
        "收入研判", "预警等级",
        pl.col("减收风险点").list.join(LIST_SEPARATOR),
        pl.col("收入缺口").alias(f"收入缺口{PER_HOUSEHOLD}"),
        measure_names("推荐措施").list.join(LIST_SEPARATOR),
        measure_names("已有措施").list.join(LIST_SEPARATOR).alias("已有措施"),
        measure_state().alias("措施状态"),
    ).select(TABLE_COLUMNS)


def search_table(table: pl.DataFrame, text: str = "") -> pl.DataFrame:
    """Rows of ``table`` where any column contains ``text`` (every row for empty text)."""
    text = (text or "").strip()
    if not text:
        return table
    hit = pl.any_horizontal(pl.col(c).cast(pl.Utf8).str.contains(text, literal=True) for c in table.columns)
    return table.filter(hit.fill_null(False))


@dataclass(frozen=True)
class TablePage:
    rows: pl.DataFrame  # the page's rows
    matched: int  # rows after the search
    page: int  # 0-based, clipped to the pages there are
    pages: int


def table_page(table: pl.DataFrame, search: str = "", sort_by: str | None = None, descending: bool = False,
               page: int = 0, page_size: int = 50) -> TablePage:
    """One page of the household list: searched, sorted (nulls last), then sliced."""
    found = search_table(table, search)
    if sort_by:
        found = found.sort(sort_by, descending=descending, nulls_last=True, maintain_order=True)
    pages = max(1, -(-found.height // page_size))
    page = min(max(page, 0), pages - 1)
    return TablePage(found.slice(page * page_size, page_size), found.height, page, pages)


EXPORT_FOLDER = Path("data/processed/导出")  # under the project root


def export_households(table: pl.DataFrame, root: Path, name: str = "筛选户") -> Path:
    """Write the household list to ``<root>/data/processed/导出/<name>_<time>.xlsx``: inside
    the project, never beside the shell. Text a spreadsheet would run as a formula is
    neutralised (the workbook travels)."""
    from lib.present.format import neutralise_frame

    folder = Path(root) / EXPORT_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d_%H%M%S")
    path = folder / f"{name}_{stamp}.xlsx"
    n = 1
    while path.exists():
        n += 1
        path = folder / f"{name}_{stamp}_{n}.xlsx"
    neutralise_frame(table).write_excel(path, worksheet="筛选户", autofit=True)
    return path


# ---------------------------------------------------------------------------------------
# Trends: every year in the data, not only the compared pair
# ---------------------------------------------------------------------------------------

TREND_COLUMNS = ("年度", *INCOME_KINDS, "家庭纯收入", "家庭人口数", "人均纯收入", "监测线")


def income_trend(data, policy, household_ids: Iterable[str]) -> pl.DataFrame:
    """Per year of 收入 (all of them), over the given households: the four kinds and net income
    (yuan, summed), members (each year's own, 户信息's where 收入 leaves them blank, as the
    comparison counts them), per-capita net income (pooled: Σ income ÷ Σ members) and the
    year's monitoring line (null when the policy has none for that year)."""
    from lib.rules.income import kind_subtotals, net_income, year_members

    ids = list(household_ids)
    roster = data.households.select("户编号", pl.col("家庭人口数").alias("_户信息人口"))
    rows = (
        data.income.filter(pl.col("户编号").is_in(ids))
        .join(roster, on="户编号", how="left")
        .with_columns(*kind_subtotals(policy), net_income(policy),
                      year_members(pl.col("家庭人口数"), pl.col("_户信息人口")).alias("家庭人口数"))
    )
    net = net_income(policy).meta.output_name()
    per_year = (
        rows.group_by("年度")
        .agg(*(pl.col(k).sum() for k in INCOME_KINDS), pl.col(net).sum().alias("家庭纯收入"),
             pl.col("家庭人口数").sum().cast(pl.Float64))
        .sort("年度")
    )

    def line(year: int):
        try:
            return float(policy.threshold(int(year)))
        except Exception:  # noqa: BLE001 — a year the policy file does not cover has no line to draw
            return None

    return per_year.with_columns(
        pl.when(pl.col("家庭人口数") > 0).then(pl.col("家庭纯收入") / pl.col("家庭人口数")).alias("人均纯收入"),
        pl.col("年度").map_elements(line, return_dtype=pl.Float64).alias("监测线"),
    ).select(TREND_COLUMNS)


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
