"""Writes the results of `analyze` (I/O only): the CLI contract's files in one folder.

households.csv / rejects.csv / findings.csv / ledger CSVs are UTF-8 with BOM so that Excel on Chinese
Windows opens them with the right characters, and every text cell goes through the one
spreadsheet neutraliser (``lib.present.format.neutralise``): these files are opened in
Excel, and a name typed as "=HYPERLINK(…)" must stay a name. Parquet keeps the full typed
tables, untouched.

findings.csv holds every finding in one shape (户编号, 村, 代码, 级别, 说明, 工作表, 行号): the
reader's and the rules' first, then the data checks (数据核查); identifiers written inside a
说明 are masked, because the file is handed to township clerks.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from lib.io.atomic import atomic_path
from lib.present.format import LIST_SEPARATOR, neutralise_frame

# Long tables kept as parquet for notebooks and later runs (data/processed is rebuildable).
PARQUET_TABLES = ("households", "items", "risks", "recommendations", "measures", "fgt", "transitions", "quality")
# Measured on 200,000 households (households 51 columns, items 1.07M rows), CPU s to write + read:
# zstd (polars' default) 0.44 + 0.15, 22 MB; zstd level 1 0.37 + 0.15, 23 MB; lz4 0.31 + 0.09,
# 38 MB; uncompressed 0.24 + 0.08, 107 MB. These are work files read back by the notebooks on the
# same disk: lz4 costs least once the size is reasonable.
PARQUET_COMPRESSION = "lz4"
# Column statistics (min/max per row group) let a reader skip row groups; a table of 200,000
# households is one row group and the notebooks read whole files, so they buy nothing here and
# cost 0.08 s CPU of writing at 200,000 households (households 0.38 → 0.33 s, items 0.16 → 0.13 s).
PARQUET_STATISTICS = False


def flatten_lists(frame: pl.DataFrame, sep: str = LIST_SEPARATOR) -> pl.DataFrame:
    """List columns joined into text, for CSV and Excel (which have no list type)."""
    return frame.with_columns(
        pl.col(name).list.join(sep)
        for name, dtype in frame.schema.items()
        if isinstance(dtype, pl.List)
    )


def write_csv(frame: pl.DataFrame, path: Path) -> Path:
    """``frame`` as a CSV file for Excel (UTF-8 with BOM, lists joined, cells neutralised)."""
    with atomic_path(path) as tmp:
        neutralise_frame(flatten_lists(frame)).write_csv(tmp, include_bom=True)
    return path


def write_parquet(frame: pl.DataFrame, path: Path) -> Path:
    with atomic_path(path) as tmp:
        frame.write_parquet(tmp, compression=PARQUET_COMPRESSION, statistics=PARQUET_STATISTICS)
    return path


ROW_FILES = ("households.csv", "rejects.csv", "findings.csv")


def row_files(analysis) -> dict[str, pl.DataFrame]:
    """The CSV files with a row per household, input row or finding: file name → frame."""
    from lib.present.format import mask_frame
    from lib.rules.analysis import households_csv_frame
    from lib.rules.quality import findings_table

    frames = (households_csv_frame(analysis), analysis.rejects,
              mask_frame(findings_table(analysis.quality, analysis.findings)))
    return dict(zip(ROW_FILES, frames, strict=True))


def ledger_file(view: str) -> str:
    return f"台账_{view}.csv"


def write_summary(summary: dict, path: Path) -> Path:
    with atomic_path(path) as tmp:
        Path(tmp).write_text(json.dumps(summary, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    return path


def write_analysis(analysis, out_dir: str | Path) -> list[Path]:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = [write_csv(frame, out / name) for name, frame in row_files(analysis).items()]
    written += [write_parquet(getattr(analysis, name), out / f"{name}.parquet") for name in PARQUET_TABLES]
    written += [write_csv(frame, out / ledger_file(view)) for view, frame in analysis.ledger.items()]
    written.append(write_summary(analysis.summary, out / "summary.json"))
    return written
