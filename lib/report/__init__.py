"""Village briefings: one papermill run per village, offline HTML, Excel ledger, index.

Modules, one step each (read in this order): ``atomic`` (every output written by temp file +
rename), ``execute`` (papermill with a fixed kernel, warm kernels, one retry when a kernel
fails to start), ``html`` (executed notebook → self-contained HTML with no network
reference), ``excel`` (the ledger), ``index`` (``index.html``), ``pipeline`` (``run_report``:
analyse once, every village in a process pool, the district, the index).

This module itself stays light (no papermill, no nbconvert): the report notebooks import it.

What a report notebook does
---------------------------
The first code cell after ``parameters``::

    from lib.report import setup_notebook, load_analysis
    setup_notebook()                      # plotly renderer "notebook", Chinese fonts
    analysis = load_analysis(analysis_dir)

``setup_notebook`` makes plotly's renderer ``"notebook"``: each figure is a ``text/html``
output that nbconvert keeps and that draws with no network (neither the mimetype-only
default, which nbconvert cannot draw, nor the CDN renderer). plotly.js is embedded exactly
once: in a report run (the kernel's environment has ``ZENGSHOU_REPORT=1``) the HTML step
puts it into the page's ``<head>``; in an interactive session the renderer puts it in the
output of the first figure, as plotly does. It is idempotent (plotly.js is never sent twice).

Parameters injected by the pipeline (declare those you use in the ``parameters`` cell;
the pipeline passes only the ones the notebook declares):

=================  ===============================================================
``village``        the village's name (村), village notebook only
``analysis_dir``   folder written by ``save_analysis`` (layout below)
``input_path``     the input workbook, for display and a standalone re-run
``policy_path``    the policy TOML the run used ("" = built-in defaults)
``output_dir``     the output folder (``<village>.html`` etc. are written there)
=================  ===============================================================

Analysis folder layout (``<output_dir>/_work/analysis/``)
--------------------------------------------------------
The analysis is computed once per run and saved here, so no village notebook re-reads
Excel or recomputes the rules::

    meta.json                 {"year_last", "year_this", "policy_path", "source", "tables", "ledger"}
    summary.json              Analysis.summary (district figures)
    <table>.parquet           households, items, risks, recommendations, measures, fgt,
                              transitions, rejects, findings, quality (the Analysis fields)
    ledger/<view>.parquet     one file per Analysis.ledger view (the file name is the view)

``load_analysis(dir)`` returns a ``SavedAnalysis`` with the same field names as
``lib.rules.analysis.Analysis`` (``policy`` re-loaded from ``policy_path``), so chart and ledger
code takes either.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

ANALYSIS_TABLES = (
    "households", "items", "risks", "recommendations", "measures", "fgt", "transitions",
    "rejects", "findings", "quality",
)
VILLAGE_PARAMETERS = ("village", "analysis_dir", "input_path", "policy_path", "output_dir")
DISTRICT_PARAMETERS = ("analysis_dir", "input_path", "policy_path", "output_dir")

# Imported by every warm kernel besides the notebook's own imports (``setup_notebook`` needs
# them). Imports only: a warm kernel holds no state a cold one would not have.
WARM_MODULES = ("lib.report", "lib.report.html")


# ---------------------------------------------------------------------------------------
# Start-up cost
# ---------------------------------------------------------------------------------------


def avoid_slow_imports() -> None:
    """Keep jsonschema from importing ``rfc3987_syntax`` (≈3 s of Lark grammar compiling).

    nbformat → jsonschema imports it, inside ``suppress(ImportError)``, only to offer the
    optional "iri" format checker that neither nbformat nor plotly uses; on this machine it
    is most of what a report kernel or a worker spends starting (upstream: jsonschema #1392,
    #1521). Marking the module absent makes that import a quick ImportError. Call before
    nbformat, nbconvert, papermill or ``plotly.io.renderers`` are first imported.
    """
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]


def warm_kernel(modules: tuple[str, ...] = WARM_MODULES) -> None:
    """Import ``modules`` (those that exist) so the notebook's own imports are instant.

    If they pull in plotly, its renderers and the default template are loaded too (plotly
    loads both lazily, on the first figure).
    """
    import importlib
    import importlib.util

    avoid_slow_imports()
    for name in modules:
        try:
            found = importlib.util.find_spec(name) is not None
        except ModuleNotFoundError:  # parent package missing
            found = False
        if found:
            importlib.import_module(name)
    if "plotly" in sys.modules:  # the notebook's imports pulled plotly in
        import plotly.io as pio

        pio.renderers  # noqa: B018  (a lazy attribute: importing it is the point)
        pio.templates["plotly_white"]


# ---------------------------------------------------------------------------------------
# Notebook set-up
# ---------------------------------------------------------------------------------------

_SET_UP = False
PLOTLY_TEMPLATE = "plotly_white+zengshou"


def in_report_run() -> bool:
    """True inside a kernel started by the report pipeline (``ZENGSHOU_REPORT=1``)."""
    return os.environ.get("ZENGSHOU_REPORT") == "1"


def offline_notebook_renderer(embed_plotlyjs: bool = True):
    """plotly's "notebook" renderer without the MathJax CDN tag it adds to every figure.

    With ``embed_plotlyjs=False`` it does not send plotly.js (4.8 MB) through the kernel
    either: the figures are the same ``text/html`` outputs, and ``lib.report.html`` puts
    plotly.js once into the page's ``<head>``. That keeps the audit notebook small and
    saves the kernel, nbclient and nbformat from handling 4.8 MB per village.
    """
    import plotly.io as pio
    from plotly.io._base_renderers import NotebookRenderer

    from lib.report.html import strip_cdn_mathjax

    class OfflineNotebookRenderer(NotebookRenderer):
        def activate(self):
            if embed_plotlyjs:
                super().activate()

        def to_mimebundle(self, fig_dict):
            bundle = super().to_mimebundle(fig_dict)
            bundle["text/html"] = strip_cdn_mathjax(bundle["text/html"])
            return bundle

    base = pio.renderers["notebook"]
    return OfflineNotebookRenderer(config=base.config)


def setup_notebook(embed_plotlyjs: bool | None = None) -> None:
    """Plotly renderer "notebook" (offline, plotly.js once) and a Chinese font stack.

    ``embed_plotlyjs``: None = embed plotly.js in the first figure's output except in a
    report run (``in_report_run()``), where the HTML step adds it once to the page instead.
    Registers the plotly template ``zengshou`` (font family only) and makes
    ``"plotly_white+zengshou"`` the default; a chart may still set its own template.
    """
    global _SET_UP
    if _SET_UP:
        return
    avoid_slow_imports()
    import plotly.graph_objects as go
    import plotly.io as pio

    from lib.report.html import FONT_STACK

    embed = not in_report_run() if embed_plotlyjs is None else embed_plotlyjs
    pio.renderers["notebook"] = offline_notebook_renderer(embed)
    pio.renderers.default = "notebook"
    pio.templates["zengshou"] = go.layout.Template(layout={"font": {"family": FONT_STACK}})
    pio.templates.default = PLOTLY_TEMPLATE
    _SET_UP = True


# ---------------------------------------------------------------------------------------
# The saved analysis
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SavedAnalysis:
    """An ``Analysis`` read back from its folder (same field names)."""

    year_last: int
    year_this: int
    policy: Any
    households: Any
    items: Any
    risks: Any
    recommendations: Any
    measures: Any
    fgt: Any
    transitions: Any
    rejects: Any
    findings: Any
    quality: Any  # 数据核查 findings (FINDING_COLUMNS); empty for a folder saved before they existed
    ledger: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    summary: dict = field(default_factory=dict)
    source: str = ""
    policy_path: str = ""


def _ledger_file_name(view: str) -> str:
    # View names are Chinese words; keep them, only path separators are not allowed.
    return view.replace("/", "／").replace("\\", "＼") + ".parquet"


def save_analysis(analysis, folder: str | Path, *, policy_path: str | Path | None = None,
                  source: str = "") -> Path:
    """Write ``analysis`` in the layout above (every file atomically); returns ``folder``."""
    from lib.io.atomic import atomic_path, write_text

    folder = Path(folder)
    (folder / "ledger").mkdir(parents=True, exist_ok=True)
    tables = [name for name in ANALYSIS_TABLES if getattr(analysis, name, None) is not None]
    for name in tables:
        with atomic_path(folder / f"{name}.parquet") as tmp:
            getattr(analysis, name).write_parquet(tmp)
    ledger_files = {}
    for view, frame in (getattr(analysis, "ledger", None) or {}).items():
        ledger_files[view] = _ledger_file_name(view)
        with atomic_path(folder / "ledger" / ledger_files[view]) as tmp:
            frame.write_parquet(tmp)
    write_text(
        folder / "summary.json",
        json.dumps(analysis.summary, ensure_ascii=False, indent=2, default=str),
    )
    meta = {
        "year_last": analysis.year_last,
        "year_this": analysis.year_this,
        "policy_path": str(Path(policy_path).resolve()) if policy_path else "",
        "source": source,
        "tables": tables,
        "ledger": ledger_files,
    }
    write_text(folder / "meta.json", json.dumps(meta, ensure_ascii=False, indent=2))
    return folder


def load_analysis(folder: str | Path) -> SavedAnalysis:
    """Read a folder written by ``save_analysis`` back (polars frames, policy re-loaded)."""
    import polars as pl

    from lib.policy import load_policy

    folder = Path(folder)
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    frames = {name: pl.read_parquet(folder / f"{name}.parquet") for name in meta["tables"]}
    empty = pl.DataFrame()
    ledger = {view: pl.read_parquet(folder / "ledger" / name) for view, name in meta["ledger"].items()}
    return SavedAnalysis(
        year_last=int(meta["year_last"]),
        year_this=int(meta["year_this"]),
        policy=load_policy(meta["policy_path"] or None),
        **{name: frames.get(name, empty) for name in ANALYSIS_TABLES},
        ledger=MappingProxyType(ledger),
        summary=json.loads((folder / "summary.json").read_text(encoding="utf-8")),
        source=meta.get("source", ""),
        policy_path=meta["policy_path"],
    )


__all__ = [
    "ANALYSIS_TABLES",
    "DISTRICT_PARAMETERS",
    "PLOTLY_TEMPLATE",
    "VILLAGE_PARAMETERS",
    "WARM_MODULES",
    "SavedAnalysis",
    "avoid_slow_imports",
    "in_report_run",
    "load_analysis",
    "save_analysis",
    "setup_notebook",
    "warm_kernel",
]
