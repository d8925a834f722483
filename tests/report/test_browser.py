"""A briefing opened the way a leader opens it: from disk, in Chromium, with no network.

Headless Debian ``chromium`` driven by playwright. Every request that is not ``file://`` is
blocked *and* recorded as a failure, so a page that merely tries to reach a CDN fails the
test even though the block keeps it from hanging. The plotly charts must be drawn (an SVG
per figure), with no console error and no failed request.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
TINY = Path(__file__).resolve().parents[1] / "notebooks" / "tiny_report.ipynb"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]

if not CHROMIUM.exists():
    pytest.skip("需要 Debian 软件包 chromium（/usr/bin/chromium 不存在）", allow_module_level=True)

# A figure counts as drawn when plotly laid it out (_fullLayout) and its SVG has shapes.
DRAWN_FIGURES = """() => [...document.querySelectorAll('.js-plotly-plot')]
    .filter(plot => plot._fullLayout && plot.querySelector('.main-svg path')).length"""


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield browser
        browser.close()


def open_offline(browser, path: Path, wait_for_figures: int = 0) -> dict:
    """Open ``path`` with the network cut off; what the page did and asked for."""
    context = browser.new_context(service_workers="block")
    page = context.new_page()
    seen = {"blocked": [], "failed": [], "errors": []}

    def guard(route):
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            seen["blocked"].append(route.request.url)
            route.abort("internetdisconnected")

    page.route("**/*", guard)
    page.on("console", lambda m: m.type == "error" and seen["errors"].append(m.text))
    page.on("pageerror", lambda e: seen["errors"].append(str(e)))
    page.on("requestfailed", lambda r: seen["failed"].append(r.url))
    page.goto(path.resolve().as_uri(), wait_until="load")
    if wait_for_figures:
        page.wait_for_function(f"({DRAWN_FIGURES})() >= {wait_for_figures}", timeout=30_000)
    page.wait_for_timeout(300)  # let late scripts (a lazy import, a font) show themselves
    seen["figures"] = page.evaluate(DRAWN_FIGURES)
    seen["bars"] = page.evaluate("document.querySelectorAll('.js-plotly-plot .barlayer .trace').length")
    seen["xss"] = page.evaluate("window.__xss")
    seen["lang"] = page.evaluate("document.documentElement.lang")
    seen["text"] = page.inner_text("body")
    context.close()
    return seen


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    from lib.report.execute import run_notebook
    from lib.report.html import notebook_to_html
    from lib.report.index import write_index

    folder = tmp_path_factory.mktemp("report")
    run = run_notebook(TINY, folder / "notebooks" / "示例村.ipynb", {"village": "示例村", "n_figures": 3},
                       prefetch=False)
    notebook_to_html(run.nb, folder / "示例村.html", "示例村增收监测简报")
    write_index(folder, [{"village": "示例村", "html": "示例村.html", "ledger": None, "summary": {"户数": 3}}],
                None, [])
    return folder


def test_report_draws_every_chart_offline(browser, report):
    seen = open_offline(browser, report / "示例村.html", wait_for_figures=3)
    assert seen["blocked"] == [] and seen["failed"] == []
    assert seen["errors"] == []
    assert seen["figures"] == 3 and seen["bars"] == 3
    assert seen["lang"] == "zh"
    assert "一、收入变化" in seen["text"]
    assert seen["xss"] is None  # the household name in the table and chart stayed text
    assert "<script>window.__xss = 1</script>" in seen["text"]


def test_index_opens_offline(browser, report):
    seen = open_offline(browser, report / "index.html")
    assert seen["blocked"] == [] and seen["failed"] == [] and seen["errors"] == []
    assert "示例村" in seen["text"] and seen["lang"] == "zh"


def test_the_guard_catches_a_page_that_reaches_for_the_network(browser, tmp_path):
    # the control: without it a broken guard would let every other test pass
    page = tmp_path / "cdn.html"
    page.write_text('<!DOCTYPE html><html lang="zh"><body><img src="https://cdn.example.org/x.png">'
                    '<script src="https://cdn.example.org/require.js"></script></body></html>', encoding="utf-8")
    seen = open_offline(browser, page)
    assert sorted(seen["blocked"]) == ["https://cdn.example.org/require.js", "https://cdn.example.org/x.png"]


def test_report_copied_elsewhere_still_works(browser, report, tmp_path):
    # a leader's USB stick: the file alone, in another folder
    copy = tmp_path / "U盘" / "示例村.html"
    copy.parent.mkdir()
    shutil.copy(report / "示例村.html", copy)
    seen = open_offline(browser, copy, wait_for_figures=3)
    assert seen["blocked"] == [] and seen["errors"] == [] and seen["figures"] == 3


# Each trace type the real briefings draw, and the SVG layer plotly.js draws its traces in:
# the page's partial bundle (lib/report/vendor/plotlyjs) must draw every one of them.
TRACE_LAYERS = {"bar": ".barlayer .trace", "waterfall": ".waterfalllayer .trace"}
DRAWN_TRACES = """() => [...document.querySelectorAll('.js-plotly-plot')].map(plot => ({
    types: [...new Set((plot._fullData || []).filter(t => t.visible === true).map(t => t.type))],
    layers: Object.fromEntries(Object.entries(%s).map(([type, sel]) => [type, plot.querySelectorAll(sel).length])),
}))"""


@pytest.fixture(scope="module")
def briefings(tmp_path_factory) -> Path:
    """The real village briefing and district overview of a small generated district."""
    import polars as pl
    from factories import generated_input

    from lib.policy import default_policy
    from lib.report.pipeline import report_from_analysis
    from lib.rules.analysis import analyze

    villages = pl.DataFrame({"乡镇": ["前进乡"] * 2, "村": ["东村", "西村"], "户数": [40, 20],
                             "冰雹受灾": [True, False], "产业项目减收": [True, False]})
    analysis = analyze(generated_input(60, 11, villages), default_policy())
    folder = tmp_path_factory.mktemp("briefings")
    result = report_from_analysis(analysis, folder, villages=["东村"], workers=1, progress=False)
    assert result.failed == [], [r.error for r in result.failed]
    return folder


@pytest.mark.parametrize("page", ["东村", "district"])
def test_briefing_draws_every_chart_type_offline(browser, briefings, page):
    import json

    from lib.report.html import MAX_HTML_BYTES, PLOTLYJS_TRACES

    path = briefings / f"{page}.html"
    assert path.stat().st_size <= 1_500_000 < MAX_HTML_BYTES  # ≤ 1.5 MB: a fifth of a full-bundle page
    context = browser.new_context(service_workers="block")
    tab = context.new_page()
    errors, blocked = [], []
    tab.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file://")
              else (blocked.append(r.request.url), r.abort("internetdisconnected")))
    tab.on("pageerror", lambda e: errors.append(str(e)))
    tab.on("console", lambda m: m.type == "error" and errors.append(m.text))
    tab.goto(path.resolve().as_uri(), wait_until="load")
    n = tab.evaluate("document.querySelectorAll('.js-plotly-plot').length")
    tab.wait_for_function(f"({DRAWN_FIGURES})() >= {n}", timeout=30_000)
    plots = tab.evaluate(DRAWN_TRACES % json.dumps(TRACE_LAYERS))
    context.close()
    assert blocked == [] and errors == []
    assert n >= 5 and len(plots) == n
    types = {t for plot in plots for t in plot["types"]}
    assert types <= set(TRACE_LAYERS) <= PLOTLYJS_TRACES | {"bar"}
    if page == "东村":
        assert types == {"bar", "waterfall"}
    for plot in plots:  # every visible trace type of a chart has its traces in the SVG
        for kind in plot["types"]:
            assert plot["layers"][kind] > 0, plot
