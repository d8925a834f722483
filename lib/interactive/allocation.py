"""Allocation of limited measures: which households get the K public-welfare posts or a budget.

Objective (lexicographic, as the plan states it): first maximise the number of 减收 households
whose income gets back to at least last year's (收入缺口 closed), then the number of
households lifted from below this year's monitoring line to at or above it. 收入缺口 is the
rules' figure (lib.rules.measures): (上年人均 − 本年人均) × 本年家庭人口数, the yuan of household income
that brings per-capita income back to last year's; adding x yuan closes it iff x ≥ 收入缺口.
The line's distance is max(0, 监测线 × 本年家庭人口数 − 本年家庭纯收入), likewise.

Inputs are the ``households`` frame of ``lib.rules.analysis.Analysis`` (contract §2): 户编号, 村,
户主姓名, 收入研判, 收入缺口, 本年家庭纯收入, 本年家庭人口数, 劳动力人数,
弱劳动力或半劳动力人数, and this year's monitoring line passed explicitly.

Eligibility (decided here, printed in every reason):
- Households not surveyed this year (收入研判 = 未排查) get nothing: their gap is unknown.
- A public-welfare post needs someone to work it: 劳动力人数 + 弱劳动力或半劳动力人数 > 0.
  At most one post per household (以岗聘任: one post, one person; spreading posts helps more
  households). Households with no labour at all are eligible for industry distribution
  (差异化分配, ``allocate_budget(..., only_no_labour=True)``) instead.
- Posts go first to weak and half labour (弱劳动力或半劳动力人数 > 0): among households the
  objective values equally, they come before full-labour households. Priority never costs a
  household the objective would count.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from lib.catalogue import DECREASE, NOT_SURVEYED
from lib.present.format import LIST_SEPARATOR, yuan

OPTIMAL, LIST_ORDER = "最优", "名单顺序"
PLACEMENTS = (OPTIMAL, LIST_ORDER)
# What the optimal placement maximises first (the other two figures break ties, in this order).
GOAL_LIFT, GOAL_RESTORE, GOAL_FILL = "越过监测线户数", "恢复上年收入户数", "弥补缺口金额"
GOALS = (GOAL_LIFT, GOAL_RESTORE, GOAL_FILL)
# The plan's order: households at risk of returning to poverty (below the monitoring line)
# first, weak and half labour first among equals.
PLAN_GOAL = GOAL_LIFT
POST, INDUSTRY = "公益岗位", "产业收益分配"

# Columns of the chosen-households frame every allocation returns
CHOSEN_COLUMNS = ("顺序", "户编号", "村", "户主姓名", "收入缺口", "距监测线差额", "安排金额", "补齐缺口", "越过监测线", "理由")
_EPS = 1e-6  # yuan; amounts are sums of floats


@dataclass(frozen=True)
class Allocation:
    """The households chosen for one kind of measure, with reasons and totals."""

    measure: str  # POST or INDUSTRY
    method: str  # OPTIMAL or LIST_ORDER
    chosen: pl.DataFrame  # CHOSEN_COLUMNS, in placement order
    closed: int  # 减收 households brought back to at least last year's income
    lifted: int  # households brought from below the monitoring line to at or above it
    cost: float  # yuan per year
    unplaced: int = 0  # posts left over (no eligible household the objective values)
    exact: bool = True  # False only when the budget problem was too large for the exact method
    goal: str = GOAL_RESTORE  # what OPTIMAL maximised first

    @property
    def filled(self) -> float:
        """Yuan of 收入缺口 the placements fill: Σ min(gap, amount) over the chosen."""
        if self.chosen.height == 0:
            return 0.0
        return float(self.chosen.select(pl.min_horizontal("收入缺口", "安排金额").sum()).item())

    def result(self, goal: str) -> float:
        """The allocation's value for ``goal``."""
        return {GOAL_LIFT: self.lifted, GOAL_RESTORE: self.closed, GOAL_FILL: self.filled}[goal]

    @property
    def placed(self) -> int:
        return self.chosen.height


def posts_within_budget(budget: float, monthly_pay: float, months: int = 12) -> int:
    """How many posts a yearly budget pays for (each post costs pay × months)."""
    value = monthly_pay * months
    if value <= 0:
        raise ValueError("公益岗位月补贴和月数必须大于0")
    return int(max(budget, 0.0) // value)


def needs(households: pl.DataFrame, threshold: float) -> pl.DataFrame:
    """Per household: 收入缺口 (to get back to last year) and 距监测线差额 (to reach the line),
    both in yuan of household income, plus the eligibility flags used below.

    Not-surveyed households are dropped; list order (the row order given) is kept as 名单序号.
    """
    surveyed = households.with_row_index("名单序号").filter(pl.col("收入研判") != NOT_SURVEYED)
    labour = pl.col("劳动力人数").fill_null(0)
    weak = pl.col("弱劳动力或半劳动力人数").fill_null(0)
    gap = pl.when(pl.col("收入研判") == DECREASE).then(pl.col("收入缺口").fill_null(0.0)).otherwise(0.0)
    line = (threshold * pl.col("本年家庭人口数") - pl.col("本年家庭纯收入")).clip(lower_bound=0.0)
    name = pl.col("户主姓名") if "户主姓名" in households.columns else pl.lit(None, pl.Utf8)
    return surveyed.select(
        "名单序号",
        "户编号",
        "村",
        name.alias("户主姓名"),
        gap.cast(pl.Float64).alias("收入缺口"),
        line.cast(pl.Float64).alias("距监测线差额"),
        ((labour + weak) > 0).alias("可上岗"),
        (weak > 0).alias("弱半劳动力"),
        ((labour == 0) & (weak == 0)).alias("无劳动力"),
    )


def _effect(gap: float, line: float, amount: float) -> tuple[bool, bool]:
    """(closes the gap, lifts above the line) when ``amount`` yuan is added."""
    return (gap > _EPS and gap <= amount + _EPS, line > _EPS and line <= amount + _EPS)


def _reason(row: dict, amount: float, measure: str, closes: bool, lifts: bool) -> str:
    parts = []
    if closes:
        parts.append(f"收入缺口 {yuan(row['收入缺口'])} ≤ {measure}安排 {yuan(amount)}，可恢复到上年收入")
    elif row["收入缺口"] > _EPS:
        parts.append(f"收入缺口 {yuan(row['收入缺口'])}，{measure}安排 {yuan(amount)}不足以补齐")
    if lifts:
        parts.append(f"距监测线差 {yuan(row['距监测线差额'])}，安排后达到监测线")
    if measure == POST:
        parts.append("有弱劳动力或半劳动力，优先安置" if row["弱半劳动力"] else "有劳动力可上岗")
    return LIST_SEPARATOR.join(parts)


def _chosen_frame(rows: list[dict], amounts: list[float], measure: str) -> tuple[pl.DataFrame, int, int]:
    records, closed, lifted = [], 0, 0
    for order, (row, amount) in enumerate(zip(rows, amounts), start=1):
        closes, lifts = _effect(row["收入缺口"], row["距监测线差额"], amount)
        closed += closes
        lifted += lifts
        records.append(
            {
                "顺序": order,
                "户编号": row["户编号"],
                "村": row["村"],
                "户主姓名": row["户主姓名"],
                "收入缺口": row["收入缺口"],
                "距监测线差额": row["距监测线差额"],
                "安排金额": float(amount),
                "补齐缺口": closes,
                "越过监测线": lifts,
                "理由": _reason(row, amount, measure, closes, lifts),
            }
        )
    schema = {
        "顺序": pl.Int64, "户编号": pl.Utf8, "村": pl.Utf8, "户主姓名": pl.Utf8, "收入缺口": pl.Float64,
        "距监测线差额": pl.Float64, "安排金额": pl.Float64, "补齐缺口": pl.Boolean, "越过监测线": pl.Boolean,
        "理由": pl.Utf8,
    }
    return pl.DataFrame(records, schema=schema), closed, lifted


def _goal_key(goal: str, r: dict, a: bool, b: bool, value: float) -> tuple:
    """Sort key of a candidate for ``goal``: best first; ties go to weak/half labour, then the
    smallest gap (closed with the widest margin), then list order."""
    tail = (-r["弱半劳动力"], r["收入缺口"], r["名单序号"])
    if goal == GOAL_LIFT:
        return (-b, -a, *tail)
    if goal == GOAL_RESTORE:
        return (-a, -b, *tail)
    if goal == GOAL_FILL:
        return (-min(r["收入缺口"], value), -b, *tail)
    raise ValueError(f"未知的安置目标：{goal}（可用：{'、'.join(GOALS)}）")


def allocate_posts(
    households: pl.DataFrame, posts: int, post_value: float, threshold: float, method: str = OPTIMAL,
    goal: str = GOAL_RESTORE,
) -> Allocation:
    """Place ``posts`` public-welfare posts, each adding ``post_value`` yuan a year.

    OPTIMAL is exact for the lexicographic objective. Proof: a post adds the same amount v to
    any household, so household i contributes a fixed pair (a_i, b_i), a_i = [0 < gap_i ≤ v],
    b_i = [0 < line_i ≤ v], wherever it sits in the choice, and the constraint is only
    |S| ≤ K with one post per household. Hence Σa ≤ min(K, #{a_i = 1}); taking households with
    a_i = 1 first reaches it (in particular the greedy "smallest gap first while gap ≤ v"
    does). Among sets reaching that maximum: if #{a=1} ≥ K every chosen household has a=1 and
    Σb ≤ min(K, #{a=1,b=1}), reached by taking (1,1) before (1,0); otherwise every a=1
    household is in the set and the K − #{a=1} other posts add at most #{a=0,b=1} lifts,
    reached by taking (0,1) next. So sorting by (a, b) descending and taking the first K with
    a + b > 0 is optimal. Within a class the order is the plan's priority (weak/half labour
    first), then the smallest gap (closed with the widest margin), then list order; it
    changes who is chosen, never the two counts. Posts that would change neither count are
    left unplaced and reported.

    ``goal`` picks which figure comes first. GOAL_RESTORE is the order above (a, then b);
    GOAL_LIFT swaps it (b, then a; same proof with the roles exchanged); GOAL_FILL maximises
    Σ min(gap_i, v): each household's value is fixed, so the K largest values are optimal.
    Each goal's own figure is the sum of the K best fixed values, so it never falls when K
    or the post's value v grows (every value min(gap, v), [gap ≤ v], [line ≤ v] rises with v).

    LIST_ORDER is the baseline a clerk would use: eligible 减收 households in list order,
    then eligible households below the line, whatever their gap.
    """
    if posts < 0 or post_value < 0:
        raise ValueError("岗位数和岗位年收入不能为负数")
    cand = needs(households, threshold).filter(pl.col("可上岗"))
    rows = cand.to_dicts()
    if goal not in GOALS:
        raise ValueError(f"未知的安置目标：{goal}（可用：{'、'.join(GOALS)}）")
    if method == OPTIMAL:
        scored = []
        for r in rows:
            a, b = _effect(r["收入缺口"], r["距监测线差额"], post_value)
            if a or b or (goal == GOAL_FILL and r["收入缺口"] > _EPS):
                scored.append((_goal_key(goal, r, a, b, post_value), r))
        picked = [r for _, r in sorted(scored, key=lambda t: t[0])[:posts]]
    elif method == LIST_ORDER:
        at_risk = [r for r in rows if r["收入缺口"] > _EPS]
        below = [r for r in rows if r["收入缺口"] <= _EPS and r["距监测线差额"] > _EPS]
        picked = (at_risk + below)[:posts]
    else:
        raise ValueError(f"未知的安置方式：{method}（可用：{'、'.join(PLACEMENTS)}）")
    chosen, closed, lifted = _chosen_frame(picked, [post_value] * len(picked), POST)
    return Allocation(POST, method, chosen, closed, lifted, post_value * len(picked), posts - len(picked), goal=goal)


# Budget problems larger than this many DP cells fall back to the greedy (exact for the first
# goal only); the demo district and a township are far below it.
MAX_DP_CELLS = 20_000_000


def allocate_budget(
    households: pl.DataFrame, budget: float, threshold: float, only_no_labour: bool = False
) -> Allocation:
    """Spend a yearly budget on top-ups (e.g. 产业收益分配 differential distribution), each
    household receiving exactly what it needs: its gap, its distance to the line, or the
    larger of the two.

    First goal (count of gaps closed) alone is a knapsack with unit values, solved exactly by
    taking the smallest gaps first: any feasible set of m closures costs at least the sum of
    the m smallest gaps. With the second goal the items have options (close the gap, reach the
    line, or both at max(gap, line)), a multiple-choice knapsack; it is solved exactly by a DP
    over the households with a gap, state (gaps closed a, lifts b) → least cost, a ≤ A* (the
    first-goal optimum). Households with no gap only add lifts at cost = their distance to the
    line, so for any money left the best is the cheapest such lifts first (same argument);
    the DP result is combined with that prefix. Time and memory O(n_gap² · A*) with numpy,
    no solver dependency (scipy's milp would add a package for problems this small).
    """
    if budget < 0:
        raise ValueError("预算不能为负数")
    cand = needs(households, threshold)
    if only_no_labour:
        cand = cand.filter(pl.col("无劳动力"))
    rows = cand.to_dicts()
    gap_rows = [r for r in rows if r["收入缺口"] > _EPS]
    lift_rows = sorted(
        (r for r in rows if r["收入缺口"] <= _EPS and r["距监测线差额"] > _EPS),
        key=lambda r: (r["距监测线差额"], r["名单序号"]),
    )
    # A*: the most gaps the budget can close (smallest first)
    spent, a_star = 0.0, 0
    for g in sorted(r["收入缺口"] for r in gap_rows):
        if spent + g > budget + _EPS:
            break
        spent, a_star = spent + g, a_star + 1
    n = len(gap_rows)
    exact = n * (a_star + 1) * (n + 1) <= MAX_DP_CELLS
    if exact:
        amounts = _budget_dp(gap_rows, lift_rows, budget, a_star)
    else:
        amounts = _budget_greedy(gap_rows, lift_rows, budget)
    picked = [(r, amt) for r, amt in zip(gap_rows + lift_rows, amounts) if amt > 0]
    # placement order: gap closures first (smallest first), then lifts
    picked.sort(key=lambda t: (not _effect(t[0]["收入缺口"], 0.0, t[1])[0], t[1], t[0]["名单序号"]))
    chosen, closed, lifted = _chosen_frame([r for r, _ in picked], [a for _, a in picked], INDUSTRY)
    return Allocation(INDUSTRY, OPTIMAL, chosen, closed, lifted, float(sum(a for _, a in picked)), 0, exact)


def _options(r: dict) -> list[tuple[float, int, int]]:
    """(cost, closes, lifts) for a household with a gap."""
    g, l = r["收入缺口"], r["距监测线差额"]
    opts = {(g, 1, int(l > _EPS and l <= g + _EPS))}
    if l > _EPS:
        opts.add((l, int(g <= l + _EPS), 1))
        opts.add((max(g, l), 1, 1))
    return sorted(opts)


def _budget_dp(gap_rows: list[dict], lift_rows: list[dict], budget: float, a_star: int) -> list[float]:
    """Amounts per household (gap rows, then lift rows) of an exact lexicographic optimum."""
    n = len(gap_rows)
    cost = np.full((a_star + 1, n + 1), np.inf)  # least cost to close a gaps and make b lifts
    cost[0, 0] = 0.0
    choice = np.full((n, a_star + 1, n + 1), -1, dtype=np.int8)  # option taken at step i, -1 none
    opts = [_options(r) for r in gap_rows]
    for i, options in enumerate(opts):
        new = cost.copy()
        for k, (c, da, db) in enumerate(options):
            shifted = np.full_like(cost, np.inf)
            shifted[da:, db:] = cost[: a_star + 1 - da, : n + 1 - db] + c
            better = shifted < new - _EPS
            new = np.where(better, shifted, new)
            choice[i][better] = k
        cost = new
    lift_costs = np.cumsum([0.0] + [r["距监测线差额"] for r in lift_rows])
    best_key, b_best, extra_best = None, 0, 0
    for b in range(n + 1):
        c = float(cost[a_star, b])
        if c > budget + _EPS:
            continue
        extra = int(np.searchsorted(lift_costs, budget - c + _EPS, side="right")) - 1
        key = (b + extra, -c)  # most lifts, then least money spent
        if best_key is None or key > best_key:
            best_key, b_best, extra_best = key, b, extra
    amounts = [0.0] * n
    a, b = a_star, b_best
    for i in range(n - 1, -1, -1):  # walk back through the recorded choices
        k = int(choice[i, a, b])
        if k >= 0:
            c, da, db = opts[i][k]
            amounts[i] = c
            a, b = a - da, b - db
    return amounts + [r["距监测线差额"] if j < extra_best else 0.0 for j, r in enumerate(lift_rows)]


def _budget_greedy(gap_rows: list[dict], lift_rows: list[dict], budget: float) -> list[float]:
    """Fallback for very large problems: smallest gaps first (exact for the first goal), then
    the money left on the cheapest lifts (topping up chosen households or lifting others)."""
    left = budget
    amounts = [0.0] * (len(gap_rows) + len(lift_rows))
    for i in sorted(range(len(gap_rows)), key=lambda i: gap_rows[i]["收入缺口"]):
        g = gap_rows[i]["收入缺口"]
        if g > left + _EPS:
            break
        amounts[i], left = g, left - g
    rows = gap_rows + lift_rows
    lifts = sorted((r["距监测线差额"] - amounts[i], i) for i, r in enumerate(rows) if r["距监测线差额"] - amounts[i] > _EPS)
    for need, i in lifts:
        if need <= left + _EPS:
            amounts[i], left = amounts[i] + need, left - need
    return amounts
