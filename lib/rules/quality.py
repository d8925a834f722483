"""数据核查: the data-quality rules county data teams run on the monitoring system's exports.

The rules are data: one row each in ``lib.catalogue.QUALITY_RULES`` (code, level, predicate
name, whose rows it checks, optional columns it needs), a sentence each in ``lib.codes``
(stage 核查), and here one small predicate each, registered under its code::

    @register("W501")
    def wage_too_low(f: Facts) -> pl.LazyFrame:
        q = f.params
        return _hits(f.persons, (pl.col(WAGE) < q.monthly_wage_min) & worked, 务工月收入=..., 下限=...)

A predicate gets the `Facts` (this year's members and the households, each with the labels
the sentences use) and returns the rows it flags, with one column per ``{field}`` of its
code's template. `check_quality` runs every row whose columns the input has (a workbook has
no members, so the member checks find nothing) and returns the findings (FINDING_COLUMNS).
Findings are read beside the households; they never change a figure.

Every registered code has a row and every row a registered predicate of that name: checked
when this module is imported (`check_registry`), so a mistake fails in a test, not in a
village's report.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

from lib.catalogue import (
    FINDING_COLUMNS,
    FULL_LABOUR,
    ID,
    LABOUR_KINDS,
    NO_LABOUR,
    PERSON,
    QUALITY_RULES,
    QUALITY_RULE_BY_CODE,
    REJECT_COLUMNS,
    VILLAGE,
    YEAR,
    empty_persons,
)
from lib.codes import CODE_BY_NAME, code, label, sentence, template_fields
from lib.policy import Policy, QualityParams
from lib.rules.income import ENGINE, ITEM_NAME_COLUMN, THIS

# Member columns (lib.catalogue.PERSON_SCHEMA)
AGE, SKILL, SCHOOL, MONTHS, WAGE = "年龄", "劳动技能", "在校生状况", "务工月数", "务工月收入"
POST, ON_DIBAO, ON_TEKUN, RELATION = "公益岗位", "享受低保", "享受特困", "与户主关系"
# Household facts derived here
PC_THIS, PC_SYSTEM, SHOULD_MONITOR = "本年人均纯收入", "本年系统人均纯收入", "应纳未纳"
DIBAO_PAID = "本年低保金"
MEMBER_ROWS, LABOUR_ROWS, NO_LABOUR_ROWS = "成员行数", "有劳动力人数", "无劳动能力人数"
POSTS, DIBAO_ROWS, TEKUN_ROWS = "公益岗位人数", "享受低保人数", "享受特困人数"
# The sentence's who: 户 = the household by its head's name, 成员 = the member and their row.
WHO_HOUSEHOLD, WHO_MEMBER = "户", "成员"
SHEET, ROW = "工作表", "行号"
# 在校生状况 values that do not mean "in school" (the reader leaves null for blank).
NOT_IN_SCHOOL = ("", "非在校生", "学龄前儿童", "否", "无")


@dataclass(frozen=True)
class Facts:
    """What the predicates read: this year's members and every household, one row each."""

    persons: pl.LazyFrame  # PERSON_SCHEMA of 年度 = year, + 村, 户, 成员, 工作表, 行号
    households: pl.LazyFrame  # 户编号, 村, 户, flags, per-capita, member counts, 工作表/行号 null
    params: QualityParams
    year: int
    line: float  # this year's monitoring threshold


Predicate = Callable[[Facts], pl.LazyFrame]
_PREDICATES: dict[str, Predicate] = {}


def register(code_: str) -> Callable[[Predicate], Predicate]:
    """Register ``fn`` as the predicate of data check ``code_`` (a code of lib/codes.py)."""

    def add(fn: Predicate) -> Predicate:
        code(code_)
        if code_ in _PREDICATES:
            raise ValueError(f"数据核查 {code_} 已登记了判断函数 {_PREDICATES[code_].__name__}")
        _PREDICATES[code_] = fn
        return fn

    return add


def get(code_: str) -> Predicate:
    """The predicate registered for ``code_``; a clear error for an unknown code."""
    try:
        return _PREDICATES[code_]
    except KeyError:
        known = "、".join(sorted(_PREDICATES)) or "无"
        raise KeyError(f"数据核查 {code_} 没有登记判断函数（lib/rules/quality.py 已登记：{known}）") from None


def check_registry() -> None:
    """Every catalogue row has its predicate (by that name) and its code, and vice versa."""
    rows, registered = set(QUALITY_RULE_BY_CODE), set(_PREDICATES)
    problems = [f"{c} 在 QUALITY_RULES 中没有登记判断函数" for c in sorted(rows - registered)]
    problems += [f"{c} 登记了判断函数但不在 QUALITY_RULES 中" for c in sorted(registered - rows)]
    for rule in QUALITY_RULES:
        fn = _PREDICATES.get(rule.code)
        if fn is not None and fn.__name__ != rule.predicate:
            problems.append(f"{rule.code} 的判断函数是 {fn.__name__}，目录中写的是 {rule.predicate}")
        found = CODE_BY_NAME.get(rule.code)
        if found is None or found.stage != "核查" or found.level != rule.level:
            problems.append(f"{rule.code} 在 lib/codes.py 中应登记为核查阶段、级别 {rule.level}")
    if problems:
        raise RuntimeError("数据核查规则登记不一致：" + "；".join(problems))


# ---------------------------------------------------------------------------------------
# Helpers the predicates share
# ---------------------------------------------------------------------------------------


def _number(value: float | int | pl.Expr) -> pl.Expr:
    """A number as the sentence shows it: at most 2 decimals, none when whole."""
    x = (value if isinstance(value, pl.Expr) else pl.lit(value)).cast(pl.Float64).round(2)
    return pl.when(x == x.round(0)).then(x.cast(pl.Int64).cast(pl.String)).otherwise(x.cast(pl.String))


def _hits(frame: pl.LazyFrame, condition: pl.Expr, **fields: float | int | str | pl.Expr) -> pl.LazyFrame:
    """The rows of ``frame`` where ``condition`` holds, with the sentence's fields (numbers
    shown by `_number`, text as is)."""
    shown = {
        name: (pl.lit(value) if isinstance(value, str) else _number(value)).alias(name)
        for name, value in fields.items()
    }
    return frame.filter(condition.fill_null(False)).with_columns(**shown)


def _skill_is(kinds: tuple[str, ...]) -> pl.Expr:
    return pl.col(SKILL).is_in(list(kinds))


def _whole_household_without_labour() -> pl.Expr:
    # every member read, and every one 丧失/无劳动力 (a blank 劳动技能 is not "no labour")
    return (pl.col(MEMBER_ROWS) > 0) & (pl.col(NO_LABOUR_ROWS) == pl.col(MEMBER_ROWS))


# ---------------------------------------------------------------------------------------
# The predicates, one per row of QUALITY_RULES (same order)
# ---------------------------------------------------------------------------------------


@register("W501")
def wage_too_low(f: Facts) -> pl.LazyFrame:
    worked = (pl.col(WAGE) > 0) | (pl.col(MONTHS) > 0)  # someone not working has no monthly wage
    return _hits(f.persons, worked & (pl.col(WAGE) < f.params.monthly_wage_min),
                 务工月收入=pl.col(WAGE), 下限=f.params.monthly_wage_min)


@register("W502")
def wage_too_high(f: Facts) -> pl.LazyFrame:
    return _hits(f.persons, pl.col(WAGE) > f.params.monthly_wage_max,
                 务工月收入=pl.col(WAGE), 上限=f.params.monthly_wage_max)


@register("W503")
def post_too_old(f: Facts) -> pl.LazyFrame:
    return _hits(f.persons, pl.col(POST) & (pl.col(AGE) >= f.params.post_age_max),
                 年龄=pl.col(AGE), 上限=f.params.post_age_max)


@register("W504")
def post_too_young(f: Facts) -> pl.LazyFrame:
    return _hits(f.persons, pl.col(POST) & (pl.col(AGE) < f.params.labour_age_min),
                 年龄=pl.col(AGE), 下限=f.params.labour_age_min)


@register("W505")
def post_without_labour(f: Facts) -> pl.LazyFrame:
    return _hits(f.persons, pl.col(POST) & _skill_is(NO_LABOUR))


@register("W506")
def too_many_posts(f: Facts) -> pl.LazyFrame:
    return _hits(f.households, pl.col(POSTS) > f.params.posts_per_household_max,
                 人数=pl.col(POSTS), 上限=f.params.posts_per_household_max)


@register("W507")
def child_as_labour(f: Facts) -> pl.LazyFrame:
    return _hits(f.persons, (pl.col(AGE) < f.params.labour_age_min) & _skill_is(LABOUR_KINDS),
                 年龄=pl.col(AGE), 下限=f.params.labour_age_min)


@register("W508")
def senior_as_full_labour(f: Facts) -> pl.LazyFrame:
    return _hits(f.persons, (pl.col(AGE) >= f.params.senior_age) & _skill_is(FULL_LABOUR),
                 年龄=pl.col(AGE), 下限=f.params.senior_age)


@register("W509")
def pupil_as_labour(f: Facts) -> pl.LazyFrame:
    in_school = pl.col(SCHOOL).is_not_null() & ~pl.col(SCHOOL).str.strip_chars().is_in(list(NOT_IN_SCHOOL))
    return _hits(f.persons, in_school & _skill_is(LABOUR_KINDS))


@register("W510")
def skill_blank(f: Facts) -> pl.LazyFrame:
    return _hits(f.persons, pl.col(SKILL).is_null() | (pl.col(SKILL).str.strip_chars() == ""))


@register("W511")
def work_without_labour(f: Facts) -> pl.LazyFrame:
    return _hits(f.persons, _skill_is(NO_LABOUR) & (pl.col(MONTHS) > 0), 务工月数=pl.col(MONTHS))


@register("W512")
def tekun_with_labour(f: Facts) -> pl.LazyFrame:
    q = f.params
    working_age = (pl.col(AGE) >= q.labour_age_min) & (pl.col(AGE) < q.senior_age)
    return _hits(f.persons, pl.col(ON_TEKUN) & working_age & _skill_is(LABOUR_KINDS), 年龄=pl.col(AGE))


@register("W513")
def no_labour_no_safety_net(f: Facts) -> pl.LazyFrame:
    covered = (
        pl.col("是否低保户").fill_null(False) | pl.col("是否特困户").fill_null(False)
        | (pl.col(DIBAO_ROWS) > 0) | (pl.col(TEKUN_ROWS) > 0)
    )
    return _hits(f.households, _whole_household_without_labour() & ~covered, 人数=pl.col(MEMBER_ROWS))


@register("W514")
def eliminated_below_line(f: Facts) -> pl.LazyFrame:
    return _hits(f.households, pl.col("风险是否消除") & (pl.col(PC_THIS) < f.line),
                 年度=f.year, 人均=pl.col(PC_THIS), 监测线=f.line)


@register("W515")
def should_monitor(f: Facts) -> pl.LazyFrame:
    # the rule itself is lib/rules/warning.py's 应纳未纳; here it becomes a finding to check
    return _hits(f.households, pl.col(SHOULD_MONITOR), 年度=f.year, 人均=pl.col(PC_THIS), 监测线=f.line)


def _on_dibao() -> pl.Expr:
    return pl.col("是否低保户").fill_null(False) | (pl.col(DIBAO_ROWS).fill_null(0) > 0)


@register("W516")
def dibao_paid_not_enrolled(f: Facts) -> pl.LazyFrame:
    return _hits(f.households, (pl.col(DIBAO_PAID) > 0) & ~_on_dibao(), 年度=f.year, 低保金=pl.col(DIBAO_PAID))


@register("W517")
def dibao_enrolled_not_paid(f: Facts) -> pl.LazyFrame:
    # 本年低保金 is null when this year was not surveyed: nothing to say then
    return _hits(f.households, _on_dibao() & (pl.col(DIBAO_PAID) == 0), 年度=f.year)


@register("W518")
def unstable_work_without_labour(f: Facts) -> pl.LazyFrame:
    return _hits(f.households, pl.col("务工不稳风险") & _whole_household_without_labour(), 人数=pl.col(MEMBER_ROWS))


@register("W519")
def per_capita_differs(f: Facts) -> pl.LazyFrame:
    gap = (pl.col(PC_THIS) - pl.col(PC_SYSTEM)).abs()
    return _hits(f.households, gap > f.params.per_capita_tolerance,
                 年度=f.year, 计算=pl.col(PC_THIS), 系统=pl.col(PC_SYSTEM), 差额=gap)


check_registry()


# ---------------------------------------------------------------------------------------
# The facts and the run
# ---------------------------------------------------------------------------------------


def _household_label() -> pl.Expr:
    return pl.coalesce(pl.col("户主姓名") + pl.lit("户"), pl.lit("户编号") + pl.col(ID) + pl.lit("的户")).alias(WHO_HOUSEHOLD)


def _member_label() -> pl.Expr:
    """成员（之子，第12行） / 成员（户主，第3行）: the relation and where the row is."""
    where = pl.concat_str(pl.lit("第"), pl.col("来源行号").cast(pl.String), pl.lit("行"))
    inner = pl.concat_str(pl.col(RELATION), where, separator="，", ignore_nulls=True)
    return (
        pl.when(inner.is_not_null() & (inner != ""))
        .then(pl.concat_str(pl.lit("成员（"), inner, pl.lit("）")))
        .otherwise(pl.lit("成员"))
        .alias(WHO_MEMBER)
    )


def _this_year_persons(persons: pl.DataFrame | None, households: pl.DataFrame, year: int) -> pl.LazyFrame:
    persons = empty_persons() if persons is None else persons
    who = households.lazy().select(ID, VILLAGE, "户主姓名")
    return (
        persons.lazy()
        .filter(pl.col(YEAR) == year)
        .join(who, on=ID, how="inner")  # members of households outside 户信息 are not checked
        .with_columns(
            _household_label(), _member_label(),
            pl.col("来源工作表").alias(SHEET), pl.col("来源行号").alias(ROW),
        )
    )


def _member_counts(members: pl.LazyFrame) -> pl.LazyFrame:
    return members.group_by(ID).agg(
        pl.len().alias(MEMBER_ROWS),
        _skill_is(LABOUR_KINDS).sum().alias(LABOUR_ROWS),
        _skill_is(NO_LABOUR).sum().alias(NO_LABOUR_ROWS),
        pl.col(POST).fill_null(False).sum().alias(POSTS),
        pl.col(ON_DIBAO).fill_null(False).sum().alias(DIBAO_ROWS),
        pl.col(ON_TEKUN).fill_null(False).sum().alias(TEKUN_ROWS),
    )


def _needed_columns() -> tuple[str, ...]:
    return tuple(dict.fromkeys(c for rule in QUALITY_RULES for c in rule.needs))


def _household_facts(
    households: pl.DataFrame,
    roster: pl.DataFrame | None,
    members: pl.LazyFrame,
    items: pl.DataFrame | None,
    income: pl.DataFrame | None,
    year: int,
) -> pl.LazyFrame:
    base = households.lazy().select(
        ID, VILLAGE, "户主姓名", "是否低保户", "是否特困户", PC_THIS, SHOULD_MONITOR,
        *(c for c in _needed_columns() if c in households.columns),
    )
    # Optional roster columns (风险是否消除 …) the result frame does not carry.
    extra = [c for c in _needed_columns() if roster is not None and c in roster.columns and c not in households.columns]
    if extra:
        base = base.join(roster.lazy().select(ID, *extra), on=ID, how="left", maintain_order="left")
    # The export's own per-capita: carried into the households, else this year's income rows.
    if PC_SYSTEM not in households.columns and income is not None and "系统人均纯收入" in income.columns:
        system = income.lazy().filter(pl.col(YEAR) == year).select(ID, pl.col("系统人均纯收入").alias(PC_SYSTEM))
        base = base.join(system.unique(ID, keep="first"), on=ID, how="left", maintain_order="left")
    if items is not None and items.height:
        paid = items.lazy().filter(pl.col(ITEM_NAME_COLUMN).cast(pl.String) == "低保金").select(
            ID, pl.col(THIS).alias(DIBAO_PAID)
        )
    else:
        paid = pl.LazyFrame(schema={ID: pl.String, DIBAO_PAID: pl.Float64})
    return (
        base.join(paid, on=ID, how="left", maintain_order="left")
        .join(_member_counts(members), on=ID, how="left", maintain_order="left")
        .with_columns(
            # the item table leaves out items that are 0 in both years: 0 when this year was surveyed
            pl.when(pl.col(PC_THIS).is_not_null()).then(pl.col(DIBAO_PAID).fill_null(0.0)).alias(DIBAO_PAID),
            _household_label(),
            pl.lit(None, dtype=pl.String).alias(SHEET),
            pl.lit(None, dtype=pl.Int64).alias(ROW),
        )
    )


def empty_quality() -> pl.DataFrame:
    """No findings, in FINDING_COLUMNS."""
    return pl.DataFrame(schema={c: (pl.Int64 if c == ROW else pl.String) for c in FINDING_COLUMNS})


def check_quality(
    households: pl.DataFrame,
    policy: Policy,
    year: int,
    *,
    persons: pl.DataFrame | None = None,
    roster: pl.DataFrame | None = None,
    items: pl.DataFrame | None = None,
    income: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Every data check on one analysis: findings in FINDING_COLUMNS, by village and household.

    ``households`` is the result frame (one row per household with 本年人均纯收入 and
    应纳未纳); ``persons`` the members (PERSON_SCHEMA; only 年度 = ``year`` is checked);
    ``roster`` the input 户信息 (for optional columns such as 风险是否消除); ``items`` the
    long item comparison (for 低保金); ``income`` the 收入 rows (for 系统人均纯收入).
    """
    members = _this_year_persons(persons, households, year)
    facts = Facts(
        persons=members,
        households=_household_facts(households, roster, members, items, income, year),
        params=policy.quality,
        year=year,
        line=policy.threshold(year),
    )
    person_columns = set(members.collect_schema().names())
    household_columns = set(facts.households.collect_schema().names())
    parts = []
    for rule in QUALITY_RULES:
        have = person_columns if rule.checks == PERSON else household_columns
        if not set(rule.needs) <= have:
            continue  # the input has no such column (e.g. a workbook): the rule does not apply
        fields = {name: pl.col(name) for name in template_fields(rule.code)}
        parts.append(
            get(rule.code)(facts).select(
                ID, VILLAGE,
                pl.lit(rule.code).alias("代码"), pl.lit(rule.level).alias("级别"),
                sentence(rule.code, **fields).alias("说明"),
                pl.col(SHEET).cast(pl.String), pl.col(ROW).cast(pl.Int64),
            )
        )
    if not parts:
        return empty_quality()
    order = {r.code: i for i, r in enumerate(QUALITY_RULES)}
    return (
        pl.concat(parts)
        .with_columns(pl.col("代码").replace_strict(order, return_dtype=pl.Int64).alias("_序"))
        .sort(VILLAGE, ID, "_序", ROW, nulls_last=True)
        .drop("_序")
        .collect(engine=ENGINE)
    )


# ---------------------------------------------------------------------------------------
# Reading the findings: counts, and one table with the reader's findings
# ---------------------------------------------------------------------------------------


def quality_counts(quality: pl.DataFrame) -> pl.DataFrame:
    """代码, 核查项, 条数, 户数: the rules that found something, in catalogue order."""
    schema = {"代码": pl.String, "核查项": pl.String, "条数": pl.Int64, "户数": pl.Int64}
    if quality.height == 0 or "代码" not in quality.columns:
        return pl.DataFrame(schema=schema)
    counted = quality.group_by("代码").agg(pl.len().cast(pl.Int64).alias("条数"), pl.col(ID).n_unique().cast(pl.Int64).alias("户数"))
    rows = {r["代码"]: r for r in counted.iter_rows(named=True)}
    return pl.DataFrame(
        [(r.code, label(r.code), rows[r.code]["条数"], rows[r.code]["户数"]) for r in QUALITY_RULES if r.code in rows],
        schema=schema, orient="row",
    )


def findings_table(quality: pl.DataFrame, findings: pl.DataFrame | None = None) -> pl.DataFrame:
    """findings.csv: the reader's and the rules' findings (REJECT_COLUMNS, located by sheet
    and row) first, then the data checks, all in FINDING_COLUMNS."""
    parts = [empty_quality()]
    if findings is not None and findings.height:
        levels = {c.code: c.level for c in CODE_BY_NAME.values()}
        parts.append(findings.select(
            pl.lit(None, dtype=pl.String).alias(ID),
            pl.lit(None, dtype=pl.String).alias(VILLAGE),
            pl.col("代码"),
            pl.col("代码").replace_strict(levels, default=None, return_dtype=pl.String).alias("级别"),
            pl.col("原因").alias("说明"),
            pl.col(REJECT_COLUMNS[0]).alias(SHEET),
            pl.col(REJECT_COLUMNS[1]).cast(pl.Int64).alias(ROW),
        ))
    if quality is not None and quality.height:
        parts.append(quality.select(FINDING_COLUMNS))
    return pl.concat(parts)


__all__ = [
    "Facts", "check_quality", "check_registry", "empty_quality",
    "findings_table", "get", "quality_counts", "register",
]
