"""Small builders of canonical input frames (docs/contract.md §1) for hand-computed cases.

    hh = [household("A", 家庭人口数=2), household("B", 村="北山村", 是否受灾=True)]
    inc = [income_row("A", 2021, 务工收入=20000), income_row("A", 2022, 务工收入=10000, 务工月数=5)]
    data = input_data(hh, inc)          # a lib.io.reader.InputData
    analyze(data, default_policy())

Rows are plain dicts; the frame builders fill every contract column with its blank value
(counts 0, flags false, text null, income items 0.0, 家庭人口数 / 务工月数 / 减收原因 null in 收入)
and number 来源行号 as Excel would (header on row 1, data from row 2).
"""

from __future__ import annotations

from typing import Iterable

import polars as pl

from lib.catalogue import (
    HOUSEHOLD_COLUMNS,
    INCOME_COLUMNS,
    ITEM_NAMES,
    MEASURE_BY_CODE,
    MEASURE_COLUMNS,
    REJECT_COLUMNS,
    SHEET_HOUSEHOLDS,
    SHEET_INCOME,
    SHEET_MEASURES,
    SOURCE_ROW,
)

_DTYPES = {
    "id": pl.String, "text": pl.String, "choice": pl.String, "int": pl.Int64, "bool": pl.Boolean,
    "money": pl.Float64, "months": pl.Float64, "year": pl.Int64, "date": pl.Date,
}
HOUSEHOLD_SCHEMA = {c.name: _DTYPES[c.dtype] for c in HOUSEHOLD_COLUMNS} | {SOURCE_ROW: pl.Int64}
INCOME_SCHEMA = {c.name: _DTYPES[c.dtype] for c in INCOME_COLUMNS} | {SOURCE_ROW: pl.Int64}
MEASURE_SCHEMA = {c.name: _DTYPES[c.dtype] for c in MEASURE_COLUMNS} | {SOURCE_ROW: pl.Int64}
PROBLEM_SCHEMA = {c: (pl.Int64 if c == "行号" else pl.String) for c in REJECT_COLUMNS}


def household(id: str = "H001", **overrides) -> dict:
    """One 户信息 row: a 脱贫户 of 南岗村 with 1 member and 1 labourer unless overridden."""
    row = {
        "户编号": id, "乡镇": "前进乡", "村": "南岗村", "户主姓名": f"户主{id}", "证件号码": None,
        "户类型": "脱贫户", "监测对象类别": None, "家庭人口数": 1, "劳动力人数": 1,
        "弱劳动力或半劳动力人数": 0, "是否低保户": False, "是否特困户": False, "是否受灾": False,
        "备注": None, "重度残疾人数": 0, "重病人数": 0, "联系电话": None,
    }
    unknown = set(overrides) - set(HOUSEHOLD_SCHEMA)
    if unknown:
        raise KeyError(f"not a 户信息 column: {sorted(unknown)}")
    return row | overrides


def income_row(id: str, year: int, **items) -> dict:
    """One 收入 row; items not given are 0.0; 家庭人口数 / 务工月数 / 减收原因 may be given too."""
    row = {"户编号": id, "年度": year, "家庭人口数": None, **{n: 0.0 for n in ITEM_NAMES}, "务工月数": None, "减收原因": None}
    unknown = set(items) - set(INCOME_SCHEMA)
    if unknown:
        raise KeyError(f"not a 收入 column: {sorted(unknown)}")
    numeric = set(ITEM_NAMES) | {"务工月数"}
    return row | {k: (float(v) if k in numeric and v is not None else v) for k, v in items.items()}


def measure_row(id: str, code: str = "M1", **overrides) -> dict:
    row = {
        "户编号": id, "措施类型": code, "措施内容": None, "牵头单位": MEASURE_BY_CODE[code].lead_unit,
        "落实日期": None, "预计增收": 0.0, "状态": "计划",
    }
    return row | overrides


def _frame(rows: Iterable[dict], schema: dict) -> pl.DataFrame:
    rows = [dict(r) for r in rows]
    for i, r in enumerate(rows):
        r.setdefault(SOURCE_ROW, i + 2)
    return pl.DataFrame(rows, schema=schema, orient="row") if rows else pl.DataFrame(schema=schema)


def households_frame(rows: Iterable[dict]) -> pl.DataFrame:
    return _frame(rows, HOUSEHOLD_SCHEMA)


def income_frame(rows: Iterable[dict]) -> pl.DataFrame:
    return _frame(rows, INCOME_SCHEMA)


def measures_frame(rows: Iterable[dict]) -> pl.DataFrame:
    return _frame(rows, MEASURE_SCHEMA)


def empty_problems() -> pl.DataFrame:
    return pl.DataFrame(schema=PROBLEM_SCHEMA)


def _as_frame(value, build) -> pl.DataFrame:
    return value if isinstance(value, pl.DataFrame) else build(value)


def input_data(households, income, measures=(), *, rejects=None, findings=None, source: str = "测试数据"):
    """A `lib.io.reader.InputData` from row dicts (or ready frames)."""
    from lib.io.reader import InputData

    hh = _as_frame(households, households_frame)
    inc = _as_frame(income, income_frame)
    mea = _as_frame(measures, measures_frame)
    rejects = empty_problems() if rejects is None else rejects
    findings = empty_problems() if findings is None else findings
    count = lambda sheet: rejects.filter(pl.col("工作表") == sheet).height  # noqa: E731
    return InputData(
        households=hh,
        income=inc,
        measures=mea,
        rejects=rejects,
        findings=findings,
        rows_read={
            SHEET_HOUSEHOLDS: hh.height + count(SHEET_HOUSEHOLDS),
            SHEET_INCOME: inc.height + count(SHEET_INCOME),
            SHEET_MEASURES: mea.height + count(SHEET_MEASURES),
        },
        source=source,
    )


def generated_input(count: int, seed: int, villages: pl.DataFrame, **options):
    """``input_data`` of a generated district (lib.demo): ``count`` households in ``villages``,
    rows numbered as the reader numbers them; ``options`` as for ``input_data``."""
    from lib.demo.district import generate_households

    frames = generate_households(count, seed, villages=villages)
    numbered = {name: frame.with_row_index(SOURCE_ROW, offset=2).with_columns(pl.col(SOURCE_ROW).cast(pl.Int64))
                for name, frame in frames.items()}
    return input_data(numbered["households"], numbered["income"], numbered["measures"], **options)

def three_year_input(count: int, seed: int, villages: pl.DataFrame, *, earlier: float = 0.9):
    """A generated district with three years of 收入: the generator's 2022 and 2023, and a 2021
    made from 2022 by scaling every item by ``earlier`` (same members), so a hand count of any
    2021 figure is ``earlier`` × its 2022 figure."""
    from lib.demo.district import generate_households

    frames = generate_households(count, seed, 2022, 2023, villages=villages)
    income = frames["income"]
    items = [c for c in ITEM_NAMES if c in income.columns]
    first = income.filter(pl.col("年度") == 2022).with_columns(
        pl.lit(2021, dtype=income.schema["年度"]).alias("年度"), *((pl.col(c) * earlier).round(2) for c in items)
    )
    frames["income"] = pl.concat([first, income], how="vertical")
    numbered = {name: frame.with_row_index(SOURCE_ROW, offset=2).with_columns(pl.col(SOURCE_ROW).cast(pl.Int64))
                for name, frame in frames.items()}
    return input_data(numbered["households"], numbered["income"], numbered["measures"])


# ---------------------------------------------------------------------------------------
# The rules stage without the measures (for unit tests of rules and of what builds on them)
# ---------------------------------------------------------------------------------------


def rules_stage(households, income, policy=None, years: tuple[int, int] = (2021, 2022)):
    """(households, risks) after income → classify → warning → risk, from rows or frames.

    ``households`` is one wide row per household of 户信息 with the contract's rule columns
    (per-capita, 收入研判, 预警等级, 应纳未纳, 风险点代码, 减收风险点, 减收金额) and the
    internal ``上年<item>`` / ``本年<item>`` columns.
    """
    from lib.rules.classify import classify
    from lib.rules.income import compare_income
    from lib.policy import default_policy
    from lib.rules.risk import attach_risks, evaluate_risks
    from lib.rules.warning import add_warnings

    policy = default_policy() if policy is None else policy
    hh = _as_frame(households, households_frame)
    inc = _as_frame(income, income_frame)
    year_last, year_this = years
    wide = compare_income(hh, inc, policy, year_last, year_this).households
    wide = add_warnings(classify(wide, policy), policy, year_this)
    risks = evaluate_risks(wide, policy)
    return attach_risks(wide, risks), risks
