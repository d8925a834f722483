"""`analyze` end to end on hand-made districts (lib/rules/analysis.py)."""

from __future__ import annotations

import json

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lib.rules.analysis import CSV_COLUMNS, HOUSEHOLD_RESULT_COLUMNS, analyze, households_csv_frame
from lib.catalogue import ITEM_NAMES
from lib.policy import default_policy
from lib.io.reader import InputError
from factories import empty_problems, household, income_row, input_data, measure_row

POLICY = default_policy()  # 2021 line 6,000; 2022 line 6,600

HOUSEHOLDS = [
    household("A", 家庭人口数=2, 弱劳动力或半劳动力人数=1),
    household("B", 户类型="一般农户", 家庭人口数=3, 是否受灾=True),
    household("C", 村="北山村", 监测对象类别="脱贫不稳定户"),
    household("D", 村="北山村", 家庭人口数=4),
    household("E", 村="北山村", 家庭人口数=2),
]
INCOME = [
    # A: 20000/2 → 10000/2 with fewer months, survey blames assistance → 减收, 红
    income_row("A", 2021, 务工收入=20000, 务工月数=10),
    income_row("A", 2022, 务工收入=10000, 务工月数=5, 减收原因="R8 帮扶措施未落实"),
    # B: hail: (30000 − 3000)/3 = 9000 → (22000 − 4000)/3 = 6000; survey also says 务工 (not shown)
    income_row("B", 2021, 种植业收入=30000, 生产经营性支出=3000),
    income_row("B", 2022, 种植业收入=22000, 生产经营性支出=4000, 减收原因="冰雹；务工"),
    # C: 低保 gone, 9000 → 12000 from a new job: 增收 with R5
    income_row("C", 2021, 低保金=5000, 务工收入=4000),
    income_row("C", 2022, 务工收入=12000),
    # D: 2022 only
    income_row("D", 2022, 务工收入=50000),
    # E: 40000/2 → 40500/2: 持平
    income_row("E", 2021, 务工收入=40000),
    income_row("E", 2022, 务工收入=40500),
    # an income row of a household not in 户信息 (row 11)
    income_row("Z", 2022, 务工收入=1000),
]
MEASURES = [measure_row("A", "M1", 预计增收=4000, 状态="已落实"), measure_row("B", "M2", 预计增收=1000)]


@pytest.fixture(scope="module")
def result():
    reader_reject = pl.DataFrame(
        [{"工作表": "收入", "行号": 40, "列": "务工收入", "值": "不详", "代码": "E102", "原因": "数字无法识别"}],
        schema=empty_problems().schema,
    )
    return analyze(input_data(HOUSEHOLDS, INCOME, MEASURES, rejects=reader_reject), POLICY)


def by_id(frame: pl.DataFrame) -> dict[str, dict]:
    return {r["户编号"]: r for r in frame.iter_rows(named=True)}


def test_every_household_once_with_the_contract_columns_first(result):
    hh = result.households
    assert hh["户编号"].to_list() == ["A", "B", "C", "D", "E"]
    assert hh.columns[: len(HOUSEHOLD_RESULT_COLUMNS)] == list(HOUSEHOLD_RESULT_COLUMNS)
    assert (result.year_last, result.year_this) == (2021, 2022)


def test_hand_computed_households(result):
    h = by_id(result.households)
    got = {k: (v["上年人均纯收入"], v["本年人均纯收入"], v["收入研判"], v["预警等级"], v["风险点代码"], v["应纳未纳"]) for k, v in h.items()}
    assert got == {
        "A": (10000, 5000, "减收", "红", ["R3", "R8"], True),
        "B": (9000, 6000, "减收", "红", ["R7"], True),
        "C": (9000, 12000, "增收", "绿", ["R5"], False),
        "D": (None, 12500, "未排查", "绿", [], False),
        "E": (20000, 20250, "持平", "绿", [], False),
    }
    assert h["A"]["减收金额"] == 10000 and h["B"]["减收金额"] == 9000
    assert h["A"]["已有措施"] == ["M1"] and h["A"]["预计增收合计"] == 4000
    assert h["A"]["说明"].startswith("务工收入减少10,000元（务工时间缩短）；帮扶不到位减收（调查：帮扶措施未落实）")
    assert h["D"]["说明"] == "缺少2021年收入数据，未排查；2022年人均纯收入12,500元"
    # every 减收 household has at least one recommendation
    assert all(h[k]["推荐措施"] for k in ("A", "B"))


def test_risks_keep_gaining_households_with_their_judgement(result):
    assert result.risks.select("户编号", "风险点代码", "原因来源", "收入研判").rows() == [
        ("A", "R3", "数据", "减收"),
        ("A", "R8", "调查", "减收"),
        ("B", "R7", "数据", "减收"),
        ("C", "R5", "数据", "增收"),
    ]


def test_rejects_and_findings(result):
    rejects = result.rejects.select("工作表", "行号", "代码").rows()
    assert ("收入", 40, "E102") in rejects  # the reader's, carried through
    assert ("收入", 11, "E401") in rejects  # income row of a household not in 户信息
    assert result.findings.select("行号", "值", "代码").rows() == [(5, "务工", "W401")]


def test_items_frame(result):
    # every item with money in either year, nothing else
    got = set(result.items.select("户编号", pl.col("收入项目").cast(pl.String)).rows())
    assert got == {("A", "务工收入"), ("B", "种植业收入"), ("B", "生产经营性支出"), ("C", "低保金"),
                   ("C", "务工收入"), ("D", "务工收入"), ("E", "务工收入")}


def test_households_csv_frame(result):
    csv = households_csv_frame(result)
    assert csv.columns == list(CSV_COLUMNS)
    a = by_id(csv)["A"]
    assert (a["减收风险点"], a["应纳未纳"]) == ("务工减收;帮扶不到位减收", "是")
    assert a["推荐措施"] and all(";" not in name for name in a["推荐措施"].split(";"))
    assert by_id(csv)["C"]["应纳未纳"] == "否"
    assert by_id(csv)["D"]["减收风险点"] == ""


def test_summary_is_json_and_adds_up(result):
    s = json.loads(json.dumps(result.summary, ensure_ascii=False))
    assert s["户数"] == 5 and s["年度"] == {"上年": 2021, "本年": 2022}
    assert s["收入研判"] == {"增收": 1, "持平": 1, "减收": 2, "未排查": 1, "已退出": 0}
    assert s["预警等级"] == {"红": 2, "橙": 0, "黄": 0, "绿": 3, "未评定": 0}
    assert s["排查覆盖"] == {"应排查户数": 5, "已排查户数": 4, "排查率": 0.8}
    assert s["措施覆盖"] == {"减收户数": 2, "有措施的减收户数": 2, "覆盖率": 1.0}
    points = {p["代码"]: (p["户数"], p["其中减收户数"], p["减收金额"]) for p in s["风险点"]}
    assert points["R5"] == (1, 0, 5000) and points["R3"] == (1, 1, 10000) and points["R1"] == (0, 0, 0)
    villages = {v["村"]: (v["户数"], v["减收"], v["未排查"]) for v in s["各村"]}
    assert villages == {"南岗村": (2, 2, 0), "北山村": (3, 0, 1)}
    assert s["未使用行数"] == result.rejects.height == 2
    assert ["参数来源", POLICY.source] in s["政策参数"]


def test_named_years_and_unusable_years():
    inc = [income_row("A", y, 务工收入=1000 * y) for y in (2020, 2021, 2022)]
    a = analyze(input_data([household("A")], inc), POLICY, years=(2020, 2021))
    assert (a.year_last, a.year_this) == (2020, 2021)
    assert a.rejects.filter(pl.col("代码") == "E402")["行号"].to_list() == [4]  # the 2022 row
    with pytest.raises(InputError, match="两个年度"):
        analyze(input_data([household("A")], [income_row("A", 2022)]), POLICY)


def test_household_without_optional_roster_columns():
    hh = pl.DataFrame({"户编号": ["A"], "村": ["南岗村"], "家庭人口数": [1]})
    a = analyze(input_data(hh, [income_row("A", 2021), income_row("A", 2022, 务工收入=9000)]), POLICY)
    assert a.households.row(0, named=True)["收入研判"] == "增收"


# ---------------------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------------------

_AMOUNT = st.sampled_from([0.0, 0.0, 600.0, 3000.0, 9000.0, 20000.0])


@st.composite
def districts(draw):
    n = draw(st.integers(1, 6))
    hh, inc = [], []
    for i in range(n):
        hid = f"H{i}"
        hh.append(household(hid, 村=draw(st.sampled_from(["南岗村", "北山村"])), 家庭人口数=draw(st.integers(1, 4)),
                            是否受灾=draw(st.booleans()), 户类型=draw(st.sampled_from(["脱贫户", "一般农户"]))))
        last = {name: draw(_AMOUNT) for name in ITEM_NAMES}
        this = {name: draw(st.sampled_from([v, 0.0, v / 2, v * 0.98, v + 1000])) for name, v in last.items()}
        years = draw(st.sampled_from([(2021, 2022), (2021, 2022), (2021,), (2022,), ()]))
        for year, items in ((2021, last), (2022, this)):
            if year in years:
                inc.append(income_row(hid, year, **items, 减收原因=draw(st.sampled_from([None, "R8", "其他", "务工"]))))
    inc += [income_row("H0", 2021), income_row("H0", 2022)] if not inc else []
    if not {r["年度"] for r in inc} >= {2021, 2022}:
        inc += [income_row("H0", y) for y in (2021, 2022) if y not in {r["年度"] for r in inc}]
    return hh, inc


def _scaled(rows: list[dict], k: float) -> list[dict]:
    return [{c: (v * k if c in ITEM_NAMES else v) for c, v in r.items()} for r in rows]


_JUDGED = ("收入研判", "预警等级", "应纳未纳", "风险点代码")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(districts(), st.sampled_from([0.5, 3.0, 10.0]))
def test_every_household_once_and_scaling_changes_no_judgement(district, k):
    hh, inc = district
    base = analyze(input_data(hh, inc), POLICY)
    # 不落一户: every household of 户信息 exactly once, whatever its income rows
    assert base.households["户编号"].to_list() == [h["户编号"] for h in hh]
    assert base.households.select(pl.col("户编号").is_duplicated().any()).item() is False
    scaled_policy = POLICY.with_year(2021, monitoring_threshold=6000 * k).with_year(2022, monitoring_threshold=6600 * k)
    scaled = analyze(input_data(hh, _scaled(inc, k)), scaled_policy)
    assert scaled.households.select(_JUDGED).rows() == base.households.select(_JUDGED).rows()


def test_a_measure_in_place_after_the_as_of_date_is_reported_not_dropped():
    import datetime as dt

    data = input_data(
        [household("A", 家庭人口数=1)],
        [income_row("A", 2021, 务工收入=9000), income_row("A", 2022, 务工收入=5000)],
        [measure_row("A", "M1", 预计增收=3000, 状态="已落实", 落实日期=dt.date(2031, 8, 1))],
    )
    a = analyze(data, POLICY, as_of=dt.date(2022, 8, 15))
    assert a.findings.filter(pl.col("代码") == "W402").height == 1
    assert a.households.row(0, named=True)["预计增收合计"] == 3000  # the measure still counts
