"""The snapshots of past runs (``history/``): one per as-of date, written by every analyze / report run.

Layout of a history folder (``data/processed/history/`` in a zengshou project; for a report
written outside one, ``<output folder>_工作文件/history/``: ``lib.report.workspace``)::

    2022-08-15.户.parquet   per household: `lib.rules.progress.SNAPSHOT_SCHEMA` (户编号, no name, ID or phone)
    2022-08-15.村.parquet   per village and 全区: the figures module's figures + the progress shares,
                            with 截至, 上年, 本年 on every row

A rerun with the same as-of date replaces both files (each written atomically; the 村 file last,
so a snapshot is listed only when it is whole). Reading is `snapshot_dates` / `read_snapshot` /
`read_series`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from lib.catalogue import VILLAGE
from lib.codes import InputError
from lib.io.atomic import atomic_path
from lib.rules import progress

HOUSEHOLDS_SUFFIX, FIGURES_SUFFIX = ".户.parquet", ".村.parquet"
YEAR_LAST, YEAR_THIS = "上年", "本年"


@dataclass(frozen=True)
class Snapshot:
    as_of: dt.date
    households: pl.DataFrame  # SNAPSHOT_SCHEMA
    figures: pl.DataFrame  # village_figures + progress figures, 截至/上年/本年
    year_last: int
    year_this: int


def build_snapshot(analysis) -> Snapshot:
    """The snapshot of an `Analysis` (pure: nothing written)."""
    households = progress.snapshot_households(analysis.households, analysis.measures)
    figures = progress.snapshot_figures(analysis.households, households).with_columns(
        pl.lit(analysis.as_of, pl.Date).alias(progress.AS_OF),
        pl.lit(analysis.year_last, pl.Int64).alias(YEAR_LAST),
        pl.lit(analysis.year_this, pl.Int64).alias(YEAR_THIS),
    )
    return Snapshot(analysis.as_of, households, figures, analysis.year_last, analysis.year_this)


def write_snapshot(folder: str | Path, snapshot_or_analysis) -> Path:
    """Write a snapshot (or an Analysis' snapshot) into ``folder``; returns the 村 file's path."""
    snap = snapshot_or_analysis if isinstance(snapshot_or_analysis, Snapshot) else build_snapshot(snapshot_or_analysis)
    folder = Path(folder)
    stem = snap.as_of.isoformat()
    with atomic_path(folder / f"{stem}{HOUSEHOLDS_SUFFIX}") as tmp:
        snap.households.write_parquet(tmp)
    path = folder / f"{stem}{FIGURES_SUFFIX}"
    with atomic_path(path) as tmp:
        snap.figures.write_parquet(tmp)
    return path


def snapshot_dates(folder: str | Path) -> list[dt.date]:
    """The as-of dates of the whole snapshots in ``folder``, oldest first ([] when none)."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    dates = []
    for path in folder.glob(f"*{FIGURES_SUFFIX}"):
        try:
            day = dt.date.fromisoformat(path.name.removesuffix(FIGURES_SUFFIX))
        except ValueError:
            continue
        if (folder / f"{day.isoformat()}{HOUSEHOLDS_SUFFIX}").is_file():
            dates.append(day)
    return sorted(dates)


def read_snapshot(folder: str | Path, day: dt.date, village: str | None = None) -> Snapshot:
    """The snapshot of ``day``; with ``village``, only that village's households (its figures
    stay every village's: a briefing ranks its village among the others)."""
    folder = Path(folder)
    try:
        figures = pl.read_parquet(folder / f"{day.isoformat()}{FIGURES_SUFFIX}")
        scan = pl.scan_parquet(folder / f"{day.isoformat()}{HOUSEHOLDS_SUFFIX}")
        households = (scan if village is None else scan.filter(pl.col(VILLAGE) == village)).collect()
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise InputError(f"历次记录 {day.isoformat()} 无法读取（{folder}）：文件缺失或已损坏，请删除该日期的两个文件后重新运行") from exc
    return Snapshot(day, households, figures, int(figures[YEAR_LAST][0]), int(figures[YEAR_THIS][0]))


def snapshot_years(folder: str | Path, day: dt.date) -> tuple[int, int]:
    """The (上年, 本年) a snapshot compared, read from its figures alone."""
    years = pl.read_parquet(Path(folder) / f"{day.isoformat()}{FIGURES_SUFFIX}", columns=[YEAR_LAST, YEAR_THIS])
    return int(years[YEAR_LAST][0]), int(years[YEAR_THIS][0])


def read_series(folder: str | Path, until: dt.date | None = None, days: list[dt.date] | None = None) -> pl.DataFrame:
    """Every snapshot's figures up to ``until`` (inclusive; of ``days`` only, when given),
    stacked: 截至, 村, … (oldest first)."""
    days = [d for d in (snapshot_dates(folder) if days is None else days) if until is None or d <= until]
    if not days:
        return pl.DataFrame(schema={progress.AS_OF: pl.Date, VILLAGE: pl.String})
    frames = [pl.read_parquet(Path(folder) / f"{d.isoformat()}{FIGURES_SUFFIX}") for d in days]
    return pl.concat(frames, how="diagonal_relaxed").sort(progress.AS_OF, maintain_order=True)
