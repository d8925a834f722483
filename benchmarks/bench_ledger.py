"""Time the Excel ledger of one big village (issue 10, item 8: 20,000 households in under 2 s).

    python benchmarks/bench_ledger.py                  # 20,000 households, best of 3
    python benchmarks/bench_ledger.py 5000 --repeat 1

One village of N generated households (`lib.demo.district.generate_households`) is analysed
once; then, round by round (each writer once per round, so a change of load hits all of
them), best of --repeat:

* ours: `lib.report.excel.write_village_ledger` — the whole form (title rows, 序号, borders,
  小计 / 合计, tasks sheet, print setup); the tables' rows built as XML with polars
  (`lib.report.sheetxml`) inside the sheets xlsxwriter writes around them;
* the same ledger cell by cell (`write_ledger(..., cell_by_cell=True)`): xlsxwriter's
  `write_column` for every column, the writer before this change (same workbook);
* the sheets alone, no form: each frame through polars' `DataFrame.write_excel` (xlsxwriter,
  what one would script by hand);
* baseline: bare xlsxwriter cell by cell for that many cells (one `write_column` per column of
  the frames' values, no format) — the floor of any ledger xlsxwriter writes cell by cell.

Printed: seconds, cells written, microseconds per cell, ours / baseline, the target and the
load average. The figures also go to benchmarks/_work/bench_ledger.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # `benchmarks` is a folder of scripts, not an installed package

RECORD = ROOT / "benchmarks" / "_work" / "bench_ledger.json"
TARGET_SECONDS = 2.0
VILLAGE = "大村"


def analysed(n: int, seed: int):
    import polars as pl

    from lib.demo.district import generate_households
    from lib.io.reader import InputData, empty_problems
    from lib.policy import default_policy
    from lib.rules.analysis import analyze

    villages = pl.DataFrame({"乡镇": ["前进乡"], "村": [VILLAGE], "户数": [n],
                             "冰雹受灾": [False], "产业项目减收": [True]})
    frames = generate_households(n, seed, villages=villages)

    def rows(frame):
        return frame.with_row_index("来源行号", offset=2).with_columns(pl.col("来源行号").cast(pl.Int64))

    data = InputData(households=rows(frames["households"]), income=rows(frames["income"]),
                     measures=rows(frames["measures"]), rejects=empty_problems(), findings=empty_problems(),
                     rows_read={}, source="bench.xlsx")
    return analyze(data, default_policy())


def best(repeat: int, run) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def plain_frames(analysis) -> dict:
    """The village's sheets as plain frames (tables stacked on one sheet taken one by one)."""
    import polars as pl

    from lib.report.excel import village_sheets

    frames = {}
    for name, sheet in village_sheets(analysis, VILLAGE).items():
        parts = [sheet] if isinstance(sheet, pl.DataFrame) else [frame for _, frame in sheet]
        for k, frame in enumerate(parts):
            frames[f"{name}{k or ''}"] = frame.with_columns(
                pl.col(c).list.eval(pl.element().cast(pl.String)).list.join("；")
                for c, t in frame.schema.items() if isinstance(t, pl.List))
    return frames


def bare_xlsxwriter(path: Path, frames: dict) -> None:
    import math

    import xlsxwriter

    book = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False})
    for name, frame in frames.items():
        sheet = book.add_worksheet(name[:31])
        for j, column in enumerate(frame.columns):
            values = [None if isinstance(v, float) and not math.isfinite(v) else v
                      for v in frame.get_column(column).to_list()]
            sheet.write_column(0, j, values)
    book.close()


def main(argv=None) -> int:
    from lib.catalogue import TOWNSHIP
    from lib.catalogue import VILLAGE as VILLAGE_COLUMN
    from lib.report.excel import ledger_heading, village_sheets, write_ledger, write_village_ledger

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("households", nargs="?", type=int, default=20_000)
    p.add_argument("--seed", type=int, default=2022)
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args(argv)

    analysis = analysed(args.households, args.seed)
    frames = plain_frames(analysis)
    cells = sum(f.height * f.width for f in frames.values())
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        heading = ledger_heading(analysis, VILLAGE, implied=(TOWNSHIP, VILLAGE_COLUMN))
        runs = {
            "ours": lambda: write_village_ledger(work / "ours.xlsx", analysis, VILLAGE),
            "cell_by_cell": lambda: write_ledger(work / "cells.xlsx", village_sheets(analysis, VILLAGE), heading,
                                                 cell_by_cell=True),
            "polars_write_excel": lambda: [
                frame.write_excel(work / f"plain{k}.xlsx", worksheet=name[:31], autofit=False)
                for k, (name, frame) in enumerate(frames.items())],
            "bare_xlsxwriter": lambda: bare_xlsxwriter(work / "bare.xlsx", frames),
        }
        times: dict[str, list[float]] = {what: [] for what in runs}
        for _ in range(args.repeat):
            for what, run in runs.items():
                times[what].append(best(1, run))
        size, size_cells = (work / "ours.xlsx").stat().st_size, (work / "cells.xlsx").stat().st_size
    seconds = {what: min(t) for what, t in times.items()}
    ours, baseline = seconds["ours"], seconds["bare_xlsxwriter"]
    load = os.getloadavg()
    figures = {
        "households": args.households, "cells": cells, "ledger_bytes": size, "ledger_bytes_cell_by_cell": size_cells,
        **{f"{what}_seconds": round(t, 3) for what, t in seconds.items()},
        **{f"{what}_runs": [round(x, 3) for x in t] for what, t in times.items()},
        "ours_over_baseline": round(ours / baseline, 3), "target_seconds": TARGET_SECONDS,
        "load_average_before": load_before, "load_average_after": load, "cpus": os.cpu_count(),
    }
    print(f"{args.households:,} 户的村级台账（{cells:,} 个单元格，{size / 1e6:.1f} MB；逐格写出 {size_cells / 1e6:.1f} MB），"
          f"{args.repeat} 轮取最好：")
    for what, label in (("ours", "本程序（完整表式，polars 成批生成行）"), ("cell_by_cell", "同一台账逐格写出（改前的写法）"),
                        ("polars_write_excel", "polars write_excel（无表式）"),
                        ("bare_xlsxwriter", "基线：xlsxwriter 逐格 write_column（仅数值，无格式）")):
        t = seconds[what]
        print(f"  {label}：{t:.2f} 秒，每单元格 {t / cells * 1e6:.2f} 微秒（各轮 {', '.join(f'{x:.2f}' for x in times[what])}）")
    print(f"  本程序 / 基线 = {ours / baseline:.2f}；本程序 / 逐格写出 = {ours / seconds['cell_by_cell']:.2f}")
    print(f"  目标：{TARGET_SECONDS:.0f} 秒以内 — {'达到' if ours < TARGET_SECONDS else '未达到'}；"
          f"负载 {load_before[0]:.2f} → {load[0]:.2f}（{os.cpu_count()} 核）")
    RECORD.parent.mkdir(parents=True, exist_ok=True)
    RECORD.write_text(json.dumps(figures, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
