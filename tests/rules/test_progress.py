"""Progress across runs (lib.rules.progress): every count of 与上次相比 against a hand count."""

from __future__ import annotations

import datetime as dt

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lib.policy import default_policy
from lib.rules import progress as rp
from lib.rules.analysis import analyze
from tests.factories import household, income_row, input_data, measure_row

N, B = "南岗村", "北山村"


def _snapshot(households, income, measures, new_entries=()):
    a = analyze(input_data(households, income, measures), default_policy(), years=(2021, 2022))
    snap = rp.snapshot_households(a.households, a.measures)
    return snap.with_columns(pl.col("户编号").is_in(list(new_entries)).alias("新识别")), a


def _week(before: bool):
    """Seven households in two villages, a week apart (the hand count is in the test)."""
    hh = [household("A", 村=N), household("B", 村=N), household("C", 村=N),
          household("D", 村=B), household("G", 村=B)]
    hh += [household("E", 村=B)] if before else [household("F", 村=B, 监测对象类别="边缘易致贫户")]
    inc = [income_row(h, 2021, 务工收入=20000) for h in "ABCDG"]
    inc += [income_row("B", 2022, 务工收入=10000), income_row("C", 2022, 务工收入=15000),
            income_row("G", 2022, 务工收入=12000)]
    if before:
        inc += [income_row("D", 2022, 务工收入=25000),  # 增收 (a figure corrected later)
                income_row("E", 2021, 务工收入=20000), income_row("E", 2022, 务工收入=20100)]
        mea = [measure_row("B", "M1", 预计增收=5000.0), measure_row("C", "M2", 预计增收=8000.0)]
    else:
        inc += [income_row("A", 2022, 务工收入=9000),  # A surveyed late: 减收, no measure
                income_row("D", 2022, 务工收入=14000),  # D: 增收 → 减收
                income_row("F", 2021, 务工收入=20000), income_row("F", 2022, 务工收入=26000)]
        mea = [measure_row("B", "M1", 预计增收=5000.0, 状态="已落实"), measure_row("B", "M3", 预计增收=1000.0),
               measure_row("C", "M2", 预计增收=8000.0, 状态="已落实")]
    return _snapshot(hh, inc, mea, new_entries=() if before else ("F",))


def test_every_count_of_the_section_matches_a_hand_count():
    before, _ = _week(True)
    after, _ = _week(False)
    c = rp.compare(before, after)
    assert c.counts() == {
        "新排查": 2,  # A (未排查 before), F (not on the roster before)
        "新计划措施": 1,  # B's M3
        "新落实措施": 2,  # B's M1, C's M2 (计划 → 已落实)
        "研判或预警变化": 1,  # D 增收 → 减收 (A is listed as newly surveyed only)
        "缺口新补足": 1,  # C: gap 5,000, M2's 8,000 now 已落实
        "新增风险未帮扶": 2,  # A, D: 减收 and no measure; G was so before already
        "已退出": 1,  # E, gone from the roster
        "新识别": 1,  # F
    }
    assert c.newly_surveyed["户编号"].to_list() == ["F", "A"]  # by village (北山村 < 南岗村), then 户编号
    assert sorted(c.new_unhelped["户编号"]) == ["A", "D"]
    assert c.changed.row(0, named=True) | {"原因": None} == {
        "户编号": "D", "村": B, "上次研判": "增收", "本次研判": "减收", "上次预警": "绿", "本次预警": "橙", "原因": None}  # a 30 % drop
    assert "收入研判由增收变为减收" in c.changed["原因"][0] and "25,000 元 变为 14,000 元" in c.changed["原因"][0]
    assert "务工减收" in c.changed["原因"][0]  # the risk point that appeared
    assert c.gaps_closed.select("户编号", "收入缺口", "已落实预计增收").rows() == [("C", 5000.0, 8000.0)]
    assert c.exited.select("户编号", "原因").rows() == [("E", "本次户信息中已无此户")]
    by_kind = {(r["措施代码"], r["牵头单位"]): (r["新计划"], r["新落实"]) for r in c.measures.to_dicts()}
    assert by_kind == {("M1", "区人社局"): (0, 1), ("M2", "区乡村振兴局"): (0, 1), ("M3", "区民政局"): (1, 0)}
    village = c.of_village(N).counts()
    assert village == {"新排查": 1, "新计划措施": 1, "新落实措施": 2, "研判或预警变化": 0, "缺口新补足": 1,
                       "新增风险未帮扶": 1, "已退出": 0, "新识别": 0}


def test_gap_state_counts_only_implemented_measures():
    after, a = _week(False)
    state = dict(after.select("户编号", "缺口状态").rows())
    assert state == {"A": "未补足", "B": "未补足", "C": "已补足", "D": "未补足", "G": "未补足", "F": "无缺口"}
    figures = rp.progress_figures(after)
    district = figures.filter(pl.col("村") == "全区").row(0, named=True)
    assert district["应排查户数"] == 6 and district["已排查户数"] == 6 and district["排查率"] == 1.0
    assert district["风险户"] == 5 and district["有措施的风险户"] == 2 and district["风险户措施覆盖率"] == 2 / 5
    assert district["有收入缺口户数"] == 5 and district["缺口已补足户数"] == 1
    # beside the figures module's own figures, same rows
    table = rp.snapshot_figures(a.households, after)
    assert table["村"].to_list() == [B, N, "全区"] and "减收" in table.columns and "缺口补足率" in table.columns


def test_measures_newly_planned_and_done_per_household_and_kind():
    def snap(statuses):
        s = pl.DataFrame({"户编号": ["X"], "村": [N], "措施": [[{"措施代码": "M1", "牵头单位": "区人社局", "状态": st_,
                                                           "预计增收": 0.0} for st_ in statuses]]},
                         schema={"户编号": pl.String, "村": pl.String, "措施": rp.SNAPSHOT_SCHEMA["措施"]})
        return s
    cases = [((), ("计划",), (1, 0)), ((), ("已落实",), (0, 1)), (("计划",), ("已落实",), (0, 1)),
             (("计划",), ("计划", "已落实"), (1, 1)), (("计划", "计划"), ("计划",), (0, 0)),
             (("已落实",), ("已落实",), (0, 0))]
    for before, after, expected in cases:
        m = rp._measure_changes(snap(before), snap(after))
        got = (int(m["新计划"].sum() or 0), int(m["新落实"].sum() or 0))
        assert got == expected, (before, after)


def test_pace_projects_the_date_from_the_trend_and_names_the_misses():
    days = [dt.date(2022, 8, 1), dt.date(2022, 8, 8), dt.date(2022, 8, 15)]
    series = pl.DataFrame({
        "截至": days * 2, "村": ["甲村"] * 3 + ["乙村"] * 3,
        "排查率": [0.7, 0.8, 0.9, 0.9, 0.9, 0.9],
        "风险户措施覆盖率": [0.5, 0.6, 0.7, 1.0, 1.0, 1.0],
        "缺口补足率": [None, None, None, 0.2, 0.3, 0.4],
    })
    p = rp.pace(series, 2022)
    row = lambda v, t: p.filter((pl.col("村") == v) & (pl.col("指标") == t)).row(0, named=True)  # noqa: E731
    assert row("甲村", "排查率")["预计达到"] == dt.date(2022, 8, 22)  # 0.1 a week, 0.1 to go
    assert row("甲村", "排查率")["能否按期"]
    assert row("甲村", "风险户措施覆盖率")["预计达到"] == dt.date(2022, 9, 5) and not row("甲村", "风险户措施覆盖率")["能否按期"]
    assert row("甲村", "缺口补足率")["当前"] is None and row("甲村", "缺口补足率")["能否按期"]  # no gap at all
    assert row("乙村", "排查率")["预计达到"] is None and not row("乙村", "排查率")["能否按期"]  # no pace
    assert row("乙村", "风险户措施覆盖率")["预计达到"] == dt.date(2022, 8, 15)  # reached
    assert row("乙村", "缺口补足率")["预计达到"] == dt.date(2022, 9, 26)  # 6 weeks at 0.1 a week
    now = series.filter(pl.col("截至") == days[-1])
    before = series.filter(pl.col("截至") == days[-2])
    ranking = rp.village_ranking(now, before, p)
    assert ranking["村"].to_list() == ["甲村", "乙村"]  # 甲村 moved 0.2, 乙村 0.1
    assert ranking.filter(pl.col("落后"))["村"].to_list() == ["甲村", "乙村"]
    assert ranking["未按期指标"].to_list() == ["风险户措施覆盖率", "排查率"]


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n=st.integers(5, 60))
def test_a_snapshot_compared_with_itself_has_no_change(seed, n):
    from lib.demo.district import village_table
    from tests.factories import generated_input

    a = analyze(generated_input(n, seed, village_table(n, seed)), default_policy())
    snap = rp.snapshot_households(a.households, a.measures)
    c = rp.compare(snap, snap)
    assert c.is_empty() and c.measures.height == 0
    # and against an empty past every surveyed household is new, every measure too
    empty = snap.clear()
    fresh = rp.compare(empty, snap)
    surveyed = snap.filter(~pl.col("收入研判").is_in(["未排查", "已退出"])).height
    assert fresh.counts()["新排查"] == surveyed and fresh.counts()["研判或预警变化"] == 0
    assert fresh.counts()["新计划措施"] + fresh.counts()["新落实措施"] == a.measures.height
