"""The options weighed for the fast ledger (issue 10, item 8), measured on the same cells.

    python benchmarks/bench_ledger_options.py [N] [--repeat 2]

The frames of one N-household village's ledger (`bench_ledger.plain_frames`, ~1.57M cells at
20,000) written, values only, by each writer that is importable; the others are skipped. The
writers that are not project dependencies were tried from a side directory, not installed in
the project's environment:

    pip download --no-deps -d /tmp/wheels rvgsrust-xlsxwriter pyexcelerate
    pip install --no-deps --target /tmp/evalpkgs /tmp/wheels/*.whl
    PYTHONPATH=/tmp/evalpkgs python benchmarks/bench_ledger_options.py

* bare xlsxwriter, `write_column` per column (the baseline of bench_ledger.py);
* xlsxwriter in constant_memory mode (rows must be written in order: `write_row` per row);
* pyexcelerate (pure Python, bulk `new_sheet(data=…)`);
* rvgsrust-xlsxwriter (Python binding of the Rust rust_xlsxwriter): `write_column` of Python
  lists, and `write_dataframe` from Arrow (which skips nulls: blank cells lose their border);
* ours: the same frames' rows through `lib.report.sheetxml.rows_xml` + `splice` (one format).
"""

from __future__ import annotations

import argparse
import io
import math
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.bench_ledger import analysed, bare_xlsxwriter, plain_frames  # noqa: E402


def _values(frame, column):
    return [None if isinstance(v, float) and not math.isfinite(v) else v for v in frame.get_column(column).to_list()]


def constant_memory(path, frames):
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_formulas": False,
                                           "strings_to_urls": False})
    for name, frame in frames.items():
        sheet = book.add_worksheet(name[:31])
        columns = [_values(frame, c) for c in frame.columns]
        for i, row in enumerate(zip(*columns, strict=True)):
            sheet.write_row(i, 0, row)
    book.close()


def pyexcelerate(path, frames):
    from pyexcelerate import Workbook

    book = Workbook()
    for name, frame in frames.items():
        columns = [_values(frame, c) for c in frame.columns]
        book.new_sheet(name[:31], data=[list(r) for r in zip(*columns, strict=True)])
    book.save(str(path))


def rvgsrust_columns(path, frames):
    import rvgsrust_xlsxwriter as rv

    book = rv.Workbook(str(path))
    cell = book.add_format()
    cell.set_border("thin")
    for name, frame in frames.items():
        sheet = book.add_worksheet(name[:31])
        for j, column in enumerate(frame.columns):
            sheet.write_column(0, j, _values(frame, column), cell)
    book.close()


def rvgsrust_arrow(path, frames):
    import polars as pl
    import rvgsrust_xlsxwriter as rv

    book = rv.Workbook(str(path))
    cell = book.add_format()
    cell.set_border("thin")
    for name, frame in frames.items():
        frame = frame.with_columns(pl.when(pl.col(c).is_finite()).then(pl.col(c)).alias(c)
                                   for c, t in frame.schema.items() if t.is_float())
        book.add_worksheet(name[:31]).write_dataframe(0, 0, frame, column_formats={c: cell for c in frame.columns})
    book.close()


def ours(path, frames):
    import polars as pl
    import xlsxwriter

    from lib.report import sheetxml

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    cell = book.add_format({"border": 1})
    blocks = {}
    for k, (name, frame) in enumerate(frames.items(), start=1):
        book.add_worksheet(name[:31])
        frame = frame.with_columns(pl.when(pl.col(c).is_finite()).then(pl.col(c)).alias(c)
                                   for c, t in frame.schema.items() if t.is_float())
        xf = cell._get_xf_index()
        columns = [sheetxml.Column(c, sheetxml.column_letter(j), xf, xf, xf) for j, c in enumerate(frame.columns)]
        blocks[f"xl/worksheets/sheet{k}.xml"] = [(-1, sheetxml.rows_xml(frame, -1, columns))]
    book.close()
    sheetxml.splice(buffer.getvalue(), blocks, path)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("households", nargs="?", type=int, default=20_000)
    p.add_argument("--repeat", type=int, default=2)
    args = p.parse_args(argv)
    frames = plain_frames(analysed(args.households, 2022))
    cells = sum(f.height * f.width for f in frames.values())
    writers = {"xlsxwriter write_column（基线）": bare_xlsxwriter, "xlsxwriter constant_memory": constant_memory,
               "pyexcelerate": pyexcelerate, "rvgsrust-xlsxwriter write_column": rvgsrust_columns,
               "rvgsrust-xlsxwriter write_dataframe": rvgsrust_arrow, "本程序 sheetxml": ours}
    available = {}
    for what, writer in writers.items():
        module = {"pyexcelerate": "pyexcelerate"}.get(what, "rvgsrust_xlsxwriter" if "rvgsrust" in what else None)
        try:
            if module:
                __import__(module)
            available[what] = writer
        except ImportError:
            print(f"  {what}：未安装，跳过")
    times = {what: [] for what in available}
    load = os.getloadavg()
    with tempfile.TemporaryDirectory() as work:
        for _ in range(args.repeat):
            for k, (what, writer) in enumerate(available.items()):
                start = time.perf_counter()
                writer(Path(work) / f"w{k}.xlsx", frames)
                times[what].append(time.perf_counter() - start)
    base = min(times["xlsxwriter write_column（基线）"])
    print(f"{cells:,} 个单元格（仅数值），{args.repeat} 轮取最好：")
    for what, t in times.items():
        print(f"  {what}：{min(t):.2f} 秒（{min(t) / base:.2f} × 基线）")
    print(f"  负载 {load[0]:.2f} → {os.getloadavg()[0]:.2f}（{os.cpu_count()} 核）")
    return 0


if __name__ == "__main__":
    sys.exit(main())
