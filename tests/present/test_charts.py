"""Chart builders (lib.present.charts) on small hand-made frames with the contract's columns.

The figures are checked for what a reader sees: Chinese titles and axis labels, one trace
per series, the values (computed by hand below), the colours of the warning levels and the
dropdowns' effect.
"""

import json
import re

import plotly.graph_objects as go
import polars as pl
import pytest

from lib.present import charts
from lib.catalogue import INCOME_KINDS, PENSION, RISK_POINTS
from lib.policy import default_policy

CJK = re.compile(r"[\u4e00-\u9fff]")
KINDS = list(INCOME_KINDS)  # 工资性, 生产经营性, 财产性, 转移性


def _household(hid, village, members, last, this, judgement, level, codes=(), have=(), gap=0.0, recover=None):
    row = {"户编号": hid, "村": village, "上年家庭人口数": members, "本年家庭人口数": members if this else None}
    for prefix, values in (("上年", last), ("本年", this)):
        for kind, value in zip(KINDS, values or (None,) * 4, strict=True):
            row[f"{prefix}{kind}"] = None if value is None else float(value)
    row["上年家庭纯收入"] = float(sum(last))
    row["本年家庭纯收入"] = float(sum(this)) if this else None
    row["上年人均纯收入"] = sum(last) / members
    row["本年人均纯收入"] = sum(this) / members if this else None
    row.update({
        "收入研判": judgement, "预警等级": level, "风险点代码": list(codes),
        "已有措施": list(have), "收入缺口": gap, "预计能恢复": recover,
        # the rest of what lib.rules.figures reads
        "应纳未纳": False, "减收金额": gap, "已落实措施数": len(have), "计划措施数": 0, "预计增收合计": 0.0,
    })
    return row


@pytest.fixture
def households():
    # per-capita: H1 5,500 → 3,500 (红); H2 7,000 → 8,000; H3 9,000 → 7,000 (−22%, 橙);
    # H4 not surveyed this year; 二村: H5 减收 黄, H6 持平 绿
    rows = [
        _household("H1", "一村", 2, (8000, 2000, 0, 1000), (4000, 2000, 0, 1000), "减收", "红",
                   ("R3",), ("M1",), gap=4000.0, recover=False),
        _household("H2", "一村", 4, (20000, 4000, 1000, 3000), (24000, 4000, 1000, 3000), "增收", "绿"),
        _household("H3", "一村", 1, (6000, 2000, 0, 1000), (5000, 1000, 0, 1000), "减收", "橙",
                   ("R1", "R3"), ("M1", "M2"), gap=2000.0, recover=True),
        _household("H4", "一村", 3, (9000, 0, 0, 0), None, "未排查", None),
        _household("H5", "二村", 2, (10000, 2000, 0, 2000), (9000, 2000, 0, 2000), "减收", "黄",
                   ("R3",), (), gap=1000.0, recover=False),
        _household("H6", "二村", 3, (15000, 3000, 0, 3000), (15000, 3000, 0, 3100), "持平", "绿"),
    ]
    return pl.DataFrame(rows, infer_schema_length=None)


@pytest.fixture
def items():
    # H1 and H3 item by item; H4 has last year only (未排查) and must be left out.
    rows = [
        ("H1", "务工收入", 8000, 4000), ("H1", "种植业收入", 3000, 3000), ("H1", "生产经营性支出", 1000, 1000),
        ("H1", "低保金", 1000, 1000), ("H1", PENSION, 1200, 1200),
        ("H3", "务工收入", 6000, 5000), ("H3", "种植业收入", 2500, 2000), ("H3", "生产经营性支出", 500, 1000),
        ("H3", "低保金", 1000, 1000), ("H3", PENSION, 800, 900),
        ("H4", "务工收入", 9000, None),
    ]
    return pl.DataFrame(
        [{"户编号": h, "村": "一村", "收入项目": i, "收入类别": "", "上年": float(a),
          "本年": None if b is None else float(b), "变化": None if b is None else float(b - a)}
         for h, i, a, b in rows]
    )


def _chinese(fig: go.Figure) -> None:
    assert CJK.search(fig.layout.title.text), fig.layout.title.text


def _visible(fig: go.Figure) -> list:
    return [t.visible is not False for t in fig.data]


def test_income_kinds_totals_and_per_capita(households):
    fig = charts.income_kinds(households, 2021, 2022)
    _chinese(fig)
    assert fig.layout.yaxis.title.text == "金额（元）" and fig.layout.xaxis.title.text == "收入类别"
    assert [t.name for t in fig.data] == ["2021年", "2022年", "2021年", "2022年"]
    assert list(fig.data[0].x) == KINDS
    # surveyed households only (H4 is 未排查): H1 + H2 + H3 + H5 + H6
    assert list(fig.data[0].y) == [59000.0, 13000.0, 1000.0, 10000.0]
    assert list(fig.data[1].y) == [57000.0, 12000.0, 1000.0, 10100.0]
    # per capita: 12 people both years
    assert fig.data[2].y[0] == pytest.approx(59000 / 12)
    assert fig.data[3].y[3] == pytest.approx(10100 / 12)
    assert _visible(fig) == [True, True, False, False]
    buttons = fig.layout.updatemenus[0].buttons
    assert [b.label for b in buttons] == ["合计（元）", "人均（元/人）"]
    assert buttons[1].args[0]["visible"] == [False, False, True, True]
    assert "元" in fig.data[0].hovertemplate


def test_per_capita_distribution_counts_and_lines(households):
    fig = charts.per_capita_distribution(households, 2021, 2022, default_policy())
    _chinese(fig)
    assert [t.name for t in fig.data] == ["2021年", "2022年"]
    assert sum(fig.data[0].y) == 5 and sum(fig.data[1].y) == 5  # H4 left out
    # H1 this year (3,500) and H3 this year (7,000) sit in the bins that contain them
    this = fig.data[1]
    width = this.width / 0.45
    for value in (3500, 7000):
        (k,) = [k for k, x in enumerate(this.x) if x - width / 2 <= value < x + width / 2]
        assert this.y[k] >= 1
        assert this.customdata[k] == f"{this.x[k] - width / 2:,.0f}–{this.x[k] + width / 2:,.0f} 元"
    lines = sorted(s.x0 for s in fig.layout.shapes)
    assert lines == [6000, 6600, 9900]
    texts = " ".join(a.text for a in fig.layout.annotations)
    assert "2022年监测线 6,600" in texts and "1.5倍监测线 9,900" in texts
    assert CJK.search(fig.layout.xaxis.title.text) and fig.layout.yaxis.title.text == "户数"
    stricter = default_policy().with_year(2022, monitoring_threshold=7000).with_rules(orange_multiple=2.0)
    fig = charts.per_capita_distribution(households, 2021, 2022, stricter)
    assert sorted(s.x0 for s in fig.layout.shapes) == [6000, 7000, 14000]


def test_per_capita_distribution_stays_small_for_many_households():
    n = 5000
    big = pl.DataFrame({
        "收入研判": ["增收"] * n,
        "上年人均纯收入": [float(3000 + 7 * i) for i in range(n)],
        "本年人均纯收入": [float(3500 + 7 * i) for i in range(n)],
    })
    fig = charts.per_capita_distribution(big, 2021, 2022, default_policy())
    assert sum(fig.data[0].y) == n and sum(fig.data[1].y) == n
    assert len(fig.data[0].x) <= 40
    assert len(fig.to_json()) < 15_000


def test_waterfall_village_aggregate_reconciles(items):
    fig = charts.change_waterfall(items, 2021, 2022, exclude_items=(PENSION,))
    _chinese(fig)
    w = fig.data[0]
    # start: H1 8000+3000−1000+1000 = 11,000; H3 6000+2500−500+1000 = 9,000
    assert list(w.x) == ["2021年纯收入", "务工收入", "种植业收入", "生产经营性支出", "2022年纯收入"]
    assert list(w.y) == [20000.0, -5000.0, -500.0, -500.0, 14000.0]
    assert list(w.measure) == ["absolute", "relative", "relative", "relative", "total"]
    assert w.y[0] + sum(w.y[1:-1]) == w.y[-1]
    assert "2 户合计" in _title(fig)  # H4 (未排查) is not in the aggregate


def test_waterfall_follows_the_policy_pension_rule(items):
    left_out = charts.change_waterfall(
        items, 2021, 2022, policy=default_policy().with_rules(pension_in_net_income=False)
    )
    assert PENSION not in left_out.data[0].x and left_out.data[0].y[0] == 20000.0
    counted = charts.change_waterfall(items, 2021, 2022, policy=default_policy())  # the system's way
    assert PENSION in counted.data[0].x and counted.data[0].y[0] == 22000.0


def test_waterfall_one_household_and_pension_counted_when_rule_off(items):
    fig = charts.change_waterfall(items, 2021, 2022, household="H3")
    w = fig.data[0]
    assert list(w.x) == ["2021年纯收入", "务工收入", "种植业收入", "生产经营性支出", PENSION, "2022年纯收入"]
    assert list(w.y) == [9800.0, -1000.0, -500.0, -500.0, 100.0, 7900.0]
    assert "H3" in _title(fig)
    assert w.text[3] == "-500"  # a higher cost shows as a fall


def _title(fig) -> str:
    """A chart's title with its subtitle (the bracketed detail), as a reader sees both."""
    return fig.layout.title.text + (fig.layout.title.subtitle.text or "")


def test_risk_points_all_nine_with_households_and_yuan():
    risks = pl.DataFrame({
        "户编号": ["H1", "H3", "H3", "H5"],
        "风险点代码": ["R3", "R3", "R1", "R3"],
        "减收金额": [4000.0, 1000.0, 1000.0, 2000.0],
        "收入研判": ["减收"] * 4,
    })
    fig = charts.risk_points(risks)
    _chinese(fig)
    count, yuan = fig.data
    assert list(count.y) == [r.label for r in RISK_POINTS]  # names, no codes
    assert list(count.x) == [1, 0, 3, 0, 0, 0, 0, 0, 0]
    assert list(yuan.x) == [1000.0, 0, 7000.0, 0, 0, 0, 0, 0, 0]
    assert "涉及 3 户" in fig.layout.title.subtitle.text
    assert [b.label for b in fig.layout.updatemenus[0].buttons] == ["涉及户数（户）", "减收金额（元）"]
    # neither measure is drawn in a warning colour
    assert {count.marker.color, yuan.marker.color}.isdisjoint(charts.WARNING_COLOURS.values())


def test_warning_levels_counts_and_colours(households):
    fig = charts.warning_levels(households)
    _chinese(fig)
    bar = fig.data[0]
    assert list(bar.x) == ["红色", "橙色", "黄色", "绿色（无预警）", "未排查"]
    assert list(bar.y) == [1, 1, 1, 2, 1]
    assert list(bar.marker.color) == [
        charts.WARNING_COLOURS["红"], charts.WARNING_COLOURS["橙"], charts.WARNING_COLOURS["黄"],
        charts.WARNING_COLOURS["绿"], charts.GREY,
    ]
    assert bar.customdata[0] == pytest.approx(1 / 6)


def test_measures_by_kind_and_lead_unit():
    measures = pl.DataFrame({
        "户编号": ["H1", "H3", "H3", "H3"],
        "措施类型": ["M1", "M1", "M2", "M4"],
        "牵头单位": ["区人社局", "区人社局", "区乡村振兴局", "乡政府"],
        "状态": ["已落实", "计划", "已落实", "计划"],
        "预计增收": [3000.0, 2000.0, 500.0, 100.0],
    })
    fig = charts.measures_by_kind(measures)
    _chinese(fig)
    assert len(fig.data[0].x) == 6  # five catalogue measures + M4 under another lead unit
    assert fig.data[0].x[0] == "公益岗就业帮扶<br>（区人社局）"
    assert fig.data[0].x[5] == "扶志扶智<br>（乡政府）"
    planned, done, _planned_yuan, done_yuan = fig.data
    assert (planned.name, done.name) == ("计划", "已落实")
    assert list(planned.y) == [1, 0, 0, 0, 0, 1]
    assert list(done.y) == [1, 1, 0, 0, 0, 0]
    assert list(done_yuan.y) == [3000.0, 500.0, 0, 0, 0, 0]
    assert _visible(fig) == [True, True, False, False]
    assert fig.layout.updatemenus[0].buttons[1].args[0]["visible"] == [False, False, True, True]


def test_coverage_splits_loss_households(households):
    fig = charts.coverage(households)
    _chinese(fig)
    closes, short, none = fig.data
    assert list(closes.y) == ["全部减收户", "其中红色预警", "其中橙色预警", "其中黄色预警"]
    assert list(closes.x) == [1, 0, 1, 0]  # H3
    assert list(short.x) == [1, 1, 0, 0]  # H1
    assert list(none.x) == [1, 0, 0, 1]  # H5


def test_village_ranking_and_chart(households):
    rank = charts.village_ranking(households)
    assert rank.get_column("村").to_list() == ["一村", "二村"]
    first = rank.row(0, named=True)
    assert (first["户数"], first["已排查"], first["减收"], first["红色预警"]) == (4, 3, 2, 1)
    assert first["减收户占比"] == pytest.approx(2 / 3) and first["红色预警户占比"] == pytest.approx(1 / 4)
    fig = charts.villages_ranked(households)
    _chinese(fig)
    assert list(fig.data[0].y) == ["一村", "二村"]
    assert list(fig.data[0].x) == pytest.approx([2 / 3, 1 / 2])
    assert list(fig.layout.yaxis.categoryarray) == ["二村", "一村"]  # first ranked on top
    assert [b.label for b in fig.layout.updatemenus[0].buttons] == ["按减收户占比排序", "按红色预警户占比排序"]


def test_fgt_by_village_dropdown():
    rows = []
    for village, p in (("全区", 0.1), ("一村", 0.2), ("二村", 0.0)):
        for year in (2021, 2022):
            rows.append({"村": village, "年度": year, "监测线": 6000.0 if year == 2021 else 6600.0,
                         "户数": 3, "人数": 9, "P0": p, "P1": p / 4, "P2": p / 16})
    fig = charts.fgt_by_village(pl.DataFrame(rows), 2021, 2022)
    _chinese(fig)
    assert len(fig.data) == 6
    assert list(fig.data[0].x) == ["全区", "一村", "二村"]
    assert list(fig.data[0].y) == [0.1, 0.2, 0.0]
    assert list(fig.data[3].y) == pytest.approx([0.025, 0.05, 0.0])  # P1 2022
    assert _visible(fig) == [True, True, False, False, False, False]
    p2 = fig.layout.updatemenus[0].buttons[2]
    assert p2.label == "贫困强度" and p2.args[0]["visible"] == [False, False, False, False, True, True]


def test_transitions_bars():
    trans = pl.DataFrame({
        "上年区间": ["低于监测线", "监测线至1.5倍", "1.5倍以上", "监测线至1.5倍"],
        "本年区间": ["低于监测线", "低于监测线", "1.5倍以上", "1.5倍以上"],
        "户数": [1, 1, 2, 0],
    })
    fig = charts.transitions(trans, 2021, 2022)
    _chinese(fig)
    assert {t.type for t in fig.data} == {"bar"} and fig.layout.barmode == "stack"  # in the page's bundle
    rows = ["2021年 低于监测线（1 户）", "2021年 监测线至1.5倍（1 户）", "2021年 1.5倍以上（2 户）"]
    assert [t.name for t in fig.data] == ["低于监测线（2 户）", "1.5倍以上（2 户）"]  # this year's bands
    assert all(list(t.y) == rows for t in fig.data)
    assert list(fig.data[0].x) == [1, 1, 0] and list(fig.data[1].x) == [0, 0, 2]


def test_figures_are_json_small_and_use_the_small_template(households):
    fig = charts.warning_levels(households)
    doc = json.loads(fig.to_json())
    assert len(fig.to_json()) < 5_000
    assert "data" not in doc["layout"]["template"]  # not plotly's default ~6 kB template


def test_empty_village_does_not_break_charts(households):
    none = households.filter(pl.col("村") == "没有这个村")
    for fig in (
        charts.income_kinds(none, 2021, 2022),
        charts.per_capita_distribution(none, 2021, 2022, default_policy()),
        charts.warning_levels(none),
        charts.coverage(none),
    ):
        _chinese(fig)


def test_waterfall_zooms_when_changes_are_small_beside_the_totals():
    items = pl.DataFrame({
        "户编号": ["H1", "H1"], "收入项目": ["务工收入", "低保金"],
        "上年": [1_000_000.0, 10_000.0], "本年": [1_002_000.0, 9_000.0],
    })
    fig = charts.change_waterfall(items, 2021, 2022)
    low, high = fig.layout.yaxis.range
    assert 0 < low < 1_010_000 and high > 1_012_000  # every running total (1,010,000–1,012,000) on screen
    assert "未从 0 开始" in fig.layout.yaxis.title.text
    big_change = items.with_columns(pl.Series("本年", [200_000.0, 9_000.0]))
    assert charts.change_waterfall(big_change, 2021, 2022).layout.yaxis.range is None


def test_transitions_colour_the_bands_of_the_policys_orange_multiple():
    from lib.rules.poverty import transitions as band_table
    from lib.policy import default_policy

    policy = default_policy().with_rules(orange_multiple=2.0)
    hh = pl.DataFrame({"上年人均纯收入": [5000.0, 9000.0, 20000.0], "本年人均纯收入": [5000.0, 9000.0, 20000.0]})
    fig = charts.transitions(band_table(hh, policy, 2021, 2022), 2021, 2022, policy)
    assert "2021年 监测线至2倍（1 户）" in fig.data[0].y
    assert [t.marker.color for t in fig.data] == list(charts.BAND_COLOURS)  # no band falls back to grey
