"""FGT indices and band transitions (lib/rules/poverty.py), checked by hand."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lib.policy import default_policy
from lib.rules.poverty import band_labels, fgt, transitions

POLICY = default_policy()  # monitoring line 2021: 6,000; 2022: 6,600


def frame(*rows: tuple[str, float | None, float | None, int]) -> pl.DataFrame:
    """(村, 上年人均纯收入, 本年人均纯收入, 家庭人口数) rows; members the same both years,
    null members for a missing year as the result frame has them."""
    return pl.DataFrame(
        [
            {
                "户编号": f"H{i}",
                "村": v,
                "上年人均纯收入": a,
                "本年人均纯收入": b,
                "上年家庭人口数": None if a is None else n,
                "本年家庭人口数": None if b is None else n,
            }
            for i, (v, a, b, n) in enumerate(rows)
        ],
        schema={
            "户编号": pl.String,
            "村": pl.String,
            "上年人均纯收入": pl.Float64,
            "本年人均纯收入": pl.Float64,
            "上年家庭人口数": pl.Int64,
            "本年家庭人口数": pl.Int64,
        },
    )


def row(result: pl.DataFrame, village: str, year: int) -> dict:
    return result.filter((pl.col("村") == village) & (pl.col("年度") == year)).row(
        0, named=True
    )


def test_fgt_by_hand_one_member_each():
    # 3,000 / 6,000 / 9,000 against 6,000 (2021): one poor at half the line.
    hh = frame(
        ("南岗村", 3000.0, 3000.0, 1),
        ("南岗村", 6000.0, 6000.0, 1),
        ("南岗村", 9000.0, 9000.0, 1),
    )
    got = row(fgt(hh, POLICY, 2021, 2022), "南岗村", 2021)
    assert (got["监测线"], got["户数"], got["人数"]) == (6000.0, 3, 3)
    assert got["P0"] == pytest.approx(1 / 3)  # 6,000 is on the line, not below it
    assert got["P1"] == pytest.approx(0.5 / 3)
    assert got["P2"] == pytest.approx(0.25 / 3)
    # 2022, line 6,600: now two below, gaps 3,600/6,600 and 600/6,600.
    got = row(fgt(hh, POLICY, 2021, 2022), "南岗村", 2022)
    g1, g2 = 3600 / 6600, 600 / 6600
    assert got["P0"] == pytest.approx(2 / 3)
    assert got["P1"] == pytest.approx((g1 + g2) / 3)
    assert got["P2"] == pytest.approx((g1**2 + g2**2) / 3)


def test_fgt_is_person_weighted():
    # The poor household has 3 members, the other 1: 3 of 4 people are below the line.
    hh = frame(("东风村", 3000.0, 3000.0, 3), ("东风村", 9000.0, 9000.0, 1))
    got = row(fgt(hh, POLICY, 2021, 2022), "东风村", 2021)
    assert (got["户数"], got["人数"]) == (2, 4)
    assert got["P0"] == pytest.approx(0.75)
    assert got["P1"] == pytest.approx(3 * 0.5 / 4)


def test_fgt_negative_income_counts_as_zero_and_missing_years_are_left_out():
    hh = frame(("西山村", -1500.0, None, 2), ("西山村", 12000.0, 12000.0, 2))
    result = fgt(hh, POLICY, 2021, 2022)
    last = row(result, "西山村", 2021)
    assert last["P1"] == pytest.approx(0.5) and last["P2"] == pytest.approx(
        0.5
    )  # gap capped at 1
    this = row(result, "西山村", 2022)
    assert (this["户数"], this["人数"], this["P0"]) == (1, 2, 0.0)


def test_fgt_district_row_and_every_village_each_year():
    hh = frame(
        ("A村", 3000.0, 7000.0, 2), ("B村", 9000.0, 5000.0, 1), ("C村", None, None, 4)
    )
    result = fgt(hh, POLICY, 2021, 2022)
    assert result.columns == ["村", "年度", "监测线", "户数", "人数", "P0", "P1", "P2"]
    assert result.select("村", "年度").rows() == [
        ("A村", 2021),
        ("A村", 2022),
        ("B村", 2021),
        ("B村", 2022),
        ("C村", 2021),
        ("C村", 2022),
        ("全区", 2021),
        ("全区", 2022),
    ]
    c = row(result, "C村", 2021)
    assert c["户数"] == 0 and c["P0"] is None  # nobody surveyed
    district = row(result, "全区", 2021)
    assert (district["户数"], district["人数"], district["P0"]) == (
        2,
        3,
        pytest.approx(2 / 3),
    )


incomes = st.lists(
    st.tuples(
        st.sampled_from(["A村", "B村"]),
        st.floats(-3000, 30000),
        st.floats(-3000, 30000),
        st.integers(1, 7),
    ),
    min_size=1,
    max_size=20,
)


@settings(max_examples=40, deadline=None)
@given(rows=incomes)
def test_fgt_invariants(rows):
    result = fgt(frame(*rows), POLICY, 2021, 2022).drop_nulls("P0")
    # Severity ≤ gap ≤ headcount, all shares.
    for r in result.iter_rows(named=True):
        assert 0.0 <= r["P2"] <= r["P1"] + 1e-12 <= r["P0"] + 2e-12 <= 1.0 + 2e-12
    # District = person-weighted mean of the villages, people and households add up.
    for year in (2021, 2022):
        villages = result.filter((pl.col("年度") == year) & (pl.col("村") != "全区"))
        district = row(result, "全区", year)
        assert (
            villages["人数"].sum() == district["人数"]
            and villages["户数"].sum() == district["户数"]
        )
        for p in ("P0", "P1", "P2"):
            weighted = (villages[p] * villages["人数"]).sum() / villages["人数"].sum()
            assert district[p] == pytest.approx(weighted)


def test_transitions_by_hand():
    hh = frame(
        ("A村", 5000.0, 7000.0, 1),  # below → 6,600–9,900
        ("A村", 5900.0, 6500.0, 1),  # below → below (6,500 < 6,600)
        ("A村", 8000.0, 10000.0, 1),  # 6,000–9,000 → 1.5× and above (≥ 9,900)
        (
            "B村",
            9000.0,
            9800.0,
            2,
        ),  # 9,000 = 1.5 × 6,000 → above; 9,800 < 9,900 → middle
        ("B村", None, 4000.0, 1),  # not surveyed last year: left out
    )
    got = transitions(hh, POLICY, 2021, 2022)
    assert got.columns == ["上年区间", "本年区间", "户数"]
    below, near, above = band_labels(POLICY)
    assert (below, near, above) == ("低于监测线", "监测线至1.5倍", "1.5倍以上")
    assert got.rows() == [
        (below, below, 1),
        (below, near, 1),
        (below, above, 0),
        (near, below, 0),
        (near, near, 0),
        (near, above, 1),
        (above, below, 0),
        (above, near, 1),
        (above, above, 0),
    ]
