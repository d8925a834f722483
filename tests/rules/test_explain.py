"""The one-sentence 说明 of every household (lib/rules/explain.py)."""

from __future__ import annotations

import polars as pl
import pytest

from lib.rules.explain import explain, yuan_text
from lib.policy import default_policy
from factories import household, income_row, rules_stage

POLICY = default_policy()  # 2022 line 6,600


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (0.0, "0"),
        (0.4, "0"),
        (999.5, "1,000"),  # 四舍五入, not banker's rounding
        (2.5, "3"),
        (12000.0, "12,000"),
        (123456.0, "123,456"),
        (1234567.49, "1,234,567"),
        (-1234.5, "-1,235"),
        (-999.0, "-999"),
        (999_999_999_999.0, "999,999,999,999"),
        (None, None),
    ],
)
def test_yuan_text(amount, text):
    assert pl.select(yuan_text(pl.lit(amount, pl.Float64))).item() == text


def sentences(hh_rows, inc_rows, policy=POLICY) -> dict[str, str]:
    households, risks = rules_stage(hh_rows, inc_rows, policy)
    out = explain(households, risks, policy, 2021, 2022)
    assert out["户编号"].to_list() == households["户编号"].to_list()
    return dict(out.iter_rows())


def test_the_example_sentence():
    got = sentences(
        [household("A")],
        [income_row("A", 2021, 务工收入=12000, 务工月数=10), income_row("A", 2022, 务工收入=3000, 种植业收入=5000, 务工月数=3)],
    )
    assert got["A"] == "务工收入减少9,000元（务工时间缩短）；人均纯收入由12,000元降至8,000元"


def test_every_judgement_has_its_sentence():
    got = sentences(
        [household(h, 家庭人口数=2) for h in "ABCDEF"],
        [
            income_row("A", 2021, 务工收入=20000), income_row("A", 2022, 务工收入=30000),  # 增收
            income_row("B", 2021, 务工收入=20000), income_row("B", 2022, 务工收入=20100),  # 持平
            income_row("C", 2021, 务工收入=20000),  # 2022 missing
            income_row("D", 2022, 务工收入=20000),  # 2021 missing
            income_row("F", 2021, 务工收入=20000), income_row("F", 2022, 务工收入=10000),  # 减收 to 5,000: 红
        ],
    )
    assert got == {
        "A": "人均纯收入由10,000元增至15,000元",
        "B": "人均纯收入上年10,000元、本年10,050元，基本持平",
        "C": "缺少2022年收入数据，未排查；2021年人均纯收入10,000元",
        "D": "缺少2021年收入数据，未排查；2022年人均纯收入10,000元",
        "E": "缺少2021年和2022年收入数据，未排查",
        "F": "务工收入减少10,000元（工资降低）；人均纯收入由10,000元降至5,000元，低于2022年监测线6,600元",
    }


def test_several_risks_biggest_loss_first_and_survey_only_points():
    got = sentences(
        [household("A", 是否受灾=True)],
        [
            income_row("A", 2021, 公益岗位收入=3000, 种植业收入=20000, 生态补偿金=500),
            income_row("A", 2022, 种植业收入=12000, 减收原因="帮扶措施未落实"),
        ],
    )
    assert got["A"] == (
        "受灾致经营净收入减少8,000元（种植业收入减少）；公益岗位收入减少3,000元（未参加）；"
        "政策性补贴类收入减少500元（生态补偿金减少）；帮扶不到位减收（调查：帮扶措施未落实）；"
        "人均纯收入由23,500元降至12,000元"
    )


def test_a_gaining_household_with_a_falling_item_says_both():
    got = sentences(
        [household("A", 家庭人口数=2)],
        [income_row("A", 2021, 务工收入=20000, 低保金=2400), income_row("A", 2022, 务工收入=30000)],
    )
    assert got["A"] == "低保金、特困供养金减少2,400元（取消）；人均纯收入由11,200元增至15,000元"


def test_a_new_member_is_named_and_a_plain_cut_is_not_repeated():
    got = sentences(
        [household("A", 家庭人口数=2), household("B")],
        [
            income_row("A", 2021, 务工收入=24000), income_row("A", 2022, 务工收入=24000, 家庭人口数=3),
            income_row("B", 2021, 低保金=3600, 务工收入=10000), income_row("B", 2022, 低保金=2400, 务工收入=10000),
        ],
    )
    # 12,000 → 8,000 per person; 4,000 × 3 members restores last year's per-capita
    assert got["A"] == "家庭人口由2人增至3人，恢复上年人均水平需增收12,000元；人均纯收入由12,000元降至8,000元"
    assert got["B"].startswith("低保金、特困供养金减少1,200元；")


def test_sentences_are_built_as_risk_fragment_builds_one_clause():
    # risk_sentences writes each distinct wording and amount once; every clause must read as
    # `risk_fragment` writes it row by row.
    from lib.rules.explain import risk_fragment, risk_sentences

    risks = pl.DataFrame(
        {
            "户编号": ["A", "B", "C", "D", "E", "F", "G"],
            "风险点代码": ["R3", "R9", "R8", "R8", "R5", "R9", "R1"],
            "细分原因": ["务工时间缩短", "家庭人口由3人增至4人", None, "帮扶措施未落实", "减少", None, "种植业收入减少"],
            "减收金额": [9000.4, 1234.5, None, None, 20.0, 99.5, -0.5],
        }
    )
    expected = dict(risks.select("户编号", risk_fragment()).rows())
    got = dict(risk_sentences(risks).collect().rows())
    assert got == expected
    assert got["B"] == "家庭人口由3人增至4人，恢复上年人均水平需增收1,235元"
    assert got["C"] == "帮扶不到位减收（调查填报）"


def test_explain_reads_the_same_by_roster_row_and_by_household_id():
    from lib.rules.classify import classify
    from lib.rules.income import compare_income
    from lib.rules.risk import ROW, attach_risks, evaluate_risks
    from lib.rules.warning import add_warnings
    from factories import households_frame, income_frame

    hh = households_frame([household(h, 家庭人口数=2) for h in "ABC"])
    inc = income_frame(
        [
            income_row("A", 2021, 务工收入=12000, 政策性补贴=500), income_row("A", 2022, 务工收入=3000),
            income_row("B", 2021, 务工收入=20000), income_row("B", 2022, 务工收入=20100),
            income_row("C", 2022, 务工收入=20000),
        ]
    )
    wide = add_warnings(classify(compare_income(hh, inc, POLICY, 2021, 2022).households, POLICY), POLICY, 2022)
    risks = evaluate_risks(wide, POLICY, keep_row=True)
    households = attach_risks(wide, risks)
    by_row = explain(households, risks, POLICY, 2021, 2022)
    assert by_row.equals(explain(households, risks.drop(ROW), POLICY, 2021, 2022))
    assert by_row["说明"].to_list() == [
        "务工收入减少9,000元（工资降低）；政策性补贴类收入减少500元（政策性补贴减少）；"
        "人均纯收入由6,250元降至1,500元，低于2022年监测线6,600元",
        "人均纯收入上年10,000元、本年10,050元，基本持平",
        "缺少2021年收入数据，未排查；2022年人均纯收入10,000元",
    ]
