"""A real village briefing printed on A4 and read on a phone, in headless Chromium.

Print: the PDF's text (pdftotext from poppler-utils) holds every 红/橙 household and its whole
说明 — no list is cut to a scroll box. Phone (390 px): nothing is wider than the screen and no
chart's title, subtitle, dropdown or legend overlaps another.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import polars as pl
import pytest

from tests.report.test_browser import browser  # noqa: F401  (the fixture; skips without chromium)

pytestmark = pytest.mark.slow

if shutil.which("pdftotext") is None:
    pytest.skip("需要 poppler-utils（pdftotext）", allow_module_level=True)

VILLAGE = "南岗村"

# Boxes of each chart's title/subtitle, dropdown and legend, in page pixels.
CHART_BOXES = """() => [...document.querySelectorAll('.js-plotly-plot')].map(gd => {
  const box = sel => [...gd.querySelectorAll(sel)].map(e => e.getBoundingClientRect())
     .filter(r => r.width > 0 && r.height > 0).map(r => [r.left, r.top, r.right, r.bottom]);
  return {title: (gd.querySelector('.gtitle') || {}).textContent || '',
          parts: {title: box('.gtitle, .gtitle-subtitle'), menu: box('.updatemenu-header-group'),
                  legend: box('g.legend'), xtitle: box('.g-xtitle')}};
})"""


@pytest.fixture(scope="module")
def briefing(tmp_path_factory):
    """The demo district's analysis and its 南岗村 briefing."""
    from lib.demo.district import write_demo, write_demo_policy
    from lib.report.pipeline import analyse_input, report_from_analysis

    folder = tmp_path_factory.mktemp("print")
    workbook = write_demo(folder / "demo.xlsx")
    policy = write_demo_policy(folder / "demo_policy.toml")
    analysis = analyse_input(workbook, policy)
    result = report_from_analysis(analysis, folder / "out", villages=[VILLAGE], workers=2, progress=False)
    assert not result.failed, result.failed
    return analysis, folder / "out" / f"{VILLAGE}.html"


def _open(browser, path: Path, width: int, height: int = 900):
    page = browser.new_page(viewport={"width": width, "height": height})
    page.goto(path.resolve().as_uri(), wait_until="load")
    page.wait_for_function("document.querySelectorAll('.js-plotly-plot .main-svg').length > 0", timeout=30_000)
    page.wait_for_timeout(500)
    return page


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_print_lists_every_red_and_orange_household_with_its_whole_explanation(briefing, browser, tmp_path):
    from lib.present.format import mask_frame

    analysis, path = briefing
    page = _open(browser, path, 1366)
    page.emulate_media(media="print")
    page.wait_for_timeout(500)  # the charts redraw to the page width
    pdf = tmp_path / "briefing.pdf"
    page.pdf(path=str(pdf), format="A4", print_background=True)
    page.close()
    # -raw keeps each table cell's text together, in the order Chromium drew it
    text = _flat(subprocess.run(["pdftotext", "-raw", "-enc", "UTF-8", str(pdf), "-"],
                                capture_output=True, text=True, check=True).stdout)
    warned = mask_frame(analysis.households.filter(
        (pl.col("村") == VILLAGE) & pl.col("预警等级").is_in(["红", "橙"])
    )).select("户编号", "说明")
    assert warned.height > 10
    missing = [hid for hid, note in warned.iter_rows() if hid not in text or _flat(note) not in text]
    assert missing == [], f"打印稿中缺少这些户或其完整说明：{missing}"
    assert "要点" in text and "截至" in text and "牵头单位任务清单" in text
    assert "搜索（户编号" not in text  # no search box on paper


def test_first_screen_carries_the_key_points(briefing, browser):
    _, path = briefing
    page = _open(browser, path, 1366, 768)
    box = page.query_selector(".zs-keypoints").bounding_box()
    text = page.inner_text(".zs-keypoints")
    page.close()
    assert box["y"] + box["height"] <= 768, box  # the whole box on the first screen
    assert "截至" in text and "8月31日" in text and "9月30日" in text
    assert len(re.findall(r"区(?:人社局|乡村振兴局|民政局|委宣传部|委组织部)：", text)) >= 1


def test_phone_width_has_no_sideways_scroll_and_no_overlapping_chart_labels(briefing, browser, tmp_path):
    _, path = briefing
    page = _open(browser, path, 390, 844)
    width = page.evaluate("document.documentElement.scrollWidth")
    charts = page.evaluate(CHART_BOXES)
    page.screenshot(path=str(tmp_path / "phone.png"))
    page.close()
    assert width <= 390
    assert len(charts) >= 5

    def overlap(a, b):
        return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]

    kinds = ("title", "menu", "legend", "xtitle")
    clashes = [
        (chart["title"], one, other)
        for chart in charts
        for i, one in enumerate(kinds) for other in kinds[i + 1:]
        for a in chart["parts"][one] for b in chart["parts"][other] if overlap(a, b)
    ]
    assert clashes == []
