"""Assistance measures: the 低保 check behind M3, the recommendation rules, and the join of
the measures sheet onto the households.

The rules that map risk points and household conditions to the measures are a catalogue
table (`lib.catalogue.RECOMMENDATIONS`): a measure code, a Chinese reason template, the risk
points that call for it and a named household condition (`CONDITIONS`, checked when this
module loads). `recommendation_rules` turns the rows into polars conditions when called, so
changing what is recommended, or adding a measure, touches the catalogue, not control flow.

How `lib.rules.analysis.analyze` uses this module (in this order, because the rules read the
低保 check and the ledger reads the attached columns)::

    hh = hh.hstack(dibao_check(hh, items, policy, year_this).drop("户编号"))  # same rows, same order
    recs = recommend(hh, policy, year_this)
    hh, measures_joined = attach_measures(hh, recs, data.measures)  # columns in contract order
    rejects = pl.concat([rejects, unmatched_measures(hh, data.measures)])
    ledger = lib.rules.ledger.build_ledger(hh, measures_joined)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import polars as pl

from lib import catalogue
from lib.catalogue import (
    ID,
    DECREASE,
    MEASURE_STATUSES,
    ORANGE,
    PENSION,
    RED,
    SHEET_MEASURES,
    SOURCE_ROW,
    WAGE,
    Recommendation,
)
from lib.rules.income import ENGINE
from lib.codes import code, problem_columns, sentence
from lib.policy import Policy
from lib.rules.registry import Registry


# Columns added by `dibao_check`, in the contract's order.
DIBAO_INCOME = "低保核算人均收入"
BELOW_DIBAO = "低于低保标准"
SINGLE_PERSON_REVIEW = "单人户审核"
DIBAO_GRADUAL_EXIT = "低保渐退"
DIBAO_COLUMNS = (DIBAO_INCOME, BELOW_DIBAO, SINGLE_PERSON_REVIEW, DIBAO_GRADUAL_EXIT)

# Columns added by `attach_measures`, in the contract's order (placed after 应纳未纳).
RECOMMENDED = "推荐措施"
RECOMMEND_REASON = "推荐理由"
EXISTING = "已有措施"
IMPLEMENTED_COUNT = "已落实措施数"
PLANNED_COUNT = "计划措施数"
EXPECTED_GAIN = "预计增收合计"
SHORTFALL = "收入缺口"
WILL_RECOVER = "预计能恢复"
ATTACHED_COLUMNS = (
    RECOMMENDED,
    RECOMMEND_REASON,
    EXISTING,
    IMPLEMENTED_COUNT,
    PLANNED_COUNT,
    EXPECTED_GAIN,
    SHORTFALL,
    WILL_RECOVER,
)

RECOMMENDATION_COLUMNS = (ID, "村", "措施代码", "措施类型", "牵头单位", "推荐理由")

# Stable code for a measure row whose 户编号 is not in 户信息 (rejects table).
UNMATCHED_MEASURE_CODE = code("E301")

# Extra values a reason template may name besides household columns.
DIBAO_STANDARD = "低保标准"
THRESHOLD = "监测线"



# ---------------------------------------------------------------------------------------
# 低保 check
# ---------------------------------------------------------------------------------------


def dibao_check(
    households: pl.DataFrame, items: pl.DataFrame, policy: Policy, year_this: int
) -> pl.DataFrame:
    """The 低保 check of the plan's social-assistance measure: one row per household, in the
    order of ``households`` (so it can be stacked beside them without a join).

    Income is counted as the plan says for social assistance: this year's net income with
    the basic pension left out (``policy.dibao_excludes_basic_pension``; net income holds it
    when ``pension_in_net_income``, so it is taken back out using the items — and put back
    in when net income leaves it out but the 低保 check counts it), minus necessary work costs
    (``policy.work_cost_deduction`` × this year's wage income), divided by this year's
    members. 低于低保标准 and 低保渐退 are null when the year's 低保 standard is not set (0).
    """
    standard = policy.dibao(year_this)
    counted = pl.col("本年家庭纯收入")
    # +1: add the pension to net income, -1: take it out, 0: net income already counts it right.
    pension_sign = int(not policy.pension_in_net_income) - int(policy.dibao_excludes_basic_pension)
    if pension_sign:
        pension = (
            items.filter(pl.col("收入项目") == PENSION)
            .group_by(ID)
            .agg(pl.col("本年").sum().alias("_养老金"))
        )
        households = households.select(
            ID,
            "本年家庭纯收入",
            f"本年{WAGE}",
            "本年家庭人口数",
            "是否低保户",
            "重度残疾人数",
            "重病人数",
        ).join(pension, on=ID, how="left", maintain_order="left")
        counted = counted + pension_sign * pl.col("_养老金").fill_null(0.0)
    counted = counted - policy.work_cost_deduction * pl.col(f"本年{WAGE}")
    per_capita = counted / pl.col("本年家庭人口数")
    standard_set = standard > 0
    below = per_capita < standard if standard_set else pl.lit(None, pl.Boolean)
    # A current 低保户 whose counted income has reached the line keeps 低保 for the
    # gradual-exit period instead of being cancelled at once.
    gradual_exit = (
        pl.col("是否低保户").fill_null(False) & (per_capita >= standard)
        if standard_set
        else pl.lit(None, pl.Boolean)
    )
    return households.select(
        pl.col(ID),
        per_capita.cast(pl.Float64).alias(DIBAO_INCOME),
        below.alias(BELOW_DIBAO),
        (
            (pl.col("重度残疾人数").fill_null(0) > 0)
            | (pl.col("重病人数").fill_null(0) > 0)
        ).alias(SINGLE_PERSON_REVIEW),
        gradual_exit.alias(DIBAO_GRADUAL_EXIT),
    )


# ---------------------------------------------------------------------------------------
# Recommendation rules (rows of the catalogue, conditions registered here)
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """One recommendation row made ready: when `when` holds for an at-risk household,
    recommend `measure`, saying `reason` (see `lib.catalogue.Recommendation`)."""

    measure: str
    when: pl.Expr
    reason: str


def has_risk(*codes: str) -> pl.Expr:
    """The household has at least one of these risk points (R-codes)."""
    return pl.col("风险点代码").list.eval(pl.element().is_in(list(codes))).list.any()


_LABOUR = pl.col("劳动力人数")
_WEAK = pl.col("弱劳动力或半劳动力人数")

# Recommendations are made for households at risk: losing income, under or near the line
# (红/橙), below the 低保 standard, or to be registered (应纳未纳). A household that gained
# income despite one falling item gets none, so the lists stay about the households the
# plan asks to help.
AT_RISK = (
    (pl.col("收入研判") == DECREASE)
    | pl.col("预警等级").is_in([RED, ORANGE])
    | pl.col("应纳未纳")
    | pl.col(BELOW_DIBAO)
)

# Household conditions a recommendation row names (``condition``): Boolean expressions over
# the households frame with the 低保 check.
CONDITIONS: Registry[pl.Expr] = Registry("household condition")
CONDITIONS.register("weak_labour", _WEAK > 0)
# Full labour and no weak labour recorded: training and jobs rather than a public-welfare post.
CONDITIONS.register("only_full_labour", (_LABOUR > 0) & (_WEAK.fill_null(0) == 0))
# No labour at all; an unknown (blank) labour count does not count as none.
CONDITIONS.register("no_labour", (_LABOUR == 0) & (_WEAK.fill_null(0) == 0))
CONDITIONS.register("below_dibao_not_recipient", pl.col(BELOW_DIBAO) & ~pl.col("是否低保户").fill_null(False))
CONDITIONS.register("below_dibao_recipient", pl.col(BELOW_DIBAO) & pl.col("是否低保户"))
CONDITIONS.register("single_person_review", pl.col(SINGLE_PERSON_REVIEW))
CONDITIONS.register("dibao_gradual_exit", pl.col(DIBAO_GRADUAL_EXIT))
CONDITIONS.register("should_monitor", pl.col("应纳未纳"))
CONDITIONS.register("red_registered", (pl.col("预警等级") == RED) & ~pl.col("应纳未纳").fill_null(False))
CONDITIONS.register("at_risk", AT_RISK)


def rule_of(row: Recommendation) -> Rule:
    """A catalogue row as a `Rule`: one of its risk points (if it lists any) and its condition."""
    parts = ([has_risk(*row.risks)] if row.risks else []) + ([CONDITIONS.get(row.condition)] if row.condition else [])
    when = parts[0] if len(parts) == 1 else parts[0] & parts[1]
    return Rule(row.measure, when, row.reason)


def recommendation_rules() -> tuple[Rule, ...]:
    """The catalogue's recommendation rows as rules, in their order (read when called)."""
    return tuple(rule_of(row) for row in catalogue.RECOMMENDATIONS)


def fallback_rule() -> Rule:
    """For every at-risk household that no other rule reaches, so that every 减收 household
    has at least one recommendation."""
    return rule_of(catalogue.FALLBACK_RECOMMENDATION)


def check_condition_names(rows: tuple[Recommendation, ...]) -> None:
    """Raise `lib.rules.registry.UnknownRuleError` for a row naming an unregistered condition."""
    CONDITIONS.check((row.reason, row.condition) for row in rows if row.condition)


def __getattr__(name: str):
    # The rules as tables, derived from the catalogue when asked for.
    if name == "RULES":
        return recommendation_rules()
    if name == "FALLBACK":
        return fallback_rule()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")


def template_columns(template: str) -> tuple[str, ...]:
    """Column names a reason template fills in."""
    return tuple(_PLACEHOLDER.findall(template))


def _render(template: str, schema: pl.Schema) -> pl.Expr:
    """A reason template as a polars string expression (vectorised, no per-row Python)."""
    values = []
    for name in template_columns(template):
        value = pl.col(name)
        if schema[name].is_float():
            value = value.round(0).cast(pl.Int64)  # money in whole yuan
        values.append(value.cast(pl.String).fill_null("—"))
    return (
        pl.format(_PLACEHOLDER.sub("{}", template), *values)
        if values
        else pl.lit(template)
    )


def recommend(households: pl.DataFrame, policy: Policy, year_this: int) -> pl.DataFrame:
    """Recommended measures, one row per (household, measure): 户编号, 村, 措施代码, 措施类型,
    牵头单位, 推荐理由 (the reasons of every rule that chose that measure, in rule order,
    joined by "；"). Only households at risk (`AT_RISK`) get recommendations; each of them
    gets at least one (`FALLBACK`). Rows in household order, then measure code.

    Needs the 低保 check columns (`dibao_check`) joined onto ``households`` first.
    """
    missing = [c for c in DIBAO_COLUMNS if c not in households.columns]
    if missing:
        raise ValueError(
            f"recommend: households lacks {missing}; join dibao_check(...) first"
        )
    rules, fallback = recommendation_rules(), fallback_rule()
    codes = catalogue.MEASURE_CODES
    # Only the columns the rules read: filtering the whole wide frame would copy it.
    needed = {ID, "村", *AT_RISK.meta.root_names()}
    for rule in (*rules, fallback):
        needed.update(rule.when.meta.root_names())
        needed.update(template_columns(rule.reason))
    needed -= {DIBAO_STANDARD, THRESHOLD}
    frame = (
        households.lazy()
        .select([c for c in households.columns if c in needed])
        .with_columns(
            pl.lit(policy.dibao(year_this), pl.Float64).alias(DIBAO_STANDARD),
            pl.lit(policy.threshold(year_this), pl.Float64).alias(THRESHOLD),
        )
        .filter(AT_RISK.fill_null(False))
        .with_row_index("_行")
        .collect(engine=ENGINE)
    )
    # Every rule's condition is evaluated once, all in one parallel pass; each rule then
    # renders its reason on its hits only (a filter on a ready-made flag). Hits are keyed by
    # one integer (household row × measure) so that joining the reasons of several rules
    # for the same measure groups integers, not strings (this runs on 1M households).
    width = len(codes)
    position = {code: i for i, code in enumerate(codes)}  # the catalogue lists codes by number
    flags = [f"_规则{order}" for order in range(len(rules))]
    frame = frame.hstack(
        frame.select(rule.when.fill_null(False).alias(flag) for rule, flag in zip(rules, flags))
    )

    def hits(rule: Rule, order: int, rows: pl.LazyFrame) -> pl.LazyFrame:
        return rows.select(
            (pl.col("_行").cast(pl.Int64) * width + position[rule.measure]).alias(
                "_键"
            ),
            pl.lit(order, pl.Int32).alias("_序"),
            _render(rule.reason, frame.schema).alias("推荐理由"),
        )

    rows_of = frame.lazy()
    # A household no rule reaches gets the fallback: no flag set (no join needed).
    unreached = rows_of.filter(~pl.any_horizontal(flags))
    long = (
        pl.concat(
            [
                *(
                    hits(rule, order, rows_of.filter(pl.col(flag)))
                    for order, (rule, flag) in enumerate(zip(rules, flags))
                ),
                hits(fallback, len(rules), unreached),
            ]
        )
        # household × measure, then rule order, as one integer: one sort key instead of two
        .sort(pl.col("_键") * (len(rules) + 1) + pl.col("_序"))
        # sorted, so each key is one run of rows: grouping runs needs no hashing
        .group_by(pl.col("_键").rle_id().alias("_段"), maintain_order=True)
        .agg(pl.col("_键").first(), pl.col("推荐理由"))
        .drop("_段")
        .collect(engine=ENGINE)
    )
    rows = (long["_键"] // width).cast(pl.UInt32)
    measure = pl.col("_键") % width

    def by_position(values: dict[str, str]) -> pl.Expr:
        return measure.replace_strict(
            {position[c]: v for c, v in values.items()}, return_dtype=pl.String
        )

    return long.select(
        frame[ID].gather(rows).alias(ID),
        frame["村"].gather(rows).alias("村"),
        by_position({c: c for c in codes}).alias("措施代码"),
        by_position(catalogue.MEASURE_NAMES).alias("措施类型"),
        by_position(catalogue.LEAD_UNITS).alias("牵头单位"),
        pl.col("推荐理由").list.join("；"),
    )


# ---------------------------------------------------------------------------------------
# Measures sheet joined to households
# ---------------------------------------------------------------------------------------

PLANNED, IMPLEMENTED = MEASURE_STATUSES


# Household columns carried by the joined measures (after 户编号), for the ledger.
MEASURE_HOUSEHOLD_COLUMNS = (
    "乡镇",
    "村",
    "户主姓名",
    "家庭人口数",
    "收入研判",
    "预警等级",
    "减收风险点",
    SHORTFALL,
    WILL_RECOVER,
)

@cache
def _mask_table(codes: tuple[str, ...]) -> tuple[dict[str, int], pl.Series]:
    """(code → bit, mask → its codes in catalogue order) for the catalogue's measure codes."""
    bits = {code: 1 << i for i, code in enumerate(codes)}
    lists = [[c for c, bit in bits.items() if mask & bit] for mask in range(1 << len(codes))]
    return bits, pl.Series(lists, dtype=pl.List(pl.String))


def _code_bit(column: str) -> pl.Expr:
    """An M-code's bit (an unknown code is an error, never a silent 0)."""
    bits, _ = _mask_table(catalogue.MEASURE_CODES)
    return pl.col(column).replace_strict(bits, return_dtype=pl.Int64)


def _codes_of_mask(column: str) -> pl.Expr:
    """A bit mask as the list of its M-codes, by number (null → empty list)."""
    _, lists = _mask_table(catalogue.MEASURE_CODES)
    return pl.lit(lists).gather(pl.col(column).fill_null(0))


# Measure codes per household are bit masks (M1 = 1, M2 = 2, M3 = 4 …): OR-ing integers is
# far cheaper on 1M households than collecting, deduplicating and sorting lists of strings;
# the masks become code lists through a table of 2^(number of measures) entries.
# Row values are computed over whole columns first and the runs only gather them: an
# expression inside a group-by aggregation is evaluated group by group, several times slower
# at 1M households (and str.join there much slower than list.join after).
# Each column: (aggregation over a run's rows, combination of several runs' results).
_RECOMMENDED_AGGS = {
    "_推荐": (pl.col("_推荐").bitwise_or(), pl.col("_推荐").bitwise_or()),
    # Reasons in the order of the rows (`recommend` gives them by measure code), as lists
    # until each household has all of its own.
    RECOMMEND_REASON: (
        pl.col(RECOMMEND_REASON),
        pl.col(RECOMMEND_REASON).list.explode(keep_nulls=False, empty_as_null=False),
    ),
}
_EXISTING_AGGS = {
    "_已有": (pl.col("_已有").bitwise_or(), pl.col("_已有").bitwise_or()),
    IMPLEMENTED_COUNT: (pl.col(IMPLEMENTED_COUNT).sum().cast(pl.Int64), pl.col(IMPLEMENTED_COUNT).sum()),
    PLANNED_COUNT: (pl.col(PLANNED_COUNT).sum().cast(pl.Int64), pl.col(PLANNED_COUNT).sum()),
    EXPECTED_GAIN: (pl.col(EXPECTED_GAIN).sum().cast(pl.Float64), pl.col(EXPECTED_GAIN).sum()),
}


def _recommended_runs(recommendations: pl.DataFrame) -> pl.DataFrame:
    """Per run of a household's recommendations: the measures' mask and the reasons, each
    written "【措施类型】推荐理由。"."""
    return _runs(
        recommendations.lazy().select(
            ID,
            _code_bit("措施代码").alias("_推荐"),
            pl.concat_str(
                pl.lit("【"), pl.col("措施类型"), pl.lit("】"), pl.col("推荐理由"), pl.lit("。")
            ).alias(RECOMMEND_REASON),
        ),
        _RECOMMENDED_AGGS,
    )


def _existing_runs(measures: pl.DataFrame) -> pl.DataFrame:
    """Per run of a household's rows in the measures sheet: the measures' mask, the counts
    implemented and planned, and the expected gain (planned and implemented alike)."""
    return _runs(
        measures.lazy().select(
            ID,
            _code_bit("措施类型").alias("_已有"),
            (pl.col("状态") == IMPLEMENTED).alias(IMPLEMENTED_COUNT),
            (pl.col("状态") == PLANNED).alias(PLANNED_COUNT),
            pl.col("预计增收").alias(EXPECTED_GAIN),
        ),
        _EXISTING_AGGS,
    )


def _measure_columns(
    base: pl.DataFrame, recommended: pl.DataFrame, existing: pl.DataFrame, rec_rows: pl.Series, mea_rows: pl.Series
) -> pl.DataFrame:
    """`ATTACHED_COLUMNS` for every household of ``base``: the runs placed at their rows,
    the masks as code lists, and the shortfall against the expected gain."""
    decrease = pl.col("收入研判") == DECREASE
    # Money is kept to the fen: the gap and the gain are rounded before they are compared,
    # so 3,500 against 3,500 is closed (float residue such as 9e-13 decides nothing).
    shortfall = fen(((pl.col("上年人均纯收入") - pl.col("本年人均纯收入")) * pl.col("本年家庭人口数")).clip(lower_bound=0.0))
    return (
        pl.concat(
            [
                base.select("收入研判", "上年人均纯收入", "本年人均纯收入", "本年家庭人口数"),
                _placed(recommended.with_columns(pl.col(RECOMMEND_REASON).list.join("")), rec_rows, base.height),
                _placed(existing, mea_rows, base.height),
            ],
            how="horizontal",
        )
        .lazy()
        .with_columns(
            _codes_of_mask("_推荐").alias(RECOMMENDED),
            _codes_of_mask("_已有").alias(EXISTING),
            pl.col(IMPLEMENTED_COUNT).fill_null(0),
            pl.col(PLANNED_COUNT).fill_null(0),
            fen(pl.col(EXPECTED_GAIN).fill_null(0.0)),
            pl.when(decrease).then(shortfall).otherwise(0.0).alias(SHORTFALL),
        )
        .with_columns(pl.when(decrease).then(in_fen(SHORTFALL) <= in_fen(EXPECTED_GAIN)).alias(WILL_RECOVER))
        .select(ATTACHED_COLUMNS)
        .collect(engine=ENGINE)
    )


def fen(amount: pl.Expr) -> pl.Expr:
    """An amount in yuan rounded to the fen (0.01 元), the unit money is kept in."""
    return amount.round(2)


def in_fen(column: str) -> pl.Expr:
    """An amount as a whole number of fen: the exact form in which two amounts are compared."""
    return (pl.col(column) * 100).round(0).cast(pl.Int64)


def _measures_with_households(households: pl.DataFrame, measures: pl.DataFrame, rows: pl.Series) -> pl.DataFrame:
    """The measures sheet's rows that name a household (``rows``: their household row, null
    for none), with 措施名称 and the household facts the ledger lists beside each measure."""
    found = rows.is_not_null()
    facts = households.select(pl.col(list(MEASURE_HOUSEHOLD_COLUMNS)).gather(rows.filter(found)))
    joined = (
        measures.filter(found)
        .hstack(facts)
        .with_columns(
            pl.col("措施类型")
            .replace_strict(catalogue.MEASURE_NAMES, default=None, return_dtype=pl.String)
            .alias("措施名称")
        )
    )
    first = [ID, "乡镇", "村", "户主姓名", "措施类型", "措施名称"]
    return joined.select(first + [c for c in joined.columns if c not in first])


def attach_measures(
    households: pl.DataFrame, recommendations: pl.DataFrame, measures: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Households with their recommended and existing measures, and measures with households.

    Adds 推荐措施, 推荐理由, 已有措施, 已落实措施数, 计划措施数, 预计增收合计 (planned and
    implemented measures alike), 收入缺口 and 预计能恢复 after 应纳未纳.

    收入缺口 is what the household must still earn this year to be back at last year's
    per-capita income: max(0, (上年人均 − 本年人均) × 本年家庭人口数). With unchanged members
    this is 上年家庭纯收入 − 本年家庭纯收入; when members changed, it follows the per-capita
    comparison that made the household 减收 (a household that gained a member can lose per
    capita while its total rose). 0 when not 减收. Both amounts are rounded to the fen and
    预计能恢复 = 收入缺口 ≤ 预计增收合计 is decided on whole fen, the
    30 September question; null when not 减收.

    The second frame is the measures sheet joined to its households: the input rows (in
    input order) with 措施名称 and the household's `MEASURE_HOUSEHOLD_COLUMNS` (乡镇, 村,
    户主姓名, 家庭人口数, 收入研判, 预警等级, 减收风险点, 收入缺口, 预计能恢复). Measures whose
    户编号 is not a household are left out; `unmatched_measures` gives them as rejects.

    ``recommendations`` is `recommend`'s frame: rows of a household in measure-code order,
    which is the order of its 推荐理由.
    """
    recommended, existing = _recommended_runs(recommendations), _existing_runs(measures)
    base = households.drop([c for c in ATTACHED_COLUMNS if c in households.columns])
    # Every run's and every measure's household row, found in one join on 户编号 (a join
    # per frame would hash the 1M household keys each time); they are then placed by row.
    rec_rows, mea_rows, measure_rows = _household_rows(base.get_column(ID), recommended, existing, measures)
    if _repeats(rec_rows) or _repeats(mea_rows):
        # Some household's rows were not consecutive in a sheet, so it has several runs:
        # combine them by 户编号 (rare).
        recommended = _combine_runs(recommended, _RECOMMENDED_AGGS)
        existing = _combine_runs(existing, _EXISTING_AGGS)
        rec_rows, mea_rows = _household_rows(base.get_column(ID), recommended, existing)
    attached = _measure_columns(base, recommended, existing, rec_rows, mea_rows)
    hh = base.hstack(attached).select(_after(base.columns, "应纳未纳", ATTACHED_COLUMNS))
    return hh, _measures_with_households(hh, measures, measure_rows)


def _household_rows(ids: pl.Series, *frames: pl.DataFrame) -> list[pl.Series]:
    """For each frame, the row in ``ids`` (户信息's 户编号, unique) of each of its rows'
    户编号 (null: not a household), all found with one join."""
    keys = pl.concat([frame.select(pl.col(ID).cast(ids.dtype)) for frame in frames])
    rows = (
        keys.lazy()
        .join(ids.to_frame(ID).lazy().with_row_index("_户"), on=ID, how="left", maintain_order="left")
        .collect(engine=ENGINE)
        .get_column("_户")
    )
    if rows.len() != keys.height:
        raise ValueError("户信息的户编号不唯一")  # the reader guarantees it; a join would repeat rows
    starts = [0]
    for frame in frames:
        starts.append(starts[-1] + frame.height)
    return [rows.slice(start, frame.height) for start, frame in zip(starts, frames)]


def _repeats(rows: pl.Series) -> bool:
    """Whether some household has more than one row here (integers: cheap to check)."""
    found = rows.drop_nulls()
    return found.n_unique() != found.len()


def _placed(per_household: pl.DataFrame, rows: pl.Series, households: int) -> pl.DataFrame:
    """``per_household`` (one row per household, at ``rows``; 户编号 dropped) laid out in
    the households' order, null where a household has none: a left join by position."""
    values = per_household.drop(ID)
    # one all-null row at the end, taken by every household without a row of its own;
    # contiguous, because a gather across chunks is slow
    table = pl.concat([values, values.clear(1)], rechunk=True)
    found = rows.is_not_null()
    index = pl.repeat(values.height, households, dtype=pl.UInt32, eager=True).scatter(
        rows.filter(found), pl.int_range(values.height, dtype=pl.UInt32, eager=True).filter(found)
    )
    return table.select(pl.all().gather(index))


def _runs(frame: pl.DataFrame | pl.LazyFrame, aggs: dict[str, tuple[pl.Expr, pl.Expr]]) -> pl.DataFrame:
    """One row per run of consecutive rows of the same 户编号: each column of ``aggs`` is
    (aggregation over rows, combination of partial results); this applies the first.

    Runs are an integer key (`recommend` and most sheets list a household's rows together),
    several times cheaper to group than 1M string keys; a household listed in several places
    has several runs, which `_combine_runs` merges.
    """
    return (
        frame.lazy()
        .group_by(pl.col(ID).rle_id().alias("_段"), maintain_order=True)
        .agg(pl.col(ID).first(), *(row.alias(name) for name, (row, _) in aggs.items()))
        .drop("_段")
        .collect(engine=ENGINE)
    )


def _combine_runs(runs: pl.DataFrame, aggs: dict[str, tuple[pl.Expr, pl.Expr]]) -> pl.DataFrame:
    """One row per 户编号 from the runs of `_runs` (the second expression of each column)."""
    return runs.group_by(ID, maintain_order=True).agg(combine.alias(name) for name, (_, combine) in aggs.items())


def _after(columns: list[str], anchor: str, new: tuple[str, ...]) -> list[str]:
    """``columns`` with ``new`` inserted right after ``anchor`` (at the end if absent)."""
    if anchor not in columns:
        return list(columns) + list(new)
    at = columns.index(anchor) + 1
    return list(columns[:at]) + list(new) + list(columns[at:])


def unmatched_measures(
    households: pl.DataFrame, measures: pl.DataFrame
) -> pl.DataFrame:
    """Measure rows whose 户编号 is not in 户信息, as rejects (REJECT_COLUMNS), so that
    `analyze` can report every measure it did not count."""
    return measures.join(households.select(ID), on=ID, how="anti", maintain_order="left").select(
        problem_columns(SHEET_MEASURES, SOURCE_ROW, ID, pl.col(ID), UNMATCHED_MEASURE_CODE, sentence("E301", id=pl.col(ID)))
    )


def measures_dated_later(measures: pl.DataFrame, as_of) -> pl.DataFrame:
    """Findings (REJECT_COLUMNS): a measure marked 已落实 whose 落实日期 is after the as-of
    date — it cannot be in place yet (a typo in the year, or a plan entered as done). The
    measure still counts as the sheet says; the clerk is asked to check it."""
    late = pl.col("落实日期") > pl.lit(as_of, pl.Date)
    return measures.filter((pl.col("状态") == "已落实") & late.fill_null(False)).select(
        problem_columns(SHEET_MEASURES, SOURCE_ROW, "落实日期", pl.col("落实日期").cast(pl.String), "W402",
                        pl.concat_str(pl.lit(f"工作表「{SHEET_MEASURES}」第"), pl.col(SOURCE_ROW).cast(pl.String),
                                      pl.lit("行："),
                                      sentence("W402", date=pl.col("落实日期").cast(pl.String), as_of=str(as_of))))
    )


check_condition_names((*catalogue.RECOMMENDATIONS, catalogue.FALLBACK_RECOMMENDATION))  # fails at import
