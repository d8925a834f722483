"""Household income of the two compared years: net income, per-capita and the item comparison.

The two years are the latest year in 收入 and the latest earlier year present (normally the
year before), or a pair the analyst names. For each household-year, net income is the sum of
the income items minus 生产经营性支出, 养老金 included as the national system counts it
(``policy.pension_in_net_income``; false leaves it out); per-capita divides by that year's own members
(收入.家庭人口数, falling back to 户信息.家庭人口数).

`compare_income` returns one wide row per household of 户信息 (both years side by side: the
items as ``上年<item>`` / ``本年<item>``, the four income kinds, net and per-capita income),
the long item comparison, and the income rows it could not use (rejects with a stable code).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from lib.catalogue import (
    ID,
    MEMBERS,
    VILLAGE,
    YEAR,
    INCOME_ITEMS,
    INCOME_KINDS,
    ITEM_NAMES,
    ITEMS_BY_NAME,
    PENSION,
    SHEET_INCOME,
    SOURCE_ROW,
    items_of_kind,
)
from lib.codes import code, problem_columns
from lib.policy import Policy

MONTHS, SURVEY_CAUSE = "务工月数", "减收原因"
LAST, THIS = "上年", "本年"
NET, PER_CAPITA = "家庭纯收入", "人均纯收入"
# Internal flag: the household has a 收入 row for that year (上年有收入数据 / 本年有收入数据).
HAS_ROW = "有收入数据"

# Stable codes of income rows the rules cannot use (the reader's own checks use E1xx/E2xx).
UNKNOWN_HOUSEHOLD = code("E401")
YEAR_NOT_COMPARED = code("E402")
DUPLICATE_YEAR = code("E403")

ITEM_KIND_COLUMN, ITEM_NAME_COLUMN = "收入类别", "收入项目"
ITEMS_COLUMNS = (ID, VILLAGE, ITEM_NAME_COLUMN, ITEM_KIND_COLUMN, LAST, THIS, "变化")
ITEM_ENUM = pl.Enum(list(ITEM_NAMES))
# The rules collect with polars' in-memory engine: on these wide joins (1M households × 70
# columns) the default streaming engine of polars 2.1 took three times the CPU time.
ENGINE = "in-memory"
KIND_ENUM = pl.Enum(list(INCOME_KINDS))


def last(name: str) -> str:
    return f"{LAST}{name}"


def this(name: str) -> str:
    return f"{THIS}{name}"


@dataclass(frozen=True)
class IncomeComparison:
    year_last: int
    year_this: int
    households: pl.DataFrame  # 户信息 + both years side by side, one row per household
    items: pl.DataFrame  # ITEMS_COLUMNS, one row per household with data and item
    rejects: pl.DataFrame  # REJECT_COLUMNS


class YearsError(ValueError):
    """The compared years cannot be chosen; the message is for the analyst, in Chinese."""


def choose_years(income: pl.DataFrame, years: tuple[int, int] | None = None) -> tuple[int, int]:
    """(上年, 本年): the pair given, or the latest year in 收入 and the latest earlier one."""
    present = sorted(set(income.get_column(YEAR).drop_nulls().unique().to_list()))
    if years is not None:
        year_last, year_this = (int(y) for y in years)
        if year_last >= year_this:
            raise YearsError(f"比较年度应为“上年 < 本年”，实际为 {year_last} 与 {year_this}")
        missing = [str(y) for y in (year_last, year_this) if y not in present]
        if missing:
            raise YearsError(f"工作表“{SHEET_INCOME}”中没有 {'、'.join(missing)} 年度的收入数据，无法比较")
        return year_last, year_this
    if len(present) < 2:
        found = "、".join(str(y) for y in present) or "无"
        raise YearsError(f"工作表“{SHEET_INCOME}”的“{YEAR}”列至少需要两个年度才能比较（现有：{found}）")
    return int(present[-2]), int(present[-1])


def counted_items(policy: Policy) -> tuple[str, ...]:
    """The items that enter net income under this policy."""
    return tuple(i.name for i in INCOME_ITEMS if policy.pension_in_net_income or i.name != PENSION)


def signed(name: str) -> pl.Expr:
    """An item as it enters net income (生产经营性支出 subtracted)."""
    item = ITEMS_BY_NAME[name]
    return pl.col(name) * item.sign if item.sign != 1 else pl.col(name)


# Sums of amounts in fen carry binary noise (0.1 + 0.3 + 0.1 = 0.4999…): rounded off to a
# millionth of a yuan, so that 0.50 stays 0.50 and 四舍五入 rounds it up, as on paper.
SUM_DECIMALS = 6


def yuan_sum(terms) -> pl.Expr:
    return pl.sum_horizontal(terms).round(SUM_DECIMALS)


def kind_subtotals(policy: Policy) -> list[pl.Expr]:
    """One expression per income kind over one year's item columns (operating net of cost)."""
    counted = counted_items(policy)
    return [
        yuan_sum(signed(name) for name in items_of_kind(kind) if name in counted).alias(kind)
        for kind in INCOME_KINDS
    ]


def net_income(policy: Policy) -> pl.Expr:
    return yuan_sum(signed(name) for name in counted_items(policy)).alias(NET)


def _reject(rows: pl.LazyFrame, code: str, reason: str, column: str) -> pl.LazyFrame:
    return rows.select(problem_columns(SHEET_INCOME, SOURCE_ROW, column, pl.col(column), code, reason))


ROSTER_ROW = "_序"  # internal: the household's row in 户信息 (integer joins are cheaper)


def _year_side(income: pl.DataFrame, rows: pl.Series, prefix: str, policy: Policy, survey: bool) -> pl.DataFrame:
    """One year's columns for every household of 户信息, computed and renamed with the year's
    prefix. ``rows`` gives, per roster row, the 收入 row used for that year (null: none).
    ``survey``: keep the survey's 减收原因 and the row number (read for this year only)."""
    taken = [MEMBERS, *ITEM_NAMES, MONTHS, *((SURVEY_CAUSE, SOURCE_ROW) if survey else ())]
    # The rows are taken straight into roster order (one copy of each column, no join);
    # a household without a row that year gets nulls, its subtotals too. Column by column,
    # each made contiguous first: a gather from a frame read in chunks (parquet row groups)
    # looks up the chunk of every row, which costs more than the copy.
    has_row = pl.col(HAS_ROW)
    computed = (
        pl.DataFrame([income.get_column(name).rechunk().gather(rows) for name in taken])
        .with_columns(rows.is_not_null().alias(HAS_ROW))
        .lazy()
        .select(
            pl.col(MEMBERS).alias("_收入人口"),
            *(pl.col(name).cast(pl.Float64) for name in ITEM_NAMES),
            pl.col(MONTHS).cast(pl.Float64),
            *((pl.col(SURVEY_CAUSE).cast(pl.String), pl.col(SOURCE_ROW).cast(pl.Int64)) if survey else ()),
            *(pl.when(has_row).then(kind).alias(name) for kind, name in zip(kind_subtotals(policy), INCOME_KINDS)),
            pl.when(has_row).then(net_income(policy)).alias(NET),
            has_row,
        )
    )
    return computed.rename(lambda c: f"{prefix}{c}").collect(engine=ENGINE)


def _rows_by_household(located: pl.DataFrame, year: int, households: int) -> pl.Series:
    """Per roster row, the 收入 row of ``year`` it uses (null: none). ``located`` holds the
    used rows (roster row, year, 收入 row); each household has at most one per year, so
    scattering the rows into place is well defined, and much cheaper than a join."""
    of_year = located.filter(pl.col(YEAR) == year)
    return pl.repeat(None, households, dtype=pl.UInt32, eager=True).scatter(
        of_year.get_column(ROSTER_ROW), of_year.get_column("_收入行")
    )


def _with_optional_columns(income: pl.DataFrame) -> pl.DataFrame:
    """收入 with its optional columns present (null when the sheet has none) and a row number."""
    for optional, dtype in ((MEMBERS, pl.Int64), (MONTHS, pl.Float64), (SURVEY_CAUSE, pl.String)):
        if optional not in income.columns:
            income = income.with_columns(pl.lit(None, dtype).alias(optional))
    if SOURCE_ROW not in income.columns:
        income = income.with_columns(pl.int_range(2, pl.len() + 2, dtype=pl.Int64).alias(SOURCE_ROW))
    return income


def _locate(income: pl.DataFrame, households: pl.DataFrame, year_last: int, year_this: int) -> pl.DataFrame:
    """Per 收入 row: its roster row (_序), whether its household is registered (_已登记), its
    year compared (_比较年度), and whether it is the first row of its household-year (_首行)."""
    # One string join, on the key column only, finds each row's household; the flags are
    # computed once, to be set beside the income columns without copying them; after that
    # the rows are placed by the integer roster row.
    compared = pl.col(YEAR).is_in([year_last, year_this])
    keys = (
        income.lazy()
        .select(ID, YEAR)
        .join(households.lazy().select(ID).with_row_index(ROSTER_ROW), on=ID, how="left", maintain_order="left")
        .select(
            pl.col(ROSTER_ROW),
            pl.col(ROSTER_ROW).is_not_null().alias("_已登记"),
            compared.alias("_比较年度"),
            # household and year as one integer (null outside the compared years)
            pl.when(compared)
            .then(pl.col(ROSTER_ROW).cast(pl.Int64) * 2 + (pl.col(YEAR) == year_this).cast(pl.Int64))
            .alias("_户年"),
        )
        .collect(engine=ENGINE)
    )
    # The reader already rejects a second row of the same household and year; guard anyway,
    # because a duplicate would duplicate the household in every output. Rows listed in
    # household order (as sheets are) cannot repeat a household-year: that check is linear,
    # the general one hashes 2M keys. (A null key is a row the flags reject anyway.)
    household_years = keys.get_column("_户年").drop_nulls()
    in_order = household_years.len() < 2 or bool((household_years.diff().drop_nulls() > 0).all())
    return keys.select(
        ROSTER_ROW,
        "_已登记",
        "_比较年度",
        (pl.lit(True) if in_order else pl.col("_户年").is_first_distinct()).alias("_首行"),
    )


_KNOWN, _IN_PAIR, _FIRST = pl.col("_已登记"), pl.col("_比较年度"), pl.col("_首行")


def _unused_rows(located: pl.LazyFrame, year_last: int, year_this: int) -> pl.LazyFrame:
    """The 收入 rows the comparison does not use, as rejects (E401 / E402 / E403)."""
    return pl.concat(
        [
            _reject(located.filter(~_KNOWN), UNKNOWN_HOUSEHOLD, "户编号不在工作表“户信息”中，该收入行未参与比对", ID),
            _reject(
                located.filter(_KNOWN & ~_IN_PAIR),
                YEAR_NOT_COMPARED,
                f"年度不是本次比较的 {year_last} 或 {year_this} 年，未参与比对",
                YEAR,
            ),
            _reject(
                located.filter(_KNOWN & _IN_PAIR & ~_FIRST), DUPLICATE_YEAR, "同一户同一年度有多行收入，只使用第一行", YEAR
            ),
        ]
    )


def year_members(given: pl.Expr, roster: pl.Expr) -> pl.Expr:
    """A year's own members: 收入.家庭人口数, or 户信息.家庭人口数 when 收入 leaves it blank (or
    gives a count below 1)."""
    return pl.when(given >= 1).then(given).otherwise(roster)


def _side_by_side(
    households: pl.DataFrame, income: pl.DataFrame, used: pl.DataFrame, policy: Policy, year_last: int, year_this: int
) -> pl.DataFrame:
    """户信息 with both years' columns beside it (``used``: roster row, year, 收入 row of the
    rows used), each year's own members and per-capita income."""
    n = households.height
    roster_members = pl.col(MEMBERS)
    return (
        pl.concat(
            [
                households.lazy(),
                _year_side(income, _rows_by_household(used, year_last, n), LAST, policy, survey=False).lazy(),
                _year_side(income, _rows_by_household(used, year_this, n), THIS, policy, survey=True).lazy(),
            ],
            how="horizontal",
        )
        .with_columns(
            pl.when(pl.col(p + HAS_ROW))
            .then(year_members(pl.col(f"{p}_收入人口"), roster_members))
            .cast(pl.Int64)
            .alias(p + MEMBERS)
            for p in (LAST, THIS)
        )
        .with_columns((pl.col(p + NET) / pl.col(p + MEMBERS)).alias(p + PER_CAPITA) for p in (LAST, THIS))
        .drop(f"{LAST}_收入人口", f"{THIS}_收入人口")
        .collect(engine=ENGINE)
    )


def compare_income(
    households: pl.DataFrame,
    income: pl.DataFrame,
    policy: Policy,
    year_last: int,
    year_this: int,
) -> IncomeComparison:
    """Both years side by side for every household of 户信息, the item table and the rejects."""
    # One chunk per column, like the columns set beside it: every later operation on the
    # wide frame would otherwise align the chunks again (a no-op when already contiguous).
    households = households.rechunk()
    income = _with_optional_columns(income)
    located = income.hstack(_locate(income, households, year_last, year_this)).lazy()
    used = (
        located.with_row_index("_收入行")
        .filter(_KNOWN & _IN_PAIR & _FIRST)
        .select(ROSTER_ROW, YEAR, "_收入行")
        .collect(engine=ENGINE)
    )
    wide = _side_by_side(households, income, used, policy, year_last, year_this)
    rejects = _unused_rows(located, year_last, year_this).collect(engine=ENGINE)
    return IncomeComparison(year_last, year_this, wide, item_table(wide), rejects)


def item_table(wide: pl.DataFrame) -> pl.DataFrame:
    """Long item comparison: one row per household and item with money in either year.

    An item that is 0 (or not surveyed) in both years says nothing and is left out: most
    households have 5 of the 17 items, so this keeps the table at a third of its full size
    (17M rows at 1M households otherwise). Sums over items are unchanged.

    Item-major (every household's 务工收入, then every household's 公益岗位收入, …): a sort
    into household order would cost more than all the rules together at 1M households;
    filter or sort by 户编号 where one household's items are wanted together.
    """
    parts = [
        wide.lazy()
        .filter((pl.col(last(item.name)).fill_null(0.0) != 0) | (pl.col(this(item.name)).fill_null(0.0) != 0))
        .select(
            pl.col(ID),
            pl.col(VILLAGE),
            pl.lit(item.name, ITEM_ENUM).alias(ITEM_NAME_COLUMN),
            pl.lit(item.kind, KIND_ENUM).alias(ITEM_KIND_COLUMN),
            pl.col(last(item.name)).alias(LAST),
            pl.col(this(item.name)).alias(THIS),
            (pl.col(this(item.name)) - pl.col(last(item.name))).alias("变化"),
        )
        for item in INCOME_ITEMS
    ]
    return pl.concat(parts).collect(engine=ENGINE)
