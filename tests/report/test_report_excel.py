"""The Excel ledger (lib.report.excel), read back with openpyxl as a township clerk would."""

import datetime as dt
import re

import openpyxl
import polars as pl
import pytest

from lib.rules.analysis import analyze
from lib.demo.district import generate_households
from lib.policy import default_policy
from lib.io.reader import InputData, empty_problems
from lib.report.excel import (
    FORMS,
    HOUSEHOLD_SHEET,
    POLICY_SHEET,
    QUALITY_SHEET,
    TASK_SHEET,
    Heading,
    write_district_ledger,
    write_ledger,
    write_township_ledger,
    write_village_ledger,
)
from lib.present.format import BIDI_CONTROLS
from lib.rules.figures import figures_of
from lib.rules.tasks import lead_unit_summary, lead_unit_tasks

VILLAGES = pl.DataFrame({
    "乡镇": ["前进乡", "前进乡"], "村": ["一村", "二村"], "户数": [40, 30],
    "冰雹受灾": [False, True], "产业项目减收": [True, False],
})
FORMULA_NAME = "=1+1"
BIDI_NAME = "张\u202e三"  # a right-to-left override inside a name
FULL_ID = "230811199001011234"
HEADER_ROW = 3  # title, 填报单位 / 截至日期, then the header
CODE_COLUMNS = ("来源行号", "措施代码", "风险点代码")
LISTS = [name for name, form in FORMS.items() if form.sums is not None]


def _with_rows(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_row_index("来源行号", offset=2).with_columns(pl.col("来源行号").cast(pl.Int64))


@pytest.fixture(scope="module")
def analysis():
    frames = generate_households(70, 11, villages=VILLAGES)
    first, second = pl.int_range(pl.len()) == 0, pl.int_range(pl.len()) == 1
    households = frames["households"].with_columns(
        # the first household's name looks like a formula and its ID is a known one
        pl.when(first).then(pl.lit(FORMULA_NAME)).when(second).then(pl.lit(BIDI_NAME))
        .otherwise(pl.col("户主姓名")).alias("户主姓名"),
        pl.when(first).then(pl.lit(FULL_ID)).otherwise(pl.col("证件号码")).alias("证件号码"),
    )
    data = InputData(
        households=_with_rows(households), income=_with_rows(frames["income"]),
        measures=_with_rows(frames["measures"]), rejects=empty_problems(), findings=empty_problems(),
        rows_read={}, source="测试.xlsx",
    )
    return analyze(data, default_policy())


@pytest.fixture(scope="module")
def ledgers(analysis, tmp_path_factory):
    """The two village ledgers, the township's and the district's, opened with openpyxl."""
    folder = tmp_path_factory.mktemp("ledgers")
    paths = {v: write_village_ledger(folder / f"{v}_台账.xlsx", analysis, v) for v in ("一村", "二村")}
    paths["前进乡"] = write_township_ledger(folder / "前进乡_台账.xlsx", analysis, "前进乡")
    paths["全区"] = write_district_ledger(folder / "district_台账.xlsx", analysis)
    return {k: openpyxl.load_workbook(p) for k, p in paths.items()}


def _header(ws, row: int = HEADER_ROW) -> list:
    return [c.value for c in ws[row] if c.value is not None]


def _rows(ws, row: int = HEADER_ROW) -> list[dict]:
    """The table under the header at ``row``, as dicts, up to the first empty row."""
    header = _header(ws, row)
    rows = []
    for values in ws.iter_rows(min_row=row + 1, max_col=len(header), values_only=True):
        if all(v is None for v in values):
            break
        rows.append(dict(zip(header, values, strict=True)))
    return rows


def _data(ws, row: int = HEADER_ROW) -> list[dict]:
    return [r for r in _rows(ws, row) if isinstance(r["序号"], int)]


def _labelled(ws, label: str, row: int = HEADER_ROW) -> list[dict]:
    return [r for r in _rows(ws, row) if r["序号"] == label]


def _column(ws, name: str) -> list:
    return [r[name] for r in _data(ws)]


def test_village_ledger_sheets_and_rows(analysis, ledgers):
    wb = ledgers["一村"]
    assert wb.sheetnames == [*analysis.ledger, TASK_SHEET, HOUSEHOLD_SHEET, QUALITY_SHEET, POLICY_SHEET]
    households = wb[HOUSEHOLD_SHEET]
    ours = analysis.households.filter(pl.col("村") == "一村")
    assert _column(households, "序号") == list(range(1, ours.height + 1)) and ours.height == 40
    assert _column(households, "户编号") == ours.get_column("户编号").to_list()
    for ws in wb:  # the heading names the village: no 乡镇 / 村 columns
        assert not {"乡镇", "村"} & set(_header(ws)), ws.title


def test_every_sheet_is_a_form_ready_to_print(ledgers):
    for unit, wb in ledgers.items():
        for ws in wb:
            title = ws["A1"].value
            assert title.startswith(unit) and title.endswith(FORMS[ws.title].title), (unit, ws.title)
            last = ws.max_column
            assert f"A1:{openpyxl.utils.get_column_letter(last)}1" in {str(r) for r in ws.merged_cells.ranges}
            unit_line = [c.value for c in ws[2] if c.value]
            assert unit_line[0].startswith("填报单位：") and unit in unit_line[0]
            assert re.fullmatch(r"截至日期：\d{4}年\d{1,2}月\d{1,2}日", unit_line[-1])
            stacked = ws.title == TASK_SHEET
            header = HEADER_ROW + 1 if stacked else HEADER_ROW  # a caption above each table
            assert ws.cell(header, 1).value == "序号", ws.title
            assert ws.cell(header, 2).border.left.style == "thin" and ws.cell(header + 1, 2).border.bottom.style == "thin"
            foot = next(c.value for c in ws[ws.max_row] if c.value)
            assert all(f"{w}：" in foot for w in ("填报人", "审核人", "联系电话", "填报日期")), ws.title
            setup = ws.page_setup
            assert (setup.orientation, setup.paperSize, setup.fitToHeight) == ("landscape", 9, 0)
            assert ws.sheet_properties.pageSetUpPr.fitToPage and setup.fitToWidth in (None, 1)  # 1 is the default
            assert ws.print_title_rows == ("$1:$2" if stacked else "$1:$3")
            assert ws.print_options.horizontalCentered and "&P" in ws.oddFooter.center.text


def test_panes_frozen_on_the_household_and_text_wrapped(ledgers):
    for unit, frozen in (("一村", "D4"), ("前进乡", "E4"), ("全区", "F4")):  # 序号 [乡镇] [村] 户编号 户主姓名
        ws = ledgers[unit][HOUSEHOLD_SHEET]
        assert ws.freeze_panes == frozen, unit
        header = _header(ws)
        assert header[ord(frozen[0]) - ord("B"):][:1] == ["户主姓名"]
    ws = ledgers["一村"]["风险未帮扶户"]
    j = _header(ws).index("推荐理由") + 1
    assert ws.cell(HEADER_ROW + 1, j).alignment.wrap_text
    assert 6 <= ws.column_dimensions["B"].width <= 40


def test_no_code_columns_and_names_for_codes(ledgers):
    for unit, wb in ledgers.items():
        for ws in wb:
            assert not set(CODE_COLUMNS) & set(_header(ws)), (unit, ws.title)
            for row in ws.iter_rows(min_row=HEADER_ROW + 1, values_only=True):
                assert not any(isinstance(v, str) and re.search(r"(^|；)[MR]\d+($|；)", v) for v in row), ws.title
    measures = _column(ledgers["一村"][HOUSEHOLD_SHEET], "推荐措施")
    assert any(v and "；" in v for v in measures) and all(not v.startswith("M") for v in measures if v)


def test_totals_add_up_the_rows(ledgers):
    for unit, wb in ledgers.items():
        for name in LISTS:
            ws = wb[name]
            rows, (total,) = _data(ws), _labelled(ws, "合计")
            assert total["户编号"] == f"共 {len({r['户编号'] for r in rows})} 户", (unit, name)
            for column in FORMS[name].sums:
                if column in total:
                    want = round(sum(r[column] or 0 for r in rows), 2)
                    assert total[column] == pytest.approx(want, abs=0.005), (unit, name, column)
                    assert ws.cell(ws.max_row, 1).font.b is False  # the signature, not bold
    total = _labelled(ledgers["一村"][HOUSEHOLD_SHEET], "合计")[0]
    ws = ledgers["一村"][HOUSEHOLD_SHEET]
    row = next(c.row for c in ws["A"] if c.value == "合计")
    assert ws.cell(row, 1).font.b and total["上年人均纯收入"] is None  # per-capita figures are not added up


def test_township_ledger_subtotals_equal_the_village_ledgers(analysis, ledgers):
    township = ledgers["前进乡"]
    for name in LISTS:
        subtotals = {r["村"]: r for r in _labelled(township[name], "小计")}
        assert set(subtotals) == {"一村", "二村"}, name
        for village in ("一村", "二村"):
            (own,) = _labelled(ledgers[village][name], "合计")
            for column in FORMS[name].sums:
                if column in own:
                    assert subtotals[village][column] == pytest.approx(own[column]), (name, village, column)
            assert subtotals[village]["户编号"] == own["户编号"]
    summary = _rows(township["台账汇总"])
    for village in ("一村", "二村"):
        (own,) = _data(ledgers[village]["台账汇总"])
        (mine,) = [r for r in summary if r["村"] == village]
        assert {k: v for k, v in mine.items() if k not in ("序号", "村")} == {k: v for k, v in own.items() if k != "序号"}
    (total,) = _labelled(township["台账汇总"], "合计")
    assert total["村"] == "前进乡"
    whole = figures_of(analysis.households.filter(pl.col("乡镇") == "前进乡"))
    assert total["户数"] == sum(r["户数"] for r in _data(township["台账汇总"])) == whole["户数"]
    assert total["覆盖率"] == pytest.approx(whole["覆盖率"])  # over the households, not an average
    stats = township["措施分类统计"]
    for total in _labelled(stats, "合计"):
        parts = [r for r in _data(stats) if r["措施类型"] == total["措施类型"]]
        assert total["措施数"] == sum(r["措施数"] for r in parts) and total["村"] == "前进乡"


def test_district_total_row_names_its_township_cell(analysis, ledgers):
    wb = ledgers["全区"]
    (total,) = _labelled(wb["台账汇总"], "合计")
    assert total["乡镇"] == "全区" and total["村"] == "全区"
    assert total["户数"] == analysis.households.height
    for row in _labelled(wb["措施分类统计"], "合计"):
        assert row["乡镇"] == "全区" and row["村"] == "全区"
    assert {"贫困发生率", "贫困深度", "贫困强度"} <= set(_header(wb["贫困指数"]))
    fgt = wb["贫困指数"]
    assert fgt.cell(HEADER_ROW + 1, _header(fgt).index("年度") + 1).number_format == "0"  # 2021, not 2,021
    params = {r["参数"]: r["取值"] for r in _data(wb[POLICY_SHEET])}
    assert params["持平区间（占上年人均纯收入）"] == "±2.0%"


def test_task_sheet_has_the_summary_then_the_list(analysis, ledgers):
    ws = ledgers["一村"][TASK_SHEET]
    assert ws.cell(HEADER_ROW, 1).value.startswith("一、") 
    households = analysis.households.filter(pl.col("村") == "一村")
    tasks = lead_unit_tasks(households, analysis.recommendations, analysis.measures)
    summary = lead_unit_summary(tasks).filter(pl.col("村") == "一村")
    top = _data(ws, HEADER_ROW + 1)
    assert [r["牵头单位"] for r in top] == summary.get_column("牵头单位").to_list()
    assert [r["需帮扶户数"] for r in top] == summary.get_column("需帮扶户数").to_list()
    below = next(c.row for c in ws["A"] if isinstance(c.value, str) and c.value.startswith("二、")) + 1
    listed = _data(ws, below)
    assert len(listed) == tasks.height and {r["落实状态"] for r in listed} <= {"已落实", "计划", "未安排"}
    district = ledgers["全区"][TASK_SHEET]
    assert [r["村"] for r in _labelled(district, "合计", HEADER_ROW + 1)] == ["全区"] * 5


def test_formula_like_and_bidi_names_are_neutralised_in_every_sheet(ledgers):
    for unit, wb in ledgers.items():
        seen = False
        for ws in wb:
            for row in ws.iter_rows(min_row=HEADER_ROW + 1):
                for cell in row:
                    assert cell.data_type != "f", (unit, ws.title)
                    if isinstance(cell.value, str):
                        assert not set(cell.value) & set(BIDI_CONTROLS), (unit, ws.title, cell.coordinate)
                        if cell.value == FORMULA_NAME:
                            seen = True
                            assert cell.data_type == "s" and cell.quotePrefix, (unit, ws.title)
        assert seen or unit == "二村", unit  # the name is 一村's
    assert "张三" in _column(ledgers["一村"][HOUSEHOLD_SHEET], "户主姓名")


def test_ids_and_phones_masked_and_a_full_copy_only_on_request(analysis, ledgers, tmp_path):
    wb = ledgers["全区"]
    ids = _column(wb[HOUSEHOLD_SHEET], "证件号码")
    assert "230811********1234" in ids and FULL_ID not in ids
    originals = set(analysis.households.get_column("证件号码").drop_nulls())
    phones = set(analysis.households.get_column("联系电话").drop_nulls())
    for ws in wb:
        for row in ws.iter_rows(values_only=True):
            assert not (set(map(str, row)) & (originals | phones)), ws.title
    full = openpyxl.load_workbook(write_village_ledger(tmp_path / "一村_台账.xlsx", analysis, "一村", masked=False))
    assert FULL_ID in _column(full[HOUSEHOLD_SHEET], "证件号码")


def test_number_formats_and_amounts_to_the_fen(ledgers):
    wb = ledgers["一村"]
    ws = wb[HOUSEHOLD_SHEET]
    header = _header(ws)
    first = HEADER_ROW + 1
    assert ws.cell(first, header.index("本年人均纯收入") + 1).number_format == "#,##0.00"
    j = header.index("人均纯收入变化率") + 1
    rate = next(ws.cell(i, j) for i in range(first, ws.max_row) if ws.cell(i, j).value is not None)
    assert rate.number_format == "0.0%"
    for column in ("本年人均纯收入", "上年人均纯收入", "收入缺口", "低保核算人均收入"):
        values = [v for v in _column(ws, column) if v is not None]
        assert values and all(v == round(v, 2) for v in values), column
    assert set(_column(ws, "应纳未纳")) <= {"是", "否"}
    summary = wb["台账汇总"]
    j = _header(summary).index("覆盖率") + 1
    assert summary.cell(first, j).number_format == "0.0%"


def test_write_ledger_from_frames_types_and_missing_values(tmp_path):
    frame = pl.DataFrame({
        "户编号": ["H1", "H2"],
        "说明": ["=SUM(A1:A2)", "http://example.com"],
        "收入缺口": [1234.567, None],
        "落实日期": [dt.date(2022, 8, 1), None],
        "风险点": [["务工减收", "经营减收"], []],
        "覆盖率": [float("nan"), 0.25],
    })
    path = write_ledger(tmp_path / "x.xlsx", {"测试:视图/一": frame}, Heading("一村", "前进乡一村", dt.date(2022, 8, 31)))
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["测试_视图_一"]  # characters Excel forbids replaced
    ws = wb.active
    assert ws["A1"].value == "一村测试_视图_一" and ws["A2"].value == "填报单位：前进乡一村"
    assert "截至日期：2022年8月31日" in [c.value for c in ws[2]]
    assert [c.value for c in ws[4]][:3] == [1, "H1", "=SUM(A1:A2)"] and ws["C4"].data_type == "s"
    assert ws["C5"].value == "http://example.com" and not ws["C5"].hyperlink
    assert ws["D4"].value == 1234.57 and ws["D4"].number_format == "#,##0.00"
    assert ws["D5"].value is None and ws["D5"].border.left.style == "thin"  # missing stays blank, never 0
    assert ws["E4"].value == dt.datetime(2022, 8, 1) and ws["E4"].number_format == "yyyy-mm-dd"
    assert ws["F4"].value == "务工减收；经营减收"
    assert ws["G4"].value is None and ws["G5"].value == 0.25


def test_unknown_village_is_refused(analysis, tmp_path):
    with pytest.raises(ValueError, match="没有村“三村”"):
        write_village_ledger(tmp_path / "三村_台账.xlsx", analysis, "三村")
    with pytest.raises(ValueError, match="没有乡镇“后进乡”"):
        write_township_ledger(tmp_path / "后进乡_台账.xlsx", analysis, "后进乡")
    assert list(tmp_path.iterdir()) == []


def test_written_atomically(tmp_path, analysis, monkeypatch):
    from lib.report import excel

    target = tmp_path / "一村_台账.xlsx"
    target.write_bytes(b"old")
    real = excel._write_sheet
    calls = []

    def failing(book, fmt, name, tables, heading, **kwargs):
        calls.append(name)
        if len(calls) == 3:
            raise OSError("磁盘已满")
        real(book, fmt, name, tables, heading, **kwargs)

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
    frame = pl.DataFrame({"说明": ["-开头的说明", "\u202e@名字", "普通文字", "-120.5", "=\u2066HYPERLINK()"]})
    ws = openpyxl.load_workbook(write_ledger(tmp_path / "x.xlsx", {"视图": frame})).active
    values = [ws.cell(row=i, column=2) for i in range(HEADER_ROW + 1, HEADER_ROW + 6)]
    assert [c.value for c in values] == ["-开头的说明", "@名字", "普通文字", "-120.5", "=HYPERLINK()"]  # as typed
    assert [c.quotePrefix for c in values] == [True, True, False, False, True]  # Excel's text mark where it matters
    assert all(c.data_type == "s" for c in values)
