"""Run one parameterised notebook with papermill: fixed kernel, injected parameters, kept for audit.

``run_notebook(template, out_ipynb, parameters)`` executes ``template`` with papermill
(parameters injected after the cell tagged ``parameters``) in the kernel named
``kernel_name`` — never "whatever the notebook's metadata says" — and writes the executed
notebook to ``out_ipynb`` atomically, also when a cell failed (the traceback is the audit
trail); a failed cell raises ``NotebookFailed``.

Kernel start-up is most of a small notebook's cost (0.6–0.7 s of CPU: Python, ipykernel,
polars, plotly and lib imported by ``lib.present.notebook.warm_kernel``, run by IPython's
``exec_lines`` before the kernel reports ready; then 0.2 s to connect a client), so a report
worker keeps one *warm* kernel and its connected client for up to ``NOTEBOOKS_PER_KERNEL``
notebooks. Between two notebooks the kernel's user namespace is reset as a fresh kernel has it
(``RESET_CODE``: IPython's ``reset(new_session=True)``, execution counts from 1 again); what
stays is the imported modules, which hold no village's data (the tests run two villages in
one kernel and compare with fresh kernels). A kernel whose notebook failed, timed out or
could not be reset is shut down, never reused; a retired kernel's successor is started while
the last notebook runs.

When a kernel fails to start (the known race on ZMQ ports when many kernels start at once:
two kernels pick the same free port, one dies before answering ``kernel_info``) the run is
retried once with a new kernel. Only failures while *starting* the kernel are retried
(``KernelStartError``); an error in a cell is the notebook's, not the machine's.

The plotly renderer is set by the notebook itself (``lib.present.notebook.setup_notebook``); the
kernel's environment also carries ``ZENGSHOU_REPORT=1`` so a notebook can tell that it runs
in a batch.
"""

from __future__ import annotations

import logging
import multiprocessing.util
import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from lib.present.notebook import WARM_MODULES, avoid_slow_imports

avoid_slow_imports()

import zmq
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync
from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import NBClientEngine, papermill_engines
from papermill.exceptions import PapermillExecutionError

from lib.io.atomic import replace_into, temporary_sibling

KERNEL_NAME = "python3"
ENGINE_NAME = "zengshou"
START_TIMEOUT = 60  # seconds for a kernel to answer kernel_info
CELL_TIMEOUT = 600  # seconds per cell
ATTEMPTS = 2  # one retry when the kernel fails to start
# A kernel runs this many notebooks, then a fresh one takes over: bounds what a long batch can
# accumulate in one process (memory, caches) at one kernel start per 20 villages.
NOTEBOOKS_PER_KERNEL = 20
RESET_TIMEOUT = 30  # seconds for the reset between two notebooks
# What a used kernel runs before the next notebook (silently, not stored in its history): the
# user namespace as a fresh kernel has it, then the memory of the last village's frames freed.
RESET_CODE = "get_ipython().reset(new_session=True)\nimport gc as _gc; _gc.collect(); del _gc"

log = logging.getLogger(__name__)

# What jupyter_client/nbclient raise when a kernel does not come up: the kernel died before
# replying (RuntimeError), did not reply in time (RuntimeError/TimeoutError), a port could not
# be bound (zmq.ZMQError) or the process could not be spawned (OSError).
_START_FAILURES = (RuntimeError, TimeoutError, zmq.ZMQError, OSError)


class KernelStartError(RuntimeError):
    """The kernel did not start (worth one retry with a new kernel)."""


class NotebookFailed(RuntimeError):
    """A cell raised; the executed notebook with its traceback was still written."""

    def __init__(self, message: str, out_ipynb: Path, ename: str = "", evalue: str = ""):
        super().__init__(message)
        self.out_ipynb = out_ipynb
        self.ename = ename
        self.evalue = evalue


@dataclass
class WarmKernel:
    """A started kernel, its client once connected, and how many notebooks it has run."""

    km: AsyncKernelManager
    kc: object | None = None  # AsyncKernelClient, connected by the first notebook's client
    notebooks: int = 0


@dataclass(frozen=True)
class NotebookRun:
    nb: object  # the executed NotebookNode
    out_ipynb: Path
    seconds: float
    attempts: int


# ---------------------------------------------------------------------------------------
# papermill engine: nbclient with a given kernel manager, kernel-start failures marked
# ---------------------------------------------------------------------------------------


class _ReportClient(PapermillNotebookClient):
    def start_new_kernel(self, **kwargs):
        try:
            return super().start_new_kernel(**kwargs)
        except _START_FAILURES as exc:
            raise KernelStartError(f"内核未能启动：{exc}") from exc

    def start_new_kernel_client(self):
        try:
            return super().start_new_kernel_client()
        except _START_FAILURES as exc:
            raise KernelStartError(f"内核未能启动：{exc}") from exc


class ReportEngine(NBClientEngine):
    """papermill's nbclient engine that can run in a kernel started beforehand (``km=``)."""

    @classmethod
    def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, stdout_file=None,
                                 stderr_file=None, start_timeout=START_TIMEOUT,
                                 execution_timeout=None, warm=None, kernel_env=None, **kwargs):
        kwargs.pop("input_path", None)
        kwargs.pop("timeout", None)
        kwargs.pop("startup_timeout", None)
        km = warm.km if warm is not None else None
        client = _ReportClient(
            nb_man,
            km=km,
            timeout=execution_timeout,
            startup_timeout=start_timeout,
            kernel_name=kernel_name,
            shutdown_kernel="immediate",  # the notebook is done: no graceful wait
            log=logging.getLogger("papermill"),
            log_output=log_output,
            stdout_file=stdout_file,
            stderr_file=stderr_file,
            **kwargs,
        )
        if warm is not None and warm.kc is not None:
            client.kc = warm.kc  # connected by an earlier notebook in this kernel
            client.kc.allow_stdin = False
        try:
            # a kernel started here gets the report environment; a given one already has it
            return client.execute(**({"env": kernel_env} if km is None and kernel_env else {}))
        finally:
            # A kernel we were handed belongs to its pool, and so does its client: kept
            # connected for the next notebook (None if connecting failed).
            if warm is not None:
                warm.kc = client.kc


papermill_engines.register(ENGINE_NAME, ReportEngine)


# ---------------------------------------------------------------------------------------
# Warm kernels
# ---------------------------------------------------------------------------------------


def report_kernel_env() -> dict[str, str]:
    """The environment of a report kernel: this process's, marked as a report run."""
    # PYDEVD_…: the kernel's debugger would warn on stderr about frozen modules at every start.
    # POLARS_MAX_THREADS: a village's frames are small (a few hundred rows) and the batch runs
    # one kernel per core already; polars' thread pool only adds hand-offs (~8% of a kernel's
    # CPU measured). An analyst's own setting is kept.
    env = dict(os.environ, ZENGSHOU_REPORT="1", PYDEVD_DISABLE_FILE_VALIDATION="1")
    env.setdefault("POLARS_MAX_THREADS", "1")
    return env


def notebook_imports(template: str | Path) -> tuple[str, ...]:
    """The modules a notebook imports at the top level of its code cells, to warm a kernel.

    ``from lib.present import charts`` yields ``lib``, ``lib.present`` and ``lib.present.charts`` (``warm_kernel`` skips
    names that are not modules). Imports nested in ``if``/``def`` are left out: they are
    usually the "opened on its own" branch a report run does not take.
    """
    import ast

    import nbformat

    found: dict[str, None] = {}
    for cell in nbformat.read(str(template), as_version=4).cells:
        if cell.cell_type != "code":
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:  # IPython magics; nothing to warm there
            continue
        for node in tree.body:
            if isinstance(node, ast.Import):
                found.update((alias.name, None) for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found[node.module] = None
                found.update((f"{node.module}.{alias.name}", None) for alias in node.names)
    return tuple(found) + tuple(m for m in WARM_MODULES if m not in found)


def _warm_line(modules: tuple[str, ...]) -> str:
    # Runs in the kernel's user namespace before it reports ready; leaves no name behind.
    return f"import lib.present.notebook as _zs; _zs.warm_kernel({tuple(modules)!r}); del _zs"


class KernelPool:
    """Warm kernels of one kind for one worker: one in use, and at most one ready.

    ``take()`` returns a ``WarmKernel`` — the ready one if it is alive, else a new one. When
    ``prefetch`` is true and the kernel taken will retire after this notebook (its
    ``NOTEBOOKS_PER_KERNEL``-th), its successor starts at once and warms up while the
    notebook runs. ``give_back(warm, keep)`` resets a kernel whose notebook succeeded and keeps
    it ready (``keep``: more notebooks may follow); otherwise it is shut down.
    """

    def __init__(self, kernel_name: str = KERNEL_NAME, cwd: str | Path | None = None,
                 warm_modules: tuple[str, ...] = WARM_MODULES, log_path: str | Path | None = None,
                 notebooks_per_kernel: int | None = None):
        self.kernel_name = kernel_name
        self.cwd = str(cwd) if cwd else os.getcwd()
        self.warm_modules = tuple(warm_modules)
        self.log_path = Path(log_path) if log_path else None
        self.notebooks_per_kernel = max(1, notebooks_per_kernel or NOTEBOOKS_PER_KERNEL)
        self._ready: WarmKernel | None = None
        self._log = None
        self.started = 0  # kernels started by this pool (the tests read it)

    def _output(self):
        if self.log_path is None:
            return subprocess.DEVNULL
        if self._log is None:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            # kept open for every kernel this pool starts; closed in close()
            self._log = open(self.log_path, "ab")  # noqa: SIM115
        return self._log

    def _start(self) -> WarmKernel:
        km = AsyncKernelManager(kernel_name=self.kernel_name)
        try:
            run_sync(km.start_kernel)(
                # no IPython history: a report's cells need none, and the default history is
                # one sqlite file in the user's home that every kernel would write each cell to
                extra_arguments=[f"--IPKernelApp.exec_lines={_warm_line(self.warm_modules)}",
                                 "--HistoryManager.enabled=False"],
                cwd=self.cwd,
                env=report_kernel_env(),
                stdout=self._output(),
                stderr=self._output(),
            )
        except _START_FAILURES as exc:
            raise KernelStartError(f"内核未能启动：{exc}") from exc
        self.started += 1
        return WarmKernel(km)

    def prefetch(self) -> None:
        """Start the ready kernel now if there is none (e.g. while a worker sets itself up)."""
        if self._ready is None:
            self._ready = self._start()

    def take(self, prefetch: bool = True) -> WarmKernel:
        warm, self._ready = self._ready, None
        if warm is None or not run_sync(warm.km.is_alive)():
            if warm is not None:
                self.discard(warm)
            warm = self._start()
        if prefetch and warm.notebooks + 1 >= self.notebooks_per_kernel:
            try:
                self.prefetch()
            except KernelStartError as exc:  # the next take() starts one itself
                log.warning("预启动内核失败：%s", exc)
        return warm

    def give_back(self, warm: WarmKernel, keep: bool) -> None:
        """After a notebook that succeeded: reset ``warm`` and keep it ready, or shut it down
        (``keep`` false, its last notebook, or the reset failed)."""
        warm.notebooks += 1
        if (not keep or warm.notebooks >= self.notebooks_per_kernel or self._ready is not None
                or warm.kc is None or not self._reset(warm)):
            self.discard(warm)
            return
        self._ready = warm

    @staticmethod
    def _reset(warm: WarmKernel) -> bool:
        try:
            reply = run_sync(warm.kc.execute_interactive)(
                RESET_CODE, silent=True, store_history=False, timeout=RESET_TIMEOUT,
                output_hook=lambda msg: None)
        except (TimeoutError, RuntimeError) as exc:
            log.warning("内核重置失败，改用新内核：%s", exc)
            return False
        return reply["content"].get("status") == "ok"

    @staticmethod
    def discard(warm: WarmKernel) -> None:
        if warm.kc is not None:
            warm.kc.stop_channels()
            warm.kc = None
        try:
            run_sync(warm.km.shutdown_kernel)(now=True)  # the notebook is done: no graceful wait
        except RuntimeError as exc:  # "No kernel is running!" — already gone
            log.debug("内核已退出：%s", exc)
        run_sync(warm.km.cleanup_resources)()

    def close(self) -> None:
        if self._ready is not None:
            self.discard(self._ready)
            self._ready = None
        if self._log is not None:
            self._log.close()
            self._log = None


_POOLS: dict[tuple[str, str, tuple[str, ...]], KernelPool] = {}


def kernel_pool(kernel_name: str = KERNEL_NAME, cwd: str | Path | None = None,
                log_path: str | Path | None = None,
                warm_modules: tuple[str, ...] = WARM_MODULES) -> KernelPool:
    """This process's pool for (kernel, folder, warm-up); closed when the process exits."""
    key = (kernel_name, str(cwd) if cwd else os.getcwd(), tuple(warm_modules))
    pool = _POOLS.get(key)
    if pool is None:
        pool = _POOLS[key] = KernelPool(kernel_name, key[1], key[2], log_path=log_path)
        # multiprocessing workers skip atexit; Finalize with a priority runs in both cases.
        multiprocessing.util.Finalize(pool, pool.close, exitpriority=10)
    return pool


# ---------------------------------------------------------------------------------------
# One notebook
# ---------------------------------------------------------------------------------------


def _literal(path: Path) -> str:
    """``path`` as papermill takes it: papermill fills ``{name}`` in paths with the
    parameters (str.format), so a village named "{0}村" or "${1}村" has its braces doubled."""
    return str(path).replace("{", "{{").replace("}", "}}")


def _execute(template: Path, tmp_out: Path, parameters: dict, kernel_name: str, timeout: int,
             cwd: Path, warm: WarmKernel | None) -> object:
    import papermill

    return papermill.execute_notebook(
        _literal(template),
        _literal(tmp_out),
        parameters=parameters,
        engine_name=ENGINE_NAME,
        kernel_name=kernel_name,
        request_save_on_cell_execute=False,  # one write at the end, not one per cell
        progress_bar=False,
        start_timeout=START_TIMEOUT,
        execution_timeout=timeout,
        cwd=str(cwd),
        warm=warm,
        kernel_env=report_kernel_env(),
    )


def run_notebook(template: str | Path, out_ipynb: str | Path, parameters: dict,
                 kernel_name: str = KERNEL_NAME, timeout: int = CELL_TIMEOUT, *,
                 cwd: str | Path | None = None, warm: bool = True, prefetch: bool = True,
                 kernel_log: str | Path | None = None) -> NotebookRun:
    """Execute ``template`` with ``parameters`` into ``out_ipynb`` (atomically).

    ``cwd`` is the kernel's working folder (default: the template's folder, as in
    Jupyter). ``warm`` takes the kernel from this process's ``KernelPool`` (reset after an
    earlier notebook, or started for this one); ``prefetch`` keeps a kernel ready for a next
    notebook (pass False for the last notebook of a batch). Raises ``NotebookFailed`` when a
    cell fails (the executed notebook is written first) and ``KernelStartError`` when the
    kernel did not start twice in a row.
    """
    template, out_ipynb = Path(template).resolve(), Path(out_ipynb)
    cwd = Path(cwd).resolve() if cwd else template.parent
    out_ipynb.parent.mkdir(parents=True, exist_ok=True)
    pool = kernel_pool(kernel_name, cwd, kernel_log, notebook_imports(template)) if warm else None
    start = time.perf_counter()
    for attempt in range(1, ATTEMPTS + 1):
        tmp_out = temporary_sibling(out_ipynb)
        kernel = None
        succeeded = False
        try:
            kernel = pool.take(prefetch=prefetch) if pool else None
            nb = _execute(template, tmp_out, parameters, kernel_name, timeout, cwd, kernel)
            succeeded = True
        except KernelStartError as exc:
            tmp_out.unlink(missing_ok=True)
            if attempt == ATTEMPTS:
                raise
            log.warning("%s：内核未能启动，重试一次（%s）", template.name, exc)
            continue
        except PapermillExecutionError as exc:
            replace_into(tmp_out, out_ipynb)  # the failed run is the audit trail
            raise NotebookFailed(
                f"单元 In [{exc.exec_count}] 出错：{exc.ename}: {exc.evalue}", out_ipynb, exc.ename, exc.evalue
            ) from None
        except BaseException:
            tmp_out.unlink(missing_ok=True)
            raise
        finally:
            if kernel is not None:
                if succeeded:  # only a kernel whose notebook ran to the end is used again
                    pool.give_back(kernel, keep=prefetch)
                else:
                    pool.discard(kernel)
        replace_into(tmp_out, out_ipynb)
        return NotebookRun(nb, out_ipynb, time.perf_counter() - start, attempt)
    raise AssertionError("unreachable")  # the loop returns or raises
