"""lib.interactive.widgets driven programmatically (values set, buttons clicked), no kernel."""

import polars as pl
import pytest
from test_what_if import POLICY, small_data

import lib.interactive.widgets as widgets
from lib.interactive.allocation import GOAL_RESTORE, LIST_ORDER
from lib.rules.analysis import analyze
from lib.catalogue import INCOME_KINDS, JUDGEMENTS
from lib.interactive.what_if import DISTRICT, PLAN_PRESET, Levers, run_scenario
from lib.interactive.widgets import comparison_figure, explore_widget, what_if_widget
from lib.present.tables import PLAIN, table_markup


@pytest.fixture(scope="module")
def small():
    data = small_data()
    return data, analyze(data, POLICY)


def trace(fig, name):
    return next(t for t in fig.data if t.name == name)


def test_explore_starts_with_everyone(small):
    app = explore_widget(small[1])
    assert app.filtered.height == 5 and "符合条件 5 户" in app.count.value
    assert [t.name for t in app.figures["villages"].data] == list(JUDGEMENTS)
    assert list(trace(app.figures["villages"], "减收").x) == ["东村", "西村"]
    assert list(trace(app.figures["villages"], "减收").y) == [3, 1]  # C, A, B | D
    assert all(f"户主{h}" in app.table.value for h in "ABCDE")
    assert app.household_id == "C"  # the first of the list
    assert "务工收入" in app.detail.value


def test_village_filter_updates_charts_table_and_drill_down(small):
    app = explore_widget(small[1])
    app.villages.value = ("西村",)
    assert sorted(app.filtered["户编号"].to_list()) == ["D", "E"]
    assert list(trace(app.figures["villages"], "增收").x) == ["西村"] and list(trace(app.figures["villages"], "增收").y) == [1]
    assert "户主E" in app.table.value and "户主A" not in app.table.value
    assert list(app._labels.values()) == ["D", "E"] and app.household_id == "D"
    assert "西村" in app.detail.value and "产业收益分配" in app.detail.value
    app.income_item.value = "务工收入"
    assert list(trace(app.figures["income"], "上年").y) == [1.0] and list(trace(app.figures["income"], "本年").y) == [1.2]  # 万元
    assert "务工收入" in app.figures["income"].layout.title.text


def test_risk_and_level_filters(small):
    app = explore_widget(small[1])
    app.risk_codes.value = ("R4",)  # B lost its public-welfare post
    assert app.filtered["户编号"].to_list() == ["B"]
    risks = app.figures["risks"].data[0]
    b_risks = small[1].risks.filter(pl.col("户编号") == "B")["风险点代码"].to_list()
    assert dict(zip(risks.x, risks.y))["R4 公益岗减收"] == 1 and sum(risks.y) == len(b_risks)
    app.risk_codes.value = ()
    app.warning_levels.value = ("红",)
    assert sorted(app.filtered["户编号"].to_list()) == ["B", "C", "D"]
    app.judgements.value = ("增收",)  # nobody is both red and 增收
    assert app.filtered.height == 0 and app.household_id is None and app.detail.value == ""
    assert sum(sum(t.y) for t in app.figures["villages"].data) == 0
    app.clear.click()
    assert app.filtered.height == 5 and app.judgements.value == ()


def test_selecting_a_village_filters_to_it(small):
    app = explore_widget(small[1])
    app.select_village("东村")
    assert app.villages.value == ("东村",) and sorted(app.filtered["户编号"].to_list()) == ["A", "B", "C"]
    assert "3 户" in app.figures["villages"].layout.title.text  # the title names the filter it shows


def test_drill_down_follows_the_dropdown(small):
    app = explore_widget(small[1])
    app.select_household("B")
    assert "户主B" in app.detail.value and "公益岗位收入" in app.detail.value and "减收" in app.detail.value


def test_what_if_sliders_and_preset(small, monkeypatch):
    data, before = small
    app = what_if_widget(data, POLICY, before=before, levers=Levers(goal=GOAL_RESTORE))
    assert app.scenario.levers == Levers(goal=GOAL_RESTORE)
    assert "减收户由 4 户变为 4 户" in app.summary.value and "东村" in app.table.value
    after = trace(app.figure, "调整后减收户")
    assert list(after.x) == ["东村", "西村"] and list(after.y) == [3, 1]

    app.posts.value = 2
    assert list(trace(app.figure, "调整后减收户").y) == [1, 1]
    assert app.scenario.district["投入成本"] == 12000 and "户主B" in app.placements.value

    calls = []
    monkeypatch.setattr(widgets, "run_scenario", lambda *a, **k: calls.append(1) or run_scenario(*a, **k))
    app.preset.click()
    assert len(calls) == 1  # the preset sets every slider and recomputes once
    assert app.scenario.levers == PLAN_PRESET and app.posts.value == 4
    app.goal.value = GOAL_RESTORE
    # C (gap beyond a post, but the post lifts it over the line), A, B get posts; E needs none
    assert sorted(app.scenario.posts.chosen["户编号"].to_list()) == ["A", "B", "C"]
    assert "1 个岗位没有能见效的户可安置" in app.summary.value

    app.placement.value = LIST_ORDER
    assert app.scenario.posts.chosen["户编号"].to_list() == ["C", "A", "B"]

    app.line.value = 9000
    assert app.scenario.levers.monitoring_threshold == 9000
    assert app.scenario.policy.threshold(2022) == 9000
    app.line.value = int(POLICY.threshold(2022))
    assert app.scenario.levers.monitoring_threshold is None

    app.industry.value = 2000
    assert app.scenario.industry["户编号"].to_list() == ["D"]
    assert app.scenario.comparison.filter(pl.col("村") == "西村")["产业分配户"].item() == 1

    app.reset.click()
    assert app.scenario.levers == Levers(goal=GOAL_RESTORE) and app.posts.value == 0 and app.industry.value == 0


def test_static_builders(small):
    data, before = small
    s = run_scenario(data, POLICY, Levers(posts=2), before=before)
    fig = comparison_figure(s.comparison)
    assert DISTRICT not in list(fig.data[0].x) and len(fig.data) == 4
    table = table_markup(pl.DataFrame({"村": ["<b>"], "金额": [1234.5], "是": [True]}), look=PLAIN)
    assert "&lt;b&gt;" in table and "1,234" in table and "<td>是</td>" in table
    assert "仅显示前 1 户" in table_markup(pl.DataFrame({"a": [1, 2]}), max_rows=1, unit="户", look=PLAIN)


def test_trend_tab_shows_every_year_for_a_village_and_one_household():
    """A three-year district: the comparison takes the latest two years, the 历年趋势 charts all
    three, each with that year's monitoring line, for the filtered village and the household viewed."""
    from factories import three_year_input
    from test_explore import _hand_trend

    from lib.demo.district import village_table
    from lib.policy import default_policy

    policy = default_policy()
    data = three_year_input(120, 5, village_table(120, 5))
    analysis = analyze(data, policy)
    assert (analysis.year_last, analysis.year_this) == (2022, 2023)
    app = explore_widget(analysis, data, policy)
    village = data.households["村"][1]
    app.villages.value = (village,)
    ids = app.filtered["户编号"].to_list()
    hand = _hand_trend(data, ids)
    fig = app.figures["trend_selection"]
    assert list(trace(fig, "当年监测线").x) == ["2021", "2022", "2023"]
    assert list(trace(fig, "当年监测线").y) == [policy.threshold(y) for y in (2021, 2022, 2023)]
    for i, year in enumerate((2021, 2022, 2023)):
        h = hand[year]
        assert trace(fig, "人均纯收入").y[i] == pytest.approx(sum(h[k] for k in INCOME_KINDS) / h["人"], abs=0.01)
        assert trace(fig, "工资性收入").y[i] == pytest.approx(h["工资性收入"] / h["人"], abs=0.01)
    viewed = ids[-1]
    app.select_household(viewed)
    mine = _hand_trend(data, [viewed])
    one = app.figures["trend_household"]
    assert list(trace(one, "人均纯收入").x) == [str(y) for y in sorted(mine)]
    assert viewed in one.layout.title.text
    assert list(trace(one, "人均纯收入").y) == pytest.approx(
        [sum(mine[y][k] for k in INCOME_KINDS) / mine[y]["人"] for y in sorted(mine)], abs=0.01)
