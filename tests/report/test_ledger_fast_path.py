"""The ledger's fast path (rows built as XML with polars, lib.report.sheetxml) writes the same
workbook as xlsxwriter cell by cell (``cell_by_cell=True``): every cell's value, type and
style, merged title rows, row heights, column widths, frozen panes, filter and print setup,
read back with openpyxl and with fastexcel (calamine), also for odd text."""

import datetime as dt
import re
import zipfile
from xml.etree import ElementTree

import fastexcel
import openpyxl
import polars as pl
import pytest

from lib.demo.district import generate_households
from lib.io.reader import InputData, empty_problems
from lib.policy import default_policy
from lib.report.excel import (
    Heading,
    district_sheets,
    ledger_heading,
    township_sheets,
    village_sheets,
    write_ledger,
)
from lib.rules.analysis import analyze
from test_report_excel import VILLAGES  # the same two-village township as the ledger tests
LONG = "长" * 10_000
ODD = [
    "=1+1", "+cmd|' /C calc'!A0", "-开头", "@SUM(A1)", "张\u202e三", "\u2066李四\u2069",
    "<b>&amp;</b> & <r>粗</r>", "a\x01b\x0bc\x1fd", "换\n行\t制表", "\r回车开头", "_x0041_ 字面", "  前后空格  ",
    "👨‍👩‍👧 🌾 家庭", LONG, "普通姓名", "",
]
REFERENCE, FAST = "cell_by_cell", "fast"
MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def _with_rows(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_row_index("来源行号", offset=2).with_columns(pl.col("来源行号").cast(pl.Int64))


@pytest.fixture(scope="module")
def analysis():
    frames = generate_households(70, 5, villages=VILLAGES)
    k = pl.int_range(pl.len())
    names = pl.Series(ODD * 5)[: frames["households"].height]
    households = frames["households"].with_columns(
        pl.when(k < len(ODD)).then(names.alias("x")).otherwise(pl.col("户主姓名")).alias("户主姓名"))
    data = InputData(
        households=_with_rows(households), income=_with_rows(frames["income"]),
        measures=_with_rows(frames["measures"]), rejects=empty_problems(), findings=empty_problems(),
        rows_read={}, source="测试.xlsx",
    )
    return analyze(data, default_policy())


def _both(folder, name, sheets, heading):
    return {how: write_ledger(folder / f"{name}_{how}.xlsx", sheets, heading, cell_by_cell=how == REFERENCE)
            for how in (REFERENCE, FAST)}


@pytest.fixture(scope="module")
def pairs(analysis, tmp_path_factory):
    folder = tmp_path_factory.mktemp("pairs")
    return {
        "一村": _both(folder, "一村", village_sheets(analysis, "一村"),
                     ledger_heading(analysis, "一村", "前进乡一村", implied=("乡镇", "村"))),
        "前进乡": _both(folder, "前进乡", township_sheets(analysis, "前进乡"),
                      ledger_heading(analysis, "前进乡", implied=("乡镇",))),
        "全区": _both(folder, "全区", district_sheets(analysis), ledger_heading(analysis, "全区")),
    }


def _read(cell) -> tuple:
    """What openpyxl reads. It strips the escape of a literal ``_xHHHH_`` (``_x005F_``) in the
    shared-string table only, not in an inline string; Excel and calamine undo it in both (the
    fastexcel test below compares those reads as they are)."""
    value = cell.value.replace("x005F_", "") if isinstance(cell.value, str) else cell.value
    return value, cell.data_type


def _style(cell) -> tuple:
    return (cell.number_format, cell.font.b, cell.font.name, cell.font.sz, cell.border.left.style,
            cell.border.bottom.style, cell.alignment.wrap_text, cell.alignment.horizontal,
            cell.alignment.vertical, cell.fill.fgColor.rgb, cell.quotePrefix)


def _sheet_facts(ws) -> dict:
    setup = ws.page_setup
    return {
        "merged": sorted(str(r) for r in ws.merged_cells.ranges),
        "freeze": ws.freeze_panes, "filter": ws.auto_filter.ref,
        "print": (setup.orientation, setup.paperSize, setup.fitToHeight, setup.fitToWidth,
                  ws.sheet_properties.pageSetUpPr.fitToPage, ws.print_title_rows, str(ws.print_area),
                  ws.print_options.horizontalCentered, ws.oddFooter.center.text,
                  ws.page_margins.left, ws.page_margins.bottom),
        "widths": {k: d.width for k, d in ws.column_dimensions.items()},
        "heights": {k: d.height for k, d in ws.row_dimensions.items() if d.height is not None},
        "conditional": [(str(r.sqref), [x.formula for x in r.rules]) for r in ws.conditional_formatting],
        "size": (ws.max_row, ws.max_column),
    }


def test_every_cell_value_type_and_style_equal_the_cell_by_cell_workbook(pairs):
    for unit, paths in pairs.items():
        ref, fast = (openpyxl.load_workbook(paths[h]) for h in (REFERENCE, FAST))
        assert ref.sheetnames == fast.sheetnames
        for name in ref.sheetnames:
            a, b = ref[name], fast[name]
            assert _sheet_facts(a) == _sheet_facts(b), (unit, name)
            for row_a, row_b in zip(a.iter_rows(), b.iter_rows(), strict=True):
                for x, y in zip(row_a, row_b, strict=True):
                    assert _read(x) == _read(y), (unit, name, x.coordinate)
                    assert _style(x) == _style(y), (unit, name, x.coordinate)


def test_fastexcel_reads_the_same_values(pairs):
    for unit, paths in pairs.items():
        ref, fast = (fastexcel.read_excel(paths[h]) for h in (REFERENCE, FAST))
        assert ref.sheet_names == fast.sheet_names
        for name in ref.sheet_names:
            a, b = (r.load_sheet(name, header_row=None).to_polars() for r in (ref, fast))
            assert a.equals(b, null_equal=True), (unit, name)


def test_odd_text_survives_as_typed(pairs):
    # calamine undoes Excel's _xHHHH_ escapes as Excel does (openpyxl leaves them escaped)
    sheet = fastexcel.read_excel(pairs["一村"][FAST]).load_sheet("户研判", header_row=None).to_polars()
    names = set(sheet.get_column(sheet.columns[2]).to_list())  # 序号, 户编号, 户主姓名
    for text in ("=1+1", "-开头", "换\n行\t制表", "\r回车开头", "_x0041_ 字面", "  前后空格  ", "👨‍👩‍👧 🌾 家庭",
                 LONG, "<b>&amp;</b> & <r>粗</r>", "a\x01b\x0bc\x1fd", "张三", "李四"):
        assert text in names, repr(text[:20])
    ws = openpyxl.load_workbook(pairs["一村"][FAST])["户研判"]
    quoted = {c.value: c.quotePrefix for c in ws["C"] if isinstance(c.value, str)}
    assert quoted["=1+1"] and quoted["-开头"] and quoted["@SUM(A1)"] and not quoted["张三"]


def _column_number(reference: str) -> int:
    number = 0
    for letter in re.match(r"[A-Z]+", reference).group():
        number = number * 26 + ord(letter) - 64
    return number


def test_sheets_are_well_formed_with_rows_and_cells_in_order(pairs):
    # what Excel insists on: well-formed XML, rows ascending and once each, cells ascending in a row
    for paths in pairs.values():
        with zipfile.ZipFile(paths[FAST]) as book:
            for member in book.namelist():
                if not member.startswith("xl/worksheets/sheet"):
                    continue
                root = ElementTree.fromstring(book.read(member))
                rows = root.iter(f"{MAIN}row")
                numbers = []
                for row in rows:
                    numbers.append(int(row.get("r")))
                    cells = [_column_number(c.get("r")) for c in row.iter(f"{MAIN}c")]
                    assert cells == sorted(set(cells)), (member, numbers[-1])
                    assert all(c.get("r").endswith(row.get("r")) for c in row.iter(f"{MAIN}c"))
                assert numbers == sorted(set(numbers)), member


RICH = ["<r>粗</r>", "<r><t>x</t></r>"]  # xlsxwriter copies such text into the XML as a rich run


def test_odd_values_from_frames(tmp_path):
    texts = [*ODD, "x" * 40_000, *RICH]  # past Excel's 32,767 characters: cut, as xlsxwriter does
    n = len(texts)
    frame = pl.DataFrame({
        "户编号": [f"H{i}" for i in range(n)],
        "说明": texts,
        "收入缺口": [1234.567, None, float("nan"), float("inf"), -0.005, 1e16, *[0.1 + 0.2] * (n - 6)],
        "落实日期": [dt.date(2022, 8, 1), None, dt.date(1900, 1, 1), *[dt.date(2031, 12, 31)] * (n - 3)],
        "空列": [None] * n,
    })
    heading = Heading("一村", "前进乡一村", dt.date(2022, 8, 31))
    paths = {h: write_ledger(tmp_path / f"{h}.xlsx", {"视图": frame}, heading, cell_by_cell=h == REFERENCE)
             for h in (REFERENCE, FAST)}
    ref, fast = (openpyxl.load_workbook(paths[h]).active for h in (REFERENCE, FAST))
    assert _sheet_facts(ref) == _sheet_facts(fast)
    for row_a, row_b in zip(ref.iter_rows(), fast.iter_rows(), strict=True):
        for x, y in zip(row_a, row_b, strict=True):
            if y.value in RICH:  # the cell-by-cell writer loses them (text and style); ours keeps them
                assert x.value in (None, "", "x") and y.border.left.style == "thin"
                continue
            assert _read(x) == _read(y) and _style(x) == _style(y), x.coordinate
    column = {c.value for c in fast["C"]}
    assert set(RICH) <= column and "x" * 32_767 in column
    assert fast["D4"].value == 1234.57 and fast["D5"].value is None and fast["D6"].value is None
    assert fast["E4"].value == dt.datetime(2022, 8, 1) and fast["E6"].value == dt.datetime(1900, 1, 1)
    a, b = (fastexcel.read_excel(paths[h]).load_sheet(0, header_row=None).to_polars() for h in (REFERENCE, FAST))
    assert set(RICH) <= set(b.get_column(b.columns[2]).to_list())
    rich_rows = b.with_row_index().filter(pl.col(b.columns[2]).is_in(RICH)).get_column("index").to_list()
    keep = ~pl.int_range(pl.len()).is_in(rich_rows)
    assert a.filter(keep).equals(b.filter(keep), null_equal=True)


def test_rows_built_in_pieces_equal_one_piece(analysis, pairs, tmp_path, monkeypatch):
    from lib.report import sheetxml

    monkeypatch.setattr(sheetxml, "CHUNK_ROWS", 7)  # pieces end inside village lists and on 小计 rows
    path = write_ledger(tmp_path / "pieces.xlsx", township_sheets(analysis, "前进乡"),
                        ledger_heading(analysis, "前进乡", implied=("乡镇",)))
    ref, fast = openpyxl.load_workbook(pairs["前进乡"][REFERENCE]), openpyxl.load_workbook(path)
    for name in ref.sheetnames:
        assert _sheet_facts(ref[name]) == _sheet_facts(fast[name]), name
        for row_a, row_b in zip(ref[name].iter_rows(), fast[name].iter_rows(), strict=True):
            for x, y in zip(row_a, row_b, strict=True):
                assert _read(x) == _read(y) and _style(x) == _style(y), (name, x.coordinate)


def test_more_rows_than_excel_holds_is_refused(tmp_path, monkeypatch):
    from lib.report import sheetxml

    monkeypatch.setattr(sheetxml, "EXCEL_MAX_ROWS", 10)
    with pytest.raises(ValueError, match="超过 Excel 的 10 行上限"):
        write_ledger(tmp_path / "big.xlsx", {"视图": pl.DataFrame({"户编号": [f"H{i}" for i in range(8)]})})
    assert not list(tmp_path.iterdir())
