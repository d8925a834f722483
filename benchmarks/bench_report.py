"""Report pipeline speed: plain papermill + nbconvert CLIs versus our machinery, per village.

    python -m benchmarks.bench_report [--villages 20] [--workers 2] [--baseline-runs 3]

Baseline: for one village, ``papermill`` CLI then ``jupyter nbconvert --to html --no-input``
CLI on the tiny polars + plotly notebook (tests/notebooks/tiny_report.ipynb), as one would
script it by hand; the median of ``--baseline-runs`` runs.

Ours: the same notebook for ``--villages`` villages through ``lib.report.pipeline.run_jobs``
with ``--workers`` spawned workers (warm kernels, one exporter per worker, offline HTML),
as ``zengshou report`` runs them (no ledger: the notebook has no analysis behind it).

Real: ``zengshou report`` (``run_report``) on a generated district of ``--villages`` villages
in the input contract — the real briefing notebook, ledgers, district overview and index.

Printed: median seconds per village job (the target: ≤ 2.5 s with 20 villages and 2
workers), the batch's wall time per village, the ratio to the baseline, HTML sizes, and the
machine's load average (the figures only mean something on a quiet machine). The figures
also go to benchmarks/_work/bench_report.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "tests" / "notebooks" / "tiny_report.ipynb"
RECORD = ROOT / "benchmarks" / "_work" / "bench_report.json"


def _bin(name: str) -> str:
    # the CLIs of the interpreter running this script (the project's virtualenv)
    candidate = Path(sys.executable).with_name(name)
    return str(candidate) if candidate.exists() else name


def baseline_once(work: Path, village: str) -> tuple[float, int]:
    out_ipynb, out_html = work / f"{village}.ipynb", work / f"{village}.html"
    start = time.perf_counter()
    subprocess.run(
        [_bin("papermill"), str(TINY), str(out_ipynb), "-p", "village", village, "-k", "python3",
         "--no-progress-bar", "--cwd", str(TINY.parent)],
        check=True, capture_output=True,
    )
    subprocess.run(
        [_bin("jupyter"), "nbconvert", "--to", "html", "--no-input", str(out_ipynb), "--output", out_html.name],
        check=True, capture_output=True, cwd=work,
    )
    return time.perf_counter() - start, out_html.stat().st_size


def ours(work: Path, villages: int, workers: int) -> tuple[float, list]:
    from lib.report.pipeline import (
        VILLAGE_TITLE,
        VillageJob,
        run_jobs,
        without_last_prefetch,
    )

    jobs = [
        VillageJob(f"村{i:02d}", f"村{i:02d}", f"村{i:02d}{VILLAGE_TITLE}", str(TINY), str(work), "",
                   str(work / "_work"), {"village": f"村{i:02d}"}, ledger=False)
        for i in range(villages)
    ]
    results = []
    start = time.perf_counter()
    run_jobs(without_last_prefetch(jobs, workers), workers, progress=False, on_result=results.append)
    return time.perf_counter() - start, results


def real_district(work: Path, villages: int, seed: int = 2022) -> Path:
    """A generated district of exactly ``villages`` villages (40–300 households each) as an
    input workbook, the way an analyst hands it to ``zengshou report``."""
    from lib.demo.district import generate_households, village_table
    from lib.io.template import write_input_workbook

    table = village_table(300 * villages, seed).head(villages)
    frames = generate_households(int(table["户数"].sum()), seed, villages=table)
    return write_input_workbook(work / "district.xlsx", frames["households"], frames["income"], frames["measures"])


def real_reports(work: Path, villages: int, workers: int) -> dict:
    """``zengshou report`` on a ``villages``-village district: the real briefing notebook,
    ledgers, district overview and index."""
    from lib.report.pipeline import run_report
    from lib.report.store import read_manifest
    from lib.report.workspace import STORE, work_dir_for

    workbook = real_district(work, villages)
    start = time.perf_counter()
    result = run_report(workbook, work / "outputs", workers=workers, progress=False)
    wall = time.perf_counter() - start
    if result.failed:
        raise RuntimeError(f"失败：{[(r.village, r.error) for r in result.failed]}")
    per_job = [r.seconds for r in result.villages]
    sizes = [r.html_bytes for r in result.villages]
    return {
        "villages": len(result.villages),
        "households": read_manifest(work_dir_for(work / "outputs") / STORE)["summary"]["户数"],
        "median_per_village_s": round(statistics.median(per_job), 2),
        "p90_per_village_s": round(statistics.quantiles(per_job, n=10)[-1], 2),
        "median_execute_s": round(statistics.median(r.execute_seconds for r in result.villages), 2),
        "median_html_s": round(statistics.median(r.html_seconds for r in result.villages), 2),
        "median_ledger_s": round(statistics.median(r.ledger_seconds for r in result.villages), 2),
        "command_wall_s": round(wall, 2),
        "command_wall_per_village_s": round(wall / len(result.villages), 2),
        "html_bytes_min_max": [min(sizes), max(sizes)],
        # the same pages with the full plotly.js that plotly.py ships (what they embedded before)
        "html_bytes_full_plotlyjs_min_max": [min(sizes) + _full_bundle_extra(), max(sizes) + _full_bundle_extra()],
        "kernel_start_retries": sum(r.attempts - 1 for r in result.villages),
    }


def _full_bundle_extra() -> int:
    """Bytes the full plotly.js bundle adds over the packed partial one and its inflater
    (measured in this run)."""
    from plotly.offline import get_plotlyjs

    from lib.report.html import plotlyjs_scripts

    return len(get_plotlyjs().encode()) - len(plotlyjs_scripts().encode())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--villages", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--baseline-runs", type=int, default=3)
    parser.add_argument("--tiny-only", action="store_true", help="skip the real briefings on a generated district")
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="bench_report_"))
    try:
        load_before = os.getloadavg()
        (work / "baseline").mkdir()
        base = [baseline_once(work / "baseline", f"基线{i}") for i in range(args.baseline_runs)]
        base_median = statistics.median(t for t, _ in base)

        wall, results = ours(work / "ours", args.villages, args.workers)
        failed = [r for r in results if not r.ok]
        if failed:
            print("失败：", [(r.village, r.error) for r in failed], file=sys.stderr)
            return 1
        per_job = [r.seconds for r in results]
        median_job = statistics.median(per_job)
        sizes = [r.html_bytes for r in results]
        figures = {
            "load_average_before": [round(x, 2) for x in load_before],
            "load_average_after": [round(x, 2) for x in os.getloadavg()],
            "cpus": os.cpu_count(),
            "baseline_runs_s": [round(t, 2) for t, _ in base],
            "baseline_median_s": round(base_median, 2),
            "baseline_html_bytes": base[0][1],
            "villages": args.villages,
            "workers": args.workers,
            "median_per_village_s": round(median_job, 2),
            "p90_per_village_s": round(statistics.quantiles(per_job, n=10)[-1], 2) if len(per_job) > 1 else None,
            "median_execute_s": round(statistics.median(r.execute_seconds for r in results), 2),
            "median_html_s": round(statistics.median(r.html_seconds for r in results), 2),
            "batch_wall_s": round(wall, 2),
            "batch_wall_per_village_s": round(wall / args.villages, 2),
            "ratio_baseline_to_median": round(base_median / median_job, 2),
            "html_bytes_min_max": [min(sizes), max(sizes)],
            "kernel_start_retries": sum(r.attempts - 1 for r in results),
        }
        if not args.tiny_only:
            figures["real"] = real_reports(work / "real", args.villages, args.workers)
            figures["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(f"机器：{figures['cpus']} 核，负载 {figures['load_average_before']} → {figures['load_average_after']}")
    print(f"基线（papermill CLI + nbconvert CLI，单村）：中位数 {figures['baseline_median_s']} s"
          f"（{figures['baseline_runs_s']}），HTML {figures['baseline_html_bytes'] / 1e6:.2f} MB")
    print(f"本流程（{args.villages} 村，{args.workers} 进程）：每村中位数 {figures['median_per_village_s']} s"
          f"（执行 {figures['median_execute_s']} s + HTML {figures['median_html_s']} s，P90 {figures['p90_per_village_s']} s）；"
          f"整批 {figures['batch_wall_s']} s，合每村 {figures['batch_wall_per_village_s']} s")
    print(f"基线 / 本流程每村中位数 = {figures['ratio_baseline_to_median']} 倍；"
          f"HTML {figures['html_bytes_min_max'][0] / 1e6:.2f}–{figures['html_bytes_min_max'][1] / 1e6:.2f} MB；"
          f"内核启动重试 {figures['kernel_start_retries']} 次")
    if "real" in figures:
        real = figures["real"]
        print(f"真实简报（zengshou report，{real['villages']} 村 {real['households']} 户，{args.workers} 进程）："
              f"每村中位数 {real['median_per_village_s']} s（执行 {real['median_execute_s']} s + HTML {real['median_html_s']} s"
              f" + 台账 {real['median_ledger_s']} s，P90 {real['p90_per_village_s']} s）；"
              f"整条命令 {real['command_wall_s']} s，合每村 {real['command_wall_per_village_s']} s；"
              f"HTML {real['html_bytes_min_max'][0] / 1e6:.2f}–{real['html_bytes_min_max'][1] / 1e6:.2f} MB"
              f"（嵌入完整 plotly.js 时 {real['html_bytes_full_plotlyjs_min_max'][0] / 1e6:.2f}–"
              f"{real['html_bytes_full_plotlyjs_min_max'][1] / 1e6:.2f} MB）；"
              f"负载 {figures['load_average_end']}")
    RECORD.parent.mkdir(parents=True, exist_ok=True)
    RECORD.write_text(json.dumps(figures, ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"已记录：{RECORD.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
