"""lib.interactive.explore: filters and aggregations checked against hand-computed figures."""

from dataclasses import replace
from types import SimpleNamespace

import polars as pl
import pytest

from lib.catalogue import INCOME_KINDS, JUDGEMENTS, RISK_CODES, WARNING_LEVELS
from lib.interactive.explore import (
    NET_INCOME,
    NOT_GIVEN,
    NOT_MONITORED,
    TABLE_COLUMNS,
    filter_households,
    filter_options,
    household_detail,
    household_table,
    income_by_kind,
    income_by_village,
    income_choices,
    risk_counts,
    village_summary,
)

# Five households in two villages, with the columns of Analysis.households the views read.
# kinds: (wage, operating, property, transfer) for last and this year
HH = [
    # id, village, type, category, judgement, level, risk codes, gap, lost, last kinds, this kinds, members
    ("H1", "东村", "脱贫户", None, "减收", "橙", ["R3", "R4"], 3000.0, 3500.0, (8000, 2000, 0, 1000), (5000, 2000, 0, 1000), 2),
    ("H2", "东村", "脱贫户", "脱贫不稳定户", "增收", "绿", [], 0.0, 0.0, (6000, 1000, 500, 500), (7000, 1500, 500, 500), 3),
    ("H3", "西村", "一般农户", "边缘易致贫户", "减收", "红", ["R1"], 1200.0, 1200.0, (0, 5000, 0, 2000), (0, 3800, 0, 2000), 1),
    ("H4", "西村", None, None, "未排查", None, [], 0.0, 0.0, (3000, 0, 0, 0), None, 2),
    ("H5", "西村", "脱贫户", "突发严重困难户", "持平", "绿", ["R2"], 0.0, 100.0, (4000, 0, 1000, 0), (4000, 0, 900, 100), 1),
]


def households() -> pl.DataFrame:
    rows = []
    for hid, village, typ, cat, judg, level, codes, gap, lost, last, this, members in HH:
        row = {
            "户编号": hid, "村": village, "户主姓名": f"户主{hid}", "户类型": typ, "监测对象类别": cat,
            "收入研判": judg, "预警等级": level, "风险点代码": codes, "减收风险点": [f"点{c}" for c in codes],
            "收入缺口": gap, "减收金额": lost, "应纳未纳": hid == "H3", "推荐措施": ["M1"] if codes else [],
            "说明": f"{hid} 的说明",
        }
        for kind, a, b in zip(INCOME_KINDS, last, this or (None,) * 4):
            row[f"上年{kind}"] = float(a)
            row[f"本年{kind}"] = None if b is None else float(b)
        row["上年家庭纯收入"] = float(sum(last))
        row["本年家庭纯收入"] = None if this is None else float(sum(this))
        row["上年人均纯收入"] = row["上年家庭纯收入"] / members
        row["本年人均纯收入"] = None if this is None else row["本年家庭纯收入"] / members
        row["人均纯收入变化"] = None if this is None else row["本年人均纯收入"] - row["上年人均纯收入"]
        row["上年家庭人口数"], row["本年家庭人口数"] = members, members
        # measure columns (lib.rules.figures reads them): no measures in place
        row |= {"已有措施": [], "已落实措施数": 0, "计划措施数": 0, "预计增收合计": 0.0,
                "预计能恢复": False if judg == "减收" else None}
        rows.append(row)
    return pl.DataFrame(rows, schema_overrides={"户类型": pl.Utf8, "监测对象类别": pl.Utf8, "预警等级": pl.Utf8,
                                                 "风险点代码": pl.List(pl.Utf8), "减收风险点": pl.List(pl.Utf8),
                                                 "推荐措施": pl.List(pl.Utf8), "已有措施": pl.List(pl.Utf8),
                                                 "预计能恢复": pl.Boolean})


def items() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "户编号": ["H1", "H1", "H2", "H3", "H3", "H5"],
            "村": ["东村", "东村", "东村", "西村", "西村", "西村"],
            "收入项目": ["公益岗位收入", "务工收入", "务工收入", "种植业收入", "务工收入", "务工收入"],
            "收入类别": ["工资性收入"] * 3 + ["生产经营性收入", "工资性收入", "工资性收入"],
            "上年": [3000.0, 5000.0, 6000.0, 5000.0, 0.0, 4000.0],
            "本年": [0.0, 5000.0, 7000.0, 3800.0, 0.0, 4000.0],
        }
    ).with_columns((pl.col("本年") - pl.col("上年")).alias("变化"))


def risks() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "户编号": ["H1", "H1", "H3", "H5"],
            "村": ["东村", "东村", "西村", "西村"],
            "风险点代码": ["R3", "R4", "R1", "R2"],
            "风险点": ["务工减收", "公益岗减收", "经营减收", "产业收益分配减收"],
            "减收金额": [500.0, 3000.0, 1200.0, 100.0],
            "细分原因": [None, "未参加", None, None],
            "原因来源": ["数据"] * 4,
            "收入研判": ["减收", "减收", "减收", "持平"],
        }
    )


def ids(frame: pl.DataFrame) -> list[str]:
    return sorted(frame["户编号"].to_list())


def test_no_filter_and_empty_selection_keep_everyone():
    h = households()
    assert ids(filter_households(h)) == ["H1", "H2", "H3", "H4", "H5"]
    assert ids(filter_households(h, villages=(), risk_codes=[])) == ["H1", "H2", "H3", "H4", "H5"]


@pytest.mark.parametrize(
    "kwargs, expected",
    [
        ({"villages": ["东村"]}, ["H1", "H2"]),
        ({"household_types": ["一般农户"]}, ["H3"]),
        ({"household_types": [NOT_GIVEN]}, ["H4"]),
        ({"categories": [NOT_MONITORED]}, ["H1", "H4"]),
        ({"categories": ["脱贫不稳定户", "突发严重困难户"]}, ["H2", "H5"]),
        ({"risk_codes": ["R4"]}, ["H1"]),
        ({"risk_codes": ["R1", "R2"]}, ["H3", "H5"]),
        ({"risk_codes": ["R9"]}, []),
        ({"warning_levels": ["绿"]}, ["H2", "H5"]),
        ({"judgements": ["减收", "未排查"]}, ["H1", "H3", "H4"]),
        ({"villages": ["西村"], "judgements": ["减收"], "warning_levels": ["红"]}, ["H3"]),
        ({"villages": ["西村"], "risk_codes": ["R3"]}, []),
    ],
)
def test_filters_by_hand(kwargs, expected):
    assert ids(filter_households(households(), **kwargs)) == expected


def test_warning_filter_never_matches_a_not_surveyed_household():
    assert "H4" not in ids(filter_households(households(), warning_levels=list(WARNING_LEVELS)))


def test_filter_options_come_from_data_and_catalogue():
    opts = filter_options(households())
    assert [v for _, v in opts["villages"]] == ["东村", "西村"]
    assert [v for _, v in opts["categories"]][-1] == NOT_MONITORED
    assert NOT_GIVEN in [v for _, v in opts["household_types"]]
    assert [v for _, v in opts["risk_codes"]] == list(RISK_CODES)
    assert opts["risk_codes"][0][0] == "R1 经营减收"
    assert income_choices()[:5] == [NET_INCOME, *INCOME_KINDS]


def test_village_summary_counts_by_hand():
    s = village_summary(households())
    east, west = s.to_dicts()
    assert (east["村"], east["户数"], east["减收"], east["增收"], east["未排查"]) == ("东村", 2, 1, 1, 0)
    assert (west["户数"], west["减收"], west["持平"], west["未排查"], west["红色预警"], west["绿色预警"]) == (3, 1, 1, 1, 1, 1)
    assert east["收入缺口合计"] == 3000.0 and west["减收金额合计"] == 1300.0 and west["应纳未纳"] == 1
    # pooled over surveyed households, as the briefings show it: H1 11000 + H2 8000 over 2 + 3 people
    assert east["上年人均纯收入"] == pytest.approx((11000 + 8000) / 5)
    # the not-surveyed H4 counts in neither year: (7000 + 5000) / 2, (5800 + 5000) / 2
    assert west["上年人均纯收入"] == pytest.approx(6000.0)
    assert west["本年人均纯收入"] == pytest.approx((5800 + 5000) / 2)
    assert all(j in s.columns for j in JUDGEMENTS)


def test_village_summary_of_a_filtered_set_keeps_zero_columns():
    s = village_summary(filter_households(households(), judgements=["增收"]))
    assert s["村"].to_list() == ["东村"] and s["减收"].to_list() == [0] and s["增收"].to_list() == [1]


def test_income_by_village_for_net_income_a_kind_and_an_item():
    h, it = households(), items()
    net = income_by_village(h, it, NET_INCOME).to_dicts()
    assert net[0] == {"村": "东村", "上年": 11000.0 + 8000.0, "本年": 8000.0 + 9500.0, "变化": -1500.0}
    # H4 (not surveyed) adds its last year only
    assert net[1]["上年"] == 7000.0 + 3000.0 + 5000.0 and net[1]["本年"] == 5800.0 + 5000.0
    wage = income_by_village(h, it, "工资性收入")
    assert wage["上年"].to_list() == [14000.0, 7000.0]
    job = income_by_village(h, it, "公益岗位收入")
    assert job.to_dicts() == [
        {"村": "东村", "上年": 3000.0, "本年": 0.0, "变化": -3000.0},
        {"村": "西村", "上年": 0.0, "本年": 0.0, "变化": 0.0},
    ]
    only_h2 = income_by_village(filter_households(h, judgements=["增收"]), it, "务工收入")
    assert only_h2.to_dicts() == [{"村": "东村", "上年": 6000.0, "本年": 7000.0, "变化": 1000.0}]
    with pytest.raises(ValueError, match="未知的收入项目"):
        income_by_village(h, it, "工资")


def test_income_by_kind_by_hand():
    k = income_by_kind(filter_households(households(), villages=["东村"]))
    assert k["收入类别"].to_list() == list(INCOME_KINDS)
    assert k.row(0, named=True) == {"收入类别": "工资性收入", "上年": 14000.0, "本年": 12000.0, "变化": -2000.0}
    assert k["本年"].to_list() == [12000.0, 3500.0, 500.0, 1500.0]


def test_risk_counts_lists_all_nine_points():
    c = risk_counts(households(), risks())
    assert c["风险点代码"].to_list() == list(RISK_CODES)
    assert dict(zip(c["风险点代码"], c["涉及户数"])) == {"R1": 1, "R2": 1, "R3": 1, "R4": 1, **{k: 0 for k in RISK_CODES[4:]}}
    west = risk_counts(filter_households(households(), villages=["西村"]), risks())
    assert west["涉及户数"].sum() == 2 and west.filter(pl.col("风险点代码") == "R1")["减收金额"].item() == 1200.0


def test_household_table_joins_lists_and_names_measures():
    t = household_table(households())
    assert t.columns == list(TABLE_COLUMNS)
    first = t.row(0, named=True)
    assert first["减收风险点"] == "点R3；点R4" and first["推荐措施"] == "公益岗就业帮扶"


def test_household_detail_gathers_both_years_risks_and_measures():
    analysis = SimpleNamespace(
        households=households(),
        items=items(),
        risks=risks(),
        recommendations=pl.DataFrame(
            {"户编号": ["H1"], "村": ["东村"], "措施代码": ["M1"], "措施类型": ["公益岗就业帮扶"], "牵头单位": ["区人社局"], "推荐理由": ["公益岗减收"]}
        ),
        measures=pl.DataFrame({"户编号": ["H3"], "措施类型": ["M2"], "状态": ["计划"]}),
    )
    d = household_detail(analysis, "H1")
    # catalogue order: 务工收入 before 公益岗位收入
    assert d.items["收入项目"].to_list() == ["务工收入", "公益岗位收入"]
    assert d.items["变化"].to_list() == [0.0, -3000.0]
    assert d.risks["风险点代码"].to_list() == ["R3", "R4"] and d.explanation == "H1 的说明"
    assert d.recommendations["措施代码"].to_list() == ["M1"] and d.measures.height == 0
    assert "东村" in d.title and "减收" in d.title
    assert household_detail(analysis, "H3").measures.height == 1
    with pytest.raises(KeyError, match="没有户编号为 H9"):
        household_detail(analysis, "H9")


@pytest.mark.slow
def test_explore_notebook_runs_under_papermill(tmp_path):
    import nbformat
    import papermill
    from test_what_if import NOTEBOOKS, outputs_text, small_workbook

    source = nbformat.read(NOTEBOOKS / "explore.ipynb", as_version=4)
    assert all(not c.get("outputs") for c in source.cells if c.cell_type == "code")  # committed clean
    out = tmp_path / "explore.ipynb"
    papermill.execute_notebook(
        str(NOTEBOOKS / "explore.ipynb"), str(out), cwd=str(NOTEBOOKS), kernel_name="python3", progress_bar=False,
        parameters={"input_path": str(small_workbook(tmp_path))},
    )
    nb = nbformat.read(out, as_version=4)
    text = outputs_text(nb)
    assert "小区.xlsx" in text and "（40 户；" in text and "比较年度" in text  # the header says what it reads
    assert "红色预警" in text and "经营减收" in text  # summary, risks
    assert "application/vnd.jupyter.widget-view+json" in nbformat.writes(nb)  # the explore view was built


# ---------------------------------------------------------------------------------------
# Trends over every year of the data (three years here), counted by hand
# ---------------------------------------------------------------------------------------

def _hand_trend(data, ids) -> dict:
    """Per year: Σ of each kind (items with their sign), Σ members (收入's, else 户信息's)."""
    from lib.catalogue import INCOME_ITEMS

    roster = dict(zip(data.households["户编号"], data.households["家庭人口数"]))
    out: dict = {}
    for row in data.income.filter(pl.col("户编号").is_in(list(ids))).iter_rows(named=True):
        year = out.setdefault(row["年度"], {k: 0.0 for k in (*INCOME_KINDS, "人")})
        for item in INCOME_ITEMS:
            year[item.kind] += item.sign * (row[item.name] or 0.0)
        year["人"] += row["家庭人口数"] if (row["家庭人口数"] or 0) >= 1 else roster[row["户编号"]]
    return out


def test_income_trend_covers_every_year_of_a_three_year_district():
    from factories import three_year_input

    from lib.demo.district import village_table
    from lib.interactive.explore import income_trend
    from lib.policy import default_policy

    policy = default_policy()
    data = three_year_input(120, 5, village_table(120, 5))
    village = data.households["村"][0]
    ids = data.households.filter(pl.col("村") == village)["户编号"].to_list()
    trend = income_trend(data, policy, ids)
    hand = _hand_trend(data, ids)
    assert trend["年度"].to_list() == [2021, 2022, 2023] == sorted(hand)
    for row in trend.iter_rows(named=True):
        h = hand[row["年度"]]
        for kind in INCOME_KINDS:
            assert row[kind] == pytest.approx(h[kind], abs=0.01)
        assert row["家庭人口数"] == h["人"]
        assert row["人均纯收入"] == pytest.approx(sum(h[k] for k in INCOME_KINDS) / h["人"], abs=0.01)
        assert row["监测线"] == policy.threshold(row["年度"])
    # 2021 was made as 0.9 × 2022, item by item, with the same members
    y21, y22 = trend.row(0, named=True), trend.row(1, named=True)
    assert y21["家庭纯收入"] == pytest.approx(0.9 * y22["家庭纯收入"], rel=1e-4)


def test_income_trend_takes_members_from_the_roster_when_income_leaves_them_blank():
    from factories import household, income_row, input_data

    from lib.interactive.explore import income_trend
    from lib.policy import default_policy

    data = input_data(
        [household("A", 家庭人口数=4), household("B", 家庭人口数=2)],
        [income_row("A", 2020, 务工收入=8000), income_row("A", 2021, 务工收入=12000, 家庭人口数=3),
         income_row("B", 2020, 种植业收入=5000, 生产经营性支出=1000), income_row("B", 2021, 养老金=2400)],
    )
    trend = income_trend(data, default_policy(), ["A", "B"])
    assert trend["家庭人口数"].to_list() == [6.0, 5.0]  # 2020: 4 + 2 from 户信息; 2021: 3 given + 2
    assert trend["人均纯收入"].to_list() == pytest.approx([(8000 + 4000) / 6, (12000 + 2400) / 5])
    assert trend["生产经营性收入"].to_list() == [4000.0, 0.0]
    assert trend["监测线"].to_list() == [default_policy().threshold(2020), default_policy().threshold(2021)]
    early = income_trend(replace(data, income=data.income.with_columns(pl.col("年度") - 10)), default_policy(), ["A", "B"])
    assert early["监测线"].to_list() == [None, None]  # no line in the policy for 2010/2011: none is drawn, none invented
