"""How values read and are made safe (lib.present.format): numbers and yuan, codes by name,
masking of resident IDs and phone numbers, HTML escaping, the spreadsheet neutraliser."""

import datetime as dt
import re

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lib.catalogue import MEASURE_BY_CODE, RISK_POINTS
from lib.present import format as fmt
from lib.present.format import (
    mask_frame,
    mask_phone,
    mask_resident_id,
    phone_expr,
    resident_id_expr,
)
from lib.present.tables import PLAIN, SUMMARY, table_markup

# ---------------------------------------------------------------------------------------
# Masking
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, expected",
    [
        ("230811199001011234", "230811********1234"),
        ("23081119900101123X", "230811********123X"),
        (" 230811199001011234 ", "230811********1234"),  # spaces around are not shown
        ("230811900101123", "230811*****1123"),  # old 15-digit ID
        ("12345", "*****"),  # too short to keep 6 + 4: hidden completely
        ("2308111234", "**********"),
        ("", ""),
        (None, None),
    ],
)
def test_resident_id(value, expected):
    assert mask_resident_id(value) == expected


@pytest.mark.parametrize(
    "value, expected",
    [
        ("13812345678", "138****5678"),
        ("0454-8123456", "045*****3456"),
        ("1234567", "*******"),
        (None, None),
    ],
)
def test_phone(value, expected):
    assert mask_phone(value) == expected


def test_expressions_match_functions_on_examples():
    ids = ["230811199001011234", None, "", "12345", "230811900101123"]
    phones = ["13812345678", "0454-8123456", None, "12", ""]
    frame = pl.DataFrame({"i": ids, "p": phones})
    out = frame.select(resident_id_expr("i"), phone_expr(pl.col("p")))
    assert out.get_column("i").to_list() == [mask_resident_id(v) for v in ids]
    assert out.get_column("p").to_list() == [mask_phone(v) for v in phones]


@given(st.lists(st.one_of(st.none(), st.text(alphabet="0123456789Xx -", max_size=24)), max_size=20))
def test_expression_equals_function(values):
    frame = pl.DataFrame({"i": values}, schema={"i": pl.Utf8})
    assert frame.select(resident_id_expr("i")).get_column("i").to_list() == [
        mask_resident_id(v) for v in values
    ]
    assert frame.select(phone_expr("i")).get_column("i").to_list() == [mask_phone(v) for v in values]


@given(st.text(alphabet="0123456789X", min_size=1, max_size=30))
def test_masked_id_keeps_only_ends(value):
    masked = mask_resident_id(value)
    assert len(masked) == len(value)
    if len(value) > 10:
        assert masked[:6] == value[:6] and masked[-4:] == value[-4:]
        assert set(masked[6:-4]) == {"*"}
    else:
        assert set(masked) == {"*"}


def test_mask_frame_masks_identifier_columns_by_any_known_header():
    frame = pl.DataFrame(
        {
            "户编号": ["H1"],
            "证件号码": ["230811199001011234"],
            "身份证号": ["230811198502023456"],  # an alias kept from a user's sheet
            "联系电话": ["13812345678"],
            "备注": ["13812345678"],  # free text is not an identifier column
        }
    )
    out = mask_frame(frame)
    assert out.row(0) == ("H1", "230811********1234", "230811********3456", "138****5678", "13812345678")


def test_mask_frame_without_identifier_columns_is_unchanged():
    frame = pl.DataFrame({"户编号": ["H1"], "村": ["一村"]})
    assert mask_frame(frame).equals(frame)


def test_mask_frame_keeps_nulls_and_empty_frames():
    frame = pl.DataFrame({"证件号码": [None, "230811199001011234"]}, schema={"证件号码": pl.Utf8})
    assert mask_frame(frame).get_column("证件号码").to_list() == [None, "230811********1234"]
    empty = pl.DataFrame(schema={"证件号码": pl.Utf8, "联系电话": pl.Utf8})
    assert mask_frame(empty).height == 0


# ---------------------------------------------------------------------------------------
# Numbers, yuan, dates, codes
# ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("column, value, text", [
    ("年度", 2021, "2021"), ("P0", 0.125, "12.5%"), ("P1", 0.01234, "0.0123"), ("覆盖率", 0.5, "50.0%"),
    ("收入缺口", 12345.6, "12,346"), ("户数", 1200, "1,200"), ("应纳未纳", True, "是"),
])
def test_number_text(column, value, text):
    assert fmt.number_text(column, value) == text


def test_yuan_percent_counts_dates():
    assert fmt.yuan(12345.5) == "12,346 元" and fmt.yuan(None) == "—" and fmt.yuan(float("nan")) == "—"
    assert fmt.yuan(12345.6, fen=True) == "12,345.60 元" and fmt.yuan(-300.0, sign=True) == "-300 元"
    assert fmt.yuan(300.0, sign=True) == "+300 元"
    assert fmt.wan_yuan(1_234_567.0) == "123.46 万元" and fmt.wan_yuan(None) == "—"
    assert fmt.percent(0.125) == "12.5%" and fmt.percent(-0.02, sign=True) == "-2.0%"
    assert fmt.count(1200) == "1,200 户" and fmt.count(3, "人") == "3 人" and fmt.count(None) == "—"
    assert fmt.date_text(dt.date(2022, 8, 31)) == "2022-08-31"
    assert fmt.date_text(dt.datetime(2022, 8, 31, 14, 5, 9)) == "2022-08-31 14:05"
    assert fmt.cell_text("落实日期", dt.date(2022, 8, 1)) == "2022-08-01"


def test_cell_text():
    assert fmt.cell_text("收入缺口", None) == "" and fmt.cell_text("收入缺口", float("nan")) == ""
    assert fmt.cell_text("风险点", ["务工减收", None, "经营减收"]) == "务工减收；经营减收"
    assert fmt.cell_text("应纳未纳", False) == "否"
    assert fmt.cell_text("收入缺口", [1234.5, 99.0]) == "1,234；99"


YUAN_AMOUNTS = st.floats(min_value=-1e9, max_value=1e9, allow_nan=False)


@given(YUAN_AMOUNTS)
def test_amounts_formatted_to_the_fen(value):
    text = fmt.yuan(value, fen=True)
    assert re.fullmatch(r"-?\d{1,3}(,\d{3})*\.\d{2} 元", text), text
    shown = float(text.removesuffix(" 元").replace(",", ""))
    assert abs(shown - value) <= 0.005 + abs(value) * 1e-15  # rounded to the fen, never further
    whole = float(fmt.yuan(value).removesuffix(" 元").replace(",", ""))
    assert abs(whole - value) <= 0.5 + abs(value) * 1e-15


def test_codes_by_name_from_the_catalogue():
    assert fmt.measure_name("M1") == MEASURE_BY_CODE["M1"].name and fmt.measure_name("M9") == "M9"
    first = RISK_POINTS[0]
    assert fmt.risk_label(first.code) == first.label and fmt.risk_label("R99") == "R99"
    frame = pl.DataFrame({"推荐措施": [["M1", "M9"], []], "风险点代码": [[first.code], []]})
    out = frame.select(fmt.measure_names("推荐措施"), fmt.risk_labels("风险点代码"))
    assert out.row(0) == ([MEASURE_BY_CODE["M1"].name, "M9"], [first.label])


# ---------------------------------------------------------------------------------------
# Escaping
# ---------------------------------------------------------------------------------------


@given(st.text())
def test_escape_lets_no_markup_character_through(text):
    out = fmt.escape(text)
    assert not set("<>\"'`") & set(out)
    assert re.sub(r"&(amp|lt|gt|quot|#x27|#96);", "", out).count("&") == 0  # every & is an entity


@given(st.text(max_size=30), st.text(max_size=30))
def test_every_table_look_escapes_cells_and_headers(header, text):
    frame = pl.DataFrame({header or "说明": [text]})
    for look in (PLAIN, SUMMARY):
        markup = table_markup(frame, look=look)
        inner = re.sub(r"</?(table|thead|tbody|tr|th|td)\b[^>]*>", "", markup)
        assert not set("<>\"'`") & set(inner), look


def test_md_escape():
    assert fmt.md_escape("`代码`") == r"\`代码\`"


# ---------------------------------------------------------------------------------------
# One table renderer, masked by default
# ---------------------------------------------------------------------------------------

DIGITS = st.text(alphabet="0123456789", min_size=18, max_size=18)
PHONES = st.text(alphabet="0123456789", min_size=11, max_size=11)


@given(DIGITS, PHONES)
def test_masking_never_leaves_a_full_id_or_phone(resident_id, phone):
    frame = pl.DataFrame({"证件号码": [resident_id, " " + resident_id], "联系电话": [phone, phone + " "]})
    for look in (PLAIN, SUMMARY):
        markup = table_markup(frame, look=look)
        assert not re.search(r"\d{18}", markup) and not re.search(r"\d{11}", markup)
    assert not re.search(r"\d{11}", mask_resident_id(resident_id)) and not re.search(r"\d{8}", mask_phone(phone))
    assert resident_id in table_markup(frame, look=PLAIN, show_identifiers=True)  # only when asked


def test_index_look_links_and_row_headers():
    frame = pl.DataFrame({"村": ["东<村"], "简报": ["东 村.html"], "台账": [None], "户数": [12]})
    markup = table_markup(frame, look=SUMMARY, links={"简报": "打开简报", "台账": "下载台账"}, row_header="村")
    assert markup.startswith('<table class="summary">') and "<script" not in markup
    assert '<th scope="row">东&lt;村</th>' in markup
    assert '<a href="%E4%B8%9C%20%E6%9D%91.html">打开简报</a>' in markup
    assert '<span class="none">—</span>' in markup and '<td class="num">12</td>' in markup


# ---------------------------------------------------------------------------------------
# The spreadsheet neutraliser (CSV and XLSX text cells)
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("value, expected", [
    ("=1+1", "'=1+1"), ("+86 138", "'+86 138"), ("-x", "'-x"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=1", "'\t=1"), ("\r=1", "'\r=1"), ("\u202e=1+1", "'=1+1"), ("张\u200f三", "张三"),
    ("-120.5", "-120.5"), ("+3", "+3"), ("1e5", "1e5"), ("张三", "张三"), ("", ""),
    (None, None), (-5, -5), (1.5, 1.5),
])
def test_neutralise(value, expected):
    assert fmt.neutralise(value) == expected


SPREADSHEET_TEXT = st.text(alphabet=st.sampled_from(list("=+-@\t\r 0123456789.eE张a") + list(fmt.BIDI_CONTROLS)),
                           max_size=12)


@given(SPREADSHEET_TEXT)
def test_no_neutralised_cell_starts_like_a_formula_unless_a_number(text):
    out = fmt.neutralise(text)
    assert not set(fmt.BIDI_CONTROLS) & set(out)
    if out[:1] in ("=", "+", "-", "@", "\t", "\r"):
        float(out)  # a number such as -120.5 stays as it is
    assert out.removeprefix(fmt.TEXT_MARK) == "".join(c for c in text if c not in fmt.BIDI_CONTROLS)


@given(st.lists(st.one_of(st.none(), SPREADSHEET_TEXT), max_size=20))
def test_neutralise_frame_equals_function(values):
    frame = pl.DataFrame({"说明": values, "金额": [1.0] * len(values)}, schema={"说明": pl.String, "金额": pl.Float64})
    out = fmt.neutralise_frame(frame)
    assert out.get_column("说明").to_list() == [fmt.neutralise(v) for v in values]
    assert out.get_column("金额").to_list() == frame.get_column("金额").to_list()  # numbers stay numbers
