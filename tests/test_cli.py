"""`zengshou analyze` as a user runs it: a real process, its files and its exit status."""

from __future__ import annotations

import polars as pl

from tests.conftest import write_csv_folder, zengshou


def test_analyze_writes_the_contract_files_and_exits_0(tmp_path, frames):
    folder = write_csv_folder(tmp_path / "input", frames)
    run = zengshou("analyze", str(folder), "-o", str(tmp_path / "out"), cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    out = tmp_path / "out"
    for name in ("households.csv", "rejects.csv", "households.parquet", "summary.json"):
        assert (out / name).is_file(), name
    raw = (out / "households.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel on Chinese Windows reads UTF-8
    households = pl.read_csv(out / "households.csv", infer_schema=False)
    assert households.columns[:8] == [
        "户编号", "村", "上年人均纯收入", "本年人均纯收入", "人均纯收入变化", "收入研判", "预警等级", "减收风险点",
    ]
    assert households["户编号"].to_list() == ["0001", "0002", "0003"]  # one row per roster household, zeros kept
    assert set(households["应纳未纳"]) <= {"是", "否"}


def test_a_missing_required_column_exits_2_naming_sheet_and_column(tmp_path, frames):
    frames = {**frames, "户信息": frames["户信息"].drop("户编号")}
    folder = write_csv_folder(tmp_path / "input", frames)
    run = zengshou("analyze", str(folder), "-o", str(tmp_path / "out"), cwd=tmp_path)
    assert run.returncode == 2
    assert "户信息" in run.stderr and "户编号" in run.stderr
    assert "Traceback" not in run.stderr + run.stdout
    assert not (tmp_path / "out" / "households.csv").exists()  # nothing half-written


def test_a_missing_input_exits_2_in_chinese(tmp_path):
    run = zengshou("analyze", str(tmp_path / "没有这个文件.xlsx"), "-o", str(tmp_path / "out"), cwd=tmp_path)
    assert run.returncode == 2
    assert "找不到" in run.stderr and "Traceback" not in run.stderr


def test_a_policy_with_the_retired_pension_key_exits_2_naming_the_new_keys(tmp_path, frames):
    folder = write_csv_folder(tmp_path / "input", frames)
    policy = tmp_path / "本县参数.toml"
    policy.write_text("[rules]\nexclude_basic_pension = true\n", encoding="utf-8")
    run = zengshou("analyze", str(folder), "-o", str(tmp_path / "out"), "--policy", str(policy), cwd=tmp_path)
    assert run.returncode == 2
    assert "pension_in_net_income" in run.stderr and "dibao_excludes_basic_pension" in run.stderr


def test_an_output_path_that_is_a_file_exits_2(tmp_path, frames):
    folder = write_csv_folder(tmp_path / "input", frames)
    (tmp_path / "结果").write_text("不是文件夹", encoding="utf-8")
    run = zengshou("analyze", str(folder), "-o", "结果", cwd=tmp_path)
    assert run.returncode == 2
    assert "「结果」" in run.stderr and "是一个文件" in run.stderr and "Traceback" not in run.stderr
    assert str(tmp_path) not in run.stderr  # the path as typed, no folder of this machine


def test_an_output_folder_without_write_permission_exits_2(tmp_path, frames, monkeypatch, capsys):
    # CI runs as root, for whom no folder is read-only: the refusal the OS would give is simulated.
    import tempfile

    from lib import cli

    def refused(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    folder = write_csv_folder(tmp_path / "input", frames)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(tempfile, "NamedTemporaryFile", refused)
    status = cli.main(["analyze", str(folder), "-o", "只读"])
    err = capsys.readouterr().err
    assert status == 2 and "「只读」没有写入权限" in err and "Traceback" not in err


def test_a_full_disk_while_writing_gives_one_chinese_line(tmp_path, frames, monkeypatch, capsys):
    import errno

    from lib import cli
    from lib.io import writer

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(writer, "write_analysis", full)
    folder = write_csv_folder(tmp_path / "input", frames)
    status = cli.main(["analyze", str(folder), "-o", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert status == 2 and "磁盘已满" in err and "Traceback" not in err


def test_as_of_is_a_date_or_a_plain_chinese_error(tmp_path, frames):
    from lib.cli import build_parser

    args = build_parser().parse_args(["report", "x.xlsx", "-o", "out", "--as-of", "2022-08-15"])
    assert str(args.as_of) == "2022-08-15"
    assert build_parser().parse_args(["demo"]).as_of is None  # default: today, set by analyze
    folder = write_csv_folder(tmp_path / "input", frames)
    run = zengshou("analyze", str(folder), "-o", str(tmp_path / "out"), "--as-of", "8月15日", cwd=tmp_path)
    assert run.returncode == 2 and "YYYY-MM-DD" in run.stderr
