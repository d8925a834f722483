"""The 口径 appendix: which figures each page shows, and their definitions as a table.

The figures themselves (label, unit, 口径, expression) are the catalogue of
``lib.rules.figures``; this module only lists, per page, the ones it shows (as data) and
renders their definitions. A briefing's appendix cell is one call:
``definitions.appendix(definitions.VILLAGE_BRIEFING)``.
"""

from __future__ import annotations

from IPython.display import Markdown

from lib.catalogue import ORANGE, RED
from lib.present import tables
from lib.rules.figures import definitions
from lib.rules.progress import PROGRESS_FIGURES

RISK_FIGURES = ("risk_households", "risk_lost", "lost")  # the risk-point chart, and their sum


def _once(*groups: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(key for group in groups for key in group))


# The 与上次相比 section's shares toward the deadlines, and the counts they divide.
PROGRESS = tuple(f.key for f in PROGRESS_FIGURES)

VILLAGE_BRIEFING = _once(
    tables.SURVEY_FIGURES, tables.INCOME_FIGURES, RISK_FIGURES, tables.WARNING_FIGURES, tables.MEASURE_FIGURES,
    PROGRESS,
)
# The district page adds the villages' ranking and the 台账汇总 table.
DISTRICT_OVERVIEW = _once(
    tables.SURVEY_FIGURES, ("decrease_share", f"level_{RED}", f"level_{ORANGE}", "red_share"),
    tables.WARNING_FIGURES, RISK_FIGURES, tables.MEASURE_FIGURES,
    ("at_risk", "not_recovering", "measures", "implemented", "planned"), PROGRESS,
)
# index.html's table (lib.report.pipeline.index_figures).
INDEX = ("households", "not_surveyed", "decrease", f"level_{RED}", f"level_{ORANGE}", "should_monitor",
         "shortfall", "lost")


def definition_rows(keys) -> list[tuple[str, str, str]]:
    """(指标, 单位, 口径) for the figures ``keys`` (of the figures module or `PROGRESS`), in order."""
    progress = {f.key: f for f in PROGRESS_FIGURES}
    shown = [progress.get(k) or definitions([k])[0] for k in keys]
    return [(f.label, f.unit, f.definition) for f in shown]


def appendix(keys) -> Markdown:
    """附：指标口径 — the definitions of ``keys`` as an escaped Markdown table."""
    lines = ["| 指标 | 单位 | 口径 |", "| --- | --- | --- |"]
    lines += [
        f"| {tables.md_escape(name)} | {tables.md_escape(unit)} | {tables.md_escape(text)} |"
        for name, unit, text in definition_rows(keys)
    ]
    return Markdown("\n".join(lines))
