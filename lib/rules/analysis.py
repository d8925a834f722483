"""`analyze`: the whole rules engine on one canonical input, composed from the rule modules.

    data (lib.io.reader.InputData) ──► income (two years side by side, item table, rejects)
        ──► classify (收入研判) ──► warning (预警等级, 应纳未纳) ──► risk (R1–R9 table)
        ──► measures (低保 check, recommendations, measures sheet) ──► explain (说明)
        ──► ledger (台账 views), poverty (FGT, transitions), summary

Every household of 户信息 is exactly one row of `Analysis.households`, in the roster's order,
with the columns of docs/contract.md §2 in that order (helper modules may add more after).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import polars as pl

from lib.catalogue import (
    DECREASE,
    EXIT_REASON,
    EXITED,
    ID,
    JUDGEMENTS,
    MEASURE_NAMES,
    NEW_ENTRY,
    ROSTER_STATUS_COLUMNS,
    VILLAGE,
    WARNING_LEVELS,
    empty_persons,
)
from lib.codes import InputError, empty_problems
from lib.policy import Policy
from lib.rules.classify import (
    CHANGE,
    CHANGE_RATE,
    JUDGEMENT,
    PC_LAST,
    PC_THIS,
    classify,
)
from lib.rules.explain import EXPLANATION, explain
from lib.rules.figures import FIGURES, label, risk_point_figures, village_figures
from lib.rules.income import ENGINE, YearsError, choose_years, compare_income
from lib.rules.quality import check_quality, empty_quality, quality_counts
from lib.rules.risk import (
    CODE,
    HOUSEHOLD_LABELS,
    LOST,
    ROW,
    attach_risks,
    evaluate_risks,
    survey_causes,
    survey_findings,
)
from lib.rules.warning import LEVEL, SHOULD_MONITOR, add_warnings

# 户信息 columns as the contract types them (a frame built by hand may leave optional ones out).
ROSTER_COLUMNS: dict[str, pl.DataType] = {
    "户编号": pl.String(), "乡镇": pl.String(), "村": pl.String(), "户主姓名": pl.String(),
    "证件号码": pl.String(), "联系电话": pl.String(), "户类型": pl.String(), "监测对象类别": pl.String(),
    "家庭人口数": pl.Int64(), "劳动力人数": pl.Int64(), "弱劳动力或半劳动力人数": pl.Int64(),
    "重度残疾人数": pl.Int64(), "重病人数": pl.Int64(),
    "是否低保户": pl.Boolean(), "是否特困户": pl.Boolean(), "是否受灾": pl.Boolean(),
}
# The export's status columns (docs/contract.md §1), null when the input has none; carried
# through after the contract columns for the data-quality checks and the exits.
STATUS_COLUMNS: dict[str, pl.DataType] = {
    c.name: {"bool": pl.Boolean(), "int": pl.Int64(), "date": pl.Date()}.get(c.dtype, pl.String())
    for c in ROSTER_STATUS_COLUMNS
}
_ZERO_IF_MISSING = ("重度残疾人数", "重病人数")
_FALSE_IF_MISSING = ("是否低保户", "是否特困户", "是否受灾")

INCOME_RESULT_COLUMNS = (
    "上年家庭人口数", "本年家庭人口数",
    "上年工资性收入", "本年工资性收入", "上年生产经营性收入", "本年生产经营性收入",
    "上年财产性收入", "本年财产性收入", "上年转移性收入", "本年转移性收入",
    "上年家庭纯收入", "本年家庭纯收入", PC_LAST, PC_THIS, CHANGE, CHANGE_RATE,
    JUDGEMENT, LEVEL, CODE, HOUSEHOLD_LABELS, LOST, SHOULD_MONITOR,
)
MEASURE_RESULT_COLUMNS = (
    "推荐措施", "推荐理由", "已有措施", "已落实措施数", "计划措施数", "预计增收合计", "收入缺口", "预计能恢复",
    "低保核算人均收入", "低于低保标准", "单人户审核", "低保渐退",
)
# docs/contract.md §2: the households frame starts with these, in this order.
HOUSEHOLD_RESULT_COLUMNS = (*ROSTER_COLUMNS, *INCOME_RESULT_COLUMNS, *MEASURE_RESULT_COLUMNS, EXPLANATION)

# The CLI's households.csv (DESIGN.md "CLI"), plus 说明.
CSV_COLUMNS = (
    ID, VILLAGE, PC_LAST, PC_THIS, CHANGE, JUDGEMENT, LEVEL, HOUSEHOLD_LABELS, SHOULD_MONITOR, "推荐措施", EXPLANATION,
)
CSV_LIST_SEPARATOR = ";"


@dataclass(frozen=True)
class Analysis:
    year_last: int
    year_this: int
    policy: Policy
    households: pl.DataFrame  # one row per household of 户信息 (HOUSEHOLD_RESULT_COLUMNS first, then STATUS_COLUMNS)
    items: pl.DataFrame  # long: 户编号, 村, 收入项目, 收入类别, 上年, 本年, 变化
    risks: pl.DataFrame  # long: 户编号, 村, 风险点代码, 风险点, 减收金额, 细分原因, 原因来源, 收入研判
    recommendations: pl.DataFrame  # long: 户编号, 村, 措施代码, 措施类型, 牵头单位, 推荐理由
    measures: pl.DataFrame  # input measures joined to households (+ 村, 措施名称)
    ledger: dict[str, pl.DataFrame]  # named views, see lib/rules/ledger.py
    fgt: pl.DataFrame  # 村 (incl. 全区), 年度, 监测线, 户数, 人数, P0, P1, P2
    transitions: pl.DataFrame  # 上年区间, 本年区间, 户数
    rejects: pl.DataFrame  # reader rejects + rows the rules could not use
    findings: pl.DataFrame  # reader findings + survey causes the numbers do not show
    summary: dict  # JSON-able district figures (summary.json)
    persons: pl.DataFrame = field(default_factory=empty_persons)  # the input's members (PERSON_SCHEMA)
    quality: pl.DataFrame = field(default_factory=empty_quality)  # 数据核查 (FINDING_COLUMNS)
    # 截至: the day the figures are read as of; the 8月31日 / 9月30日 deadlines count from it
    as_of: dt.date = field(default_factory=dt.date.today)


def _complete_roster(households: pl.DataFrame) -> pl.DataFrame:
    """户信息 with every contract column present (blank counts 0, blank flags false)."""
    missing = []
    for name, dtype in {**ROSTER_COLUMNS, **STATUS_COLUMNS}.items():
        if name in households.columns:
            continue
        if name in _ZERO_IF_MISSING:
            missing.append(pl.lit(0, dtype).alias(name))
        elif name in _FALSE_IF_MISSING:
            missing.append(pl.lit(False, dtype).alias(name))
        else:
            missing.append(pl.lit(None, dtype).alias(name))
    return households.with_columns(missing) if missing else households


def _problems(*frames: pl.DataFrame) -> pl.DataFrame:
    empty = empty_problems()
    parts = [f.select(pl.col(c).cast(t) for c, t in empty.schema.items()) for f in frames if f is not None and f.height]
    return pl.concat(parts) if parts else empty


def analyze(
    data, policy: Policy, years: tuple[int, int] | None = None, as_of: dt.date | None = None
) -> Analysis:
    """Run every rule on ``data`` (a `lib.io.reader.InputData`) and return the `Analysis`.

    ``years`` = (上年, 本年) to compare; default the latest year in 收入 and the one before.
    ``as_of`` is the 截至 date the briefings print (default today); no figure depends on it (a
    measure marked 已落实 with a later 落实日期 is a finding, W402).
    Raises `lib.codes.InputError` when the years cannot be compared and `PolicyError` when
    the policy has no monitoring line for one of them.
    """
    from lib.rules.ledger import build_ledger
    from lib.rules.measures import (
        attach_measures,
        dibao_check,
        recommend,
        measures_dated_later,
        unmatched_measures,
    )
    from lib.rules.poverty import fgt, transitions

    try:
        year_last, year_this = choose_years(data.income, years)
    except YearsError as exc:
        raise InputError(str(exc)) from None
    policy.threshold(year_last), policy.threshold(year_this)  # a missing year fails early, in Chinese

    roster = _complete_roster(data.households)
    income = compare_income(roster, data.income, policy, year_last, year_this)
    wide = add_warnings(classify(income.households, policy), policy, year_this)
    causes = survey_causes(wide).collect(engine=ENGINE)  # read by the risk points and the findings
    risks = evaluate_risks(wide, policy, keep_row=True, causes=causes)  # roster row kept for cheap joins
    rule_findings = survey_findings(wide, risks, causes)
    wide = attach_risks(wide, risks)

    households = wide.select(*ROSTER_COLUMNS, *INCOME_RESULT_COLUMNS, *STATUS_COLUMNS)
    items, income_rejects = income.items, income.rejects
    del wide, income  # the wide per-item frame is done with: at 1M households it is ~0.3 GB
    households = _beside(households, dibao_check(households, items, policy, year_this))
    recommendations = recommend(households, policy, year_this)
    households, measures_joined = attach_measures(households, recommendations, data.measures)
    households = _beside(households, explain(households, risks, policy, year_last, year_this))
    households = _exit_sentences(households)
    risks = risks.drop(ROW)
    extra = [c for c in households.columns if c not in HOUSEHOLD_RESULT_COLUMNS and c not in STATUS_COLUMNS]
    households = households.select(*HOUSEHOLD_RESULT_COLUMNS, *STATUS_COLUMNS, *extra)

    rejects = _problems(data.rejects, income_rejects, unmatched_measures(households, data.measures))
    as_of = as_of or dt.date.today()
    findings = _problems(data.findings, rule_findings, measures_dated_later(data.measures, as_of))
    # 数据核查 reads the finished households beside the members; it changes no figure.
    persons = getattr(data, "persons", None)
    persons = empty_persons() if persons is None else persons
    quality = check_quality(
        households, policy, year_this, persons=persons, roster=data.households, items=items, income=data.income
    )
    fgt_table = fgt(households, policy, year_last, year_this)
    transition_table = transitions(households, policy, year_last, year_this)
    figures = village_figures(households)  # one table for the ledger's 台账汇总 and summary.json
    ledger = build_ledger(households, measures_joined, figures)
    summary = build_summary(
        households, risks, rejects, findings, policy, year_last, year_this, getattr(data, "source", ""),
        figures=figures,
    )
    summary["数据核查"] = {row["代码"]: row["条数"] for row in quality_counts(quality).iter_rows(named=True)}
    return Analysis(
        year_last=year_last,
        year_this=year_this,
        policy=policy,
        households=households,
        items=items,
        risks=risks,
        recommendations=recommendations,
        measures=measures_joined,
        ledger=ledger,
        fgt=fgt_table,
        transitions=transition_table,
        rejects=rejects,
        findings=findings,
        summary=summary,
        persons=persons,
        quality=quality,
        as_of=as_of,
    )


def _exit_sentences(households: pl.DataFrame) -> pl.DataFrame:
    """A household that left the roster says why (已退出（风险已消除（帮扶消除，2022年6月）），…)."""
    if not households.get_column(JUDGEMENT).eq(EXITED).any():
        return households
    return households.with_columns(
        pl.when(pl.col(JUDGEMENT) == EXITED)
        .then(pl.concat_str(pl.lit(f"{EXITED}（"), pl.col(EXIT_REASON), pl.lit("），不在本年排查范围")))
        .otherwise(pl.col(EXPLANATION))
        .alias(EXPLANATION)
    )


def _beside(households: pl.DataFrame, part: pl.DataFrame) -> pl.DataFrame:
    """``part``'s columns beside ``households``: both are one row per household in roster
    order (checked), so no join is needed."""
    if not part.get_column(ID).equals(households.get_column(ID)):
        raise AssertionError(f"{part.columns} 与户信息的行顺序不一致")
    return households.hstack(part.drop(ID))


# ---------------------------------------------------------------------------------------
# Summary (summary.json)
# ---------------------------------------------------------------------------------------


def _round(share: float | None) -> float | None:
    return None if share is None else round(share, 4)


def build_summary(
    households: pl.DataFrame,
    risks: pl.DataFrame,
    rejects: pl.DataFrame,
    findings: pl.DataFrame,
    policy: Policy,
    year_last: int,
    year_this: int,
    source: str = "",
    figures: pl.DataFrame | None = None,
) -> dict:
    """District figures as a JSON-able dict with Chinese keys (written as summary.json).

    Every count comes from `lib.rules.figures`: 各村 and 全区 are its rows, the nested
    blocks read its 全区 row, 风险点 its risk-point table. ``figures``: the households'
    `village_figures` table when the caller has it already."""
    *villages, district = summary_rows(village_figures(households) if figures is None else figures)
    total = district
    risk_rows = [
        {"代码": r["风险点代码"], "风险点": r["风险点"], "户数": int(r["涉及户数"]),
         "其中减收户数": int(r["其中减收户数"]), LOST: round(float(r[LOST]), 2)}
        for r in risk_point_figures(risks).iter_rows(named=True)
    ]
    reject_codes = dict(rejects.group_by("代码").len().sort("代码").iter_rows()) if rejects.height else {}
    return {
        "数据来源": source,
        "年度": {"上年": year_last, "本年": year_this},
        "监测线": {str(year_last): policy.threshold(year_last), str(year_this): policy.threshold(year_this)},
        "户数": total[label("households")],
        "收入研判": {j: total[j] for j in JUDGEMENTS},
        "预警等级": {**{w: total[label(f"level_{w}")] for w in WARNING_LEVELS}, "未评定": total[label("unrated")]},
        SHOULD_MONITOR: total[label("should_monitor")],
        "排查覆盖": {"应排查户数": total[label("to_survey")], "已排查户数": total[label("surveyed")],
                     "排查率": _round(total[label("survey_rate")])},
        EXITED: total[label("exited")],
        NEW_ENTRY: total[label("new_entry")],
        "措施覆盖": {"减收户数": total[DECREASE], "有措施的减收户数": total[label("decrease_helped")],
                     "覆盖率": _round(total[label("coverage")])},
        "风险点": risk_rows,
        "各村": villages,
        "全区": district,
        "政策参数": [list(row) for row in policy.table()],
        "未使用行数": rejects.height,
        "未使用行按代码": {str(k): int(v) for k, v in reject_codes.items()},
        "数据提示数": findings.height,
    }


# ---------------------------------------------------------------------------------------
# households.csv
# ---------------------------------------------------------------------------------------


def summary_rows(table: pl.DataFrame) -> list[dict]:
    """summary.json's 各村 rows and its 全区 row (last) from a `village_figures` table."""
    money = [f.label for f in FIGURES if f.unit == "元" and not f.key.startswith("_")]
    return table.with_columns(pl.col(money).round(2)).to_dicts()


def households_csv_frame(analysis: Analysis) -> pl.DataFrame:
    """Exactly the CLI's households.csv columns (CSV_COLUMNS), one row per household."""
    return analysis.households.select(
        ID,
        VILLAGE,
        *(pl.col(c).round(2) for c in (PC_LAST, PC_THIS, CHANGE)),
        JUDGEMENT,
        LEVEL,
        pl.col(HOUSEHOLD_LABELS).list.join(CSV_LIST_SEPARATOR),
        pl.when(pl.col(SHOULD_MONITOR)).then(pl.lit("是")).otherwise(pl.lit("否")).alias(SHOULD_MONITOR),
        pl.col("推荐措施")
        .list.eval(pl.element().replace_strict(MEASURE_NAMES, return_dtype=pl.String))
        .list.join(CSV_LIST_SEPARATOR),
        EXPLANATION,
    )
