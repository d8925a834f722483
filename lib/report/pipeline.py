"""``zengshou report``: analyse once, one papermill job per village in parallel, district, index.

    run_report(input, out_dir)                      # what the CLI calls
      analyse_input        read the workbook and apply the rules, once
      store.save           → <work>/analysis/ (partitioned by village, policy values inside; the
                           work folder is outside out_dir: lib.report.workspace)
      run_village_job      per village, in a process pool (or on a dask cluster); the notebook
                           and the ledger load only that village from the store:
                             papermill → <work>/notebooks/<村>.ipynb (kept for audit)
                             nbconvert → <村>.html (offline check, size check)
                             ledger    → <村>_台账.xlsx
      district overview    the same job with the district notebook → district.html
      district ledger      → district_台账.xlsx
      township ledgers     → <乡镇>_台账.xlsx (when 户信息 names the 乡镇)
      full-ID copies       → the ledgers again, IDs unmasked, in a folder outside out_dir (optional)
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
from lib.report.workspace import HISTORY, LOGS, NOTEBOOKS, STORE, history_dir_for, work_dir_for

avoid_slow_imports()  # this process imports papermill (→ nbformat → jsonschema) too

NOTEBOOK_DIR = Path(__file__).resolve().parents[2] / "notebooks"
VILLAGE_NOTEBOOK = "village_report.ipynb"
DISTRICT_NOTEBOOK = "district_overview.ipynb"
DISTRICT_STEM = "district"
DISTRICT_TITLE = "全区增收监测总览"
VILLAGE_TITLE = "增收监测简报"  # after the village's name
LEDGER_SUFFIX = "_台账.xlsx"

# What the pipeline injects (lib/report/__init__.py); a notebook gets those it declares.
VILLAGE_PARAMETERS = ("village", "store_dir", "input_path", "output_dir", "history_dir")
DISTRICT_PARAMETERS = ("store_dir", "input_path", "output_dir", "history_dir")

_RESERVED_STEMS = {"index", DISTRICT_STEM}
_BAD_FILE_CHARS = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')
_MAX_STEM_BYTES = 120  # file names are ≤ 255 bytes; room for the suffixes and a temporary prefix


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
    work_dir: str  # executed notebooks and logs: outside out_dir (lib.report.workspace)
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
    error: str = ""  # one Chinese sentence: what index.html and the terminal show
    detail: str = ""  # for the analyst's log only (traceback, notebook path): never in outputs/
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
    township_ledgers: dict[str, str] = field(default_factory=dict)  # 乡镇 → file name
    full_id_copies: list[Path] = field(default_factory=list)
    seconds: float = 0.0
    failed: list[VillageResult] = field(default_factory=list)  # empty = exit 0
    work_dir: Path | None = None  # the store, executed notebooks and logs (outside out_dir)
    failure_log: Path | None = None
    interrupted: bool = False  # Ctrl-C / SIGTERM: the index says 未完成; the CLI exits 130


# ---------------------------------------------------------------------------------------
# File names
# ---------------------------------------------------------------------------------------


def file_stems(villages: list[str], taken_stems=()) -> dict[str, str]:
    """A distinct, file-system-safe file name stem for every village name.

    Characters Windows does not allow are replaced by "_", the name is NFC-normalised and
    shortened; names that collide (or would be "index"/"district", or one of ``taken_stems``)
    get "_2", "_3", ….
    """
    stems: dict[str, str] = {}
    taken = set(_RESERVED_STEMS) | {s.lower() for s in taken_stems}
    for name in villages:
        base = unicodedata.normalize("NFC", str(name))
        base = _BAD_FILE_CHARS.sub("_", base).strip(" .")
        base = base.encode("utf-8")[:_MAX_STEM_BYTES].decode("utf-8", "ignore").strip(" .") or "未命名村"
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
    kernel_log = str(Path(job.work_dir) / LOGS / f"kernel-{os.getpid()}.log")
    prepare_worker(job.template, job.kernel_name, kernel_log)
    result = VillageResult(job.village, job.stem, ok=False)
    ipynb = Path(job.work_dir) / NOTEBOOKS / f"{job.stem}.ipynb"
    result.ipynb = str(ipynb)
    try:
        run = run_notebook(job.template, ipynb, job.parameters, job.kernel_name, job.timeout,
                           cwd=cwd, prefetch=job.prefetch, kernel_log=kernel_log)
    except NotebookFailed as exc:
        result.error = "简报计算时出错，未生成；详细记录在分析人员的运行日志中"
        result.detail = f"{exc}\n执行记录：{result.ipynb}"
        result.seconds = time.perf_counter() - start
        return result
    except KernelStartError as exc:
        result.error = "计算内核未能启动，未生成；请重新运行"
        result.detail = str(exc)
        result.seconds = time.perf_counter() - start
        return result
    result.execute_seconds, result.attempts = run.seconds, run.attempts

    t = time.perf_counter()
    try:
        page = notebook_to_html(run.nb, out_dir / f"{job.stem}.html", job.title)
    except (OfflineError, ReportTooLarge) as exc:
        result.error = str(exc).splitlines()[0]
        result.detail = str(exc)
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


def analyse_input(input_path, policy_path=None, years=None, file_years=None, *, as_of=None, say=True):
    """Read the input (one path or several) and apply the rules once; returns the ``Analysis``.
    ``file_years``: file name → year for exports whose names carry none (``--year``); ``as_of``:
    the 截至 date its briefings print (default today). With ``say``, which file was read as
    which year and kind goes to stderr."""
    import sys

    from lib.rules.analysis import analyze
    from lib.policy import load_policy
    from lib.io.reader import read_input

    policy = load_policy(policy_path)  # a bad policy file fails before a long read
    data = read_input(input_path, file_years)
    if say:
        print(data.describe(), file=sys.stderr)
    return analyze(data, policy, years=years, as_of=as_of)


def _inputs(input_path) -> list[Path]:
    return [Path(p) for p in ([input_path] if isinstance(input_path, (str, Path)) else input_path)]


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
    # A sentence for people; the traceback (a worker's comes along as the cause) for the log.
    detail = "".join(traceback.format_exception(exc)).strip()
    return VillageResult(village, stem, ok=False, error="程序出错，未生成；详细记录在分析人员的运行日志中",
                         detail=detail)


FAILURE_LOG = "失败记录.log"
NOT_REACHED = "本次运行被中断，尚未生成"


def write_failure_log(work_dir: Path, failures: list[VillageResult]) -> Path | None:
    """Every failure with its details, in the work folder (outside outputs/); None if none failed."""
    if not failures:
        return None
    from lib.io.atomic import write_text

    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
    lines = [f"# {stamp} 未能生成 {len(failures)} 份"]
    for r in failures:
        lines += ["", f"## {r.village}（{r.stem}）", r.error, r.detail or "（无详细记录）"]
    return write_text(work_dir / LOGS / FAILURE_LOG, "\n".join(lines) + "\n")


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
                try:
                    for future in dask_completed(futures):
                        done(futures[future], future.result)
                except KeyboardInterrupt:
                    client.cancel(list(futures), force=True)  # the cluster's workers stop these jobs
                    raise
        else:
            # the most common template (the villages') gets its warm kernel while workers start
            template = max({j.template for j in jobs}, key=[j.template for j in jobs].count)
            log = str(Path(jobs[0].work_dir) / LOGS / "kernel-%d.log")
            pool = ProcessPoolExecutor(
                max_workers=workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_initialise_worker,
                initargs=(template, jobs[0].kernel_name, log),
            )
            try:
                futures = {pool.submit(run_village_job, job): job for job in jobs}
                for future in as_completed(futures):
                    done(futures[future], future.result)
            except KeyboardInterrupt:
                # Ctrl-C / SIGTERM: no new village; the running ones and their kernels end now
                # (leaving the pool would wait for them: ~20 s).
                stop_processes(pool)
                pool.shutdown(wait=False, cancel_futures=True)
                raise
            pool.shutdown(wait=True)
    finally:
        bar.close()


def stop_processes(pool: ProcessPoolExecutor, grace: float = 2.0) -> None:
    """End the pool's workers and everything they started. A kernel runs in a session of
    its own, so the terminal's Ctrl-C never reaches it: it is found through its worker."""
    import psutil

    found = []
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        try:
            worker = psutil.Process(process.pid)
            found += [*worker.children(recursive=True), worker]
        except psutil.NoSuchProcess:
            continue
    for p in found:
        try:
            p.terminate()
        except psutil.NoSuchProcess:
            pass
    _, alive = psutil.wait_procs(found, timeout=grace)
    for p in alive:
        try:
            p.kill()
        except psutil.NoSuchProcess:
            pass


def drop_temporaries(*folders: Path) -> None:
    """Half-written files of jobs that were stopped (lib.io.atomic's temporary siblings)."""
    from lib.io.atomic import TEMPORARY_GLOB

    for folder in folders:
        if folder.is_dir():
            for path in folder.rglob(TEMPORARY_GLOB):
                path.unlink(missing_ok=True)


def _initialise_worker(template: str, kernel_name: str, log_pattern: str) -> None:
    import signal

    # Ctrl-C reaches the whole process group: the parent decides, and stops the workers itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    prepare_worker(template, kernel_name, log_pattern % os.getpid())


def check_full_ids_folder(folder, out_dir) -> Path:
    """The folder for the full-ID copies of the ledgers, refused inside ``out_dir``: that
    folder is what leaders receive, and it must hold masked IDs only."""
    from lib.codes import InputError

    folder, out_dir = Path(folder).resolve(), Path(out_dir).resolve()
    if folder == out_dir or out_dir in folder.parents:
        raise InputError(
            f"含完整证件号码的台账副本不能放在输出目录 {out_dir} 之内（该目录要交给领导，只能有遮蔽后的号码）；"
            f"请另选输出目录以外的文件夹，如 data/processed/完整台账")
    return folder


def township_stems(analysis, villages: list[str], village_stems) -> dict[str, str]:
    """File name stems of the 乡镇 of ``villages`` (none when 户信息 leaves 乡镇 blank)."""
    from lib.report.excel import townships

    ours = analysis.households.filter(analysis.households.get_column("村").is_in(villages))
    return file_stems(townships(ours), taken_stems=village_stems)


def write_full_id_copies(analysis, folder: Path, villages: dict[str, str], townships: dict[str, str],
                         district: str | None) -> list[Path]:
    """The ledgers written again with full IDs and phone numbers, for the clerk's entry into
    the national system; ``villages`` and ``townships`` map a name to its ledger's file name."""
    from lib.report.excel import write_district_ledger, write_township_ledger, write_village_ledger

    folder.mkdir(parents=True, exist_ok=True)
    written = [write_village_ledger(folder / name, analysis, village, masked=False) for village, name in villages.items()]
    written += [write_township_ledger(folder / name, analysis, township, masked=False)
                for township, name in townships.items()]
    if district:
        written.append(write_district_ledger(folder / district, analysis, masked=False))
    return written


def report_from_analysis(analysis, out_dir, *, villages=None, workers=None, scheduler=None,
                         input_path=None, source="",
                         notebook_dir=NOTEBOOK_DIR, village_notebook=None, district_notebook=None,
                         kernel_name="python3", timeout=600, progress=True, work_dir=None,
                         full_ids_copy=None) -> ReportResult:
    """Everything after the analysis: save it, run the jobs, write ledgers and the index;
    with ``full_ids_copy`` (a folder outside ``out_dir``) the ledgers again with full IDs."""
    from lib.report.excel import write_district_ledger, write_township_ledger
    from lib.report.index import write_index

    start = time.perf_counter()
    if full_ids_copy is not None:
        full_ids_copy = check_full_ids_folder(full_ids_copy, out_dir)
    out_dir = Path(out_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    history_dir = Path(work_dir).resolve() / HISTORY if work_dir else history_dir_for(out_dir)
    work_dir = Path(work_dir).resolve() if work_dir else work_dir_for(out_dir)
    drop_earlier_work_files(out_dir)
    store_dir = store.save(analysis, work_dir / STORE)
    from lib.io.history import write_snapshot

    write_snapshot(history_dir, analysis)  # this run's snapshot (a rerun of the same as-of date replaces it)

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
        "history_dir": str(history_dir),
    }
    declared = declared_parameters(village_template)
    if "village" not in declared:
        raise ValueError(f"{village_template.name} 的 parameters 单元没有声明 village 参数")
    jobs = []
    if district_template.is_file():
        jobs.append(VillageJob(
            "全区", DISTRICT_STEM, DISTRICT_TITLE, str(district_template), str(out_dir), str(store_dir), str(work_dir),
            _parameters(DISTRICT_PARAMETERS, declared_parameters(district_template), values),
            ledger=False, kernel_name=kernel_name, timeout=timeout,
        ))
    for village in chosen:
        jobs.append(VillageJob(
            village, stems[village], f"{village}{VILLAGE_TITLE}", str(village_template), str(out_dir),
            str(store_dir), str(work_dir), _parameters(VILLAGE_PARAMETERS, declared, dict(values, village=village)),
            ledger=True, kernel_name=kernel_name, timeout=timeout,
        ))
    workers = max(1, min(workers or os.cpu_count() or 1, len(jobs)))
    jobs = without_last_prefetch(jobs, workers)

    results: dict[str, VillageResult] = {}
    interrupted = False
    try:
        run_jobs(jobs, workers, scheduler, progress, lambda r: results.__setitem__(r.stem, r))
    except KeyboardInterrupt:
        interrupted = True
        drop_temporaries(out_dir, work_dir)

    for result in results.values():
        if not result.ok:  # last run's page must not pass for this run's
            _drop_stale(out_dir, result.stem)
    district = results.pop(DISTRICT_STEM, None)
    if district is None and interrupted:
        district = VillageResult("全区", DISTRICT_STEM, ok=False, error=NOT_REACHED)
    elif district is None:
        district = VillageResult("全区", DISTRICT_STEM, ok=False, error="找不到全区总览笔记本，全区总览未生成",
                                 detail=str(district_template))
    # an interrupted run lists what it did not reach, so the rerun's work is plain
    village_results = [results.get(stems[v]) or VillageResult(v, stems[v], ok=False, error=NOT_REACHED)
                       for v in chosen]

    failures = [r for r in [district, *village_results] if not r.ok]
    district_ledger = None
    try:
        if not interrupted:  # an interrupted run starts nothing new
            district_ledger = Path(write_district_ledger(out_dir / f"{DISTRICT_STEM}{LEDGER_SUFFIX}", analysis)).name
    except Exception as exc:  # noqa: BLE001 — reported like a failed village; the briefings stand
        failures.append(_failure("全区台账", DISTRICT_STEM, exc))
    township_ledgers = {}
    for township, stem in ({} if interrupted else township_stems(analysis, chosen, stems.values())).items():
        try:
            path = write_township_ledger(out_dir / f"{stem}{LEDGER_SUFFIX}", analysis, township)
            township_ledgers[township] = Path(path).name
        except Exception as exc:  # noqa: BLE001 — reported like a failed village
            failures.append(_failure(f"{township}台账", stem, exc))
    full_id_copies = []
    if full_ids_copy is not None and not interrupted:
        full_id_copies = write_full_id_copies(
            analysis, full_ids_copy, {r.village: r.ledger for r in village_results if r.ok and r.ledger},
            township_ledgers, district_ledger)

    if not interrupted:  # 进度.html: the district's progress across runs
        try:
            from lib.report.progress import load as load_progress, write_page

            write_page(out_dir, load_progress(history_dir, analysis.as_of))
        except Exception as exc:  # noqa: BLE001 — reported like a failed village; the briefings stand
            failures.append(_failure("进度页", "进度", exc))
    from lib.present.definitions import INDEX, definition_rows

    per_village, district_figures = index_figures(getattr(analysis, "summary", {}) or {})
    index = write_index(
        out_dir,
        [{"village": r.village, "html": r.html, "ledger": r.ledger, "summary": per_village.get(r.village)}
         for r in village_results if r.ok],
        {"html": district.html, "ledger": district_ledger, "summary": district_figures},
        [{"village": r.village, "error": r.error} for r in failures],  # the sentence, never the detail
        townships=[{"township": t, "ledger": name} for t, name in township_ledgers.items()],
        meta={
            "数据来源": source or (Path(input_path).name if input_path else ""),
            "比较年度": f"{analysis.year_last} 年 → {analysis.year_this} 年",
        },
        definitions=definition_rows(INDEX),
        notice=(f"本次运行未完成（已中断）：完成 {sum(r.ok for r in village_results)}/{len(village_results)} 个村的简报；"
                "重新运行即可补齐。" if interrupted else None),
    )
    return ReportResult(out_dir, village_results, district, index, district_ledger, township_ledgers,
                        full_id_copies, time.perf_counter() - start, failures, work_dir,
                        write_failure_log(work_dir, failures), interrupted)


def drop_earlier_work_files(out_dir: Path) -> None:
    """Earlier versions kept the store (full IDs) and executed notebooks inside outputs/:
    a rerun removes them, so the folder copied to a leader holds no work file."""
    import shutil

    shutil.rmtree(out_dir / "_work", ignore_errors=True)
    notebooks = out_dir / "notebooks"
    if notebooks.is_dir() and all(p.suffix == ".ipynb" for p in notebooks.rglob("*") if p.is_file()):
        shutil.rmtree(notebooks, ignore_errors=True)


def _drop_stale(out_dir: Path, stem: str) -> None:
    for name in (f"{stem}.html", f"{stem}{LEDGER_SUFFIX}"):
        (out_dir / name).unlink(missing_ok=True)


def without_last_prefetch(jobs: list[VillageJob], workers: int) -> list[VillageJob]:
    """The last job of each worker needs no warm kernel after it (it would only cost CPU)."""
    from dataclasses import replace

    return [j if i < len(jobs) - workers else replace(j, prefetch=False) for i, j in enumerate(jobs)]


def run_report(input_path, out_dir, villages=None, workers=None, scheduler=None, policy_path=None,
               notebook_dir=NOTEBOOK_DIR, years=None, *, file_years=None, as_of=None, progress=True,
               **options) -> ReportResult:
    """``zengshou report``: every village's briefing and ledger, the district, the index.

    Returns a ``ReportResult``; ``result.failed`` lists the briefings that could not be
    made (with their errors) — the caller exits non-zero when it is not empty.
    """
    analysis = analyse_input(input_path, policy_path, years, file_years, as_of=as_of)
    inputs = _inputs(input_path)
    result = report_from_analysis(
        analysis, out_dir, villages=villages, workers=workers, scheduler=scheduler,
        input_path=inputs[0] if len(inputs) == 1 else None,
        source="、".join(p.name for p in inputs),
        notebook_dir=notebook_dir, progress=progress, **options,
    )
    if progress:
        print_summary(result)
    return result


def print_summary(result: ReportResult) -> None:
    import sys

    if result.interrupted:  # the CLI says it in one line
        return
    ok = [r for r in result.villages if r.ok]
    print(f"已生成 {len(ok)}/{len(result.villages)} 个村的简报，用时 {result.seconds:.0f} 秒；"
          f"目录：{result.index}", file=sys.stderr)
    if result.full_id_copies:
        print(f"含完整证件号码的台账副本 {len(result.full_id_copies)} 份：{result.full_id_copies[0].parent}"
              "（仅供录入系统，请勿外传）", file=sys.stderr)
    for r in result.failed:
        print(f"  失败：{r.village}：{r.error}", file=sys.stderr)
    if result.failure_log:
        print(f"  失败的详细记录：{result.failure_log}", file=sys.stderr)
