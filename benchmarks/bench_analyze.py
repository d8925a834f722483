"""Time the polars rules engine against the pandas baseline on N generated households.

    python benchmarks/bench_analyze.py                 # 100,000 and 1,000,000 households
    python benchmarks/bench_analyze.py 20000 --repeat 1 --no-memory
    python benchmarks/bench_analyze.py --csv 200000      # zengshou analyze vs benchmarks/pandas_core.py

For each N the district is generated once (`lib.demo.district.generate_households`) and kept as
parquet in benchmarks/_work/ (git-ignored); then, in the same run, `lib.rules.analysis.analyze`
on the in-memory canonical frames and `benchmarks.pandas_baseline.analyze_full` (the same
rules, measures, ledger, FGT, transitions and 说明) on the same frames converted to pandas
beforehand are each timed best of --repeat; so are the rules core of each side on its own
(`run_polars_core`: the engine's CORE_STAGES; `analyze_core`: the same rules in pandas).
Timing all in one run matters: the machine is shared, so only the ratio is comparable between
runs. Peak memory is the peak resident size of a child process that loads the parquet and runs
just that one full step (VmHWM, not ru_maxrss: see `maxrss_mb`). Last, the whole command a
user runs, `zengshou analyze <parquet folder> -o …` (read and validate, analyze, write every
output), is timed once in a fresh process with its peak memory.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import resource
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # `benchmarks` is a folder of scripts, not an installed package

WORK = ROOT / "benchmarks" / "_work"
FRAMES = ("households", "income", "measures")
SLOW_PANDAS = 60.0  # seconds: a step this slow is timed once, not best of --repeat
TARGET_RATIO, TARGET_SECONDS_1M, TARGET_MB_1M = 0.5, 10.0, 3072
# The engine's rules core (income and item table, 研判, 预警, risk points with sub-causes, survey
# findings), in the order `analyze` runs them: what `run_polars_core` times and
# `pandas_baseline.analyze_core` does. The rest of `analyze` (低保 check, recommendations, measures,
# 说明, ledger, FGT, transitions) is in both full runs; only summary.json has no pandas counterpart.
CORE_STAGES = ("choose_years", "compare_income", "classify", "add_warnings", "evaluate_risks",
               "survey_findings", "attach_risks")


def data_folder(n: int, seed: int) -> Path:
    return WORK / f"analyze_n{n}_seed{seed}"


def prepare(n: int, seed: int) -> Path:
    """Generate N households once and keep them as parquet (reused by later runs)."""
    import lib.demo.district
    from lib.demo.district import generate_households

    folder = data_folder(n, seed)
    # regenerate when the generator changed since the parquet was written
    version = hashlib.sha256(Path(lib.demo.district.__file__).read_bytes()).hexdigest()
    stamp = folder / "generator.sha256"
    if stamp.exists() and stamp.read_text() == version:
        return folder

    start = time.perf_counter()
    data = generate_households(n, seed)
    folder.mkdir(parents=True, exist_ok=True)
    for name in FRAMES:
        data[name].write_parquet(folder / f"{name}.parquet")
    stamp.write_text(version)
    print(f"generated {n:,} households in {time.perf_counter() - start:.1f} s → {folder}", flush=True)
    return folder


SHEET_FILES = {"households": "户信息.csv", "income": "收入.csv", "measures": "帮扶措施.csv"}


def prepare_csv(n: int, seed: int) -> Path:
    """The same district as a folder of CSV files named after the sheets, as an analyst saves
    them from Excel (UTF-8, 是/否 for yes/no, dates as 2022-08-15); written once, reused."""
    import polars as pl

    source = prepare(n, seed)
    folder = source.with_name(source.name + "_csv")
    stamp = folder / "generator.sha256"
    if stamp.exists() and stamp.read_text() == (source / "generator.sha256").read_text():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    for name, file in SHEET_FILES.items():
        frame = pl.read_parquet(source / f"{name}.parquet")
        frame.with_columns(
            pl.when(pl.col(c)).then(pl.lit("是")).otherwise(pl.lit("否")).alias(c)
            for c, t in frame.schema.items() if t == pl.Boolean
        ).write_csv(folder / file)
    stamp.write_text((source / "generator.sha256").read_text())
    return folder


def load_polars(folder: Path):
    """The canonical frames as `lib.io.reader.read_input` hands them to the engine."""
    import polars as pl

    from lib.catalogue import SOURCE_ROW
    from lib.io.reader import InputData, empty_problems

    frames = {name: pl.read_parquet(folder / f"{name}.parquet") for name in FRAMES}
    for name, frame in frames.items():  # the generator leaves out the reader's row numbers
        if SOURCE_ROW not in frame.columns:
            frames[name] = frame.with_row_index(SOURCE_ROW, offset=2).with_columns(pl.col(SOURCE_ROW).cast(pl.Int64))
    return InputData(
        **frames,
        rejects=empty_problems(),
        findings=empty_problems(),
        rows_read={"户信息": frames["households"].height, "收入": frames["income"].height,
                   "帮扶措施": frames["measures"].height},
        source=folder.name,
    )


def to_pandas(data):
    """households, income and measures as pandas frames (numpy numbers, pyarrow-backed strings)."""
    return data.households.to_pandas(), data.income.to_pandas(), data.measures.to_pandas()


def load_pandas(folder: Path):
    """The same three frames read straight into pandas (same dtypes as `to_pandas`)."""
    import pandas as pd

    return tuple(pd.read_parquet(folder / f"{name}.parquet") for name in FRAMES)


def run_polars(data, policy):
    from lib.rules.analysis import analyze

    return analyze(data, policy)


def run_pandas(frames, policy):
    """The whole pandas baseline: everything `run_polars` does but summary.json."""
    from benchmarks.pandas_baseline import analyze_full

    households, income, measures = frames
    return analyze_full(households, income, measures, policy)


def run_polars_core(data, policy):
    """The engine's rules core alone: the CORE_STAGES, called as `analyze` calls them."""
    from lib.rules.classify import classify
    from lib.rules.income import choose_years, compare_income
    from lib.rules.risk import attach_risks, evaluate_risks, survey_findings
    from lib.rules.warning import add_warnings

    year_last, year_this = choose_years(data.income)
    # the generated roster has every contract column, so analyze's completion step is a no-op
    income = compare_income(data.households, data.income, policy, year_last, year_this)
    wide = add_warnings(classify(income.households, policy), policy, year_this)
    risks = evaluate_risks(wide, policy, keep_row=True)
    return attach_risks(wide, risks), survey_findings(wide, risks), income.items


def run_pandas_core(frames, policy):
    """The pandas baseline's rules core alone (`analyze_core`)."""
    from benchmarks.pandas_baseline import analyze_core

    households, income, _ = frames
    return analyze_core(households, income, policy)


def timed(steps: dict, repeat: int, slow: float | None = None) -> dict[str, dict]:
    """Best wall time (and the CPU time of that run) of each step over up to `repeat` rounds.

    Rounds interleave the steps (polars, pandas, polars, ...), so that both see the same load
    on a shared machine; a step slower than `slow` seconds is not run again."""
    best = {name: {"wall": float("inf"), "cpu": float("nan"), "runs": 0} for name in steps}
    for _ in range(repeat):
        for name, fn in steps.items():
            if best[name]["runs"] and slow is not None and best[name]["wall"] > slow:
                continue
            wall, cpu = time.perf_counter(), time.process_time()
            fn()
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            if wall < best[name]["wall"]:
                best[name].update(wall=wall, cpu=cpu)
            best[name]["runs"] += 1
    return best


def stage_times(data, policy) -> dict[str, float]:
    """Wall seconds per stage of one `analyze` run: every `lib` function that `analyze` calls
    by name (module-level imports and the ones it imports inside) is wrapped with a timer."""
    import importlib
    import inspect
    import re

    import lib.rules.analysis

    source = inspect.getsource(lib.rules.analysis.analyze)
    targets = [(lib.rules.analysis, name) for name, f in vars(lib.rules.analysis).items()
               if inspect.isfunction(f) and f.__module__.startswith("lib.") and name != "analyze"
               and re.search(rf"\b{name}\(", source)]
    for module, names in re.findall(r"from (lib\.\w+) import ([\w, ]+)", source):
        targets += [(importlib.import_module(module), n.strip()) for n in names.split(",")]
    spent: dict[str, float] = {}
    originals = []
    for module, name in targets:
        original = getattr(module, name)
        if not callable(original) or isinstance(original, type):
            continue

        def timer(*args, __f=original, __name=name, **kwargs):
            start = time.perf_counter()
            try:
                return __f(*args, **kwargs)
            finally:
                spent[__name] = spent.get(__name, 0.0) + time.perf_counter() - start

        originals.append((module, name, original))
        setattr(module, name, timer)
    try:
        start = time.perf_counter()
        lib.rules.analysis.analyze(data, policy)
        total = time.perf_counter() - start
    finally:
        for module, name, original in originals:
            setattr(module, name, original)
    spent = dict(sorted(spent.items(), key=lambda kv: -kv[1]))
    spent["(analyze total)"] = total
    return spent


def maxrss_mb() -> float:
    """Peak resident memory of this process so far, MB.

    Linux's ru_maxrss is not usable in a child started by a big parent: exec records the
    parent's resident size (fork/vfork share or copy its memory) as the child's maximum, so
    every child reports at least the parent's size. VmHWM in /proc/self/status is the peak
    of the child's own address space, which starts afresh at exec; ru_maxrss elsewhere."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kB


def child(step: str, folder: Path) -> None:
    """Run one step once in this (fresh) process and print its memory figures as JSON."""
    from lib.policy import default_policy

    if step == "cli":  # the whole command a user runs: read the parquet folder, analyze, write
        from lib.cli import main as zengshou

        start = time.perf_counter()
        status = zengshou(["analyze", str(folder), "-o", str(folder.parent / f"{folder.name}_cli_output")])
        if status != 0:
            raise SystemExit(f"zengshou analyze exited {status}")
        print(json.dumps({"loaded_mb": 0.0, "peak_mb": maxrss_mb(), "seconds": time.perf_counter() - start}))
        return
    policy = default_policy()
    if step == "pandas":
        frames = load_pandas(folder)  # no polars copy held: as a pandas user would
        loaded = maxrss_mb()
        start = time.perf_counter()
        run_pandas(frames, policy)
    else:
        data = load_polars(folder)
        loaded = maxrss_mb()
        start = time.perf_counter()
        run_polars(data, policy)
    print(json.dumps({"loaded_mb": loaded, "peak_mb": maxrss_mb(), "seconds": time.perf_counter() - start}))


def peak_memory(step: str, folder: Path) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, "--child", step, str(folder)], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"{step} child failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def machine() -> dict:
    import pandas as pd
    import polars as pl

    return {
        "date": date.today().isoformat(),
        "nproc": os.cpu_count(),
        "python": platform.python_version(),
        "polars": pl.__version__,
        "polars_threads": pl.thread_pool_size(),
        "pandas": pd.__version__,
        "cpu": _cpu_model(),
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def bench(n: int, seed: int, repeat: int, memory: bool, stages: bool = False) -> dict:
    from lib.policy import default_policy

    policy = default_policy()
    folder = prepare(n, seed)
    data = load_polars(folder)
    frames = to_pandas(data)
    households = data.households.height
    spent = stage_times(data, policy) if stages else {}
    if stages:
        print(f"stages of one analyze run, N={households:,}:")
        for name, seconds in spent.items():
            print(f"  {name:28s} {seconds:7.2f} s{'  (rules core)' if name in CORE_STAGES else ''}")
    best = timed(
        {
            "polars": lambda: run_polars(data, policy),
            "pandas": lambda: run_pandas(frames, policy),
            "polars_core": lambda: run_polars_core(data, policy),
            "pandas_core": lambda: run_pandas_core(frames, policy),
        },
        repeat,
        slow=SLOW_PANDAS,
    )
    row = {
        "n": households,
        "income_rows": data.income.height,
        # full against full: everything analyze does, on both sides (summary.json aside)
        "polars_s": best["polars"]["wall"],
        "pandas_s": best["pandas"]["wall"],
        "ratio": best["polars"]["wall"] / best["pandas"]["wall"],
        "polars_cpu_s": best["polars"]["cpu"],
        "pandas_cpu_s": best["pandas"]["cpu"],
        # the rules core, each side timed on its own (not a share of the full run)
        "polars_core_s": best["polars_core"]["wall"],
        "pandas_core_s": best["pandas_core"]["wall"],
        "core_ratio": best["polars_core"]["wall"] / best["pandas_core"]["wall"],
        "runs": "/".join(str(best[s]["runs"]) for s in ("polars", "pandas", "polars_core", "pandas_core")),
        "stages": spent,
    }
    del data, frames
    if memory:
        cli = peak_memory("cli", folder)
        row["cli_s"], row["cli_peak_mb"] = cli["seconds"], cli["peak_mb"]
        for step in ("polars", "pandas"):
            figures = peak_memory(step, folder)
            row[f"{step}_peak_mb"] = figures["peak_mb"]
            row[f"{step}_loaded_mb"] = figures["loaded_mb"]
    print(json.dumps({k: v for k, v in row.items() if k != "stages"}), flush=True)
    return row


def run_process(argv: list[str]) -> dict:
    """One fresh process to its end: wall s, CPU s (user + system of it and its children), peak MB."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    err = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{argv} failed:\n{err[-3000:]}")
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "peak_mb": usage.ru_maxrss / 1024}


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def agreement(ours: Path, script: Path) -> dict:
    """Households on which households.csv and the pandas core script's CSV agree, column by column."""
    import polars as pl

    columns = ["户编号", "上年人均纯收入", "本年人均纯收入", "收入研判", "预警等级", "应纳未纳", "减收风险点"]
    a = pl.read_csv(ours, columns=columns, schema_overrides={"户编号": pl.String})
    b = pl.read_csv(script, columns=columns, schema_overrides={"户编号": pl.String})
    numeric_risks = [label for code, label in (("R1", "经营减收"), ("R2", "产业收益分配减收"), ("R3", "务工减收"),
                                               ("R4", "公益岗减收"), ("R5", "低保取消"), ("R6", "政策补贴减少"),
                                               ("R7", "自然灾害减收"))]
    joined = a.join(b, on="户编号", suffix="_pd")
    out = {"households": a.height, "matched": joined.height}
    for c in ("上年人均纯收入", "本年人均纯收入"):
        out[c] = joined.select(((pl.col(c) - pl.col(f"{c}_pd")).abs() < 0.01).fill_null(
            pl.col(c).is_null() & pl.col(f"{c}_pd").is_null()).sum()).item()
    for c in ("收入研判", "预警等级", "应纳未纳"):
        out[c] = joined.select((pl.col(c).fill_null("") == pl.col(f"{c}_pd").fill_null("")).sum()).item()
    # R1–R7 only: R8/R9 need the survey's word, which the script does not read
    kept = lambda col: pl.col(col).fill_null("").str.split(";").list.eval(  # noqa: E731
        pl.element().filter(pl.element().is_in(numeric_risks))).list.sort()
    out["R1–R7"] = joined.select((kept("减收风险点") == kept("减收风险点_pd")).sum()).item()
    return out


def bench_csv(n: int, seed: int, runs: int) -> dict:
    """`zengshou analyze <CSV folder>` against benchmarks/pandas_core.py on the same folder: each
    a fresh process, run in turn (ours, script, ours, …) so both see the same load; medians of
    each and the median of the pairwise CPU ratios."""
    folder = prepare_csv(n, seed)
    out_dir = folder.with_name(folder.name + "_analyze_output")
    script_out = folder.with_name(folder.name + "_pandas_core.csv")
    ours_cmd = [sys.executable, "-m", "lib.cli", "analyze", str(folder), "-o", str(out_dir)]
    script_cmd = [sys.executable, str(ROOT / "benchmarks" / "pandas_core.py"), str(folder), str(script_out)]
    run_process(ours_cmd), run_process(script_cmd)  # warm the page cache
    pairs = [(run_process(ours_cmd), run_process(script_cmd)) for _ in range(runs)]
    row = {"n": n, "runs": runs, "agreement": agreement(out_dir / "households.csv", script_out)}
    for i, side in enumerate(("ours", "pandas_core")):
        for key in ("wall", "cpu", "peak_mb"):
            row[f"{side}_{key}"] = _median([p[i][key] for p in pairs])
    row["cpu_ratio"] = _median([o["cpu"] / b["cpu"] for o, b in pairs])
    row["wall_ratio"] = _median([o["wall"] / b["wall"] for o, b in pairs])
    row["cpu_ratio_range"] = (min(o["cpu"] / b["cpu"] for o, b in pairs), max(o["cpu"] / b["cpu"] for o, b in pairs))
    print(json.dumps(row, ensure_ascii=False), flush=True)
    return row


def csv_table(rows: list[dict]) -> str:
    lines = [
        "| N households | `zengshou analyze` CPU s | pandas core script CPU s | CPU ratio (min–max) "
        "| wall s ours / script (ratio) | peak MB ours / script | households agreeing (R1–R7) |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        low, high = r["cpu_ratio_range"]
        agree = r["agreement"]
        lines.append(
            f"| {r['n']:,} | {r['ours_cpu']:.2f} | {r['pandas_core_cpu']:.2f} | **{r['cpu_ratio']:.2f}** ({low:.2f}–{high:.2f}) "
            f"| {r['ours_wall']:.2f} / {r['pandas_core_wall']:.2f} ({r['wall_ratio']:.2f}) "
            f"| {r['ours_peak_mb']:,.0f} / {r['pandas_core_peak_mb']:,.0f} "
            f"| {min(v for k, v in agree.items() if k != 'households'):,} of {agree['households']:,} |"
        )
    return "\n".join(lines)


def table(rows: list[dict]) -> str:
    lines = [
        "| N households | income rows | polars s | pandas s | polars/pandas "
        "| rules core only: polars s / pandas s (ratio) | CPU s polars / pandas "
        "| polars peak MB (data loaded) | pandas peak MB (data loaded) | runs (full polars/pandas, core polars/pandas) "
        "| `zengshou analyze` on the parquet folder: s (peak MB) |",
        "|" + "---:|" * 9 + ":---:|---:|",
    ]
    for r in rows:
        mem = [
            f"{r[f'{s}_peak_mb']:,.0f} ({r[f'{s}_loaded_mb']:,.0f})" if f"{s}_peak_mb" in r else "—"
            for s in ("polars", "pandas")
        ]
        lines.append(
            f"| {r['n']:,} | {r['income_rows']:,} | {r['polars_s']:.2f} | {r['pandas_s']:.2f} | "
            f"{r['ratio']:.2f} | {r['polars_core_s']:.2f} / {r['pandas_core_s']:.2f} ({r['core_ratio']:.2f}) | "
            f"{r['polars_cpu_s']:.1f} / {r['pandas_cpu_s']:.1f} | "
            f"{mem[0]} | {mem[1]} | {r['runs']} | "
            + (f"{r['cli_s']:.1f} ({r['cli_peak_mb']:,.0f}) |" if "cli_s" in r else "— |")
        )
    return "\n".join(lines)


def verdict(rows: list[dict]) -> list[str]:
    notes = []
    for r in rows:
        ok = r["ratio"] <= TARGET_RATIO
        notes.append(f"N={r['n']:,}: polars/pandas {r['ratio']:.2f} {'≤' if ok else '>'} {TARGET_RATIO} {'OK' if ok else 'MISSED'}")
        if r["n"] >= 1_000_000:
            ok = r["polars_s"] <= TARGET_SECONDS_1M
            notes.append(f"N={r['n']:,}: polars {r['polars_s']:.1f} s {'≤' if ok else '>'} {TARGET_SECONDS_1M} s {'OK' if ok else 'MISSED'}")
            if "polars_peak_mb" in r:
                ok = r["polars_peak_mb"] <= TARGET_MB_1M
                notes.append(f"N={r['n']:,}: polars peak {r['polars_peak_mb']:,.0f} MB {'≤' if ok else '>'} {TARGET_MB_1M} MB {'OK' if ok else 'MISSED'}")
            if "cli_s" in r:
                ok = r["cli_s"] <= TARGET_SECONDS_1M and r["cli_peak_mb"] <= TARGET_MB_1M
                notes.append(f"N={r['n']:,}: zengshou analyze end to end {r['cli_s']:.1f} s, peak {r['cli_peak_mb']:,.0f} MB "
                             f"{'OK' if ok else 'MISSED'} (targets {TARGET_SECONDS_1M} s, {TARGET_MB_1M} MB)")
    return notes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("n", nargs="*", type=int, default=[100_000, 1_000_000], help="households per run")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per step; the best counts")
    parser.add_argument("--no-memory", dest="memory", action="store_false", help="skip the peak-memory children")
    parser.add_argument("--stages", action="store_true", help="print the time of each stage of one analyze run")
    parser.add_argument("--json", type=Path, help="also write the rows and the machine as JSON here")
    parser.add_argument("--csv", action="store_true",
                        help="instead: `zengshou analyze <CSV folder>` against benchmarks/pandas_core.py, fresh processes")
    parser.add_argument("--runs", type=int, default=5, help="--csv: pairs of runs; medians count")
    parser.add_argument("--child", nargs=2, metavar=("STEP", "FOLDER"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child[0], Path(args.child[1]))
        return 0
    about = machine()
    print(json.dumps(about), flush=True)
    if args.csv:
        load = Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else []
        rows = [bench_csv(n, args.seed, args.runs) for n in (args.n if argv and any(a.isdigit() for a in argv) else [200_000])]
        print(f"\n{about['date']} · {about['cpu']} · nproc {about['nproc']} · load average before {' '.join(load)}")
        print(csv_table(rows))
        if args.json:
            args.json.write_text(json.dumps({"machine": about, "load": load, "rows": rows}, ensure_ascii=False, indent=2))
        return 0
    rows = [bench(n, args.seed, args.repeat, args.memory, args.stages) for n in args.n]
    print()
    print(
        f"{about['date']} · {about['cpu']} · nproc {about['nproc']} · Python {about['python']} · "
        f"polars {about['polars']} ({about['polars_threads']} threads) · pandas {about['pandas']}"
    )
    print(table(rows))
    print("\n".join(verdict(rows)))
    if args.json:
        args.json.write_text(json.dumps({"machine": about, "rows": rows}, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
