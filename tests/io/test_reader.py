import datetime as dt

import polars as pl
import pytest
import xlsxwriter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lib.catalogue import HOUSEHOLD_COLUMNS, INCOME_SYSTEM_COLUMNS, ROSTER_STATUS_COLUMNS, INCOME_COLUMNS, ITEM_NAMES, MEASURE_COLUMNS, REJECT_COLUMNS, SOURCE_ROW
from lib.io.reader import InputError, read_input
from lib.io.template import write_input_workbook
from tests.conftest import ID_A, ID_B, ID_C, write_csv_folder


def _invariant(data):
    for sheet, count in data.rows_read.items():
        frame = {"户信息": data.households, "收入": data.income, "帮扶措施": data.measures}[sheet]
        rejected = data.rejects.filter(pl.col("工作表") == sheet)
        assert rejected["行号"].n_unique() == rejected.height  # one line per rejected row
        assert count == frame.height + rejected.height, sheet


def _reject(data, sheet, row):
    hit = data.rejects.filter((pl.col("工作表") == sheet) & (pl.col("行号") == row))
    assert hit.height == 1, data.rejects
    return hit.row(0, named=True)


def test_workbook_round_trip_keeps_ids_and_types(tmp_path, frames):
    data = read_input(write_input_workbook(tmp_path / "in.xlsx", *frames.values()))
    hh = data.households
    assert hh.columns == [c.name for c in HOUSEHOLD_COLUMNS] + [SOURCE_ROW] + [c.name for c in ROSTER_STATUS_COLUMNS]
    assert data.income.columns == [c.name for c in INCOME_COLUMNS] + [SOURCE_ROW] + [c.name for c in INCOME_SYSTEM_COLUMNS]
    assert data.measures.columns == [c.name for c in MEASURE_COLUMNS] + [SOURCE_ROW]
    assert hh["户编号"].to_list() == ["0001", "0002", "0003"]
    assert hh["证件号码"].to_list() == [ID_A, ID_B, ID_C]
    assert hh["联系电话"].to_list() == ["13800138000", None, "04548888888"]
    assert hh["家庭人口数"].to_list() == [3, 2, 1]
    assert hh["是否受灾"].to_list() == [False, True, False]  # blank → false
    assert hh["重病人数"].to_list() == [0, 0, 0]
    assert hh["劳动力人数"].to_list() == [2, 1, 0]
    assert hh[SOURCE_ROW].to_list() == [2, 3, 4]
    inc = data.income.filter(pl.col("户编号") == "0002").sort("年度")
    assert inc["年度"].to_list() == [2021, 2022]
    assert inc["公益岗位收入"].to_list() == [6000.0, 5000.0]
    assert inc["养老金"].to_list() == [0.0, 0.0]  # blank income → 0
    assert inc["家庭人口数"].to_list() == [None, None]  # not given → take 户信息
    assert inc["减收原因"].to_list() == [None, "冰雹灾害"]
    assert data.income.schema["务工月数"] == pl.Float64
    ms = data.measures
    assert ms["措施类型"].to_list() == ["M1", "M3"]  # a measure name is mapped to its code
    assert ms["牵头单位"].to_list() == ["区人社局", "区民政局"]  # blank lead unit from the catalogue
    assert ms["落实日期"].to_list() == [dt.date(2022, 8, 15), None]
    assert ms["预计增收"].to_list() == [6000.0, 0.0]
    assert ms["状态"].to_list() == ["已落实", "计划"]
    assert data.rejects.columns == list(REJECT_COLUMNS) and data.rejects.is_empty()
    assert data.findings.is_empty()
    assert data.rows_read == {"户信息": 3, "收入": 6, "帮扶措施": 2}
    assert data.source == "in.xlsx"


def test_title_row_total_row_and_blank_rows(tmp_path, frames):
    path = write_input_workbook(
        tmp_path / "in.xlsx", *frames.values(),
        titles={"户信息": "南岗村脱贫户收入排查表", "收入": "南岗村收入排查表"},
        extra_rows={"户信息": [{"户编号": None}, {"户编号": "合计", "家庭人口数": "6"}]},
    )
    data = read_input(path)
    # title at row 1, header at row 2, households at rows 3-5, a blank row 6, 合计 at row 7
    assert data.households[SOURCE_ROW].to_list() == [3, 4, 5]
    total = _reject(data, "户信息", 7)
    assert total["代码"] == "E108" and "合计" in total["原因"]
    assert data.rows_read["户信息"] == 4  # the blank row is not counted, the 合计 row is
    assert data.income[SOURCE_ROW].min() == 3
    _invariant(data)


def test_row_checks_reject_with_codes_and_sentences(tmp_path, frames):
    households = pl.concat([
        frames["户信息"],
        pl.DataFrame({"户编号": ["0001", "0004", "0005", "0006", None], "村": ["南岗村", None, "南岗村", "南岗村", "南岗村"],
                      "家庭人口数": ["2", "2", "0", "3", "1"], "户类型": [None, None, None, "贫困户", None]}),
    ], how="diagonal")
    income = pl.concat([
        frames["收入"],
        pl.DataFrame({"户编号": ["0001", "0003", "0003"], "年度": ["2022", "22", "2023"],
                      "务工收入": ["100", "5", "不详"], "低保金": [None, None, "1200/月"]}),
    ], how="diagonal")
    measures = pl.concat([frames["帮扶措施"], pl.DataFrame({"户编号": ["0003"], "措施类型": ["M9"]})], how="diagonal")
    data = read_input(write_input_workbook(tmp_path / "in.xlsx", households, income, measures))
    assert _reject(data, "户信息", 5)["代码"] == "E106"  # second 0001
    assert "与第2行重复" in _reject(data, "户信息", 5)["原因"]
    missing = _reject(data, "户信息", 6)
    assert (missing["代码"], missing["列"]) == ("E101", "村")
    assert "工作表「户信息」第6行" in missing["原因"] and "「村」" in missing["原因"]
    assert _reject(data, "户信息", 7)["代码"] == "E104"  # 家庭人口数 0
    unknown = _reject(data, "户信息", 8)
    assert unknown["代码"] == "E105" and "脱贫户、一般农户" in unknown["原因"]
    assert _reject(data, "户信息", 9)["列"] == "户编号"
    assert _reject(data, "收入", 8)["代码"] == "E107"  # (0001, 2022) again
    assert _reject(data, "收入", 9)["代码"] == "E103"
    two_problems = _reject(data, "收入", 10)
    assert two_problems["列"] == "务工收入" and two_problems["值"] == "不详"  # first problem in column order
    assert "月收入" in two_problems["原因"]  # ... and the second one is named too
    assert _reject(data, "帮扶措施", 4)["代码"] == "E105"
    assert data.households["户编号"].to_list() == ["0001", "0002", "0003"]
    # no bad cell became a number: (0003, 2023) is not in the income table at all
    assert data.income.filter(pl.col("年度") == 2023).is_empty()
    _invariant(data)


def test_resident_id_stored_as_number_in_excel_is_rejected(tmp_path):
    path = tmp_path / "in.xlsx"
    book = xlsxwriter.Workbook(path)
    hh = book.add_worksheet("户信息")
    hh.write_row(0, 0, ["户编号", "村", "证件号码", "家庭人口数", "联系电话"])
    hh.write_row(1, 0, ["0001", "南岗村", ID_A, 2])
    hh.write_row(2, 0, ["0002", "南岗村"])
    hh.write_number(2, 2, 410102199001011234)  # what Excel does to an ID typed into a General cell
    hh.write_number(2, 3, 2)
    hh.write_number(2, 4, 13800138000)  # 11 digits survive a number format
    hh.write_row(3, 0, ["0003", "南岗村", ID_A[:-1] + "1", 1])  # typed as text, wrong checksum
    inc = book.add_worksheet("收入")
    inc.write_row(0, 0, ["户编号", "年度", "务工收入"])
    for i, (hid, year) in enumerate([("0001", 2021), ("0001", 2022)], start=1):
        inc.write_row(i, 0, [hid, year, 100])
    book.close()
    data = read_input(path)
    damaged = _reject(data, "户信息", 3)
    assert damaged["代码"] == "E109" and damaged["列"] == "证件号码" and "数字" in damaged["原因"]
    assert data.households["户编号"].to_list() == ["0001", "0003"]
    finding = data.findings.row(0, named=True)
    assert (finding["行号"], finding["代码"], finding["列"]) == (4, "W201", "证件号码")
    _invariant(data)


def test_phone_stored_as_number_is_kept_as_text(tmp_path):
    path = tmp_path / "in.xlsx"
    book = xlsxwriter.Workbook(path)
    hh = book.add_worksheet("户信息")
    hh.write_row(0, 0, ["户编号", "村", "家庭人口数", "联系电话", "证件号码"])
    hh.write_row(1, 0, ["0001", "南岗村", 2, 13800138000, ID_B])
    inc = book.add_worksheet("收入")
    inc.write_row(0, 0, ["户编号", "年度"])
    inc.write_row(1, 0, ["0001", 2021])
    inc.write_row(2, 0, ["0001", 2022])
    book.close()
    data = read_input(path)
    assert data.households["联系电话"].to_list() == ["13800138000"]
    assert data.rejects.is_empty()


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8-sig", "utf-8"])
def test_csv_folder_in_the_encodings_excel_saves(tmp_path, frames, encoding):
    folder = write_csv_folder(tmp_path / "csv", frames, encoding, titles={"户信息": "南岗村脱贫户收入排查表"})
    data = read_input(folder)
    assert data.households["户编号"].to_list() == ["0001", "0002", "0003"]
    assert data.households["证件号码"].to_list() == [ID_A, ID_B, ID_C]
    assert data.households["户主姓名"].to_list() == ["张三", "李四", "王五"]
    assert data.households[SOURCE_ROW].to_list() == [3, 4, 5]  # title line 1, header line 2
    assert data.measures["措施类型"].to_list() == ["M1", "M3"]
    assert data.rejects.is_empty()


def test_csv_id_that_went_through_excel_number_is_rejected(tmp_path, frames):
    frames = dict(frames)
    frames["户信息"] = frames["户信息"].with_columns(
        pl.Series("证件号码", ["4.10102199001011e+17", "410102199001011000", ID_C])
    )
    data = read_input(write_csv_folder(tmp_path / "csv", frames))
    assert [_reject(data, "户信息", r)["代码"] for r in (2, 3)] == ["E109", "E109"]
    assert data.households["户编号"].to_list() == ["0003"]


def test_parquet_folder_with_typed_columns(tmp_path, frames):
    folder = tmp_path / "pq"
    folder.mkdir()
    frames["户信息"].with_columns(pl.col("家庭人口数").cast(pl.Int64)).write_parquet(folder / "户信息.parquet")
    frames["收入"].with_columns(pl.col("年度").cast(pl.Int64), pl.col("务工收入").cast(pl.Float64)).write_parquet(folder / "收入.parquet")
    data = read_input(folder)
    assert data.households["户编号"].to_list() == ["0001", "0002", "0003"]
    assert data.households["家庭人口数"].to_list() == [3, 2, 1]
    assert data.income.filter(pl.col("户编号") == "0001").sort("年度")["务工收入"].to_list() == [24000.0, 18000.0]
    assert data.measures.is_empty()  # 帮扶措施 may be absent
    assert "帮扶措施" not in data.rows_read
    _invariant(data)


def test_parquet_id_held_as_float_is_rejected(tmp_path, frames):
    folder = tmp_path / "pq"
    folder.mkdir()
    frames["户信息"].head(1).with_columns(pl.lit(410102199001011234.0).alias("证件号码")).write_parquet(folder / "households.parquet")
    frames["收入"].write_parquet(folder / "income.parquet")
    data = read_input(folder)
    assert _reject(data, "户信息", 2)["代码"] == "E109"


def test_english_and_unit_suffixed_headers(tmp_path):
    folder = tmp_path / "csv"
    folder.mkdir()
    (folder / "户信息.csv").write_text("Household_ID,VILLAGE,家庭人口数（人）,备注说明\n0001,南岗村,2,x\n", encoding="utf-8")
    (folder / "收入.csv").write_text('户编号,年份,"务工收入\n（元）"\n0001,2021,100\n0001,2022,200\n', encoding="utf-8")
    data = read_input(folder)
    assert data.households["村"].to_list() == ["南岗村"]
    assert data.income["务工收入"].to_list() == [100.0, 200.0]
    ignored = data.findings.filter(pl.col("代码") == "W202")
    assert ignored["列"].to_list() == ["备注说明"]


# ---------------------------------------------------------------------------------------
# Unusable input → InputError naming the sheet and column
# ---------------------------------------------------------------------------------------


def test_not_a_workbook(tmp_path):
    path = tmp_path / "in.xlsx"
    path.write_text("这不是工作簿")
    with pytest.raises(InputError, match="in.xlsx.*不是有效的 Excel 工作簿"):
        read_input(path)


def test_missing_file_and_unknown_kind(tmp_path):
    with pytest.raises(InputError, match="找不到"):
        read_input(tmp_path / "nope.xlsx")
    other = tmp_path / "in.txt"
    other.write_text("x")
    with pytest.raises(InputError, match="in.txt"):
        read_input(other)


@pytest.mark.parametrize("sheet", ["户信息", "收入"])
def test_missing_sheet(tmp_path, frames, sheet):
    folder = write_csv_folder(tmp_path / "csv", {k: v for k, v in frames.items() if k != sheet})
    with pytest.raises(InputError, match=f"找不到工作表「{sheet}」"):
        read_input(folder)


@pytest.mark.parametrize("sheet, column", [("户信息", "村"), ("户信息", "家庭人口数"), ("收入", "年度"), ("帮扶措施", "措施类型")])
def test_missing_required_column(tmp_path, frames, sheet, column):
    frames = dict(frames)
    frames[sheet] = frames[sheet].drop(column)
    folder = write_csv_folder(tmp_path / "csv", frames)
    with pytest.raises(InputError, match=f"工作表「{sheet}」缺少必填列「{column}」"):
        read_input(folder)


def test_only_one_year(tmp_path, frames):
    frames = dict(frames)
    frames["收入"] = frames["收入"].filter(pl.col("年度") == "2022")
    with pytest.raises(InputError, match="工作表「收入」列「年度」只有 1 个可用年度（2022）"):
        read_input(write_csv_folder(tmp_path / "csv", frames))


def test_header_not_found(tmp_path, frames):
    frames = dict(frames)
    folder = write_csv_folder(tmp_path / "csv", frames)
    (folder / "户信息.csv").write_text("标题\n甲,乙\n1,2\n", encoding="utf-8")
    with pytest.raises(InputError, match="工作表「户信息」.*找不到表头"):
        read_input(folder)


# ---------------------------------------------------------------------------------------
# Property: rows in = rows used + rows rejected; no bad cell becomes 0
# ---------------------------------------------------------------------------------------

GOOD_AMOUNTS = st.sampled_from(["0", "1200", "1,200", "350.5", "1.2万", "800元", None])
BAD_AMOUNTS = st.sampled_from(["不详", "1200/月", "-5", "约300", "1000-2000", "x"])


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.lists(
        st.tuples(st.sampled_from(["0001", "0002", "0003", "0004", "合计"]), st.sampled_from(["2021", "2022", "22", None]),
                  st.one_of(GOOD_AMOUNTS, BAD_AMOUNTS), st.one_of(GOOD_AMOUNTS, BAD_AMOUNTS)),
        min_size=1, max_size=12,
    )
)
def test_every_income_row_is_used_or_rejected_and_bad_cells_never_zero(tmp_path_factory, frames, rows):
    base = pl.DataFrame({"户编号": ["0001", "0001"], "年度": ["2021", "2022"], "务工收入": ["1", "2"]})
    extra = pl.DataFrame(rows, schema=["户编号", "年度", "务工收入", "低保金"], orient="row")
    income = pl.concat([base, extra], how="diagonal")
    folder = write_csv_folder(tmp_path_factory.mktemp("prop"), {"户信息": frames["户信息"], "收入": income})
    data = read_input(folder)
    _invariant(data)
    assert data.rows_read["收入"] == income.height  # no row of this sheet is blank
    used_rows = set(data.income[SOURCE_ROW].to_list())
    for line, (hid, year, wage, dibao) in enumerate(income.iter_rows(), start=2):
        bad = any(v in ("不详", "1200/月", "-5", "约300", "1000-2000", "x") for v in (wage, dibao))
        if bad or hid == "合计" or year in ("22", None):
            assert line not in used_rows
    # every used amount equals what was typed (blank → 0), so nothing bad slipped in as 0
    typed = {line: (w, d) for line, (_, _, w, d) in enumerate(income.iter_rows(), start=2)}
    expected = {"0": 0.0, "1200": 1200.0, "1,200": 1200.0, "350.5": 350.5, "1.2万": 12000.0, "800元": 800.0,
                None: 0.0, "1": 1.0, "2": 2.0}
    for line, wage, dibao in data.income.select(SOURCE_ROW, "务工收入", "低保金").iter_rows():
        assert (wage, dibao) == (expected[typed[line][0]], expected[typed[line][1]])
    assert all(data.income[c].null_count() == 0 for c in ITEM_NAMES)


# ---------------------------------------------------------------------------------------
# Typed parquet is checked in its own types, with the same outcome as its text
# ---------------------------------------------------------------------------------------


def _dirty_typed_frames(frames):
    households = pl.concat([
        frames["户信息"].with_columns(
            pl.col("家庭人口数", "劳动力人数").cast(pl.Int64),
            pl.col("是否低保户").replace_strict({"是": True, "否": False}, return_dtype=pl.Boolean),
        ),
        pl.DataFrame({"户编号": ["0004", "0005", "0006", "合计", "0001", "   ", None],
                      "村": ["南岗村", "南岗村", "\u3000", None, "南岗村", None, None],
                      "家庭人口数": [0, -1, 2, 6, 2, None, None], "劳动力人数": [1, 2**53 + 1, 0, None, 1, None, None],
                      "是否低保户": [None, True, False, None, None, None, None]}),
    ], how="diagonal_relaxed")
    income = pl.concat([
        frames["收入"].with_columns(pl.col("年度").cast(pl.Float64), pl.col("务工收入", "低保金").cast(pl.Float64)),
        pl.DataFrame({"户编号": ["0001", "0002", "0003", "0003", "0003", "0003"],
                      "年度": [2022.0, 2021.0, 2023.0, 2024.0, 22.0, 2025.5],
                      "务工收入": [5.0, -5.0, float("nan"), -0.0, 1e20, 1e-7],
                      "低保金": [None, None, float("inf"), 0.125, None, 3.0]}),
    ], how="diagonal_relaxed")
    return {"户信息": households, "收入": income}


def _write_parquet_folder(folder, frames):
    folder.mkdir()
    for sheet, frame in frames.items():
        frame.write_parquet(folder / f"{sheet}.parquet")
    return folder


def test_typed_parquet_gives_what_its_text_gives(tmp_path, frames):
    # Numbers stay numbers in the reader; rejects must still show the cell as the sheet shows it.
    typed = _dirty_typed_frames(frames)
    text = {sheet: frame.select(pl.all().cast(pl.String)) for sheet, frame in typed.items()}
    from_typed = read_input(_write_parquet_folder(tmp_path / "typed", typed))
    from_text = read_input(_write_parquet_folder(tmp_path / "text", text))
    for name in ("households", "income", "measures", "rejects", "findings"):
        assert getattr(from_typed, name).equals(getattr(from_text, name)), name
    assert from_typed.rows_read == from_text.rows_read
    _invariant(from_typed)
    # the cases themselves, so the comparison cannot pass by both being empty
    codes = {(r["工作表"], r["行号"]): (r["代码"], r["值"]) for r in from_typed.rejects.iter_rows(named=True)}
    assert codes[("户信息", 5)] == ("E104", "0")
    assert codes[("户信息", 8)] == ("E108", "合计")
    assert codes[("户信息", 9)][0] == "E106"
    assert codes[("收入", 9)] == ("E102", "-5.0")
    assert codes[("收入", 10)] == ("E102", "NaN")
    assert codes[("收入", 11)] == ("E102", "-0.0")  # −0.0 reads as a negative amount, as its text does
    assert codes[("收入", 12)] == ("E103", "22.0")
    assert ("收入", 13) in codes  # 2025.5 is not a year
    assert from_typed.income.filter(pl.col("户编号") == "0001").sort("年度")["年度"].to_list() == [2021, 2022]
    assert from_typed.rows_read["户信息"] == 8  # blank rows (one of spaces only) are not counted


def test_parquet_resident_id_held_as_integer_is_rejected(tmp_path, frames):
    # 18 digits fit an Int64 but not Excel's 15 significant digits: the value cannot be trusted.
    households = frames["户信息"].head(2).with_columns(
        pl.Series("证件号码", [410102199001011234, None], dtype=pl.Int64), pl.col("户编号").cast(pl.Int64))
    data = read_input(_write_parquet_folder(tmp_path / "pq", {"户信息": households, "收入": frames["收入"]}))
    damaged = _reject(data, "户信息", 2)
    assert (damaged["代码"], damaged["值"]) == ("E109", "410102199001011234")
    assert data.households["户编号"].to_list() == ["2"]  # a short ID held as a number is kept, as text


def test_parquet_header_below_row_one_is_still_found(tmp_path, frames):
    # Column names that are not the header (an export with generic names): read as a sheet.
    hh = frames["户信息"]
    names = [f"column_{i}" for i in range(hh.width)]
    header = pl.DataFrame([["南岗村脱贫户收入排查表"] + [None] * (hh.width - 1), hh.columns], schema=names, orient="row")
    folder = tmp_path / "pq"
    folder.mkdir()
    pl.concat([header, hh.rename(dict(zip(hh.columns, names)))]).write_parquet(folder / "户信息.parquet")
    frames["收入"].write_parquet(folder / "收入.parquet")
    data = read_input(folder)
    assert data.households["户编号"].to_list() == ["0001", "0002", "0003"]
    assert data.households[SOURCE_ROW].to_list() == [4, 5, 6]  # names row 1, title row 2, header row 3


@pytest.mark.parametrize("encoding", ["gbk", "utf-8-sig"])
def test_csv_decoded_in_small_chunks_reads_the_same(tmp_path, frames, encoding, monkeypatch):
    # Chunk borders fall inside multi-byte characters (and the BOM): nothing may be lost or doubled.
    folder = write_csv_folder(tmp_path / "csv", frames, encoding, titles={"户信息": "南岗村脱贫户收入排查表"})
    whole = read_input(folder)
    import lib.io.sheets

    monkeypatch.setattr(lib.io.sheets, "DECODE_CHUNK", 5)
    chunked = read_input(folder)
    for name in ("households", "income", "measures", "rejects", "findings"):
        assert getattr(chunked, name).equals(getattr(whole, name)), name
    assert chunked.households["户主姓名"].to_list() == ["张三", "李四", "王五"]


def test_csv_header_found_below_long_title_lines(tmp_path, frames):
    # The header search decodes only the top of the file; long title lines must not hide the header.
    folder = write_csv_folder(tmp_path / "csv", frames)
    text = (folder / "户信息.csv").read_text(encoding="utf-8")
    (folder / "户信息.csv").write_text(("说明" * 20_000 + "\n") * 3 + text, encoding="utf-8")
    data = read_input(folder)
    assert data.households[SOURCE_ROW].to_list() == [5, 6, 7]


def test_whitespace_pattern_matches_what_strip_chars_strips():
    # The reader tests cells with regex \s instead of trimming them; both must mean the same characters.
    from lib.io.sheets import WHITESPACE_ONLY

    chars = pl.Series([chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF])
    assert chars.str.contains(WHITESPACE_ONLY).equals(chars.str.strip_chars() == "")
