"""The income-loss risk points (the plan's nine, R1–R9), as a rule table over the wide household frame.

Each risk point of `lib.catalogue.RISK_POINTS` has one `RiskRule`: an expression for "fires",
one for the yuan lost (household yuan, > 0) and one for the sub-cause (细分原因). Everything
about a point is its catalogue row, read when the rules are built: its items, its rule kind
(how the items are read: operating net with or without 受灾, item by item, survey only, the
residual), its sub-cause, its survey keywords and their priority, and whether the survey
alone fires it. The row names its logic; the logic is a small function registered here
(`RULE_KINDS`, `SUB_CAUSES`), and every name the catalogue uses is checked when this module
loads. Adding a point, or an item to a point, touches the catalogue alone.

Decisions (documented here because the plan leaves them open):
- Risk points are evaluated for every household surveyed in both years, not only 减收 ones:
  an item can fall while the household still gains overall, and the analyst wants to see it.
  `risks` carries each household's 收入研判 so the ledger can keep the 减收 households only,
  and the household's 风险点代码 / 减收风险点 / 减收金额 reflect all its rows in `risks`.
- "Fell" is judged item by item on household yuan (this year < last year), as the plan
  words it ("低保金 or 特困供养金 fell"); the yuan lost adds the items' own falls. R1/R7 read
  the operating net income (items net of 生产经营性支出), as the plan does.
- When the policy leaves 养老金 out of net income (``pension_in_net_income = false``), its fall is no risk.
- R9 (the residual kind) also fires when per-capita fell although no other point's items fell (e.g. a new
  member); the yuan lost is then the household income that would restore last year's
  per-capita ((上年人均 − 本年人均) × 本年家庭人口数).
- The survey's 减收原因 (this year's row of a household surveyed in both years) is split at
  ；;/ and line breaks (not at ，、, which punctuate one cause) and each part matched to one
  point by R-code (R\\d+, any case, full-width too), label, or the catalogue's keywords (in
  the points' keyword priority); a part that matches nothing is R9 (`OTHER_RISK`) with the
  text kept as sub-cause. The survey alone fires only what the numbers cannot show (rows with
  ``survey_fires``: R8, and R9 for 其他 or an unknown cause): those rows have 原因来源 = 调查
  and 减收金额 null. For the others the numbers decide; a survey naming one of them that the
  numbers do not show is reported as a finding (`survey_findings`, code W401), not made a risk.
- A fall below half a fen (0.005 yuan) is rounding noise, not a fall.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

import polars as pl

from lib import catalogue
from lib.catalogue import (
    ID,
    VILLAGE,
    ITEMS_BY_NAME,
    OPERATING_COST,
    SHEET_INCOME,
    SOURCE_ROW,
    RiskPoint,
    code_number,
    code_order,
)
from lib.rules.classify import JUDGEMENT, PC_LAST, PC_THIS
from lib.rules.income import ENGINE, HAS_ROW, MEMBERS, SURVEY_CAUSE, counted_items, last, this
from lib.codes import code as registered, problem_columns, sentence
from lib.policy import Policy
from lib.rules.registry import Registry

CODE, LABEL, LOST, CAUSE, SOURCE = "风险点代码", "风险点", "减收金额", "细分原因", "原因来源"
FROM_DATA, FROM_SURVEY = "数据", "调查"
RISK_COLUMNS = (ID, VILLAGE, CODE, LABEL, LOST, CAUSE, SOURCE, JUDGEMENT)
HOUSEHOLD_LABELS = "减收风险点"
ROW = "_行"  # internal: a household's row in the roster (integer joins instead of 户编号)
DISASTER = "是否受灾"
MIN_FALL = 0.005  # yuan; smaller differences are rounding noise
MEMBERS_CAUSE_PREFIX = "家庭人口由"  # the residual's sub-cause when per-capita fell with more members
# Causes listed in one cell are separated by ；/; or / (or a line break); "，" and "、" are
# ordinary punctuation inside one cause ("家中老人住院，外出务工时间减少" is one 务工 cause).
SURVEY_SEPARATORS = r"[;；/\n]+"
# An R-code in a wording (after NFKC, so Ｒ１０ is R10): any number of digits, so that R10 is
# not read as R1 followed by a 0.
_CODE_IN_TEXT = r"(?:^|[^A-Za-z])[Rr](\d+)(?:\D|$)"
_BARE_CODE = r"[RrＲｒ][0-9０-９]+"


def risk_labels() -> dict[str, str]:
    """code → label of the catalogue's points (read when called)."""
    return {p.code: p.label for p in catalogue.RISK_POINTS}


def keyword_order() -> tuple[RiskPoint, ...]:
    """The points in the order their survey keywords are tried (the rows' keyword priority)."""
    return tuple(sorted(catalogue.RISK_POINTS, key=lambda p: p.keyword_priority))


def survey_fired() -> list[str]:
    """The codes the survey's 减收原因 fires on its own: what the numbers cannot show."""
    return [p.code for p in catalogue.RISK_POINTS if p.survey_fires]


@dataclass(frozen=True)
class RiskRule:
    code: str
    fires: pl.Expr | None  # Boolean over the wide frame (null = cannot tell → not fired);
    # None: the numbers cannot show this point at all (only the survey names it)
    lost: pl.Expr  # household yuan lost, > 0 where it fires
    cause: pl.Expr  # 细分原因, Utf8 or null


# ---------------------------------------------------------------------------------------
# Building blocks over the wide frame (上年<item> / 本年<item>)
# ---------------------------------------------------------------------------------------


def item_fall(name: str) -> pl.Expr:
    """How much an item lowered net income: last − this (this − last for 生产经营性支出)."""
    sign = ITEMS_BY_NAME[name].sign
    return (pl.col(last(name)) - pl.col(this(name))) * sign


def net_fall(items: tuple[str, ...]) -> pl.Expr:
    return pl.sum_horizontal(item_fall(i) for i in items)


def sum_of_falls(items: tuple[str, ...]) -> pl.Expr:
    return pl.sum_horizontal(item_fall(i).clip(lower_bound=0.0) for i in items)


def now_total(items: tuple[str, ...]) -> pl.Expr:
    return pl.sum_horizontal(pl.col(this(i)) for i in items)


def fallen_items(items: tuple[str, ...]) -> pl.Expr:
    """'种植业收入减少、生产经营性支出增加': the items that lowered net income."""
    words = [
        pl.when(item_fall(i) > MIN_FALL).then(pl.lit(f"{i}增加" if i == OPERATING_COST else f"{i}减少"))
        for i in items
    ]
    joined = pl.concat_str(words, separator="、", ignore_nulls=True)
    return pl.when(joined != "").then(joined)


# ---------------------------------------------------------------------------------------
# Sub-causes (细分原因), named by the rows' ``sub_cause``: "name" or "name:arg/arg".
# A function gets the items the rule reads, then the row's arguments.
# ---------------------------------------------------------------------------------------

SUB_CAUSES: Registry[Callable[..., pl.Expr]] = Registry("sub-cause function")
SUB_CAUSES.register("fallen_items", fallen_items)


@SUB_CAUSES.register("gone")
def _gone(items: tuple[str, ...], gone: str, cut: str) -> pl.Expr:
    """``gone`` when every item of the point that fell is now 0, else ``cut``."""
    all_gone = pl.all_horizontal((item_fall(i) <= MIN_FALL) | (pl.col(this(i)) == 0) for i in items)
    return pl.when(all_gone).then(pl.lit(gone)).otherwise(pl.lit(cut))


@SUB_CAUSES.register("migrant_work")
def migrant_work(items: tuple[str, ...]) -> pl.Expr:
    """未务工 when the wage is now 0, 务工时间缩短 when the months fell, else 工资降低."""
    months = "务工月数"
    return (
        pl.when(now_total(items) == 0)
        .then(pl.lit("未务工"))
        .when(pl.col(this(months)) < pl.col(last(months)))
        .then(pl.lit("务工时间缩短"))
        .otherwise(pl.lit("工资降低"))
    )


def sub_cause(point: RiskPoint, items: tuple[str, ...] | None = None) -> pl.Expr:
    """The point's 细分原因 over ``items`` (default its own), from its row's sub-cause name."""
    if not point.sub_cause:
        return pl.lit(None, pl.String)
    name, _, args = point.sub_cause.partition(":")
    return SUB_CAUSES.get(name)(point.items if items is None else items, *(args.split("/") if args else ()))


# ---------------------------------------------------------------------------------------
# Rule kinds: how a point reads its items, named by the rows' ``rule``. A kind gets the
# point, the policy and the rules built before it (the residual reads them).
# ---------------------------------------------------------------------------------------

Builder = Callable[[RiskPoint, Policy, dict[str, "RiskRule"]], "RiskRule"]
RULE_KINDS: Registry[Builder] = Registry("risk rule kind")
RESIDUAL = "residual"  # built after every other kind: it fires where no other point explains a fall


def _operating(disaster_hit: bool) -> Builder:
    def build(point: RiskPoint, policy: Policy, built: dict) -> RiskRule:
        fall = net_fall(point.items)
        hit = pl.col(DISASTER).fill_null(False)
        return RiskRule(point.code, (fall > MIN_FALL) & (hit if disaster_hit else ~hit), fall, sub_cause(point))

    return build


RULE_KINDS.register("operating_net", _operating(disaster_hit=False))
RULE_KINDS.register("operating_net_disaster", _operating(disaster_hit=True))


@RULE_KINDS.register("per_item")
def _per_item(point: RiskPoint, policy: Policy, built: dict) -> RiskRule:
    lost = sum_of_falls(point.items)
    return RiskRule(point.code, lost > MIN_FALL, lost, sub_cause(point))


@RULE_KINDS.register("survey_only")
def _survey_only(point: RiskPoint, policy: Policy, built: dict) -> RiskRule:
    # e.g. 帮扶不到位 cannot be read from the numbers: only the survey's 减收原因 names it.
    return RiskRule(point.code, None, pl.lit(None, pl.Float64), pl.lit(None, pl.String))


@RULE_KINDS.register(RESIDUAL)
def _residual(point: RiskPoint, policy: Policy, built: dict) -> RiskRule:
    counted = counted_items(policy)
    items = tuple(i for i in point.items if i in counted)
    item_loss = sum_of_falls(items)
    by_items = item_loss > MIN_FALL
    explained = pl.any_horizontal(
        [by_items, *(rule.fires.fill_null(False) for rule in built.values() if rule.fires is not None)]
    )
    members_this, members_last = pl.col(this(MEMBERS)), pl.col(last(MEMBERS))
    # Per-capita fell though no point's items did (e.g. a new member): the yuan that would
    # restore last year's per-capita.
    per_capita_loss = (pl.col(PC_LAST) - pl.col(PC_THIS)) * members_this
    by_per_capita = ~explained & (per_capita_loss > MIN_FALL)
    return RiskRule(
        point.code,
        by_items | by_per_capita,
        pl.when(by_items).then(item_loss).otherwise(per_capita_loss),
        pl.when(by_items)
        .then(sub_cause(point, items))
        .when(members_this > members_last)
        .then(pl.format(MEMBERS_CAUSE_PREFIX + "{}人增至{}人", members_last, members_this))
        .otherwise(pl.lit("人均纯收入下降")),
    )


def check_rule_names(points: tuple[RiskPoint, ...]) -> None:
    """Raise `lib.rules.registry.UnknownRuleError` for a row naming an unregistered function."""
    RULE_KINDS.check((p.code, p.rule) for p in points)
    SUB_CAUSES.check((p.code, p.sub_cause.partition(":")[0]) for p in points if p.sub_cause)


def __getattr__(name: str):
    # code → rule kind of every point, derived from the catalogue when asked for (kept for
    # readers of the former hand-written table)
    if name == "RULE_BUILDERS":
        return {p.code: RULE_KINDS.get(p.rule) for p in catalogue.RISK_POINTS}
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def rule_table(policy: Policy) -> dict[str, RiskRule]:
    """code → RiskRule for every point of the catalogue, in catalogue order (the residual
    kind built after the others, whose rules it reads)."""
    points = catalogue.RISK_POINTS
    built: dict[str, RiskRule] = {}
    for point in sorted(points, key=lambda p: p.rule == RESIDUAL):
        built[point.code] = RULE_KINDS.get(point.rule)(point, policy, dict(built))
    return {p.code: built[p.code] for p in points}


# ---------------------------------------------------------------------------------------
# The survey's 减收原因
# ---------------------------------------------------------------------------------------


def match_cause(text: pl.Expr) -> pl.Expr:
    """The R-code a survey wording means: a catalogue R-code in the text, a label, a keyword
    (by keyword priority), else `OTHER_RISK`."""
    points = catalogue.RISK_POINTS
    number = text.str.normalize("NFKC").str.extract(_CODE_IN_TEXT, 1).cast(pl.Int64, strict=False)
    # a number that is no point of the catalogue (R0, R99) says nothing: labels and keywords decide
    named = number.replace_strict({code_number(p.code): p.code for p in points}, default=None, return_dtype=pl.String)
    chain = pl.when(named.is_not_null()).then(named)
    for point in points:
        chain = chain.when(text.str.contains(point.label, literal=True)).then(pl.lit(point.code))
    for point in keyword_order():
        chain = chain.when(text.str.contains_any(list(point.keywords))).then(pl.lit(point.code))
    return chain.otherwise(pl.lit(catalogue.OTHER_RISK))


def _bare_name_pattern() -> str:
    return "|".join([_BARE_CODE] + [re.escape(p.label) for p in catalogue.RISK_POINTS])


def _surveyed(wide: pl.DataFrame | pl.LazyFrame) -> pl.LazyFrame:
    """Households surveyed in both years, with their roster row (ROW) for cheap joins."""
    return wide.lazy().with_row_index(ROW).filter(pl.col(last(HAS_ROW)) & pl.col(this(HAS_ROW)))


def survey_causes(wide: pl.DataFrame | pl.LazyFrame) -> pl.LazyFrame:
    """(_行, 户编号, 村, 行号, 原因, 风险点代码, 调查原因): each part of this year's 减收原因 of
    the households surveyed in both years, with the point it names."""
    cause = pl.col(this(SURVEY_CAUSE))
    parts = (
        _surveyed(wide)
        .filter(cause.is_not_null() & (cause.str.strip_chars() != ""))
        .select(
            ROW,
            ID,
            VILLAGE,
            pl.col(this(SOURCE_ROW)).alias("行号"),
            cause.str.replace_all(SURVEY_SEPARATORS, ";").str.split(";").alias("原因"),
        )
        .explode("原因")
        .with_columns(pl.col("原因").str.strip_chars())
        .filter(pl.col("原因") != "")
    )
    # The sub-cause is what the part says beyond a code or a label ("R8 帮扶措施未落实" →
    # "帮扶措施未落实"); a bare code or label adds nothing.
    rest = pl.col("原因").str.replace_all(_bare_name_pattern(), "").str.strip_chars(" :：-—()（）")
    # Surveys repeat a few wordings: each distinct wording is matched once (the pattern
    # matching is the costly part), then looked up.
    wordings = (
        parts.select(pl.col("原因").unique())
        .with_columns(match_cause(pl.col("原因")).alias(CODE), pl.when(rest != "").then(rest).alias("调查原因"))
    )
    return parts.join(wordings, on="原因", how="left", maintain_order="left")


def _causes(wide: pl.DataFrame | pl.LazyFrame, causes: pl.DataFrame | None) -> pl.LazyFrame:
    """``survey_causes(wide)``, or the caller's copy of it (`analyze` needs it twice)."""
    return survey_causes(wide) if causes is None else causes.lazy()


def survey_risks(wide: pl.DataFrame | pl.LazyFrame, causes: pl.DataFrame | None = None) -> pl.LazyFrame:
    """(_行, 风险点代码, 调查原因): the points the survey fires on its own (`survey_fired`)."""
    return (
        _causes(wide, causes)
        .filter(pl.col(CODE).is_in(survey_fired()))
        .group_by(ROW, CODE, maintain_order=True)
        .agg(pl.col("调查原因").unique(maintain_order=True).str.join("；"))
        .with_columns(pl.when(pl.col("调查原因") != "").then(pl.col("调查原因")).alias("调查原因"))
    )


# ---------------------------------------------------------------------------------------
# Evaluation
# ---------------------------------------------------------------------------------------


def data_risks(wide: pl.DataFrame | pl.LazyFrame, policy: Policy) -> pl.LazyFrame:
    """(_行, 风险点代码, 减收金额, 细分原因): the points the numbers show."""
    rules = {code: rule for code, rule in rule_table(policy).items() if rule.fires is not None}
    surveyed = pl.col(last(HAS_ROW)) & pl.col(this(HAS_ROW))
    # Every point's "fires" once (R9 reads the others'), as narrow flags set beside the wide
    # frame; each point then copies only its own households and the few columns it reads
    # (filtering the wide frame first would copy its 70 columns for 1M households).
    flags = (
        wide.lazy()
        .select((surveyed & rule.fires.fill_null(False)).alias(f"_{code}") for code, rule in rules.items())
        .collect(engine=ENGINE)
    )
    fired = pl.concat([wide.lazy().with_row_index(ROW), flags.lazy()], how="horizontal")
    parts = [
        fired.filter(pl.col(f"_{code}")).select(
            pl.col(ROW),
            pl.lit(code).alias(CODE),
            rule.lost.cast(pl.Float64).alias(LOST),
            rule.cause.cast(pl.String).alias(CAUSE),
        )
        for code, rule in rules.items()
    ]
    return pl.concat(parts)


def evaluate_risks(
    wide: pl.DataFrame, policy: Policy, *, keep_row: bool = False, causes: pl.DataFrame | None = None
) -> pl.DataFrame:
    """The long risk table: one row per household and point (RISK_COLUMNS), roster order.

    ``wide`` is the household frame of `lib.rules.income.compare_income` after classification
    (it carries 收入研判 along so that the table can be filtered to 减收 households).
    ``keep_row`` keeps the household's roster row (ROW, first column) for the joins of
    `attach_risks` and `lib.rules.explain.explain`; drop it before handing the table on.
    ``causes``: `survey_causes(wide)` collected, when the caller has it already.
    """
    # Household, then code (by its number: R10 after R9), as one integer: sorts several times
    # faster than the pair.
    labels = risk_labels()
    rank = {code: i for i, code in enumerate(sorted(labels, key=code_number))}
    merged = (
        data_risks(wide, policy)
        .with_columns(pl.lit(True).alias("_数据"))
        .join(survey_risks(wide, causes), on=[ROW, CODE], how="full", coalesce=True)
        .sort(
            pl.col(ROW).cast(pl.UInt64) * len(rank)
            + pl.col(CODE).replace_strict(rank, return_dtype=pl.UInt64)
        )
        .collect(engine=ENGINE)
    )
    # The household's facts are taken by roster row (a join would hash 1M rows for this).
    facts = wide.lazy().select(pl.col(ID, VILLAGE, JUDGEMENT).gather(merged.get_column(ROW))).collect(engine=ENGINE)
    return (
        merged.hstack(facts)
        .lazy()
        .select(
            ROW,
            ID,
            VILLAGE,
            CODE,
            pl.col(CODE).replace_strict(labels, return_dtype=pl.String).alias(LABEL),
            LOST,
            # the residual from the numbers and from the survey: keep both explanations.
            pl.concat_str(CAUSE, "调查原因", separator="；", ignore_nulls=True).alias(CAUSE),
            pl.when(pl.col("_数据")).then(pl.lit(FROM_DATA)).otherwise(pl.lit(FROM_SURVEY)).alias(SOURCE),
            JUDGEMENT,
        )
        .with_columns(pl.when(pl.col(CAUSE) != "").then(pl.col(CAUSE)).alias(CAUSE))
        .select(([ROW] if keep_row else []) + list(RISK_COLUMNS))
        .collect(engine=ENGINE)
    )


SURVEY_MISMATCH = registered("W401")


def survey_findings(wide: pl.DataFrame, risks: pl.DataFrame, causes: pl.DataFrame | None = None) -> pl.DataFrame:
    """Findings (REJECT_COLUMNS): a survey cause naming a point the numbers decide (R1–R7)
    that the numbers do not show."""
    key = ROW if ROW in risks.columns else ID  # the roster row when kept: integers join faster
    shown = risks.lazy().select(key, CODE)
    return (
        _causes(wide, causes)
        .filter(~pl.col(CODE).is_in(survey_fired()))
        .join(shown, on=[key, CODE], how="anti")
        .select(
            problem_columns(
                SHEET_INCOME, "行号", SURVEY_CAUSE, pl.col("原因"), SURVEY_MISMATCH,
                sentence(SURVEY_MISMATCH, code=pl.col(CODE),
                         label=pl.col(CODE).replace_strict(risk_labels(), return_dtype=pl.String)),
            )
        )
        .collect(engine=ENGINE)
    )


def household_risks(risks: pl.DataFrame) -> pl.LazyFrame:
    """Per household with any risk, keyed like ``risks`` (ROW if it has it, else 户编号):
    风险点代码 (codes by number), 减收风险点 (labels), 减收金额 (sum)."""
    key = ROW if ROW in risks.columns else ID
    return (
        risks.lazy()
        .sort(pl.col(key), code_order(CODE))  # codes by number within each household whatever the input order
        # sorted, so each household is one run of rows: grouping runs needs no hashing
        .group_by(pl.col(key).rle_id().alias("_段"), maintain_order=True)
        .agg(
            pl.col(key).first(),
            pl.col(CODE).alias(CODE),
            pl.col(LABEL).alias(HOUSEHOLD_LABELS),
            pl.col(LOST).sum().alias(LOST),
        )
        .drop("_段")
    )


def attach_risks(wide: pl.DataFrame, risks: pl.DataFrame) -> pl.DataFrame:
    """The household frame with 风险点代码, 减收风险点 (empty lists when none) and 减收金额 (0)."""
    no_risk = pl.lit([], dtype=pl.List(pl.String))
    per_household = household_risks(risks)
    if ROW not in risks.columns:
        return (
            wide.lazy()
            .join(per_household, on=ID, how="left", maintain_order="left")
            .with_columns(
                pl.col(CODE).fill_null(no_risk),
                pl.col(HOUSEHOLD_LABELS).fill_null(no_risk),
                pl.col(LOST).fill_null(0.0),
            )
            .collect(engine=ENGINE)
        )
    # Keyed by roster row: every household takes its row by index, those without a risk the
    # "none" row put last; the three columns are then set beside the wide frame, which is
    # neither hashed nor copied.
    per_household = per_household.collect(engine=ENGINE)
    none = per_household.clear(1).with_columns(
        no_risk.alias(CODE), no_risk.alias(HOUSEHOLD_LABELS), pl.lit(0.0, pl.Float64).alias(LOST)
    )
    table = pl.concat([per_household, none], rechunk=True)  # a gather across chunks is slow
    index = pl.repeat(per_household.height, wide.height, dtype=pl.UInt32, eager=True).scatter(
        per_household.get_column(ROW), pl.int_range(per_household.height, dtype=pl.UInt32, eager=True)
    )
    return wide.hstack(table.select(pl.col(CODE, HOUSEHOLD_LABELS, LOST).gather(index)))


check_rule_names(catalogue.RISK_POINTS)  # a misspelt name in a row fails here, at import
