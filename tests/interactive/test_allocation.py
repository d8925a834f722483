"""lib.interactive.allocation: posts and budgets vs list order (by hand) and vs brute force (hypothesis)."""

import itertools

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lib.interactive.allocation as allocation
from lib.interactive.allocation import (
    CHOSEN_COLUMNS,
    INDUSTRY,
    LIST_ORDER,
    OPTIMAL,
    POST,
    allocate_budget,
    allocate_posts,
    needs,
    posts_within_budget,
)

LINE = 6000.0  # this year's monitoring line in these cases
POST_VALUE = 6000.0  # 500 yuan × 12 months


def frame(rows) -> pl.DataFrame:
    """rows: (id, judgement, gap, net income this year, members, labour, weak labour)."""
    cols = ("户编号", "收入研判", "收入缺口", "本年家庭纯收入", "本年家庭人口数", "劳动力人数", "弱劳动力或半劳动力人数")
    data = {c: [r[i] for r in rows] for i, c in enumerate(cols)}
    return pl.DataFrame(data, schema_overrides={"收入缺口": pl.Float64, "本年家庭纯收入": pl.Float64}).with_columns(
        pl.lit("东村").alias("村"), (pl.lit("户主") + pl.col("户编号")).alias("户主姓名")
    )


# In list order: A's gap is too big for one post, B and C are closed by one, D is not 减收 but
# below the line, E has no labour at all, F is not surveyed.
CASE = frame(
    [
        ("A", "减收", 9000, 30000, 3, 1, 0),
        ("B", "减收", 5000, 30000, 3, 1, 0),
        ("C", "减收", 2000, 9000, 2, 0, 1),  # below the line (9000 < 12000), weak labour
        ("D", "持平", 0, 4000, 1, 1, 0),
        ("E", "减收", 500, 20000, 2, 0, 0),
        ("F", "未排查", 0, None, 2, 1, 0),
    ]
)


def test_needs_by_hand():
    n = needs(CASE, LINE)
    assert n["户编号"].to_list() == ["A", "B", "C", "D", "E"]  # F not surveyed
    assert n["距监测线差额"].to_list() == [0.0, 0.0, 3000.0, 2000.0, 0.0]
    assert n["可上岗"].to_list() == [True, True, True, True, False]
    assert n["无劳动力"].to_list() == [False, False, False, False, True]


def test_optimal_posts_beat_list_order_by_hand():
    best = allocate_posts(CASE, 2, POST_VALUE, LINE, OPTIMAL)
    listed = allocate_posts(CASE, 2, POST_VALUE, LINE, LIST_ORDER)
    # optimal: C closes its gap and crosses the line (1,1), then B (1,0)
    assert best.chosen["户编号"].to_list() == ["C", "B"]
    assert (best.closed, best.lifted, best.cost, best.unplaced) == (2, 1, 12000.0, 0)
    # list order: A (gap too big) then B
    assert listed.chosen["户编号"].to_list() == ["A", "B"]
    assert (listed.closed, listed.lifted) == (1, 0)
    assert best.chosen.columns == list(CHOSEN_COLUMNS) and best.measure == POST
    reason = best.chosen.row(0, named=True)["理由"]
    assert "可恢复到上年收入" in reason and "达到监测线" in reason and "弱劳动力或半劳动力" in reason
    assert "不足以补齐" in listed.chosen.row(0, named=True)["理由"]


def test_posts_never_go_to_households_without_labour_or_not_surveyed():
    best = allocate_posts(CASE, 10, POST_VALUE, LINE, OPTIMAL)
    listed = allocate_posts(CASE, 10, POST_VALUE, LINE, LIST_ORDER)
    for a in (best, listed):
        assert not {"E", "F"} & set(a.chosen["户编号"].to_list())
        assert a.chosen["户编号"].is_unique().all()  # at most one post per household
    # A gains nothing from a post (gap 9000 > 6000, above the line): the optimum leaves it out
    assert sorted(best.chosen["户编号"].to_list()) == ["B", "C", "D"]
    assert best.unplaced == 7 and best.cost == 3 * POST_VALUE
    assert (best.closed, best.lifted) == (2, 2)


def test_weak_and_half_labour_come_first_among_equals():
    h = frame([("P", "减收", 1000, 30000, 2, 2, 0), ("Q", "减收", 3000, 30000, 2, 1, 1)])
    assert allocate_posts(h, 1, POST_VALUE, LINE).chosen["户编号"].to_list() == ["Q"]
    # but never at the cost of a household the objective counts
    h2 = frame([("P", "减收", 1000, 30000, 2, 2, 0), ("Q", "减收", 7000, 30000, 2, 1, 1)])
    assert allocate_posts(h2, 1, POST_VALUE, LINE).chosen["户编号"].to_list() == ["P"]


def test_second_goal_decides_between_households_the_first_counts_alike():
    # one post, both gaps closable, neither has weak labour: Y also crosses the line
    h = frame([("X", "减收", 1000, 30000, 2, 1, 0), ("Y", "减收", 3000, 8000, 2, 1, 0)])
    a = allocate_posts(h, 1, POST_VALUE, LINE)
    assert a.chosen["户编号"].to_list() == ["Y"] and (a.closed, a.lifted) == (1, 1)


def test_zero_posts_and_bad_arguments():
    a = allocate_posts(CASE, 0, POST_VALUE, LINE)
    assert a.placed == 0 and a.cost == 0 and a.chosen.columns == list(CHOSEN_COLUMNS)
    with pytest.raises(ValueError, match="未知的安置方式"):
        allocate_posts(CASE, 1, POST_VALUE, LINE, "随机")
    with pytest.raises(ValueError):
        allocate_posts(CASE, -1, POST_VALUE, LINE)


def test_posts_within_budget():
    assert posts_within_budget(30000, 500, 12) == 5
    assert posts_within_budget(29999, 500, 12) == 4
    assert posts_within_budget(-5, 500, 12) == 0
    with pytest.raises(ValueError):
        posts_within_budget(1000, 0, 12)


def test_budget_by_hand():
    # budget 7500: close E (500), C (2000), B (5000) = 7500 exactly; nothing left for lifts
    a = allocate_budget(CASE, 7500, LINE)
    assert a.measure == INDUSTRY and a.exact
    assert sorted(a.chosen["户编号"].to_list()) == ["B", "C", "E"] and a.closed == 3 and a.cost == 7500
    # with 10500: three closures, and C lifted too (3000 instead of 2000) costs 1000 more;
    # D (2000) also fits: 500 + 3000 + 5000 + 2000 = 10500
    b = allocate_budget(CASE, 10500, LINE)
    assert (b.closed, b.lifted, b.cost) == (3, 2, 10500.0)
    amounts = dict(zip(b.chosen["户编号"], b.chosen["安排金额"]))
    assert amounts == {"E": 500.0, "C": 3000.0, "B": 5000.0, "D": 2000.0}
    only = allocate_budget(CASE, 10500, LINE, only_no_labour=True)
    assert only.chosen["户编号"].to_list() == ["E"]


def test_budget_leaves_money_for_cheaper_lifts_elsewhere():
    # G: gap 1000, 5000 short of the line; L1, L2: 2000 short each, no gap. Budget 5000:
    # closing G's gap only (1000) and lifting L1 and L2 (4000) gives (1 closure, 2 lifts),
    # better than lifting G itself (5000, one lift).
    h = frame([("G", "减收", 1000, 7000, 2, 1, 0), ("L1", "持平", 0, 4000, 1, 1, 0), ("L2", "增收", 0, 4000, 1, 1, 0)])
    a = allocate_budget(h, 5000, LINE)
    assert (a.closed, a.lifted, a.cost) == (1, 2, 5000.0)
    assert dict(zip(a.chosen["户编号"], a.chosen["安排金额"])) == {"G": 1000.0, "L1": 2000.0, "L2": 2000.0}
    assert a.chosen["户编号"].to_list()[0] == "G"  # closures listed first


# ---------------------------------------------------------------------------------------
# Brute force on small random cases
# ---------------------------------------------------------------------------------------

household = st.tuples(
    st.sampled_from(["减收", "减收", "减收", "持平", "增收", "未排查"]),
    st.integers(0, 16).map(lambda k: 500.0 * k),  # gap, multiples of 500 so ties happen
    st.integers(0, 30).map(lambda k: 1000.0 * k),  # net income this year
    st.integers(1, 3),  # members
    st.integers(0, 2),  # labour
    st.integers(0, 1),  # weak labour
)


def random_frame(rows) -> pl.DataFrame:
    return frame(
        [
            (f"H{i}", j, gap if j == "减收" else 0.0, None if j == "未排查" else net, m, lab, weak)
            for i, (j, gap, net, m, lab, weak) in enumerate(rows)
        ]
    )


def effect(gap, line, amount):
    return (0 < gap <= amount, 0 < line <= amount)


def brute_posts(h: pl.DataFrame, k: int, value: float) -> tuple[int, int]:
    rows = needs(h, LINE).filter(pl.col("可上岗")).to_dicts()
    best = (0, 0)
    for size in range(min(k, len(rows)) + 1):
        for subset in itertools.combinations(rows, size):
            score = [effect(r["收入缺口"], r["距监测线差额"], value) for r in subset]
            best = max(best, (sum(a for a, _ in score), sum(b for _, b in score)))
    return best


@settings(max_examples=60, deadline=None)
@given(st.lists(household, min_size=0, max_size=7), st.integers(0, 4), st.sampled_from([3000.0, 6000.0, 9000.0]))
def test_posts_optimal_equals_brute_force_and_beats_list_order(rows, k, value):
    h = random_frame(rows)
    best = allocate_posts(h, k, value, LINE, OPTIMAL)
    listed = allocate_posts(h, k, value, LINE, LIST_ORDER)
    assert (best.closed, best.lifted) == brute_posts(h, k, value)
    assert best.closed >= listed.closed
    assert best.placed <= k and listed.placed <= k
    assert best.cost == pytest.approx(best.placed * value)
    eligible = set(needs(h, LINE).filter(pl.col("可上岗"))["户编号"].to_list())
    assert set(best.chosen["户编号"].to_list()) <= eligible and best.chosen["户编号"].is_unique().all()
    # the flags are what the numbers say
    for r in best.chosen.to_dicts():
        assert r["补齐缺口"] == (0 < r["收入缺口"] <= value)


def brute_budget(h: pl.DataFrame, budget: float) -> tuple[int, int]:
    rows = needs(h, LINE).to_dicts()
    choices = [sorted({0.0, r["收入缺口"], r["距监测线差额"], max(r["收入缺口"], r["距监测线差额"])}) for r in rows]
    best = (0, 0)
    for amounts in itertools.product(*choices):
        if sum(amounts) > budget + 1e-6:
            continue
        score = [effect(r["收入缺口"], r["距监测线差额"], a) for r, a in zip(rows, amounts)]
        best = max(best, (sum(a for a, _ in score), sum(b for _, b in score)))
    return best


@settings(max_examples=60, deadline=None)
@given(st.lists(household, min_size=0, max_size=6), st.integers(0, 30).map(lambda k: 1000.0 * k))
def test_budget_dp_equals_brute_force(rows, budget):
    h = random_frame(rows)
    a = allocate_budget(h, budget, LINE)
    assert a.exact and a.cost <= budget + 1e-6
    assert (a.closed, a.lifted) == brute_budget(h, budget)


@settings(max_examples=30, deadline=None)
@given(st.lists(household, min_size=0, max_size=6), st.integers(0, 30).map(lambda k: 1000.0 * k))
def test_budget_greedy_fallback_is_exact_for_the_first_goal(rows, budget):
    h = random_frame(rows)
    saved = allocation.MAX_DP_CELLS
    allocation.MAX_DP_CELLS = -1  # force the fallback
    try:
        a = allocate_budget(h, budget, LINE)
    finally:
        allocation.MAX_DP_CELLS = saved
    assert not a.exact
    assert a.cost <= budget + 1e-6
    assert a.closed == brute_budget(h, budget)[0]
