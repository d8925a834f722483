"""The notebooks' one truth: last run's input and policy, parameters checked in one Chinese
sentence, paths from the project root; explore's quick filter equals the ledger; the post
placement never gives less of its goal for more posts or more pay."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lib.interactive.allocation import GOALS, allocate_posts
from lib.interactive.session import ParameterError, last_run, open_session, parse_years, record_last_run

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A project folder with the generated demo as its last run."""
    from lib.demo.district import write_demo, write_demo_policy

    root = tmp_path_factory.mktemp("project")
    write_demo(root / "data/raw/demo.xlsx")
    write_demo_policy(root / "data/raw/demo_policy.toml")
    record_last_run("demo", root / "data/raw/demo.xlsx", root / "data/raw/demo_policy.toml", root=root)
    return root


def test_the_last_run_is_what_the_notebooks_read(project):
    record = last_run(project)
    assert record["input"] == "data/raw/demo.xlsx" and record["policy"] == "data/raw/demo_policy.toml"
    s = open_session({}, "explore", root=project)
    assert s.policy_path.name == "demo_policy.toml" and s.policy.dibao(2022) == 6900  # not the built-in 0
    assert "data/raw/demo.xlsx" in s.header() and "2021 年 → 2022 年" in s.header()
    # a relative input is the project's, wherever the kernel was started
    assert open_session({"input_path": "data/raw/demo.xlsx"}, "explore", root=project).policy_path == s.policy_path


def test_a_run_outside_the_project_is_not_recorded(project, tmp_path):
    assert record_last_run("report", tmp_path / "x.xlsx", root=project) is None


@pytest.mark.parametrize("namespace, words", [
    ({"foo": 1}, "没有参数 foo"),
    ({"years": "[2019, 2020]"}, "没有 2019、2020 年度"),
    ({"years": "abc"}, "years 应为两个年度"),
    ({"village": "无此村"}, "没有村 无此村"),
    ({"input_path": "missing.xlsx"}, "找不到输入文件"),
    ({"posts": "abc"}, "posts 应为数字"),
    ({"post_months": 13}, "post_months 应在 1–12"),
    ({"goal": "随便"}, "goal 应为"),
    ({"as_of": "8月15日"}, "as_of 应为日期"),
])
def test_a_bad_parameter_stops_with_one_sentence(project, namespace, words):
    with pytest.raises(ParameterError) as caught:
        open_session(namespace, "what_if", root=project)
    lines = caught.value._render_traceback_()  # what IPython shows instead of a traceback
    assert len(lines) == 1 and words in lines[0] and "Traceback" not in lines[0]


def test_as_of_as_papermill_passes_it():
    import datetime as dt

    from lib.interactive.session import parse_as_of

    assert parse_as_of("2022-08-15") == dt.date(2022, 8, 15) == parse_as_of(dt.date(2022, 8, 15))
    assert parse_as_of("") is None and parse_as_of(None) is None


def test_years_as_papermill_passes_them():
    assert parse_years("[2021, 2022]") == (2021, 2022) and parse_years([2021, 2022]) == (2021, 2022)
    assert parse_years(None) is None


def test_quick_filter_is_the_ledgers_decrease_without_measure(project):
    from lib.interactive.explore import filter_households
    from lib.rules.figures import label, village_figures
    from lib.rules.ledger import AT_RISK_UNHELPED

    a = open_session({"village": "南岗村"}, "explore", root=project).analysis
    clicked = filter_households(a.households, villages=["南岗村"], judgements=["减收"], measure_states=["无措施"])
    quick = filter_households(a.households, villages=["南岗村"], quick=["减收且无措施"])
    ledger = a.ledger[AT_RISK_UNHELPED].filter((pl.col("村") == "南岗村") & (pl.col("收入研判") == "减收"))
    assert sorted(clicked["户编号"]) == sorted(quick["户编号"]) == sorted(ledger["户编号"])
    figure = village_figures(a.households).filter(pl.col("村") == "南岗村")[label("decrease_unhelped")].item()
    assert clicked.height == figure


households = st.lists(
    st.fixed_dictionaries({
        "gap": st.sampled_from([0.0, 500.0, 3000.0, 6000.0, 9000.0]),
        "income": st.sampled_from([3000.0, 9000.0, 15000.0, 30000.0]),
        "members": st.integers(1, 4), "labour": st.integers(0, 2), "weak": st.integers(0, 1),
    }), min_size=1, max_size=25)


def _frame(rows) -> pl.DataFrame:
    return pl.DataFrame([{
        "户编号": f"H{i}", "村": "村", "户主姓名": f"户主{i}", "收入研判": "减收" if r["gap"] else "增收",
        "收入缺口": r["gap"], "本年家庭纯收入": r["income"], "本年家庭人口数": r["members"],
        "劳动力人数": r["labour"], "弱劳动力或半劳动力人数": r["weak"]} for i, r in enumerate(rows)])


@settings(max_examples=60, deadline=None)
@given(households, st.integers(0, 10), st.integers(0, 3), st.sampled_from([2000.0, 4000.0, 6000.0]),
       st.sampled_from([0.0, 1000.0, 3000.0]), st.sampled_from(GOALS))
def test_more_posts_or_pay_never_lower_the_goal(rows, posts, more, value, raise_by, goal):
    frame = _frame(rows)
    base = allocate_posts(frame, posts, value, 6600.0, goal=goal).result(goal)
    assert allocate_posts(frame, posts + more, value, 6600.0, goal=goal).result(goal) >= base - 1e-6
    assert allocate_posts(frame, posts, value + raise_by, 6600.0, goal=goal).result(goal) >= base - 1e-6


@pytest.mark.slow
@pytest.mark.parametrize("where", ["root", "elsewhere"])
def test_papermill_from_the_root_and_elsewhere_reads_the_demo(where, tmp_path):
    """`papermill notebooks/….ipynb` as the README shows it: the last run's demo input and
    policy, and not one file written beside the shell."""
    from lib.demo.district import write_demo, write_demo_policy

    if not (ROOT / "data/raw/demo.xlsx").exists():
        write_demo(ROOT / "data/raw/demo.xlsx")
        write_demo_policy(ROOT / "data/raw/demo_policy.toml")
    record_last_run("demo", ROOT / "data/raw/demo.xlsx", ROOT / "data/raw/demo_policy.toml")
    cwd = ROOT if where == "root" else tmp_path / "shell"
    cwd.mkdir(exist_ok=True)
    papermill = Path(sys.executable).with_name("papermill")
    for name, extra in (("explore", ["-p", "village", "南岗村"]), ("what_if", ["-p", "interactive", "False"])):
        out = tmp_path / f"{name}.ipynb"
        nb_path = ROOT / "notebooks" / f"{name}.ipynb" if where == "elsewhere" else Path("notebooks") / f"{name}.ipynb"
        subprocess.run([str(papermill), str(nb_path), str(out), *extra, "--cwd", str(cwd)], cwd=cwd, check=True,
                       capture_output=True, env={"PYTHONPATH": str(ROOT), "PATH": str(papermill.parent)})
        text = json.dumps(json.loads(out.read_text(encoding="utf-8"))["cells"], ensure_ascii=False)
        assert "data/raw/demo.xlsx" in text and "data/raw/demo_policy.toml" in text and "低保标准 6,900" in text
    if where == "elsewhere":
        assert list(cwd.iterdir()) == []  # nothing written outside the project
