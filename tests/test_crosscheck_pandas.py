"""The polars rules engine against an independent pandas implementation of the same rules.

`benchmarks/pandas_baseline.py` is written from DESIGN.md alone; if the two agree household
by household on the demo district and on random small cases, a slip in either would have to
be made twice. The first tests pin the reference itself to hand-computed figures.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pandas as pd
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `benchmarks` is not installed

from benchmarks.pandas_baseline import amount_column, analyze_pandas, risk_codes  # noqa: E402
from lib.catalogue import (  # noqa: E402
    HOUSEHOLD_COLUMNS,
    ITEM_NAMES,
    MEASURE_COLUMNS,
    RISK_CODES,
    SOURCE_ROW,
)
from lib.policy import default_policy  # noqa: E402

POLICY = default_policy()  # 2021: 6,000; 2022: 6,600 yuan per person
HAS_ENGINE = importlib.util.find_spec("lib.analysis") is not None
needs_engine = pytest.mark.skipif(not HAS_ENGINE, reason="lib.analysis 尚未提供")


# ---------------------------------------------------------------------------------------
# Canonical frames (docs/contract.md §1), built directly
# ---------------------------------------------------------------------------------------

_HH_TYPES = {"int": pl.Int64, "bool": pl.Boolean}


def households_frame(rows: list[dict]) -> pl.DataFrame:
    """户信息 rows: missing columns take the contract's blank value (0 / false / null)."""
    data = {}
    for col in HOUSEHOLD_COLUMNS:
        dtype = _HH_TYPES.get(col.dtype, pl.Utf8)
        blank = 0 if dtype == pl.Int64 and col.name != "家庭人口数" else (False if dtype == pl.Boolean else None)
        data[col.name] = pl.Series(col.name, [r.get(col.name, blank) for r in rows], dtype=dtype)
    data[SOURCE_ROW] = pl.Series(SOURCE_ROW, range(2, len(rows) + 2), dtype=pl.Int64)
    return pl.DataFrame(data)


def income_frame(rows: list[dict]) -> pl.DataFrame:
    """收入 rows: items default to 0.0, 家庭人口数 / 务工月数 / 减收原因 to null."""
    schema = {"户编号": pl.Utf8, "年度": pl.Int64, "家庭人口数": pl.Int64}
    schema |= {name: pl.Float64 for name in ITEM_NAMES}
    schema |= {"务工月数": pl.Float64, "减收原因": pl.Utf8, SOURCE_ROW: pl.Int64}
    filled = [
        {**{n: 0.0 for n in ITEM_NAMES}, "家庭人口数": None, "务工月数": None, "减收原因": None, **r, SOURCE_ROW: i + 2}
        for i, r in enumerate(rows)
    ]
    return pl.DataFrame(filled, schema=schema)


def input_data(households: pl.DataFrame, income: pl.DataFrame, measures: pl.DataFrame | None = None):
    """Frames already canonical, wrapped as `lib.reader.read_input` would hand them over."""
    from lib.reader import InputData, empty_frame, empty_problems

    measures = empty_frame(MEASURE_COLUMNS) if measures is None else measures
    return InputData(
        households=households,
        income=income,
        measures=measures,
        rejects=empty_problems(),
        findings=empty_problems(),
        rows_read={"户信息": households.height, "收入": income.height, "帮扶措施": measures.height},
        source="test",
    )


def reference(households: pl.DataFrame, income: pl.DataFrame, policy=POLICY, years=None) -> pd.DataFrame:
    return analyze_pandas(households.to_pandas(), income.to_pandas(), policy, years)


def row(result: pd.DataFrame, household: str) -> pd.Series:
    return result.set_index("户编号").loc[household]


# ---------------------------------------------------------------------------------------
# The reference itself, against figures computed by hand
# ---------------------------------------------------------------------------------------

HAND_HOUSEHOLDS = households_frame(
    [
        {"户编号": "A", "村": "南岗村", "户类型": "脱贫户", "家庭人口数": 2},
        {"户编号": "B", "村": "南岗村", "户类型": "一般农户", "家庭人口数": 3, "是否受灾": True},
        {"户编号": "C", "村": "北山村", "户类型": "脱贫户", "监测对象类别": "脱贫不稳定户", "家庭人口数": 1},
        {"户编号": "D", "村": "北山村", "户类型": "脱贫户", "家庭人口数": 4},
        {"户编号": "E", "村": "北山村", "户类型": "脱贫户", "家庭人口数": 2},
    ]
)
HAND_INCOME = income_frame(
    [
        # A: wage halved with fewer months; pension gone (not counted); survey blames assistance
        {"户编号": "A", "年度": 2021, "务工收入": 20000.0, "养老金": 3000.0, "务工月数": 10.0},
        {"户编号": "A", "年度": 2022, "务工收入": 10000.0, "务工月数": 5.0, "减收原因": "R8 帮扶措施未落实"},
        # B: hail (受灾) cut the crop; costs rose too
        {"户编号": "B", "年度": 2021, "种植业收入": 30000.0, "生产经营性支出": 3000.0},
        {"户编号": "B", "年度": 2022, "种植业收入": 22000.0, "生产经营性支出": 4000.0, "减收原因": "冰雹"},
        # C: 低保 cancelled and a second member this year
        {"户编号": "C", "年度": 2021, "低保金": 5000.0, "土地流转收入": 2000.0},
        {"户编号": "C", "年度": 2022, "低保金": 0.0, "土地流转收入": 2000.0, "家庭人口数": 2},
        # D: surveyed this year only
        {"户编号": "D", "年度": 2022, "务工收入": 50000.0},
        # E: same income, one more member (a newborn): per-capita fell with no item falling
        {"户编号": "E", "年度": 2021, "公益岗位收入": 12000.0},
        {"户编号": "E", "年度": 2022, "公益岗位收入": 12000.0, "家庭人口数": 3},
    ]
)


def test_reference_hand_computed_district():
    out = reference(HAND_HOUSEHOLDS, HAND_INCOME)
    assert list(out["户编号"]) == ["A", "B", "C", "D", "E"]
    a, b, c, d, e = (row(out, h) for h in "ABCDE")
    # A: 20000/2 = 10000 → 10000/2 = 5000 (< 6600: 红; a 脱贫户 not monitored: 应纳未纳)
    assert (a["上年人均纯收入"], a["本年人均纯收入"], a["收入研判"], a["预警等级"]) == (10000, 5000, "减收", "红")
    assert a["应纳未纳"] and risk_codes(out)["A"] == ("R3", "R8")
    assert a[amount_column("R3")] == 10000 and a["R3细分原因"] == "务工时间缩短"
    # B: (30000-3000)/3 = 9000 → (22000-4000)/3 = 6000: 红 (< 6600); operating net fell 9000, 受灾 → R7
    assert (b["上年人均纯收入"], b["本年人均纯收入"], b["预警等级"]) == (9000, 6000, "红")
    assert risk_codes(out)["B"] == ("R7",) and b[amount_column("R7")] == 9000
    assert b["应纳未纳"]  # a 一般农户 below the line with no 监测对象类别
    # C: 7000/1 → 2000/2 = 1000; monitored already, so not 应纳未纳; 低保 5000 → 0 is 取消
    assert (c["上年人均纯收入"], c["本年人均纯收入"], c["收入研判"]) == (7000, 1000, "减收")
    assert not c["应纳未纳"] and risk_codes(out)["C"] == ("R5",)
    assert c[amount_column("R5")] == 5000 and c["R5细分原因"] == "取消"
    # D: no 2021 row → 未排查, warning still judged on this year: 12500 ≥ 6600 → 绿
    assert d["收入研判"] == "未排查" and pd.isna(d["上年人均纯收入"]) and d["预警等级"] == "绿"
    assert risk_codes(out)["D"] == ()
    # E: 6000 → 4000 (−33%, < 6600 → 红); R9 with the per-capita loss over 3 members: 2000 × 3
    assert (e["上年人均纯收入"], e["本年人均纯收入"], e["预警等级"]) == (6000, 4000, "红")
    assert risk_codes(out)["E"] == ("R9",) and e[amount_column("R9")] == 6000


def test_reference_pension_counted_when_the_transition_rule_is_off():
    out = reference(HAND_HOUSEHOLDS, HAND_INCOME, POLICY.with_rules(exclude_basic_pension=False))
    a = row(out, "A")
    # (20000 + 3000)/2 = 11500 → 10000/2 = 5000; the pension's 3000 is now a loss (R9)
    assert (a["上年人均纯收入"], a["本年人均纯收入"]) == (11500, 5000)
    assert risk_codes(out)["A"] == ("R3", "R8", "R9") and a[amount_column("R9")] == 3000


@pytest.mark.parametrize(
    ("this_income", "judgement", "level"),
    [
        (9800.0, "持平", "绿"),  # −2.00% of 10,000: on the band's edge
        (9799.0, "减收", "黄"),  # just outside
        (10200.0, "持平", "绿"),
        (10201.0, "增收", "绿"),
        (7000.0, "减收", "橙"),  # −30% exactly
        (7001.0, "减收", "黄"),
    ],
)
def test_reference_band_and_warning_edges(this_income, judgement, level):
    households = households_frame([{"户编号": "X", "村": "南岗村", "户类型": "脱贫户", "家庭人口数": 1}])
    income = income_frame(
        [
            {"户编号": "X", "年度": 2021, "其他经营收入": 10000.0},
            {"户编号": "X", "年度": 2022, "其他经营收入": this_income},
        ]
    )
    # a line of 4,000 (1.5 × = 6,000) lies below every figure: 橙 comes from the 30% drop alone
    x = row(reference(households, income, POLICY.with_year(2022, monitoring_threshold=4000)), "X")
    assert (x["收入研判"], x["预警等级"]) == (judgement, level)


def test_reference_orange_below_one_and_a_half_lines():
    households = households_frame([{"户编号": "X", "村": "南岗村", "户类型": "脱贫户", "家庭人口数": 1}])
    income = income_frame(
        [{"户编号": "X", "年度": 2021, "务工收入": 10000.0}, {"户编号": "X", "年度": 2022, "务工收入": 9000.0}]
    )
    # −10% only, but 9,000 < 1.5 × 6,600 = 9,900 → 橙; against a line of 5,000 (7,500) → 黄
    assert row(reference(households, income), "X")["预警等级"] == "橙"
    lower = POLICY.with_year(2022, monitoring_threshold=5000)
    assert row(reference(households, income, lower), "X")["预警等级"] == "黄"


# ---------------------------------------------------------------------------------------
# Engine against reference
# ---------------------------------------------------------------------------------------

COMPARED = ("上年人均纯收入", "本年人均纯收入", "收入研判", "预警等级", "应纳未纳", "风险点代码", "减收金额")
MONEY_TOLERANCE = 0.01  # yuan


def _side(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.select(
        pl.col("户编号"),
        *(pl.col(c).cast(pl.Float64) for c in COMPARED[:2]),
        *(pl.col(c).cast(pl.Utf8) for c in COMPARED[2:4]),
        pl.col("应纳未纳").cast(pl.Boolean),
        pl.col("风险点代码"),
        pl.col("减收金额").cast(pl.Float64).fill_null(0.0),  # yuan the numbers show, all points
    )


def disagreements(engine_households: pl.DataFrame, ref: pd.DataFrame) -> pl.DataFrame:
    """Long table 户编号, 字段, 引擎, 参考 of every compared figure on which the two differ."""
    engine = _side(engine_households.with_columns(pl.col("风险点代码").list.sort().list.join(";")))
    codes = risk_codes(ref)
    ours = _side(
        pl.from_pandas(ref[["户编号", *COMPARED[:5], "减收金额"]]).with_columns(
            pl.Series("风险点代码", [";".join(c) for c in codes], dtype=pl.Utf8)
        )
    )
    both = engine.join(ours, on="户编号", how="full", suffix="_参考", coalesce=True, nulls_equal=True)
    found = []
    for col in COMPARED:
        a, b = pl.col(col), pl.col(f"{col}_参考")
        if col in (*COMPARED[:2], "减收金额"):
            differs = (a - b).abs() > MONEY_TOLERANCE
        else:
            differs = a != b
        differs = differs.fill_null(a.is_null() != b.is_null())
        found.append(
            both.filter(differs).select(
                "户编号", pl.lit(col).alias("字段"), a.cast(pl.Utf8).alias("引擎"), b.cast(pl.Utf8).alias("参考")
            )
        )
    return pl.concat(found)


def amount_disagreements(engine_risks: pl.DataFrame, ref: pd.DataFrame) -> pl.DataFrame:
    """Yuan lost and sub-cause of every risk point both sides fire from the numbers."""
    long = []
    for code in RISK_CODES:
        fired = ref[ref[code] & (ref[amount_column(code)] > 0)]
        sub = fired.get(f"{code}细分原因", pd.Series(None, index=fired.index, dtype="str"))
        long.append(
            pl.DataFrame(
                {"户编号": fired["户编号"].astype(str), "风险点代码": [code] * len(fired),
                 "金额_参考": fired[amount_column(code)].astype(float), "细分_参考": sub.astype("str")},
                schema={"户编号": pl.Utf8, "风险点代码": pl.Utf8, "金额_参考": pl.Float64, "细分_参考": pl.Utf8},
            )
        )
    ours = pl.concat(long)
    both = engine_risks.filter(pl.col("减收金额").is_not_null()).select("户编号", "风险点代码", "减收金额", "细分原因").join(
        ours, on=["户编号", "风险点代码"], how="inner"
    )
    return both.filter(
        ((pl.col("减收金额") - pl.col("金额_参考")).abs() > MONEY_TOLERANCE)
        | (pl.col("风险点代码").is_in(["R3", "R4", "R5"]) & pl.col("细分原因").ne_missing(pl.col("细分_参考")))
    )


def _explain(found: pl.DataFrame, households: pl.DataFrame, income: pl.DataFrame) -> str:
    first = found["户编号"].unique(maintain_order=True).head(3).to_list()
    with pl.Config(tbl_rows=40, tbl_cols=40, fmt_str_lengths=40, tbl_width_chars=400):
        return (
            f"引擎与参考实现不一致（{found.height} 处）：\n{found.head(30)}\n"
            f"户信息：\n{households.filter(pl.col('户编号').is_in(first))}\n"
            f"收入：\n{income.filter(pl.col('户编号').is_in(first))}"
        )


def assert_agree(households: pl.DataFrame, income: pl.DataFrame, policy=POLICY, data=None):
    """`data` (InputData) when it came through the reader; else built from the two frames."""
    from lib.analysis import analyze

    result = analyze(data if data is not None else input_data(households, income), policy)
    ref = reference(households, income, policy, (result.year_last, result.year_this))
    assert result.households.height == households.height  # 不落一户
    found = disagreements(result.households, ref)
    assert found.is_empty(), _explain(found, households, income)
    found = amount_disagreements(result.risks, ref)
    assert found.is_empty(), _explain(found, households, income)


def with_source_rows(frame: pl.DataFrame) -> pl.DataFrame:
    if SOURCE_ROW in frame.columns:
        return frame
    return frame.with_row_index(SOURCE_ROW, offset=2).with_columns(pl.col(SOURCE_ROW).cast(pl.Int64))


def demo_district(folder: Path):
    """The demo district as an analyst gets it: the workbook written by `lib.demo.write_demo`
    and read back by `lib.reader.read_input`; the generated frames while there is no writer."""
    from lib import demo

    if hasattr(demo, "write_demo"):
        from lib.reader import read_input

        return read_input(demo.write_demo(folder / "demo.xlsx"))
    frames = demo.generate_demo()
    households, income = (with_source_rows(frames[k]) for k in ("households", "income"))
    return input_data(households, income, with_source_rows(frames["measures"]))


@needs_engine
def test_engine_agrees_on_demo_district(tmp_path):
    data = demo_district(tmp_path)
    # the demo is meant to show every rule at work: otherwise agreement would prove little
    ref = reference(data.households, data.income)
    assert set(ref["收入研判"]) == {"增收", "持平", "减收", "未排查"}
    assert set(ref["预警等级"].dropna()) == {"红", "橙", "黄", "绿"}
    assert ref[list(RISK_CODES)].any().all() and ref["应纳未纳"].any()
    assert_agree(data.households, data.income, POLICY, data)
    assert_agree(data.households, data.income, POLICY.with_rules(exclude_basic_pension=False, flat_band=0.05))


@needs_engine
def test_engine_agrees_on_hand_computed_district():
    assert_agree(HAND_HOUSEHOLDS, HAND_INCOME)
    assert_agree(HAND_HOUSEHOLDS, HAND_INCOME, POLICY.with_rules(exclude_basic_pension=False))


# Random small districts: amounts from a few round values, this year derived from last year
# so that falls, cancellations, the band's edges and unchanged items all come up often.
_AMOUNTS = st.sampled_from([0.0, 0.0, 0.0, 0.1, 0.2, 0.3, 600.0, 1234.56, 3000.0, 8000.0, 20000.0])
_CHANGE = st.sampled_from(["same", "same", "zero", "half", "band", "up", "new"])
_CAUSES = st.sampled_from(
    [None, None, None, "R8", "r9", "R3", "帮扶不到位", "其他", "务工", "冰雹", "低保取消", "家里有人生病住院", "说不清", "  ",
     "其他经营成本上涨", "因病未外出务工", "帮扶不到位，产业分红未兑现", "R9 务工", "家庭新增人口（新生儿）"]
)


@st.composite
def districts(draw):
    n = draw(st.integers(1, 6))
    households, income = [], []
    for i in range(n):
        hid = f"H{i:03d}"
        households.append(
            {
                "户编号": hid,
                "村": draw(st.sampled_from(["南岗村", "北山村"])),
                "户类型": draw(st.sampled_from(["脱贫户", "一般农户", None])),
                "监测对象类别": draw(st.sampled_from([None, None, "脱贫不稳定户", "边缘易致贫户"])),
                "家庭人口数": draw(st.integers(1, 5)),
                "劳动力人数": draw(st.integers(0, 3)),
                "弱劳动力或半劳动力人数": draw(st.integers(0, 2)),
                "是否受灾": draw(st.booleans()),
            }
        )
        present = draw(st.sampled_from(["both", "both", "both", "both", "last", "this", "none"]))
        last = {name: draw(_AMOUNTS) for name in ITEM_NAMES}
        this = {}
        for name, value in last.items():
            change = draw(_CHANGE)
            this[name] = {
                "same": value, "zero": 0.0, "half": round(value / 2, 2), "band": round(value * 0.98, 2), "up": value + 1000.0,
                "new": draw(_AMOUNTS),
            }[change]
        months = draw(st.sampled_from([(None, None), (10.0, 10.0), (10.0, 6.0), (None, 6.0), (6.0, 10.0)]))
        years = {"both": (2021, 2022), "last": (2021,), "this": (2022,), "none": ()}[present]
        for year, items, month in ((2021, last, months[0]), (2022, this, months[1])):
            if year not in years:
                continue
            income.append(
                {
                    "户编号": hid, "年度": year, **items, "务工月数": month,
                    "家庭人口数": draw(st.sampled_from([None, None, 1, 2, 3, 4])),
                    "减收原因": draw(_CAUSES) if year == 2022 else None,
                }
            )
    if draw(st.booleans()):  # an income row whose household is not in 户信息: used by neither
        income.append({"户编号": "Z999", "年度": 2022, "务工收入": 1000.0})
    for year in (2021, 2022):  # the input holds both years (the reader insists on it)
        if not any(r["年度"] == year and r["户编号"] != "Z999" for r in income):
            income.append({"户编号": "H000", "年度": year})
    policy = POLICY.with_rules(
        exclude_basic_pension=draw(st.booleans()), flat_band=draw(st.sampled_from([0.0, 0.02, 0.05]))
    )
    return households_frame(households), income_frame(income), policy


@needs_engine
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(districts())
def test_engine_agrees_on_random_districts(case):
    households, income, policy = case
    assert_agree(households, income, policy)
