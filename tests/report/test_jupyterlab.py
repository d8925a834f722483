"""The analyst's notebooks used the way an analyst uses them: a real JupyterLab server on
127.0.0.1 (with a token), headless Chromium at 1,366 px, Run All, then clicks.

explore: 南岗村 → 减收 → 无措施 must list exactly the households the ledger lists for the
village as 减收 with no measure (see ``ledger_unhelped_decrease``), export them to Excel in the
project, and keep every chart in step with the filter across a widget-tab switch, a
document-tab switch and two window resizes. what_if: every lever is moved through its
exact-number box and each move changes the page. The notebooks are copies under
``outputs/`` (ignored by git), so the committed ones never get outputs or a kernel's state.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
JUPYTER = Path(sys.executable).with_name("jupyter")
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run"]
TOKEN = "zengshou-lab-test"
VILLAGE = "南岗村"
TIMINGS = ROOT / "data" / "processed" / "_lab_test_timings.json"  # a developer figure, not for leaders

if not CHROMIUM.exists():
    pytest.skip("需要 Debian 软件包 chromium（/usr/bin/chromium 不存在）", allow_module_level=True)

# Every plotly chart on the page: its title, the sum of its bar heights, its right edge.
CHARTS = """() => [...document.querySelectorAll('.jp-mod-current .js-plotly-plot, .jp-NotebookPanel:not(.lm-mod-hidden) .js-plotly-plot')]
  .filter(p => p._fullLayout && p.offsetParent !== null)
  .map(p => ({title: (p._fullLayout.title && p._fullLayout.title.text) || '',
              bars: p.data.filter(t => t.type === 'bar').reduce((s, t) => s + (t.y || []).reduce((a, v) => a + (v || 0), 0), 0),
              right: p.getBoundingClientRect().right,
              cell: p.closest('.jp-Cell').getBoundingClientRect().right}))"""


RESET_SHOWN = "() => [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) button')].some(b => b.textContent.includes('恢复现状'))"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def project():
    """The demo input and policy, recorded as the project's last run (as `zengshou demo` does)."""
    from lib.demo.district import write_demo, write_demo_policy
    from lib.interactive.session import DEMO_INPUT, DEMO_POLICY, record_last_run

    if not (ROOT / DEMO_INPUT).exists() or not (ROOT / DEMO_POLICY).exists():
        write_demo(ROOT / DEMO_INPUT)
        write_demo_policy(ROOT / DEMO_POLICY)
    record_last_run("demo", ROOT / DEMO_INPUT, ROOT / DEMO_POLICY)
    return ROOT


@pytest.fixture(scope="module")
def lab(project, tmp_path_factory):
    """A JupyterLab server on 127.0.0.1 serving copies of the notebooks; stopped afterwards."""
    work = ROOT / "outputs" / "_lab_test"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    for name in ("explore.ipynb", "what_if.ipynb"):
        shutil.copy(ROOT / "notebooks" / name, work / name)
    home = tmp_path_factory.mktemp("jupyter")
    settings = home / "settings" / "@jupyterlab" / "docmanager-extension"
    settings.mkdir(parents=True)
    (settings / "plugin.jupyterlab-settings").write_text(json.dumps({"autosave": False}))
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
           "JUPYTER_CONFIG_DIR": str(home / "config"), "IPYTHONDIR": str(home / "ipython")}
    server = subprocess.Popen(
        [str(JUPYTER), "lab", "--no-browser", "--ip=127.0.0.1", f"--port={port}", f"--IdentityProvider.token={TOKEN}",
         f"--ServerApp.root_dir={ROOT}", f"--LabApp.user_settings_dir={home / 'settings'}",
         f"--LabApp.workspaces_dir={home / 'workspaces'}", "--LabApp.expose_app_in_browser=True", "--allow-root", "--ServerApp.terminals_enabled=False"],
        env=env, cwd=home, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(120):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.25)
    yield url, work.relative_to(ROOT).as_posix()
    server.terminate()
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()
    shutil.rmtree(work, ignore_errors=True)


def ledger_unhelped_decrease(village: str) -> list[str]:
    """The ledger's answer to "which 减收 households have no measure yet": the 风险未帮扶户 view
    holds every household at risk with no measure (减收, or red / orange without 减收); its
    减收 rows are the 尚无措施的减收户数 of lib.rules.figures, which is what 减收 → 无措施 asks."""
    from lib.interactive.session import open_session
    from lib.rules.ledger import AT_RISK_UNHELPED

    analysis = open_session({}, "explore").analysis
    view = analysis.ledger[AT_RISK_UNHELPED]
    return sorted(view.filter((pl.col("村") == village) & (pl.col("收入研判") == "减收"))["户编号"].to_list())


def _run_all(page, url: str, path: str, ready_text: str) -> float:
    """Open ``path`` (the first one by URL, later ones in a new document tab), Run All."""
    start = time.perf_counter()
    if "/lab" not in page.url:
        page.goto(f"{url}/lab/tree/{path}?token={TOKEN}")
        page.wait_for_function("() => window.jupyterapp && document.querySelector('.jp-NotebookPanel')", timeout=60_000)
    else:
        page.evaluate(f"() => window.jupyterapp.commands.execute('docmanager:open', {{path: {json.dumps(path)}}}).then(() => true)")
    page.wait_for_function(f"() => {{ const w = window.jupyterapp.shell.currentWidget;"
                           f" return w && w.context && w.context.path === {json.dumps(path)}; }}", timeout=60_000)
    page.wait_for_function("() => { const w = window.jupyterapp.shell.currentWidget;"
                           " const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;"
                           " return k && k.status === 'idle'; }", timeout=60_000)
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    page.wait_for_function(ready_text, timeout=60_000)
    return time.perf_counter() - start


def _timed(page, action, until: str, timings: dict, name: str) -> None:
    print("…", name, file=sys.stderr, flush=True)
    start = time.perf_counter()
    action()
    page.wait_for_function(until, timeout=20_000)
    timings[name] = round(time.perf_counter() - start, 2)


def _pick(page, label: str, option: str) -> None:
    page.locator(f".widget-select-multiple:has(label:text-is('{label}')) select").first.select_option(label=option)


def _count_is(n: int) -> str:
    return f"() => [...document.querySelectorAll('.widget-html b')].some(b => b.textContent === '符合条件 {n} 户')"


def _charts_match(page, n: int) -> list[dict]:
    charts = page.evaluate(CHARTS)
    assert charts, "no chart drawn"
    for chart in charts:
        assert f"{n} 户" in chart["title"], chart["title"]  # every title names the current filter
        assert chart["right"] <= chart["cell"] + 1, chart  # no chart overflows its cell
    village = next(c for c in charts if c["title"].startswith("各村户数"))
    assert village["bars"] == n  # the stacked bars hold exactly the filtered households
    return charts


def test_explore_and_what_if_in_jupyterlab(lab):
    from playwright.sync_api import sync_playwright

    url, folder = lab
    expected = ledger_unhelped_decrease(VILLAGE)
    assert expected, "the demo has 减收 households with no measure in 南岗村"
    timings: dict[str, float] = {}
    exports = ROOT / "data" / "processed" / "导出"
    before = set(exports.glob("*.xlsx")) if exports.exists() else set()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        page.set_default_timeout(20_000)
        timings["explore: open + Run All"] = round(_run_all(page, url, f"{folder}/explore.ipynb", _count_is(1200)), 2)

        _timed(page, lambda: _pick(page, "村", VILLAGE), "() => document.body.innerText.includes('南岗村，')"
               " || document.body.innerText.includes('（南岗村')", timings, "村 = 南岗村")
        _timed(page, lambda: _pick(page, "收入研判", "减收"), "() => document.body.innerText.includes('南岗村 · 减收')",
               timings, "收入研判 = 减收")
        _timed(page, lambda: _pick(page, "措施状态", "无措施"), _count_is(len(expected)), timings, "措施状态 = 无措施")
        _charts_match(page, len(expected))

        page.locator(".lm-TabBar-tab:has-text('户清单与单户')").first.click()
        table = page.locator(".widget-tab .widget-html table").first
        table.wait_for()
        shown = sorted(table.locator("tbody tr td:first-child").all_inner_texts())
        assert shown == expected

        _timed(page, lambda: page.get_by_role("button", name="导出 Excel").click(),
               f"() => document.body.innerText.includes('已导出 {len(expected)} 户')", timings, "导出 Excel")
        written = sorted(set(exports.glob("*.xlsx")) - before)
        assert len(written) == 1
        assert sorted(pl.read_excel(written[0])["户编号"].cast(pl.Utf8).to_list()) == expected

        # tab switch, resize, document-tab switch: the charts still show the filter
        page.locator(".lm-TabBar-tab:has-text('概况图表')").first.click()
        page.set_viewport_size({"width": 1000, "height": 700})
        page.wait_for_timeout(400)
        page.set_viewport_size({"width": 1366, "height": 768})
        page.wait_for_timeout(400)
        _charts_match(page, len(expected))

        timings["what_if: open + Run All"] = round(_run_all(page, url, f"{folder}/what_if.ipynb", RESET_SHOWN), 2)
        conclusion = "() => [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .widget-html p')]" \
                     ".filter(p => p.textContent.startsWith('结论')).map(p => p.textContent).join('|')"
        # each lever with what the conclusion then says: the wait ends when the kernel has recomputed,
        # not when the slider's own readout changed (which would let updates queue up unmeasured)
        moves = [("新增公益岗位（个）", "7", "新增 7 个公益岗位"), ("岗位月补贴（元）", "820", "820 元/月"),
                 ("每年在岗月数", "10", "× 10 个月"), ("无劳动力户产业分配（元/年）", "1500", "增加产业收益分配 1,500 元"),
                 ("低保标准（元/人/年）", "7450", "低保标准为7,450 元/人/年"),
                 ("监测线（元/人/年）", "6800", "本年监测线为6,800 元/人/年"), ("持平区间（比例）", "0.03", "持平区间为±3.0%")]
        for label, value, said in moves:

            def move(label=label, value=value):
                box = page.locator(f".jp-NotebookPanel:not(.lm-mod-hidden) .widget-hbox:has(.widget-slider label:has-text('{label}')) input[type=number]").first
                box.fill(value)
                box.press("Enter")

            _timed(page, move, f"() => ({conclusion})().includes({json.dumps(said)})", timings, f"what_if: {label} = {value}")
        for name, said in (("恢复上年收入户数", "以恢复上年收入户数最多为安置目标"), ("名单顺序", "按减收户名单顺序安置")):
            _timed(page, lambda name=name: page.locator(f".jp-NotebookPanel:not(.lm-mod-hidden) .widget-toggle-button:text-is('{name}')").first.click(),
                   f"() => ({conclusion})().includes({json.dumps(said)})", timings, f"what_if: {name}")
        text = page.evaluate(conclusion)
        assert "新增 7 个公益岗位" in text and "820 元/月 × 10 个月" in text and "7,450 元/人/年" in text
        assert "低保标准（元/人/年）" in page.inner_text(".jp-NotebookPanel:not(.lm-mod-hidden)")

        # back to explore (a document-tab switch): its charts were not redrawn from an old state
        page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab:has-text('explore.ipynb')").first.click()
        page.wait_for_timeout(500)
        _charts_match(page, len(expected))
        browser.close()
    for path in written:
        path.unlink()
    TIMINGS.parent.mkdir(parents=True, exist_ok=True)
    TIMINGS.write_text(json.dumps(timings, ensure_ascii=False, indent=1), encoding="utf-8")
    print(json.dumps(timings, ensure_ascii=False, indent=1))
    # under 2 s alone (see the printed timings); 4 s leaves room for the rest of the suite on 2 cores
    assert all(t < 4.0 for name, t in timings.items() if "Run All" not in name), timings
