"""Time the Excel ledger of one big village (issue 10, item 8: 20,000 households in under 2 s).

    python benchmarks/bench_ledger.py                  # 20,000 households, best of 3
    python benchmarks/bench_ledger.py 5000 --repeat 1

One village of N generated households (`lib.demo.district.generate_households`) is analysed
once; then, each best of --repeat:

* ours: `lib.report.excel.write_village_ledger` — the whole form (title rows, 序号, borders,
  小计 / 合计, tasks sheet, print setup), prepared with polars, written column by column;
* the sheets alone: the same workbook's cells with no form, each frame through polars'
  `DataFrame.write_excel` (xlsxwriter too, one `write_column` per column: what one would
  script by hand) — the floor of any xlsxwriter ledger of this size;
* xlsxwriter's own cost for that many cells (a bare `write_column` of the frames' values).

Printed: seconds, cells written, microseconds per cell, and the target. The figures also go to
benchmarks/_work/bench_ledger.json. Only meaningful on a quiet machine (load average printed).
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
    from lib.report.excel import write_village_ledger

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("households", nargs="?", type=int, default=20_000)
    p.add_argument("--seed", type=int, default=2022)
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args(argv)

    analysis = analysed(args.households, args.seed)
    frames = plain_frames(analysis)
    cells = sum(f.height * f.width for f in frames.values())
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        ours = best(args.repeat, lambda: write_village_ledger(work / "ours.xlsx", analysis, VILLAGE))
        polars_plain = best(args.repeat, lambda: [
            frame.write_excel(work / f"plain{k}.xlsx", worksheet=name[:31], autofit=False)
            for k, (name, frame) in enumerate(frames.items())])
        bare = best(args.repeat, lambda: bare_xlsxwriter(work / "bare.xlsx", frames))
        size = (work / "ours.xlsx").stat().st_size
    figures = {
        "households": args.households, "cells": cells, "ledger_bytes": size,
        "ours_seconds": round(ours, 3), "polars_write_excel_seconds": round(polars_plain, 3),
        "bare_xlsxwriter_seconds": round(bare, 3), "target_seconds": TARGET_SECONDS,
        "load_average": os.getloadavg(),
    }
    print(f"{args.households:,} 户的村级台账（{cells:,} 个单元格，{size / 1e6:.1f} MB）：")
    for what, seconds in (("本程序（完整表式）", ours), ("polars write_excel（无表式）", polars_plain),
                          ("xlsxwriter write_column（仅数值）", bare)):
        print(f"  {what}：{seconds:.2f} 秒，每单元格 {seconds / cells * 1e6:.1f} 微秒")
    print(f"  目标：{TARGET_SECONDS:.0f} 秒以内 — {'达到' if ours < TARGET_SECONDS else '未达到'}；"
          f"负载 {os.getloadavg()[0]:.2f}")
    RECORD.parent.mkdir(parents=True, exist_ok=True)
    RECORD.write_text(json.dumps(figures, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
