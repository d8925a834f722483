"""Masking of resident IDs and phone numbers (lib.present.mask)."""

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lib.present.mask import (
    mask_frame,
    mask_phone,
    mask_resident_id,
    phone_expr,
    resident_id_expr,
)


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
