"""说明: one Chinese sentence per household, built with polars expressions (no per-row Python).

    务工收入减少9,000元（务工时间缩短）；人均纯收入由12,000元降至8,000元

The risk part lists the household's risk points, biggest loss first; the per-capita part
depends on 收入研判 (未排查 names the missing year); a household below this year's monitoring
line says so. Amounts are yuan, rounded half away from zero (四舍五入), with thousands
separators.
"""

from __future__ import annotations

import polars as pl

from lib import catalogue
from lib.catalogue import DECREASE, EXITED, FLAT, INCREASE, NOT_SURVEYED, RED, code_order
from lib.catalogue import ID
from lib.rules.classify import JUDGEMENT, PC_LAST, PC_THIS
from lib.rules.income import ENGINE
from lib.policy import Policy
from lib.rules.risk import CAUSE, CODE, LOST, MEMBERS_CAUSE_PREFIX, ROW
from lib.rules.warning import LEVEL

EXPLANATION = "说明"

REDUNDANT_CAUSE = "减少"


def risk_phrases() -> dict[str, str]:
    """code → what fell, as the sentence names it: the catalogue rows' ``phrase``."""
    return {p.code: p.phrase for p in catalogue.RISK_POINTS}


def whole_yuan(amount: pl.Expr) -> pl.Expr:
    """The amount rounded half away from zero to whole yuan (Int64): all `yuan_text` shows."""
    return amount.round(0, mode="half_away_from_zero").cast(pl.Int64)


def yuan_text(amount: pl.Expr) -> pl.Expr:
    """12000.4 → '12,000'; -1234.5 → '-1,235' (rounded half away from zero).

    The digits are cut into groups of three from the right with constant slices, each group
    present only when the number reaches it: at 1M rows three times cheaper than a regular
    expression. Exact below 10^12 yuan; beyond, the top group is shown without separators.
    """
    rounded = whole_yuan(amount)
    n = rounded.abs()
    digits = n.cast(pl.String)
    top = 3  # groups above the units: thousands, millions, billions
    groups = []
    for k in range(top, 0, -1):
        head = digits.str.head(-3 * k)
        groups.append(pl.when(n >= 1000**k).then(head if k == top else head.str.tail(3)))
    # null groups (the number does not reach them) drop out together with their separator
    text = pl.concat_str(*groups, digits.str.tail(3), separator=",", ignore_nulls=True)
    # each piece appears once: a when/otherwise over `text` would build it twice
    signed = pl.concat_str(pl.when(rounded < 0).then(pl.lit("-")), text, ignore_nulls=True)
    return pl.when(rounded.is_not_null()).then(signed)


def _yuan_texts(frame: pl.LazyFrame, amounts: dict[str, str]) -> pl.LazyFrame:
    """``frame`` with yuan_text of each amount column (name → text column's name).

    Amounts repeat (26k distinct per-capita figures among 1M households): each distinct
    whole-yuan figure is written once and looked up, a third of the cost of writing every
    row's."""
    whole = frame.with_columns(whole_yuan(pl.col(a)).alias(f"_{t}") for a, t in amounts.items())
    written = (
        pl.concat([whole.select(pl.col(f"_{t}").alias("_元")) for t in amounts.values()])
        .unique()
        .drop_nulls()
        .with_columns(yuan_text(pl.col("_元")).alias("_文字"))
    )
    for text in amounts.values():
        whole = whole.join(
            written.rename({"_元": f"_{text}", "_文字": text}), on=f"_{text}", how="left", maintain_order="left"
        ).drop(f"_{text}")
    return whole


def _fragment_words(has_amount: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """(before, after) the amount of a risk clause; they read only 风险点代码, 细分原因 and
    whether there is an amount, so they can be built once per distinct combination."""
    phrase = pl.col(CODE).replace_strict(risk_phrases(), return_dtype=pl.String)
    cause = pl.col(CAUSE)
    # "减少" as the sub-cause only repeats the phrase ("低保金、特困供养金减少…（减少）")
    shown = pl.when(cause.is_not_null() & (cause != REDUNDANT_CAUSE))
    paren = shown.then(pl.concat_str(pl.lit("（"), cause, pl.lit("）"))).otherwise(pl.lit(""))
    # More members, no item fell: nothing was lost; the amount is what restores last year's
    # per-capita, and the sentence says so.
    more_members = (pl.col(CODE) == catalogue.OTHER_RISK) & cause.str.starts_with(MEMBERS_CAUSE_PREFIX).fill_null(False)
    survey_only = pl.concat_str(
        phrase,
        pl.when(cause.is_not_null())
        .then(pl.concat_str(pl.lit("（调查："), cause, pl.lit("）")))
        .otherwise(pl.lit("（调查填报）")),
    )
    before = (
        pl.when(~has_amount)
        .then(survey_only)
        .when(more_members)
        .then(pl.concat_str(cause, pl.lit("，恢复上年人均水平需增收")))
        .otherwise(phrase)
    )
    after = (
        pl.when(~has_amount)
        .then(pl.lit(""))
        .when(more_members)
        .then(pl.lit("元"))
        .otherwise(pl.concat_str(pl.lit("元"), paren))
    )
    return before, after


def risk_fragment() -> pl.Expr:
    """One risk row as a clause: '务工收入减少9,000元（务工时间缩短）', or for a point only the
    survey names, '帮扶不到位减收（调查：帮扶措施未落实）'."""
    before, after = _fragment_words(pl.col(LOST).is_not_null())
    return pl.concat_str(before, yuan_text(pl.col(LOST)).fill_null(""), after)


def risk_sentences(risks: pl.DataFrame) -> pl.LazyFrame:
    """(key, _风险说明): every risk clause of a household, biggest loss first, '；'-joined.
    The key is the roster row (`lib.rules.risk.ROW`) when ``risks`` carries it, else 户编号."""
    key = ROW if ROW in risks.columns else ID
    rows = risks.lazy().select(key, CODE, CAUSE, LOST, pl.col(LOST).is_not_null().alias("_有金额"))
    # `risk_fragment`, built from parts: the words once per distinct (point, sub-cause,
    # amount or not), about 60 of them, and the amounts once per distinct figure.
    before, after = _fragment_words(pl.col("_有金额"))
    words_key = [CODE, CAUSE, "_有金额"]
    words = rows.select(words_key).unique().with_columns(before.alias("_前"), after.alias("_后"))
    return (
        _yuan_texts(rows, {LOST: "_金额"})
        .join(words, on=words_key, how="left", maintain_order="left", nulls_equal=True)
        .select(
            key,
            CODE,
            # ordered by the amount as the sentence shows it, to the fen: float dust (0.0100…09
            # against 0.0099…) must not decide between two clauses that both read "0元"
            pl.col(LOST).round(2).fill_null(-1.0).alias("_序"),
            pl.concat_str("_前", pl.col("_金额").fill_null(""), "_后").alias("_风险说明"),
        )
        # a household's clauses together, biggest loss first (codes, by number, break ties)
        .sort(key, "_序", code_order(CODE), descending=[False, True, False], maintain_order=True)
        # sorted, so each household is one run of rows: grouping runs needs no hashing
        .group_by(pl.col(key).rle_id().alias("_段"), maintain_order=True)
        .agg(pl.col(key).first(), "_风险说明")  # a list, joined after: cheaper than str.join here
        .drop("_段")
        .with_columns(pl.col("_风险说明").list.join("；"))
    )


# The per-capita clause of each 收入研判 around last year's and this year's figures:
# (before, between, after). A missing year's figure is null and drops out of the sentence.
MISSING_LAST, MISSING_THIS, MISSING_BOTH = "缺上年", "缺本年", "缺两年"


def _clause_parts(year_last: int, year_this: int) -> dict[str, tuple[str, str, str]]:
    return {
        DECREASE: ("人均纯收入由", "元降至", "元"),
        INCREASE: ("人均纯收入由", "元增至", "元"),
        FLAT: ("人均纯收入上年", "元、本年", "元，基本持平"),
        MISSING_LAST: (f"缺少{year_last}年收入数据，未排查；{year_this}年人均纯收入", "", "元"),
        MISSING_THIS: (f"缺少{year_this}年收入数据，未排查；{year_last}年人均纯收入", "元", ""),
        MISSING_BOTH: (f"缺少{year_last}年和{year_this}年收入数据，未排查", "", ""),
        EXITED: ("", "", ""),  # written by lib.rules.analysis from the 退出原因
    }


def per_capita_clause(
    policy: Policy,
    year_last: int,
    year_this: int,
    texts: tuple[pl.Expr, pl.Expr] | None = None,
    lead: pl.Expr | None = None,
) -> pl.Expr:
    """The per-capita clause; ``texts`` = yuan_text of 上年/本年人均纯收入 when already written,
    ``lead`` = text put before the clause (null: none), in the same pass over the rows."""
    missing_last, missing_this = pl.col(PC_LAST).is_null(), pl.col(PC_THIS).is_null()
    form = (
        pl.when(pl.col(JUDGEMENT) != NOT_SURVEYED)
        .then(pl.col(JUDGEMENT))
        .when(missing_last & missing_this)
        .then(pl.lit(MISSING_BOTH))
        .when(missing_last)
        .then(pl.lit(MISSING_LAST))
        .otherwise(pl.lit(MISSING_THIS))
    )
    parts = _clause_parts(year_last, year_this)
    # the form looked up once, as a position; the three pieces are then taken by position
    position = form.replace_strict({k: i for i, k in enumerate(parts)}, return_dtype=pl.UInt32)
    before, between, after = (pl.lit(pl.Series([v[i] for v in parts.values()])).gather(position) for i in range(3))
    # The same text for every household below the line: built once, not once per row.
    line = pl.select(yuan_text(pl.lit(policy.threshold(year_this)))).item()
    below = pl.when(pl.col(LEVEL) == RED).then(pl.lit(f"，低于{year_this}年监测线{line}元"))
    last_text, this_text = texts if texts is not None else (yuan_text(pl.col(PC_LAST)), yuan_text(pl.col(PC_THIS)))
    lead = pl.lit(None, pl.String) if lead is None else lead
    return pl.concat_str(lead, before, last_text, between, this_text, after, below, ignore_nulls=True)


def explain(
    households: pl.DataFrame, risks: pl.DataFrame, policy: Policy, year_last: int, year_this: int
) -> pl.DataFrame:
    """(户编号, 说明) for every household of ``households``, in its order.

    ``risks`` is the long risk table; with the roster row (`lib.rules.risk.ROW`, from
    ``evaluate_risks(..., keep_row=True)``) the join is on integers."""
    key = ROW if ROW in risks.columns else ID
    frame = households.lazy().select(ID, PC_LAST, PC_THIS, JUDGEMENT, LEVEL)
    if key == ROW:
        frame = frame.with_row_index(ROW)
    texts = (pl.col("_上年文字"), pl.col("_本年文字"))
    return (
        _yuan_texts(frame, {PC_LAST: "_上年文字", PC_THIS: "_本年文字"})
        .join(risk_sentences(risks), on=key, how="left", maintain_order="left")
        .select(
            ID,
            # the risk clauses, then "；" and the per-capita clause (alone when no risk),
            # written in one pass
            per_capita_clause(
                policy, year_last, year_this, texts, lead=pl.concat_str(pl.col("_风险说明"), pl.lit("；"))
            ).alias(EXPLANATION),
        )
        .collect(engine=ENGINE)
    )
