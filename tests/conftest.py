"""Shared fixtures: small hand-made input frames and ways to save them as a user would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from hypothesis import settings

# The machines are shared and noisy: a property test is judged on what it finds, not on how
# long one example took (hypothesis' default 200 ms deadline fails examples under load).
settings.register_profile("zengshou", deadline=None)
# CI replays the same examples on every run (hypothesis' own advice for CI): what a developer's
# random runs find is pinned as a test; a landing never depends on the draw.
settings.register_profile("ci", deadline=None, derandomize=True)
settings.load_profile("ci" if os.environ.get("CI") else "zengshou")

PROJECT = Path(__file__).resolve().parents[1]


def zengshou(*args: str, cwd: Path, timeout: float = 180) -> subprocess.CompletedProcess:
    """The CLI as a user runs it: a fresh process in ``cwd``, this checkout's ``lib`` only."""
    return subprocess.run(
        [sys.executable, "-m", "lib.cli", *args], cwd=cwd, capture_output=True, text=True, timeout=timeout,
        env={"PYTHONPATH": str(PROJECT), "PATH": "/usr/bin:/bin"},
    )


# An independent GB 11643 implementation, so tests do not check lib.io.parsing against itself.
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def resident_id(first17: str) -> str:
    """A valid 18-character resident ID for the given first 17 digits."""
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS))
    return first17 + "10X98765432"[total % 11]


# Hand-checked against the published example: 11010519491231002X is valid.
ID_A = "11010519491231002X"
ID_B = resident_id("41010219900101123")  # 410102199001011234 is not valid; this one is
ID_C = resident_id("23080319850615002")  # leading digits as in Jiamusi


@pytest.fixture
def frames() -> dict[str, pl.DataFrame]:
    """Three households (IDs with leading zeros), two years of income, two measures — all Utf8,
    as an analyst would type them."""
    households = pl.DataFrame(
        {
            "户编号": ["0001", "0002", "0003"],
            "乡镇": ["前进镇", "前进镇", "前进镇"],
            "村": ["南岗村", "南岗村", "北岗村"],
            "户主姓名": ["张三", "李四", "王五"],
            "证件号码": [ID_A, ID_B, ID_C],
            "户类型": ["脱贫户", "脱贫户", "一般农户"],
            "监测对象类别": [None, "脱贫不稳定户", "边缘易致贫户"],
            "家庭人口数": ["3", "2", "1"],
            "劳动力人数": ["2", "1", "0"],
            "弱劳动力或半劳动力人数": ["0", "1", "0"],
            "是否低保户": ["否", "是", "否"],
            "是否特困户": ["否", "否", "是"],
            "是否受灾": ["否", "是", None],
            "联系电话": ["13800138000", None, "04548888888"],
        }
    )
    income = pl.DataFrame(
        {
            "户编号": ["0001", "0001", "0002", "0002", "0003", "0003"],
            "年度": ["2021", "2022", "2021", "2022", "2021", "2022"],
            "务工收入": ["24000", "18000", "6000", "6000", None, None],
            "公益岗位收入": [None, None, "6000", "5000", None, None],
            "种植业收入": ["3000", "3500", "8000", "2000", None, None],
            "生产经营性支出": ["1000", "1000", "2000", "1500", None, None],
            "低保金": [None, None, "3000", "3000", None, None],
            "特困供养金": [None, None, None, None, "7000", "7200"],
            "务工月数": ["10", "8", "6", "6", None, None],
            "减收原因": [None, "务工时间缩短", None, "冰雹灾害", None, None],
        }
    )
    measures = pl.DataFrame(
        {
            "户编号": ["0001", "0002"],
            "措施类型": ["M1", "社会救助兜底保障"],
            "措施内容": ["安排护林员公益岗", "低保续保"],
            "牵头单位": [None, "区民政局"],
            "落实日期": ["2022-08-15", None],
            "预计增收": ["6000", None],
            "状态": ["已落实", None],
        }
    )
    return {"户信息": households, "收入": income, "帮扶措施": measures}


def write_csv_folder(folder: Path, frames: dict[str, pl.DataFrame], encoding: str = "utf-8",
                     titles: dict[str, str] | None = None) -> Path:
    """Save frames as <sheet>.csv the way Excel would (optional title line, chosen encoding)."""
    folder.mkdir(parents=True, exist_ok=True)
    for sheet, frame in frames.items():
        text = frame.write_csv()
        if titles and sheet in titles:
            text = titles[sheet] + "\n" + text
        (folder / f"{sheet}.csv").write_bytes(text.encode(encoding))
    return folder
