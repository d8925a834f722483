"""lib.interactive.what_if: levers change the right figures, on a hand-made district and a generated one."""

import re
from pathlib import Path

import polars as pl
import pytest
from factories import household, income_row, input_data

from lib.interactive.allocation import GOAL_RESTORE, LIST_ORDER, OPTIMAL
from lib.rules.analysis import analyze
from lib.catalogue import SOURCE_ROW
from lib.demo.district import generate_households
from lib.policy import default_policy
from lib.interactive.what_if import (
    COMPARISON_COLUMNS,
    DISTRICT,
    PLAN_PRESET,
    Levers,
    add_income,
    compare_placements,
    plan_note,
    run_scenario,
    scenario_policy,
)

POLICY = default_policy()  # 2022 line 6600, band 2%
POST = 6000.0  # 500 yuan × 12 months


def small_data():
    """Five households, 2021 → 2022, in list order C, A, B, D, E.

    C 东村 2 people, labour: 20000 → 10000, gap 10000 (a post cannot close it), red (5000/person)
    A 东村 2 people, labour: 务工 20000 → 16000, gap 4000, 8000/person
    B 东村 1 person, weak labour only: 公益岗 6000 → 务工 2000, gap 4000, red
    D 西村 1 person, no labour: 产业收益分配 3000 + 特困 5000 → 1000 + 5000, gap 2000, red
    E 西村 1 person: 10000 → 12000, 增收
    """
    hh = [
        household("C", 村="东村", 家庭人口数=2),
        household("A", 村="东村", 家庭人口数=2),
        household("B", 村="东村", 劳动力人数=0, 弱劳动力或半劳动力人数=1),
        household("D", 村="西村", 劳动力人数=0, 是否特困户=True),
        household("E", 村="西村"),
    ]
    inc = [
        income_row("C", 2021, 务工收入=20000), income_row("C", 2022, 务工收入=10000),
        income_row("A", 2021, 务工收入=20000), income_row("A", 2022, 务工收入=16000),
        income_row("B", 2021, 公益岗位收入=6000), income_row("B", 2022, 务工收入=2000),
        income_row("D", 2021, 产业收益分配=3000, 特困供养金=5000), income_row("D", 2022, 产业收益分配=1000, 特困供养金=5000),
        income_row("E", 2021, 务工收入=10000), income_row("E", 2022, 务工收入=12000),
    ]
    return input_data(hh, inc)


@pytest.fixture(scope="module")
def small():
    data = small_data()
    return data, analyze(data, POLICY)


def district(s) -> dict:
    return s.district


def test_no_levers_change_nothing(small):
    data, before = small
    s = run_scenario(data, POLICY, Levers(), before=before)
    d = district(s)
    assert s.comparison.columns == list(COMPARISON_COLUMNS)
    assert (d["调整前减收户"], d["调整后减收户"], d["恢复上年收入户"]) == (4, 4, 0)
    assert (d["调整前红色预警户"], d["调整后红色预警户"]) == (3, 3)
    assert d["调整前收入缺口"] == 10000 + 4000 + 4000 + 2000 and d["弥补缺口"] == 0 and d["投入成本"] == 0


def test_two_posts_optimal_by_hand(small):
    data, before = small
    s = run_scenario(data, POLICY, Levers(goal=GOAL_RESTORE, posts=2), before=before)
    # B (closes and crosses the line, weak labour) then A; C's gap is beyond one post; D has no labour
    assert s.posts.chosen["户编号"].to_list() == ["B", "A"]
    east = s.comparison.filter(pl.col("村") == "东村").row(0, named=True)
    assert (east["调整前减收户"], east["调整后减收户"], east["恢复上年收入户"]) == (3, 1, 2)
    assert (east["调整前红色预警户"], east["调整后红色预警户"]) == (2, 1)
    assert east["弥补缺口"] == 8000 and east["新增公益岗位"] == 2 and east["投入成本"] == 2 * POST
    west = s.comparison.filter(pl.col("村") == "西村").row(0, named=True)
    assert (west["调整后减收户"], west["投入成本"]) == (1, 0)
    d = district(s)
    assert (d["调整后减收户"], d["恢复上年收入户"], d["投入成本"]) == (2, 2, 12000.0)
    # the post is income of this year's row only, in 公益岗位收入
    after = s.after.households.filter(pl.col("户编号") == "B").row(0, named=True)
    assert after["本年工资性收入"] == 2000 + POST and after["上年工资性收入"] == 6000


def test_list_order_places_c_first_and_restores_fewer(small):
    data, before = small
    s = run_scenario(data, POLICY, Levers(goal=GOAL_RESTORE, posts=2, placement=LIST_ORDER), before=before)
    assert s.posts.chosen["户编号"].to_list() == ["C", "A"]
    assert district(s)["恢复上年收入户"] == 1 and district(s)["调整后减收户"] == 3
    table = compare_placements(data, POLICY, Levers(goal=GOAL_RESTORE, posts=2), before=before)
    assert table["安置方式"].to_list() == [OPTIMAL, LIST_ORDER]
    assert table["恢复上年收入户"].to_list() == [2, 1] and table["投入成本"].to_list() == [12000.0, 12000.0]
    note = plan_note(table, Levers(goal=GOAL_RESTORE, posts=2))
    assert "2 个公益岗位" in note and "按最优选择安置，2 户" in note and "按名单顺序安置，1 户" in note and "多恢复 1 户" in note


def test_industry_distribution_goes_to_households_without_labour(small):
    data, before = small
    s = run_scenario(data, POLICY, Levers(industry_per_household=2000), before=before)
    assert s.industry["户编号"].to_list() == ["D"]  # B has weak labour, so it is not "no labour"
    d = district(s)
    assert (d["产业分配户"], d["投入成本"], d["恢复上年收入户"], d["调整后减收户"]) == (1, 2000.0, 1, 3)
    assert s.after.households.filter(pl.col("户编号") == "D")["本年财产性收入"].item() == 3000.0


def test_key_figures_and_actions_of_the_what_if_box(small):
    from lib.catalogue import LEAD_UNITS
    from lib.interactive.what_if import key_figures, plan_actions

    data, before = small
    s = run_scenario(data, POLICY, Levers(goal=GOAL_RESTORE, posts=2, industry_per_household=2000,
                                          dibao_standard=5000), before=before)
    figures = dict(key_figures(s))
    assert figures["减收户"] == f"4 → {district(s)['调整后减收户']} 户" and figures["红色预警户"].startswith("3 → ")
    assert list(figures) == ["越过监测线户", "恢复上年收入户", "弥补收入缺口", "减收户", "红色预警户", "每年投入"]
    actions = plan_actions(s)
    assert [a.split("：")[0] for a in actions] == [LEAD_UNITS["M1"], LEAD_UNITS["M2"], LEAD_UNITS["M3"]]
    assert "安置 2 个公益岗位" in actions[0] and "1 户无劳动力户" in actions[1]
    assert plan_actions(run_scenario(data, POLICY, Levers(), before=before)) == ["本方案不安排新的帮扶措施，只测算规则调整的影响。"]


def test_rule_levers_change_the_policy_and_the_counts(small):
    data, before = small
    higher = run_scenario(data, POLICY, Levers(monitoring_threshold=9000), before=before)
    assert higher.policy.threshold(2022) == 9000 and POLICY.threshold(2022) == 6600
    # A (8000/person) turns red under a 9000 line; 减收 does not depend on the line
    assert district(higher)["调整后红色预警户"] == 4 and district(higher)["调整后减收户"] == 4
    wide = run_scenario(data, POLICY, Levers(flat_band=0.3), before=before)
    # per person A lost 20%, D 25%, C 50%, B 67%: with a ±30% band A and D become 持平
    assert district(wide)["调整后减收户"] == 2
    assert wide.after.households.filter(pl.col("收入研判") == "减收")["户编号"].sort().to_list() == ["B", "C"]
    dibao = run_scenario(data, POLICY, Levers(dibao_standard=5000), before=before)
    assert dibao.policy.dibao(2022) == 5000 and dibao.policy.dibao(2021) == POLICY.dibao(2021)
    below = dibao.after.households.filter(pl.col("低于低保标准"))["户编号"].to_list()
    assert "B" in below and "E" not in below  # B: 2000 yuan a person this year


def test_scenario_policy_leaves_unset_levers():
    assert scenario_policy(POLICY, Levers(), 2022) is POLICY
    p = scenario_policy(POLICY, Levers(flat_band=0.05, monitoring_threshold=7000), 2022)
    assert (p.flat_band, p.threshold(2022), p.threshold(2021)) == (0.05, 7000, POLICY.threshold(2021))


def test_add_income_touches_only_that_year_and_item():
    data = small_data()
    changed = add_income(data, 2022, "公益岗位收入", pl.DataFrame({"户编号": ["A", "A"], "安排金额": [100.0, 50.0]}))
    diff = changed.income.join(data.income, on=["户编号", "年度"], suffix="_old").filter(
        pl.col("公益岗位收入") != pl.col("公益岗位收入_old")
    )
    assert diff.select("户编号", "年度", "公益岗位收入").rows() == [("A", 2022, 150.0)]
    assert changed.income.drop("公益岗位收入").equals(data.income.drop("公益岗位收入"))


def test_levers_are_validated():
    with pytest.raises(ValueError):
        Levers(goal=GOAL_RESTORE, posts=-1)
    with pytest.raises(ValueError, match="1–12"):
        Levers(post_months=13)
    with pytest.raises(ValueError, match="未知的安置方式"):
        Levers(placement="抽签")
    assert PLAN_PRESET.posts == 4 and PLAN_PRESET.post_value == 6000
    assert ("新增公益岗位", "4 个，每岗 500 元/月 × 12 个月") in PLAN_PRESET.table()


def generated_input(n: int, seed: int):
    """A generated district as InputData (the generator's frames plus Excel row numbers)."""
    f = generate_households(n, seed=seed)
    numbered = {k: v.with_row_index(SOURCE_ROW, offset=2).with_columns(pl.col(SOURCE_ROW).cast(pl.Int64)) for k, v in f.items()}
    return input_data(numbered["households"], numbered["income"], numbered["measures"])


@pytest.fixture(scope="module")
def generated():
    data = generated_input(60, seed=7)
    return data, analyze(data, POLICY)


def test_more_posts_never_increase_decrease_households(generated):
    data, before = generated
    previous = {OPTIMAL: None, LIST_ORDER: None}
    for k in (0, 1, 3, 6):
        for method in (OPTIMAL, LIST_ORDER):
            levers = Levers(goal=GOAL_RESTORE, posts=k, post_monthly_pay=400, post_months=10, placement=method)
            s = run_scenario(data, POLICY, levers, before=before)
            d = district(s)
            assert d["调整后减收户"] <= d["调整前减收户"]
            if previous[method] is not None:
                assert d["调整后减收户"] <= previous[method]
            previous[method] = d["调整后减收户"]
            assert d["投入成本"] == s.posts.placed * 400 * 10
            if s.posts.unplaced == 0:
                assert d["投入成本"] == k * 400 * 10
            # the rules engine agrees with the allocation's own count
            assert d["恢复上年收入户"] == s.posts.closed
            assert s.comparison.filter(pl.col("村") != DISTRICT)["投入成本"].sum() == d["投入成本"]
        best, listed = (run_scenario(data, POLICY, Levers(goal=GOAL_RESTORE, posts=k, placement=m), before=before) for m in (OPTIMAL, LIST_ORDER))
        assert best.district["恢复上年收入户"] >= listed.district["恢复上年收入户"]


# ---------------------------------------------------------------------------------------
# The notebook, run by papermill to a static result
# ---------------------------------------------------------------------------------------

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


def small_workbook(folder: Path) -> Path:
    """A generated 40-household district written as an input workbook."""
    from lib.io.template import write_input_workbook

    f = generate_households(40, seed=3)
    return write_input_workbook(folder / "小区.xlsx", f["households"], f["income"], f["measures"])


# Words of the code that a leader's page must not show (the page is read, not run).
CODE_WORDS = re.compile(r"what-if|lib/|\.py\b|interactive|None|placement|True|False|_path|\b[MR]\d\b")


def code_words(html: str) -> list[str]:
    """Code words in the text a reader sees (scripts, styles and tags left out)."""
    import html as html_module

    text = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S | re.I)
    text = html_module.unescape(re.sub(r"<[^>]+>", " ", text))
    return [text[max(0, m.start() - 30): m.end() + 30] for m in CODE_WORDS.finditer(text)]


def outputs_text(nb) -> str:
    parts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            parts.append(out.get("text", ""))
            for kind in ("text/markdown", "text/html", "text/plain"):
                parts.append(out.get("data", {}).get(kind, ""))
    return "\n".join(parts)


@pytest.mark.slow
def test_what_if_notebook_runs_to_a_static_html(tmp_path):
    import nbformat
    import papermill

    from lib.report.html import notebook_to_html

    source = nbformat.read(NOTEBOOKS / "what_if.ipynb", as_version=4)
    assert all(not c.get("outputs") for c in source.cells if c.cell_type == "code")  # committed clean
    out = tmp_path / "what_if.ipynb"
    papermill.execute_notebook(
        str(NOTEBOOKS / "what_if.ipynb"), str(out), cwd=str(NOTEBOOKS), kernel_name="python3", progress_bar=False,
        parameters={"input_path": str(small_workbook(tmp_path)), "posts": 3, "industry_per_household": 500,
                    "interactive": False, "as_of": "2022-08-15"},
    )
    nb = nbformat.read(out, as_version=4)
    text = outputs_text(nb)
    assert "3 个，每岗 500 元/月 × 12 个月" in text
    first = next(o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
    box = first["data"]["text/html"]  # the 要点 box first, as every briefing's, with the conclusion in it
    assert 'class="zs-keypoints"' in box and "结论" in box and "新增 3 个公益岗位" in box
    assert "截至 2022年8月15日" in box and "距8月31日台账报送截止还有 16 天" in box and "距9月30日收入核算截止还有 46 天" in box
    assert "区人社局：按本方案安置" in box
    assert "按名单顺序" in text and "越过监测线户数" in text and "弥补缺口金额" in text  # the goals side by side
    assert "widget-view" not in nbformat.writes(nb)  # no widgets in the static run
    report = notebook_to_html(out, tmp_path / "what_if.html", "假设分析")
    html = report.path.read_text(encoding="utf-8")
    assert "调整前后对比" in html and "恢复上年收入户" in html and "plotly" in html.lower()
    assert "要点" in html and "截至 2022年8月15日" in html
    assert code_words(html) == []


@pytest.mark.parametrize("levers", [
    Levers(posts=3, post_monthly_pay=700, dibao_standard=7000, monitoring_threshold=6900),
    Levers(posts=2, goal=GOAL_RESTORE, placement=LIST_ORDER, flat_band=0.05),
    Levers(posts=0),
])
def test_goal_comparison_reusing_the_scenario_equals_running_every_row(levers):
    """The widget passes its scenario so the rules' base is computed once; the table is the same."""
    from lib.interactive.what_if import compare_goals

    data = small_data()
    scenario = run_scenario(data, POLICY, levers)
    assert compare_goals(data, POLICY, levers, scenario=scenario).equals(compare_goals(data, POLICY, levers))
