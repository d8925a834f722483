"""``zengshou what-if``: one what-if scenario as a static, offline HTML page for leaders.

    run_what_if(input, out_dir, {"posts": 4, "post_monthly_pay": 500})
      papermill  notebooks/what_if.ipynb with interactive=False → <work>/notebooks/<stem>.ipynb
                 (the work folder is outside out_dir: lib.report.workspace)
      nbconvert  → out_dir/<stem>.html (same offline check and size limit as the briefings)

The page holds the lever table, the before/after comparison by village, the placement list
and the plan's 4 posts placed optimally vs in list order — no widgets (they need a kernel).
The index of ``zengshou report`` links every ``假设分析*.html`` it finds in its folder.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path

from lib.report.workspace import NOTEBOOKS, work_dir_for
from lib.report.html import notebook_to_html
from lib.interactive.what_if import Levers

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "what_if.ipynb"
STEM = "假设分析"
PAGE_GLOB = f"{STEM}*.html"
TITLE = "增收监测假设分析"
# The notebook's levers (parameters named after `lib.interactive.what_if.Levers`; None = as in the policy).
LEVERS = tuple(f.name for f in fields(Levers))


@dataclass(frozen=True)
class ScenarioPage:
    html: Path
    notebook: Path
    seconds: float


def run_what_if(input_path, out_dir, levers: dict | None = None, *, policy_path=None, years=None,
                stem: str = STEM, kernel_name: str = "python3", file_years: dict | None = None,
                as_of=None) -> ScenarioPage:
    """Run the what-if notebook for ``levers`` on ``input_path`` (one path or several) and write
    ``<out_dir>/<stem>.html``; ``file_years`` names the years of exports (``--year``), ``as_of``
    the 截至 date of its 要点 box (a date; default today)."""
    from lib.report.execute import run_notebook

    unknown = set(levers or {}) - set(LEVERS)
    if unknown:
        raise ValueError(f"未知的假设分析参数：{'、'.join(sorted(unknown))}")
    out_dir = Path(out_dir).resolve()
    parameters = {
        "input_path": str(Path(input_path).resolve()) if isinstance(input_path, (str, Path))
        else [str(Path(p).resolve()) for p in input_path],
        **({"input_years": dict(file_years)} if file_years else {}),
        "policy_path": str(Path(policy_path).resolve()) if policy_path else "",
        "years": list(years) if years else None,
        "interactive": False,
        **({"as_of": as_of.isoformat()} if as_of else {}),
        **{k: v for k, v in (levers or {}).items() if v is not None},
    }
    run = run_notebook(NOTEBOOK, work_dir_for(out_dir) / NOTEBOOKS / f"{stem}.ipynb", parameters,
                       kernel_name=kernel_name, prefetch=False)
    page = notebook_to_html(run.nb, out_dir / f"{stem}.html", TITLE)
    return ScenarioPage(page.path, run.out_ipynb, run.seconds)


def scenario_pages(out_dir) -> list[str]:
    """File names of the what-if pages in ``out_dir`` (for the index), sorted."""
    return sorted(p.name for p in Path(out_dir).glob(PAGE_GLOB))
