"""The reader's fast paths on big, clean CSV files (issue 13): they must decide every cell as the
text stages do. A file with nothing to trim skips the per-column trimming; a column whose
distinct texts are all plain numbers is read by a cast; a file without "#" skips the Excel
error-value scans; resident IDs of ASCII digits skip the cleaning stages. One bad cell among
thousands of plain ones is still rejected, with its code and a sentence naming sheet, row and
column, and every input row is used or rejected."""

from functools import lru_cache

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lib.io.parsing as parsing
from lib.catalogue import SOURCE_ROW
from lib.io.parsing import DEDUPE_FROM, parse_amount
from lib.io.reader import read_input
from lib.io.sheets import may_need_trimming

HOUSEHOLDS = 6_000  # ~12,000 income rows: above DEDUPE_FROM, so the distinct-text path is taken
SHEET_FILES = {"households": "户信息.csv", "income": "收入.csv", "measures": "帮扶措施.csv"}


@lru_cache(maxsize=1)
def _district() -> dict[str, bytes]:
    """A generated district as the CSV files an analyst saves (是/否 for yes/no), as bytes."""
    from lib.demo.district import generate_households

    data = generate_households(HOUSEHOLDS, 13)
    out = {}
    for name, file in SHEET_FILES.items():
        frame = data[name]
        out[file] = frame.with_columns(
            pl.when(pl.col(c)).then(pl.lit("是")).otherwise(pl.lit("否")).alias(c)
            for c, t in frame.schema.items() if t == pl.Boolean
        ).write_csv().encode()
    return out


def _folder(tmp_path, edit: dict[str, dict[tuple[int, str], str]] | None = None):
    """The district's CSV folder, with cells replaced: {file: {(data row index, column): text}}."""
    folder = tmp_path / "csv"
    folder.mkdir(exist_ok=True)
    for file, data in _district().items():
        if edit and file in edit:
            frame = pl.read_csv(data, infer_schema=False)
            for (row, column), text in edit[file].items():
                frame = frame.with_columns(pl.when(pl.int_range(pl.len()) == row).then(pl.lit(text))
                                           .otherwise(pl.col(column)).alias(column))
            data = frame.write_csv().encode()
        (folder / file).write_bytes(data)
    return folder


def _invariant(data):
    for sheet, count in data.rows_read.items():
        frame = {"户信息": data.households, "收入": data.income, "帮扶措施": data.measures}[sheet]
        rejected = data.rejects.filter(pl.col("工作表") == sheet)
        assert rejected["行号"].n_unique() == rejected.height
        assert count == frame.height + rejected.height, sheet


def _rejected(data, sheet: str, line: int) -> dict:
    hit = data.rejects.filter((pl.col("工作表") == sheet) & (pl.col("行号") == line))
    assert hit.height == 1, data.rejects
    return hit.row(0, named=True)


def test_the_generated_files_take_the_fast_paths():
    for file, data in _district().items():
        assert not may_need_trimming(data), file  # nothing to trim: the per-column scans are skipped
        assert b"#" not in data, file
    assert _district()["收入.csv"].count(b"\n") > DEDUPE_FROM


@pytest.mark.parametrize("text, code", [
    ("1e3", "E102"), ("+5", "E102"), (".5", "E102"), ("5.", "E102"), ("-5", "E102"), ("inf", "E102"),
    ("NaN", "E102"), ("1200~1500", "E102"), ("不详", "E102"), ("800/月", "E102"), ("#N/A", "E114"),
])
def test_one_bad_amount_among_thousands_of_plain_ones_is_rejected(tmp_path, text, code):
    row = 4_321
    data = read_input(_folder(tmp_path, {"收入.csv": {(row, "务工收入"): text}}))
    hit = _rejected(data, "收入", row + 2)  # header on line 1
    assert (hit["列"], hit["值"], hit["代码"]) == ("务工收入", text, code)
    assert hit["原因"].startswith(f"工作表「收入」第{row + 2}行：「务工收入」填写为“{text}”")
    assert parse_amount(text).reason is not None  # the text stages reject it alone as well
    assert data.rejects.height == 1  # every other cell of the column was read
    _invariant(data)


def test_a_plain_amount_with_unit_or_separator_is_still_read(tmp_path):
    data = read_input(_folder(tmp_path, {"收入.csv": {(10, "务工收入"): "12,000元", (11, "养殖业收入"): "１２００"}}))
    assert data.rejects.is_empty()
    rows = data.income.filter(pl.col(SOURCE_ROW).is_in([12, 13])).sort(SOURCE_ROW)
    assert rows["务工收入"][0] == 12_000.0 and rows["养殖业收入"][1] == 1_200.0


@pytest.mark.parametrize("file, sheet, column, text, code", [
    ("户信息.csv", "户信息", "家庭人口数", "3.5", "E102"),
    ("户信息.csv", "户信息", "家庭人口数", "0", "E104"),
    ("户信息.csv", "户信息", "是否受灾", "是的", "E111"),
    ("收入.csv", "收入", "年度", "2O22", "E103"),
    ("收入.csv", "收入", "年度", "1899", "E103"),
    ("收入.csv", "收入", "务工月数", "13", "E102"),
])
def test_one_bad_count_year_month_or_yes_no_is_rejected(tmp_path, file, sheet, column, text, code):
    row = 2_500
    data = read_input(_folder(tmp_path, {file: {(row, column): text}}))
    hit = _rejected(data, sheet, row + 2)
    assert (hit["列"], hit["值"], hit["代码"]) == (column, text, code)
    assert f"工作表「{sheet}」第{row + 2}行：「{column}」" in hit["原因"]
    _invariant(data)


def test_a_cell_with_spaces_at_its_edge_is_still_trimmed(tmp_path):
    folder = _folder(tmp_path, {"收入.csv": {(7, "务工收入"): " 1500 "}, "户信息.csv": {(3, "村"): "南岗村 "}})
    assert may_need_trimming((folder / "收入.csv").read_bytes())
    data = read_input(folder)
    assert data.rejects.is_empty()
    assert data.income.filter(pl.col(SOURCE_ROW) == 9)["务工收入"].item() == 1500.0
    assert data.households.filter(pl.col(SOURCE_ROW) == 5)["村"].item() == "南岗村"


@pytest.mark.parametrize("data, needs", [
    (b"a,b\n1,2\n", False),
    (b"a,b\r\n1,2\r\n", False),  # polars drops the \r of CRLF
    ("a,b\n张 三,2\n".encode(), False),  # a space inside a cell is kept as it is
    (b" a,b\n1,2\n", True), (b"a ,b\n1,2\n", True), (b"a, b\n1,2\n", True), (b"a,b\n 1,2\n", True),
    (b"a,b \n1,2\n", True), (b"a,b \r\n1,2\r\n", True), (b"a,b\n1,2 ", True), (b"a,\tb\n", True),
    (b'a,b\n"",2\n', True), (b"a,b\n1\r2,3\n", True),
    ("a,b\n张\u3000三,2\n".encode(), True), ("a,b\n1,2\u00a0\n".encode(), True), ("a,b\n\u2003x,2\n".encode(), True),
    ("a,b\n“引号”—,2\n".encode(), False),  # punctuation sharing a space's first UTF-8 byte
])
def test_may_need_trimming(data, needs):
    assert may_need_trimming(data) is needs


TOKENS = {
    "amount": ["0", "0.0", "1200", "1200.5", "12,000", "1.2万", "12元", "-5", "1e3", "+5", ".5", "5.", "inf", "abc",
               "１２", "800/月", None],
    "count": ["0", "1", "3", "3.0", "3人", "3.5", "-1", "1e1", "x", None],
    "year": ["2021", "2022", "2022.0", "2022年", "1899", "2O22", "20221", None],
    "months": ["0", "6", "6.5", "12", "13", "-1", "6个月", None],
    "bool": ["是", "否", "Y", "n", "1", "0", "√", "是的", None],
}
PARSERS = {
    "amount": (parsing.parse_amount_column, "_amount_shortcut"),
    "count": (parsing.parse_count_column, "_count_shortcut"),
    "year": (parsing.parse_year_column, "_year_shortcut"),
    "months": (parsing.parse_months_column, "_months_shortcut"),
    "bool": (parsing.parse_bool_column, "_bool_shortcut"),
}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kind=st.sampled_from(sorted(TOKENS)), data=st.data())
def test_text_shortcuts_read_every_cell_as_the_stages_do(kind, data):
    """A big column (distinct-text path) and a small one (per-cell test) give, cell for cell, what
    the text stages give without the plain-text shortcut."""
    cells = data.draw(st.lists(st.sampled_from(TOKENS[kind]), min_size=1, max_size=40))
    length = DEDUPE_FROM + 1 + data.draw(st.integers(0, 50))
    column = pl.Series("raw", cells * (length // len(cells) + 1), dtype=pl.String).head(length)
    parser, name = PARSERS[kind]
    fast = parser(column)
    small = parser(column.head(len(cells)))
    original = getattr(parsing, name)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(parsing, name, lambda dtype: None if dtype == pl.String else original(dtype))
        slow = parser(column)
    assert fast.schema == slow.schema
    assert fast.equals(slow, null_equal=True)
    assert small.equals(slow.head(len(cells)), null_equal=True)


PROPERTY_TOKENS = ["1200", "1200.5", "0", "12元", "", "abc", "1e3", "-5", ".5", "#VALUE!", "13", "6"]


def _expected(column: str, text: str):
    """What the contract makes of ``text`` in ``column``: a value, or None for a rejected cell."""
    if column == "务工月数":
        return {"0": 0.0, "6": 6.0, "": None}.get(text, "bad") if text in ("0", "6", "") else "bad"
    return {"1200": 1200.0, "1200.5": 1200.5, "0": 0.0, "12元": 12.0, "": 0.0, "13": 13.0, "6": 6.0}.get(text, "bad")


@settings(max_examples=8, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(edits=st.dictionaries(
    st.tuples(st.integers(0, 2 * HOUSEHOLDS - 200), st.sampled_from(["务工收入", "养老金", "生产经营性支出", "务工月数"])),
    st.sampled_from(PROPERTY_TOKENS),
    max_size=12,
))
def test_every_row_is_used_or_rejected_under_the_fast_path(tmp_path_factory, edits):
    data = read_input(_folder(tmp_path_factory.mktemp("prop"), {"收入.csv": edits}))
    _invariant(data)
    used = {r[SOURCE_ROW]: r for r in data.income.iter_rows(named=True)}
    rejected = set(data.rejects.filter(pl.col("工作表") == "收入")["行号"].to_list())
    by_row: dict[int, dict[str, str]] = {}
    for (row, column), text in edits.items():
        by_row.setdefault(row + 2, {})[column] = text
    for line, cells in by_row.items():
        expected = {column: _expected(column, text) for column, text in cells.items()}
        if "bad" in expected.values():
            assert line in rejected and line not in used, (line, cells)
        else:  # a blank amount is 0 by the contract; a bad cell never is
            assert line in used and line not in rejected, (line, cells)
            assert {c: used[line][c] for c in cells} == expected
