"""What-if scenarios: pull the plan's levers, re-run the rules, compare before and after.

Levers: K extra public-welfare posts (monthly pay × months, placed by ``lib.interactive.allocation``), a
yearly industry distribution for every household with no labour at all (差异化分配), and
this year's 低保 standard, monitoring line and the flat band. Income levers add money to
this year's 公益岗位收入 / 产业收益分配 of the chosen households in ``InputData.income``;
rule levers change the ``Policy``; then ``lib.rules.analysis.analyze`` runs again. Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import polars as pl

from lib.interactive.allocation import INDUSTRY, LIST_ORDER, OPTIMAL, PLACEMENTS, POST, Allocation, allocate_posts
from lib.catalogue import DECREASE, NOT_SURVEYED, RED
from lib.catalogue import DISTRICT
from lib.policy import Policy
from lib.present.format import percent, yuan

POST_ITEM, INDUSTRY_ITEM = "公益岗位收入", "产业收益分配"  # the income items the levers add to
_EPS = 1e-6  # yuan per person; amounts are sums of floats

# Assumed pay of a village public-welfare post: the plan gives no figure and DOMAIN.md found
# none for Jiamusi; 500 yuan a month is a common rural level. Set it in the notebook.
DEFAULT_POST_MONTHLY_PAY = 500.0


@dataclass(frozen=True)
class Levers:
    """One scenario's lever settings; None for a rule lever means "as in the policy"."""

    posts: int = 0  # extra public-welfare posts K
    post_monthly_pay: float = DEFAULT_POST_MONTHLY_PAY  # yuan per post per month
    post_months: int = 12  # months a year the post is paid
    placement: str = OPTIMAL  # OPTIMAL or LIST_ORDER (see lib.interactive.allocation)
    industry_per_household: float = 0.0  # yuan/year to each household with no labour at all
    dibao_standard: float | None = None  # this year's 低保 standard, yuan per person per year
    monitoring_threshold: float | None = None  # this year's monitoring line
    flat_band: float | None = None  # 持平 band, share of last year's per-capita

    def __post_init__(self):
        if self.posts < 0 or self.post_monthly_pay < 0 or self.industry_per_household < 0:
            raise ValueError("岗位数、月补贴和产业收益分配金额不能为负数")
        if not 1 <= self.post_months <= 12:
            raise ValueError(f"公益岗位月数应在 1–12 之间，实际为 {self.post_months}")
        if self.placement not in PLACEMENTS:
            raise ValueError(f"未知的安置方式：{self.placement}（可用：{'、'.join(PLACEMENTS)}）")

    @property
    def post_value(self) -> float:
        """What one post adds to a household's income in a year."""
        return self.post_monthly_pay * self.post_months

    @property
    def changes_policy(self) -> bool:
        return any(v is not None for v in (self.dibao_standard, self.monitoring_threshold, self.flat_band))

    def table(self) -> list[tuple[str, str]]:
        """(杠杆, 取值) rows for printing with the scenario."""
        unchanged = "不变"
        return [
            ("新增公益岗位", f"{self.posts} 个，每岗 {yuan(self.post_monthly_pay)}/月 × {self.post_months} 个月"),
            ("岗位安置方式", self.placement),
            ("无劳动力户产业收益分配", f"{yuan(self.industry_per_household)}/户/年"),
            ("本年低保标准", unchanged if self.dibao_standard is None else f"{yuan(self.dibao_standard)}/人/年"),
            ("本年监测线", unchanged if self.monitoring_threshold is None else f"{yuan(self.monitoring_threshold)}/人/年"),
            ("持平区间", unchanged if self.flat_band is None else f"±{percent(self.flat_band)}"),
        ]


# The plan's own figure: 4 people placed in village public-welfare posts.
PLAN_PRESET = Levers(posts=4)


@dataclass(frozen=True)
class Scenario:
    levers: Levers
    policy: Policy  # the policy after the rule levers
    before: object  # Analysis with the original data and policy
    after: object  # Analysis with the levers applied
    posts: Allocation  # who got the posts, why
    industry: pl.DataFrame  # 户编号, 村, 安排金额: households given the industry distribution
    comparison: pl.DataFrame  # COMPARISON_COLUMNS per village, then the 全区 row

    @property
    def district(self) -> dict:
        return self.comparison.filter(pl.col("村") == DISTRICT).to_dicts()[0]


COMPARISON_COLUMNS = (
    "村", "调整前减收户", "调整后减收户", "恢复上年收入户", "调整前红色预警户", "调整后红色预警户",
    "调整前收入缺口", "调整后收入缺口", "弥补缺口", "新增公益岗位", "产业分配户", "投入成本",
)


def scenario_policy(policy: Policy, levers: Levers, year_this: int) -> Policy:
    """The policy with this year's rule levers applied (unchanged when none is set)."""
    if levers.flat_band is not None:
        policy = policy.with_rules(flat_band=float(levers.flat_band))
    year_changes = {
        key: float(value)
        for key, value in (("dibao_standard", levers.dibao_standard), ("monitoring_threshold", levers.monitoring_threshold))
        if value is not None
    }
    if year_changes:
        policy = policy.with_year(year_this, **year_changes)
    return policy


def add_income(data, year: int, item: str, amounts: pl.DataFrame):
    """``data`` with ``amounts`` (户编号, 安排金额) added to ``item`` of each household's
    ``year`` row of 收入. Households without a row for that year are left as they are (the
    callers only pick surveyed households)."""
    if amounts.height == 0:
        return data
    add = amounts.group_by("户编号").agg(pl.col("安排金额").sum().alias("_add")).with_columns(pl.lit(year, pl.Int64).alias("年度"))
    income = (
        data.income.join(add, on=["户编号", "年度"], how="left", maintain_order="left")
        .with_columns((pl.col(item) + pl.col("_add").fill_null(0.0)).alias(item))
        .drop("_add")
    )
    return replace(data, income=income)


def industry_recipients(households: pl.DataFrame, amount: float) -> pl.DataFrame:
    """Surveyed households with no labour at all (劳动力 and 弱/半劳动力 both 0), each given
    ``amount`` yuan a year: the plan's differential distribution."""
    no_labour = (pl.col("劳动力人数").fill_null(0) == 0) & (pl.col("弱劳动力或半劳动力人数").fill_null(0) == 0)
    chosen = households.filter(no_labour & (pl.col("收入研判") != NOT_SURVEYED)) if amount > 0 else households.clear()
    return chosen.select("户编号", "村", pl.lit(float(amount)).alias("安排金额"))


def compare(before, after, posts: Allocation, industry: pl.DataFrame) -> pl.DataFrame:
    """Before/after by village and for the district (COMPARISON_COLUMNS)."""
    b = before.households.select(
        "户编号", "村", "收入研判", "预警等级", pl.col("收入缺口").fill_null(0.0), "上年人均纯收入"
    )
    a = after.households.select(
        "户编号",
        pl.col("收入研判").alias("后研判"),
        pl.col("预警等级").alias("后预警"),
        pl.col("收入缺口").fill_null(0.0).alias("后缺口"),
        pl.col("本年人均纯收入").alias("后本年人均"),
    )
    joined = b.join(a, on="户编号", how="left")
    # 恢复上年收入: a 减收 household with a gap whose per-capita income is back at last year's
    # (收入缺口 is the rules' (上年人均 − 本年人均) × 本年人口, so this is "gap closed")
    restored = (
        (pl.col("收入研判") == DECREASE)
        & (pl.col("收入缺口") > 0)
        & (pl.col("后本年人均") >= pl.col("上年人均纯收入") - _EPS)
    )
    per = joined.group_by("村").agg(
        (pl.col("收入研判") == DECREASE).sum().alias("调整前减收户"),
        (pl.col("后研判") == DECREASE).sum().alias("调整后减收户"),
        restored.fill_null(False).sum().alias("恢复上年收入户"),
        (pl.col("预警等级") == RED).sum().alias("调整前红色预警户"),
        (pl.col("后预警") == RED).sum().alias("调整后红色预警户"),
        pl.col("收入缺口").sum().alias("调整前收入缺口"),
        pl.col("后缺口").sum().alias("调整后收入缺口"),
    )
    posts_by = posts.chosen.group_by("村").agg(pl.len().alias("新增公益岗位"), pl.col("安排金额").sum().alias("_岗位成本"))
    industry_by = industry.group_by("村").agg(pl.len().alias("产业分配户"), pl.col("安排金额").sum().alias("_产业成本"))
    per = (
        per.join(posts_by, on="村", how="left")
        .join(industry_by, on="村", how="left")
        .with_columns(pl.col("新增公益岗位", "产业分配户", "_岗位成本", "_产业成本").fill_null(0))
        .with_columns(
            (pl.col("调整前收入缺口") - pl.col("调整后收入缺口")).alias("弥补缺口"),
            (pl.col("_岗位成本") + pl.col("_产业成本")).cast(pl.Float64).alias("投入成本"),
        )
        .select(COMPARISON_COLUMNS)
        .sort("村")
    )
    counts = [c for c in COMPARISON_COLUMNS if c.endswith("户") or c == "新增公益岗位"]
    per = per.with_columns(pl.col(counts).cast(pl.Int64))
    total = per.select(pl.lit(DISTRICT).alias("村"), pl.exclude("村").sum())
    return pl.concat([per, total])


def run_scenario(data, policy: Policy, levers: Levers, years: tuple[int, int] | None = None, before=None) -> Scenario:
    """Apply ``levers`` to ``data``/``policy``, re-run the rules and compare with ``before``
    (computed when not given). Posts are placed on the households as the scenario's rules see
    them (e.g. with the new monitoring line), by ``levers.placement``."""
    from lib.rules.analysis import analyze  # the rules engine; imported late to keep this module light

    if before is None:
        before = analyze(data, policy, years=years)
    pair = (before.year_last, before.year_this)
    new_policy = scenario_policy(policy, levers, before.year_this)
    base = analyze(data, new_policy, years=pair) if levers.changes_policy else before
    posts = allocate_posts(
        base.households, levers.posts, levers.post_value, new_policy.threshold(before.year_this), levers.placement
    )
    industry = industry_recipients(base.households, levers.industry_per_household)
    changed = add_income(data, before.year_this, POST_ITEM, posts.chosen.select("户编号", "安排金额"))
    changed = add_income(changed, before.year_this, INDUSTRY_ITEM, industry.select("户编号", "安排金额"))
    after = analyze(changed, new_policy, years=pair) if (posts.placed or industry.height or levers.changes_policy) else base
    return Scenario(levers, new_policy, before, after, posts, industry, compare(before, after, posts, industry))


def compare_placements(data, policy: Policy, levers: Levers = PLAN_PRESET, years=None, before=None) -> pl.DataFrame:
    """The same levers with posts placed by the optimal choice and in list order, side by side:
    安置方式, 安置岗位, 恢复上年收入户, 调整后减收户, 调整后红色预警户, 弥补缺口, 投入成本."""
    from lib.rules.analysis import analyze

    if before is None:
        before = analyze(data, policy, years=years)
    rows = []
    for method in (OPTIMAL, LIST_ORDER):
        s = run_scenario(data, policy, replace(levers, placement=method), before=before)
        d = s.district
        rows.append(
            {
                "安置方式": method,
                "安置岗位": s.posts.placed,
                "恢复上年收入户": d["恢复上年收入户"],
                "调整前减收户": d["调整前减收户"],
                "调整后减收户": d["调整后减收户"],
                "调整后红色预警户": d["调整后红色预警户"],
                "弥补缺口": d["弥补缺口"],
                "投入成本": d["投入成本"],
            }
        )
    return pl.DataFrame(rows)


def plan_note(placements: pl.DataFrame, levers: Levers = PLAN_PRESET) -> str:
    """The closing sentence: what the plan's posts achieve, optimal vs list order."""
    by = {r["安置方式"]: r for r in placements.to_dicts()}
    best, listed = by[OPTIMAL], by[LIST_ORDER]
    head = (
        f"方案安排 {levers.posts} 个公益岗位（每岗 {yuan(levers.post_monthly_pay)}/月 × {levers.post_months} 个月，"
        f"年投入 {yuan(best['投入成本'])}）："
    )
    body = (
        f"按最优选择安置，{best['恢复上年收入户']} 户减收户恢复到上年收入（减收户 {best['调整前减收户']} → {best['调整后减收户']}）；"
        f"按名单顺序安置，{listed['恢复上年收入户']} 户恢复（减收户 → {listed['调整后减收户']}）。"
    )
    gain = best["恢复上年收入户"] - listed["恢复上年收入户"]
    tail = f"最优选择多恢复 {gain} 户。" if gain > 0 else "两种安置结果相同。"
    return head + body + tail


__all__ = [
    "DEFAULT_POST_MONTHLY_PAY", "DISTRICT", "INDUSTRY", "Levers", "PLAN_PRESET", "POST", "Scenario",
    "COMPARISON_COLUMNS", "add_income", "compare", "compare_placements", "industry_recipients", "plan_note",
    "run_scenario", "scenario_policy",
]
