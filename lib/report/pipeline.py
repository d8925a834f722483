"""``zengshou report``: analyse once, one papermill job per village in parallel, district, index.

    run_report(input, out_dir)                      # what the CLI calls
      analyse_input        read the workbook and apply the rules, once
      store.save           → out_dir/_work/analysis/ (partitioned by village, policy values inside)
      run_village_job      per village, in a process pool (or on a dask cluster); the notebook
                           and the ledger load only that village from the store:
                             papermill → notebooks/<村>.ipynb (kept for audit)
                             nbconvert → <村>.html (offline check, size check)
                             ledger    → <村>_台账.xlsx
      district overview    the same job with the district notebook → district.html
      district ledger      → district_台账.xlsx
      write_index          → index.html

A village whose job fails is reported with its error; the others still finish and the
index lists the failure; ``ReportResult.failed`` is non-empty and the CLI exits 1. Every
file is written atomically (``lib.io.atomic``).

The worker processes are *spawned*, not forked: the parent has run polars (a thread pool),
and forking a process with threads can deadlock. Each worker keeps one warm kernel and one
nbconvert exporter (``lib.report.execute.KernelPool``, ``lib.report.html.report_exporter``),
set up while it waits for its first job.
"""

from __future__ import annotations

import multiprocessing
import os
import re
import time
import traceback
import unicodedata
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from lib.present.notebook import avoid_slow_imports
from lib.report import store

avoid_slow_imports()  # this process imports papermill (→ nbformat → jsonschema) too

NOTEBOOK_DIR = Path(__file__).resolve().parents[2] / "notebooks"
VILLAGE_NOTEBOOK = "village_report.ipynb"
DISTRICT_NOTEBOOK = "district_overview.ipynb"
DISTRICT_STEM = "district"
DISTRICT_TITLE = "全区增收监测总览"
VILLAGE_TITLE = "增收监测简报"  # after the village's name
LEDGER_SUFFIX = "_台账.xlsx"
EXECUTED_DIR = "notebooks"  # executed notebooks, kept for audit
WORK_DIR = "_work"
STORE_DIR = "analysis"  # under WORK_DIR: the analysis store

# What the pipeline injects (lib/report/__init__.py); a notebook gets those it declares.
VILLAGE_PARAMETERS = ("village", "store_dir", "input_path", "output_dir")
DISTRICT_PARAMETERS = ("store_dir", "input_path", "output_dir")

_RESERVED_STEMS = {"index", DISTRICT_STEM}
_BAD_FILE_CHARS = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')
_MAX_STEM = 80


# ---------------------------------------------------------------------------------------
# Jobs and results
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VillageJob:
    """Everything a worker needs to produce one briefing: paths and parameters only."""

    village: str  # the name shown to people ("全区" for the district overview)
    stem: str  # file name stem: <stem>.html, <stem>_台账.xlsx, notebooks/<stem>.ipynb
    title: str  # the page title
    template: str
    out_dir: str
    store_dir: str  # the analysis store; the worker loads only this job's village from it
    parameters: dict
    ledger: bool  # write <stem>_台账.xlsx (the district ledger is written by the parent)
    kernel_name: str = "python3"
    timeout: int = 600
    prefetch: bool = True  # start the next warm kernel right away


@dataclass
class VillageResult:
    village: str
    stem: str
    ok: bool
    error: str = ""
    html: str | None = None  # file names relative to out_dir
    ledger: str | None = None
    ipynb: str | None = None
    seconds: float = 0.0  # whole job, as seen by the worker
    execute_seconds: float = 0.0
    html_seconds: float = 0.0
    ledger_seconds: float = 0.0
    html_bytes: int = 0
    attempts: int = 0


@dataclass
class ReportResult:
    out_dir: Path
    villages: list[VillageResult]
    district: VillageResult
    index: Path
    district_ledger: str | None = None
    seconds: float = 0.0
    failed: list[VillageResult] = field(default_factory=list)  # empty = exit 0


# ---------------------------------------------------------------------------------------
# File names
# ---------------------------------------------------------------------------------------


def file_stems(villages: list[str]) -> dict[str, str]:
    """A distinct, file-system-safe file name stem for every village name.

    Characters Windows does not allow are replaced by "_", the name is NFC-normalised and
    shortened; names that collide (or would be "index"/"district") get "_2", "_3", ….
    """
    stems: dict[str, str] = {}
    taken = set(_RESERVED_STEMS)
    for name in villages:
        base = unicodedata.normalize("NFC", str(name))
        base = _BAD_FILE_CHARS.sub("_", base).strip(" .")[:_MAX_STEM] or "未命名村"
        stem, k = base, 2
        while stem.lower() in taken:
            stem, k = f"{base}_{k}", k + 1
        taken.add(stem.lower())
        stems[name] = stem
    return stems


# ---------------------------------------------------------------------------------------
# The worker side
# ---------------------------------------------------------------------------------------

_READY: set[tuple[str, str]] = set()


def prepare_worker(template: str, kernel_name: str = "python3", kernel_log: str | None = None) -> None:
    """Set a worker process up before its first job: warm kernel starting, exporter built."""
    cwd = str(Path(template).resolve().parent)
    key = (template, kernel_name)
    if key in _READY:
        return
    avoid_slow_imports()
    from lib.report.execute import kernel_pool, notebook_imports
    from lib.report.html import render_html

    kernel_pool(kernel_name, cwd, kernel_log, notebook_imports(template)).prefetch()
    # Building the exporter compiles its templates (seconds); do it while the kernel starts.
    import nbformat

    render_html(nbformat.v4.new_notebook(), "")
    _READY.add(key)


def run_village_job(job: VillageJob) -> VillageResult:
    """Notebook → HTML → ledger for one village; failures of the report are returned.

    A failing cell, a kernel that would not start twice, an HTML that refers to another
    host or is too large: the result says so (``ok=False``, ``error``). Anything else
    (a bug) propagates and the parent records it with its traceback.
    """
    from lib.report.execute import KernelStartError, NotebookFailed, run_notebook
    from lib.report.html import OfflineError, ReportTooLarge, notebook_to_html

    start = time.perf_counter()
    out_dir = Path(job.out_dir)
    cwd = str(Path(job.template).resolve().parent)
    kernel_log = str(out_dir / WORK_DIR / "logs" / f"kernel-{os.getpid()}.log")
    prepare_worker(job.template, job.kernel_name, kernel_log)
    result = VillageResult(job.village, job.stem, ok=False)
    ipynb = out_dir / EXECUTED_DIR / f"{job.stem}.ipynb"
    result.ipynb = f"{EXECUTED_DIR}/{ipynb.name}"
    try:
        run = run_notebook(job.template, ipynb, job.parameters, job.kernel_name, job.timeout,
                           cwd=cwd, prefetch=job.prefetch, kernel_log=kernel_log)
    except (NotebookFailed, KernelStartError) as exc:
        result.error = f"{exc}（执行记录：{result.ipynb}）" if isinstance(exc, NotebookFailed) else str(exc)
        result.seconds = time.perf_counter() - start
        return result
    result.execute_seconds, result.attempts = run.seconds, run.attempts

    t = time.perf_counter()
    try:
        page = notebook_to_html(run.nb, out_dir / f"{job.stem}.html", job.title)
    except (OfflineError, ReportTooLarge) as exc:
        result.error = str(exc)
        result.seconds = time.perf_counter() - start
        return result
    result.html, result.html_bytes = page.path.name, page.size
    result.html_seconds = time.perf_counter() - t

    if job.ledger:
        t = time.perf_counter()
        from lib.report.excel import write_village_ledger

        village = store.load(job.store_dir, village=job.village)
        path = write_village_ledger(out_dir / f"{job.stem}{LEDGER_SUFFIX}", village, job.village)
        result.ledger = Path(path).name
        result.ledger_seconds = time.perf_counter() - t

    result.ok = True
    result.seconds = time.perf_counter() - start
    return result


# ---------------------------------------------------------------------------------------
# The parent side
# ---------------------------------------------------------------------------------------


def analyse_input(input_path, policy_path=None, years=None, as_of=None):
    """Read the input and apply the rules once; returns the ``Analysis`` (``as_of``: the
    截至 date its briefings print, default today)."""
    from lib.rules.analysis import analyze
    from lib.policy import load_policy
    from lib.io.reader import read_input

    policy = load_policy(policy_path)  # a bad policy file fails before a long read
    return analyze(read_input(input_path), policy, years=years, as_of=as_of)


def declared_parameters(template: Path) -> set[str]:
    """The names the notebook's ``parameters`` cell declares."""
    import papermill

    return set(papermill.inspect_notebook(str(template)))


def _parameters(wanted: tuple[str, ...], declared: set[str], values: dict) -> dict:
    return {k: values[k] for k in wanted if k in declared}


def _villages_of(analysis) -> list[str]:
    names = analysis.households.get_column("村").drop_nulls().unique(maintain_order=True).to_list()
    return sorted(str(n) for n in names)


def index_figures(summary: dict) -> tuple[dict[str, dict], dict]:
    """Per-village and district figures for the index table, from ``Analysis.summary``: its
    各村 and 全区 rows are those of ``lib.rules.figures`` (nothing is added up again here)."""
    from lib.present.definitions import INDEX
    from lib.rules.figures import heading, label

    def shown(row: dict) -> dict:
        return {heading(key): row.get(label(key)) for key in INDEX if label(key) in row}

    per_village = {str(row.get("村")): shown(row) for row in summary.get("各村", [])}
    district = shown(summary["全区"]) if per_village and summary.get("全区") else {}
    return per_village, district


def _failure(village: str, stem: str, exc: BaseException) -> VillageResult:
    # First line for people, then the traceback (a worker's comes along as the cause).
    detail = "".join(traceback.format_exception(exc)).strip()
    return VillageResult(village, stem, ok=False, error=f"{type(exc).__name__}: {exc}\n{detail}")


def run_jobs(jobs: list[VillageJob], workers: int, scheduler: str | None = None, progress: bool = True,
             on_result=lambda result: None) -> None:
    """Run ``jobs`` in a spawned process pool or on a dask cluster; ``on_result`` per job."""
    from tqdm import tqdm

    if not jobs:
        return
    bar = tqdm(total=len(jobs), desc="村级简报", unit="份", disable=not progress, dynamic_ncols=True)
    failed = 0

    def done(job, get):
        nonlocal failed
        try:
            result = get()
        except Exception as exc:  # noqa: BLE001 — a bug in one job must not stop the others; reported
            result = _failure(job.village, job.stem, exc)
        failed += not result.ok
        on_result(result)
        bar.set_postfix_str(f"失败 {failed}" if failed else job.village, refresh=False)
        bar.update()

    try:
        if scheduler:
            from dask.distributed import Client
            from dask.distributed import as_completed as dask_completed

            with Client(scheduler) as client:
                futures = {client.submit(run_village_job, job, pure=False, key=f"zengshou-{job.stem}-{time.time_ns()}"): job
                           for job in jobs}
                for future in dask_completed(futures):
                    done(futures[future], future.result)
        else:
            # the most common template (the villages') gets its warm kernel while workers start
            template = max({j.template for j in jobs}, key=[j.template for j in jobs].count)
            log = str(Path(jobs[0].out_dir) / WORK_DIR / "logs" / "kernel-%d.log")
            with ProcessPoolExecutor(
                max_workers=workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_initialise_worker,
                initargs=(template, jobs[0].kernel_name, log),
            ) as pool:
                futures = {pool.submit(run_village_job, job): job for job in jobs}
                for future in as_completed(futures):
                    done(futures[future], future.result)
    finally:
        bar.close()


def _initialise_worker(template: str, kernel_name: str, log_pattern: str) -> None:
    prepare_worker(template, kernel_name, log_pattern % os.getpid())


def report_from_analysis(analysis, out_dir, *, villages=None, workers=None, scheduler=None,
                         input_path=None, source="",
                         notebook_dir=NOTEBOOK_DIR, village_notebook=None, district_notebook=None,
                         kernel_name="python3", timeout=600, progress=True) -> ReportResult:
    """Everything after the analysis: save it, run the jobs, write ledgers and the index."""
    from lib.report.excel import write_district_ledger
    from lib.report.index import write_index

    start = time.perf_counter()
    out_dir = Path(out_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    store_dir = store.save(analysis, out_dir / WORK_DIR / STORE_DIR)

    village_template = Path(village_notebook or Path(notebook_dir) / VILLAGE_NOTEBOOK).resolve()
    district_template = Path(district_notebook or Path(notebook_dir) / DISTRICT_NOTEBOOK).resolve()
    all_villages = _villages_of(analysis)
    chosen = list(dict.fromkeys(villages)) if villages else all_villages
    unknown = [v for v in chosen if v not in all_villages]
    if unknown:
        from lib.codes import InputError

        raise InputError(f"输入中没有这些村：{'、'.join(unknown)}（输入中的村：{'、'.join(all_villages)}）")
    stems = file_stems(chosen)

    values = {
        "store_dir": str(store_dir),
        "input_path": str(Path(input_path).resolve()) if input_path else "",
        "output_dir": str(out_dir),
    }
    declared = declared_parameters(village_template)
    if "village" not in declared:
        raise ValueError(f"{village_template.name} 的 parameters 单元没有声明 village 参数")
    jobs = []
    if district_template.is_file():
        jobs.append(VillageJob(
            "全区", DISTRICT_STEM, DISTRICT_TITLE, str(district_template), str(out_dir), str(store_dir),
            _parameters(DISTRICT_PARAMETERS, declared_parameters(district_template), values),
            ledger=False, kernel_name=kernel_name, timeout=timeout,
        ))
    for village in chosen:
        jobs.append(VillageJob(
            village, stems[village], f"{village}{VILLAGE_TITLE}", str(village_template), str(out_dir),
            str(store_dir), _parameters(VILLAGE_PARAMETERS, declared, dict(values, village=village)),
            ledger=True, kernel_name=kernel_name, timeout=timeout,
        ))
    workers = max(1, min(workers or os.cpu_count() or 1, len(jobs)))
    jobs = without_last_prefetch(jobs, workers)

    results: dict[str, VillageResult] = {}
    run_jobs(jobs, workers, scheduler, progress, lambda r: results.__setitem__(r.stem, r))

    for result in results.values():
        if not result.ok:  # last run's page must not pass for this run's
            _drop_stale(out_dir, result.stem)
    district = results.pop(DISTRICT_STEM, None)
    if district is None:
        district = VillageResult("全区", DISTRICT_STEM, ok=False, error=f"找不到全区总览笔记本：{district_template}")
    village_results = [results[stems[v]] for v in chosen]

    failures = [r for r in [district, *village_results] if not r.ok]
    district_ledger = None
    try:
        district_ledger = Path(write_district_ledger(out_dir / f"{DISTRICT_STEM}{LEDGER_SUFFIX}", analysis)).name
    except Exception as exc:  # noqa: BLE001 — reported like a failed village; the briefings stand
        failures.append(_failure("全区台账", DISTRICT_STEM, exc))

    from lib.present.definitions import INDEX, definition_rows

    per_village, district_figures = index_figures(getattr(analysis, "summary", {}) or {})
    index = write_index(
        out_dir,
        [{"village": r.village, "html": r.html, "ledger": r.ledger, "summary": per_village.get(r.village)}
         for r in village_results if r.ok],
        {"html": district.html, "ledger": district_ledger, "summary": district_figures},
        [{"village": r.village, "error": r.error} for r in failures],
        meta={
            "数据来源": source or (Path(input_path).name if input_path else ""),
            "比较年度": f"{analysis.year_last} 年 → {analysis.year_this} 年",
        },
        definitions=definition_rows(INDEX),
    )
    return ReportResult(out_dir, village_results, district, index, district_ledger,
                        time.perf_counter() - start, failures)


def _drop_stale(out_dir: Path, stem: str) -> None:
    for name in (f"{stem}.html", f"{stem}{LEDGER_SUFFIX}"):
        (out_dir / name).unlink(missing_ok=True)


def without_last_prefetch(jobs: list[VillageJob], workers: int) -> list[VillageJob]:
    """The last job of each worker needs no warm kernel after it (it would only cost CPU)."""
    from dataclasses import replace

    return [j if i < len(jobs) - workers else replace(j, prefetch=False) for i, j in enumerate(jobs)]


def run_report(input_path, out_dir, villages=None, workers=None, scheduler=None, policy_path=None,
               notebook_dir=NOTEBOOK_DIR, years=None, *, as_of=None, progress=True, **options) -> ReportResult:
    """``zengshou report``: every village's briefing and ledger, the district, the index.

    Returns a ``ReportResult``; ``result.failed`` lists the briefings that could not be
    made (with their errors) — the caller exits non-zero when it is not empty.
    """
    analysis = analyse_input(input_path, policy_path, years, as_of)
    result = report_from_analysis(
        analysis, out_dir, villages=villages, workers=workers, scheduler=scheduler,
        input_path=input_path, source=Path(input_path).name,
        notebook_dir=notebook_dir, progress=progress, **options,
    )
    if progress:
        print_summary(result)
    return result


def print_summary(result: ReportResult) -> None:
    import sys

    ok = [r for r in result.villages if r.ok]
    print(f"已生成 {len(ok)}/{len(result.villages)} 个村的简报，用时 {result.seconds:.0f} 秒；"
          f"目录：{result.index}", file=sys.stderr)
    for r in result.failed:
        print(f"  失败：{r.village}：{r.error.splitlines()[0] if r.error else ''}", file=sys.stderr)
