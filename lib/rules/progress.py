"""Progress across runs: snapshots of a run, what changed between two, the pace toward 8月31日 / 9月30日.

The analyst reruns zengshou every week as workbooks come back (边排查边落实). Each run keeps a
small *snapshot* (``lib.io.history`` writes and reads it); this module holds the pure
computations on it (polars, no I/O):

* `snapshot_households(households, measures)`: per household only what progress needs —
  户编号, 乡镇, 村, 收入研判, 预警等级, risk codes, its measures with status (kind, lead unit,
  status, expected gain), 收入缺口 and whether it is closed (缺口状态). No name, ID or phone.
* `snapshot_figures(households, snap)`: the figures of ``lib.rules.figures`` per village and
  全区, and the three progress shares of `PROGRESS_FIGURES` beside them.
* `compare(before, after)`: the changes of a briefing's 与上次（日期）相比 section.
* `pace(series, …)`: for each village and target, the pace so far and the date it would be
  reached at that pace, against its deadline.

Definitions (each printed in the section's 口径):

* **缺口状态**: 无缺口 (not 减收), 未补足 (减收, and its 已落实 measures' 预计增收 is less than its
  收入缺口), 已补足 (减收, 已落实 measures cover the gap). Only 已落实 measures close a gap;
  the ledger's 预计能恢复 counts planned ones too.
* **newly surveyed**: 未排查 (or not on the roster) before, 已排查 now.
* **measures newly planned / newly 已落实**, counted per (户, 措施类型, 牵头单位):
  新落实 = max(0, 已落实 now − 已落实 before); the planned ones left from before are those
  planned before minus those newly done; 新计划 = max(0, planned now − planned left from before).
* **verdict or warning changed**: on the roster and surveyed before, on the roster now, 收入研判 or 预警等级
  differs (a household newly surveyed is listed as such only).
* **gaps newly closed**: 未补足 before; 已补足 now, or 已排查 and no longer 减收 now.
* **newly at risk without a measure**: 风险户 (减收, or red / orange) with no measure now, and not
  so before.
* **已退出 since then**: on the roster before (not 已退出) and 已退出 now or gone from the roster;
  **新识别 since then**: 新识别 now and not on the roster (or not 新识别) before.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import polars as pl

from lib.catalogue import (
    ACCOUNTING_DUE,
    DECREASE,
    DISTRICT,
    EXITED,
    LEAD_UNITS,
    LEDGER_DUE,
    MEASURE_NAMES,
    NEW_ENTRY,
    NOT_SURVEYED,
    ORANGE,
    RED,
    RISK_BY_CODE,
    VILLAGE,
    code_order,
)
from lib.rules.explain import yuan_text
from lib.rules.figures import TOWNSHIP, VILLAGE_KEYS, Figure, village_figures

ID = "户编号"
JUDGED, LEVEL, RISKS = "收入研判", "预警等级", "风险点代码"
AT_RISK, HELPED, GAP, DONE_GAIN, GAP_STATE = "风险户", "有措施", "收入缺口", "已落实预计增收", "缺口状态"
PER_CAPITA = "本年人均纯收入"
MEASURES = "措施"  # List[Struct{措施代码, 牵头单位, 状态, 预计增收}]
NO_GAP, GAP_OPEN, GAP_CLOSED = "无缺口", "未补足", "已补足"
PLANNED, IMPLEMENTED = "计划", "已落实"
AS_OF = "截至"

SNAPSHOT_SCHEMA: dict[str, pl.DataType] = {
    ID: pl.String, TOWNSHIP: pl.String, VILLAGE: pl.String, JUDGED: pl.String, LEVEL: pl.String,
    RISKS: pl.List(pl.String), AT_RISK: pl.Boolean, HELPED: pl.Boolean, PER_CAPITA: pl.Float64,
    GAP: pl.Float64, DONE_GAIN: pl.Float64, GAP_STATE: pl.String, NEW_ENTRY: pl.Boolean,
    MEASURES: pl.List(pl.Struct({"措施代码": pl.String, "牵头单位": pl.String, "状态": pl.String, "预计增收": pl.Float64})),
}
# What a snapshot may never hold (a test checks): names, IDs, phones, free text.
PRIVATE_COLUMNS = ("户主姓名", "证件号码", "联系电话", "备注", "措施内容", "说明")


# ---------------------------------------------------------------------------------------
# Snapshots
# ---------------------------------------------------------------------------------------


def snapshot_households(households: pl.DataFrame, measures: pl.DataFrame) -> pl.DataFrame:
    """One row per household of ``households`` (`Analysis.households`) with `SNAPSHOT_SCHEMA`."""
    m = measures.select(
        ID, pl.col("措施类型").alias("措施代码"), "牵头单位", pl.col("状态").fill_null(PLANNED),
        pl.col("预计增收").fill_null(0.0).cast(pl.Float64),
    )
    m = m.with_columns(pl.col("牵头单位").fill_null(pl.col("措施代码").replace_strict(LEAD_UNITS, default=None)))
    per_household = m.group_by(ID).agg(
        pl.struct("措施代码", "牵头单位", "状态", "预计增收").alias(MEASURES),
        pl.col("预计增收").filter(pl.col("状态") == IMPLEMENTED).sum().alias(DONE_GAIN),
    )
    hh = households
    for column, dtype in ((TOWNSHIP, pl.String), (NEW_ENTRY, pl.Boolean), (RISKS, pl.List(pl.String))):
        if column not in hh.columns:
            hh = hh.with_columns(pl.lit(None, dtype).alias(column))
    decrease = pl.col(JUDGED) == DECREASE
    out = (
        hh.select(ID, TOWNSHIP, VILLAGE, JUDGED, LEVEL, RISKS, pl.col(PER_CAPITA).cast(pl.Float64),
                  pl.col(GAP).fill_null(0.0).cast(pl.Float64), pl.col(NEW_ENTRY).fill_null(False))
        .join(per_household, on=ID, how="left")
        .with_columns(
            pl.col(MEASURES).fill_null(pl.lit([], SNAPSHOT_SCHEMA[MEASURES])),
            pl.col(DONE_GAIN).fill_null(0.0),
            (decrease | pl.col(LEVEL).is_in([RED, ORANGE])).fill_null(False).alias(AT_RISK),
        )
        .with_columns(
            (pl.col(MEASURES).list.len() > 0).alias(HELPED),
            pl.when(~decrease.fill_null(False)).then(pl.lit(NO_GAP))
            # whole fen, as the ledger's 预计能恢复 decides it
            .when((pl.col(DONE_GAIN) * 100).round() >= (pl.col(GAP) * 100).round()).then(pl.lit(GAP_CLOSED))
            .otherwise(pl.lit(GAP_OPEN)).alias(GAP_STATE),
        )
    )
    return out.select(pl.col(c).cast(t) for c, t in SNAPSHOT_SCHEMA.items())


def _on_roster() -> pl.Expr:
    return pl.col(JUDGED) != EXITED


def _count(condition: pl.Expr) -> pl.Expr:
    return condition.fill_null(False).sum().cast(pl.Int64)


def _share(part: str, whole: str) -> pl.Expr:
    return pl.when(pl.col(whole) > 0).then(pl.col(part) / pl.col(whole))


SURVEY_RATE, COVER_RATE, CLOSED_RATE = "排查率", "风险户措施覆盖率", "缺口补足率"
# The three targets of the season: the share and its deadline (catalogue.DEADLINES).
TARGETS = ((SURVEY_RATE, LEDGER_DUE), (COVER_RATE, LEDGER_DUE), (CLOSED_RATE, ACCOUNTING_DUE))
PROGRESS_FIGURES: tuple[Figure, ...] = (
    Figure("p_to_survey", "应排查户数", "户", "户数 − 已退出。", _count(_on_roster())),
    Figure("p_surveyed", "已排查户数", "户", "应排查户中两个年度都有收入记录的户。",
           _count(_on_roster() & (pl.col(JUDGED) != NOT_SURVEYED))),
    Figure("p_at_risk", "风险户", "户", "减收户，加上未减收但红色或橙色预警的户（台账口径）。", _count(pl.col(AT_RISK))),
    Figure("p_at_risk_helped", "有措施的风险户", "户", "风险户中台账已有至少一项措施（计划或已落实）的户。",
           _count(pl.col(AT_RISK) & pl.col(HELPED))),
    Figure("p_gaps", "有收入缺口户数", "户", "减收户（收入缺口大于 0）。", _count(pl.col(GAP_STATE) != NO_GAP)),
    Figure("p_gaps_closed", "缺口已补足户数", "户", "减收户中已落实措施的预计增收合计不少于收入缺口的户（计划中的措施不算；“缺口未补足户数”则把计划中的措施也算上，衡量的是台账安排够不够）。",
           _count(pl.col(GAP_STATE) == GAP_CLOSED)),
    Figure("survey_rate", SURVEY_RATE, "%", "已排查户数 ÷ 应排查户数；目标 8月31日前 100%。",
           _share("已排查户数", "应排查户数"), additive=False),
    Figure("cover_rate", COVER_RATE, "%", "有措施的风险户 ÷ 风险户；目标 8月31日前 100%（台账）。",
           _share("有措施的风险户", "风险户"), additive=False),
    Figure("closed_rate", CLOSED_RATE, "%", "缺口已补足户数 ÷ 有收入缺口户数；目标 9月30日收入核算前 100%。",
           _share("缺口已补足户数", "有收入缺口户数"), additive=False),
)
PROGRESS_LABELS = tuple(f.label for f in PROGRESS_FIGURES)


def progress_figures(snap: pl.DataFrame) -> pl.DataFrame:
    """`PROGRESS_FIGURES` per village (乡镇, 村) and the 全区 row last (sums, then the shares)."""
    additive = [f for f in PROGRESS_FIGURES if f.additive]
    per_village = snap.group_by(VILLAGE_KEYS).agg(f.expr.alias(f.label) for f in additive).sort(VILLAGE_KEYS, nulls_last=True)
    district = per_village.select(pl.lit(None, pl.String).alias(TOWNSHIP), pl.lit(DISTRICT).alias(VILLAGE),
                                  *(pl.col(f.label).sum() for f in additive))
    table = pl.concat([per_village, district], how="vertical_relaxed")
    return table.with_columns(f.expr.alias(f.label) for f in PROGRESS_FIGURES if not f.additive)


def snapshot_figures(households: pl.DataFrame, snap: pl.DataFrame) -> pl.DataFrame:
    """The figures module's `village_figures` of ``households`` with `progress_figures` of
    ``snap`` beside them (same rows: every village, 全区 last)."""
    figures = village_figures(households)
    prog = progress_figures(snap).drop(TOWNSHIP)
    return figures.join(prog, on=VILLAGE, how="left", maintain_order="left")


# ---------------------------------------------------------------------------------------
# What changed
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Changes:
    """What changed from ``before`` to ``after`` (two snapshots' households); every frame has 村."""

    newly_surveyed: pl.DataFrame  # 户编号, 村, 收入研判, 预警等级
    measures: pl.DataFrame  # 村, 措施代码, 措施类型, 牵头单位, 新计划, 新落实 (counts of measures)
    changed: pl.DataFrame  # 户编号, 村, 上次研判, 本次研判, 上次预警, 本次预警, 原因
    gaps_closed: pl.DataFrame  # 户编号, 村, 收入缺口, 已落实预计增收, 原因
    new_unhelped: pl.DataFrame  # 户编号, 村, 收入研判, 预警等级, 减收风险点
    exited: pl.DataFrame  # 户编号, 村, 上次研判, 原因
    new_entries: pl.DataFrame  # 户编号, 村, 收入研判, 预警等级

    def of_village(self, village: str | None) -> Changes:
        if village is None or village == DISTRICT:
            return self
        return Changes(**{k: getattr(self, k).filter(pl.col(VILLAGE) == village) for k in self.__dataclass_fields__})

    def counts(self) -> dict[str, int]:
        return {
            "新排查": self.newly_surveyed.height,
            "新计划措施": int(self.measures.get_column("新计划").sum() or 0),
            "新落实措施": int(self.measures.get_column("新落实").sum() or 0),
            "研判或预警变化": self.changed.height,
            "缺口新补足": self.gaps_closed.height,
            "新增风险未帮扶": self.new_unhelped.height,
            "已退出": self.exited.height,
            "新识别": self.new_entries.height,
        }

    def is_empty(self) -> bool:
        return not any(self.counts().values())


def _risk_text(codes: pl.Expr) -> pl.Expr:
    return codes.list.eval(pl.element().replace_strict({c: r.label for c, r in RISK_BY_CODE.items()}, default=pl.element())).list.join("、")


def _measure_counts(m: pl.DataFrame) -> pl.DataFrame:
    keys = [ID, VILLAGE, "措施代码", "牵头单位"]
    return (
        m.select(ID, VILLAGE, MEASURES).explode(MEASURES).drop_nulls(MEASURES).unnest(MEASURES)
        .group_by(keys).agg(_count(pl.col("状态") == PLANNED).alias("计划"), _count(pl.col("状态") == IMPLEMENTED).alias("已落实"))
    )


def _measure_changes(before: pl.DataFrame, after: pl.DataFrame) -> pl.DataFrame:
    keys = [ID, VILLAGE, "措施代码", "牵头单位"]
    a, b = _measure_counts(after), _measure_counts(before).drop(VILLAGE)
    both = a.join(b, on=[ID, "措施代码", "牵头单位"], how="left", suffix="_上次").fill_null(0)
    done_new = pl.max_horizontal(pl.col("已落实") - pl.col("已落实_上次"), pl.lit(0))
    left = pl.max_horizontal(pl.col("计划_上次") - done_new, pl.lit(0))
    per = both.with_columns(done_new.alias("新落实")).with_columns(
        pl.max_horizontal(pl.col("计划") - left, pl.lit(0)).alias("新计划"))
    out = (
        per.group_by(keys[1:]).agg(pl.col("新计划").sum().cast(pl.Int64), pl.col("新落实").sum().cast(pl.Int64))
        .filter((pl.col("新计划") > 0) | (pl.col("新落实") > 0))
        .with_columns(pl.col("措施代码").replace_strict(MEASURE_NAMES, default=pl.col("措施代码")).alias("措施类型"))
    )
    return (out.with_columns(code_order("措施代码").alias("_k"))
            .sort([VILLAGE, "_k", "牵头单位"]).select(VILLAGE, "措施代码", "措施类型", "牵头单位", "新计划", "新落实"))


def _fmt_yuan(column: str) -> pl.Expr:
    return yuan_text(pl.col(column)) + pl.lit(" 元")


def _level_text(column: str) -> pl.Expr:
    return pl.when(pl.col(column).is_null()).then(pl.lit("无")).otherwise(pl.col(column) + pl.lit("色"))


def _reason() -> pl.Expr:
    """One sentence: what moved the verdict or the warning."""
    judged = (pl.lit("收入研判由") + pl.col("上次研判") + pl.lit("变为") + pl.col("本次研判"))
    level = pl.lit("预警由") + _level_text("上次预警") + pl.lit("变为") + _level_text("本次预警")
    what = (pl.when(pl.col("上次研判") != pl.col("本次研判")).then(judged)
            .otherwise(pl.lit("收入研判仍为") + pl.col("本次研判")))
    what = what + pl.when(pl.col("上次预警").eq_missing(pl.col("本次预警"))).then(pl.lit("")).otherwise(pl.lit("，") + level)
    cause = (
        pl.when(pl.col("上次研判") == NOT_SURVEYED).then(pl.lit("：本次补录了收入，首次研判"))
        .when(pl.col("本次研判") == NOT_SURVEYED).then(pl.lit("：本次缺少收入记录，需补查"))
        .when(pl.col("人均_上次").is_not_null() & pl.col(PER_CAPITA).is_not_null()
              & (pl.col("人均_上次").round(0) != pl.col(PER_CAPITA).round(0)))
        .then(pl.lit("：核实后本年人均纯收入由 ") + _fmt_yuan("人均_上次") + pl.lit(" 变为 ") + _fmt_yuan(PER_CAPITA))
        .otherwise(pl.lit("：收入数据已更正"))
    )
    new_risks = pl.col(RISKS).fill_null([]).list.set_difference(pl.col("风险_上次").fill_null([]))
    risk = pl.when(new_risks.list.len() > 0).then(pl.lit("，新出现") + _risk_text(new_risks)).otherwise(pl.lit(""))
    return what + cause + risk + pl.lit("。")


def compare(before: pl.DataFrame, after: pl.DataFrame) -> Changes:
    """The changes from snapshot ``before`` to snapshot ``after`` (their household frames)."""
    prev = before.select(
        ID, pl.col(VILLAGE).alias("村_上次"), pl.col(JUDGED).alias("上次研判"), pl.col(LEVEL).alias("上次预警"),
        pl.col(PER_CAPITA).alias("人均_上次"), pl.col(RISKS).alias("风险_上次"), pl.col(AT_RISK).alias("风险户_上次"),
        pl.col(HELPED).alias("有措施_上次"), pl.col(GAP_STATE).alias("缺口_上次"), pl.col(NEW_ENTRY).alias("新识别_上次"),
        pl.lit(True).alias("_在册_上次"),
    )
    both = after.join(prev, on=ID, how="left").with_columns(pl.col("_在册_上次").fill_null(False))
    was = pl.col("_在册_上次")
    surveyed_now = ~pl.col(JUDGED).is_in([NOT_SURVEYED, EXITED])
    newly_surveyed = both.filter(surveyed_now & (~was | (pl.col("上次研判") == NOT_SURVEYED))).select(ID, VILLAGE, JUDGED, LEVEL)

    # newly surveyed households (未排查 before) are listed as such, not again as a changed verdict
    on_both = was & ~pl.col("上次研判").is_in([EXITED, NOT_SURVEYED]) & (pl.col(JUDGED) != EXITED)
    differs = (pl.col("上次研判") != pl.col(JUDGED)) | ~pl.col("上次预警").eq_missing(pl.col(LEVEL))
    changed = (both.filter(on_both & differs)
               .with_columns(pl.col(JUDGED).alias("本次研判"), pl.col(LEVEL).alias("本次预警"))
               .with_columns(_reason().alias("原因"))
               .select(ID, VILLAGE, "上次研判", "本次研判", "上次预警", "本次预警", "原因"))

    closed_now = (pl.col(GAP_STATE) == GAP_CLOSED) | (surveyed_now & (pl.col(GAP_STATE) == NO_GAP))
    gaps_closed = (both.filter(was & (pl.col("缺口_上次") == GAP_OPEN) & closed_now)
                   .with_columns(pl.when(pl.col(GAP_STATE) == GAP_CLOSED)
                                 .then(pl.lit("已落实措施的预计增收已能补足收入缺口"))
                                 .otherwise(pl.lit("核实后不再减收")).alias("原因"))
                   .select(ID, VILLAGE, GAP, DONE_GAIN, "原因"))

    unhelped_now = pl.col(AT_RISK) & ~pl.col(HELPED)
    unhelped_before = (pl.col("风险户_上次") & ~pl.col("有措施_上次")).fill_null(False)
    new_unhelped = (both.filter(unhelped_now & ~unhelped_before)
                    .with_columns(_risk_text(pl.col(RISKS).fill_null([])).alias("减收风险点"))
                    .select(ID, VILLAGE, JUDGED, LEVEL, "减收风险点"))

    now_ids = after.select(ID, pl.lit(True).alias("_在册"))
    gone = (before.filter(pl.col(JUDGED) != EXITED).join(now_ids, on=ID, how="left")
            .filter(pl.col("_在册").is_null())
            .select(ID, VILLAGE, pl.col(JUDGED).alias("上次研判"), pl.lit("本次户信息中已无此户").alias("原因")))
    exited_now = (both.filter(was & (pl.col("上次研判") != EXITED) & (pl.col(JUDGED) == EXITED))
                  .select(ID, VILLAGE, "上次研判", pl.lit("本次标记为已退出").alias("原因")))
    exited = pl.concat([exited_now, gone], how="vertical_relaxed").sort([VILLAGE, ID])

    new_entries = both.filter(pl.col(NEW_ENTRY) & ~(was & pl.col("新识别_上次").fill_null(False))).select(ID, VILLAGE, JUDGED, LEVEL)

    return Changes(
        newly_surveyed.sort([VILLAGE, ID]), _measure_changes(before, after), changed.sort([VILLAGE, ID]),
        gaps_closed.sort([VILLAGE, ID]), new_unhelped.sort([VILLAGE, ID]), exited, new_entries.sort([VILLAGE, ID]),
    )


# ---------------------------------------------------------------------------------------
# Toward the deadlines
# ---------------------------------------------------------------------------------------


def deadline(year: int, target: str) -> dt.date:
    month, day, _ = next(due for name, due in TARGETS if name == target)
    return dt.date(year, month, day)


def pace(series: pl.DataFrame, year: int) -> pl.DataFrame:
    """Per village and target, from ``series`` (截至 Date, 村, the three shares; one row per
    snapshot and village): 当前, 日均进度 (share per day, least squares over the snapshots),
    预计达到 (Date: the day 100 % is reached at that pace; the latest 截至 when reached already;
    null when the pace is not positive), 截止, 能否按期 (Boolean).

    One snapshot gives no pace: 预计达到 is null unless already reached."""
    rows = []
    for (village,), part in series.sort(AS_OF).group_by([VILLAGE], maintain_order=True):
        days = [(d - part[AS_OF][0]).days for d in part[AS_OF]]
        last_day = part[AS_OF][-1]
        for target, (_, _, due_what) in TARGETS:
            values = part[target].to_list()
            points = [(x, y) for x, y in zip(days, values, strict=True) if y is not None]
            current = values[-1]
            slope = None
            if len(points) >= 2 and len({x for x, _ in points}) >= 2:
                mx = sum(x for x, _ in points) / len(points)
                my = sum(y for _, y in points) / len(points)
                slope = sum((x - mx) * (y - my) for x, y in points) / sum((x - mx) ** 2 for x, _ in points)
            due = deadline(year, target)
            if current is None:  # nothing to reach (no household at risk / with a gap)
                reach, ok = None, True
            elif current >= 1 - 1e-9:
                reach, ok = last_day, True
            elif slope and slope > 0:
                reach = last_day + dt.timedelta(days=math.ceil((1 - current) / slope - 1e-6))  # float dust: 21.0000001 is 21
                ok = reach <= due
            else:
                reach, ok = None, False
            rows.append({VILLAGE: village, "指标": target, "当前": current, "日均进度": slope, "预计达到": reach,
                         "截止": due, "截止事项": due_what, "能否按期": ok})
    schema = {VILLAGE: pl.String, "指标": pl.String, "当前": pl.Float64, "日均进度": pl.Float64, "预计达到": pl.Date,
              "截止": pl.Date, "截止事项": pl.String, "能否按期": pl.Boolean}
    return pl.DataFrame(rows, schema=schema)


def village_ranking(now: pl.DataFrame, before: pl.DataFrame | None, paces: pl.DataFrame) -> pl.DataFrame:
    """Villages (not 全区) ranked by progress since ``before`` (the sum of the three shares'
    gains, in points), then by where they stand; 落后 when a target would be missed at the
    village's pace, 未按期指标 names them."""
    shares = list(PROGRESS_LABELS[-3:])
    cur = now.filter(pl.col(VILLAGE) != DISTRICT).select(VILLAGE, *shares)
    if before is not None:
        prev = before.select(VILLAGE, *(pl.col(s).alias(f"{s}_上次") for s in shares))
        cur = cur.join(prev, on=VILLAGE, how="left")
    else:
        cur = cur.with_columns(pl.lit(None, pl.Float64).alias(f"{s}_上次") for s in shares)
    gains = [(pl.col(s).fill_null(1.0) - pl.col(f"{s}_上次").fill_null(pl.col(s).fill_null(1.0))) for s in shares]
    level = [pl.col(s).fill_null(1.0) for s in shares]
    missed = (paces.filter(~pl.col("能否按期")).group_by(VILLAGE)
              .agg(pl.col("指标").alias("未按期指标")))
    out = (cur.with_columns(*(g.alias(f"{s}变化") for g, s in zip(gains, shares, strict=True)),
                            pl.sum_horizontal(gains).alias("进度"), pl.sum_horizontal(level).alias("_水平"))
           .join(missed, on=VILLAGE, how="left")
           .with_columns(pl.col("未按期指标").fill_null([]))
           .with_columns((pl.col("未按期指标").list.len() > 0).alias("落后"))
           .sort(["进度", "_水平", VILLAGE], descending=[True, True, False]))
    return out.select(VILLAGE, *shares, *(f"{s}变化" for s in shares), "进度", "落后",
                      pl.col("未按期指标").list.join("、"))
