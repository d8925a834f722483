"""增收 / 持平 / 减收 / 未排查 (lib/rules/classify.py)."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lib.rules.classify import change_rate, judgement
from lib.policy import default_policy
from factories import household, income_row, rules_stage

POLICY = default_policy()


def judge(last: float | None, this: float | None, band: float = 0.02) -> str:
    frame = pl.DataFrame({"上年人均纯收入": [last], "本年人均纯收入": [this]}, schema={"上年人均纯收入": pl.Float64, "本年人均纯收入": pl.Float64})
    return frame.select(judgement(band)).item()


@pytest.mark.parametrize(
    ("last", "this", "expected"),
    [
        (10000.0, 10000.0, "持平"),
        (10000.0, 9800.0, "持平"),  # exactly −2%: the edge is 持平
        (10000.0, 9799.99, "减收"),  # a fen beyond the band
        (10000.0, 10200.0, "持平"),  # exactly +2%
        (10000.0, 10200.01, "增收"),
        (10000.0, 5000.0, "减收"),
        # last year's per-capita 0: the band is empty, only no change is 持平
        (0.0, 0.0, "持平"),
        (0.0, 1.0, "增收"),
        (0.0, -1.0, "减收"),
        # negative last year (costs above income): the band is 2% of its size, 20 yuan
        (-1000.0, -1000.0, "持平"),
        (-1000.0, -1020.0, "持平"),
        (-1000.0, -980.0, "持平"),
        (-1000.0, -1020.5, "减收"),
        (-1000.0, -979.5, "增收"),
        # a year missing either way
        (None, 5000.0, "未排查"),
        (5000.0, None, "未排查"),
        (None, None, "未排查"),
    ],
)
def test_flat_band_edges(last, this, expected):
    assert judge(last, this) == expected


def test_band_zero_makes_any_change_count():
    assert judge(10000.0, 9999.99, band=0.0) == "减收"
    assert judge(10000.0, 10000.0, band=0.0) == "持平"


def test_edge_reached_through_division_by_members_is_still_flat():
    # 36000/3 = 12000 → 35280/3 = 11760: −240 = exactly 2%; and 1000/3 → 980/3 (−2% as well),
    # where binary rounding of the divisions could otherwise push the change past the band.
    hh = [household("A", 家庭人口数=3), household("B", 家庭人口数=3), household("C", 家庭人口数=3)]
    inc = [
        income_row("A", 2021, 务工收入=36000), income_row("A", 2022, 务工收入=35280),
        income_row("B", 2021, 务工收入=1000), income_row("B", 2022, 务工收入=980),
        income_row("C", 2021, 务工收入=600 * 3), income_row("C", 2022, 务工收入=600 * 0.98 * 3),
    ]
    households, _ = rules_stage(hh, inc)
    assert households["收入研判"].to_list() == ["持平", "持平", "持平"]


def test_change_rate_is_null_without_a_positive_base():
    frame = pl.DataFrame({"上年人均纯收入": [10000.0, 0.0, -500.0, None], "本年人均纯收入": [9000.0, 100.0, 100.0, 1.0]})
    assert frame.select(change_rate()).to_series().to_list() == [-0.1, None, None, None]


def test_a_change_in_members_alone_can_make_a_household_lose():
    # the same 24,000 yuan shared by one more member: 8,000 → 6,000 per person
    households, _ = rules_stage(
        [household("A", 家庭人口数=3)], [income_row("A", 2021, 务工收入=24000), income_row("A", 2022, 务工收入=24000, 家庭人口数=4)]
    )
    row = households.row(0, named=True)
    assert (row["人均纯收入变化"], row["人均纯收入变化率"], row["收入研判"]) == (-2000, -0.25, "减收")


@settings(max_examples=200, deadline=None)
@given(
    st.integers(-20000, 60000),
    st.integers(-20000, 60000),
    st.sampled_from([0.0, 0.02, 0.05, 0.1]),
    st.sampled_from([0.5, 2.0, 3.0, 7.0, 10.0, 100.0, 1234.5]),
)
def test_scaling_every_amount_changes_no_judgement(last, this, band, k):
    assert judge(last * k, this * k, band) == judge(float(last), float(this), band)
