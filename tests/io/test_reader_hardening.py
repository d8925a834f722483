"""Workbooks as they come from townships, with the faults of a real office (issue: hardening)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import openpyxl
import polars as pl
import pytest
import xlsxwriter

from lib.codes import InputError
from lib.io.reader import read_input
from lib.io.template import write_input_workbook

ROOT = Path(__file__).resolve().parents[2]


def _with_cells(path: Path, sheet: str, cells: dict[str, object]) -> Path:
    """The workbook at ``path`` with some cells overwritten, as Excel would save them."""
    book = openpyxl.load_workbook(path)
    for ref, value in cells.items():
        book[sheet][ref] = value  # openpyxl stores "#N/A" and its kin as error cells (type e)
    book.save(path)
    return path


def _column_letter(path: Path, sheet: str, header: str) -> tuple[str, int]:
    ws = openpyxl.load_workbook(path)[sheet]
    for row in ws.iter_rows(min_row=1, max_row=5):
        for cell in row:
            if cell.value == header:
                return cell.column_letter, cell.row
    raise AssertionError(header)


@pytest.mark.parametrize("error", ["#N/A", "#VALUE!", "#DIV/0!", "#REF!", "#NAME?", "#NUM!", "#NULL!"])
def test_an_excel_error_cell_rejects_the_row_instead_of_becoming_zero(tmp_path, frames, error):
    path = write_input_workbook(tmp_path / "in.xlsx", *frames.values())
    letter, header_row = _column_letter(path, "收入", "务工收入")
    _with_cells(path, "收入", {f"{letter}{header_row + 1}": error})
    assert openpyxl.load_workbook(path)["收入"][f"{letter}{header_row + 1}"].data_type == "e"
    data = read_input(path)
    rejected = data.rejects.filter(data.rejects["工作表"] == "收入")
    assert rejected.height == 1
    line = rejected.row(0, named=True)
    assert (line["行号"], line["列"], line["值"], line["代码"]) == (header_row + 1, "务工收入", error, "E114")
    assert "Excel 错误值" in line["原因"] and f"第{header_row + 1}行" in line["原因"]
    # The household-year is not used with 0 in its place.
    assert data.income.height == frames["收入"].height - 1


def test_an_error_value_in_a_csv_is_rejected_too(tmp_path, frames):
    from tests.conftest import write_csv_folder

    income = frames["收入"].with_columns(frames["收入"]["务工收入"].scatter(0, "#N/A"))
    data = read_input(write_csv_folder(tmp_path / "csv", {**frames, "收入": income}))
    assert data.rejects.filter(data.rejects["代码"] == "E114").height == 1


def test_a_password_protected_workbook_says_so(tmp_path, frames):
    msoffcrypto = pytest.importorskip("msoffcrypto.format.ooxml")
    plain = write_input_workbook(tmp_path / "plain.xlsx", *frames.values())
    locked = tmp_path / "加密.xlsx"
    with plain.open("rb") as source, locked.open("wb") as target:
        msoffcrypto.OOXMLFile(source).encrypt("1234", target)
    with pytest.raises(InputError) as err:
        read_input(locked)
    message = str(err.value)
    assert "加密.xlsx" in message and "已加密" in message and "密码" in message and "另存为" in message


def test_a_sheet_formatted_to_the_last_row_costs_what_its_rows_cost(tmp_path):
    """48 real rows in a sheet whose last used row is 1,048,576 (a space in A1048576)."""
    path = tmp_path / "big.xlsx"
    book = xlsxwriter.Workbook(path)
    households, income = book.add_worksheet("户信息"), book.add_worksheet("收入")
    households.write_row(0, 0, ["户编号", "村", "家庭人口数"])
    income.write_row(0, 0, ["户编号", "年度", "务工收入"])
    for i in range(24):
        households.write_row(i + 1, 0, [f"{i:04d}", "南岗村", "2"])
        income.write_row(2 * i + 1, 0, [f"{i:04d}", "2021", "1000"])
        income.write_row(2 * i + 2, 0, [f"{i:04d}", "2022", "1200"])
    for sheet in (households, income):
        sheet.write(1048575, 0, " ")
        sheet.write(1048575, 40, " ")
    book.close()
    # VmHWM: this process's own peak (ru_maxrss would carry the parent's across fork and exec).
    script = (
        "import re, sys; from lib.io.reader import read_input; d = read_input(sys.argv[1]);"
        "peak = re.search(r'VmHWM:\\s*(\\d+)', open('/proc/self/status').read()).group(1);"
        "print(d.income.height, d.households.height, peak)"
    )
    run = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True, text=True,
                         cwd=ROOT, timeout=120)
    assert run.returncode == 0, run.stderr
    rows, households_read, peak_kib = map(int, run.stdout.split())
    assert (rows, households_read) == (48, 24)
    assert peak_kib < 300 * 1024, f"peak {peak_kib / 1024:.0f} MB"


def test_ids_typed_as_numbers_get_their_leading_zeros_back(tmp_path, frames):
    income = frames["收入"].with_columns(frames["收入"]["户编号"].str.strip_chars_start("0"))  # 0001 → 1
    measures = frames["帮扶措施"].with_columns(frames["帮扶措施"]["户编号"].str.strip_chars_start("0"))
    path = write_input_workbook(tmp_path / "in.xlsx", frames["户信息"], income, measures)
    data = read_input(path)
    assert data.income.height == frames["收入"].height and not data.rejects.height
    assert sorted(set(data.income["户编号"])) == ["0001", "0002", "0003"]
    assert data.measures["户编号"].to_list() == ["0001", "0002"]
    restored = data.findings.filter(data.findings["代码"] == "W208")
    assert restored.height == frames["收入"].height + frames["帮扶措施"].height
    assert "“1”" in restored["原因"][0] and "“0001”" in restored["原因"][0]


def test_an_ambiguous_id_is_not_guessed(tmp_path, frames):
    households = pl.concat([frames["户信息"], frames["户信息"].head(1).with_columns(pl.lit("001").alias("户编号"))])
    income = frames["收入"].with_columns(frames["收入"]["户编号"].str.strip_chars_start("0"))
    data = read_input(write_input_workbook(tmp_path / "in.xlsx", households, income, frames["帮扶措施"]))
    # "1" could be 0001 or 001: left as it is (the rules then reject it as not in the roster)
    assert "1" in data.income["户编号"].to_list()
    assert not data.findings.filter((data.findings["代码"] == "W208") & (data.findings["值"] == "1")).height


@pytest.mark.parametrize("invisible", ["\u200b", "\ufeff", "\u00a0", "\u202e", "\u2060"])
def test_invisible_characters_leave_keys_and_names(tmp_path, frames, invisible):
    households = frames["户信息"].with_columns(
        pl.Series("户编号", ["0001" + invisible, "0002", "0003"]),
        pl.Series("村", ["南岗村", invisible + "南岗村", "北岗村"]),
        pl.Series("户主姓名", ["张" + invisible + "三", "李四", "王五"]),
    )
    data = read_input(write_input_workbook(tmp_path / "in.xlsx", households, frames["收入"], frames["帮扶措施"]))
    assert data.households["户编号"].to_list() == ["0001", "0002", "0003"]
    assert data.households["村"].to_list() == ["南岗村", "南岗村", "北岗村"]
    name = data.households["户主姓名"][0]
    assert name in ("张三", "张 三") and invisible not in name
    assert data.income.height == frames["收入"].height  # every income row still finds its household
    keys = data.findings.filter(data.findings["代码"] == "W207")
    assert sorted(keys["列"].to_list()) == ["户编号", "村"]
    assert all("不可见" in r or "看不见" in r for r in keys["原因"])


def _grouped_header_workbook(path: Path, merge_id: bool = True) -> Path:
    """收入 with a two-row header as townships draw it: 工资性收入 merged over 务工收入 and
    公益岗位收入, 户编号 / 年度 merged over both rows, a title row above."""
    book = xlsxwriter.Workbook(path)
    roster = book.add_worksheet("户信息")
    roster.write_row(0, 0, ["户编号", "村", "家庭人口数"])
    roster.write_row(1, 0, ["0001", "南岗村", "2"])
    roster.write_row(2, 0, ["0002", "南岗村", "1"])
    income = book.add_worksheet("收入")
    merged = book.add_format({"align": "center"})
    income.merge_range(0, 0, 0, 4, "南岗村脱贫户收入排查表", merged)
    if merge_id:
        income.merge_range(1, 0, 2, 0, "户编号", merged)
        income.merge_range(1, 1, 2, 1, "年度", merged)
    else:
        income.write(1, 0, "户编号")
        income.write(1, 1, "年度")
    income.merge_range(1, 2, 1, 3, "工资性收入", merged)
    income.write_row(2, 2, ["务工收入", "公益岗位收入"])
    income.write(1, 4, "种植业收入")
    rows = [("0001", "2021", "20000", "3000", "500"), ("0001", "2022", "12000", "3000", "500"),
            ("0002", "2021", "8000", "0", "0"), ("0002", "2022", "9000", "0", "0")]
    for i, row in enumerate(rows):
        income.write_row(3 + i, 0, row)
    book.close()
    return path


@pytest.mark.parametrize("merge_id", [True, False])
def test_a_grouped_two_row_header_is_read_by_combining_its_rows(tmp_path, merge_id):
    data = read_input(_grouped_header_workbook(tmp_path / "两行表头.xlsx", merge_id))
    assert not data.rejects.height
    income = data.income.sort("户编号", "年度")
    assert income["务工收入"].to_list() == [20000, 12000, 8000, 9000]
    assert income["公益岗位收入"].to_list() == [3000, 3000, 0, 0]
    assert income["种植业收入"].to_list() == [500, 500, 0, 0]
    assert income["来源行号"].to_list() == [4, 5, 6, 7]  # rows as Excel numbers them


def test_a_two_row_header_that_cannot_be_combined_is_named(tmp_path):
    """户编号 sits in the lower row, 年度 in the upper row of another column: no single reading."""
    path = tmp_path / "乱表头.xlsx"
    book = xlsxwriter.Workbook(path)
    roster = book.add_worksheet("户信息")
    roster.write_row(0, 0, ["户编号", "村", "家庭人口数"])
    roster.write_row(1, 0, ["0001", "南岗村", "2"])
    income = book.add_worksheet("收入")
    income.write_row(0, 0, ["编号", "务工收入", "公益岗位收入", "种植业收入"])
    income.write_row(1, 0, [None, "年度", None, None])
    income.write_row(2, 0, ["0001", "2021", "1", "2"])
    book.close()
    with pytest.raises(InputError) as err:
        read_input(path)
    message = str(err.value)
    assert "收入" in message and "户编号" in message and "两行表头" in message and "第1–2行" in message


@pytest.mark.parametrize("name", ["帮扶措施台账", "帮扶台账", "Sheet3"])
def test_a_measures_sheet_named_otherwise_is_found_and_said(tmp_path, frames, name):
    path = write_input_workbook(tmp_path / "in.xlsx", *frames.values())
    book = openpyxl.load_workbook(path)
    book["帮扶措施"].title = name
    book.save(path)
    data = read_input(path)
    assert data.measures.height == frames["帮扶措施"].height  # no measure lost
    said = data.findings.filter(pl.col("代码") == "W209")
    assert said.height == 1 and f"「{name}」" in said["原因"][0] and "帮扶措施" in said["原因"][0]


def test_no_measures_sheet_is_said_with_the_sheets_seen(tmp_path, frames):
    path = write_input_workbook(tmp_path / "in.xlsx", frames["户信息"], frames["收入"])
    book = openpyxl.load_workbook(path)
    del book["帮扶措施"]
    book.create_sheet("备用")
    book.save(path)
    data = read_input(path)
    said = data.findings.filter(pl.col("代码") == "W210")
    assert data.measures.height == 0 and said.height == 1
    assert "户信息" in said["原因"][0] and "备用" in said["原因"][0]
