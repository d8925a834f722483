"""`zengshou analyze` over a folder partitioned by 县 (lib/io/partitions.py): the same files as
one run over the whole district, locally and on a dask LocalCluster."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import polars as pl
import pytest

from lib.cli import main as zengshou
from lib.io.partitions import partition_folders

COUNTIES = {"230801": (120, 3), "230802": (90, 4), "230803": (60, 5)}  # area code: (households, seed)
FRAMES = ("households", "income", "measures")


@pytest.fixture(scope="module")
def district(tmp_path_factory) -> tuple[Path, Path]:
    """The same households twice: partitioned by 县, and as one folder (partitions in order)."""
    from lib.demo.district import generate_households

    root = tmp_path_factory.mktemp("district")
    parted, whole = root / "分区", root / "全区"
    parts = []
    for area, (n, seed) in COUNTIES.items():
        frames = generate_households(n, seed, area_code=area)
        (parted / f"县={area}").mkdir(parents=True)
        for name in FRAMES:
            frames[name].write_parquet(parted / f"县={area}" / f"{name}.parquet")
        parts.append(frames)
    whole.mkdir()
    for name in FRAMES:
        pl.concat([p[name] for p in parts]).write_parquet(whole / f"{name}.parquet")
    return parted, whole


@pytest.fixture(scope="module")
def runs(district, tmp_path_factory) -> dict[str, Path]:
    parted, whole = district
    out = tmp_path_factory.mktemp("runs")
    assert zengshou(["analyze", str(parted), "-o", str(out / "local")]) == 0
    assert zengshou(["analyze", str(whole), "-o", str(out / "whole")]) == 0
    return {"local": out / "local", "whole": out / "whole"}


def test_a_partitioned_folder_is_recognised(district):
    parted, whole = district
    assert [p.name for p in partition_folders(parted)] == [f"县={a}" for a in COUNTIES]
    assert partition_folders(whole) == [] and partition_folders(parted / "县=230801") == []


def test_households_are_those_of_the_whole_district_run(runs):
    assert (runs["local"] / "households.csv").read_bytes() == (runs["whole"] / "households.csv").read_bytes()
    # the ledger's lists: the same rows (partition by partition; 来源行号 counts in the partition's file)
    for name in ("台账_措施户清单.csv", "台账_风险未帮扶户.csv", "台账_缺口未补足户.csv"):
        a, b = (pl.read_csv(runs[r] / name, infer_schema=False).drop("来源行号", strict=False) for r in ("local", "whole"))
        assert a.sort(a.columns).equals(b.sort(b.columns)), name
    parted = pl.scan_parquet(runs["local"] / "households.parquet").collect()
    assert parted.equals(pl.read_parquet(runs["whole"] / "households.parquet"))
    assert not (runs["local"] / "_分区").exists()  # the work files are gone


def assert_close(a, b, where: str = "summary") -> None:
    """JSON values equal, numbers within a cent (yuan sums added in another order)."""
    if isinstance(a, dict) and isinstance(b, dict):
        assert list(a) == list(b), where
        for key in a:
            assert_close(a[key], b[key], f"{where}.{key}")
    elif isinstance(a, list) and isinstance(b, list):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            assert_close(x, y, f"{where}[{i}]")
    elif isinstance(a, float) or isinstance(b, float):
        assert a == pytest.approx(b, abs=0.011), where
    else:
        assert a == b, where


def test_summary_adds_up_to_the_whole_district(runs):
    local = json.loads((runs["local"] / "summary.json").read_text(encoding="utf-8"))
    whole = json.loads((runs["whole"] / "summary.json").read_text(encoding="utf-8"))
    assert local.pop("分区") == [f"县={a}" for a in COUNTIES]
    assert local.pop("数据来源") == "分区" and whole.pop("数据来源") == "全区"
    assert local["户数"] == sum(n for n, _ in COUNTIES.values())
    assert_close(local, whole)  # counts exactly, shares recomputed, yuan to the cent


def test_fgt_ledger_totals_and_transitions_add_up(runs):
    for table in ("fgt", "transitions"):
        a, b = (pl.read_parquet(runs[r] / f"{table}.parquet") for r in ("local", "whole"))
        assert a.columns == b.columns and a.height == b.height
        for column, dtype in a.schema.items():
            if dtype.is_float():
                assert a[column].to_list() == pytest.approx(b[column].to_list(), abs=1e-9, nan_ok=True), column
            else:
                assert a[column].to_list() == b[column].to_list(), column
    for view, keys in (("台账汇总", ["乡镇", "村"]), ("措施分类统计", ["乡镇", "村", "措施代码", "牵头单位"])):
        a, b = (pl.read_csv(runs[r] / f"台账_{view}.csv").sort(keys, nulls_last=True) for r in ("local", "whole"))
        assert a.columns == b.columns
        assert_frames_close(a, b)


def assert_frames_close(a: pl.DataFrame, b: pl.DataFrame) -> None:
    assert a.height == b.height
    for column, dtype in a.schema.items():
        if dtype.is_float():
            assert a[column].to_list() == pytest.approx(b[column].to_list(), abs=1e-6, nan_ok=True), column
        else:
            assert a[column].to_list() == b[column].to_list(), column


def test_partitions_comparing_different_years_are_refused(district, tmp_path):
    parted, _ = district
    odd = tmp_path / "分区"
    for part in partition_folders(parted):
        (odd / part.name).mkdir(parents=True)
        for name in FRAMES:
            frame = pl.read_parquet(part / f"{name}.parquet")
            if name == "income" and part.name.endswith("3"):
                frame = frame.with_columns(pl.col("年度") + 1)
            frame.write_parquet(odd / part.name / f"{name}.parquet")
    assert zengshou(["analyze", str(odd), "-o", str(tmp_path / "out")]) == 2


@pytest.mark.slow
def test_a_dask_cluster_writes_the_same_files(district, runs, tmp_path):
    from dask.distributed import LocalCluster

    parted, _ = district
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        assert zengshou(["analyze", str(parted), "-o", str(tmp_path), "--scheduler", cluster.scheduler_address]) == 0
    for name in ("households.csv", "summary.json", "rejects.csv", "findings.csv", "台账_台账汇总.csv"):
        assert (tmp_path / name).read_bytes() == (runs["local"] / name).read_bytes(), name
    assert pl.read_parquet(tmp_path / "fgt.parquet").equals(pl.read_parquet(runs["local"] / "fgt.parquet"))


def test_an_unusable_partition_is_named(district, tmp_path, capsys):
    parted, _ = district
    broken = tmp_path / "分区"
    shutil.copytree(parted, broken)
    pl.read_parquet(broken / "县=230802" / "income.parquet").drop("户编号").write_parquet(
        broken / "县=230802" / "income.parquet")
    assert zengshou(["analyze", str(broken), "-o", str(tmp_path / "out")]) == 2
    assert "分区「县=230802」" in capsys.readouterr().err
