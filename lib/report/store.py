"""The analysis store: one ``Analysis`` saved once per report run, partitioned by village.

The parent analyses the input once and ``save``s it; every worker and every briefing kernel
``load``s only its own village (one parquet file per table, never the whole district); the
district overview loads the district. What comes back is the same ``Analysis`` dataclass,
its ``Policy`` rebuilt from the values saved with it (``lib.policy.policy_to_dict``), so a
policy changed in code reaches every briefing as it is — no path, no re-parsing.

Layout (``<work folder>/analysis/``, outside the output folder: lib.report.workspace)::

    store.json                     format, years, 截至 date (as_of), policy values, summary, partitions, tables
    <table>/<part>.parquet         households, items, risks, recommendations, measures, fgt:
                                   one file per value of 村 (every village, 全区, rows with no 村)
    ledger/<view>/<part>.parquet   the ledger views, partitioned the same way
    <table>.parquet                district tables with no 村 column: transitions, rejects, findings
    ledger/<view>.parquet          a ledger view with no 村 column (a district aggregate)

``store.json`` maps every 村 value to its ``<part>`` (a number: village names need not be
valid file names). Each partitioned file also holds ``__行序__``, the row's place in the
whole table, so a district load gives the rows back in the analysis' order.

A village load holds what ``lib.present.tables.village_view`` gives of the district: the
village's rows of every table with 村 (of fgt also the 全区 rows, the briefing's yardstick),
the district-level ``transitions`` and ``summary``; ledger views without 村 are left out.
``rejects`` and ``findings`` are rows of the input workbook, not of a village: a village load
has them empty (with their columns).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from pathlib import Path

import polars as pl

from lib.catalogue import DISTRICT, VILLAGE
from lib.policy import policy_from_dict, policy_to_dict
from lib.rules.analysis import Analysis

FORMAT = "zengshou-analysis-store/1"
MANIFEST = "store.json"
LEDGER_DIR = "ledger"
ROW = "__行序__"  # the row's place in the whole table; dropped on load

# The Analysis frames, by how the store keeps them.
BY_VILLAGE = ("households", "items", "risks", "recommendations", "measures", "fgt", "quality")
DISTRICT_TABLES = ("transitions", "rejects", "findings", "persons")
INPUT_ROWS = ("rejects", "findings", "persons")  # empty in a village load: they belong to no village
WITH_DISTRICT_ROWS = ("fgt",)  # a village load keeps the 全区 rows too


class StoreError(RuntimeError):
    """The folder holds no analysis store of this format (or not that village)."""


# ---------------------------------------------------------------------------------------
# Save
# ---------------------------------------------------------------------------------------


def _file_name(view: str) -> str:
    # View names are Chinese words; keep them, only path separators are not allowed.
    return view.replace("/", "／").replace("\\", "＼")


def _partitions(analysis: Analysis) -> list[tuple[str | None, str]]:
    """(村 value, part) for every value of 村 in any table: villages by name, then the rest."""
    frames = [getattr(analysis, name) for name in BY_VILLAGE] + list(analysis.ledger.values())
    values: set[str | None] = set()
    for frame in frames:
        if VILLAGE in frame.columns:
            values.update(frame.get_column(VILLAGE).unique().to_list())
    villages = sorted(v for v in values if v is not None and v != DISTRICT)
    others = [v for v in (DISTRICT, None) if v in values]
    return [(value, f"{k:04d}") for k, value in enumerate(villages + others, start=1)]


def _write_partitioned(frame: pl.DataFrame, folder: Path, parts: dict[str | None, str]) -> None:
    """One file per part, every part written (an empty one keeps the table's columns)."""
    folder.mkdir(parents=True)
    numbered = frame.with_row_index(ROW)
    groups = {key[0]: group for key, group in numbered.partition_by(VILLAGE, as_dict=True,
                                                                     maintain_order=True).items()}
    empty = numbered.clear()
    for value, part in parts.items():
        groups.get(value, empty).write_parquet(folder / f"{part}.parquet")


def save(analysis: Analysis, folder: str | Path) -> Path:
    """Write ``analysis`` as a store at ``folder`` (replacing an older one); returns ``folder``.

    The store is written beside ``folder`` and moved into place when complete, so a reader
    never sees half of one (nor parts of the previous run's villages).
    """
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    fresh = folder.with_name(f".{folder.name}.{os.getpid()}.tmp")
    shutil.rmtree(fresh, ignore_errors=True)
    fresh.mkdir()
    try:
        partitions = _partitions(analysis)
        parts = dict(partitions)
        tables = {}
        for name in (*BY_VILLAGE, *DISTRICT_TABLES):
            frame = getattr(analysis, name)
            if VILLAGE in frame.columns:
                _write_partitioned(frame, fresh / name, parts)
                tables[name] = "村"
            else:
                frame.write_parquet(fresh / f"{name}.parquet")
                tables[name] = "全区"
        ledger = {}
        for view, frame in analysis.ledger.items():
            path = fresh / LEDGER_DIR / _file_name(view)
            if VILLAGE in frame.columns:
                _write_partitioned(frame, path, parts)
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                frame.write_parquet(path.with_name(path.name + ".parquet"))
            ledger[view] = {"file": path.name, "by": "村" if VILLAGE in frame.columns else "全区"}
        manifest = {
            "format": FORMAT,
            "year_last": analysis.year_last,
            "year_this": analysis.year_this,
            "as_of": analysis.as_of.isoformat(),
            "policy": policy_to_dict(analysis.policy),
            "villages": [v for v, _ in partitions if v is not None and v != DISTRICT],
            "partitions": [[value, part] for value, part in partitions],
            "tables": tables,
            "ledger": ledger,
            "summary": analysis.summary,
        }
        # written last: a folder without it is not a store
        (fresh / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2, default=str),
                                      encoding="utf-8")
        _swap_in(fresh, folder)
    except BaseException:
        shutil.rmtree(fresh, ignore_errors=True)
        raise
    return folder


def _swap_in(fresh: Path, folder: Path) -> None:
    # A folder cannot be renamed over a non-empty one: move the old store aside first.
    old = folder.with_name(f".{folder.name}.{os.getpid()}.old")
    if folder.exists():
        shutil.rmtree(old, ignore_errors=True)
        folder.rename(old)
    fresh.rename(folder)
    shutil.rmtree(old, ignore_errors=True)


# ---------------------------------------------------------------------------------------
# Load
# ---------------------------------------------------------------------------------------


def read_manifest(folder: str | Path) -> dict:
    """``store.json`` of the store at ``folder`` (years, policy values, villages, summary)."""
    path = Path(folder) / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise StoreError(f"{folder} 中没有分析结果（缺少 {MANIFEST}）") from None
    if manifest.get("format") != FORMAT:
        raise StoreError(f"{path} 不是本版本的分析结果（格式 {manifest.get('format')!r}，应为 {FORMAT}）")
    return manifest


def _scan(folder: Path, parts: list[str]) -> pl.DataFrame:
    """The rows of ``parts`` only (one file each), back in the table's order."""
    files = [folder / f"{part}.parquet" for part in parts]
    return pl.scan_parquet(files).sort(ROW).drop(ROW).collect()


def load(folder: str | Path, village: str | None = None) -> Analysis:
    """The ``Analysis`` saved at ``folder``: the district, or only ``village``'s rows.

    A village load opens that village's file of each table (and the 全区 part of fgt) and no
    other village's; see the module docstring for what it holds.
    """
    folder = Path(folder)
    manifest = read_manifest(folder)
    part_of = {value: part for value, part in manifest["partitions"]}
    if village is None:
        chosen = list(part_of.values())
    elif village in manifest["villages"]:
        chosen = [part_of[village]]
    else:
        known = "、".join(manifest["villages"]) or "无"
        raise StoreError(f"分析结果中没有村“{village}”（已有：{known}）")
    with_district = chosen + ([part_of[DISTRICT]] if village is not None and DISTRICT in part_of else [])

    frames = {}
    for name, by in manifest["tables"].items():
        if by == "村":
            frames[name] = _scan(folder / name, with_district if name in WITH_DISTRICT_ROWS else chosen)
        else:
            frame = pl.read_parquet(folder / f"{name}.parquet")
            frames[name] = frame.clear() if village is not None and name in INPUT_ROWS else frame
    ledger = {}
    for view, entry in manifest["ledger"].items():
        path = folder / LEDGER_DIR / entry["file"]
        if entry["by"] == "村":
            ledger[view] = _scan(path, chosen)
        elif village is None:  # a district aggregate has no place in a village's load
            ledger[view] = pl.read_parquet(path.with_name(path.name + ".parquet"))
    return Analysis(
        year_last=int(manifest["year_last"]),
        year_this=int(manifest["year_this"]),
        as_of=dt.date.fromisoformat(manifest.get("as_of") or dt.date.today().isoformat()),
        policy=policy_from_dict(manifest["policy"]),
        ledger=ledger,
        summary=manifest["summary"],
        **frames,
    )


__all__ = ["FORMAT", "StoreError", "load", "read_manifest", "save"]
