"""Poverty indices against the monitoring line: FGT per village and year, and how households
moved between income bands from last year to this year.

FGT (Foster, Greer and Thorbecke 1984, Econometrica 52(3)):
    P_α = Σ_i w_i · 1[y_i < z] · ((z − y_i) / z)^α  /  Σ_i w_i
with α = 0 (headcount ratio), 1 (poverty gap), 2 (severity), y_i the household's per-capita
net income and z that year's monitoring line. α follows the paper; R's ``ineq::Foster``
numbers the parameter one higher (its parameter 1 is our P0).

Choices:
- Person-weighted: w_i = the household's members that year, so P0 is the share of *people*
  below the line, as poverty statistics count people; 户数 is reported beside it.
- A negative per-capita income (operating losses larger than all income) counts as 0, so a
  household's gap is at most 1 and P2 ≤ P1 ≤ P0.
- Households with no income row for a year (未排查) are left out of that year.
"""

from __future__ import annotations

import polars as pl

from lib.catalogue import DISTRICT

from lib.policy import Policy

BELOW = "低于监测线"


_COLUMNS = ["村", "年度", "监测线", "户数", "人数", "P0", "P1", "P2"]


def _year_sums(line: float, prefix: str) -> list[pl.Expr]:
    """户数, 人数 and the weighted sums S0–S2 of one year, suffixed with the prefix (上年/本年):
    sums, so that villages (or partitions of a district) add up exactly; P_α = S_α / 人数."""
    income = pl.col(f"{prefix}人均纯收入")
    # Members as weights; null for a household missing that year, so sums leave it out.
    weight = pl.when(income.is_not_null()).then(
        pl.col(f"{prefix}家庭人口数").cast(pl.Float64)
    )
    gap = ((line - income.clip(lower_bound=0.0)) / line).clip(lower_bound=0.0)
    poor = (income < line).cast(pl.Float64)
    # The poor's gap share to the power α (α = 0: the poor indicator itself; 0⁰ must not count).
    term = {0: poor, 1: poor * gap, 2: poor * gap**2}
    aggs = [
        income.is_not_null().sum().cast(pl.Int64).alias("户数"),
        weight.sum().alias("人数"),
        *((term[a] * weight).sum().alias(f"S{a}") for a in range(3)),
    ]
    return [expr.name.suffix(prefix) for expr in aggs]


SUM_COLUMNS = ["村", "年度", "监测线", "户数", "人数", "S0", "S1", "S2"]


def fgt_sums(households: pl.DataFrame, policy: Policy, year_last: int, year_this: int) -> pl.DataFrame:
    """Per village and year: 户数, 人数 (Float64) and S0–S2, the numerators of P0–P2 (SUM_COLUMNS).
    The sums of two sets of households are the sums of their rows: `fgt_from_sums`."""
    years = ((year_last, "上年"), (year_this, "本年"))
    aggs = [agg for year, prefix in years for agg in _year_sums(policy.threshold(year), prefix)]
    wide = households.lazy().group_by("村").agg(aggs).sort("村").collect()
    return pl.concat([
        wide.select(
            pl.col("村"),
            pl.lit(year, pl.Int64).alias("年度"),
            pl.lit(policy.threshold(year), pl.Float64).alias("监测线"),
            *(pl.col(f"{name}{prefix}").alias(name) for name in SUM_COLUMNS[3:]),
        )
        for year, prefix in years
    ])


def fgt_from_sums(sums: pl.DataFrame) -> pl.DataFrame:
    """The FGT table (`fgt`) from the rows of `fgt_sums`, of one district or of its partitions:
    rows of the same village and year are added, the district (全区) is every village's sum."""
    totals = [pl.col("户数").sum(), pl.col("人数").sum(), *(pl.col(f"S{a}").sum() for a in range(3))]
    keys = ["村", "年度", "监测线"]
    villages = sums.group_by(keys).agg(totals).sort("村", "年度")
    district = sums.group_by("年度", "监测线").agg(totals).with_columns(pl.lit(DISTRICT).alias("村"))
    people = pl.col("人数")
    return (
        pl.concat([villages, district.select(villages.columns)])
        .with_columns(pl.col("村").replace_strict({DISTRICT: 1}, default=0, return_dtype=pl.Int8).alias("_全区"))
        .sort("_全区", "村", "年度", maintain_order=True)
        .select(
            *keys, "户数", people.cast(pl.Int64),
            # rounded far below any shown digit: a parallel sum's order must not change the output
            *(pl.when(people > 0).then((pl.col(f"S{a}") / people).round(12)).alias(f"P{a}") for a in range(3)),
        )
    )


def fgt(
    households: pl.DataFrame, policy: Policy, year_last: int, year_this: int
) -> pl.DataFrame:
    """FGT P0, P1, P2 per village and for the district (村 = 全区, last), for both years.

    Columns: 村, 年度, 监测线, 户数, 人数, P0, P1, P2. Every village appears for both years;
    a village with no surveyed household in a year has 户数 0 and null indices.
    """
    return fgt_from_sums(fgt_sums(households, policy, year_last, year_this)).select(_COLUMNS)


def band_labels(policy: Policy) -> tuple[str, str, str]:
    """The three income bands, low to high (the upper edge is the orange-warning multiple)."""
    m = policy.orange_multiple
    return (BELOW, f"监测线至{m:g}倍", f"{m:g}倍以上")


def _band(income: pl.Expr, line: float, policy: Policy) -> pl.Expr:
    """0 below the line, 1 from the line to the orange multiple, 2 at or above it."""
    return (income >= line).cast(pl.Int8) + (
        income >= policy.orange_multiple * line
    ).cast(pl.Int8)


def transitions(
    households: pl.DataFrame, policy: Policy, year_last: int, year_this: int
) -> pl.DataFrame:
    """Households by income band last year × this year: 上年区间, 本年区间, 户数.

    Bands: below the year's monitoring line; from the line to 1.5× it; 1.5× and above
    (each year against its own line). All nine pairs, in band order; households missing
    either year are left out.
    """
    counts = (
        households.lazy()
        .select("上年人均纯收入", "本年人均纯收入")  # not the whole wide frame
        .drop_nulls()
        .group_by(
            _band(pl.col("上年人均纯收入"), policy.threshold(year_last), policy).alias(
                "上年"
            ),
            _band(pl.col("本年人均纯收入"), policy.threshold(year_this), policy).alias(
                "本年"
            ),
        )
        .agg(pl.len().cast(pl.Int64).alias("户数"))
        .collect()
    )
    labels = band_labels(policy)
    pairs = [(a, b) for a in range(len(labels)) for b in range(len(labels))]
    grid = pl.DataFrame(
        {"上年": [a for a, _ in pairs], "本年": [b for _, b in pairs]},
        schema={"上年": pl.Int8, "本年": pl.Int8},
    )
    return grid.join(
        counts, on=["上年", "本年"], how="left", maintain_order="left"
    ).select(
        pl.col("上年")
        .replace_strict(dict(enumerate(labels)), return_dtype=pl.String)
        .alias("上年区间"),
        pl.col("本年")
        .replace_strict(dict(enumerate(labels)), return_dtype=pl.String)
        .alias("本年区间"),
        pl.col("户数").fill_null(0),
    )
