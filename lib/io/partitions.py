"""`zengshou analyze` over a partitioned input: one sub-folder per 县 or 乡镇, in bounded memory.

    nation/县=230804/households.parquet, income.parquet, measures.parquet   (or 户信息.csv …)
    nation/县=230805/…

A folder that holds no sheet itself but sub-folders that each hold 户信息 is partitioned.
Each partition is read, analysed and written on its own (`analyze_partition`), so memory is
what one partition needs; its per-household files go to a work folder and its aggregates
(`lib.rules.partitioned.partition_aggregates`) come back. Then the district's files are
made: households.csv, rejects.csv, findings.csv and the ledger's lists are the partitions'
files one after the other (one header); the ledger's summary views, fgt.parquet,
transitions.parquet and summary.json are the combined aggregates; the long parquet tables
are folders of one file per partition (``households.parquet/县=230804.parquet`` …; polars
reads such a folder with ``pl.scan_parquet(folder)``).

With ``scheduler`` the partitions run on that dask.distributed cluster (the workers must see
the input and output folders); the files are the same as a local run's, byte for byte,
because the same function runs each partition and the combination happens here.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl

from lib.catalogue import SHEET_HOUSEHOLDS
from lib.codes import InputError
from lib.io.atomic import atomic_path
from lib.io.reader import read_input
from lib.io.sheets import folder_grids
from lib.io.writer import (
    PARQUET_TABLES,
    ROW_FILES,
    ledger_file,
    row_files,
    write_csv,
    write_parquet,
    write_summary,
)
from lib.policy import load_policy
from lib.rules.analysis import analyze
from lib.rules.ledger import VIEWS
from lib.rules.partitioned import (
    SUMMED_VIEWS,
    combine_fgt,
    combine_ledger_view,
    combine_summary,
    combine_transitions,
    combine_years,
    partition_aggregates,
)

WORK = "_分区"  # per-partition CSV files while the run lasts, inside the output folder
LIST_VIEWS = tuple(v for v in VIEWS if v not in SUMMED_VIEWS)
LONG_TABLES = tuple(t for t in PARQUET_TABLES if t not in ("fgt", "transitions"))  # a file per partition
SHEET_COLUMN = "工作表"  # rejects and findings name the partition before the sheet


def partition_folders(path: str | Path) -> list[Path]:
    """The partitions of ``path`` in name order, or [] when it is not a partitioned folder."""
    path = Path(path)
    if not path.is_dir() or folder_grids(path):
        return []
    return sorted(
        d for d in path.iterdir()
        if d.is_dir() and not d.name.startswith((".", "_")) and SHEET_HOUSEHOLDS in folder_grids(d)
    )


def _files_of(partition: str, out_dir: Path) -> Path:
    return out_dir / WORK / partition


def analyze_partition(folder: str, out_dir: str, policy_path: str | None = None,
                      years: tuple[int, int] | None = None) -> dict:
    """Read, analyse and write one partition; its aggregates for the combination."""
    policy = load_policy(policy_path)
    name, out = Path(folder).name, Path(out_dir)
    try:
        analysis = analyze(read_input(folder), policy, years)
    except InputError as exc:  # which partition, before which sheet, row and column
        raise InputError(f"分区「{name}」：{exc}") from None
    files = _files_of(name, out)
    for file, frame in row_files(analysis).items():
        if SHEET_COLUMN in frame.columns:
            frame = frame.with_columns(pl.concat_str(pl.lit(f"{name}/"), pl.col(SHEET_COLUMN)).alias(SHEET_COLUMN))
        write_csv(frame, files / file)
    for view in LIST_VIEWS:
        write_csv(analysis.ledger[view], files / ledger_file(view))
    for table in LONG_TABLES:
        write_parquet(getattr(analysis, table), out / f"{table}.parquet" / f"{name}.parquet")
    return {"partition": name, **partition_aggregates(analysis, policy)}


def concat_csv(parts: list[Path], path: Path) -> Path:
    """CSV files with the same header as one file: the first whole, the others without their
    first line (BOM and header); copied a block at a time."""
    with atomic_path(path) as tmp, open(tmp, "wb") as out:
        for i, part in enumerate(parts):
            with open(part, "rb") as src:
                if i:
                    src.readline()
                shutil.copyfileobj(src, out, 1 << 20)
    return path


def _run(folders: list[Path], out_dir: Path, policy_path, years, scheduler: str | None) -> list[dict]:
    args = dict(out_dir=str(out_dir), policy_path=None if policy_path is None else str(policy_path), years=years)
    if not scheduler:
        return [analyze_partition(str(f), **args) for f in folders]
    from dask.distributed import Client

    with Client(scheduler) as client:
        futures = client.map(analyze_partition, [str(f) for f in folders], pure=False, **args)
        return client.gather(futures)  # in the partitions' order


def analyze_partitioned(path: str | Path, out_dir: str | Path, policy_path=None, years=None,
                        scheduler: str | None = None) -> tuple[dict, list[Path]]:
    """`zengshou analyze` on a partitioned folder: (summary, files written)."""
    folders = partition_folders(path)
    if not folders:
        raise InputError(f"「{Path(path).name}」不是分区文件夹（没有含户信息的子文件夹）")
    out = Path(out_dir)
    for table in LONG_TABLES:  # a previous run's partitions must not mix with this run's
        shutil.rmtree(out / f"{table}.parquet", ignore_errors=True)
    parts = _run(folders, out, policy_path, years, scheduler)
    combine_years(parts)
    names = [p["partition"] for p in parts]
    written = []
    for file in (*ROW_FILES, *(ledger_file(v) for v in LIST_VIEWS)):
        written.append(concat_csv([_files_of(n, out) / file for n in names], out / file))
    for view in SUMMED_VIEWS:
        written.append(write_csv(combine_ledger_view(view, [p["ledger"][view] for p in parts]), out / ledger_file(view)))
    written.append(write_parquet(combine_fgt(parts), out / "fgt.parquet"))
    written.append(write_parquet(combine_transitions(parts), out / "transitions.parquet"))
    written += [out / f"{table}.parquet" for table in LONG_TABLES]
    summary = combine_summary([p["summary"] for p in parts], Path(path).name, [p["figures"] for p in parts])
    summary["分区"] = names
    written.append(write_summary(summary, out / "summary.json"))
    shutil.rmtree(out / WORK, ignore_errors=True)
    return summary, written


__all__ = ["analyze_partition", "analyze_partitioned", "concat_csv", "partition_folders"]
