"""Every village renders: odd villages (all 未排查, all income 0, one household, no measures,
no risk) and names holding `${1}`, `{0}`, `%s`, `</script>`, quotes, emoji or 10,000
characters go through the briefing — the notebook's own cells in process for random villages
(hypothesis), and the whole pipeline with real kernels for the named cases."""

from __future__ import annotations

import html
import json
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from factories import household, income_row, input_data, measure_row
from lib.policy import default_policy
from lib.rules.analysis import analyze

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "village_report.ipynb"
ODD_NAMES = ("${1}村", "{0}村", "%s村", "</script><script>alert(1)</script>", "引号\"'村", "😀村", "长" * 10_000)
KINDS = ("未排查", "零收入", "减收", "增收", "无措施")


def district(villages: dict[str, tuple[str, int]]):
    """An Analysis of villages given as name → (kind, households)."""
    hh, inc, measures = [], [], []
    for v, (kind, n) in villages.items():
        for i in range(n):
            h = f"{abs(hash(v)) % 10**6:06d}{i:03d}"
            hh.append(household(h, 村=v, 家庭人口数=1 + i % 3, 劳动力人数=i % 2))
            if kind == "未排查":
                continue
            if kind == "零收入":
                inc += [income_row(h, 2021), income_row(h, 2022)]
                continue
            last, this = 20000, 20000 + (-6000 if kind in ("减收", "无措施") else 3000) + 100 * i
            inc += [income_row(h, 2021, 务工收入=last, 务工月数=10),
                    income_row(h, 2022, 务工收入=this, 务工月数=8)]
            if kind == "减收":
                measures.append(measure_row(h, "M1", 预计增收=3000))
    inc += [income_row("占位户", 2021), income_row("占位户", 2022)]  # two years in the input
    return analyze(input_data(hh, inc, measures), default_policy())


def _cells() -> list[str]:
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    return [("".join(c["source"]), "parameters" in c.get("metadata", {}).get("tags", ()))
            for c in nb["cells"] if c["cell_type"] == "code"]


def render_in_process(analysis, village: str) -> list[str]:
    """Run the briefing's cells for ``village`` here, rendering each cell's value as Jupyter
    would (HTML, Markdown or a plotly figure's JSON)."""
    import ast

    from lib.report import store  # noqa: F401 (the cells import what they need)

    namespace: dict = {"__name__": "briefing"}
    shown = []
    for source, is_parameters in _cells():
        if is_parameters:
            exec(source, namespace)
            namespace.update(village=village, store_dir="")
            continue
        source = source.replace("analysis = analyze(read_input(input_path), load_policy(policy_path or None))",
                                "analysis = __analysis__")
        namespace["__analysis__"] = analysis
        tree = ast.parse(source)
        last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        exec(compile(tree, "<cell>", "exec"), namespace)
        if last is not None:
            value = eval(compile(ast.Expression(last.value), "<cell>", "eval"), namespace)
            for method in ("_repr_html_", "_repr_markdown_", "to_json"):
                if hasattr(value, method):
                    shown.append(str(getattr(value, method)()))
                    break
    return shown


@pytest.fixture
def plotly_state():
    """The briefing's set-up changes plotly's global renderer and template: put them back."""
    import plotly.io as pio

    from lib.present import notebook

    saved = (pio.renderers["notebook"], pio.renderers.default, pio.templates.default, notebook._SET_UP)
    yield
    pio.renderers["notebook"], pio.renderers.default, pio.templates.default, notebook._SET_UP = saved


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                   HealthCheck.function_scoped_fixture])  # restored once, after all examples
@given(
    name=st.one_of(st.sampled_from(ODD_NAMES), st.text(min_size=1, max_size=30).filter(lambda s: s.strip())),
    kind=st.sampled_from(KINDS),
    n=st.integers(1, 6),
)
def test_random_villages_render_through_the_briefing_cells(plotly_state, name, kind, n):
    analysis = district({name: (kind, n), "对照村": ("减收", 3)})
    village = analysis.households.filter(pl.col("户编号").str.starts_with(f"{abs(hash(name)) % 10**6:06d}"))["村"][0]
    shown = render_in_process(analysis, village)
    assert shown, "the briefing showed nothing"
    for part in shown:
        assert "<script>alert(1)" not in part  # data never becomes markup


@pytest.mark.slow
def test_odd_villages_get_a_briefing_and_a_ledger_from_the_pipeline(tmp_path):
    from lib.report.html import external_references
    from lib.report.pipeline import report_from_analysis

    villages = {"全未排查村": ("未排查", 3), "全零收入村": ("零收入", 3), "单户村": ("减收", 1),
                "无措施村": ("无措施", 3), "无风险村": ("增收", 3)}
    villages |= {name: ("减收", 2) for name in ODD_NAMES}
    analysis = district(villages)
    result = report_from_analysis(analysis, tmp_path / "outputs", workers=2, progress=False)
    assert not result.failed, [(r.village[:20], r.error, r.detail[-300:]) for r in result.failed]
    assert len(result.villages) == len(villages)
    for r in result.villages:
        page = (tmp_path / "outputs" / r.html).read_text(encoding="utf-8")
        assert external_references(page) == [] and (tmp_path / "outputs" / r.ledger).is_file()
        assert "<script>alert(1)" not in page
        assert html.escape(r.village[:50], quote=False) in page or r.village[:50] in html.unescape(page)
