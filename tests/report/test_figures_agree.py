"""One figure, one value on every page: what feeds a briefing, the district page, the index,
the Excel ledger and summary.json agrees with lib.rules.figures, village by village, on the
demo and on random districts; the slow test reads a few figures back from the HTML of a run."""

from __future__ import annotations

import html
import re

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lib.catalogue import DISTRICT, RED, SOURCE_ROW
from lib.demo.district import generate_demo, generate_households
from lib.interactive.explore import village_summary
from lib.policy import default_policy
from lib.present import charts, definitions, tables
from lib.report import store
from lib.report.excel import district_sheets, village_sheets
from lib.report.pipeline import index_figures
from lib.rules.analysis import analyze
from lib.rules.figures import SHOWN, heading, label, village_figures, village_row
from tests.factories import input_data


def _analysed(frames):
    numbered = {k: v.with_row_index(SOURCE_ROW, offset=2).with_columns(pl.col(SOURCE_ROW).cast(pl.Int64))
                for k, v in frames.items()}
    return analyze(input_data(numbered["households"], numbered["income"], numbered["measures"]), default_policy())


def _yuan(value: float) -> str:
    return tables.md_escape(tables.yuan(value))


def _line(text: str, name: str) -> str:
    """The value after '**name**：' in a key-figure list."""
    found = re.search(r"\*\*" + re.escape(tables.md_escape(name)) + r"\*\*：([^\n]*)", text)
    assert found, f"{name} not in {text}"
    return found.group(1)


def check_pages_agree(analysis, tmp_path) -> None:
    table = village_figures(analysis.households)
    saved = store.load(store.save(analysis, tmp_path / "analysis"))  # what the district page reads
    per_village, district_index = index_figures(saved.summary)
    ranking = charts.village_ranking(saved.households)
    explored = village_summary(saved.households)
    comparison = district_sheets(saved)["各村对比"]
    for village in table.filter(pl.col("村") != DISTRICT).get_column("村").to_list():
        want = village_row(table, village)
        # summary.json (saved and read back) and the index built from it
        got = next(r for r in saved.summary["各村"] if r["村"] == village)
        for f in SHOWN:
            assert got[f.label] == pytest.approx(want[f.label], abs=0.01, nan_ok=True), (village, f.label)
        for key in definitions.INDEX:
            assert per_village[village][heading(key)] == pytest.approx(want[label(key)], abs=0.01), (village, key)
        # the village's Excel ledger: its 台账汇总 row
        sheet = village_sheets(saved, village)["台账汇总"].row(0, named=True)
        for column in sheet:
            if column not in ("乡镇", "村"):
                assert sheet[column] == pytest.approx(want[column], nan_ok=True), (village, column)
        # the district page's ranking, the district ledger's 各村对比 and explore's summary
        for frame in (ranking, comparison, explored):
            row = frame.filter(pl.col("村") == village).row(0, named=True)
            for column in row:
                if column != "村":
                    assert row[column] == pytest.approx(want[column], nan_ok=True), (village, column)
        # the briefing's key-figure lines, computed on the village's own households
        hh = tables.village_view(saved, village).households
        text = tables.measure_figures(hh).data
        assert _line(text, label("expected_gain")) == _yuan(want["预计增收合计"])
        assert _line(text, label("shortfall")) == _yuan(want["收入缺口合计"])
        assert _line(text, label("decrease_unhelped")) == f"{want['尚无措施的减收户数']} 户"
        assert _line(text, label("at_risk_unhelped")) == f"{want['风险未帮扶户数']} 户"
        assert _line(tables.warning_figures(hh).data, label(f"level_{RED}")) == f"{want['红色预警']} 户"
        assert _line(tables.survey_figures(hh, saved.year_last, saved.year_this).data,
                     label("not_surveyed")).startswith(f"{want['未排查']} 户")
        # the coverage chart's bars of all 减收 households
        closes, short, none = charts.coverage(hh).data
        assert (closes.x[0], short.x[0] + closes.x[0], none.x[0]) == (
            want["可补足缺口的减收户数"], want["有措施的减收户数"], want["尚无措施的减收户数"])
    # 全区: index, the district page's key figures, the district ledger's 台账汇总 last row
    whole = village_row(table, DISTRICT)
    for key in definitions.INDEX:
        assert district_index[heading(key)] == pytest.approx(whole[label(key)], abs=0.01), key
    text = tables.measure_figures(saved.households).data
    assert _line(text, label("expected_gain")) == _yuan(whole["预计增收合计"])
    assert district_sheets(saved)["台账汇总"].row(-1, named=True)["预计增收合计"] == pytest.approx(whole["预计增收合计"])
    # the appendix names every figure the briefing shows
    appendix = definitions.appendix(definitions.VILLAGE_BRIEFING).data
    for key in (*tables.MEASURE_FIGURES, *tables.SURVEY_FIGURES, *tables.WARNING_FIGURES):
        assert tables.md_escape(label(key)) in appendix


def test_demo_pages_agree(tmp_path):
    check_pages_agree(_analysed(generate_demo()), tmp_path)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                HealthCheck.function_scoped_fixture])
@given(n=st.integers(40, 160), seed=st.integers(0, 10_000))
def test_random_district_pages_agree(tmp_path_factory, n, seed):
    check_pages_agree(_analysed(generate_households(n, seed)), tmp_path_factory.mktemp("d"))


def _page_text(path) -> str:
    page = path.read_text(encoding="utf-8")
    page = re.sub(r"<(script|style)\b.*?</\1>", "", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


@pytest.mark.slow
def test_a_run_shows_one_value_per_figure(tmp_path):
    """The real notebooks on a small district: the same figures read back from the HTML."""
    from lib.report.pipeline import report_from_analysis

    villages = pl.DataFrame({"乡镇": ["前进乡", "前进乡"], "村": ["一村", "二村"], "户数": [40, 30],
                             "冰雹受灾": [False, True], "产业项目减收": [True, False]})
    analysis = _analysed(generate_households(70, 5, villages=villages))
    result = report_from_analysis(analysis, tmp_path, workers=2, progress=False)
    assert not result.failed, result.failed
    table = village_figures(analysis.households)
    index = _page_text(tmp_path / "index.html")
    district = _page_text(tmp_path / "district.html")
    assert "指标口径" in index and "附：指标口径" in district
    whole = village_row(table, DISTRICT)
    assert f"预计增收合计：{whole['预计增收合计']:,.0f}元" in re.sub(r"\s+", "", district)
    for village in ("一村", "二村"):
        want = village_row(table, village)
        page = re.sub(r"\s+", "", _page_text(tmp_path / f"{village}.html"))
        assert "附：指标口径" in page
        assert f"预计增收合计：{want['预计增收合计']:,.0f}元" in page
        assert f"收入缺口合计：{want['收入缺口合计']:,.0f}元" in page
        assert f"尚无措施的减收户数：{want['尚无措施的减收户数']}户" in page
        # the index's row for the village: 户数 first, 收入缺口合计 and 减收金额合计 last
        row = re.search(re.escape(village) + r" 打开简报 下载台账 ([\d, ]+)", re.sub(r"\s+", " ", index)).group(1)
        numbers = row.split()
        assert numbers[0] == f"{want['户数']:,}"
        assert numbers[-2:] == [f"{want['收入缺口合计']:,.0f}", f"{want['减收金额合计']:,.0f}"]
