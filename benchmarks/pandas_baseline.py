"""The whole analysis once more, in plain vectorised pandas: the benchmark's baseline and an
independent cross-check of the polars engine (`lib.rules.analysis.analyze`).

Written from the spec (../shared/DESIGN.md "Rules", docs/contract.md and the docstrings that
state a rule), never translated from the engine's code: it shares only the catalogue (items,
risk points, measures) and the Policy. Vectorised throughout (index alignment, numpy,
``bincount``, ``groupby`` sums, pandas string methods), no row-wise ``apply``, so that the
timing comparison is fair. Texts that a rule joins for each household (risk clauses, reasons)
are joined by rank: the k-th piece of every household in one column operation.

Two entry points, the same split as the benchmark's two figures:
- `analyze_core`: the rules core — incomes by kind, 收入研判, 预警等级 / 应纳未纳, R1–R9 with
  yuan lost and sub-causes (survey wording included), the long risk and item tables, survey
  findings (W401) and the income rows not used (E401–E403);
- `analyze_full`: the core and everything `analyze` adds — the 低保 check, recommendations
  M1–M5 with their reasons, the measures sheet per household, 收入缺口 / 预计能恢复, the
  ledger views, FGT per village and year, the transition table and the 说明 sentence.
  Not done: the summary.json figures (the ledger's 全区 row carries the same counts).

Readings of the spec where it leaves a choice (the cross-check reports any disagreement):
- "fell" is judged on household amounts, per item, and means by more than half a fen (sums
  of the same cents in another order differ by ~1e-12).
- Risk points are judged for every household surveyed in both years, whatever its 收入研判.
- 养老金 falling is a loss (R9) only while pension is counted in net income.
- The flat band is taken around |last year's per-capita|, so a household with a negative
  per-capita last year and no change is 持平.
- A year's 家庭人口数 in 收入 counts when it is at least 1, else 户信息's.
- The survey's 减收原因 is this year's row, split into causes at ；;/ and line breaks. Each cause
  names one point: an R-code in it, else a label, else a keyword (the most specific wording
  first, `KEYWORD_ORDER`), else R9. It fires R8 and R9 on its own; for R1–R7 the numbers
  decide and a cause they do not show is a finding.
- R9 for "per-capita fell with no item falling" counts the yuan lost as the per-capita drop
  times this year's members (what restores last year's per-capita).
- 低于低保标准 / 低保渐退 are unknown (NA) while the year's 低保 standard is not set.

Wording is data, not logic, and is taken as the spec gives it: the recommendation table and its
reason sentences (lib/rules/measures.py's rule table), the 说明 phrases and clause shapes
(lib/rules/explain.py, tests/test_explain.py) and the keyword order (lib/rules/risk.py's docstring).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from lib.catalogue import (
    DECREASE,
    FLAT,
    GREEN,
    HOUSEHOLD_TYPES,
    INCOME_ITEMS,
    INCOME_KINDS,
    INCREASE,
    MEASURE_CODES,
    MEASURE_STATUSES,
    MEASURES,
    NOT_SURVEYED,
    EXIT_REASON,
    EXITED,
    NEW_ENTRY,
    OPERATING_COST,
    ORANGE,
    PENSION,
    RED,
    RISK_BY_CODE,
    RISK_CODES,
    RISK_POINTS,
    SOURCE_ROW,
    WAGE,
    WARNING_LEVELS,
    YELLOW,
)
from lib.policy import Policy

HID, TOWNSHIP, VILLAGE, HEAD, YEAR, MEMBERS = "户编号", "乡镇", "村", "户主姓名", "年度", "家庭人口数"
HH_TYPE, MONITORING, DISASTER = "户类型", "监测对象类别", "是否受灾"
LABOUR, WEAK_LABOUR, IS_DIBAO = "劳动力人数", "弱劳动力或半劳动力人数", "是否低保户"
DISABLED, ILL = "重度残疾人数", "重病人数"
MONTHS, CAUSE = "务工月数", "减收原因"
PLANNED, IMPLEMENTED = MEASURE_STATUSES
VILLAGE_KEYS = [TOWNSHIP, VILLAGE]
DISTRICT = "全区"

NOISE = 0.005  # yuan: a "fall" smaller than half a fen is floating-point noise, not a loss
MEMBERS_GREW = "家庭人口由"  # R9's sub-cause when per-capita fell because the household grew

# How each risk point reads its catalogue items (DESIGN.md's table of the nine points)
OPERATING_NOT_HIT, OPERATING_HIT, PER_ITEM, SURVEY_ONLY, OTHER = "经营", "受灾经营", "逐项", "调查", "其他"
READING = {"R1": OPERATING_NOT_HIT, "R2": PER_ITEM, "R3": PER_ITEM, "R4": PER_ITEM, "R5": PER_ITEM,
           "R6": PER_ITEM, "R7": OPERATING_HIT, "R8": SURVEY_ONLY, "R9": OTHER}
SURVEY_FIRES = ("R8", "R9")  # what numbers cannot show: the survey's word fires these

# The survey's wording: causes split at these; a keyword names a point in this order, the most
# specific first ("因灾减产" is 灾 not 经营, "公益岗工资降低" is 公益岗 not 务工, "产业项目经营失败"
# is 收益分配 not 经营), 其他 last.
SURVEY_SEPARATORS = r"[;；/\n]+"
KEYWORD_ORDER = ("R8", "R7", "R5", "R4", "R2", "R6", "R3", "R1", "R9")
CODE_IN_TEXT = r"(?:^|[^A-Za-z])[Rr]([1-9])(?:[^0-9]|$)"
BARE_NAME = "|".join([r"[Rr][1-9]"] + [re.escape(p.label) for p in RISK_POINTS])
NOTE_PUNCTUATION = " :：-—()（）"

# Stable codes of rows not used, and of survey causes the numbers do not show
UNKNOWN_HOUSEHOLD, YEAR_NOT_COMPARED, DUPLICATE_YEAR, UNMATCHED_MEASURE = "E401", "E402", "E403", "E301"
SURVEY_MISMATCH = "W401"

# 说明: what fell, as the sentence names it (lib/rules/explain.py's wording)
RISK_PHRASES = {
    "R1": "经营净收入减少", "R2": "产业收益分配减少", "R3": "务工收入减少", "R4": "公益岗位收入减少",
    "R5": "低保金、特困供养金减少", "R6": "政策性补贴类收入减少", "R7": "受灾致经营净收入减少",
    "R8": "帮扶不到位减收", "R9": "其他原因减收",
}

MEASURE_NAME = {m.code: m.name for m in MEASURES}
MEASURE_UNIT = {m.code: m.lead_unit for m in MEASURES}


def amount_column(code: str) -> str:
    return f"{code}减收金额"


def cause_column(code: str) -> str:
    return f"{code}细分原因"


def recommended_column(code: str) -> str:
    return f"推荐{code}"


def existing_column(code: str) -> str:
    return f"已有{code}"


def pick_years(income: pd.DataFrame, years: tuple[int, int] | None = None) -> tuple[int, int]:
    """The pair compared: the one named, else the latest year in 收入 and the year before."""
    if years is not None:
        last, this = sorted(int(y) for y in years)
        return last, this
    this = int(income[YEAR].max())
    return this - 1, this


# ---------------------------------------------------------------------------------------
# Text, column at a time
# ---------------------------------------------------------------------------------------


def as_text(values) -> pd.Series:
    return pd.Series(values, dtype="str")


def yuan_text(values) -> pd.Series:
    """Yuan rounded half away from zero (四舍五入) with thousands separators; NA stays NA.
    The amount is first taken to a millionth of a yuan, so that the float noise of a sum of
    cents (19,001.499999999996 for 19,001.50) does not decide which way a half yuan goes."""
    x = np.round(np.asarray(values, dtype=float), 6)
    whole = np.trunc(x)
    rounded = whole + np.sign(x) * (np.abs(x - whole) >= 0.5)  # x − trunc(x) is exact
    known = ~np.isnan(rounded)
    n = np.abs(np.where(known, rounded, 0.0)).astype(np.int64)
    digits = pd.Series(n).astype("str")
    text = digits.str[-3:]
    for k in (1, 2, 3):  # thousands, millions, billions (the top group takes what is left)
        head = digits.str[: -3 * k] if k == 3 else digits.str[-3 * (k + 1) : -3 * k]
        text = text.where(n < 1000**k, head + "," + text)
    text = text.where(~(rounded < 0), "-" + text)
    return text.where(known)


def whole_number_text(values) -> pd.Series:
    """Rounded to whole yuan (half to even, as a template fills money in); NA → "—".
    Taken to a millionth of a yuan first, as in `yuan_text`."""
    x = np.round(np.asarray(values, dtype=float), 6)
    known = ~np.isnan(x)
    text = pd.Series(np.round(np.where(known, x, 0.0)).astype(np.int64)).astype("str")
    return text.where(known, "—")


def join_flags(flags: list[np.ndarray], words: list[str], sep: str) -> pd.Series:
    """The words whose flag is set, in the given order, joined; NA where none is set.
    The flags are read as a bit mask and looked up in the table of all joins."""
    mask = np.zeros(len(flags[0]), np.int64)
    for bit, flag in enumerate(flags):
        mask |= np.asarray(flag, bool).astype(np.int64) << bit
    table = np.array(
        [sep.join(w for bit, w in enumerate(words) if m >> bit & 1) or None for m in range(1 << len(words))],
        dtype=object,
    )
    return as_text(table[mask])


def join_present(a: pd.Series, b: pd.Series, sep: str) -> pd.Series:
    """a + sep + b, or whichever of the two is there (NA when neither is)."""
    return (a + sep + b).fillna(a).fillna(b)


def join_in_order(keys: np.ndarray, texts: pd.Series, size: int, sep: str) -> pd.Series:
    """Per key 0..size-1, its texts joined in the order given (NA for a key with none):
    the first text of every key, then the second appended, ..."""
    keys = np.asarray(keys, np.int64)
    texts = texts.reset_index(drop=True)
    rank = pd.Series(keys).groupby(keys, sort=False).cumcount().to_numpy()
    present = pd.Index(np.unique(keys))
    out = pd.Series(pd.NA, index=present, dtype="str")
    for r in range(int(rank.max()) + 1 if len(keys) else 0):
        at = np.flatnonzero(rank == r)
        piece = pd.Series(texts.array.take(at), index=keys[at]).reindex(present)
        out = join_present(out, piece, sep)
    return out.reindex(pd.RangeIndex(size))


# ---------------------------------------------------------------------------------------
# Rules core
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Core:
    year_last: int
    year_this: int
    households: pd.DataFrame  # one row per household of 户信息 (its order)
    items: pd.DataFrame  # 户编号, 村, 收入项目, 收入类别, 上年, 本年, 变化 (items with money in either year)
    risks: pd.DataFrame  # _行, 户编号, 村, 风险点代码, 风险点, 减收金额 (NaN: survey only), 细分原因, 原因来源, 收入研判
    findings: pd.DataFrame  # survey causes naming R1–R7 the numbers do not show
    rejects: pd.DataFrame  # 收入 rows not used: 工作表, 行号, 列, 值, 代码


def _source_rows(frame: pd.DataFrame) -> np.ndarray:
    if SOURCE_ROW in frame.columns:
        return frame[SOURCE_ROW].to_numpy(np.int64)
    return np.arange(2, len(frame) + 2, dtype=np.int64)


def _income_rows(income: pd.DataFrame, ids: pd.Index, last_year: int, this_year: int):
    """Each 收入 row's roster position, which rows are used, and the rejects of the others
    (unknown household, a year not compared, a second row of the same household and year)."""
    position = ids.get_indexer(income[HID])
    year = income[YEAR].to_numpy()
    known = position >= 0
    in_pair = (year == last_year) | (year == this_year)
    candidate = known & in_pair
    repeated = np.zeros(len(income), bool)
    repeated[candidate] = pd.Series(position[candidate] * 2 + (year[candidate] == this_year)).duplicated().to_numpy()
    rows = _source_rows(income)
    rejects = pd.concat(
        [
            pd.DataFrame({"工作表": "收入", "行号": rows[mask], "列": column,
                          "值": income.loc[mask, column].astype("str").to_numpy(), "代码": code})
            for mask, column, code in (
                (~known, HID, UNKNOWN_HOUSEHOLD),
                (known & ~in_pair, YEAR, YEAR_NOT_COMPARED),
                (repeated, YEAR, DUPLICATE_YEAR),
            )
        ],
        ignore_index=True,
    )
    return position, candidate & ~repeated, rejects


def _year_frame(income: pd.DataFrame, position: np.ndarray, used: np.ndarray, year: int, n: int) -> pd.DataFrame:
    """That year's used rows on the roster's positions 0..n-1 (all-NaN where not surveyed)."""
    take = used & (income[YEAR].to_numpy() == year)
    rows = income.loc[take].set_axis(position[take])
    frame = rows.reindex(pd.RangeIndex(n))
    frame[SOURCE_ROW] = pd.Series(_source_rows(income)[take], index=position[take]).reindex(frame.index)
    return frame


def _survey_causes(cause: pd.Series) -> pd.DataFrame:
    """_行, 原因, 风险点代码, 说明: each cause of a 减收原因 (index = roster position) with the
    point it names and what it says beyond a bare code or label."""
    given = cause[cause.notna() & (cause.str.strip() != "")]
    parts = given.str.split(SURVEY_SEPARATORS, regex=True).explode()
    parts = as_text(parts.to_numpy()).set_axis(parts.index).str.strip()
    parts = parts[parts.notna() & (parts != "")]
    digit = parts.str.extract(CODE_IN_TEXT, expand=False)
    conditions = [digit.notna().to_numpy()]
    choices = [("R" + digit).to_numpy(object)]
    for point in RISK_POINTS:
        conditions.append(parts.str.contains(point.label, regex=False).to_numpy(bool))
        choices.append(point.code)
    for code in KEYWORD_ORDER:
        words = "|".join(re.escape(k) for k in RISK_BY_CODE[code].keywords)
        conditions.append(parts.str.contains(words, regex=True).to_numpy(bool))
        choices.append(code)
    code = np.select(conditions, choices, default="R9")
    rest = parts.str.replace(BARE_NAME, "", regex=True).str.strip(NOTE_PUNCTUATION)
    return pd.DataFrame(
        {"_行": parts.index.to_numpy(np.int64), "原因": parts.to_numpy(), "风险点代码": as_text(code).to_numpy(),
         "说明": rest.where(rest != "").to_numpy()}
    )


def analyze_core(
    households: pd.DataFrame,
    income: pd.DataFrame,
    policy: Policy,
    years: tuple[int, int] | None = None,
) -> Core:
    """The rules core. ``households``: one row per household of 户信息 (its order) with
    incomes by kind, 收入研判, 预警等级, 应纳未纳, one boolean column per risk point R1–R9 with
    its yuan lost (``amount_column``; 0 when only the survey names it) and its sub-cause
    (``cause_column``), 减收风险点 (labels joined by "；", "" when none) and 减收金额."""
    last_year, this_year = pick_years(income, years)
    ids = pd.Index(households[HID])
    n = len(ids)
    position, used, rejects = _income_rows(income, ids, last_year, this_year)
    last = _year_frame(income, position, used, last_year, n)
    this = _year_frame(income, position, used, this_year, n)
    has_last = last[YEAR].notna().to_numpy()
    has_this = this[YEAR].notna().to_numpy()
    surveyed = has_last & has_this

    # Net income by the policy: every item with its sign, the pension unless the policy leaves it out
    counted = [i for i in INCOME_ITEMS if policy.pension_in_net_income or i.name != PENSION]

    def total(frame: pd.DataFrame, items) -> np.ndarray:
        out = np.zeros(n)
        for item in items:
            out += item.sign * frame[item.name].to_numpy(float)
        return out  # NaN where the year is missing

    kinds = {kind: [i for i in counted if i.kind == kind] for kind in INCOME_KINDS}
    net_last, net_this = total(last, counted), total(this, counted)
    roster_members = households[MEMBERS].to_numpy(float)

    def members(frame: pd.DataFrame, present: np.ndarray) -> np.ndarray:
        own = frame[MEMBERS].to_numpy(float)
        return np.where(present, np.where(own >= 1, own, roster_members), np.nan)

    members_last, members_this = members(last, has_last), members(this, has_this)
    pc_last, pc_this = net_last / members_last, net_this / members_this

    # 已退出 (a 退出原因: left the roster) / 增收 / 持平 / 减收 / 未排查
    exited = households[EXIT_REASON].notna().to_numpy(bool) if EXIT_REASON in households else np.zeros(n, bool)
    change = pc_this - pc_last
    flat = np.abs(change) <= policy.flat_band * np.abs(pc_last)
    decrease = ~exited & surveyed & ~flat & (change < 0)
    judgement = np.select([exited, ~surveyed, flat, change > 0], [EXITED, NOT_SURVEYED, FLAT, INCREASE], DECREASE)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(pc_last > 0, change / pc_last, np.nan)

    # 预警等级 and 应纳未纳 against this year's monitoring line
    threshold = policy.threshold(this_year)
    below = has_this & (pc_this < threshold)
    orange = decrease & ((rate <= -policy.orange_drop) | (pc_this < policy.orange_multiple * threshold))
    level = np.select([~has_this, below, orange, decrease], [None, RED, ORANGE, YELLOW], GREEN)
    should_enrol = (
        households[HH_TYPE].isin(HOUSEHOLD_TYPES).to_numpy(bool)
        & households[MONITORING].isna().to_numpy(bool)
        & below
    )

    # Risk points from the numbers: each item's fall in household yuan (a cost rising is a fall)
    fall = {i.name: i.sign * (last[i.name].to_numpy(float) - this[i.name].to_numpy(float)) for i in INCOME_ITEMS}
    fell = {name: surveyed & (f > NOISE) for name, f in fall.items()}
    now = {name: this[name].to_numpy(float) for name in fall}
    disaster = households[DISASTER].fillna(False).to_numpy(bool)
    counted_names = {i.name for i in counted}

    def items_of(code: str) -> list[str]:  # the point's items that count (pension may not)
        return [name for name in RISK_BY_CODE[code].items if name in counted_names]

    def fallen_words(code: str) -> pd.Series:
        names = items_of(code)
        words = [f"{name}增加" if name == OPERATING_COST else f"{name}减少" for name in names]
        return join_flags([fell[name] for name in names], words, "、")

    def all_gone(code: str) -> np.ndarray:  # every item of the point that fell is now 0
        return np.logical_and.reduce([~fell[name] | (now[name] == 0) for name in items_of(code)])

    amounts, causes = {}, {}
    for code, reading in READING.items():
        if reading in (OPERATING_NOT_HIT, OPERATING_HIT):
            net_fall = np.sum([fall[name] for name in items_of(code)], axis=0)
            hit = disaster if reading == OPERATING_HIT else ~disaster
            amounts[code] = np.where(surveyed & hit & (net_fall > NOISE), net_fall, 0.0)
        elif reading in (PER_ITEM, OTHER):
            amounts[code] = np.sum([np.where(fell[name], fall[name], 0.0) for name in items_of(code)], axis=0)
        else:
            amounts[code] = np.zeros(n)
    r9_by_items = amounts["R9"] > 0
    pc_fell_alone = surveyed & (pc_last - pc_this > NOISE) & ~np.logical_or.reduce([a > 0 for a in amounts.values()])
    amounts["R9"] = np.where(pc_fell_alone, (pc_last - pc_this) * members_this, amounts["R9"])

    months_fell = (this[MONTHS] < last[MONTHS]).fillna(False).to_numpy(bool)
    causes["R1"] = causes["R7"] = fallen_words("R1")
    causes["R2"] = as_text(np.where(all_gone("R2"), "本年未分配", "分配减少"))
    causes["R3"] = as_text(np.select(
        [np.sum([now[name] for name in items_of("R3")], axis=0) == 0, months_fell], ["未务工", "务工时间缩短"], "工资降低"
    ))
    causes["R4"] = as_text(np.where(all_gone("R4"), "未参加", "补贴降低"))
    causes["R5"] = as_text(np.where(all_gone("R5"), "取消", "减少"))
    causes["R6"] = fallen_words("R6")
    causes["R8"] = pd.Series(pd.NA, index=pd.RangeIndex(n), dtype="str")
    grew = members_this > members_last
    grew_text = pd.Series(pd.NA, index=pd.RangeIndex(n), dtype="str")
    at = np.flatnonzero(pc_fell_alone & grew)
    grew_text.iloc[at] = (
        MEMBERS_GREW + as_text(members_last[at].astype(np.int64).astype(str)) + "人增至"
        + as_text(members_this[at].astype(np.int64).astype(str)) + "人"
    ).to_numpy()
    causes["R9"] = fallen_words("R9").where(r9_by_items, grew_text.where(grew, "人均纯收入下降"))
    fires = {code: amount > 0 for code, amount in amounts.items()}

    # The survey's word: fires R8 and R9, adds what it says to their sub-cause
    said = _survey_causes(this[CAUSE].where(pd.Series(surveyed)))
    for code in SURVEY_FIRES:
        own = said[said["风险点代码"] == code]
        fires[code] = fires[code] | np.isin(np.arange(n), own["_行"].to_numpy())
        notes = own[own["说明"].notna()].drop_duplicates(["_行", "说明"])
        note = join_in_order(notes["_行"].to_numpy(), notes["说明"], n, "；")
        causes[code] = join_present(causes[code].where(amounts[code] > 0), note, "；")
    for code in RISK_CODES:
        causes[code] = causes[code].where(fires[code])

    out = pd.DataFrame(
        {
            HID: households[HID].to_numpy(),
            VILLAGE: households[VILLAGE].to_numpy(),
            "上年家庭人口数": members_last,
            "本年家庭人口数": members_this,
            **{f"上年{kind}": total(last, items) for kind, items in kinds.items()},
            **{f"本年{kind}": total(this, items) for kind, items in kinds.items()},
            "上年家庭纯收入": net_last,
            "本年家庭纯收入": net_this,
            "上年人均纯收入": pc_last,
            "本年人均纯收入": pc_this,
            "人均纯收入变化": change,
            "人均纯收入变化率": rate,
            "收入研判": as_text(judgement),
            "预警等级": as_text(level),
            "应纳未纳": should_enrol,
            "本年养老金": now[PENSION],
        }
    )
    for code in RISK_CODES:
        out[code] = fires[code]
    for code in RISK_CODES:
        out[amount_column(code)] = amounts[code]
    for code in RISK_CODES:
        out[cause_column(code)] = causes[code].to_numpy()
    labels = [RISK_BY_CODE[c].label for c in RISK_CODES]
    out["减收风险点"] = join_flags([fires[c] for c in RISK_CODES], labels, "；").fillna("")
    out["减收金额"] = np.sum([amounts[c] for c in RISK_CODES], axis=0)

    risks = _risk_table(out)
    return Core(last_year, this_year, out, _item_table(out, last, this), risks, _findings(said, risks, this), rejects)


def _risk_table(out: pd.DataFrame) -> pd.DataFrame:
    """The long risk table: one row per household and fired point, household then code order."""
    parts = []
    for code in RISK_CODES:
        at = np.flatnonzero(out[code].to_numpy(bool))
        amount = out[amount_column(code)].to_numpy()[at]
        parts.append(pd.DataFrame({
            "_行": at, "风险点代码": code, "风险点": RISK_BY_CODE[code].label,
            "减收金额": np.where(amount > 0, amount, np.nan),
            "细分原因": out[cause_column(code)].to_numpy()[at],
            "原因来源": np.where(amount > 0, "数据", "调查"),
        }))
    long = pd.concat(parts, ignore_index=True)
    long = long.iloc[np.argsort(long["_行"].to_numpy(), kind="stable")].reset_index(drop=True)
    row = long["_行"].to_numpy()
    return long.assign(**{c: out[c].array.take(row) for c in (HID, VILLAGE, "收入研判")})[
        ["_行", HID, VILLAGE, "风险点代码", "风险点", "减收金额", "细分原因", "原因来源", "收入研判"]
    ]


def _findings(said: pd.DataFrame, risks: pd.DataFrame, this: pd.DataFrame) -> pd.DataFrame:
    """A survey cause naming one of R1–R7 that the numbers do not show (W401)."""
    named = said[~said["风险点代码"].isin(SURVEY_FIRES)]
    shown = pd.MultiIndex.from_arrays([risks["_行"].to_numpy(), risks["风险点代码"].to_numpy()])
    missed = named[~pd.MultiIndex.from_arrays([named["_行"].to_numpy(), named["风险点代码"].to_numpy()]).isin(shown)]
    return pd.DataFrame({
        "工作表": "收入", "行号": this[SOURCE_ROW].to_numpy()[missed["_行"].to_numpy()].astype(np.int64),
        "列": CAUSE, "值": missed["原因"].to_numpy(), "代码": SURVEY_MISMATCH,
        "风险点代码": missed["风险点代码"].to_numpy(),
    })


def _item_table(out: pd.DataFrame, last: pd.DataFrame, this: pd.DataFrame) -> pd.DataFrame:
    """One row per household and item with money in either year, item after item."""
    parts = []
    for item in INCOME_ITEMS:
        before, after = last[item.name].to_numpy(float), this[item.name].to_numpy(float)
        at = np.flatnonzero((np.nan_to_num(before) != 0) | (np.nan_to_num(after) != 0))
        parts.append(pd.DataFrame({
            HID: out[HID].array.take(at), VILLAGE: out[VILLAGE].array.take(at), "收入项目": item.name,
            "收入类别": item.kind, "上年": before[at], "本年": after[at], "变化": after[at] - before[at],
        }))
    return pd.concat(parts, ignore_index=True)


def analyze_pandas(
    households: pd.DataFrame,
    income: pd.DataFrame,
    policy: Policy,
    years: tuple[int, int] | None = None,
) -> pd.DataFrame:
    """The rules core's household frame (`analyze_core(...).households`)."""
    return analyze_core(households, income, policy, years).households


def risk_codes(result: pd.DataFrame) -> pd.Series:
    """The fired R-codes of each household, sorted, as tuples (for comparisons)."""
    return _codes(result, RISK_CODES, lambda c: c)


def recommended_codes(result: pd.DataFrame) -> pd.Series:
    """The recommended M-codes of each household, sorted, as tuples (for comparisons)."""
    return _codes(result, MEASURE_CODES, recommended_column)


def existing_codes(result: pd.DataFrame) -> pd.Series:
    """The M-codes of each household's measures in place, sorted, as tuples."""
    return _codes(result, MEASURE_CODES, existing_column)


def _codes(result: pd.DataFrame, codes, column) -> pd.Series:
    flags = result[[column(c) for c in codes]].to_numpy(bool)
    names = np.array(codes)
    return pd.Series([tuple(names[row]) for row in flags], index=result[HID].to_numpy())


# ---------------------------------------------------------------------------------------
# Everything else `analyze` does
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Full:
    year_last: int
    year_this: int
    policy: Policy
    households: pd.DataFrame  # the core's columns, then the 低保 check, measures and 说明
    items: pd.DataFrame
    risks: pd.DataFrame
    recommendations: pd.DataFrame  # 户编号, 村, 措施代码, 措施类型, 牵头单位, 推荐理由
    measures: pd.DataFrame  # the measures sheet's rows of known households, with their facts
    ledger: dict[str, pd.DataFrame]
    fgt: pd.DataFrame  # 村 (全区 last), 年度, 监测线, 户数, 人数, P0, P1, P2
    transitions: pd.DataFrame  # 上年区间, 本年区间, 户数
    findings: pd.DataFrame
    rejects: pd.DataFrame


def analyze_full(
    households: pd.DataFrame,
    income: pd.DataFrame,
    measures: pd.DataFrame,
    policy: Policy,
    years: tuple[int, int] | None = None,
) -> Full:
    """Every rule of DESIGN.md on the three canonical frames (pandas), as `lib.rules.analysis.analyze`."""
    core = analyze_core(households, income, policy, years)
    hh = core.households
    for name, values in dibao_check(households, hh, policy, core.year_this).items():
        hh[name] = values
    reasons = recommend(households, hh, policy, core.year_this)
    for code in MEASURE_CODES:
        hh[recommended_column(code)] = reasons[code].notna().to_numpy()
    hh["推荐理由"] = _reasons_sentence(reasons).to_numpy()
    joined, unmatched = attach_measures(households, hh, measures)
    hh["说明"] = explain(hh, core.risks, policy, core.year_last, core.year_this).to_numpy()
    return Full(
        year_last=core.year_last,
        year_this=core.year_this,
        policy=policy,
        households=hh,
        items=core.items,
        risks=core.risks.drop(columns="_行"),
        recommendations=_recommendation_table(hh, reasons),
        measures=joined,
        ledger=build_ledger(households, hh, joined),
        fgt=fgt(hh, policy, core.year_last, core.year_this),
        transitions=transitions(hh, policy, core.year_last, core.year_this),
        findings=core.findings,
        rejects=pd.concat([core.rejects, unmatched], ignore_index=True),
    )


def _flag(values) -> np.ndarray:
    """A yes/no column as booleans, blank as no."""
    return pd.Series(values).fillna(False).to_numpy(bool)


def _kleene(values: np.ndarray, known: np.ndarray) -> pd.arrays.BooleanArray:
    """Booleans with NA where the inputs are unknown (and/or then follow three-valued logic)."""
    return pd.arrays.BooleanArray(np.where(known, values, False), ~known)


# --- 低保 check (DESIGN.md: income as social assistance counts it) -----------------------


def dibao_check(roster: pd.DataFrame, hh: pd.DataFrame, policy: Policy, year_this: int) -> dict:
    """低保核算人均收入: this year's net income with the basic pension always left out and
    the work-cost share of wage income deducted, per member; 低于低保标准 and 低保渐退 (a 低保户
    whose income reached the line) are NA when the year's standard is not set; 单人户审核 for
    households with severely disabled or seriously ill members."""
    standard = policy.dibao(year_this)
    counted = hh["本年家庭纯收入"].to_numpy(float)
    pension = np.nan_to_num(hh["本年养老金"].to_numpy(float))
    if policy.pension_in_net_income and policy.dibao_excludes_basic_pension:
        counted = counted - pension
    elif not policy.pension_in_net_income and not policy.dibao_excludes_basic_pension:
        counted = counted + pension
    counted = counted - policy.work_cost_deduction * hh[f"本年{WAGE}"].to_numpy(float)
    per_capita = counted / hh["本年家庭人口数"].to_numpy(float)
    known = ~np.isnan(per_capita) & (standard > 0)
    unset = _kleene(np.zeros(len(hh), bool), np.zeros(len(hh), bool))  # no standard: nothing to tell
    on_dibao = pd.array(_flag(roster[IS_DIBAO]), dtype="boolean")
    return {
        "低保核算人均收入": per_capita,
        "低于低保标准": _kleene(per_capita < standard, known) if standard > 0 else unset,
        "单人户审核": (roster[DISABLED].fillna(0).to_numpy() > 0) | (roster[ILL].fillna(0).to_numpy() > 0),
        "低保渐退": on_dibao & _kleene(per_capita >= standard, known) if standard > 0 else unset.copy(),
    }


# --- Recommendations (the rule table of lib/rules/measures.py, restated) ---------------------


@dataclass(frozen=True)
class Rule:
    measure: str
    when: object  # facts (dict of arrays) → boolean array over households
    reason: str  # {name}: a fact filled in, rounded to whole yuan


def _any_risk(*codes: str):
    return lambda f: np.logical_or.reduce([f[c] for c in codes])


_WEAK = lambda f: f[WEAK_LABOUR] > 0  # noqa: E731  (blank is unknown, not none)
_ONLY_FULL = lambda f: (f[LABOUR] > 0) & (np.nan_to_num(f[WEAK_LABOUR]) == 0)  # noqa: E731
_NO_LABOUR = lambda f: (f[LABOUR] == 0) & (np.nan_to_num(f[WEAK_LABOUR]) == 0)  # noqa: E731

RULES = (
    Rule("M1", lambda f: _any_risk("R3", "R4")(f) & _WEAK(f),
         "务工或公益岗收入减少，家有弱劳动力或半劳动力{弱劳动力或半劳动力人数}人：优先安置公益岗位"),
    Rule("M1", lambda f: _any_risk("R3", "R4")(f) & _ONLY_FULL(f),
         "务工或公益岗收入减少，家有劳动力{劳动力人数}人：推送务工岗位，组织劳务输出、稳岗就业"),
    Rule("M4", lambda f: _any_risk("R3", "R4")(f) & _ONLY_FULL(f),
         "务工或公益岗收入减少，家有劳动力{劳动力人数}人：开展就业技能培训，激发务工内生动力"),
    Rule("M2", _NO_LABOUR, "家中无劳动力：产业项目收益实行差异化分配，适当倾斜"),
    Rule("M3", _NO_LABOUR, "家中无劳动力：审核低保、特困供养条件，符合条件的纳入兜底保障"),
    Rule("M3", _any_risk("R5"), "低保金或特困供养金减少或取消：复核救助条件，符合条件的及时恢复"),
    Rule("M3", lambda f: f["低于低保标准"] & ~f[IS_DIBAO],
         "低保核算人均收入{低保核算人均收入}元，低于低保标准{低保标准}元：按程序申请纳入低保"),
    Rule("M3", lambda f: f["低于低保标准"] & f[IS_DIBAO],
         "低保户低保核算人均收入{低保核算人均收入}元，低于低保标准{低保标准}元：核实补差金额，确保应保尽保"),
    Rule("M3", lambda f: f["单人户审核"], "家有重度残疾人{重度残疾人数}人、重病患者{重病人数}人：按单人户施保条件审核"),
    Rule("M3", lambda f: f["低保渐退"],
         "低保户低保核算人均收入{低保核算人均收入}元已达低保标准{低保标准}元：给予渐退期，不直接停保"),
    Rule("M2", _any_risk("R1"), "种养殖等经营收入减少：依托产业项目带动发展，稳定产业收益"),
    Rule("M4", _any_risk("R1"), "种养殖等经营收入减少：开展种养殖实用技术培训"),
    Rule("M2", _any_risk("R7"), "因灾经营收入减少：依托产业项目帮助恢复生产，稳定产业收益"),
    Rule("M4", _any_risk("R7"), "因灾经营收入减少：开展防灾减灾和种养殖技术培训"),
    Rule("M2", _any_risk("R2"), "产业收益分配减少：核实项目收益和分配方案，确保收益分配到户"),
    Rule("M5", _any_risk("R6"), "政策性补贴减少：驻村工作队、结对干部核实政策享受情况，做到应享尽享"),
    Rule("M5", _any_risk("R8"), "帮扶不到位导致减收：驻村工作队、结对干部入户落实帮扶措施"),
    Rule("M5", _any_risk("R9"), "其他原因减收：结对干部入户核实原因，制定针对性帮扶措施"),
    Rule("M5", lambda f: f["应纳未纳"],
         "人均纯收入{本年人均纯收入}元低于监测线{监测线}元但未纳入监测对象：核实后按程序纳入监测帮扶"),
    Rule("M5", lambda f: f["红"] & ~f["应纳未纳"],
         "人均纯收入{本年人均纯收入}元低于监测线{监测线}元：驻村工作队、结对干部落实针对性帮扶"),
)
# An at-risk household no rule reaches still gets this one: every 减收 household gets one.
FALLBACK = Rule("M5", None, "存在减收或预警风险但未识别出具体风险点：结对干部入户核实原因，制定帮扶措施")
_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")


def _render(template: str, facts: dict, at: np.ndarray) -> pd.Series:
    """The template for the households at positions ``at`` (Series indexed by them)."""
    pieces = _PLACEHOLDER.split(template)  # literal, name, literal, ...
    text = pd.Series(pieces[0], index=at, dtype="str")
    for i in range(1, len(pieces), 2):
        value = facts[pieces[i]]
        filled = whole_number_text(np.broadcast_to(value, (len(facts["红"]),))[at]).to_numpy()
        text = text + filled + pieces[i + 1]
    return text


def recommend(roster: pd.DataFrame, hh: pd.DataFrame, policy: Policy, year_this: int) -> dict[str, pd.Series]:
    """Per measure code, each household's reasons ("；"-joined in rule order), NA where the
    measure is not recommended. Only households at risk get any: 减收, 红/橙, 应纳未纳 or
    below the 低保 standard."""
    below = hh["低于低保标准"].fillna(False).to_numpy(bool)
    at_risk = np.flatnonzero(
        (hh["收入研判"] == DECREASE).to_numpy(bool)
        | hh["预警等级"].isin([RED, ORANGE]).to_numpy(bool)
        | hh["应纳未纳"].to_numpy(bool)
        | below
    )
    # The rules read these facts of the households at risk only
    facts = {
        **{code: hh[code].to_numpy(bool) for code in RISK_CODES},
        **{c: roster[c].to_numpy(float) for c in (LABOUR, WEAK_LABOUR, DISABLED, ILL)},
        IS_DIBAO: _flag(roster[IS_DIBAO]),
        "低于低保标准": below,
        "单人户审核": hh["单人户审核"].to_numpy(bool),
        "低保渐退": hh["低保渐退"].fillna(False).to_numpy(bool),
        "应纳未纳": hh["应纳未纳"].to_numpy(bool),
        "红": (hh["预警等级"] == RED).to_numpy(bool),
        "低保核算人均收入": hh["低保核算人均收入"].to_numpy(float),
        "本年人均纯收入": hh["本年人均纯收入"].to_numpy(float),
    }
    facts = {name: values[at_risk] for name, values in facts.items()}
    facts |= {"低保标准": policy.dibao(year_this), "监测线": policy.threshold(year_this)}
    m = len(at_risk)
    reasons = {code: pd.Series(pd.NA, index=pd.RangeIndex(m), dtype="str") for code in MEASURE_CODES}

    def add(rule: Rule, hit: np.ndarray) -> None:
        at = np.flatnonzero(hit)
        if len(at):
            text = _render(rule.reason, facts, at).reindex(reasons[rule.measure].index)
            reasons[rule.measure] = join_present(reasons[rule.measure], text, "；")

    for rule in RULES:
        add(rule, rule.when(facts))
    reached = np.logical_or.reduce([r.notna().to_numpy() for r in reasons.values()])
    add(FALLBACK, ~reached)
    return {code: r.set_axis(at_risk).reindex(pd.RangeIndex(len(hh))) for code, r in reasons.items()}


def _reasons_sentence(reasons: dict[str, pd.Series]) -> pd.Series:
    """【措施类型】reasons。 for every recommended measure, in code order (NA when none)."""
    size = len(reasons[MEASURE_CODES[0]])
    some = np.flatnonzero(np.logical_or.reduce([r.notna().to_numpy() for r in reasons.values()]))
    sentence = pd.Series(pd.NA, index=some, dtype="str")
    for code in MEASURE_CODES:
        sentence = join_present(sentence, f"【{MEASURE_NAME[code]}】" + reasons[code].iloc[some] + "。", "")
    return sentence.reindex(pd.RangeIndex(size))


def _recommendation_table(hh: pd.DataFrame, reasons: dict[str, pd.Series]) -> pd.DataFrame:
    """Long: one row per household and recommended measure, household then code order."""
    parts = []
    for code in MEASURE_CODES:
        at = np.flatnonzero(reasons[code].notna().to_numpy())
        parts.append(pd.DataFrame({"_行": at, "措施代码": code, "措施类型": MEASURE_NAME[code],
                                   "牵头单位": MEASURE_UNIT[code], "推荐理由": reasons[code].to_numpy()[at]}))
    long = pd.concat(parts, ignore_index=True)
    long = long.iloc[np.argsort(long["_行"].to_numpy(), kind="stable")]
    row = long.pop("_行").to_numpy()
    long.insert(0, VILLAGE, hh[VILLAGE].array.take(row))
    long.insert(0, HID, hh[HID].array.take(row))
    return long.reset_index(drop=True)


# --- The measures sheet, 收入缺口 and 预计能恢复 ----------------------------------------


def attach_measures(roster: pd.DataFrame, hh: pd.DataFrame, measures: pd.DataFrame):
    """Adds to ``hh`` the measures in place per household (已有M1..M5, counts by status,
    预计增收合计 of planned and implemented alike), 收入缺口 = max(0, (上年人均 − 本年人均) ×
    本年家庭人口数) for 减收 households (else 0), both to the fen, and 预计能恢复 = 收入缺口 ≤ 预计增收合计 in fen (NA
    when not 减收). Returns the measures of known households with their household's facts,
    and the rejects of the others (E301)."""
    n = len(hh)
    position = pd.Index(roster[HID]).get_indexer(measures[HID])
    known = position >= 0
    mine = measures.loc[known]
    at = position[known]
    status = mine["状态"]
    for code in MEASURE_CODES:
        hh[existing_column(code)] = np.bincount(at[(mine["措施类型"] == code).to_numpy(bool)], minlength=n) > 0
    hh["已落实措施数"] = np.bincount(at, weights=(status == IMPLEMENTED).to_numpy(float), minlength=n).astype(np.int64)
    hh["计划措施数"] = np.bincount(at, weights=(status == PLANNED).to_numpy(float), minlength=n).astype(np.int64)
    # money to the fen: both amounts rounded, then compared as whole fen
    gain = np.bincount(at, weights=mine["预计增收"].fillna(0.0).to_numpy(float), minlength=n)
    hh["预计增收合计"] = np.round(gain, 2)
    decrease = (hh["收入研判"] == DECREASE).to_numpy(bool)
    gap = (hh["上年人均纯收入"].to_numpy() - hh["本年人均纯收入"].to_numpy()) * hh["本年家庭人口数"].to_numpy()
    hh["收入缺口"] = np.where(decrease, np.round(np.clip(np.nan_to_num(gap), 0.0, None), 2), 0.0)
    fen = lambda column: np.round(hh[column].to_numpy() * 100).astype(np.int64)  # noqa: E731
    hh["预计能恢复"] = _kleene(fen("收入缺口") <= fen("预计增收合计"), decrease)

    facts = {c: roster[c].astype("str").array.take(at) for c in (TOWNSHIP, VILLAGE, HEAD)}
    facts[MEMBERS] = roster[MEMBERS].to_numpy()[at]
    facts |= {c: hh[c].array.take(at) for c in ("收入研判", "预警等级", "减收风险点", "收入缺口", "预计能恢复")}
    joined = mine.assign(**facts, 措施名称=mine["措施类型"].map(MEASURE_NAME))
    if SOURCE_ROW not in joined.columns:
        joined[SOURCE_ROW] = np.flatnonzero(known) + 2
    rows = _source_rows(measures)[~known]
    unmatched = pd.DataFrame({"工作表": "帮扶措施", "行号": rows, "列": HID,
                              "值": measures.loc[~known, HID].to_numpy(), "代码": UNMATCHED_MEASURE})
    return joined.reset_index(drop=True), unmatched


# --- 说明 --------------------------------------------------------------------------------


def explain(hh: pd.DataFrame, risks: pd.DataFrame, policy: Policy, year_last: int, year_this: int) -> pd.Series:
    """One sentence per household: its risk clauses, biggest loss first (survey-only points
    last, then by code), then the per-capita clause of its 收入研判."""
    n = len(hh)
    code = risks["风险点代码"]
    lost = risks["减收金额"].to_numpy(float)
    cause = risks["细分原因"].astype("str")
    phrase = code.map(RISK_PHRASES).astype("str")
    amount = yuan_text(lost) + "元"
    with_amount = phrase + amount + ("（" + cause + "）").where(cause.notna() & (cause != "减少"), "")
    # a larger household lost nothing: the amount is what restores last year's per-capita
    grew = ((code == "R9") & cause.str.startswith(MEMBERS_GREW).fillna(False)).to_numpy(bool)
    with_amount = with_amount.where(~grew, cause + "，恢复上年人均水平需增收" + amount)
    survey_only = phrase + ("（调查：" + cause + "）").fillna("（调查填报）")
    clause = with_amount.where(~np.isnan(lost), survey_only)
    # biggest loss first, to the fen as the clause shows it; codes by number break ties
    order = np.lexsort((code.str[1:].astype(int).to_numpy(), -np.nan_to_num(np.round(lost, 2), nan=-1.0),
                        risks["_行"].to_numpy()))
    sentence = join_in_order(risks["_行"].to_numpy()[order], clause.iloc[order], n, "；")
    return join_present(sentence, per_capita_clause(hh, policy, year_last, year_this), "；")


def per_capita_clause(hh: pd.DataFrame, policy: Policy, year_last: int, year_this: int) -> pd.Series:
    pc_last, pc_this = hh["上年人均纯收入"].to_numpy(float), hh["本年人均纯收入"].to_numpy(float)
    judgement = hh["收入研判"]
    missing_last, missing_this = np.isnan(pc_last), np.isnan(pc_this)
    shapes = {  # before last year's figure, between the two, after this year's
        DECREASE: ("人均纯收入由", "元降至", "元"),
        INCREASE: ("人均纯收入由", "元增至", "元"),
        FLAT: ("人均纯收入上年", "元、本年", "元，基本持平"),
        "缺上年": (f"缺少{year_last}年收入数据，未排查；{year_this}年人均纯收入", "", "元"),
        "缺本年": (f"缺少{year_this}年收入数据，未排查；{year_last}年人均纯收入", "元", ""),
        "缺两年": (f"缺少{year_last}年和{year_this}年收入数据，未排查", "", ""),
    }
    forms = list(shapes)
    form = np.select(
        [(judgement == j).to_numpy(bool) for j in (DECREASE, INCREASE, FLAT)]
        + [missing_last & missing_this, missing_last, missing_this],
        [forms.index(f) for f in (DECREASE, INCREASE, FLAT, "缺两年", "缺上年", "缺本年")],
    )
    before, between, after = (as_text(np.array([shapes[f][i] for f in forms], dtype=object)[form]) for i in range(3))
    line = yuan_text([policy.threshold(year_this)]).iloc[0]
    red = (hh["预警等级"] == RED).to_numpy(bool)
    return (
        before + yuan_text(pc_last).fillna("") + between + yuan_text(pc_this).fillna("") + after
        + pd.Series(np.where(red, f"，低于{year_this}年监测线{line}元", ""), dtype="str")
    )


# --- Ledger (台账) ---------------------------------------------------------------------


def _villages_then_district(per_village: pd.DataFrame, district: pd.DataFrame) -> pd.DataFrame:
    """Village rows (sorted, a blank 乡镇 last) and the district's (村 = 全区, 乡镇 blank) last."""
    district = district.assign(**{TOWNSHIP: pd.NA, VILLAGE: DISTRICT})
    both = pd.concat([per_village, district[per_village.columns]], ignore_index=True)
    return both.astype({key: "str" for key in VILLAGE_KEYS})  # a key that is all blank stays text


def _district_sums(frame: pd.DataFrame) -> pd.DataFrame:
    """Column sums as one row, each column keeping its dtype."""
    return pd.DataFrame({c: [frame[c].sum()] for c in frame.columns}).astype(frame.dtypes.to_dict())


def build_ledger(roster: pd.DataFrame, hh: pd.DataFrame, joined: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """台账汇总 (per village and 全区), 措施户清单, 措施分类统计 (per village, measure and lead
    unit), 风险未帮扶户 (减收 or 红/橙 with no measure in place) and 缺口未补足户 (减收 whose
    measures do not close 收入缺口)."""
    judgement, level = hh["收入研判"], hh["预警等级"]
    decrease = (judgement == DECREASE).to_numpy(bool)
    helped = np.logical_or.reduce([hh[existing_column(c)].to_numpy(bool) for c in MEASURE_CODES])
    at_risk = decrease | level.isin([RED, ORANGE]).to_numpy(bool)
    open_gap = decrease & ~hh["预计能恢复"].fillna(True).to_numpy(bool)
    counts = pd.DataFrame({
        TOWNSHIP: roster[TOWNSHIP].astype("str").array, VILLAGE: roster[VILLAGE].astype("str").array,
        "户数": 1, "已排查": (~judgement.isin([NOT_SURVEYED, EXITED])).to_numpy(int),
        "未排查": (judgement == NOT_SURVEYED).to_numpy(int), EXITED: (judgement == EXITED).to_numpy(int),
        NEW_ENTRY: (roster[NEW_ENTRY].fillna(False).to_numpy(int) if NEW_ENTRY in roster else 0),
        INCREASE: (judgement == INCREASE).to_numpy(int), FLAT: (judgement == FLAT).to_numpy(int),
        DECREASE: decrease.astype(int),
        f"{RED}色预警": (level == RED).to_numpy(int), f"{ORANGE}色预警": (level == ORANGE).to_numpy(int), "应纳未纳": hh["应纳未纳"].to_numpy(int),
        "有措施的减收户数": (decrease & helped).astype(int), "风险户数": at_risk.astype(int),
        "风险未帮扶户数": (at_risk & ~helped).astype(int), "缺口未补足户数": open_gap.astype(int),
        "收入缺口合计": hh["收入缺口"].to_numpy(float),
        **{recommended_column(c): hh[recommended_column(c)].to_numpy(int) for c in MEASURE_CODES},
    })
    households = _villages_then_district(
        counts.groupby(VILLAGE_KEYS, dropna=False, sort=True).sum().reset_index(),
        _district_sums(counts.drop(columns=VILLAGE_KEYS)),
    )

    in_place = joined.assign(已落实=(joined["状态"] == IMPLEMENTED).astype(int), 计划=(joined["状态"] == PLANNED).astype(int))
    in_place = in_place.rename(columns={"措施类型": "措施代码"})
    keys = ["措施代码", "牵头单位"]

    def per_measure(by: list[str]) -> pd.DataFrame:
        grouped = in_place.groupby(by, dropna=False, sort=True)
        return pd.concat(
            [grouped[HID].nunique().rename("户数"), grouped.size().rename("措施数"),
             grouped[["已落实", "计划", "预计增收"]].sum()], axis=1,
        ).reset_index()

    measures = _villages_then_district(per_measure(VILLAGE_KEYS + keys), per_measure(keys))
    totals = measures.groupby(VILLAGE_KEYS, dropna=False)[["措施数", "已落实", "计划", "预计增收"]].sum()
    totals.columns = ["措施数", "已落实数", "计划数", "预计增收合计"]
    summary = households.merge(totals.reset_index(), on=VILLAGE_KEYS, how="left")
    summary[["措施数", "已落实数", "计划数"]] = summary[["措施数", "已落实数", "计划数"]].fillna(0).astype(np.int64)
    summary["预计增收合计"] = summary["预计增收合计"].fillna(0.0)
    summary["覆盖率"] = (summary["有措施的减收户数"] / summary[DECREASE]).where(summary[DECREASE] > 0)
    summary = summary[[*VILLAGE_KEYS, "户数", "已排查", "未排查", EXITED, NEW_ENTRY, INCREASE, FLAT, DECREASE, f"{RED}色预警", f"{ORANGE}色预警", "应纳未纳",
                       "有措施的减收户数", "覆盖率", "风险户数", "风险未帮扶户数", "缺口未补足户数", "措施数",
                       "已落实数", "计划数", "预计增收合计", "收入缺口合计"]]

    # Per measure and lead unit: households recommended it (the catalogue's unit) beside those in place
    recommended = households.melt(
        id_vars=VILLAGE_KEYS, value_vars=[recommended_column(c) for c in MEASURE_CODES],
        var_name="措施代码", value_name="推荐户数",
    )
    recommended["措施代码"] = recommended["措施代码"].str.removeprefix(recommended_column(""))
    recommended["牵头单位"] = recommended["措施代码"].map(MEASURE_UNIT)
    village_order = households[VILLAGE_KEYS].assign(_村序=np.arange(len(households)))
    stats = (
        recommended.merge(measures, on=VILLAGE_KEYS + keys, how="outer")
        .merge(village_order, on=VILLAGE_KEYS, how="left")
        .sort_values(["_村序", *keys], kind="stable")
    )
    stats[["推荐户数", "户数", "措施数", "已落实", "计划"]] = (
        stats[["推荐户数", "户数", "措施数", "已落实", "计划"]].fillna(0).astype(np.int64)
    )
    stats["预计增收"] = stats["预计增收"].fillna(0.0)
    stats["措施类型"] = stats["措施代码"].map(MEASURE_NAME)
    stats = stats[[*VILLAGE_KEYS, "措施代码", "措施类型", "牵头单位", "推荐户数", "户数", "措施数", "已落实", "计划", "预计增收"]]

    listed = hh.assign(**{c: roster[c].astype("str").array for c in (TOWNSHIP, HEAD)})
    listed[MEMBERS] = roster[MEMBERS].to_numpy()
    recommended_names = join_flags([hh[recommended_column(c)].to_numpy(bool) for c in MEASURE_CODES],
                                   [MEASURE_NAME[c] for c in MEASURE_CODES], "；")
    existing_names = join_flags([hh[existing_column(c)].to_numpy(bool) for c in MEASURE_CODES],
                                [MEASURE_NAME[c] for c in MEASURE_CODES], "；")
    listed["推荐措施"] = recommended_names.fillna("").to_numpy()
    listed["已有措施"] = existing_names.fillna("").to_numpy()
    listed["_序"] = level.map({w: i for i, w in enumerate(WARNING_LEVELS)}).to_numpy()
    unhelped = listed.loc[at_risk & ~helped].sort_values(
        [*VILLAGE_KEYS, "_序", "收入缺口"], ascending=[True, True, True, False], na_position="last", kind="stable"
    )[[*VILLAGE_KEYS, HID, HEAD, MEMBERS, "收入研判", "预警等级", "上年人均纯收入", "本年人均纯收入",
       "人均纯收入变化率", "减收风险点", "收入缺口", "推荐措施", "推荐理由"]]
    short = listed.loc[open_gap].assign(尚需增收=lambda f: f["收入缺口"] - f["预计增收合计"]).sort_values(
        [*VILLAGE_KEYS, "尚需增收"], ascending=[True, True, False], na_position="last", kind="stable"
    )[[*VILLAGE_KEYS, HID, HEAD, MEMBERS, "预警等级", "上年家庭纯收入", "本年家庭纯收入", "收入缺口", "预计增收合计",
       "尚需增收", "已有措施", "已落实措施数", "计划措施数", "推荐措施"]]
    measure_households = joined.rename(columns={"措施类型": "措施代码", "措施名称": "措施类型"}).sort_values(
        [*VILLAGE_KEYS, HID, SOURCE_ROW], na_position="last", kind="stable"
    )[[*VILLAGE_KEYS, HID, HEAD, MEMBERS, "收入研判", "预警等级", "减收风险点", "收入缺口", "预计能恢复", "措施代码",
       "措施类型", "措施内容", "牵头单位", "落实日期", "预计增收", "状态", SOURCE_ROW]]
    return {
        "台账汇总": summary,
        "措施户清单": measure_households.reset_index(drop=True),
        "措施分类统计": stats.reset_index(drop=True),
        "风险未帮扶户": unhelped.reset_index(drop=True),
        "缺口未补足户": short.reset_index(drop=True),
    }


# --- Poverty indices ---------------------------------------------------------------------


def fgt(hh: pd.DataFrame, policy: Policy, year_last: int, year_this: int) -> pd.DataFrame:
    """FGT P0, P1, P2 per village (sorted) and for the district (全区, last), both years:
    person-weighted (this year's members of each household), a negative per-capita counted
    as 0, households not surveyed in a year left out of it."""
    per_year = []
    for year, prefix in ((year_last, "上年"), (year_this, "本年")):
        z = policy.threshold(year)
        y = hh[f"{prefix}人均纯收入"].to_numpy(float)
        surveyed = ~np.isnan(y)
        weight = np.where(surveyed, hh[f"{prefix}家庭人口数"].to_numpy(float), 0.0)
        poor = surveyed & (y < z)
        gap = np.where(poor, (z - np.maximum(np.nan_to_num(y), 0.0)) / z, 0.0)
        terms = pd.DataFrame({
            VILLAGE: hh[VILLAGE].to_numpy(), "户数": surveyed.astype(np.int64), "人数": weight,
            "P0": poor * weight, "P1": gap * weight, "P2": gap**2 * weight,
        })
        sums = pd.concat([terms.groupby(VILLAGE, sort=True).sum().reset_index(),
                          _district_sums(terms.drop(columns=VILLAGE)).assign(**{VILLAGE: DISTRICT})],
                         ignore_index=True)
        for p in ("P0", "P1", "P2"):
            sums[p] = (sums[p] / sums["人数"]).where(sums["人数"] > 0)
        sums["人数"] = sums["人数"].astype(np.int64)
        sums["户数"] = sums["户数"].astype(np.int64)
        per_year.append(sums.assign(年度=year, 监测线=float(z), _序=np.arange(len(sums))))
    return (
        pd.concat(per_year, ignore_index=True)
        .sort_values(["_序", "年度"], kind="stable")[[VILLAGE, "年度", "监测线", "户数", "人数", "P0", "P1", "P2"]]
        .reset_index(drop=True)
    )


def band_labels(policy: Policy) -> tuple[str, str, str]:
    m = policy.orange_multiple
    return ("低于监测线", f"监测线至{m:g}倍", f"{m:g}倍以上")


def transitions(hh: pd.DataFrame, policy: Policy, year_last: int, year_this: int) -> pd.DataFrame:
    """Households surveyed in both years by band last year × this year (all nine pairs):
    below the year's line, from it to orange_multiple × it, above."""
    labels = band_labels(policy)

    def band(prefix: str, year: int) -> np.ndarray:
        y, z = hh[f"{prefix}人均纯收入"].to_numpy(float), policy.threshold(year)
        return (y >= z).astype(np.int64) + (y >= policy.orange_multiple * z)

    both = hh[["上年人均纯收入", "本年人均纯收入"]].notna().all(axis=1).to_numpy()
    pair = band("上年", year_last)[both] * 3 + band("本年", year_this)[both]
    count = np.bincount(pair, minlength=9)
    return pd.DataFrame({"上年区间": [labels[k // 3] for k in range(9)], "本年区间": [labels[k % 3] for k in range(9)],
                         "户数": count.astype(np.int64)})
