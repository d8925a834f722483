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

from lib.interactive.allocation import (
    GOAL_FILL, GOAL_LIFT, GOAL_RESTORE, GOALS, INDUSTRY, LIST_ORDER, OPTIMAL, PLACEMENTS, PLAN_GOAL, POST, Allocation,
    allocate_posts,
)
from lib.catalogue import DECREASE, DISTRICT, LEAD_UNITS, NOT_SURVEYED, RED
from lib.policy import Policy
from lib.present.format import measure_name, percent, wan_yuan, yuan

POST_ITEM, INDUSTRY_ITEM = "公益岗位收入", "产业收益分配"  # the income items the levers add to
# The measures the levers stand for (lib.catalogue.MEASURES): posts, industry shares, 低保.
POST_MEASURE, INDUSTRY_MEASURE, SAFETY_NET = "M1", "M2", "M3"
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
    goal: str = PLAN_GOAL  # what the optimal placement maximises first (GOALS)
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
        if self.goal not in GOALS:
            raise ValueError(f"未知的安置目标：{self.goal}（可用：{'、'.join(GOALS)}）")

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
            ("岗位安置方式", f"按{self.goal}最多安置" if self.placement == OPTIMAL else "按减收户名单顺序安置"),
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
    base: object = None  # Analysis with the rule levers only (no added income): what they alone changed

    @property
    def district(self) -> dict:
        return self.comparison.filter(pl.col("村") == DISTRICT).to_dicts()[0]


COMPARISON_COLUMNS = (
    "村", "调整前减收户", "调整后减收户", "恢复上年收入户", "越过监测线户", "调整前红色预警户", "调整后红色预警户",
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


def compare(before, after, posts: Allocation, industry: pl.DataFrame, threshold: float | None = None) -> pl.DataFrame:
    """Before/after by village and for the district (COMPARISON_COLUMNS). 越过监测线户: below
    this year's line (``threshold``, the scenario's; default the rules' own) before, at or
    above it after."""
    line = after.policy.threshold(after.year_this) if threshold is None else threshold
    b = before.households.select(
        "户编号", "村", "收入研判", "预警等级", pl.col("收入缺口").fill_null(0.0), "上年人均纯收入",
        pl.col("本年人均纯收入").alias("前本年人均"),
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
        ((pl.col("前本年人均") < line - _EPS) & (pl.col("后本年人均") >= line - _EPS)).fill_null(False).sum().alias("越过监测线户"),
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


def run_scenario(
    data, policy: Policy, levers: Levers, years: tuple[int, int] | None = None, before=None, base=None
) -> Scenario:
    """Apply ``levers`` to ``data``/``policy``, re-run the rules and compare with ``before``
    (computed when not given). Posts are placed on the households as the scenario's rules see
    them (e.g. with the new monitoring line), by ``levers.placement``. ``base``: the analysis
    under the scenario's rules before any placement, when already computed (another scenario's
    ``base`` with the same rule levers)."""
    from lib.rules.analysis import analyze  # the rules engine; imported late to keep this module light

    if before is None:
        before = analyze(data, policy, years=years)
    pair = (before.year_last, before.year_this)
    new_policy = scenario_policy(policy, levers, before.year_this)
    if base is None:
        base = analyze(data, new_policy, years=pair) if levers.changes_policy else before
    line = new_policy.threshold(before.year_this)
    posts = allocate_posts(base.households, levers.posts, levers.post_value, line, levers.placement, levers.goal)
    industry = industry_recipients(base.households, levers.industry_per_household)
    changed = add_income(data, before.year_this, POST_ITEM, posts.chosen.select("户编号", "安排金额"))
    changed = add_income(changed, before.year_this, INDUSTRY_ITEM, industry.select("户编号", "安排金额"))
    after = analyze(changed, new_policy, years=pair) if (posts.placed or industry.height or levers.changes_policy) else base
    return Scenario(levers, new_policy, before, after, posts, industry, compare(before, after, posts, industry, line), base)


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


# ---------------------------------------------------------------------------------------
# The placement goal: what each goal gives for the same posts, and what it costs in the others
# ---------------------------------------------------------------------------------------

# Each goal's figure in the district row of a comparison, and how a sentence counts it.
GOAL_FIGURES = {GOAL_LIFT: "越过监测线户", GOAL_RESTORE: "恢复上年收入户", GOAL_FILL: "弥补缺口"}
GOAL_PHRASES = {GOAL_LIFT: "越过监测线的户", GOAL_RESTORE: "恢复到上年收入的减收户", GOAL_FILL: "弥补的收入缺口"}
GOAL_COLUMNS = ("安置目标", "安置岗位", "越过监测线户", "恢复上年收入户", "弥补缺口", "调整后减收户", "调整后红色预警户", "投入成本")


def compare_goals(
    data, policy: Policy, levers: Levers = PLAN_PRESET, years=None, before=None, scenario: Scenario | None = None
) -> pl.DataFrame:
    """The same posts placed for each goal, and in list order, side by side (GOAL_COLUMNS; the
    goal of ``levers`` first). The rows are district figures of ``run_scenario``. ``scenario``:
    the scenario of ``levers`` when already run — its row is taken as it is and its rules' base
    serves every row (only the placement differs between rows)."""
    from lib.rules.analysis import analyze

    if scenario is not None:
        before = scenario.before
    elif before is None:
        before = analyze(data, policy, years=years)
    base = scenario.base if scenario is not None else None
    goals = [levers.goal, *(g for g in GOALS if g != levers.goal)]
    rows = []
    for goal, method in [*((g, OPTIMAL) for g in goals), (levers.goal, LIST_ORDER)]:
        row_levers = replace(levers, goal=goal, placement=method)
        reuse = scenario is not None and scenario.levers == row_levers
        s = scenario if reuse else run_scenario(data, policy, row_levers, before=before, base=base)
        d = s.district
        rows.append({"安置目标": goal if method == OPTIMAL else "按名单顺序", "安置岗位": s.posts.placed,
                     **{c: d[c] for c in GOAL_COLUMNS[2:]}})
    return pl.DataFrame(rows).select(GOAL_COLUMNS)


def _amount(goal: str, value: float) -> str:
    return wan_yuan(value) if goal == GOAL_FILL else f"{int(value)} 户"


def goal_tradeoffs(goals: pl.DataFrame, chosen: str) -> list[str]:
    """One sentence per other goal that would give more of some figure than ``chosen`` and
    less of another: what is traded for what."""
    by = {r["安置目标"]: r for r in goals.to_dicts()}
    mine = by[chosen]
    sentences = []
    for other in GOALS:
        if other == chosen or other not in by:
            continue
        theirs = by[other]
        gains = [g for g in GOALS if theirs[GOAL_FIGURES[g]] > mine[GOAL_FIGURES[g]] + _EPS]
        losses = [g for g in GOALS if theirs[GOAL_FIGURES[g]] < mine[GOAL_FIGURES[g]] - _EPS]
        if not gains:
            continue
        more = "、".join(f"{GOAL_PHRASES[g]}多 {_amount(g, theirs[GOAL_FIGURES[g]] - mine[GOAL_FIGURES[g]])}" for g in gains)
        less = "、".join(f"{GOAL_PHRASES[g]}少 {_amount(g, mine[GOAL_FIGURES[g]] - theirs[GOAL_FIGURES[g]])}" for g in losses)
        sentences.append(f"若改以{other}为目标，{more}" + (f"，但{less}" if less else "") + "。")
    return sentences


def conclusion(scenario: Scenario, goals: pl.DataFrame | None = None) -> str:
    """The page's first paragraph: what the scenario gives, in the leaders' words."""
    lv, d = scenario.levers, scenario.district
    how = f"以{lv.goal}最多为安置目标" if lv.placement == OPTIMAL else "按减收户名单顺序安置"
    parts = []
    if lv.posts:
        parts.append(
            f"新增 {lv.posts} 个公益岗位（每岗 {yuan(lv.post_monthly_pay)}/月 × {lv.post_months} 个月，{how}），"
            f"实际安置 {scenario.posts.placed} 户"
            + (f"，{scenario.posts.unplaced} 个岗位没有能见效的户可安置" if scenario.posts.unplaced else "")
        )
    if scenario.industry.height:
        parts.append(f"{scenario.industry.height} 户无劳动力户每户每年增加产业收益分配 {yuan(lv.industry_per_household)}")
    rule = [t for t in lv.table()[3:] if t[1] != "不变"]
    if rule:
        parts.append("调整" + "、".join(f"{k}为{v}" for k, v in rule))
    head = "；".join(parts) if parts else "不做任何调整"
    body = (
        f"。结果：{d['越过监测线户']} 户越过监测线，{d['恢复上年收入户']} 户减收户恢复到上年收入，"
        f"弥补收入缺口 {wan_yuan(d['弥补缺口'])}；减收户由 {d['调整前减收户']} 户变为 {d['调整后减收户']} 户，"
        f"红色预警户由 {d['调整前红色预警户']} 户变为 {d['调整后红色预警户']} 户；每年投入 {wan_yuan(d['投入成本'])}。"
    )
    trade = "".join(goal_tradeoffs(goals, lv.goal)) if goals is not None and lv.placement == OPTIMAL and lv.posts else ""
    return head + body + trade


def key_figures(scenario: Scenario) -> list[tuple[str, str]]:
    """The six figures of the page's 要点 box (district row of the comparison, as the
    conclusion says them)."""
    d = scenario.district
    return [
        ("越过监测线户", f"{d['越过监测线户']} 户"),
        ("恢复上年收入户", f"{d['恢复上年收入户']} 户"),
        ("弥补收入缺口", wan_yuan(d["弥补缺口"])),
        ("减收户", f"{d['调整前减收户']} → {d['调整后减收户']} 户"),
        ("红色预警户", f"{d['调整前红色预警户']} → {d['调整后红色预警户']} 户"),
        ("每年投入", wan_yuan(d["投入成本"])),
    ]


def plan_actions(scenario: Scenario) -> list[str]:
    """What the scenario asks of the lead units, one sentence each (the measures' lead units
    of the catalogue): the posts, the industry distribution, the 低保 review."""
    lv = scenario.levers
    actions = []
    if scenario.posts.placed:
        actions.append(f"{LEAD_UNITS[POST_MEASURE]}：按本方案安置 {scenario.posts.placed} 个公益岗位"
                       f"（每岗 {yuan(lv.post_monthly_pay)}/月 × {lv.post_months} 个月），名单见“公益岗位安置名单”。")
    if scenario.industry.height:
        actions.append(f"{LEAD_UNITS[INDUSTRY_MEASURE]}：为 {scenario.industry.height} 户无劳动力户每户每年增加"
                       f"产业收益分配 {yuan(lv.industry_per_household)}。")
    if lv.dibao_standard is not None:
        actions.append(f"{LEAD_UNITS[SAFETY_NET]}：按低保标准 {yuan(lv.dibao_standard)}/人·年复核低保核算和"
                       f"{measure_name(SAFETY_NET)}。")
    return actions or ["本方案不安排新的帮扶措施，只测算规则调整的影响。"]


# ---------------------------------------------------------------------------------------
# What each rule lever changed
# ---------------------------------------------------------------------------------------

DIBAO_CHANGE_COLUMNS = ("户编号", "村", "户主姓名", "低保核算人均收入", "调整前低于低保标准", "调整后低于低保标准",
                        "调整前推荐兜底保障", "调整后推荐兜底保障")


def dibao_changes(before, after) -> pl.DataFrame:
    """Households whose 低保 check (低于低保标准) or M3 recommendation differs between the two
    analyses (DIBAO_CHANGE_COLUMNS, 是/否 as text): what a 低保标准 change did."""
    def view(analysis, prefix):
        return analysis.households.select(
            "户编号",
            pl.col("低于低保标准").fill_null(False).alias(f"{prefix}低于低保标准"),
            pl.col("推荐措施").list.contains("M3").fill_null(False).alias(f"{prefix}推荐兜底保障"),
        )
    joined = (
        before.households.select("户编号", "村", "户主姓名", "低保核算人均收入")
        .join(view(before, "调整前"), on="户编号")
        .join(view(after, "调整后"), on="户编号")
        .filter((pl.col("调整前低于低保标准") != pl.col("调整后低于低保标准"))
                | (pl.col("调整前推荐兜底保障") != pl.col("调整后推荐兜底保障")))
    )
    flags = [c for c in DIBAO_CHANGE_COLUMNS if c.startswith("调整")]
    return joined.with_columns(pl.col(flags).replace_strict({True: "是", False: "否"}, return_dtype=pl.Utf8)).select(DIBAO_CHANGE_COLUMNS)


def _count_of(analysis, expr: pl.Expr) -> int:
    return int(analysis.households.select(expr.fill_null(False).sum()).item())


# What each lever changes, said once for the sliders and the page.
LEVER_NOTES = {
    "posts": "给有劳动能力的户各安置一个公益岗位，岗位年收入计入本年公益岗位收入",
    "post_monthly_pay": "每个岗位每月的补贴，岗位年收入 = 月补贴 × 在岗月数",
    "post_months": "岗位每年发放几个月",
    "goal": "最优安置时先让哪一项最多，其余两项依次兼顾；弱劳动力、半劳动力优先",
    "industry_per_household": "给每户无劳动力户增加本年产业收益分配（差异化分配）",
    "dibao_standard": f"只改变低保核算（是否低于低保标准）和{measure_name('M3')}推荐，不改变收入研判和预警",
    "monitoring_threshold": "改变红色预警、应纳未纳和越过监测线的判断",
    "flat_band": "改变增收、持平、减收的划分",
}


def lever_effects(scenario: Scenario) -> dict[str, str]:
    """For each lever, one sentence on what it did in this scenario (keys of LEVER_NOTES)."""
    s, b = scenario, scenario.before
    a = s.base if s.base is not None else s.after  # the rule levers' own effect, without the added income
    post_value = s.levers.post_value
    dibao = dibao_changes(b, a).height
    red = pl.col("预警等级") == RED
    flat, decrease = pl.col("收入研判") == "持平", pl.col("收入研判") == DECREASE
    placed = (
        f"安置 {s.posts.placed} 户（每户每年增收 {yuan(post_value)}）：{s.posts.lifted} 户越过监测线，"
        f"{s.posts.closed} 户恢复上年收入，弥补缺口 {wan_yuan(s.posts.filled)}"
    ) if s.posts.placed else "未安置公益岗位"
    return {
        "posts": placed,
        "post_monthly_pay": f"每岗年收入 {yuan(post_value)}，公益岗位年投入 {wan_yuan(s.posts.cost)}",
        "post_months": f"每岗年收入 {yuan(post_value)}",
        "goal": f"当前目标：{s.levers.goal}" if s.levers.placement == OPTIMAL else "当前按名单顺序安置，不按目标",
        "industry_per_household": (f"{s.industry.height} 户无劳动力户，年投入 {wan_yuan(float(s.industry['安排金额'].sum()))}"
                                   if s.industry.height else "未安排产业收益分配"),
        "dibao_standard": f"{dibao} 户的低保核算结果或{measure_name('M3')}推荐发生变化（名单见下）",
        "monitoring_threshold": (f"红色预警户 {_count_of(b, red)} → {_count_of(a, red)}；应纳未纳 "
                                 f"{_count_of(b, pl.col('应纳未纳'))} → {_count_of(a, pl.col('应纳未纳'))}"),
        "flat_band": (f"持平户 {_count_of(b, flat)} → {_count_of(a, flat)}；减收户 {_count_of(b, decrease)} → {_count_of(a, decrease)}"),
    }


__all__ = [
    "DEFAULT_POST_MONTHLY_PAY", "DISTRICT", "INDUSTRY", "Levers", "PLAN_PRESET", "POST", "Scenario",
    "COMPARISON_COLUMNS", "add_income", "compare", "compare_placements", "industry_recipients", "plan_note",
    "run_scenario", "scenario_policy", "GOAL_COLUMNS", "GOAL_FIGURES", "LEVER_NOTES", "compare_goals", "conclusion",
    "dibao_changes", "goal_tradeoffs", "lever_effects",
]
