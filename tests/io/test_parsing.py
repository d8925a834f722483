import datetime as dt

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lib.catalogue import HOUSEHOLD_COLUMNS, INCOME_COLUMNS
from lib.io.parsing import (
    clean_text,
    id_text,
    match_columns,
    normalise_header,
    normalise_phone,
    normalise_resident_id,
    parse_amount,
    parse_amount_column,
    parse_bool,
    parse_bool_column,
    parse_count_column,
    parse_date,
    parse_date_column,
    parse_id_column,
    parse_int,
    parse_months,
    parse_months_column,
    parse_text_column,
    parse_year,
    parse_year_column,
    resident_id_problem,
    resident_id_valid,
)
from tests.conftest import ID_A, ID_B, resident_id


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("务工收入（元）", "务工收入"),
        ("务工收入\n(元)", "务工收入"),
        ("＊家庭人口数（人）", "家庭人口数"),
        ("* 户编号", "户编号"),
        (" 户 主 姓 名 ", "户主姓名"),
        ("预计增收(元/年)", "预计增收"),
        ("务工时间（月）", "务工时间"),
        ("户编号（必填）", "户编号"),
        ("乡（镇）", "乡(镇)"),  # a meaningful bracket is not a unit and stays
        ("ｈｏｕｓｅｈｏｌｄ＿ｉｄ", "household_id"),
        (None, ""),
    ],
)
def test_normalise_header(raw, expected):
    assert normalise_header(raw) == expected


def test_match_columns_by_chinese_english_and_alias():
    headers = ["户编号", "Village", "身份证号", "家庭人口数（人）", "乡（镇）", "备注说明", None]
    assert match_columns(headers, HOUSEHOLD_COLUMNS) == {
        "户编号": "户编号",
        "Village": "村",
        "身份证号": "证件号码",
        "家庭人口数（人）": "家庭人口数",
        "乡（镇）": "乡镇",
    }


def test_match_columns_first_header_wins_and_aliases_of_items():
    headers = ["household_id", "户编号", "年份", "公益性岗位收入", "资产收益扶贫分红收入", "最低生活保障金"]
    assert match_columns(headers, INCOME_COLUMNS) == {
        "household_id": "户编号",
        "年份": "年度",
        "公益性岗位收入": "公益岗位收入",
        "资产收益扶贫分红收入": "产业收益分配",
        "最低生活保障金": "低保金",
    }


@pytest.mark.parametrize(
    "text, value",
    [
        ("1,200", 1200.0),
        ("1200元", 1200.0),
        ("￥1,200.50", 1200.5),
        ("¥300", 300.0),
        ("1200.0", 1200.0),
        ("1.2万", 12000.0),
        ("1.2万元", 12000.0),
        ("１２００", 1200.0),  # full-width digits typed with a Chinese IME
        ("0", 0.0),
        (None, 0.0),
        ("   ", 0.0),
    ],
)
def test_parse_amount_accepts(text, value):
    assert parse_amount(text) == (value, None)


@pytest.mark.parametrize(
    "text, reason_part",
    [
        ("不详", "不是金额"),
        ("1200/月", "月收入"),
        ("每月800", "月收入"),
        ("-300", "负数"),
        ("1000-2000", "范围"),
        ("12,00", "不是金额"),
        ("约1200", "不是金额"),
    ],
)
def test_parse_amount_rejects_with_reason_never_zero(text, reason_part):
    value, reason = parse_amount(text)
    assert value is None
    assert reason_part in reason


def test_blank_amount_is_null_where_blank_does_not_mean_zero():
    assert parse_amount("", blank_is_zero=False) == (None, None)


@pytest.mark.parametrize(
    "text, expected",
    [("3", (3, None)), ("3.0", (3, None)), ("3人", (3, None)), (None, (None, None))],
)
def test_parse_int(text, expected):
    assert parse_int(text) == expected


@pytest.mark.parametrize("text, part", [("2.5", "整数"), ("-1", "负数"), ("三", "不是整数")])
def test_parse_int_reasons(text, part):
    value, reason = parse_int(text)
    assert value is None and part in reason


def test_parse_year_and_months():
    assert parse_year("2022") == (2022, None)
    assert parse_year("2022.0") == (2022, None)
    assert parse_year("2022年度") == (2022, None)
    assert parse_year("22").reason == "不是4位年份"
    assert "范围" in parse_year("3022").reason
    assert parse_months("6个月") == (6.0, None)
    assert parse_months("13").reason == "务工月数超过12个月"
    assert parse_months(None) == (None, None)


@pytest.mark.parametrize(
    "text, value",
    [("是", True), ("否", False), ("Y", True), ("n", False), ("1", True), ("0", False), ("√", True),
     ("TRUE", True), ("false", False), (None, False)],
)
def test_parse_bool(text, value):
    assert parse_bool(text) == (value, None)


def test_parse_bool_bad_value_has_reason():
    assert parse_bool("也许") == (None, "应填“是”或“否”")


@pytest.mark.parametrize(
    "text",
    ["2022-08-15", "2022/8/15", "2022.8.15", "2022年8月15日", "2022-08-15 00:00:00", "44788"],
)
def test_parse_date(text):
    assert parse_date(text) == (dt.date(2022, 8, 15), None)


def test_resident_id_valid_and_normalised():
    assert resident_id_valid(ID_A)
    assert resident_id_valid(ID_B)
    assert normalise_resident_id(" 1101 0519491231002x ") == ID_A
    assert normalise_resident_id("'" + ID_B) == ID_B  # Excel's leading apostrophe


def test_resident_id_checksum_failure_is_a_finding():
    wrong = ID_A[:-1] + "1"
    assert not resident_id_valid(wrong)
    damage, finding = resident_id_problem(wrong)
    assert damage is None and "校验位" in finding


@pytest.mark.parametrize("text", ["4.10102199001011e+17", "4.10102199001011E17", "410102199001011000", "410102199001011234.0"])
def test_resident_id_that_went_through_a_float_is_damaged(text):
    damage, finding = resident_id_problem(text)
    assert damage is not None and finding is None
    assert not resident_id_valid(text)


def test_resident_id_wrong_length_and_birth_date():
    assert "18位" in resident_id_problem("12345")[1]
    bad_birth = resident_id("11010519491331002")  # month 13, checksum right
    assert "出生日期" in resident_id_problem(bad_birth)[1]


def test_phone_stays_text_with_leading_zero():
    assert normalise_phone(" 0454-8888888 ") == "0454-8888888"
    assert normalise_phone("04548888888") == "04548888888"


def test_column_form_matches_scalar_form():
    texts = ["1,200", "不详", None, "1.2万", "-5", "1200/月"]
    out = parse_amount_column(pl.Series(texts, dtype=pl.String))
    assert list(zip(out["value"], out["reason"])) == [tuple(parse_amount(t)) for t in texts]


@settings(max_examples=60, deadline=None)
@given(yuan=st.integers(min_value=0, max_value=10**9), cents=st.integers(min_value=0, max_value=99),
       style=st.sampled_from(["plain", "comma", "yuan", "yen"]))
def test_amount_written_any_accepted_way_reads_back_exactly(yuan, cents, style):
    plain = f"{yuan}.{cents:02d}"
    text = {"plain": plain, "comma": f"{yuan:,}.{cents:02d}", "yuan": plain + "元", "yen": "￥" + f"{yuan:,}.{cents:02d}"}[style]
    assert parse_amount(text) == (round(yuan + cents / 100, 2), None)


@settings(max_examples=80, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("不详约/月-元万,.ab 零一")), min_size=1, max_size=8))
def test_text_without_digits_is_never_an_amount(text):
    value, reason = parse_amount(text)
    if text.strip() == "":
        assert (value, reason) == (0.0, None)
    else:
        assert value is None and reason, text


# ---------------------------------------------------------------------------------------
# Typed columns (parquet) read exactly as their text; plain text skips the cleaning stages
# ---------------------------------------------------------------------------------------

_TYPED_PARSERS = {
    "amount": parse_amount_column,
    "amount_blank_null": lambda s: parse_amount_column(s, blank_is_zero=False),
    "count": parse_count_column,
    "year": parse_year_column,
    "months": parse_months_column,
    "bool": parse_bool_column,
    "date": parse_date_column,
}
_EDGE_FLOATS = [0.0, -0.0, 1.0, 12.0, 12.5, 13.0, 2022.0, 2100.5, 1e-4, 9.99e-5, 1e-5, 1e-7, 0.1 + 0.2, 1 / 3,
                123456.785, 1e15, 9.9e15, 1e16, 1e20, -5.0, float("nan"), float("inf"), -float("inf"), None]
_EDGE_INTS = [0, 1, 2, 12, 13, -1, 1989, 1990, 2022, 2100, 2101, 2**53 - 1, 2**53 + 1, 10**18, None]


@pytest.mark.parametrize("parser", list(_TYPED_PARSERS))
@pytest.mark.parametrize("series", [
    pl.Series(_EDGE_FLOATS, dtype=pl.Float64),
    pl.Series(_EDGE_FLOATS, dtype=pl.Float32),
    pl.Series(_EDGE_INTS, dtype=pl.Int64),
    pl.Series([v for v in _EDGE_INTS if v is None or 0 <= v < 2**64], dtype=pl.UInt64),
    pl.Series([True, False, None], dtype=pl.Boolean),
    pl.Series([dt.date(2022, 8, 15), dt.date(1899, 12, 31), dt.date(3000, 1, 1), None], dtype=pl.Date),
    pl.Series([None, None], dtype=pl.Float64),
], ids=["f64", "f32", "i64", "u64", "bool", "date", "blank"])
def test_typed_column_reads_as_its_text(parser, series):
    # A typed parquet cell must give what its text (as the sheet grid shows it) gives:
    # −0.0 and NaN are not amounts, 2022.0 is a year, 1e+20 is not a plain number.
    parse = _TYPED_PARSERS[parser]
    assert parse(series).equals(parse(series.cast(pl.String)))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True),
                          st.integers(0, 10**9).map(lambda n: n / 100)), min_size=1, max_size=40))
def test_typed_amounts_any_float_read_as_their_text(values):
    series = pl.Series(values, dtype=pl.Float64)
    for parse in (parse_amount_column, parse_count_column, parse_months_column, parse_year_column):
        assert parse(series).equals(parse(series.cast(pl.String)))


def test_typed_amount_plain_cells_need_no_text():
    out = parse_amount_column(pl.Series([1200.0, 350.5, None, -0.0, float("nan")]))
    assert out["value"].to_list()[:3] == [1200.0, 350.5, 0.0]
    assert out["value"].to_list()[3:] == [None, None]
    assert "负数" in out["reason"][3] and "不是金额" in out["reason"][4]


_TEXT_ALPHABET = st.sampled_from(list("0a9Zz户南岗村 -'\u3000\t１Ａｈ丌\uf900e\u0301"))  # full-width, compatibility, combining


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(alphabet=_TEXT_ALPHABET, max_size=6)), min_size=1, max_size=30))
def test_text_and_id_shortcut_equal_the_cleaning(texts):
    # Plain cells skip NFKC and trimming; that must never change a value.
    series = pl.Series(texts, dtype=pl.String)
    expected = pl.DataFrame({"raw": series})
    assert parse_text_column(series)["value"].to_list() == expected.select(clean_text(pl.col("raw"))).to_series().to_list()
    assert parse_id_column(series)["value"].to_list() == expected.select(id_text(pl.col("raw"))).to_series().to_list()
