"""The report machinery: atomic writes, index.html, papermill runs, the pipeline (the store: test_report_store).

Tests that start kernels are marked slow; they run the tiny notebook in tests/notebooks.
"""

from __future__ import annotations

import ast
import html
import json
import re
import zipfile
from pathlib import Path
from urllib.parse import unquote

import nbformat
import polars as pl
import pytest

from factories import generated_input
from lib.io.atomic import atomic_path, write_text
from lib.report.html import external_references, plotlyjs_copies
from lib.report.index import render_index, write_index
from lib.report.pipeline import file_stems, index_figures

TINY = Path(__file__).resolve().parents[1] / "notebooks" / "tiny_report.ipynb"
HOSTILE_VILLAGE = '<i>"红旗"</i>/村'


# ---------------------------------------------------------------------------------------
# Atomic writes
# ---------------------------------------------------------------------------------------


def _litter(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_write_text_replaces_the_file_whole(tmp_path):
    path = tmp_path / "sub" / "index.html"
    write_text(path, "旧")
    write_text(path, "新的内容")
    assert path.read_text(encoding="utf-8") == "新的内容"
    assert _litter(path.parent) == []


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "台账.xlsx"
    path.write_bytes(b"old")
    with pytest.raises(ValueError), atomic_path(path) as tmp:
        assert tmp.parent == path.parent and tmp.suffix == ".xlsx" and tmp != path
        tmp.write_bytes(b"half a work")
        raise ValueError("disk full")
    assert path.read_bytes() == b"old"
    assert _litter(tmp_path) == []


def test_a_writer_that_wrote_nothing_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError), atomic_path(tmp_path / "x.csv"):
        pass
    assert not (tmp_path / "x.csv").exists()


# ---------------------------------------------------------------------------------------
# File names and index.html
# ---------------------------------------------------------------------------------------


def test_file_stems_are_safe_distinct_and_avoid_reserved_names():
    stems = file_stems(["东村", "a/b", "a:b", "index", "District", "  .村. ", HOSTILE_VILLAGE])
    assert stems["东村"] == "东村"
    assert stems["a/b"] == "a_b" and stems["a:b"] == "a_b_2"  # both map to a_b: second gets _2
    assert stems["index"] == "index_2" and stems["District"] == "District_2"
    assert stems["  .村. "] == "村"
    assert not re.search(r'[<>:"/\\|?*]', stems[HOSTILE_VILLAGE])
    assert len(set(stems.values())) == len(stems)


def test_index_links_every_report_and_escapes_names(tmp_path):
    stems = file_stems(["东村", HOSTILE_VILLAGE])
    villages = [
        {"village": v, "html": f"{stems[v]}.html", "ledger": f"{stems[v]}_台账.xlsx",
         "summary": {"户数": 12, "减收户": 3, "减收金额（元）": 12345.5}}
        for v in ("东村", HOSTILE_VILLAGE)
    ]
    for v in villages:
        (tmp_path / v["html"]).write_text("x", encoding="utf-8")
        (tmp_path / v["ledger"]).write_bytes(b"x")
    failed = [{"village": "<script>alert(1)</script>", "error": "ValueError: 第一行\n<b>traceback</b>"}]
    path = write_index(tmp_path, villages, {"html": "district.html", "ledger": None, "summary": {"户数": 24}},
                       failed, meta={"数据来源": "输入<1>.xlsx"})
    page = path.read_text(encoding="utf-8")

    assert '<html lang="zh">' in page and external_references(page) == []
    assert "<script" not in page and "<i>" not in page and "<b>traceback" not in page
    assert "&lt;i&gt;&quot;红旗&quot;&lt;/i&gt;/村" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "ValueError: 第一行" in page
    assert "输入&lt;1&gt;.xlsx" in page
    hrefs = [unquote(h) for h in re.findall(r'href="([^"]+)"', page)]
    assert sorted(hrefs) == sorted([v["html"] for v in villages] + [v["ledger"] for v in villages] + ["district.html"])
    assert all((tmp_path / h).exists() for h in hrefs if h != "district.html")
    assert "12,346" in page  # yuan shown rounded with thousands separators


def test_index_without_reports_says_so():
    page = render_index([], None, [{"village": "东村", "error": "内核未能启动"}])
    assert "没有生成成功的村级简报" in page and "内核未能启动" in page


def test_index_figures_come_from_the_analysis_summary():
    # summary.json's 各村 and 全区 rows carry the figures of lib.rules.figures, by label
    east = {"村": "东村", "户数": 10, "减收": 3, "未排查": 1, "红色预警": 1, "橙色预警": 2, "应纳未纳": 1,
            "收入缺口合计": 1200.0, "减收金额合计": 1500.5}
    west = {"村": "西村", "户数": 8, "减收": 0, "未排查": 0, "红色预警": 0, "橙色预警": 0, "应纳未纳": 0,
            "收入缺口合计": 0.0, "减收金额合计": 0.0}
    district = {**{k: east[k] + west[k] for k in east if k != "村"}, "村": "全区"}
    per_village, shown = index_figures({"各村": [east, west], "全区": district})
    assert per_village["东村"] == {"户数（户）": 10, "未排查（户）": 1, "减收（户）": 3, "红色预警（户）": 1,
                                   "橙色预警（户）": 2, "应纳未纳（户）": 1, "收入缺口合计（元）": 1200.0,
                                   "减收金额合计（元）": 1500.5}
    assert shown["户数（户）"] == 18 and shown["减收（户）"] == 3 and shown["减收金额合计（元）"] == 1500.5
    assert index_figures({}) == ({}, {})


# ---------------------------------------------------------------------------------------
# A small real analysis
# ---------------------------------------------------------------------------------------

VILLAGES = pl.DataFrame({
    "乡镇": ["前进乡"] * 3, "村": ["东村", "出错村", HOSTILE_VILLAGE], "户数": [12, 8, 10],
    "冰雹受灾": [False, True, False], "产业项目减收": [True, False, False],
})


@pytest.fixture(scope="module")
def input_data():
    return generated_input(30, 7, VILLAGES, source="测试.xlsx")


@pytest.fixture(scope="module")
def analysis(input_data):
    from lib.policy import default_policy
    from lib.rules.analysis import analyze

    return analyze(input_data, default_policy())


# ---------------------------------------------------------------------------------------
# One notebook: papermill, the warm kernel, the retry
# ---------------------------------------------------------------------------------------


def _cell_text(nb) -> str:
    return "\n".join(
        "".join(o.get("text", "")) for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
    )


@pytest.mark.slow
def test_tiny_notebook_runs_and_converts_to_an_offline_page(tmp_path):
    from lib.report.execute import run_notebook
    from lib.report.html import notebook_to_html

    run = run_notebook(TINY, tmp_path / "nb" / "测试村.ipynb", {"village": "测试村", "n_figures": 3})
    assert run.attempts == 1
    kept = nbformat.read(run.out_ipynb, as_version=4)  # the audit copy on disk
    injected = [c for c in kept.cells if "injected-parameters" in c.metadata.get("tags", [])]
    # papermill writes the parameters as Python assignments of literals
    values = {node.targets[0].id: ast.literal_eval(node.value) for node in ast.parse(injected[0].source).body}
    assert values == {"village": "测试村", "n_figures": 3}
    assert "测试村：共 3 户" in _cell_text(kept)
    assert kept.metadata.kernelspec.name == "python3"
    assert run.out_ipynb.stat().st_size < 200_000  # plotly.js is not carried through the kernel

    page = notebook_to_html(run.nb, tmp_path / "测试村.html", "测试村增收监测简报")
    text = page.path.read_text(encoding="utf-8")
    assert '<html lang="zh">' in text
    assert "setup_notebook" not in text and "n_figures" not in text  # no code
    assert plotlyjs_copies(text) == 1 and text.count("Plotly.newPlot(") == 3
    assert external_references(text) == [] and page.external == ()
    assert "<script>window.__xss" not in text and "&lt;script&gt;window.__xss" in text
    assert "只应留在审计用的笔记本里" not in text  # the warning stays in the audit notebook
    assert "只应留在审计用的笔记本里" in json.dumps(kept, ensure_ascii=False)
    assert page.size <= 6 * 1024 * 1024


@pytest.mark.slow
def test_a_failing_cell_is_reported_and_its_notebook_kept(tmp_path):
    from lib.report.execute import NotebookFailed, run_notebook

    out = tmp_path / "坏村.ipynb"
    with pytest.raises(NotebookFailed) as caught:
        run_notebook(TINY, out, {"village": "坏村", "fail": True}, prefetch=False)
    assert caught.value.ename == "ValueError" and "坏村：测试用的失败" in str(caught.value)
    kept = nbformat.read(out, as_version=4)
    errors = [o for c in kept.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert errors and errors[0].evalue == "坏村：测试用的失败"
    assert _litter(tmp_path) == []


@pytest.mark.slow
@pytest.mark.parametrize("warm", [True, False])
def test_a_kernel_that_fails_to_start_is_retried_once(tmp_path, monkeypatch, warm):
    from papermill.clientwrap import PapermillNotebookClient

    from lib.report import execute

    # with a warm kernel the client only connects; without one it also starts the kernel
    method = "start_new_kernel_client" if warm else "start_new_kernel"
    original = getattr(PapermillNotebookClient, method)
    calls = []

    def flaky(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 1:  # what the ZMQ port race looks like from here
            raise RuntimeError("Kernel died before replying to kernel_info")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(PapermillNotebookClient, method, flaky)  # under our client's wrapper
    run = execute.run_notebook(TINY, tmp_path / "v.ipynb", {"village": "重试村", "n_figures": 1},
                               warm=warm, prefetch=False)
    assert run.attempts == 2 and len(calls) == 2
    assert "重试村：共 3 户" in _cell_text(run.nb)
    # a kernel started by papermill (warm=False) is a report kernel too: plotly.js stays out
    assert plotlyjs_copies(json.dumps(run.nb)) == 0 and "Plotly.newPlot(" in json.dumps(run.nb)


@pytest.mark.slow
def test_a_kernel_that_never_starts_fails_after_one_retry(tmp_path, monkeypatch):
    from papermill.clientwrap import PapermillNotebookClient

    from lib.report import execute

    calls = []

    def dead(self, *args, **kwargs):
        calls.append(1)
        raise RuntimeError("Kernel died before replying to kernel_info")

    monkeypatch.setattr(PapermillNotebookClient, "start_new_kernel", dead)
    with pytest.raises(execute.KernelStartError, match="内核未能启动"):
        execute.run_notebook(TINY, tmp_path / "v.ipynb", {"village": "x"}, warm=False)
    assert len(calls) == execute.ATTEMPTS == 2
    assert not (tmp_path / "v.ipynb").exists() and _litter(tmp_path) == []


@pytest.mark.slow
def test_a_cell_error_is_not_retried(tmp_path, monkeypatch):
    from lib.report import execute

    starts = []
    original = execute._ReportClient.start_new_kernel_client
    monkeypatch.setattr(execute._ReportClient, "start_new_kernel_client",
                        lambda self: (starts.append(1), original(self))[1])
    with pytest.raises(execute.NotebookFailed):
        execute.run_notebook(TINY, tmp_path / "v.ipynb", {"village": "x", "fail": True}, prefetch=False)
    assert len(starts) == 1


# ---------------------------------------------------------------------------------------
# The pipeline
# ---------------------------------------------------------------------------------------


@pytest.mark.slow
def test_pipeline_reports_every_village_and_survives_a_failing_one(tmp_path, monkeypatch, input_data, capsys):
    from lib.policy import default_policy
    from lib.report import pipeline
    from lib.rules.analysis import analyze

    # a policy changed in code, never written to a file: it reaches every kernel as values
    policy = default_policy().with_rules(flat_band=0.045, source="代码中修改的参数")
    analysis = analyze(input_data, policy)
    monkeypatch.setattr(pipeline, "analyse_input", lambda *args, **kwargs: analysis)
    out = tmp_path / "outputs"
    out.mkdir()
    (out / "出错村.html").write_text("上次运行的旧简报", encoding="utf-8")
    result = pipeline.run_report(
        tmp_path / "输入.xlsx", out, workers=2,
        village_notebook=TINY, district_notebook=TINY, full_ids_copy=tmp_path / "完整台账",
    )
    by_name = {r.village: r for r in result.villages}
    assert list(by_name) == sorted(["东村", "出错村", HOSTILE_VILLAGE])

    # the failing village is reported in one sentence, the others finished
    assert [r.village for r in result.failed] == ["出错村"]
    assert by_name["出错村"].error == "简报计算时出错，未生成；详细记录在分析人员的运行日志中"
    assert "出错村：测试用的失败" in by_name["出错村"].detail  # the cell's own error, for the analyst
    work = tmp_path / "outputs_工作文件"  # outside outputs/: what a leader does not receive
    assert result.work_dir == work.resolve()
    assert (work / "notebooks" / "出错村.ipynb").exists()  # kept for audit
    assert not (out / "notebooks").exists() and not (out / "_work").exists()
    log = result.failure_log.read_text(encoding="utf-8")
    assert result.failure_log.parent == (work / "logs").resolve() and "测试用的失败" in log
    assert not (out / "出错村.html").exists()  # last run's page cannot pass for this run's
    err = capsys.readouterr().err
    assert "失败：出错村" in err and "失败记录.log" in err

    counts = dict(analysis.households.group_by("村").len().iter_rows())
    for village in ("东村", HOSTILE_VILLAGE):
        r = by_name[village]
        assert r.ok and r.attempts == 1 and r.seconds > 0 and r.execute_seconds > 0
        page = (out / r.html).read_text(encoding="utf-8")
        assert r.html_bytes == len(page.encode("utf-8")) <= 6 * 1024 * 1024
        assert external_references(page) == [] and plotlyjs_copies(page) == 1
        # the kernel loaded its own village from the store, with the policy made in code
        assert (f"分析结果：{village} {counts[village]} 户，2021—2022 年度，持平区间 0.045，参数来源 代码中修改的参数"
                in html.unescape(page))
        assert "<i>" not in page  # the hostile name is text wherever it appears
        with zipfile.ZipFile(out / r.ledger) as book:  # a real workbook, by the policy made in code
            assert "xl/workbook.xml" in book.namelist()
            # the 政策参数 cell: an inline string of the sheet (the ledger's rows) or a shared string
            assert any("±4.5%" in book.read(n).decode("utf-8") for n in book.namelist() if n.endswith(".xml"))
    assert result.district.ok and (out / "district.html").exists()
    district_page = html.unescape((out / "district.html").read_text(encoding="utf-8"))
    assert f"分析结果：全区 {analysis.households.height} 户" in district_page and "持平区间 0.045" in district_page
    assert result.district_ledger == "district_台账.xlsx" and (out / result.district_ledger).exists()
    assert result.township_ledgers == {"前进乡": "前进乡_台账.xlsx"} and (out / "前进乡_台账.xlsx").exists()
    # the full-ID copies, outside outputs/, one per ledger written
    copies = sorted(p.name for p in result.full_id_copies)
    assert copies == sorted([by_name["东村"].ledger, by_name[HOSTILE_VILLAGE].ledger, "前进乡_台账.xlsx",
                             "district_台账.xlsx"])
    full_id = analysis.households.get_column("证件号码").drop_nulls()[0]
    def xml_text(path) -> str:  # every XML part: cells are inline strings of the sheets or shared strings
        with zipfile.ZipFile(path) as book:
            return "".join(book.read(n).decode("utf-8") for n in book.namelist() if n.endswith(".xml"))

    assert full_id in xml_text(tmp_path / "完整台账" / "district_台账.xlsx")
    assert full_id not in xml_text(out / "district_台账.xlsx")

    index = result.index.read_text(encoding="utf-8")
    assert external_references(index) == []
    hrefs = {unquote(h) for h in re.findall(r'href="([^"]+)"', index)}
    assert hrefs == {by_name["东村"].html, by_name["东村"].ledger, by_name[HOSTILE_VILLAGE].html,
                     by_name[HOSTILE_VILLAGE].ledger, "district.html", "district_台账.xlsx", "前进乡_台账.xlsx", "进度.html"}
    assert all((out / h).exists() for h in hrefs)
    assert "&lt;i&gt;&quot;红旗&quot;&lt;/i&gt;/村" in index and "<i>" not in index
    assert "出错村" in index and "简报计算时出错" in index
    assert "测试用的失败" not in index and "Traceback" not in index and str(tmp_path) not in index
    assert [p.name for p in out.rglob(".*.tmp*")] == []


def test_the_full_id_copy_is_refused_inside_the_output_folder(tmp_path, capsys):
    from lib.cli import EXIT_BAD_INPUT, main

    out = tmp_path / "outputs"
    for inside in (out, out / "完整台账"):
        assert main(["report", str(tmp_path / "输入.xlsx"), "-o", str(out), "--full-ids-copy", str(inside)]) \
            == EXIT_BAD_INPUT
        assert "不能放在输出目录" in capsys.readouterr().err
    assert not (out / "完整台账").exists()


@pytest.mark.slow
def test_pipeline_runs_only_the_chosen_villages_and_rejects_unknown_ones(tmp_path, analysis):
    from lib.io.reader import InputError
    from lib.report.pipeline import report_from_analysis

    result = report_from_analysis(analysis, tmp_path, villages=["东村"], workers=1,
                                  village_notebook=TINY, district_notebook=tmp_path / "无.ipynb",
                                  progress=False)
    assert [r.village for r in result.villages] == ["东村"] and result.villages[0].ok
    # no district notebook: the villages still come out, the district is a reported failure
    assert [r.village for r in result.failed] == ["全区"] and "找不到全区总览笔记本" in result.failed[0].error
    with pytest.raises(InputError, match="没有这些村：西村"):
        report_from_analysis(analysis, tmp_path, villages=["西村"], village_notebook=TINY, progress=False)


@pytest.mark.slow
def test_jobs_run_the_same_on_a_dask_cluster(tmp_path):
    from dask.distributed import LocalCluster

    from lib.report.pipeline import VillageJob, run_jobs

    jobs = [VillageJob(v, v, f"{v}简报", str(TINY), str(tmp_path), "", str(tmp_path / "work"), {"village": v}, ledger=False,
                       prefetch=False) for v in ("东村", "出错村")]
    results = []
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        run_jobs(jobs, 1, scheduler=cluster.scheduler_address, progress=False, on_result=results.append)
    by_name = {r.village: r for r in results}
    assert by_name["东村"].ok and external_references((tmp_path / "东村.html").read_text(encoding="utf-8")) == []
    assert not by_name["出错村"].ok and "测试用的失败" in by_name["出错村"].detail


def test_township_ledgers_get_stems_apart_from_the_villages(analysis):
    from lib.report.pipeline import township_stems

    assert township_stems(analysis, ["东村"], ["东村"]) == {"前进乡": "前进乡"}
    assert township_stems(analysis, ["东村"], ["前进乡"]) == {"前进乡": "前进乡_2"}  # a village of that name
