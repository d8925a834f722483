"""Net income, per-capita and the item comparison of the two years (lib/rules/income.py)."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lib.catalogue import ITEM_NAMES
from lib.rules.income import (
    DUPLICATE_YEAR,
    ITEMS_COLUMNS,
    UNKNOWN_HOUSEHOLD,
    YEAR_NOT_COMPARED,
    YearsError,
    choose_years,
    compare_income,
)
from lib.policy import default_policy
from factories import household, households_frame, income_frame, income_row

POLICY = default_policy()


def compare(hh_rows, inc_rows, policy=POLICY, years=(2021, 2022)):
    return compare_income(households_frame(hh_rows), income_frame(inc_rows), policy, *years)


def one(frame: pl.DataFrame, hid: str) -> dict:
    return frame.filter(pl.col("户编号") == hid).row(0, named=True)


# ---------------------------------------------------------------------------------------
# Years
# ---------------------------------------------------------------------------------------


def test_latest_year_and_the_one_before():
    inc = income_frame([income_row("A", y) for y in (2020, 2021, 2022)])
    assert choose_years(inc) == (2021, 2022)


def test_latest_earlier_year_when_a_year_is_skipped():
    inc = income_frame([income_row("A", 2019), income_row("A", 2022)])
    assert choose_years(inc) == (2019, 2022)


def test_pair_given_by_the_analyst():
    inc = income_frame([income_row("A", y) for y in (2020, 2021, 2022)])
    assert choose_years(inc, (2020, 2021)) == (2020, 2021)


@pytest.mark.parametrize(
    ("years_present", "given", "says"),
    [
        ((2022,), None, "至少需要两个年度"),
        ((2021, 2022), (2022, 2021), "上年 < 本年"),
        ((2021, 2022), (2019, 2022), "没有 2019 年度"),
    ],
)
def test_years_that_cannot_be_compared_say_why_in_chinese(years_present, given, says):
    inc = income_frame([income_row("A", y) for y in years_present])
    with pytest.raises(YearsError, match=says):
        choose_years(inc, given)


# ---------------------------------------------------------------------------------------
# Net income, members, per-capita, kinds
# ---------------------------------------------------------------------------------------

# Household A, 3 members in 户信息; 2021 items (yuan): 务工 20000, 公益岗 3000, 种植 8000,
# 养殖 2000, 生产经营性支出 4000, 产业收益分配 600, 低保金 1200, 养老金 2400, 政策性补贴 500.
A_2021 = dict(务工收入=20000, 公益岗位收入=3000, 种植业收入=8000, 养殖业收入=2000, 生产经营性支出=4000,
              产业收益分配=600, 低保金=1200, 养老金=2400, 政策性补贴=500)


def test_net_income_leaves_pension_out_when_the_policy_says_so():
    policy = POLICY.with_rules(pension_in_net_income=False)
    c = compare([household("A", 家庭人口数=3)], [income_row("A", 2021, **A_2021), income_row("A", 2022, **A_2021)], policy)
    a = one(c.households, "A")
    # 20000 + 3000 + (8000 + 2000 − 4000) + 600 + (1200 + 500) = 31300; 31300 / 3
    assert a["上年工资性收入"] == 23000
    assert a["上年生产经营性收入"] == 6000  # net of 生产经营性支出
    assert a["上年财产性收入"] == 600
    assert a["上年转移性收入"] == 1700  # 养老金 left out
    assert a["上年家庭纯收入"] == 31300
    assert a["上年人均纯收入"] == pytest.approx(31300 / 3)


def test_net_income_counts_pension_by_default_as_the_national_system_does():
    c = compare([household("A", 家庭人口数=3)], [income_row("A", 2021, **A_2021), income_row("A", 2022)])
    a = one(c.households, "A")
    assert a["上年转移性收入"] == 4100 and a["上年家庭纯收入"] == 33700
    assert a["本年家庭纯收入"] == 0 and a["本年人均纯收入"] == 0


def test_each_year_divides_by_its_own_members_falling_back_to_the_roster():
    c = compare(
        [household("A", 家庭人口数=4)],
        [income_row("A", 2021, 务工收入=24000), income_row("A", 2022, 务工收入=24000, 家庭人口数=3)],
    )
    a = one(c.households, "A")
    assert (a["上年家庭人口数"], a["本年家庭人口数"]) == (4, 3)  # 2021 blank → 户信息's 4
    assert (a["上年人均纯收入"], a["本年人均纯收入"]) == (6000, 8000)


def test_a_household_missing_a_year_keeps_its_row_with_nulls_for_that_year():
    c = compare(
        [household("A"), household("B"), household("C")],
        [income_row("A", 2021, 务工收入=1000), income_row("B", 2022, 务工收入=2000)],
    )
    assert c.households["户编号"].to_list() == ["A", "B", "C"]  # roster order, nobody dropped
    a, b, cc = (one(c.households, h) for h in "ABC")
    assert a["上年人均纯收入"] == 1000 and a["本年人均纯收入"] is None and a["本年家庭人口数"] is None
    assert b["上年人均纯收入"] is None and b["本年人均纯收入"] == 2000
    assert cc["上年家庭纯收入"] is None and cc["本年家庭纯收入"] is None


# ---------------------------------------------------------------------------------------
# Rejects
# ---------------------------------------------------------------------------------------


def test_income_rows_not_used_go_to_rejects_with_row_and_code():
    c = compare(
        [household("A")],
        [
            income_row("A", 2021),  # row 2
            income_row("A", 2022),  # row 3
            income_row("Z9", 2022, 务工收入=5000),  # row 4: not in 户信息
            income_row("A", 2019),  # row 5: outside the pair
            income_row("A", 2022),  # row 6: a second 2022 row
        ],
    )
    got = c.rejects.select("工作表", "行号", "列", "值", "代码").rows()
    assert sorted(got, key=lambda r: r[1]) == [
        ("收入", 4, "户编号", "Z9", UNKNOWN_HOUSEHOLD),
        ("收入", 5, "年度", "2019", YEAR_NOT_COMPARED),
        ("收入", 6, "年度", "2022", DUPLICATE_YEAR),
    ]
    assert c.rejects["原因"].str.contains("户信息").any()
    assert c.households.height == 1


def test_a_household_year_listed_twice_out_of_order_uses_its_first_row():
    # Rows out of household order take the general duplicate check (rows in order skip it).
    c = compare(
        [household("A"), household("B")],
        [
            income_row("A", 2022, 务工收入=50),  # row 2: used
            income_row("B", 2021),  # row 3
            income_row("A", 2021, 务工收入=100),  # row 4
            income_row("A", 2022, 务工收入=999),  # row 5: a second 2022 row
        ],
    )
    assert one(c.households, "A")["本年务工收入"] == 50 and one(c.households, "A")["上年务工收入"] == 100
    assert c.rejects.select("行号", "代码").rows() == [(5, DUPLICATE_YEAR)]


def test_the_order_of_the_income_rows_does_not_change_the_comparison():
    hh = households_frame([household("A", 家庭人口数=2), household("B"), household("C")])
    inc = income_frame(
        [
            income_row("A", 2021, 务工收入=100, 务工月数=6),
            income_row("A", 2022, 务工收入=50, 减收原因="R3"),
            income_row("B", 2022, 低保金=30),
            income_row("C", 2021, 生产经营性支出=20),
            income_row("C", 2022, 养殖业收入=7, 家庭人口数=3),
            income_row("Z", 2022),
        ]
    )
    ordered = compare_income(hh, inc, POLICY, 2021, 2022)
    shuffled = compare_income(hh, inc.reverse(), POLICY, 2021, 2022)  # 来源行号 travel with the rows
    assert ordered.households.equals(shuffled.households)
    assert ordered.items.equals(shuffled.items)
    assert ordered.rejects.equals(shuffled.rejects)


# ---------------------------------------------------------------------------------------
# Items
# ---------------------------------------------------------------------------------------


def test_item_table_has_every_item_with_money_in_either_year():
    c = compare(
        [household("A", 村="北山村"), household("B"), household("C")],
        [income_row("A", 2021, **A_2021), income_row("A", 2022, 务工收入=15000), income_row("B", 2022, 低保金=900)],
    )
    items = c.items
    assert items.columns == list(ITEMS_COLUMNS)
    # A: the 9 items it had in 2021 (务工 also in 2022); B: 低保金; C has no data; items at 0
    # in both years are left out
    a_items = items.filter(pl.col("户编号") == "A")["收入项目"].cast(pl.String).to_list()
    assert a_items == [n for n in ITEM_NAMES if n in A_2021]
    assert items.height == len(A_2021) + 1
    wage = items.filter((pl.col("户编号") == "A") & (pl.col("收入项目") == "务工收入")).row(0, named=True)
    assert wage == {"户编号": "A", "村": "北山村", "收入项目": "务工收入", "收入类别": "工资性收入",
                    "上年": 20000.0, "本年": 15000.0, "变化": -5000.0}
    cost = items.filter((pl.col("户编号") == "A") & (pl.col("收入项目") == "生产经营性支出")).row(0, named=True)
    assert (cost["收入类别"], cost["上年"], cost["本年"]) == ("生产经营性收入", 4000.0, 0.0)
    pension = items.filter((pl.col("户编号") == "A") & (pl.col("收入项目") == "养老金")).row(0, named=True)
    assert (pension["上年"], pension["本年"]) == (2400.0, 0.0)  # listed even when not counted
    b = items.filter(pl.col("户编号") == "B").row(0, named=True)
    assert (b["收入项目"], b["上年"], b["本年"], b["变化"]) == ("低保金", None, 900.0, None)


def test_item_table_sums_to_the_kinds():
    c = compare([household("A", 家庭人口数=3)], [income_row("A", 2021, **A_2021), income_row("A", 2022, **A_2021)])
    wage = c.items.filter(pl.col("收入类别") == "工资性收入")["上年"].sum()
    assert wage == one(c.households, "A")["上年工资性收入"]


def test_a_row_of_another_year_listed_first_does_not_hide_the_compared_row():
    c = compare([household("A")], [income_row("A", 2019, 务工收入=1), income_row("A", 2021, 务工收入=7000),
                                   income_row("A", 2022, 务工收入=8000)])
    a = one(c.households, "A")
    assert (a["上年家庭纯收入"], a["本年家庭纯收入"]) == (7000, 8000)
    assert c.rejects["代码"].to_list() == [YEAR_NOT_COMPARED]


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.integers(1, 30), min_size=1, max_size=8, unique=True),
    st.lists(st.tuples(st.integers(0, 35), st.sampled_from([2020, 2021, 2022])), max_size=25),
)
def test_every_roster_household_once_and_every_income_row_used_or_rejected(ids, rows):
    hh = [household(f"H{i:02d}") for i in ids]
    inc = [income_row(f"H{i:02d}", year, 务工收入=1000 * (i + 1)) for i, year in rows]
    c = compare(hh, inc)
    assert c.households["户编号"].to_list() == [f"H{i:02d}" for i in ids]
    used = sum(c.households[f"{p}有收入数据"].sum() for p in ("上年", "本年"))
    assert used + c.rejects.height == len(inc)
