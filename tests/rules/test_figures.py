"""lib.rules.figures: the catalogue, hand-computed figures, and one value per figure everywhere
the rules layer shows it (台账汇总, summary.json) on the demo and on random districts."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lib.catalogue import DISTRICT, RISK_POINTS, SOURCE_ROW
from lib.demo.district import generate_demo, generate_households
from lib.policy import default_policy
from lib.rules.analysis import analyze
from lib.rules.figures import (
    FIGURES,
    SHOWN,
    figures_of,
    label,
    risk_point_figures,
    village_figures,
    village_row,
)
from lib.rules.ledger import SUMMARY, SUMMARY_FIGURES
from tests.factories import household, income_row, input_data, measure_row


def test_catalogue_rows_are_complete_and_distinct():
    assert len({f.key for f in FIGURES}) == len(FIGURES)
    assert len({f.label for f in FIGURES}) == len(FIGURES)
    for f in SHOWN:
        assert f.label and f.unit and len(f.definition) >= 8, f.key
    # the three easily confused counts say how they differ from each other
    assert "风险未帮扶户数" in FIGURES[[f.key for f in FIGURES].index("decrease_unhelped")].definition
    assert "减收金额合计" in next(f for f in FIGURES if f.key == "shortfall").definition
    assert "计划和已落实" in next(f for f in FIGURES if f.key == "expected_gain").definition


def _hand_case():
    # A loses wage income (减收, 红) with a measure that closes the gap; B loses (减收) with no
    # measure; C gains but is 红 (under the line) with no measure; D gains with a measure; E
    # not surveyed.
    hh = [
        household("A", 家庭人口数=2, 劳动力人数=1, 弱劳动力或半劳动力人数=1),
        household("B", 家庭人口数=1),
        household("C", 家庭人口数=1),
        household("D", 家庭人口数=1, 村="北山村", 乡镇="兴业镇"),
        household("E", 家庭人口数=1, 村="北山村", 乡镇="兴业镇"),
    ]
    inc = [
        income_row("A", 2021, 务工收入=20000), income_row("A", 2022, 务工收入=10000),
        income_row("B", 2021, 务工收入=12000), income_row("B", 2022, 务工收入=9000),
        income_row("C", 2021, 务工收入=3000), income_row("C", 2022, 务工收入=4000),
        income_row("D", 2021, 务工收入=9000), income_row("D", 2022, 务工收入=10000),
        income_row("E", 2022, 务工收入=10000),
    ]
    ms = [
        measure_row("A", "M1", 预计增收=6000.0, 状态="已落实"),
        measure_row("A", "M5", 预计增收=5000.0, 状态="计划"),
        measure_row("D", "M4", 预计增收=700.0, 状态="计划"),
    ]
    return analyze(input_data(hh, inc, ms), default_policy())


def test_figures_by_hand():
    a = _hand_case()
    table = village_figures(a.households)
    assert table.get_column("村").to_list() == ["北山村", "南岗村", DISTRICT]  # 兴业镇 before 前进乡
    n = village_row(table, "南岗村")
    assert (n["户数"], n["减收"], n["红色预警"]) == (3, 2, 2)  # A 5,000/人 and C 4,000/人 under 6,600
    assert (n["有措施的减收户数"], n["尚无措施的减收户数"]) == (1, 1)
    assert (n["风险户数"], n["风险未帮扶户数"]) == (3, 2)  # B (减收) and C (红, not 减收)
    assert (n["可补足缺口的减收户数"], n["缺口未补足户数"]) == (1, 1)
    assert n["收入缺口合计"] == 10000.0 + 3000.0  # A (10,000−5,000)×2, B 3,000
    assert n["减收金额合计"] == 10000.0 + 3000.0
    assert (n["措施数"], n["已落实数"], n["计划数"], n["预计增收合计"]) == (2, 1, 1, 11000.0)
    assert n["覆盖率"] == pytest.approx(0.5)
    assert n["上年人均纯收入"] == pytest.approx((20000 + 12000 + 3000) / 4)
    d = village_row(table, DISTRICT)
    # 全区's 预计增收合计 counts D's measure too, though D is not 减收: every measure counts
    assert d["预计增收合计"] == 11700.0 and d["措施数"] == 3
    assert (d["户数"], d["已排查"], d["未排查"]) == (5, 4, 1)
    assert d["排查率"] == pytest.approx(4 / 5) and d["减收户占比"] == pytest.approx(2 / 4)
    assert figures_of(a.households.filter(pl.col("村") == "南岗村")) | {"乡镇": "前进乡", "村": "南岗村"} == n


def _check_one_value(a) -> None:
    """Every figure of a village has one value: the figures table, 台账汇总, summary.json."""
    table = village_figures(a.households)
    villages = table.filter(pl.col("村") != DISTRICT)
    district = village_row(table, DISTRICT)
    for f in SHOWN:
        if f.additive:  # 全区 is the sum of the villages, exactly for counts
            total = villages.get_column(f.label).sum()
            assert district[f.label] == pytest.approx(total, abs=1e-6), f.label
    # shares of 全区 are over all households, not an average of the villages'
    if district["已排查"]:
        assert district["减收户占比"] == pytest.approx(district["减收"] / district["已排查"])
    for row in table.iter_rows(named=True):
        assert row["减收"] == row["有措施的减收户数"] + row["尚无措施的减收户数"]
        assert row["缺口未补足户数"] == row["减收"] - row["可补足缺口的减收户数"]
        assert row["风险未帮扶户数"] >= row["尚无措施的减收户数"]
        assert row["措施数"] == row["已落实数"] + row["计划数"]
        assert row["户数"] == row["已排查"] + row["未排查"]
    # a village's own households give its row
    for village in villages.get_column("村").to_list():
        mine = figures_of(a.households.filter(pl.col("村") == village))
        theirs = village_row(table, village)
        for f in SHOWN:
            assert mine[f.label] == pytest.approx(theirs[f.label], nan_ok=True), (village, f.label)
    # 台账汇总 is the same rows
    ledger = a.ledger[SUMMARY]
    labels = [label(k) for k in SUMMARY_FIGURES]
    assert ledger.select("村", *labels).equals(table.select("村", *labels))
    # the ledger's 预计增收合计 is also the measures sheet's own total
    assert district["预计增收合计"] == pytest.approx(float(a.measures.get_column("预计增收").fill_null(0).sum()))
    assert district["措施数"] == a.measures.height
    # summary.json: 各村 and 全区 rows, its nested blocks
    s = a.summary
    by_village = {r["村"]: r for r in s["各村"]}
    for row in villages.iter_rows(named=True):
        for f in SHOWN:
            assert by_village[row["村"]][f.label] == pytest.approx(row[f.label], abs=0.01, nan_ok=True), f.label
    assert s["全区"]["预计增收合计"] == pytest.approx(district["预计增收合计"], abs=0.01)
    assert s["收入研判"]["减收"] == district["减收"] and s["预警等级"]["红"] == district["红色预警"]
    assert s["措施覆盖"]["有措施的减收户数"] == district["有措施的减收户数"]
    # the nine risk points add up to 减收金额合计
    risks = risk_point_figures(a.risks)
    assert risks.get_column("风险点代码").to_list() == [r.code for r in RISK_POINTS]
    assert float(risks.get_column("减收金额").sum()) == pytest.approx(district["减收金额合计"], abs=0.01)
    assert [r["减收金额"] for r in s["风险点"]] == pytest.approx(risks.get_column("减收金额").to_list(), abs=0.01)


def _analysed(frames: dict[str, pl.DataFrame]):
    """A generated district analysed as if read from its workbook (来源行号 as Excel numbers rows)."""
    numbered = {k: v.with_row_index(SOURCE_ROW, offset=2).with_columns(pl.col(SOURCE_ROW).cast(pl.Int64))
                for k, v in frames.items()}
    return analyze(input_data(numbered["households"], numbered["income"], numbered["measures"]), default_policy())


def test_hand_case_has_one_value_per_figure():
    _check_one_value(_hand_case())


@pytest.fixture(scope="module")
def demo():
    return _analysed(generate_demo())


def test_demo_has_one_value_per_figure(demo):
    _check_one_value(demo)
    # 预计增收合计 counts every measure of the village's households, 计划 and 已落实 alike:
    # recounted here from the input's own measures sheet
    frames = generate_demo()
    nangang_ids = frames["households"].filter(pl.col("村") == "南岗村").get_column("户编号").implode()
    expected = frames["measures"].filter(pl.col("户编号").is_in(nangang_ids)).get_column("预计增收").sum()
    nangang = village_row(village_figures(demo.households), "南岗村")
    assert nangang["预计增收合计"] == pytest.approx(expected) and expected > 0


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(40, 160), seed=st.integers(0, 10_000))
def test_random_districts_have_one_value_per_figure(n, seed):
    _check_one_value(_analysed(generate_households(n, seed)))
