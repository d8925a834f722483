"""牵头单位任务清单 (lib/rules/tasks.py), counted by hand on a small district."""

from __future__ import annotations

import polars as pl

from factories import household, income_row, input_data, measure_row
from lib.policy import default_policy
from lib.rules.analysis import analyze
from lib.rules.tasks import STATUS, lead_unit_summary, lead_unit_tasks


def district():
    # A: migrant wage lost, weak labour → M1 recommended; has an M1 已落实 and an M5 计划.
    # B: 低保 cancelled, no labour → M2 and M3 recommended, nothing arranged.
    # C: 增收, no risk, but an M4 planned anyway (a unit's list holds it too).
    hh = [household("A", 家庭人口数=2, 劳动力人数=1, 弱劳动力或半劳动力人数=1),
          household("B", 村="北山村", 家庭人口数=1, 劳动力人数=0, 弱劳动力或半劳动力人数=0),
          household("C", 家庭人口数=1)]
    inc = [income_row("A", 2021, 务工收入=20000), income_row("A", 2022, 务工收入=6000),
           income_row("B", 2021, 低保金=6000), income_row("B", 2022),
           income_row("C", 2021, 务工收入=9000), income_row("C", 2022, 务工收入=12000)]
    measures = [measure_row("A", "M1", 预计增收=6000, 状态="已落实"), measure_row("A", "M5", 预计增收=500),
                measure_row("C", "M4", 预计增收=1000)]
    return analyze(input_data(hh, inc, measures), default_policy())


def test_every_needed_measure_is_a_task_with_its_status():
    a = district()
    tasks = lead_unit_tasks(a.households, a.recommendations, a.measures)
    got = {(r["户编号"], r["措施代码"]): r[STATUS] for r in tasks.iter_rows(named=True)}
    recommended = {(r["户编号"], r["措施代码"]) for r in a.recommendations.iter_rows(named=True)}
    assert {("A", "M1"), ("A", "M5"), ("C", "M4")} <= set(got)
    assert recommended <= set(got)  # nothing recommended is missing from a unit's list
    assert got[("A", "M1")] == "已落实" and got[("A", "M5")] == "计划" and got[("C", "M4")] == "计划"
    assert all(got[k] == "未安排" for k in recommended if k[0] == "B")
    assert tasks.filter(pl.col("措施代码") == "M1")["牵头单位"].unique().to_list() == ["区人社局"]
    # units in catalogue order, what is missing first within a unit and village
    order = tasks["措施代码"].to_list()
    assert order == sorted(order, key=lambda c: int(c[1:]))


def test_summary_counts_each_unit_per_village_and_district():
    a = district()
    tasks = lead_unit_tasks(a.households, a.recommendations, a.measures)
    summary = lead_unit_summary(tasks)
    assert summary.height == 5 * 3  # 南岗村, 北山村, 全区 × five units, zeros kept
    row = summary.filter((pl.col("村") == "南岗村") & (pl.col("牵头单位") == "区人社局")).row(0, named=True)
    a_gap = a.households.filter(pl.col("户编号") == "A")["收入缺口"].item()
    assert (row["需帮扶户数"], row["已落实户数"], row["未安排户数"]) == (1, 1, 0)
    assert row["涉及收入缺口"] == round(a_gap, 2) and row["预计增收合计"] == 6000
    district_rows = summary.filter(pl.col("村") == "全区")
    villages = summary.filter(pl.col("村") != "全区").group_by("牵头单位").agg(pl.col("需帮扶户数").sum())
    assert dict(district_rows.select("牵头单位", "需帮扶户数").iter_rows()) == dict(villages.iter_rows())
