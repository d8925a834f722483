"""A tenth risk point and a sixth measure added through the catalogue alone.

`extended_catalogue` swaps in new catalogue rows for the duration of a test: R10 土地流转减收
(its item 土地流转收入 moved out of R9), M6 土地流转帮扶 and the row recommending M6 for R10.
The rule modules derive their tables (rule kinds, phrases, keyword order, recommendations,
measure masks) from the catalogue when called, so nothing else is patched for them; modules
that only import the catalogue's lookups by name (the ledger, the charts) get the new lookups
rebound, as a restart after editing lib/catalogue.py would give them.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import polars as pl
import pytest

from lib import catalogue
from lib.catalogue import Measure, Recommendation, RiskPoint
from lib.policy import default_policy
from lib.present import charts
from lib.rules import explain, ledger, measures, risk
from lib.rules.analysis import analyze
from lib.rules.registry import Registry, UnknownRuleError
from lib.io.writer import write_analysis
from factories import household, income_row, input_data, rules_stage

POLICY = default_policy()

R10 = RiskPoint(
    "R10", "土地流转减收", "土地流转合同到期、租金下降或转出土地被收回",
    ("土地流转收入",),
    ("土地流转", "流转费", "租金"),
    rule="per_item", sub_cause="gone:本年未流转/租金降低", phrase="土地流转收入减少", keyword_priority=0,
)
M6 = Measure("M6", "土地流转帮扶", "区农业农村局", "协调续签流转合同、对接新的流转主体")
M6_FOR_R10 = Recommendation("M6", "土地流转收入减少：协调续签流转合同、对接新的流转主体", ("R10",))


def _without_land_transfer(point: RiskPoint) -> RiskPoint:
    if point.code != catalogue.OTHER_RISK:
        return point
    return dataclasses.replace(point, items=tuple(i for i in point.items if i != "土地流转收入"))


# The lookups the catalogue derives from its rows, by the name other modules import them under.
def _lookups(points, measures_) -> dict[str, object]:
    by_code, codes = catalogue.risk_lookups(points)
    measure_by_code, names, units, measure_codes = catalogue.measure_lookups(measures_)
    return {
        "RISK_POINTS": points, "RISK_BY_CODE": by_code, "RISK_CODES": codes,
        "MEASURES": measures_, "MEASURE_BY_CODE": measure_by_code, "MEASURE_NAMES": names,
        "LEAD_UNITS": units, "MEASURE_CODES": measure_codes,
    }


@contextmanager
def extended_catalogue(points, measures_, recommendations):
    """The catalogue with these rows (checked as at import) for the duration of the block."""
    catalogue.check_catalogue(points, measures_, recommendations, catalogue.FALLBACK_RECOMMENDATION, catalogue.OTHER_RISK)
    risk.check_rule_names(points)
    measures.check_condition_names(recommendations)
    new = _lookups(points, measures_) | {"RECOMMENDATIONS": recommendations}
    loaded = [m for name, m in list(sys.modules.items()) if name == "lib" or name.startswith("lib.")]
    with pytest.MonkeyPatch.context() as patch:
        for name, value in new.items():
            old = getattr(catalogue, name)
            for module in loaded:
                if getattr(module, name, None) is old:
                    patch.setattr(module, name, value)
        yield


@pytest.fixture
def extended():
    with extended_catalogue(
        tuple(_without_land_transfer(p) for p in catalogue.RISK_POINTS) + (R10,),
        catalogue.MEASURES + (M6,),
        catalogue.RECOMMENDATIONS + (M6_FOR_R10,),
    ):
        yield


def test_the_rules_that_derive_tables_hold_no_catalogue_data_of_their_own():
    # what makes the extension work without patching them: they read the catalogue when called
    for module in (risk, explain, measures):
        for name, value in _lookups(catalogue.RISK_POINTS, catalogue.MEASURES).items():
            assert getattr(module, name, None) is not value, (module.__name__, name)


# ---------------------------------------------------------------------------------------
# R10 through the whole engine
# ---------------------------------------------------------------------------------------

HOUSEHOLDS = [household("A", 家庭人口数=1), household("B", 家庭人口数=1)]
INCOME = [
    # A: 土地流转 5000 → 2000 (R10, 3000 yuan), the survey adds 其他 (R9, survey only): 减收
    income_row("A", 2021, 务工收入=10000, 土地流转收入=5000),
    income_row("A", 2022, 务工收入=10000, 土地流转收入=2000, 减收原因="其他"),
    # B: the survey names R10, the numbers do not show it: a finding
    income_row("B", 2021, 务工收入=10000),
    income_row("B", 2022, 务工收入=10000, 减收原因="R10 新风险"),
]


@pytest.fixture
def result(extended):
    return analyze(input_data(HOUSEHOLDS, INCOME), POLICY)


def _row(frame: pl.DataFrame, hid: str) -> dict:
    return frame.filter(pl.col("户编号") == hid).row(0, named=True)


def test_r10_fires_from_the_numbers_and_sorts_after_r9(result):
    a = _row(result.households, "A")
    assert a["风险点代码"] == ["R9", "R10"]  # by number (as text R10 would come first)
    assert a["减收风险点"] == ["其他原因减收", "土地流转减收"]
    assert a["减收金额"] == 3000
    r10 = result.risks.filter(pl.col("风险点代码") == "R10").row(0, named=True)
    assert (r10["户编号"], r10["减收金额"], r10["细分原因"], r10["原因来源"]) == ("A", 3000, "租金降低", "数据")


def test_r10_in_the_explanation(result):
    assert _row(result.households, "A")["说明"] == (
        "土地流转收入减少3,000元（租金降低）；其他原因减收（调查：其他）；人均纯收入由15,000元降至12,000元"
    )


def test_m6_recommended_for_r10(result):
    recs = result.recommendations.filter(pl.col("户编号") == "A")
    m6 = recs.filter(pl.col("措施代码") == "M6").row(0, named=True)
    assert (m6["措施类型"], m6["牵头单位"], m6["推荐理由"]) == ("土地流转帮扶", "区农业农村局", M6_FOR_R10.reason)
    assert _row(result.households, "A")["推荐措施"] == ["M5", "M6"]  # R9 → M5, R10 → M6


def test_r10_and_m6_in_households_csv(result, tmp_path):
    write_analysis(result, tmp_path)
    csv = pl.read_csv(tmp_path / "households.csv")
    a = _row(csv, "A")
    assert a["减收风险点"] == "其他原因减收;土地流转减收"
    assert a["推荐措施"] == "驻村帮扶、结对帮扶;土地流转帮扶"


def test_r10_and_m6_in_the_ledger_views(result):
    unhelped = result.ledger[ledger.AT_RISK_UNHELPED]
    a = _row(unhelped, "A")
    assert a["减收风险点"] == "其他原因减收；土地流转减收"
    assert "土地流转帮扶" in a["推荐措施"]
    stats = result.ledger[ledger.MEASURE_STATS].filter(pl.col("村") == "全区")
    assert stats["措施代码"].to_list() == ["M1", "M2", "M3", "M4", "M5", "M6"]
    m6 = stats.filter(pl.col("措施代码") == "M6").row(0, named=True)
    assert (m6["措施类型"], m6["牵头单位"], m6["推荐户数"]) == ("土地流转帮扶", "区农业农村局", 1)


def test_r10_in_the_summary_and_the_risk_chart(result):
    assert [row["代码"] for row in result.summary["风险点"]][-2:] == ["R9", "R10"]
    figure = charts.risk_points(result.risks)
    labels = list(figure.data[0].y)
    assert labels[-1] == "土地流转减收" and labels[-2] == "其他原因减收"
    assert list(figure.data[0].x)[-1] == 1  # one household


def test_a_survey_naming_r10_the_numbers_do_not_show_is_a_finding(result):
    found = result.findings.filter(pl.col("代码") == risk.SURVEY_MISMATCH)
    assert found["值"].to_list() == ["R10 新风险"]
    assert "R10（土地流转减收）" in found["原因"].item()
    assert _row(result.households, "B")["风险点代码"] == []


@pytest.mark.parametrize("wording", ["R10 新风险", "r10", "Ｒ１０：新风险", "租金下降", "R010"])
def test_survey_wordings_of_r10(extended, wording):
    got = pl.select(risk.match_cause(pl.lit(wording))).item()
    assert got == "R10"


def test_without_r10_a_survey_r10_is_not_r1_and_keeps_its_words():
    # formerly one digit was read: "R10 新风险" became R1's code digit and "0 新风险"
    assert pl.select(risk.match_cause(pl.lit("R10 新风险"))).item() == catalogue.OTHER_RISK
    _, risks = rules_stage(
        [household("A")], [income_row("A", 2021, 务工收入=1000), income_row("A", 2022, 务工收入=1000, 减收原因="R10 新风险")]
    )
    assert risks.select("风险点代码", "细分原因", "原因来源").rows() == [("R9", "新风险", "调查")]


# ---------------------------------------------------------------------------------------
# Codes, checks and registries
# ---------------------------------------------------------------------------------------


def test_codes_parse_and_sort_by_number():
    assert [catalogue.parse_code(t) for t in ("r10", "Ｒ１０", " M06 ", "R", "X1", "R1a")] == ["R10", "R10", "M6", None, None, None]
    assert sorted(["R10", "R2", "R1", "R9"], key=catalogue.code_number) == ["R1", "R2", "R9", "R10"]
    assert sorted(["M10", None, "其他", "M2"], key=catalogue.code_key) == ["M2", "M10", None, "其他"]
    codes = pl.DataFrame({"c": ["R10", "R9", "R1"]}).sort(catalogue.code_order("c"))
    assert codes["c"].to_list() == ["R1", "R9", "R10"]
    with pytest.raises(ValueError, match="not a risk-point or measure code"):
        catalogue.code_number("其他")


def _check(points=None, measures_=None, recommendations=None):
    catalogue.check_catalogue(
        catalogue.RISK_POINTS if points is None else points,
        catalogue.MEASURES if measures_ is None else measures_,
        catalogue.RECOMMENDATIONS if recommendations is None else recommendations,
        catalogue.FALLBACK_RECOMMENDATION,
        catalogue.OTHER_RISK,
    )


@pytest.mark.parametrize(
    "points, message",
    [
        ((R10, *catalogue.RISK_POINTS), "number order"),
        ((*catalogue.RISK_POINTS, dataclasses.replace(R10, code="R 10")), "not of the form"),
        ((*catalogue.RISK_POINTS, dataclasses.replace(R10, code="r10")), "not of the form"),
        ((*catalogue.RISK_POINTS, dataclasses.replace(R10, keyword_priority=1)), "keyword priorities"),
        ((*catalogue.RISK_POINTS, dataclasses.replace(R10, items=("流转收入",))), "unknown income items"),
    ],
)
def test_the_catalogue_rejects_inconsistent_risk_rows(points, message):
    with pytest.raises(catalogue.CatalogueError, match=message):
        _check(points=points)


def test_the_catalogue_rejects_recommendations_of_unknown_codes():
    with pytest.raises(catalogue.CatalogueError, match="unknown measure M6"):
        _check(recommendations=(*catalogue.RECOMMENDATIONS, M6_FOR_R10))
    with pytest.raises(catalogue.CatalogueError, match="unknown risk points"):
        _check(measures_=(*catalogue.MEASURES, M6), recommendations=(*catalogue.RECOMMENDATIONS, M6_FOR_R10))


def test_unknown_rule_names_fail_with_the_registered_names():
    with pytest.raises(UnknownRuleError, match="R10: unknown risk rule kind 'per_itm'.*per_item"):
        risk.check_rule_names((dataclasses.replace(R10, rule="per_itm"),))
    with pytest.raises(UnknownRuleError, match="unknown sub-cause function 'gonee'"):
        risk.check_rule_names((dataclasses.replace(R10, sub_cause="gonee:a/b"),))
    with pytest.raises(UnknownRuleError, match="unknown household condition 'weak_labor'"):
        measures.check_condition_names((dataclasses.replace(M6_FOR_R10, condition="weak_labor"),))
    registry: Registry[int] = Registry("thing")
    registry.register("one", 1)
    assert registry.get("one") == 1 and "one" in registry
    with pytest.raises(UnknownRuleError, match=r"unknown thing 'two' \(registered: one\)"):
        registry.get("two")


def test_an_unknown_rule_name_in_the_catalogue_fails_at_import():
    # A fresh interpreter whose catalogue names a rule kind nobody registered.
    program = (
        "import dataclasses, lib.catalogue as c\n"
        "c.RISK_POINTS = (*c.RISK_POINTS, dataclasses.replace(c.RISK_POINTS[0], code='R10', rule='no_such_kind'))\n"
        "import lib.rules.risk\n"
    )
    root = Path(__file__).resolve().parents[2]
    run = subprocess.run([sys.executable, "-c", program], cwd=root, capture_output=True, text=True,
                         env={"PYTHONPATH": str(root), "PATH": ""})
    assert run.returncode != 0
    assert "UnknownRuleError: R10: unknown risk rule kind 'no_such_kind'" in run.stderr
