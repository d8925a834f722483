"""A nation in bounded memory: `zengshou analyze` over a district set partitioned by 县.

    python benchmarks/bench_nation.py                          # 10,000,000 households, 50 县
    python benchmarks/bench_nation.py 1000000 --counties 10 --dask

The set is generated once (`lib.demo.district.generate_households`, one 县 at a time with its
own seed and area code, so 户编号 and IDs are unique across 县) and cached as parquet under
benchmarks/_work/nation_n<N>_c<C>/县=<area code>/{households,income,measures}.parquet
(git-ignored). Then, in this run, each a fresh process:
- `zengshou analyze <partitioned folder> -o …` (partitions one after another): wall, CPU and
  peak resident memory (the largest process), against the baseline measured in the same run:
  the same command on ONE partition (one 县), which is what memory must stay near;
- with --dask: the same command with `--scheduler` on a LocalCluster of two single-threaded
  worker processes on this machine (peak = the largest worker), and whether its
  households.csv and summary.json are byte-identical to the local run's.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

WORK = ROOT / "benchmarks" / "_work"
FRAMES = ("households", "income", "measures")
FIRST_AREA = 230801  # 县 area codes counted up from here (6 digits, the 户编号 prefix)


def nation_folder(n: int, counties: int, seed: int) -> Path:
    return WORK / f"nation_n{n}_c{counties}_seed{seed}"


def prepare(n: int, counties: int, seed: int) -> Path:
    """Generate ``n`` households in ``counties`` partitions once (reused by later runs)."""
    from lib.demo.district import generate_households

    folder = nation_folder(n, counties, seed)
    done = folder / "generated.json"
    if done.exists():
        return folder
    start = time.perf_counter()
    sizes = [n // counties + (i < n % counties) for i in range(counties)]
    for i, size in enumerate(sizes):
        area = str(FIRST_AREA + i)
        part = folder / f"县={area}"
        if (part / "measures.parquet").exists():
            continue  # an interrupted generation goes on where it stopped
        frames = generate_households(size, seed + i, area_code=area)
        part.mkdir(parents=True, exist_ok=True)
        for name in FRAMES:
            frames[name].write_parquet(part / f"{name}.parquet")
        del frames
        print(f"  县={area}: {size:,} households", flush=True)
    done.write_text(json.dumps({"households": n, "counties": counties, "seed": seed}))
    print(f"generated {n:,} households in {counties} 县 in {time.perf_counter() - start:.0f} s → {folder}", flush=True)
    return folder


def timed(argv: list[str]) -> dict:
    """wall, CPU and peak MB of one fresh process (the figures /usr/bin/time -v reads from wait4)."""
    from benchmarks.bench_analyze import run_process

    return run_process(argv)


def digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


DASK_DRIVER = """
import json, sys, time
from dask.distributed import LocalCluster
from lib.cli import main
with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                  memory_limit=0) as cluster:
    start = time.perf_counter()
    status = main(["analyze", sys.argv[1], "-o", sys.argv[2], "--scheduler", cluster.scheduler_address])
print(json.dumps({"status": status, "seconds": time.perf_counter() - start}))
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("n", nargs="?", type=int, default=10_000_000)
    parser.add_argument("--counties", type=int, default=50)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--dask", action="store_true", help="also run it on a local dask cluster (2 workers)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    load = Path("/proc/loadavg").read_text().split()[:3]
    folder = prepare(args.n, args.counties, args.seed)
    cli = [sys.executable, "-m", "lib.cli", "analyze"]
    one = sorted(p for p in folder.iterdir() if p.is_dir())[0]
    row = {"n": args.n, "counties": args.counties, "load_before": load}
    row["one_partition"] = timed([*cli, str(one), "-o", str(folder.with_name(folder.name + "_out_one"))])
    local_out = folder.with_name(folder.name + "_out_local")
    row["partitioned"] = timed([*cli, str(folder), "-o", str(local_out)])
    row["households_csv_bytes"] = (local_out / "households.csv").stat().st_size
    print(json.dumps(row), flush=True)
    if args.dask:
        dask_out = folder.with_name(folder.name + "_out_dask")
        # peak: the largest of the driver, the scheduler and the two workers (all waited for)
        figures = timed([sys.executable, "-c", DASK_DRIVER, str(folder), str(dask_out)])
        row["dask"] = figures
        row["dask_identical"] = {f: digest(local_out / f) == digest(dask_out / f) for f in ("households.csv", "summary.json")}
        print(json.dumps(row), flush=True)
    load_after = Path("/proc/loadavg").read_text().split()[:3]
    one, part = row["one_partition"], row["partitioned"]
    print(f"\nload average before {' '.join(load)}, after {' '.join(load_after)}; {os.cpu_count()} cores")
    print("| run | households | wall s | CPU s | peak MB |")
    print("|---|---:|---:|---:|---:|")
    print(f"| baseline: one 县 alone | {args.n // args.counties:,} | {one['wall']:.1f} | {one['cpu']:.1f} | {one['peak_mb']:,.0f} |")
    print(f"| `zengshou analyze` partitioned, local | {args.n:,} | {part['wall']:.1f} | {part['cpu']:.1f} | {part['peak_mb']:,.0f} |")
    if "dask" in row:
        d = row["dask"]
        print(f"| same, `--scheduler` LocalCluster 2 workers | {args.n:,} | {d['wall']:.1f} | {d['cpu']:.1f} | {d['peak_mb']:,.0f} |")
        print(f"identical to the local run: {row['dask_identical']}")
    print(f"peak partitioned / one 县: {part['peak_mb'] / one['peak_mb']:.2f}; households.csv {row['households_csv_bytes'] / 1e9:.2f} GB")
    if args.json:
        args.json.write_text(json.dumps(row, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
