"""The report notebooks run end to end with papermill on a small district (slow)."""

import re
from pathlib import Path

import nbformat
import polars as pl
import pytest

pytestmark = pytest.mark.slow

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
VILLAGE_SECTIONS = (
    "一、排查概况", "二、收入变化", "三、减收风险点", "四、预警", "五、帮扶措施与台账", "六、牵头单位任务清单", "七、重点关注户",
    "八、数据核查", "附：本报告使用的政策参数", "附：指标口径",
)
DISTRICT_SECTIONS = ("一、各村对比", "二、台账汇总", "三、贫困发生率、深度和强度", "四、收入区间变化", "五、牵头单位任务清单",
                     "附：本报告使用的政策参数", "附：指标口径", "附：贫困发生率、深度和强度的计算")
VILLAGES = pl.DataFrame({
    "乡镇": ["前进乡", "前进乡"], "村": ["一村", "二村"], "户数": [40, 30],
    "冰雹受灾": [False, True], "产业项目减收": [True, False],
})


@pytest.fixture(scope="module")
def small_case(tmp_path_factory):
    """A 70-household input workbook, its analysis, and the store the pipeline saves — of an
    analysis by a policy changed in code (another flat band), to show it reaches the kernel."""
    from lib.rules.analysis import analyze
    from lib.demo.district import generate_households
    from lib.policy import default_policy
    from lib.io.reader import read_input
    from lib.report import store
    from lib.io.template import write_input_workbook

    folder = tmp_path_factory.mktemp("case")
    frames = generate_households(70, 5, villages=VILLAGES)
    workbook = write_input_workbook(folder / "输入.xlsx", frames["households"], frames["income"], frames["measures"])
    data = read_input(workbook)
    analysis = analyze(data, default_policy())
    changed = default_policy().with_rules(flat_band=0.045, source="代码中修改的参数")
    store.save(analyze(data, changed), folder / "analysis")
    return folder, workbook, analysis


def _run(name: str, out: Path, parameters: dict) -> nbformat.NotebookNode:
    import papermill as pm

    pm.execute_notebook(
        str(NOTEBOOKS / name), str(out), parameters=parameters, cwd=str(NOTEBOOKS),
        kernel_name="python3", progress_bar=False,
    )
    return nbformat.read(out, as_version=4)


def _outputs(nb) -> list[dict]:
    return [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]


def _text(nb) -> str:
    """Everything a reader sees: markdown sources and every output's text/html/markdown."""
    parts = [c.source for c in nb.cells if c.cell_type == "markdown"]
    for o in _outputs(nb):
        for key in ("text/markdown", "text/html", "text/plain"):
            value = o.get("data", {}).get(key)
            if value:
                parts.append(value if isinstance(value, str) else "".join(value))
        if o.get("output_type") == "stream":
            parts.append(o.get("text", ""))
    return "\n".join(parts)


def _headings(nb) -> list[str]:
    """The section headings (##) of the markdown cells, in order."""
    lines = [line for c in nb.cells if c.cell_type == "markdown" for line in c.source.splitlines()]
    return [line[3:] for line in lines if line.startswith("## ")]


def _check_clean(nb) -> None:
    errors = [o for o in _outputs(nb) if o.get("output_type") == "error"]
    assert errors == [], [f"{e.get('ename')}: {e.get('evalue')}" for e in errors]


def test_committed_notebooks_have_no_outputs_and_a_parameters_cell():
    for name in ("village_report.ipynb", "district_overview.ipynb"):
        nb = nbformat.read(NOTEBOOKS / name, as_version=4)
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert all(not c.get("outputs") and c.get("execution_count") is None for c in code), name
        tagged = [c for c in code if "parameters" in c.metadata.get("tags", [])]
        assert len(tagged) == 1, name
        assert all(len(c.source.splitlines()) <= 15 for c in code), name  # thin: logic lives in lib/


def test_village_report_runs_on_a_small_case(small_case, tmp_path):
    folder, workbook, analysis = small_case
    nb = _run("village_report.ipynb", tmp_path / "一村.ipynb", {
        "village": "一村", "store_dir": str(folder / "analysis"), "input_path": str(workbook),
        "output_dir": str(tmp_path),
    })
    _check_clean(nb)
    text = _text(nb)
    assert _headings(nb) == list(VILLAGE_SECTIONS)
    assert "# 一村增收监测简报（2021—2022年）" in text
    hh = analysis.households.filter(pl.col("村") == "一村")
    assert f"**户数**：{hh.height} 户" in text
    assert "数据核查只提示需要核实的数据" in text  # the 数据核查 section rendered
    assert "| 预计增收合计 | 元 |" in text  # the 口径 appendix
    # plotly charts drawn by the "notebook" renderer: plotly.js once, one div per figure
    html = [o["data"]["text/html"] for o in _outputs(nb) if "text/html" in o.get("data", {})]
    figures = [h for h in html if "Plotly.newPlot" in h]
    assert len(figures) == 7
    assert sum(len(h) > 1_000_000 for h in html) == 1  # plotly.js itself, embedded once
    # sortable tables, and no full ID or phone number anywhere in what a reader sees
    assert sum('class="zs-table"' in h for h in html) >= 4
    for value in pl.concat([hh.get_column("证件号码"), hh.get_column("联系电话")]).drop_nulls():
        assert value not in text
    assert re.search(r"\d{6}\*{8}[\dX]{4}", text)
    assert "2022 年监测线 / 低保标准" in text  # the parameters used: the store's, made in code
    assert "±4.5%" in text and "代码中修改的参数" in text


def test_district_overview_runs_standalone_from_the_workbook(small_case, tmp_path):
    _, workbook, analysis = small_case
    nb = _run("district_overview.ipynb", tmp_path / "district.ipynb", {
        "store_dir": "", "input_path": str(workbook), "policy_path": "", "output_dir": str(tmp_path),
    })
    _check_clean(nb)
    text = _text(nb)
    assert _headings(nb) == list(DISTRICT_SECTIONS)
    assert "# 全区增收监测总览（2021—2022年）" in text
    assert "一村" in text and "二村" in text
    html = [o["data"]["text/html"] for o in _outputs(nb) if "text/html" in o.get("data", {})]
    assert len([h for h in html if "Plotly.newPlot" in h]) == 6
    assert f"**户数**：{analysis.households.height} 户" in text
    from lib.present.charts import village_ranking

    (table,) = [h for h in html if "<caption>各村减收户与预警户</caption>" in h]
    first_cells = re.findall(r'<tr(?: class="zs-more")?><td>([^<]*)</td>', table)
    assert first_cells == village_ranking(analysis.households).get_column("村").to_list()
