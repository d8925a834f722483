"""The Excel ledger (lib.report.excel), read back with openpyxl."""

import datetime as dt

import openpyxl
import polars as pl
import pytest

from lib.rules.analysis import analyze
from lib.demo.district import generate_households
from lib.policy import default_policy
from lib.io.reader import InputData, empty_problems
from lib.report.excel import (
    HOUSEHOLD_SHEET,
    POLICY_SHEET,
    QUALITY_SHEET,
    write_district_ledger,
    write_ledger,
    write_village_ledger,
)

VILLAGES = pl.DataFrame({
    "乡镇": ["前进乡", "前进乡"], "村": ["一村", "二村"], "户数": [40, 30],
    "冰雹受灾": [False, True], "产业项目减收": [True, False],
})
FORMULA_NAME = "=1+1"
FULL_ID = "230811199001011234"


def _with_rows(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_row_index("来源行号", offset=2).with_columns(pl.col("来源行号").cast(pl.Int64))


@pytest.fixture(scope="module")
def analysis():
    frames = generate_households(70, 11, villages=VILLAGES)
    households = frames["households"].with_columns(
        # the first household's name looks like a formula and its ID is a known one
        pl.when(pl.int_range(pl.len()) == 0).then(pl.lit(FORMULA_NAME)).otherwise(pl.col("户主姓名")).alias("户主姓名"),
        pl.when(pl.int_range(pl.len()) == 0).then(pl.lit(FULL_ID)).otherwise(pl.col("证件号码")).alias("证件号码"),
    )
    data = InputData(
        households=_with_rows(households), income=_with_rows(frames["income"]),
        measures=_with_rows(frames["measures"]), rejects=empty_problems(), findings=empty_problems(),
        rows_read={}, source="测试.xlsx",
    )
    return analyze(data, default_policy())


def _header(ws) -> list:
    return [c.value for c in ws[1]]


def _column(ws, name: str) -> list:
    j = _header(ws).index(name)
    return [row[j].value for row in ws.iter_rows(min_row=2)]


def test_village_ledger_sheets_and_rows(analysis, tmp_path):
    path = write_village_ledger(tmp_path / "一村_台账.xlsx", analysis, "一村")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == [*analysis.ledger, HOUSEHOLD_SHEET, QUALITY_SHEET, POLICY_SHEET]
    assert {"台账汇总", "措施户清单", "措施分类统计", "风险未帮扶户", "缺口未补足户"} <= set(wb.sheetnames)
    for ws in wb:
        assert ws.freeze_panes == "A2", ws.title
        assert ws.auto_filter.ref is not None
    households = wb[HOUSEHOLD_SHEET]
    ours = analysis.households.filter(pl.col("村") == "一村")
    assert households.max_row - 1 == ours.height == 40
    assert set(_column(households, "村")) == {"一村"}
    assert _column(households, "户编号") == ours.get_column("户编号").to_list()
    for name in analysis.ledger:
        if wb[name].max_row > 1 and "村" in _header(wb[name]):
            assert set(_column(wb[name], "村")) == {"一村"}, name  # no 全区 row, no other village


def test_values_from_data_stay_values(analysis, tmp_path):
    path = write_village_ledger(tmp_path / "一村_台账.xlsx", analysis, "一村")
    ws = openpyxl.load_workbook(path)[HOUSEHOLD_SHEET]
    names = _column(ws, "户主姓名")
    assert FORMULA_NAME in names
    j = _header(ws).index("户主姓名")
    cell = next(row[j] for row in ws.iter_rows(min_row=2) if row[j].value == FORMULA_NAME)
    assert cell.data_type == "s"  # a string, not a formula ("f")
    assert not any(c.data_type == "f" for row in ws.iter_rows() for c in row)


def test_ids_and_phones_masked(analysis, tmp_path):
    path = write_district_ledger(tmp_path / "全区_台账.xlsx", analysis)
    wb = openpyxl.load_workbook(path)
    ids = _column(wb[HOUSEHOLD_SHEET], "证件号码")
    assert "230811********1234" in ids and FULL_ID not in ids
    originals = set(analysis.households.get_column("证件号码").drop_nulls())
    phones = set(analysis.households.get_column("联系电话").drop_nulls())
    for ws in wb:
        for row in ws.iter_rows(values_only=True):
            assert not (set(map(str, row)) & (originals | phones)), ws.title


def test_number_formats_lists_and_booleans(analysis, tmp_path):
    path = write_village_ledger(tmp_path / "一村_台账.xlsx", analysis, "一村")
    wb = openpyxl.load_workbook(path)
    ws = wb[HOUSEHOLD_SHEET]
    header = _header(ws)
    second = ws[2]
    assert second[header.index("本年人均纯收入")].number_format == "#,##0"
    j = header.index("人均纯收入变化率")
    rate = next(r[j] for r in ws.iter_rows(min_row=2) if r[j].value is not None)
    assert rate.number_format == "0.0%"
    assert set(_column(ws, "应纳未纳")) <= {"是", "否"}
    risky = [v for v in _column(ws, "减收风险点") if v and "；" in v]
    joined = analysis.households.filter(pl.col("村") == "一村", pl.col("减收风险点").list.len() > 1)
    assert len(risky) == joined.height
    measures = [v for v in _column(ws, "推荐措施") if v]
    assert measures and all(not v.startswith("M") for v in measures)  # names, not codes
    assert "风险点代码" not in header
    summary = wb["台账汇总"]
    coverage = [r[_header(summary).index("覆盖率")] for r in summary.iter_rows(min_row=2)]
    assert all(c.number_format == "0.0%" for c in coverage if c.value is not None)
    width = ws.column_dimensions["A"].width
    assert 6 <= width <= 60


def test_district_ledger_has_every_view_and_the_comparisons(analysis, tmp_path):
    path = write_district_ledger(tmp_path / "全区_台账.xlsx", analysis)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == [*analysis.ledger, "各村对比", "FGT指数", HOUSEHOLD_SHEET, QUALITY_SHEET, POLICY_SHEET]
    assert wb[HOUSEHOLD_SHEET].max_row - 1 == analysis.households.height
    assert "全区" in _column(wb["台账汇总"], "村")
    fgt = wb["FGT指数"]
    assert set(_column(fgt, "年度")) == {analysis.year_last, analysis.year_this}
    assert fgt[2][_header(fgt).index("年度")].number_format == "0"  # 2021, not 2,021
    params = dict(zip(_column(wb[POLICY_SHEET], "参数"), _column(wb[POLICY_SHEET], "取值"), strict=True))
    assert params["持平区间（占上年人均纯收入）"] == "±2.0%"


def test_write_ledger_from_frames_types_and_missing_values(tmp_path):
    frame = pl.DataFrame({
        "户编号": ["H1", "H2"],
        "说明": ["=SUM(A1:A2)", "http://example.com"],
        "收入缺口": [1234.5, None],
        "落实日期": [dt.date(2022, 8, 1), None],
        "风险点": [["务工减收", "经营减收"], []],
        "覆盖率": [float("nan"), 0.25],
    })
    path = write_ledger(tmp_path / "x.xlsx", {"测试:视图/一": frame})
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["测试_视图_一"]  # characters Excel forbids replaced
    ws = wb.active
    assert [c.value for c in ws[2]][:2] == ["H1", "=SUM(A1:A2)"] and ws["B2"].data_type == "s"
    assert ws["B3"].value == "http://example.com" and not ws["B3"].hyperlink
    assert ws["C2"].value == 1234.5 and ws["C2"].number_format == "#,##0"
    assert ws["C3"].value is None  # missing stays blank, never 0
    assert ws["D2"].value == dt.datetime(2022, 8, 1) and ws["D2"].number_format == "yyyy-mm-dd"
    assert ws["E2"].value == "务工减收；经营减收"
    assert ws["F2"].value is None and ws["F3"].value == 0.25


def test_unknown_village_is_refused(analysis, tmp_path):
    with pytest.raises(ValueError, match="没有村“三村”"):
        write_village_ledger(tmp_path / "三村_台账.xlsx", analysis, "三村")
    assert list(tmp_path.iterdir()) == []


def test_written_atomically(tmp_path, analysis, monkeypatch):
    from lib.report import excel

    target = tmp_path / "一村_台账.xlsx"
    target.write_bytes(b"old")
    real = excel._write_sheet
    calls = []

    def failing(book, fmt, name, frame):
        calls.append(name)
        if len(calls) == 3:
            raise OSError("磁盘已满")
        real(book, fmt, name, frame)

    monkeypatch.setattr(excel, "_write_sheet", failing)
    with pytest.raises(OSError):
        write_village_ledger(target, analysis, "一村")
    assert target.read_bytes() == b"old"  # the old ledger is untouched
    assert [p.name for p in tmp_path.iterdir()] == [target.name]  # no temporary file left
    monkeypatch.setattr(excel, "_write_sheet", real)
    write_village_ledger(target, analysis, "一村")
    assert [p.name for p in tmp_path.iterdir()] == [target.name]
    assert openpyxl.load_workbook(target).sheetnames[0] == "台账汇总"


def test_formula_like_text_is_quote_prefixed_and_bidi_controls_removed(tmp_path):
    frame = pl.DataFrame({"说明": ["-开头的说明", "\u202e@名字", "普通文字", "-120.5"]})
    ws = openpyxl.load_workbook(write_ledger(tmp_path / "x.xlsx", {"视图": frame})).active
    values = [ws.cell(row=i, column=1) for i in range(2, 6)]
    assert [c.value for c in values] == ["-开头的说明", "@名字", "普通文字", "-120.5"]  # text kept as typed
    assert [c.quotePrefix for c in values] == [True, True, False, False]  # Excel's text mark where it matters
    assert all(c.data_type == "s" for c in values)
