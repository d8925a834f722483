import datetime as dt

import openpyxl
import polars as pl
import pytest

from lib.catalogue import INCOME_ITEMS, MEASURES, RISK_POINTS, SHEETS, SHEET_INSTRUCTIONS
from lib.io.reader import read_input
from lib.io.template import write_input_workbook, write_template
from tests.conftest import ID_A, ID_B


def _validation_lists(ws) -> dict[str, str]:
    """Header name → the drop-down list of its column."""
    headers = {cell.column_letter: cell.value for cell in ws[1]}
    lists = {}
    for dv in ws.data_validations.dataValidation:
        letter = str(dv.sqref).split(":")[0].rstrip("0123456789")
        lists[headers[letter]] = dv.formula1
    return lists


def test_template_has_sheets_headers_and_instructions(tmp_path):
    path = write_template(tmp_path / "模板.xlsx")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == [*SHEETS, SHEET_INSTRUCTIONS]
    for sheet, columns in SHEETS.items():
        ws = book[sheet]
        assert [c.value for c in ws[1]] == [c.name for c in columns]
        assert ws.freeze_panes == "A2"
    text = "\n".join(str(v) for row in book[SHEET_INSTRUCTIONS].iter_rows(values_only=True) for v in row if v)
    for columns in SHEETS.values():
        for c in columns:
            assert c.name in text
    for item in INCOME_ITEMS:
        assert item.name in text
    for point in RISK_POINTS:
        assert point.label in text
    for m in MEASURES:
        assert m.name in text and m.lead_unit in text


def test_template_validation_lists_and_text_format(tmp_path):
    book = openpyxl.load_workbook(write_template(tmp_path / "t.xlsx"))
    households = _validation_lists(book["户信息"])
    assert households["户类型"] == '"脱贫户,一般农户"'
    assert households["监测对象类别"] == '"脱贫不稳定户,边缘易致贫户,突发严重困难户"'
    assert households["是否低保户"] == households["是否受灾"] == '"是,否"'
    measures = _validation_lists(book["帮扶措施"])
    assert measures["状态"] == '"计划,已落实"'
    assert "M1" in measures["措施类型"] and "公益岗就业帮扶" in measures["措施类型"]
    ws = book["户信息"]
    # ID columns are text so Excel keeps 18 digits and leading zeros when someone types into them
    assert ws.column_dimensions["A"].number_format == "@"  # 户编号
    assert ws.column_dimensions["E"].number_format == "@"  # 证件号码


def test_template_filled_by_hand_is_read(tmp_path):
    path = write_template(tmp_path / "t.xlsx")
    book = openpyxl.load_workbook(path)
    hh = book["户信息"]
    hh.append(["0007", "前进镇", "南岗村", "张三", ID_A, "脱贫户", None, 3, 2, 0, "否", "否", "否"])
    inc = book["收入"]
    header = [c.value for c in inc[1]]
    for year, wage in ((2021, 20000), (2022, 15000)):
        row = [None] * len(header)
        row[header.index("户编号")], row[header.index("年度")], row[header.index("务工收入")] = "0007", year, wage
        inc.append(row)
    book.save(path)
    data = read_input(path)
    assert data.households["户编号"].to_list() == ["0007"]
    assert data.households["证件号码"].to_list() == [ID_A]
    assert data.income.sort("年度")["务工收入"].to_list() == [20000.0, 15000.0]
    assert data.rejects.is_empty()


def test_utf8_numbers_become_numbers_other_text_stays_text(tmp_path):
    households = pl.DataFrame({"户编号": ["0001"], "村": ["南岗村"], "证件号码": [ID_B], "家庭人口数": ["3"]})
    income = pl.DataFrame({"户编号": ["0001", "0001"], "年度": [2021, 2022], "务工收入": ["1200.5", "1,200元"],
                           "低保金": ["不详", None]})
    path = write_input_workbook(tmp_path / "d.xlsx", households, income)
    book = openpyxl.load_workbook(path)
    hh = book["户信息"]
    assert hh["A2"].value == "0001" and hh["E2"].value == ID_B  # IDs stay text
    assert hh["H2"].value == 3  # a Utf8 "3" in a number column is a number
    inc = book["收入"]
    header = [c.value for c in inc[1]]
    wage, dibao = header.index("务工收入") + 1, header.index("低保金") + 1
    assert inc.cell(2, wage).value == 1200.5
    assert inc.cell(3, wage).value == "1,200元"
    assert inc.cell(2, dibao).value == "不详"
    assert inc.cell(3, dibao).value is None


def test_titles_extra_rows_dates_and_unknown_columns(tmp_path):
    households = pl.DataFrame({"户编号": ["0001"], "村": ["南岗村"], "家庭人口数": [2], "核实人": ["刘干部"]})
    measures = pl.DataFrame({"户编号": ["0001"], "措施类型": ["M2"], "落实日期": [dt.date(2022, 8, 1)], "是否低保户": [True]})
    path = write_input_workbook(
        tmp_path / "d.xlsx", households, None, measures.drop("是否低保户"),
        titles={"户信息": "南岗村脱贫户收入排查表"},
        extra_rows={"户信息": [{"户编号": "合计", "家庭人口数": 2}]},
    )
    ws = openpyxl.load_workbook(path)["户信息"]
    assert ws["A1"].value == "南岗村脱贫户收入排查表"
    header = [c.value for c in ws[2]]
    assert header[-1] == "核实人"  # a column the catalogue does not know comes after the canonical ones
    assert ws.freeze_panes == "A3"
    assert [ws.cell(r, 1).value for r in (3, 4)] == ["0001", "合计"]
    assert ws.cell(4, header.index("家庭人口数") + 1).value == 2
    ms = openpyxl.load_workbook(path)["帮扶措施"]
    assert ms.cell(2, 5).value == dt.datetime(2022, 8, 1)


def test_extra_rows_with_unknown_header_or_sheet_fail_loudly(tmp_path):
    with pytest.raises(KeyError):
        write_input_workbook(tmp_path / "d.xlsx", extra_rows={"户信息": [{"不存在的列": 1}]})
    with pytest.raises(KeyError):
        write_input_workbook(tmp_path / "d.xlsx", titles={"户口": "x"})


def test_write_is_atomic_and_replaces(tmp_path):
    path = tmp_path / "d.xlsx"
    path.write_text("old")
    write_template(path)
    assert openpyxl.load_workbook(path).sheetnames[0] == "户信息"
    assert [p.name for p in tmp_path.iterdir()] == ["d.xlsx"]  # no temp file left behind
    # a failure while writing leaves the previous file untouched and no temp file
    with pytest.raises(KeyError):
        write_input_workbook(path, extra_rows={"户信息": [{"不存在的列": 1}]})
    assert openpyxl.load_workbook(path).sheetnames[0] == "户信息"
    assert [p.name for p in tmp_path.iterdir()] == ["d.xlsx"]
