"""Where a report run keeps what leaders do not receive.

``outputs/`` holds only what may be copied to a leader's USB stick: briefings, ledgers, the
index. The analysis store (every full ID and phone number), the executed notebooks and the
kernel logs stay in a work folder beside it: in a zengshou project (``data/processed`` next to
the output folder) ``data/processed/报告工作区``, elsewhere ``<output folder>_工作文件``.
"""

from __future__ import annotations

from pathlib import Path

PROJECT_WORK = Path("data") / "processed" / "报告工作区"
SIBLING_SUFFIX = "_工作文件"
STORE, NOTEBOOKS, LOGS = "analysis", "notebooks", "logs"
HISTORY = "history"  # the snapshots of every run, by as-of date (lib.io.history)


def work_dir_for(out_dir: str | Path) -> Path:
    """The work folder of a run writing to ``out_dir`` (never inside it)."""
    out_dir = Path(out_dir).resolve()
    project = out_dir.parent / PROJECT_WORK.parent
    return out_dir.parent / PROJECT_WORK if project.is_dir() else out_dir.with_name(out_dir.name + SIBLING_SUFFIX)


def history_dir_for(out_dir: str | Path) -> Path:
    """Where the runs writing to ``out_dir`` keep their snapshots: ``data/processed/history`` in a
    zengshou project (beside the analysis files), else ``<output folder>_工作文件/history``."""
    work = work_dir_for(out_dir)
    return work.parent / HISTORY if work.name == PROJECT_WORK.name else work / HISTORY
