"""Warm kernels used again (lib.report.execute.KernelPool): each notebook still starts as in
a fresh kernel, a failed one's kernel is never used again, and a kernel retires after
NOTEBOOKS_PER_KERNEL notebooks (slow: real kernels)."""

from __future__ import annotations

import json
import re

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from lib.report import execute

pytestmark = pytest.mark.slow

# What a notebook can see of the one before it in the same kernel: its names, its execution
# counts, its imports' module state (a table counter), and the process.
PROBE = [
    "import os\nimport lib.present.tables as _t",
    "seen = sorted(n for n in globals() if not n.startswith('_') and n not in "
    "('In', 'Out', 'exit', 'quit', 'get_ipython', 'os', 'village', 'fail'))\nprint(seen)",
    "mine = village\nprint(os.getpid())",
    "if fail:\n    raise ValueError(village + '：测试用的失败')",
]


@pytest.fixture
def probe(tmp_path):
    nb = new_notebook(cells=[new_code_cell('village = ""\nfail = False', metadata={"tags": ["parameters"]})]
                      + [new_code_cell(src) for src in PROBE])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = tmp_path / "probe.ipynb"
    nbformat.write(nb, path)
    return path


def _run(probe, tmp_path, village: str, **extra) -> tuple[list[str], int, list[int]]:
    run = execute.run_notebook(probe, tmp_path / f"{village}.ipynb", {"village": village, **extra})
    cells = [c for c in run.nb.cells if c.cell_type == "code"]
    text = ["".join(o.get("text", "")) for c in cells for o in c.outputs if o.output_type == "stream"]
    return json.loads(text[0].replace("'", '"')), int(text[1]), [c.execution_count for c in cells]


def test_notebooks_share_a_kernel_but_not_its_state_and_the_kernel_retires(probe, tmp_path, monkeypatch):
    monkeypatch.setattr(execute, "NOTEBOOKS_PER_KERNEL", 3)
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))  # the kernels' IPython folder
    runs = [_run(probe, tmp_path, f"{i}村") for i in range(4)]
    assert (tmp_path / "ipython").is_dir()
    assert list((tmp_path / "ipython").rglob("history.sqlite")) == []  # no cell kept in a user's history
    pool = execute.kernel_pool(cwd=probe.parent, warm_modules=execute.notebook_imports(probe))
    pids = [pid for _, pid, _ in runs]
    assert pids[0] == pids[1] == pids[2] != pids[3]  # three notebooks, then a fresh kernel
    assert pool.started == 2
    fresh_names = runs[0][0]  # the first ran in a fresh kernel (ipykernel's own ``open`` and so on)
    assert "mine" not in fresh_names and "seen" not in fresh_names
    for seen, _, counts in runs:
        assert seen == fresh_names  # no name of the notebook before (mine, seen, …)
        assert counts == [1, 2, 3, 4, 5, 6]  # counted from 1 again, as in a fresh kernel
    pool.close()


def test_the_kernel_of_a_failed_notebook_is_not_used_again(probe, tmp_path):
    fresh_names, first, _ = _run(probe, tmp_path, "一村")
    with pytest.raises(execute.NotebookFailed):
        execute.run_notebook(probe, tmp_path / "坏村.ipynb", {"village": "坏村", "fail": True})
    failed = nbformat.read(tmp_path / "坏村.ipynb", as_version=4)
    failed_pid = int(next(c for c in failed.cells if c.source.startswith("mine")).outputs[0].text)
    seen, after, _ = _run(probe, tmp_path, "三村")
    assert first == failed_pid != after and seen == fresh_names
    execute.kernel_pool(cwd=probe.parent, warm_modules=execute.notebook_imports(probe)).close()


def _normalised(nb) -> str:
    """The outputs a reader sees, with what differs between any two runs taken out: plotly's
    random div ids and the tables' per-process serial numbers."""
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    text = json.dumps([o.get("data", o.get("text")) for o in outputs], ensure_ascii=False)
    text = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "<uuid>", text)
    return re.sub(r"(zs-t-[0-9a-f]+)-\d+", r"\1-<n>", text)


def test_a_briefing_in_a_used_kernel_is_the_one_a_fresh_kernel_gives(tmp_path):
    import polars as pl
    from factories import generated_input

    from lib.policy import default_policy
    from lib.report import store
    from lib.rules.analysis import analyze

    villages = pl.DataFrame({"乡镇": ["前进乡", "前进乡"], "村": ["东岭村", "西河村"], "户数": [50, 40],
                             "冰雹受灾": [True, False], "产业项目减收": [False, True]})
    store.save(analyze(generated_input(90, 8, villages), default_policy()), tmp_path / "analysis")
    first, second = "东岭村", "西河村"
    template = execute.Path(__file__).resolve().parents[2] / "notebooks" / "village_report.ipynb"

    def run(village, name, warm):
        params = {"village": village, "store_dir": str(tmp_path / "analysis"), "output_dir": str(tmp_path)}
        return execute.run_notebook(template, tmp_path / f"{name}.ipynb", params, warm=warm).nb

    pool = execute.kernel_pool(cwd=template.parent, warm_modules=execute.notebook_imports(template))
    started = pool.started
    run(first, "先", warm=True)
    used = run(second, "后", warm=True)
    assert pool.started - started <= 1  # the second briefing ran in the first one's kernel
    fresh = run(second, "新", warm=False)
    assert _normalised(used) == _normalised(fresh)
    assert second in _normalised(used) and first not in _normalised(used)
