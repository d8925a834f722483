"""The nine risk points R1–R9 (lib/rules/risk.py): one hand-computed case per rule and sub-cause."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lib.catalogue import ITEM_NAMES, RISK_BY_CODE, RISK_CODES
from lib.policy import default_policy
from lib.rules.risk import RISK_COLUMNS, RULE_BUILDERS, match_cause, rule_table, survey_findings
from factories import household, income_row, rules_stage

POLICY = default_policy()


def risks_of(last: dict, this: dict, policy=POLICY, **hh) -> dict[str, tuple]:
    """code → (减收金额, 细分原因, 原因来源) of one household 'A' (2021 → 2022)."""
    _, risks = rules_stage([household("A", **hh)], [income_row("A", 2021, **last), income_row("A", 2022, **this)], policy)
    return {r["风险点代码"]: (r["减收金额"], r["细分原因"], r["原因来源"]) for r in risks.iter_rows(named=True)}


def test_rule_table_covers_the_catalogue():
    assert set(RULE_BUILDERS) == set(RISK_CODES)
    table = rule_table(POLICY)
    assert list(table) == list(RISK_CODES)
    # every point but R8 (帮扶不到位, which only the survey can name) is read from the numbers
    assert [code for code, rule in table.items() if rule.fires is None] == ["R8"]
    assert all(isinstance(rule.lost, pl.Expr) and isinstance(rule.cause, pl.Expr) for rule in table.values())


# ---------------------------------------------------------------------------------------
# R1 / R7: operating net income
# ---------------------------------------------------------------------------------------


def test_r1_operating_net_fell_without_disaster():
    # (10000 + 4000 − 3000) = 11000 → (7000 + 4000 − 3500) = 7500: 3500 lost
    got = risks_of(dict(种植业收入=10000, 养殖业收入=4000, 生产经营性支出=3000),
                   dict(种植业收入=7000, 养殖业收入=4000, 生产经营性支出=3500))
    assert got == {"R1": (3500, "种植业收入减少、生产经营性支出增加", "数据")}


def test_r7_same_fall_in_a_disaster_hit_household():
    got = risks_of(dict(养殖业收入=8000), dict(养殖业收入=2000), 是否受灾=True)
    assert got == {"R7": (6000, "养殖业收入减少", "数据")}


def test_operating_items_are_netted_one_rising_against_another():
    # 种植 −1000, 养殖 +1000: operating net did not fall, so neither R1 nor anything else
    assert risks_of(dict(种植业收入=5000, 养殖业收入=1000), dict(种植业收入=4000, 养殖业收入=2000)) == {}


# ---------------------------------------------------------------------------------------
# R2–R6: one source each, item by item
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("last", "this", "code", "lost", "cause"),
    [
        (dict(产业收益分配=800), dict(产业收益分配=0), "R2", 800, "本年未分配"),
        (dict(产业收益分配=800), dict(产业收益分配=500), "R2", 300, "分配减少"),
        (dict(务工收入=20000), dict(务工收入=0), "R3", 20000, "未务工"),
        (dict(务工收入=20000, 务工月数=10), dict(务工收入=12000, 务工月数=6), "R3", 8000, "务工时间缩短"),
        (dict(务工收入=20000, 务工月数=10), dict(务工收入=15000, 务工月数=10), "R3", 5000, "工资降低"),
        (dict(务工收入=20000), dict(务工收入=15000), "R3", 5000, "工资降低"),  # months not given
        (dict(公益岗位收入=6000), dict(公益岗位收入=0), "R4", 6000, "未参加"),
        (dict(公益岗位收入=6000), dict(公益岗位收入=4800), "R4", 1200, "补贴降低"),
        (dict(低保金=3600), dict(低保金=0), "R5", 3600, "取消"),
        (dict(低保金=3600, 特困供养金=2000), dict(低保金=0, 特困供养金=0), "R5", 5600, "取消"),
        (dict(低保金=3600), dict(低保金=2400), "R5", 1200, "减少"),
        (dict(低保金=3600, 特困供养金=2000), dict(低保金=0, 特困供养金=1000), "R5", 4600, "减少"),
        (dict(政策性补贴=900, 生态补偿金=400), dict(政策性补贴=600, 生态补偿金=0), "R6", 700,
         "政策性补贴减少、生态补偿金减少"),
        (dict(计划生育金=1200), dict(计划生育金=0), "R6", 1200, "计划生育金减少"),
    ],
)
def test_item_points_and_sub_causes(last, this, code, lost, cause):
    # a big new 其他工资性收入 keeps the household gaining: the point is still found
    this = {**this, "其他工资性收入": 100000}
    assert risks_of(last, this) == {code: (lost, cause, "数据")}


def test_r5_a_move_from_dibao_to_tekun_is_read_item_by_item():
    # the plan: "低保金 or 特困供养金 fell" — 低保 stopped (取消) although 特困供养 began
    got = risks_of(dict(低保金=3000), dict(特困供养金=3000))
    assert got == {"R5": (3000, "取消", "数据")}


def test_months_falling_without_wage_falling_is_no_risk():
    assert risks_of(dict(务工收入=20000, 务工月数=10), dict(务工收入=20000, 务工月数=8)) == {}


# ---------------------------------------------------------------------------------------
# R8 / R9 and the survey
# ---------------------------------------------------------------------------------------


def test_r8_comes_only_from_the_survey():
    got = risks_of(dict(务工收入=10000), dict(务工收入=10000, 减收原因="R8 帮扶措施未落实"))
    assert got == {"R8": (None, "帮扶措施未落实", "调查")}


def test_r9_other_items_fell():
    got = risks_of(dict(土地流转收入=1500, 其他转移性收入=300), dict(土地流转收入=1000))
    assert got == {"R9": (800, "土地流转收入减少、其他转移性收入减少", "数据")}


def test_r9_per_capita_fell_with_no_item_falling_more_members():
    # 12000 for 2 → 12000 for 3: 6000 → 4000; restoring 6000 for 3 people needs 6000 yuan
    got = risks_of(dict(公益岗位收入=12000), dict(公益岗位收入=12000, 家庭人口数=3), 家庭人口数=2)
    assert got == {"R9": (6000, "家庭人口由2人增至3人", "数据")}


def test_r9_members_not_blamed_when_an_item_explains_the_fall():
    got = risks_of(dict(务工收入=12000), dict(务工收入=11000, 家庭人口数=3), 家庭人口数=2)
    assert got == {"R3": (1000, "工资降低", "数据")}


@pytest.mark.parametrize(
    ("cause", "expected"),
    [
        ("其他", {"R9": (None, "其他", "调查")}),
        ("R9", {"R9": (None, None, "调查")}),
        ("说不清楚", {"R9": (None, "说不清楚", "调查")}),  # unknown text kept as the sub-cause
    ],
)
def test_r9_from_the_survey(cause, expected):
    assert risks_of(dict(务工收入=100), dict(务工收入=100, 减收原因=cause)) == expected


def test_survey_r9_joins_the_data_r9_row():
    got = risks_of(dict(土地流转收入=1500), dict(土地流转收入=1000, 减收原因="其他：土地收回"))
    assert got == {"R9": (500, "土地流转收入减少；其他：土地收回", "数据")}


def test_survey_naming_a_point_the_numbers_show_confirms_it():
    got = risks_of(dict(务工收入=20000), dict(务工收入=15000, 减收原因="务工减收"))
    assert got == {"R3": (5000, "工资降低", "数据")}


def test_survey_naming_a_point_the_numbers_do_not_show_is_a_finding_not_a_risk():
    households, risks = rules_stage(
        [household("A")], [income_row("A", 2021, 务工收入=20000), income_row("A", 2022, 务工收入=20000, 减收原因="冰雹；R8")]
    )
    assert risks["风险点代码"].to_list() == ["R8"]
    found = survey_findings(households, risks)
    assert found.select("工作表", "行号", "列", "值", "代码").rows() == [("收入", 3, "减收原因", "冰雹", "W401")]
    assert "R7" in found["原因"].item()


def test_pension_fall_is_a_risk_only_when_pension_is_counted():
    last, this = dict(务工收入=10000, 养老金=3000), dict(务工收入=10000)
    assert risks_of(last, this, POLICY.with_rules(pension_in_net_income=False)) == {}
    assert risks_of(last, this) == {"R9": (3000, "养老金减少", "数据")}  # the default counts it


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("R3", "R3"),
        ("r5", "R5"),
        ("R1 经营减收", "R1"),
        ("R10", "R9"),  # not a code: unknown → R9
        ("务工减收", "R3"),
        ("公益岗减收", "R4"),
        ("低保取消", "R5"),
        ("自然灾害减收", "R7"),
        ("帮扶不到位减收", "R8"),
        ("外出打工返乡", "R3"),
        ("玉米价格下跌", "R1"),
        ("因灾减产", "R7"),  # 灾 before 减产
        ("公益岗工资降低", "R4"),  # 公益岗 before 工资降低
        ("产业项目经营失败", "R2"),  # 产业项目 before 经营
        ("分红减少", "R2"),
        ("护林员岗位取消", "R4"),
        ("特困供养停发", "R5"),
        ("生态补偿到期", "R6"),
        ("帮扶措施未落实", "R8"),
        ("新生儿", "R9"),
        ("其他", "R9"),
        ("家里有人生病住院", "R9"),
    ],
)
def test_survey_cause_matcher(text, code):
    assert pl.select(match_cause(pl.lit(text))).item() == code


def test_risks_of_a_gaining_household_are_kept_with_its_judgement():
    households, risks = rules_stage(
        [household("A")], [income_row("A", 2021, 务工收入=20000), income_row("A", 2022, 务工收入=15000, 种植业收入=9000)]
    )
    assert risks.columns == list(RISK_COLUMNS)
    assert risks.select("风险点代码", "收入研判").rows() == [("R3", "增收")]
    hh = households.row(0, named=True)
    assert (hh["风险点代码"], hh["减收风险点"], hh["减收金额"]) == (["R3"], ["务工减收"], 5000)


def test_household_lists_are_sorted_and_sum_the_yuan():
    households, risks = rules_stage(
        [household("A"), household("B")],
        [
            income_row("A", 2021, 土地流转收入=700, 务工收入=9000, 低保金=1000),
            income_row("A", 2022, 减收原因="R8"),
            income_row("B", 2021),
            income_row("B", 2022),
        ],
    )
    a, b = households.row(0, named=True), households.row(1, named=True)
    assert a["风险点代码"] == ["R3", "R5", "R8", "R9"]
    assert a["减收风险点"] == [RISK_BY_CODE[c].label for c in ["R3", "R5", "R8", "R9"]]
    assert a["减收金额"] == 9000 + 1000 + 700  # R8 has no yuan from the numbers
    assert (b["风险点代码"], b["减收金额"]) == ([], 0.0)


def test_households_not_surveyed_both_years_have_no_risks():
    households, risks = rules_stage(
        [household("A"), household("B")],
        [income_row("A", 2021, 务工收入=9000), income_row("B", 2022, 减收原因="R8")],
    )
    assert risks.is_empty()
    assert households["风险点代码"].to_list() == [[], []]


# ---------------------------------------------------------------------------------------
# Property: a point fires only when one of its items fell (or per-capita for R9, or the survey)
# ---------------------------------------------------------------------------------------

_AMOUNT = st.sampled_from([0.0, 0.0, 500.0, 3000.0, 12000.0])
_CAUSE = st.sampled_from([None, None, "R8", "其他", "务工", "冰雹", "说不清"])


@st.composite
def two_years(draw):
    last = {n: draw(_AMOUNT) for n in ITEM_NAMES}
    this = {n: draw(st.sampled_from([last[n], 0.0, last[n] / 2, last[n] + 700.0])) for n in ITEM_NAMES}
    return (
        draw(st.booleans()),  # 受灾
        draw(st.integers(1, 4)),
        draw(st.sampled_from([None, 1, 2, 5])),
        last,
        this,
        draw(_CAUSE),
        draw(st.booleans()),  # pension rule
    )


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(two_years())
def test_a_point_fires_only_when_its_items_fell(case):
    disaster, members, members_this, last, this, cause, pension_counted = case
    policy = POLICY.with_rules(pension_in_net_income=pension_counted)
    households, risks = rules_stage(
        [household("A", 家庭人口数=members, 是否受灾=disaster)],
        [income_row("A", 2021, **last), income_row("A", 2022, **this, 家庭人口数=members_this, 减收原因=cause)],
        policy,
    )
    fell = {n for n in ITEM_NAMES if (this[n] > last[n] if n == "生产经营性支出" else this[n] < last[n])}
    hh = households.row(0, named=True)
    for row in risks.iter_rows(named=True):
        code = row["风险点代码"]
        if row["原因来源"] == "调查":
            assert code in ("R8", "R9") and cause is not None
            continue
        assert row["减收金额"] > 0
        if code == "R9" and not fell & set(RISK_BY_CODE["R9"].items):
            assert hh["本年人均纯收入"] < hh["上年人均纯收入"]
        else:
            assert fell & set(RISK_BY_CODE[code].items), (code, fell)
        if code in ("R1", "R7"):
            assert disaster is (code == "R7")


def test_risks_attach_the_same_by_roster_row_and_by_household_id():
    from lib.rules.classify import classify
    from lib.rules.income import compare_income
    from lib.rules.risk import ROW, attach_risks, evaluate_risks
    from lib.rules.warning import add_warnings
    from factories import households_frame, income_frame

    hh = households_frame([household(h) for h in "ABCD"])
    inc = income_frame(
        [
            income_row("A", 2021, 务工收入=9000, 低保金=300), income_row("A", 2022, 务工收入=1000),
            income_row("B", 2021, 务工收入=5000), income_row("B", 2022, 务工收入=6000, 减收原因="帮扶不到位"),
            income_row("C", 2021, 养殖业收入=800),  # not surveyed in 2022: no risks
            income_row("D", 2021, 务工收入=5000), income_row("D", 2022, 务工收入=5000),
        ]
    )
    wide = add_warnings(classify(compare_income(hh, inc, POLICY, 2021, 2022).households, POLICY), POLICY, 2022)
    risks = evaluate_risks(wide, POLICY, keep_row=True)
    assert risks.drop(ROW).equals(evaluate_risks(wide, POLICY))
    by_row, by_id = attach_risks(wide, risks), attach_risks(wide, risks.drop(ROW))
    assert by_row.equals(by_id)
    assert by_row.select("户编号", "风险点代码", "减收金额").rows() == [
        ("A", ["R3", "R5"], 8300.0), ("B", ["R8"], 0.0), ("C", [], 0.0), ("D", [], 0.0)
    ]
