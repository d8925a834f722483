"""The ledger views (lib/rules/ledger.py): coverage by hand, district row = sum of villages."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

# The small-frame builders of the measures tests (same folder, imported by module name).
from test_measures import (
    LOSS,
    POLICY,
    YEAR,
    household,
    households,
    measures,
    with_dibao,
)

from lib.catalogue import MEASURE_CODES, MEASURES
from lib.rules.ledger import VIEWS, build_ledger, village_ledger
from lib.rules.measures import attach_measures, recommend


def ledger_of(hh: pl.DataFrame, ms: pl.DataFrame) -> dict[str, pl.DataFrame]:
    hh = with_dibao(hh)
    recs = recommend(hh, POLICY, YEAR)
    hh, joined = attach_measures(hh, recs, ms)
    return build_ledger(hh, joined)


def district_sample():
    hh = households(
        # 南岗村: four 减收 households, three with measures; one flat; one not surveyed.
        household("N1", **LOSS, risks=("R3",), 弱劳动力或半劳动力人数=1),
        household("N2", **LOSS, risks=("R1",)),
        household("N3", **LOSS, risks=("R2",)),
        household("N4", **LOSS, risks=("R9",)),
        household("N5"),
        household("N6", this=None),
        # 北山村: two 减收 with no measure, one red (below 6,600) though gaining.
        household("B1", **LOSS, risks=("R5",), 村="北山村", 乡镇="兴业镇"),
        household(
            "B2",
            last=8000.0,
            this=5000.0,
            risks=("R3",),
            劳动力人数=2,
            村="北山村",
            乡镇="兴业镇",
        ),
        household(
            "B3", last=5000.0, this=6000.0, 村="北山村", 乡镇="兴业镇", 应纳未纳=True
        ),
    )
    ms = measures(
        ("N1", "M1", 7000.0, "已落实"),  # shortfall 6,000 (2 × 3,000): closed
        ("N2", "M2", 1000.0, "计划"),
        ("N2", "M4", 500.0, "计划"),  # 1,500 < 6,000: open
        ("N3", "M2", 6000.0, "已落实"),  # exactly closed
        ("N5", "M5", 0.0, "已落实"),  # flat household with a measure
    )
    return hh, ms


def summary_row(ledger, village):
    return ledger["台账汇总"].filter(pl.col("村") == village).row(0, named=True)


def test_views_in_sheet_order():
    ledger = ledger_of(*district_sample())
    assert (
        tuple(ledger)
        == VIEWS
        == ("台账汇总", "措施户清单", "措施分类统计", "风险未帮扶户", "缺口未补足户")
    )
    for name, view in ledger.items():
        assert not any(isinstance(t, pl.List) for t in view.dtypes), (
            name
        )  # ready for Excel


def test_summary_counts_and_coverage_by_hand():
    ledger = ledger_of(*district_sample())
    # Villages by township (兴业镇 sorts before 前进镇), the district last.
    assert ledger["台账汇总"]["村"].to_list() == ["北山村", "南岗村", "全区"]
    n = summary_row(ledger, "南岗村")
    assert (n["户数"], n["已排查"], n["未排查"], n["减收"], n["持平"]) == (
        6,
        5,
        1,
        4,
        1,
    )
    assert n["有措施的减收户数"] == 3
    assert n["覆盖率"] == pytest.approx(0.75)
    assert (n["措施数"], n["已落实数"], n["计划数"]) == (5, 3, 2)
    assert n["预计增收合计"] == pytest.approx(14500.0)
    assert n["风险户数"] == 4 and n["风险未帮扶户数"] == 1  # N4
    assert n["缺口未补足户数"] == 2  # N2 (measures short) and N4 (none)
    b = summary_row(ledger, "北山村")
    assert (b["减收"], b["有措施的减收户数"], b["覆盖率"], b["红色预警"], b["应纳未纳"]) == (
        2,
        0,
        0.0,
        2,
        1,
    )
    d = summary_row(ledger, "全区")
    assert d["乡镇"] is None
    assert d["覆盖率"] == pytest.approx(3 / 6)


def test_coverage_null_when_no_household_loses_income():
    ledger = ledger_of(
        households(household("A"), household("B", last=9000.0, this=10000.0)),
        measures(),
    )
    assert summary_row(ledger, "南岗村")["覆盖率"] is None


def _assert_district_is_sum(view: pl.DataFrame, keys: list[str]):
    numeric = [
        c for c, t in view.schema.items() if t.is_numeric() and c not in ("覆盖率",)
    ]
    villages = (
        view.filter(pl.col("村") != "全区").group_by(keys).agg(pl.col(numeric).sum())
    )
    district = view.filter(pl.col("村") == "全区").select(*keys, *numeric)
    assert villages.height <= district.height or not keys
    joined = (
        district.join(villages, on=keys, how="left", suffix="_村")
        if keys
        else pl.concat(
            [district, villages.rename({c: f"{c}_村" for c in numeric})],
            how="horizontal",
        )
    )
    for c in numeric:
        got = joined[c].to_list()
        want = joined[f"{c}_村"].fill_null(0).to_list()
        assert got == pytest.approx(want), c


def test_district_row_is_the_sum_of_villages():
    ledger = ledger_of(*district_sample())
    _assert_district_is_sum(ledger["台账汇总"], [])
    _assert_district_is_sum(ledger["措施分类统计"], ["措施代码", "牵头单位"])


def test_measure_stats_by_hand():
    stats = ledger_of(*district_sample())["措施分类统计"]
    district = stats.filter(pl.col("村") == "全区")
    # All five measures listed for the district, with their lead units.
    assert district.select("措施代码", "措施类型", "牵头单位").rows() == [
        (m.code, m.name, m.lead_unit) for m in MEASURES
    ]
    m2 = district.filter(pl.col("措施代码") == "M2").row(0, named=True)
    assert (m2["户数"], m2["措施数"], m2["已落实"], m2["计划"], m2["预计增收"]) == (
        2,
        2,
        1,
        1,
        7000.0,
    )
    # Recommended: N2 (R1), N3 (R2) → M2; nobody else in the sample.
    assert m2["推荐户数"] == 2
    m1 = district.filter(pl.col("措施代码") == "M1").row(0, named=True)
    # N1 (weak labour: a public-welfare post) recommended and in place; B2 (full labour, 务工减收)
    # is recommended the 区人社局's job placement
    assert (m1["推荐户数"], m1["户数"]) == (2, 1)
    # Every village lists the five measures too.
    assert stats.filter(pl.col("村") == "北山村")["措施代码"].to_list() == list(
        MEASURE_CODES
    )


def test_measure_households_list():
    view = ledger_of(*district_sample())["措施户清单"]
    assert view.height == 5
    assert view["户编号"].to_list() == ["N1", "N2", "N2", "N3", "N5"]
    n2 = view.filter(pl.col("户编号") == "N2")
    assert n2["措施类型"].to_list() == ["产业收益分配帮扶", "扶志扶智"]
    assert n2["减收风险点"].to_list() == [
        "R1",
        "R1",
    ]  # the builder puts codes as labels
    assert n2["收入缺口"].to_list() == [6000.0, 6000.0]


def test_at_risk_without_measure_lists_recommendations():
    view = ledger_of(*district_sample())["风险未帮扶户"]
    assert set(view["户编号"]) == {"N4", "B1", "B2", "B3"}
    # Red before the rest within a village.
    assert view.filter(pl.col("村") == "北山村")["预警等级"].to_list()[0] == "红"
    b1 = view.filter(pl.col("户编号") == "B1").row(0, named=True)
    assert "社会救助兜底保障" in b1["推荐措施"]
    assert "低保金或特困供养金减少或取消" in b1["推荐理由"]
    n4 = view.filter(pl.col("户编号") == "N4").row(0, named=True)
    assert n4["推荐措施"] == "驻村帮扶、结对帮扶"


def test_shortfall_open_by_hand():
    view = ledger_of(*district_sample())["缺口未补足户"]
    rows = {r["户编号"]: r for r in view.iter_rows(named=True)}
    assert set(rows) == {"N2", "N4", "B1", "B2"}
    assert rows["N2"]["收入缺口"] == pytest.approx(6000.0)
    assert rows["N2"]["尚需增收"] == pytest.approx(4500.0)
    assert rows["N2"]["已有措施"] == "产业收益分配帮扶；扶志扶智"
    assert rows["B2"]["尚需增收"] == pytest.approx(
        6000.0
    )  # (8,000 − 5,000) × 2, no measure


def test_village_ledger_keeps_one_village():
    ledger = ledger_of(*district_sample())
    mine = village_ledger(ledger, "北山村")
    assert tuple(mine) == VIEWS
    for view in mine.values():
        assert set(view["村"]) <= {"北山村"}
    assert mine["台账汇总"].height == 1 and mine["措施户清单"].height == 0


village = st.sampled_from(["南岗村", "北山村", "东风村"])
random_household = st.fixed_dictionaries(
    {
        "last": st.one_of(st.none(), st.floats(1000, 30000)),
        "this": st.one_of(st.none(), st.floats(1000, 30000)),
        "members": st.integers(1, 6),
        "risks": st.lists(
            st.sampled_from(["R1", "R3", "R5", "R9"]), unique=True, max_size=2
        ).map(tuple),
        "村": village,
    }
)


@settings(max_examples=30, deadline=None)
@given(
    rows=st.lists(random_household, min_size=1, max_size=10),
    picks=st.lists(
        st.tuples(
            st.integers(0, 9),
            st.sampled_from(MEASURE_CODES),
            st.floats(0, 9000),
            st.sampled_from(["计划", "已落实"]),
        ),
        max_size=12,
    ),
)
def test_district_row_is_the_sum_of_villages_for_any_district(rows, picks):
    hh = households(*(household(f"H{i}", **r) for i, r in enumerate(rows)))
    ms = measures(
        *((f"H{i % len(rows)}", code, gain, status) for i, code, gain, status in picks)
    )
    ledger = ledger_of(hh, ms)
    _assert_district_is_sum(ledger["台账汇总"], [])
    _assert_district_is_sum(ledger["措施分类统计"], ["措施代码", "牵头单位"])
    d = summary_row(ledger, "全区")
    assert d["户数"] == hh.height and d["措施数"] == ms.height
    assert d["已排查"] + d["未排查"] == d["户数"]
    assert d["增收"] + d["持平"] + d["减收"] == d["已排查"]
    assert d["有措施的减收户数"] <= d["减收"]
