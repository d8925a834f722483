"""The demo district looks like a real one: the contract's frames, plausible households, the
national income level, every risk point's data pattern, and the workbook's injected mistakes.

Risk patterns are checked on the data directly (not through the rules engine): what an analyst
would look for in the two years' rows of one household.
"""

from __future__ import annotations

import datetime as dt
import time
import unicodedata

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from lib.demo import district as demo
from lib.catalogue import (
    INCOME_SYSTEM_COLUMNS,
    ROSTER_STATUS_COLUMNS,
    HOUSEHOLD_COLUMNS,
    INCOME_COLUMNS,
    ITEM_NAMES,
    MEASURE_BY_CODE,
    MEASURE_COLUMNS,
    OPERATING_COST,
    PENSION,
    RISK_CODES,
    SHEET_HOUSEHOLDS,
    SHEET_INCOME,
    items_of_kind,
)
from lib.io.reader import read_input

YEAR_LAST, YEAR_THIS = 2021, 2022
LINES = {2021: 6000.0, 2022: 6600.0}  # default monitoring lines (policy_default.toml)
NATIONAL = {2021: 12550.0, 2022: 14342.0}

# ---------------------------------------------------------------------------------------
# Helpers written from DESIGN.md, independent of lib
# ---------------------------------------------------------------------------------------

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_valid(resident_id: str) -> bool:
    """GB 11643: weighted digit sum of the first 17 digits mod 11 picks the check character."""
    if len(resident_id) != 18 or not resident_id[:17].isdigit():
        return False
    total = sum(int(c) * w for c, w in zip(resident_id, _WEIGHTS))
    return "10X98765432"[total % 11] == resident_id[17]


def test_id_checker_agrees_with_the_published_example():
    assert id_valid("11010519491231002X")
    assert not id_valid("110105194912310021")


def net_income() -> pl.Expr:
    """Sum of items − 生产经营性支出, 养老金 included (as the national system counts it)."""
    kept = [c for c in ITEM_NAMES if c != OPERATING_COST]
    return pl.sum_horizontal(kept) - pl.col(OPERATING_COST)


def operating_net() -> pl.Expr:
    return pl.sum_horizontal([c for c in items_of_kind("生产经营性收入") if c != OPERATING_COST]) - pl.col(OPERATING_COST)


def side_by_side(frames: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """One row per household surveyed in both years: last year's columns plain, this year's
    with suffix _t; per-capita net income, its change and the 增收/持平/减收 judgement."""
    income = frames["income"].with_columns(net=net_income(), op=operating_net()).with_columns(
        pc=pl.col("net") / pl.col("家庭人口数")
    )
    last = income.filter(pl.col("年度") == YEAR_LAST)
    this = income.filter(pl.col("年度") == YEAR_THIS)
    wide = last.join(this, on="户编号", suffix="_t").join(frames["households"], on="户编号", suffix="_hh")
    change = pl.col("pc_t") - pl.col("pc")
    return wide.with_columns(
        judgement=pl.when(change.abs() <= 0.02 * pl.col("pc"))
        .then(pl.lit("持平"))
        .when(change > 0)
        .then(pl.lit("增收"))
        .otherwise(pl.lit("减收"))
    )


def fell(name: str) -> pl.Expr:
    return pl.col(f"{name}_t") < pl.col(name)


@pytest.fixture(scope="module")
def district() -> dict[str, pl.DataFrame]:
    return demo.generate_demo()


@pytest.fixture(scope="module")
def wide(district) -> pl.DataFrame:
    return side_by_side(district)


@pytest.fixture(scope="module")
def losing(wide) -> pl.DataFrame:
    return wide.filter(pl.col("judgement") == "减收")


# ---------------------------------------------------------------------------------------
# Contract and determinism
# ---------------------------------------------------------------------------------------


def test_same_seed_gives_identical_frames_and_another_seed_does_not():
    first, second = demo.generate_households(2000, 7), demo.generate_households(2000, 7)
    for key in ("households", "income", "measures"):
        assert_frame_equal(first[key], second[key])
    other = demo.generate_households(2000, 8)
    assert not other["income"].equals(first["income"])


def test_demo_is_deterministic(district):
    again = demo.generate_demo()
    for key in district:
        assert_frame_equal(district[key], again[key])


def test_frames_have_exactly_the_contracts_columns_and_types(district):
    h, i, m = district["households"], district["income"], district["measures"]
    assert set(district) == {"households", "income", "measures"}
    assert h.columns == [c.name for c in HOUSEHOLD_COLUMNS]
    assert i.columns == [c.name for c in INCOME_COLUMNS]
    assert m.columns == [c.name for c in MEASURE_COLUMNS]
    for name in ("家庭人口数", "劳动力人数", "弱劳动力或半劳动力人数", "重度残疾人数", "重病人数"):
        assert h.schema[name] == pl.Int64, name
    for name in ("是否低保户", "是否特困户", "是否受灾"):
        assert h.schema[name] == pl.Boolean, name
    for name in ("户编号", "证件号码", "联系电话", "户类型", "监测对象类别", "备注"):
        assert h.schema[name] == pl.Utf8, name
    assert i.schema["年度"] == i.schema["家庭人口数"] == pl.Int64
    assert all(i.schema[name] == pl.Float64 for name in (*ITEM_NAMES, "务工月数"))
    assert m.schema["落实日期"] == pl.Date and m.schema["预计增收"] == pl.Float64


def test_household_ids_are_unique_text_with_zero_padding(district):
    ids = district["households"]["户编号"]
    assert ids.n_unique() == ids.len() == 1200
    assert ids[0] == "2308040000001"  # area code + zero-padded sequence, kept as text
    assert ids.str.len_chars().unique().to_list() == [13]
    assert set(district["income"]["户编号"]) <= set(ids)
    assert set(district["measures"]["户编号"]) <= set(ids)


def test_amounts_are_whole_non_negative_yuan(district):
    income = district["income"]
    for name in ITEM_NAMES:
        values = income[name]
        assert values.null_count() == 0 and values.min() >= 0, name
        assert (values % 10 == 0).all(), name  # surveys write round amounts


# ---------------------------------------------------------------------------------------
# The district and its households
# ---------------------------------------------------------------------------------------


def test_eight_villages_in_three_townships_including_nangang(district):
    h = district["households"]
    sizes = h.group_by("乡镇", "村").len()
    assert sizes.height == 8 and h["村"].n_unique() == 8  # a village belongs to one township
    assert h["乡镇"].n_unique() in (2, 3)
    assert sizes["len"].min() >= 40 and sizes["len"].max() <= 300
    assert "南岗村" in sizes["村"].to_list()


def test_members_labour_and_hardship_are_plausible(district):
    h = district["households"]
    assert h["家庭人口数"].min() == 1 and h["家庭人口数"].max() == 6
    assert (h["劳动力人数"] + h["弱劳动力或半劳动力人数"] <= h["家庭人口数"]).all()
    assert (h["重度残疾人数"] + h["重病人数"] <= h["家庭人口数"]).all()
    small = (h["家庭人口数"] <= 2).mean()
    assert 0.35 <= small <= 0.65  # many elderly couples and people living alone
    assert 0.1 <= (h["劳动力人数"] == 0).mean() <= 0.35
    assert 0.03 <= (h["重度残疾人数"] > 0).mean() <= 0.15
    assert 0.05 <= (h["重病人数"] > 0).mean() <= 0.2


def test_household_types_and_monitoring_categories(district):
    h = district["households"]
    tuopin = h.filter(pl.col("户类型") == "脱贫户")
    ordinary = h.filter(pl.col("户类型") == "一般农户")
    assert 0.8 <= tuopin.height / h.height <= 0.95
    # An ordinary household is in the data only as a monitoring target.
    assert set(ordinary["监测对象类别"]) == {"边缘易致贫户", "突发严重困难户"}
    assert set(tuopin["监测对象类别"].drop_nulls()) == {"脱贫不稳定户"}
    assert 0.08 <= tuopin["监测对象类别"].is_not_null().mean() <= 0.18


def test_dibao_and_tekun_flags_match_this_years_amounts(district):
    h = district["households"]
    this = district["income"].filter(pl.col("年度") == YEAR_THIS).join(h, on="户编号")
    assert (this["是否低保户"] == (this["低保金"] > 0)).all()
    assert (this["是否特困户"] == (this["特困供养金"] > 0)).all()
    assert not (this["是否低保户"] & this["是否特困户"]).any()
    assert 0.1 <= h["是否低保户"].mean() <= 0.4
    assert 0.01 <= h["是否特困户"].mean() <= 0.1


def test_resident_ids_are_valid_jiamusi_ids_matching_the_heads_age(district):
    ids = district["households"]["证件号码"].to_list()
    assert all(id_valid(x) for x in ids)
    assert all(x.startswith("2308") for x in ids)
    ages = [YEAR_THIS - dt.date(int(x[6:10]), int(x[10:12]), int(x[12:14])).year for x in ids]
    assert min(ages) >= 18 and max(ages) <= 100
    # Heads of one-person households are mostly elderly.
    members = district["households"]["家庭人口数"].to_list()
    alone = [a for a, m in zip(ages, members) if m == 1]
    assert sum(a >= 60 for a in alone) / len(alone) > 0.5


def test_phone_numbers_are_mainland_mobiles_or_blank(district):
    phones = district["households"]["联系电话"]
    given = phones.drop_nulls()
    assert given.len() >= 0.9 * phones.len()
    assert given.str.contains(r"^1[3-9]\d{9}$").all()


# ---------------------------------------------------------------------------------------
# Income level and movement
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("year", [YEAR_LAST, YEAR_THIS])
def test_mean_per_capita_net_income_meets_the_national_figure(district, year):
    rows = district["income"].filter(pl.col("年度") == year).with_columns(net=net_income())
    weighted = rows["net"].sum() / rows["家庭人口数"].sum()  # how the national figure is counted
    per_household = (rows["net"] / rows["家庭人口数"]).mean()
    assert abs(weighted / NATIONAL[year] - 1) <= 0.03
    assert abs(per_household / NATIONAL[year] - 1) <= 0.10


def test_pensions_are_present_and_would_change_the_figure(district):
    rows = district["income"].filter(pl.col("年度") == YEAR_THIS)
    assert (rows[PENSION] > 0).mean() > 0.2
    without_pension = (rows.select(net_income() - pl.col(PENSION)).to_series().sum()) / rows["家庭人口数"].sum()
    assert without_pension < NATIONAL[YEAR_THIS] * 0.97  # so counting 养老金 is what meets the figure


def test_wage_income_is_the_largest_kind(district):
    income = district["income"]
    totals = {
        kind: income.select(pl.sum_horizontal([c for c in items_of_kind(kind) if c not in (PENSION, OPERATING_COST)])).to_series().sum()
        for kind in ("工资性收入", "生产经营性收入", "财产性收入", "转移性收入")
    }
    totals["生产经营性收入"] -= income[OPERATING_COST].sum()
    assert max(totals, key=totals.get) == "工资性收入"
    assert totals["工资性收入"] > 0.5 * sum(totals.values())


def test_a_fifth_or_so_of_households_lose_income(wide):
    share = (wide["judgement"] == "减收").mean()
    assert 0.15 <= share <= 0.25


# Each risk point's data pattern, as an analyst would spot it in one household's two rows.
RISK_PATTERNS = {
    "R1 经营减收（未受灾）": (pl.col("op_t") < pl.col("op")) & ~pl.col("是否受灾"),
    "R2 产业收益分配减收": fell("产业收益分配"),
    "R3 未务工": (pl.col("务工收入") > 0) & (pl.col("务工收入_t") == 0),
    "R3 务工时间缩短": fell("务工收入") & (pl.col("务工收入_t") > 0) & fell("务工月数"),
    "R3 工资降低": fell("务工收入") & (pl.col("务工月数_t") == pl.col("务工月数")),
    "R4 公益岗未参加": (pl.col("公益岗位收入") > 0) & (pl.col("公益岗位收入_t") == 0),
    "R4 公益岗补贴降低": fell("公益岗位收入") & (pl.col("公益岗位收入_t") > 0),
    "R5 低保取消": (pl.col("低保金") > 0) & (pl.col("低保金_t") == 0) & ~pl.col("是否低保户"),
    "R5 特困供养金减少": fell("特困供养金") & (pl.col("特困供养金_t") > 0),
    "R6 政策补贴减少": fell("政策性补贴") | fell("生态补偿金"),
    "R7 自然灾害减收": (pl.col("op_t") < pl.col("op")) & pl.col("是否受灾"),
    "R8 帮扶不到位（调查原因）": pl.col("减收原因_t").is_in(["帮扶措施未落实", "R8"]),
    "R9 人口增加而无收入项目减少": (pl.col("家庭人口数_t") > pl.col("家庭人口数"))
    & pl.all_horizontal([pl.col(f"{c}_t") >= pl.col(c) for c in ITEM_NAMES if c != OPERATING_COST]),
    "R9 其他（调查原因）": pl.col("减收原因_t") == "其他",
}


def test_every_risk_point_has_a_pattern():
    assert {key[:2] for key in RISK_PATTERNS} == set(RISK_CODES)


@pytest.mark.parametrize("pattern", list(RISK_PATTERNS))
def test_each_risk_pattern_occurs_among_households_losing_income(losing, pattern):
    assert losing.filter(RISK_PATTERNS[pattern]).height >= 2, pattern


def test_hail_hits_one_village_other_than_nangang_and_its_farming(wide):
    hit = wide.filter(pl.col("是否受灾"))
    assert hit["村"].unique().to_list() != ["南岗村"] and hit["村"].n_unique() == 1
    assert hit.height >= 10
    assert (hit["种植业收入_t"] < hit["种植业收入"]).all()
    assert (hit["judgement"] == "减收").mean() > 0.5


def test_one_village_has_its_industry_project_pay_less_across_the_board(wide):
    paid = wide.filter(pl.col("产业收益分配") > 0)
    by_village = paid.group_by("村").agg(share=fell("产业收益分配").mean()).sort("share", descending=True)
    assert by_village["share"][0] > 0.9  # the whole village's dividend fell
    assert by_village["share"][1] < 0.2  # elsewhere it is an exception


def test_survey_causes_mix_codes_labels_and_free_text(district):
    causes = set(district["income"]["减收原因"].drop_nulls())
    assert {"帮扶措施未落实", "R8", "其他", "冰雹灾害", "务工时间缩短"} <= causes
    assert any(len(c) > 8 for c in causes)  # a sentence a surveyor wrote
    last_year = district["income"].filter(pl.col("年度") == YEAR_LAST)
    assert last_year["减收原因"].null_count() == last_year.height


def test_some_households_are_below_the_line_and_a_few_not_monitored(wide):
    for year, suffix in ((YEAR_LAST, ""), (YEAR_THIS, "_t")):
        below = (wide[f"pc{suffix}"] < LINES[year]).mean()
        assert 0.01 <= below <= 0.12, year
    missed = wide.filter(
        (pl.col("pc_t") < LINES[YEAR_THIS]) & (pl.col("户类型") == "脱贫户") & pl.col("监测对象类别").is_null()
    )
    assert 1 <= missed.height <= 20  # 应纳未纳


def test_a_few_roster_households_were_not_surveyed(district):
    h, income = district["households"], district["income"]
    years = income.group_by("户编号").agg(pl.col("年度"))
    missing = h.join(years, on="户编号", how="left").with_columns(pl.col("年度").fill_null([]))
    no_last = missing.filter(~pl.col("年度").list.contains(YEAR_LAST)).height
    no_this = missing.filter(~pl.col("年度").list.contains(YEAR_THIS)).height
    assert no_last >= 1 and no_this >= 1
    assert no_last + no_this <= 0.02 * h.height


def test_a_newborn_lowers_per_capita_income_with_no_item_falling(losing):
    newborn = losing.filter(RISK_PATTERNS["R9 人口增加而无收入项目减少"])
    assert newborn.height >= 2
    assert (newborn["net_t"] >= newborn["net"]).all() and (newborn["pc_t"] < newborn["pc"]).all()


# ---------------------------------------------------------------------------------------
# Measures
# ---------------------------------------------------------------------------------------


def test_measures_are_well_formed(district):
    m = district["measures"]
    assert set(m["措施类型"]) == set(MEASURE_BY_CODE)
    assert (m["牵头单位"] == m["措施类型"].replace_strict({c: x.lead_unit for c, x in MEASURE_BY_CODE.items()})).all()
    assert m["落实日期"].min() >= dt.date(YEAR_THIS, 3, 1) and m["落实日期"].max() <= dt.date(YEAR_THIS, 8, 31)
    assert (m["预计增收"] > 0).all()
    assert set(m["状态"]) == {"计划", "已落实"}
    assert m["措施内容"].str.contains(r"[\u4e00-\u9fff]").all()
    assert m.select("户编号", "措施类型").is_unique().all()


def test_most_but_not_all_losing_households_have_measures(district, wide, losing):
    with_measures = set(district["measures"]["户编号"])
    covered = losing["户编号"].is_in(list(with_measures)).mean()
    assert 0.7 <= covered <= 0.9
    others = wide.filter(pl.col("judgement") != "减收")
    assert others["户编号"].is_in(list(with_measures)).sum() >= 5


@pytest.mark.parametrize(
    "pattern, measure",
    [("R3 未务工", "M1"), ("R4 公益岗未参加", "M1"), ("R5 低保取消", "M3"), ("R7 自然灾害减收", "M2"), ("R8 帮扶不到位（调查原因）", "M5")],
)
def test_measures_match_the_households_risk(district, losing, pattern, measure):
    codes = district["measures"].group_by("户编号").agg(pl.col("措施类型"))
    hit = losing.filter(RISK_PATTERNS[pattern]).join(codes, on="户编号")
    assert hit.height >= 1
    assert hit["措施类型"].list.contains(measure).mean() >= 0.8, pattern


# ---------------------------------------------------------------------------------------
# Any size
# ---------------------------------------------------------------------------------------


def test_twenty_thousand_households_are_quick_and_calibrated():
    start = time.perf_counter()
    frames = demo.generate_households(20_000, 11)
    assert time.perf_counter() - start < 15  # generous: the machine is shared
    h = frames["households"]
    assert h.height == 20_000 and h["户编号"].is_unique().all()
    sizes = h.group_by("村").len()["len"]
    assert sizes.min() >= 40 and sizes.max() <= 340  # a remainder may join its neighbour
    for year in (YEAR_LAST, YEAR_THIS):
        rows = frames["income"].filter(pl.col("年度") == year).with_columns(net=net_income())
        assert abs(rows["net"].sum() / rows["家庭人口数"].sum() / NATIONAL[year] - 1) <= 0.03
    assert 0.15 <= (side_by_side(frames)["judgement"] == "减收").mean() <= 0.25


def test_village_table_adds_up_with_one_hail_and_one_project_village():
    table = demo.village_table(5000, 3)
    assert table["户数"].sum() == 5000 and table["村"].is_unique().all()
    assert table["冰雹受灾"].any() and table["产业项目减收"].any()
    assert not (table["冰雹受灾"] & table["产业项目减收"]).any()


def test_other_calibration_targets_and_years_are_honoured():
    frames = demo.generate_households(5000, 2, 2023, 2024, per_capita_last=9000.0, per_capita_this=9900.0)
    income = frames["income"].with_columns(net=net_income())
    assert set(income["年度"]) == {2023, 2024}
    for year, target in ((2023, 9000.0), (2024, 9900.0)):
        rows = income.filter(pl.col("年度") == year)
        assert abs(rows["net"].sum() / rows["家庭人口数"].sum() / target - 1) <= 0.03
    assert frames["measures"]["落实日期"].dt.year().unique().to_list() == [2024]


def test_years_must_be_in_order():
    with pytest.raises(ValueError, match="必须晚于"):
        demo.generate_households(10, 1, 2022, 2021)


def test_villages_must_add_up_to_n():
    with pytest.raises(ValueError, match="户数合计"):
        demo.generate_households(100, 1, villages=demo.DEMO_VILLAGES)


@settings(max_examples=10, deadline=None)
@given(n=st.integers(1, 1000), seed=st.integers(0, 2**32 - 1))
def test_any_size_gives_consistent_frames(n, seed):
    frames = demo.generate_households(n, seed)
    h, income, m = frames["households"], frames["income"], frames["measures"]
    assert h.height == n and h["户编号"].is_unique().all()
    assert income.height <= 2 * n and income.select("户编号", "年度").is_unique().all()
    assert set(m["户编号"]) <= set(h["户编号"])
    assert (income["家庭人口数"] >= 1).all() and (h["家庭人口数"] >= 1).all()
    assert all(id_valid(x) for x in h["证件号码"])
    assert income.select(ITEM_NAMES).min_horizontal().min() >= 0


# ---------------------------------------------------------------------------------------
# The workbook and its injected mistakes
# ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def book(district) -> demo.DemoWorkbook:
    return demo.inject_errors(district)


def test_every_catalogued_mistake_is_placed(book):
    assert set(book.errors["代码"]) == {e.code for e in demo.INJECTED_ERRORS}
    assert demo.injected_errors_frame().height == len(demo.INJECTED_ERRORS)


def test_mistakes_go_into_the_workbook_not_the_frames(district, book):
    assert_frame_equal(district["households"], demo.generate_demo()["households"])
    assert all(id_valid(x) for x in district["households"]["证件号码"])
    d5 = book.errors.filter(pl.col("代码") == "D5").row(0, named=True)
    assert not id_valid(d5["值"])
    assert book.households.height == district["households"].height + 1  # D3 duplicate
    assert book.income.height == district["income"].height + 1  # D4 orphan row
    assert book.extra_rows[SHEET_INCOME][0]["户编号"] == "合计"


def test_thousands_separator_amount_is_the_true_amount(district, book):
    d1 = book.errors.filter(pl.col("代码") == "D1").row(0, named=True)
    true = district["income"].filter((pl.col("户编号") == d1["户编号"]) & (pl.col("年度") == d1["年度"]))["政策性补贴"][0]
    assert d1["值"] == f"{true:,.0f}元" and "," in d1["值"]


def nfkc(frame: pl.DataFrame, column: str) -> pl.DataFrame:
    """The reader may fold full-width punctuation in free text (（新生儿） → (新生儿))."""
    return frame.with_columns(pl.col(column).map_elements(lambda x: unicodedata.normalize("NFKC", x), return_dtype=pl.Utf8))


@pytest.fixture(scope="module")
def read_back(tmp_path_factory):
    path = demo.write_demo(tmp_path_factory.mktemp("demo") / "demo.xlsx")
    return read_input(path)


def test_demo_workbook_reads_back_every_household(district, read_back):
    assert_frame_equal(
        nfkc(read_back.households.drop("来源行号", "证件号码", *(c.name for c in ROSTER_STATUS_COLUMNS)), "备注").sort("户编号"),
        nfkc(district["households"].drop("证件号码"), "备注").sort("户编号"),
    )
    assert read_back.measures.height == district["measures"].height


def test_demo_workbook_rejects_exactly_the_injected_bad_rows(book, read_back):
    expected = book.errors.filter(pl.col("拒收环节") == "读入").select("工作表", "行号").sort("工作表", "行号")
    assert_frame_equal(read_back.rejects.select("工作表", "行号").sort("工作表", "行号"), expected)
    d5 = book.errors.filter(pl.col("代码") == "D5")
    assert read_back.findings.filter(pl.col("工作表") == SHEET_HOUSEHOLDS)["行号"].to_list() == d5["行号"].to_list()
    for sheet in (SHEET_HOUSEHOLDS, SHEET_INCOME):
        rejected = read_back.rejects.filter(pl.col("工作表") == sheet).height
        used = {SHEET_HOUSEHOLDS: read_back.households, SHEET_INCOME: read_back.income}[sheet].height
        assert read_back.rows_read[sheet] == used + rejected


def test_demo_workbook_income_values_survive_the_round_trip(district, book, read_back):
    d2 = book.errors.filter(pl.col("代码") == "D2").row(0, named=True)
    d4 = book.errors.filter(pl.col("代码") == "D4").row(0, named=True)
    got = read_back.income.drop("来源行号", *(c.name for c in INCOME_SYSTEM_COLUMNS))  # a workbook has no system figures
    # The orphan row is read; it is the income comparison that turns it away (户信息中无此户).
    assert got.filter(pl.col("户编号") == d4["户编号"]).height == 1
    expected = district["income"].filter(~((pl.col("户编号") == d2["户编号"]) & (pl.col("年度") == d2["年度"])))
    assert_frame_equal(
        nfkc(got.filter(pl.col("户编号") != d4["户编号"]), "减收原因").sort("户编号", "年度"),
        nfkc(expected, "减收原因").sort("户编号", "年度"),
    )


def test_demo_policy_sets_only_the_local_dibao_standard(tmp_path):
    from lib.policy import default_policy, load_policy

    policy = load_policy(demo.write_demo_policy(tmp_path / "demo_policy.toml"))
    defaults = default_policy()
    assert [policy.years[y].dibao_standard for y in (2021, 2022)] == [6300, 6900]
    rules = ("flat_band", "pension_in_net_income", "dibao_excludes_basic_pension", "orange_drop", "orange_multiple", "work_cost_deduction")
    assert all(getattr(policy, r) == getattr(defaults, r) for r in rules)  # the rest stays at the defaults
    assert all(policy.threshold(y) == defaults.threshold(y) for y in defaults.years)


# ---------------------------------------------------------------------------------------
# The season so far: the demo's three weekly snapshots (issue 14)
# ---------------------------------------------------------------------------------------


def test_the_demo_s_earlier_weeks_show_late_surveys_measures_moving_and_new_risks(tmp_path):
    from lib.io.history import snapshot_dates, write_snapshot
    from lib.policy import load_policy
    from lib.report.progress import load
    from lib.rules.analysis import analyze

    path = demo.write_demo(tmp_path / "demo.xlsx")
    final = analyze(read_input(path), load_policy(demo.write_demo_policy(tmp_path / "p.toml")),
                    as_of=dt.date(2022, 8, 15))
    days = demo.write_earlier_weeks(final, path, tmp_path / "history", 2)
    write_snapshot(tmp_path / "history", final)
    assert snapshot_dates(tmp_path / "history") == [dt.date(2022, 8, 1), dt.date(2022, 8, 8), dt.date(2022, 8, 15)] \
        == [*days, final.as_of]
    p = load(tmp_path / "history", final.as_of)
    c = p.changes.counts()
    assert c["新排查"] > 20 and c["新落实措施"] > 10 and c["新计划措施"] > 5  # surveyed late, 计划 → 已落实
    assert c["研判或预警变化"] > 0 and c["新增风险未帮扶"] > 0  # a few new risks
    first = load(tmp_path / "history", dt.date(2022, 8, 8)).changes.counts()
    assert first["新排查"] > 20
    series = p.series.filter(pl.col("村") == "全区").sort("截至")
    assert series["排查率"].is_sorted() and series["排查率"][0] < series["排查率"][-1]
