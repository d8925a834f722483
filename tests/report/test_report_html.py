"""lib.report.html: executed notebook → offline HTML, and the check for references to other hosts.

These tests build executed notebooks in memory (outputs made by plotly's own renderers and
polars' table repr), so they need no kernel; the notebook runs are in test_report_pipeline.
"""

from __future__ import annotations

import json
import re

import nbformat
import plotly.graph_objects as go
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from lib.report import html as report_html
from lib.present.notebook import offline_notebook_renderer
from lib.report.html import (
    OfflineError,
    ReportTooLarge,
    escape,
    external_references,
    notebook_to_html,
    render_html,
)

HOSTILE = "<script>window.__xss = 1</script>"
CODE_MARKER = "secret_code_marker_4711"


def figure_output(title: str, renderer=None) -> dict:
    fig = go.Figure(go.Bar(x=["张三", HOSTILE], y=[8200, 5400]), layout={"title": title})
    renderer = renderer or offline_notebook_renderer(embed_plotlyjs=False)
    return new_output("display_data", data=renderer.to_mimebundle(fig.to_dict()))


def executed_notebook(n_figures: int = 2, extra_outputs=()) -> nbformat.NotebookNode:
    """What a report kernel leaves behind: hidden code, a table, figures, a warning."""
    table = pl.DataFrame({"户主姓名": ["张三", HOSTILE], "本年人均纯收入": [8200.0, 5400.0]})
    outputs = [
        new_output("stream", name="stdout", text=f"户主：{HOSTILE}\n"),
        new_output("stream", name="stderr", text="UserWarning: 只应留在审计笔记本里\n"),
        new_output("execute_result", data={"text/html": table._repr_html_(), "text/plain": str(table)},
                   execution_count=1),
        *[figure_output(f"图{i + 1}") for i in range(n_figures)],
        *extra_outputs,
    ]
    nb = new_notebook(cells=[
        new_markdown_cell("# 示例村增收监测简报\n\n## 一、排查概况"),
        new_code_cell(f"{CODE_MARKER} = 1\nprint('hidden')", outputs=outputs, execution_count=1),
    ])
    nb.metadata["language_info"] = {"name": "python"}
    return nb


@pytest.fixture(scope="module")
def page() -> str:
    return render_html(executed_notebook(), "示例村增收监测简报")


# ---------------------------------------------------------------------------------------
# The page
# ---------------------------------------------------------------------------------------


def test_page_is_chinese_and_shows_no_code(page):
    assert re.search(r'<html lang="zh">', page)
    assert "<title>示例村增收监测简报</title>" in page
    assert CODE_MARKER not in page
    for element in ('class="jp-InputPrompt', 'class="jp-OutputPrompt', 'class="jp-InputArea-editor',
                    'class="highlight', "In&nbsp;["):
        assert element not in page
    assert "一、排查概况" in page


def test_page_embeds_plotlyjs_once_before_the_figures(page):
    assert report_html.plotlyjs_copies(page) == 1
    assert page.count("Plotly.newPlot(") == 2
    # pako first, then the packed bundle, then the figures that need it
    assert (page.index('data-zs-inflate="pako"') < page.index(report_html.PLOTLYJS_MARK)
            < page.index("Plotly.newPlot("))


def test_the_embedded_bundle_is_the_vendored_partial_one_and_matches_plotly_py(page):
    from plotly.offline import get_plotlyjs_version

    vendored = report_html.PLOTLYJS_BUNDLE.parent
    assert {"LICENSE", "package.json", "SOURCE.txt"} <= {p.name for p in vendored.iterdir()}
    pinned = json.loads((vendored / "package.json").read_text(encoding="utf-8"))
    assert pinned["name"] == "plotly.js-finance-dist-min" and pinned["license"] == "MIT"
    assert report_html.plotlyjs_version() == pinned["version"]
    # npm has no finance bundle of plotly.py's exact plotly.js (4.1.1): the nearest, 4.1.0, is
    # pinned; figure JSON is stable within a minor version
    assert pinned["version"].split(".")[:2] == get_plotlyjs_version().split(".")[:2]
    carried = report_html.embedded_plotlyjs(page)
    assert carried == report_html.PLOTLYJS_BUNDLE.read_text(encoding="utf-8")  # byte for byte
    assert carried.lstrip("/! \n*").startswith("plotly.js (finance - minified) v" + pinned["version"])
    assert f'{report_html.PLOTLYJS_MARK}="{pinned["version"]}"' in page
    assert len(page.encode()) < 1_000_000  # the packed bundle is 0.6 MB of it


def test_the_inflater_is_the_vendored_pako_and_the_page_carries_it_unchanged(page):
    vendored = report_html.INFLATE_SCRIPT.parent
    assert {"LICENSE", "package.json", "SOURCE.txt"} <= {p.name for p in vendored.iterdir()}
    pinned = json.loads((vendored / "package.json").read_text(encoding="utf-8"))
    assert pinned["name"] == "pako" and pinned["version"] == "2.1.0"
    assert f"pako {pinned['version']}" in (vendored / "SOURCE.txt").read_text(encoding="utf-8")
    assert report_html.INFLATE_SCRIPT.read_text(encoding="utf-8") in page


def briefing_figures() -> dict:
    """Every chart the village briefing and the district overview draw, on a generated district."""
    from factories import generated_input

    from lib.demo.district import village_table
    from lib.policy import default_policy
    from lib.present import charts
    from lib.rules.analysis import analyze

    policy = default_policy()
    a = analyze(generated_input(80, 5, village_table(80, 5)), policy)
    y1, y2, hh = a.year_last, a.year_this, a.households
    return {
        "income_kinds": charts.income_kinds(hh, y1, y2),
        "per_capita_distribution": charts.per_capita_distribution(hh, y1, y2, policy),
        "change_waterfall": charts.change_waterfall(a.items, y1, y2, policy=policy),
        "risk_points": charts.risk_points(a.risks),
        "warning_levels": charts.warning_levels(hh),
        "measures_by_kind": charts.measures_by_kind(a.measures),
        "coverage": charts.coverage(hh),
        "villages_ranked": charts.villages_ranked(hh),
        "fgt_by_village": charts.fgt_by_village(a.fgt, y1, y2),
        "transitions": charts.transitions(a.transitions, y1, y2, policy),
    }


def test_every_briefing_chart_draws_with_the_bundle():
    from plotly.io import to_json

    figures = {name: to_json(fig) for name, fig in briefing_figures().items()}
    assert set(figures) >= {"income_kinds", "change_waterfall", "transitions", "fgt_by_village"}
    for name, fig in figures.items():
        types = {t.get("type", "scatter") for t in json.loads(fig)["data"]}
        assert types <= report_html.PLOTLYJS_TRACES, (name, types)


def test_the_style_sheet_keeps_only_what_the_page_can_match():
    css = ("x" * report_html._PRUNE_ABOVE + "{}"
           ":root{--used: 1px; --unused: url(data:image/svg+xml;base64,AAA); --themed: red}"
           ".jp-Used{margin: var(--used)} .jp-Unused, .jp-Used .jp-Absent{color: blue}"
           ".a--b:hover{color: green} @media print{.jp-Used{display: none} .jp-Unused{x: 1}}"
           "@keyframes spin{0% {opacity: 0} 100% {opacity: 1}} td{padding: 0}")
    page = (f"<style>{css}</style><style>:root{{--theme: var(--themed)}}</style>"
            '<div class="jp-Used a--b"></div>')
    pruned = report_html.prune_css(page)
    assert ".jp-Used{margin: var(--used)}" in pruned and "td{padding: 0}" in pruned
    assert ".jp-Unused" not in pruned and "jp-Absent" not in pruned
    assert "@media print{.jp-Used{display: none}}" in pruned and "@keyframes spin" in pruned
    assert ".a--b:hover{color: green}" in pruned  # a selector is not a custom property
    assert "--used: 1px" in pruned and "--themed: red" in pruned  # the small sheet refers to it
    assert "--unused" not in pruned and "base64" not in pruned


def test_page_refers_to_no_other_host(page):
    assert external_references(page) == []
    # what the stock lab template would have fetched is gone
    for cdn in ("require.js", "mathjax", "mermaid", "html-manager"):
        assert not re.search(rf"<script[^>]*src=[^>]*{cdn}", page, re.IGNORECASE)


def test_data_is_escaped_and_warnings_are_left_out(page):
    # the household name appears (table, stdout) only as text, never as markup
    assert HOSTILE not in page
    assert "&lt;script&gt;window.__xss = 1&lt;/script&gt;" in page
    assert "只应留在审计笔记本里" not in page


def test_chinese_fonts_come_from_css_only(page):
    assert "Microsoft YaHei" in page and "Noto Sans CJK SC" in page
    assert "@font-face" not in page


def test_a_page_without_figures_carries_no_plotlyjs():
    page = render_html(executed_notebook(n_figures=0), "无图")
    assert report_html.plotlyjs_copies(page) == 0 and "pako" not in page
    assert len(page.encode()) < 300_000


def test_plotlyjs_already_in_an_output_is_not_added_again():
    # a notebook run interactively: plotly's renderer put plotly.js in the first output
    from plotly.offline import get_plotlyjs

    bundle = new_output("display_data", data={"text/html": f"<script>{get_plotlyjs()}</script>"})
    nb = executed_notebook(n_figures=1)
    nb.cells[1].outputs.insert(0, bundle)
    page = render_html(nb, "交互运行")
    assert report_html.plotlyjs_copies(page) == 1 and report_html.PLOTLYJS_MARK not in page
    assert external_references(page) == []


def test_stock_notebook_renderer_cdn_mathjax_is_removed():

    from plotly.io._base_renderers import NotebookRenderer

    stock = NotebookRenderer()  # plotly's own (whatever renderer another test installed): adds a MathJax CDN tag
    raw = figure_output("原样", renderer=stock)["data"]["text/html"]
    assert external_references(raw), "plotly's notebook renderer asks for MathJax from a CDN"
    page = render_html(executed_notebook(n_figures=0, extra_outputs=[figure_output("原样", stock)]), "x")
    assert external_references(page) == []
    assert page.count("Plotly.newPlot(") == 1


def test_cells_tagged_remove_are_left_out():
    nb = executed_notebook(n_figures=0)
    nb.cells.append(new_code_cell("x", metadata={"tags": ["remove_cell"]},
                                  outputs=[new_output("stream", name="stdout", text="内部核对用\n")]))
    assert "内部核对用" not in render_html(nb, "x")


# ---------------------------------------------------------------------------------------
# Writing the file
# ---------------------------------------------------------------------------------------


def test_notebook_to_html_writes_the_page_from_a_file(tmp_path):
    ipynb = tmp_path / "示例村.ipynb"
    nbformat.write(executed_notebook(), ipynb)
    report = notebook_to_html(ipynb, tmp_path / "示例村.html", "示例村增收监测简报")
    text = report.path.read_text(encoding="utf-8")
    assert report.size == len(text.encode("utf-8")) and report.external == ()
    assert report_html.plotlyjs_copies(text) == 1
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp litter


def test_a_page_that_needs_the_network_is_refused_and_not_written(tmp_path):
    evil = new_output("display_data", data={"text/html": '<img src="https://tile.example.org/a.png">'})
    out = tmp_path / "坏.html"
    with pytest.raises(OfflineError) as caught:
        notebook_to_html(executed_notebook(0, [evil]), out, "坏")
    assert caught.value.urls == ["https://tile.example.org/a.png"]
    assert not out.exists()


def test_a_page_over_the_size_limit_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(report_html, "MAX_HTML_BYTES", 200_000)
    out = tmp_path / "大.html"
    out.write_text("上次的报告", encoding="utf-8")
    with pytest.raises(ReportTooLarge, match="MB"):
        notebook_to_html(executed_notebook(), out, "大")
    assert out.read_text(encoding="utf-8") == "上次的报告"  # the previous file is untouched


# ---------------------------------------------------------------------------------------
# external_references
# ---------------------------------------------------------------------------------------

LOADS = [
    ('<script src="https://cdn.example.org/require.js"></script>', "https://cdn.example.org/require.js"),
    ("<SCRIPT SRC='//cdn.example.org/x.js'></SCRIPT>", "//cdn.example.org/x.js"),
    ('<script type="text/javascript" charset="utf-8" src=http://a.example.org/x.js></script>', "http://a.example.org/x.js"),
    ('<link rel="stylesheet" href="https://fonts.example.org/css?family=Noto">', "https://fonts.example.org/css?family=Noto"),
    ('<link rel="preconnect" href="https://fonts.example.org">', "https://fonts.example.org"),
    ('<img alt="地图" src="https://tile.example.org/1/2/3.png">', "https://tile.example.org/1/2/3.png"),
    ('<img src="a.png" srcset="a.png 1x, https://img.example.org/b.png 2x">', "https://img.example.org/b.png"),
    ('<iframe width="600" src="https://maps.example.org/embed"></iframe>', "https://maps.example.org/embed"),
    ('<video poster="https://v.example.org/p.jpg"></video>', "https://v.example.org/p.jpg"),
    ('<object data="https://x.example.org/a.swf"></object>', "https://x.example.org/a.swf"),
    ('<svg><image href="https://x.example.org/i.svg"/></svg>', "https://x.example.org/i.svg"),
    ('<script type="module">import mermaid from "https://cdn.example.org/mermaid.esm.mjs";</script>',
     "https://cdn.example.org/mermaid.esm.mjs"),
    ("<script type=module>import { a, b } from 'https://cdn.example.org/m.js'</script>", "https://cdn.example.org/m.js"),
    ('<script type="module">import "https://cdn.example.org/side-effect.js";</script>',
     "https://cdn.example.org/side-effect.js"),
    ('<script type="module">export * from "https://cdn.example.org/re.js";</script>', "https://cdn.example.org/re.js"),
    ('<script>const m = (await import("https://cdn.example.org/dyn.mjs")).default;</script>',
     "https://cdn.example.org/dyn.mjs"),
    ("<script>import(`https://cdn.example.org/tpl.mjs`)</script>", "https://cdn.example.org/tpl.mjs"),
    ('<script>new Worker("https://w.example.org/w.js")</script>', "https://w.example.org/w.js"),
    ("<style>body { background: url(https://img.example.org/bg.png) }</style>", "https://img.example.org/bg.png"),
    ("<style>@font-face { src: url('//fonts.example.org/f.woff2') }</style>", "//fonts.example.org/f.woff2"),
    ('<style>@import "https://css.example.org/a.css";</style>', "https://css.example.org/a.css"),
    ("<style>@import url(https://css.example.org/b.css);</style>", "https://css.example.org/b.css"),
    ('<div style="background-image: url(&quot;https://img.example.org/c.png&quot;)">',
     "https://img.example.org/c.png"),
    ('<meta http-equiv="refresh" content="0; url=https://elsewhere.example.org/">', "https://elsewhere.example.org/"),
]


@pytest.mark.parametrize(("snippet", "url"), LOADS)
def test_external_references_finds_each_kind_of_load(snippet, url):
    assert external_references(f"<html><body><p>前文</p>{snippet}<p>后文</p></body></html>") == [url]


LOCAL = [
    '<img src="data:image/png;base64,iVBORw0KGgo=">',
    "<style>.x { background: url(\"data:image/svg+xml,<svg xmlns='http://www.w3.org/2000/svg'/>\") }</style>",
    '<script src="plotly.min.js"></script><link href="./style.css" rel="stylesheet">',
    '<a href="https://www.example.org/policy.html">政策原文</a>',  # navigation, not a load
    '<a href="#section-2">跳转</a><img src="images/chart.png">',
    '<script src="file:///usr/share/javascript/x.js"></script>',
    "<p>来源：https://www.example.org/2022/notice.html</p>",
    "<p>备注：见 url(https://example.org/x) 与 import(//example.org/y)</p>",  # text, not CSS or JS
    '<script>var topojsonURL = "https://cdn.example.org/un/"; // comment https://x.example.org</script>',
    '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"></svg>',
    "<pre>&lt;script src=&quot;https://evil.example.org/x.js&quot;&gt;&lt;/script&gt;</pre>",
]


@pytest.mark.parametrize("snippet", LOCAL)
def test_external_references_ignores_local_and_inert_urls(snippet):
    assert external_references(snippet) == []


def test_external_references_lists_each_url_once_in_page_order():
    page = ('<script src="https://b.example.org/x.js"></script><img src="https://a.example.org/i.png">'
            '<script src="https://b.example.org/x.js"></script>')
    assert external_references(page) == ["https://b.example.org/x.js", "https://a.example.org/i.png"]


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_escaped_data_never_counts_as_a_reference(text):
    for wrapped in (f"<p>{escape(text)}</p>", f'<td title="{escape(text)}">{escape(text)}</td>'):
        assert external_references(wrapped) == []


@settings(max_examples=100, deadline=None)
@given(st.sampled_from([url for _, url in LOADS]), st.text(alphabet="中文 abc<>&\"'", max_size=30))
def test_a_load_is_found_whatever_text_surrounds_it(url, text):
    page = f"<p>{escape(text)}</p><script src=\"{url}\"></script><p>{escape(text)}</p>"
    assert external_references(page) == [url]


def test_escape_covers_markup_quotes_and_backticks():
    assert escape('<b a="1" c=\'2\'>`x` & y</b>') == (
        "&lt;b a=&quot;1&quot; c=&#x27;2&#x27;&gt;&#96;x&#96; &amp; y&lt;/b&gt;"
    )
    assert escape(None) == ""


def test_a_part_over_its_limit_is_named_in_the_message(tmp_path, monkeypatch):
    monkeypatch.setitem(report_html.PART_LIMITS, "文字及其他", 1_000)
    out = tmp_path / "大.html"
    with pytest.raises(ReportTooLarge, match=r"“文字及其他”部分 .* MB，超过该部分 0\.0 MB 的上限"):
        notebook_to_html(executed_notebook(), out, "大")
    assert not out.exists()


def test_page_parts_add_up_to_the_page():
    page = ('<html><script>/* plotly.js v3 */</script><div class="zs-table" id="t"><table></table></div>'
            '<script>Plotly.newPlot("x")</script><p>文字</p></html>')
    parts = report_html.page_parts(page)
    assert sum(parts.values()) == len(page.encode("utf-8"))
    assert parts["表格"] > 0 and parts["图表数据"] > 0 and parts["文字及其他"] > 0
