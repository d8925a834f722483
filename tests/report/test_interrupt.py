"""Ctrl-C or SIGTERM during `zengshou report`: the workers stop within seconds, no new village
starts, only complete files remain, index.html says 未完成, the exit status is 130 with one
Chinese line; a rerun completes the set."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import psutil
import pytest

from lib.demo.district import generate_households
from lib.io.template import write_input_workbook

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


def _descendants(pid: int) -> list[int]:
    try:
        return [p.pid for p in psutil.Process(pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


@pytest.mark.parametrize("how", ["SIGINT", "SIGTERM"])
def test_an_interrupted_report_stops_fast_and_leaves_only_complete_files(tmp_path, how):
    frames = generate_households(240, 5)  # several villages: the run is stopped before the end
    workbook = write_input_workbook(tmp_path / "输入.xlsx", frames["households"], frames["income"], frames["measures"])
    out = tmp_path / "outputs"
    command = [sys.executable, "-m", "lib.cli", "report", str(workbook), "-o", str(out), "--workers", "2"]
    run = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           start_new_session=True)  # its own process group, as a terminal gives it
    deadline = time.monotonic() + 180
    while not list(out.glob("*.html")) and time.monotonic() < deadline:  # the first briefing is out
        time.sleep(0.2)
    assert list(out.glob("*.html")), "no briefing appeared"
    children = _descendants(run.pid)
    assert children, "the workers and kernels were not seen"
    start = time.monotonic()
    if how == "SIGINT":  # Ctrl-C: the terminal signals the whole foreground group
        os.killpg(run.pid, signal.SIGINT)
    else:  # a stop from the system reaches the main process only
        run.send_signal(signal.SIGTERM)
    _, err = run.communicate(timeout=60)
    stopped = time.monotonic() - start
    assert run.returncode == 130, err
    assert stopped < 8, f"took {stopped:.1f} s to stop"  # 5 s asked; margin for a loaded machine
    assert "已中断" in err and "Traceback" not in err
    time.sleep(0.5)
    assert not [p for p in children if psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE]
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "本次运行未完成（已中断）" in index
    assert not list(out.rglob(".*.tmp*"))  # nothing half-written
    for page in out.glob("*.html"):
        assert page.read_text(encoding="utf-8").rstrip().endswith("</html>"), page.name
    for ledger in out.glob("*.xlsx"):
        assert zipfile.ZipFile(ledger).testzip() is None, ledger.name
    # a rerun completes the set
    again = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr
    villages = frames["households"]["村"].unique().to_list()
    assert all((out / f"{v}.html").is_file() and (out / f"{v}_台账.xlsx").is_file() for v in villages)
    assert "本次运行未完成" not in (out / "index.html").read_text(encoding="utf-8")
