"""The income rules once more, in plain vectorised pandas: the benchmark's baseline and an
independent cross-check of the polars rules engine (`lib.analysis`).

Written from the spec (../shared/DESIGN.md "Rules", docs/contract.md), never from the engine's
code: it shares only the catalogue (item names, kinds, risk-point keywords) and the Policy.
Vectorised throughout (index alignment, numpy, ``str.contains``), no row-wise ``apply``, so
that the timing comparison is fair.

Readings of the spec where it leaves a choice (the cross-check reports any disagreement):
- "fell" is judged on household amounts, per item, and means by more than half a fen (sums
  of the same cents in another order differ by ~1e-12).
- Risk points are judged for every household surveyed in both years, whatever its 收入研判.
- 养老金 falling is a loss (R9) only while pension is counted in net income.
- The flat band is taken around |last year's per-capita|, so a household with a negative
  per-capita last year and no change is 持平.
- The survey's 减收原因 is this year's row; it fires R8, and R9 when it says 其他 (or R9)
  naming no specific point, or matches no risk point at all; wordings of R1–R7 confirm, but
  do not by themselves fire, a point the numbers decide.
- R9 for "per-capita fell with no item falling" counts the yuan lost as the per-capita drop
  times this year's members.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from lib.catalogue import (
    DECREASE,
    FLAT,
    GREEN,
    HOUSEHOLD_TYPES,
    INCOME_ITEMS,
    INCREASE,
    NOT_SURVEYED,
    OPERATING,
    OPERATING_COST,
    ORANGE,
    PENSION,
    RED,
    RISK_BY_CODE,
    RISK_CODES,
    RISK_POINTS,
    YELLOW,
)
from lib.policy import Policy

HID, VILLAGE, YEAR, MEMBERS = "户编号", "村", "年度", "家庭人口数"
HH_TYPE, MONITORING, DISASTER = "户类型", "监测对象类别", "是否受灾"
MONTHS, CAUSE = "务工月数", "减收原因"
MIGRANT, WELFARE_JOB, DIBAO, TEKUN = "务工收入", "公益岗位收入", "低保金", "特困供养金"
DIVIDEND = "产业收益分配"

NOISE = 0.005  # yuan: a "fall" smaller than half a fen is floating-point noise, not a loss

# Sub-cause columns and their values (DESIGN.md, R3/R4/R5)
SUBCAUSE = {"R3": "R3细分原因", "R4": "R4细分原因", "R5": "R5细分原因"}


def amount_column(code: str) -> str:
    return f"{code}减收金额"


def pick_years(income: pd.DataFrame, years: tuple[int, int] | None = None) -> tuple[int, int]:
    """The pair compared: the one named, else the latest year in 收入 and the year before."""
    if years is not None:
        last, this = sorted(int(y) for y in years)
        return last, this
    this = int(income[YEAR].max())
    return this - 1, this


def _year_frame(income: pd.DataFrame, year: int, ids: pd.Index) -> pd.DataFrame:
    """That year's income rows aligned to the roster (all-NaN rows where not surveyed)."""
    rows = income[income[YEAR] == year]
    return rows.set_index(HID).reindex(ids)


def _survey_codes(cause: pd.Series) -> pd.DataFrame:
    """The risk points each survey cause names. An R-code in the text outranks a label, a
    label outranks a wording (keyword): "R3 其他" names R3, "其他经营成本上涨" names R1 and R9."""
    def hits(patterns: dict[str, list[str]]) -> np.ndarray:  # households × risk points
        return np.column_stack(
            [cause.str.contains("(?i)" + "|".join(words), regex=True).fillna(False).to_numpy(bool)
             for words in patterns.values()]
        )

    # "R1" must not match inside a longer code; RE2 (pyarrow) has no look-around
    by_code = hits({r.code: [f"{r.code}(?:[^0-9]|$)"] for r in RISK_POINTS})
    by_label = hits({r.code: [re.escape(r.label)] for r in RISK_POINTS})
    by_word = hits({r.code: [re.escape(k) for k in r.keywords] for r in RISK_POINTS})
    named = np.where(by_label.any(axis=1)[:, None], by_label, by_word)
    named = np.where(by_code.any(axis=1)[:, None], by_code, named)
    return pd.DataFrame(named, columns=[r.code for r in RISK_POINTS], index=cause.index)


def analyze_pandas(
    households: pd.DataFrame,
    income: pd.DataFrame,
    policy: Policy,
    years: tuple[int, int] | None = None,
) -> pd.DataFrame:
    """One row per household of 户信息 (its order): incomes, 收入研判, 预警等级, 应纳未纳,
    one boolean column per risk point R1–R9 with its yuan lost and the R3/R4/R5 sub-causes."""
    last_year, this_year = pick_years(income, years)
    ids = pd.Index(households[HID])
    last = _year_frame(income, last_year, ids)
    this = _year_frame(income, this_year, ids)
    has_last = last[YEAR].notna().to_numpy()
    has_this = this[YEAR].notna().to_numpy()
    surveyed = has_last & has_this

    # Net income by the policy: every item with its sign, pension out while the rule is on
    counted = [i for i in INCOME_ITEMS if not (policy.exclude_basic_pension and i.name == PENSION)]
    operating = [i for i in INCOME_ITEMS if i.kind == OPERATING]

    def net(frame: pd.DataFrame, items) -> np.ndarray:
        total = np.zeros(len(frame))
        for item in items:
            total += item.sign * frame[item.name].to_numpy(float)
        return total  # NaN where the year is missing

    net_last, net_this = net(last, counted), net(this, counted)
    # each year's own members, else 户信息's (frames are aligned to the roster's order)
    roster_members = households[MEMBERS].to_numpy(float)

    def members(frame: pd.DataFrame, present: np.ndarray) -> np.ndarray:
        own = frame[MEMBERS].to_numpy(float)
        return np.where(present, np.where(np.isnan(own), roster_members, own), np.nan)

    members_last, members_this = members(last, has_last), members(this, has_this)
    pc_last, pc_this = net_last / members_last, net_this / members_this

    # 增收 / 持平 / 减收 / 未排查
    change = pc_this - pc_last
    flat = np.abs(change) <= policy.flat_band * np.abs(pc_last)
    decrease = surveyed & ~flat & (change < 0)
    judgement = np.select(
        [~surveyed, flat, change > 0], [NOT_SURVEYED, FLAT, INCREASE], DECREASE
    )
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

    # Risk points: per item drops (household yuan), only where both years are surveyed
    def drop(frame_items) -> np.ndarray:
        total = np.zeros(len(ids))
        for name in frame_items:
            d = last[name].to_numpy(float) - this[name].to_numpy(float)
            total += np.where(surveyed & (d > NOISE), d, 0.0)
        return total

    def now(name: str) -> np.ndarray:
        return this[name].to_numpy(float)

    op_drop = net(last, operating) - net(this, operating)
    op_drop = np.where(surveyed & (op_drop > NOISE), op_drop, 0.0)
    disaster = households[DISASTER].fillna(False).to_numpy(bool)
    survey = _survey_codes(this[CAUSE].where(pd.Series(surveyed, index=ids)))
    cause_given = (this[CAUSE].fillna("").str.strip() != "").to_numpy(bool) & surveyed
    named_any = survey.any(axis=1).to_numpy(bool)
    names_other_point = survey.drop(columns=["R8", "R9"]).any(axis=1).to_numpy(bool)

    r9_items = [n for n in RISK_BY_CODE["R9"].items if not (n == PENSION and policy.exclude_basic_pension)]
    amounts = {
        "R1": np.where(disaster, 0.0, op_drop),
        "R2": drop([DIVIDEND]),
        "R3": drop([MIGRANT]),
        "R4": drop([WELFARE_JOB]),
        "R5": drop([DIBAO, TEKUN]),
        "R6": drop(RISK_BY_CODE["R6"].items),
        "R7": np.where(disaster, op_drop, 0.0),
        "R8": np.zeros(len(ids)),
        "R9": drop(r9_items),
    }
    item_fell = np.zeros(len(ids), bool)
    for code, amount in amounts.items():
        item_fell |= amount > 0
    pc_fell_alone = surveyed & (pc_last - pc_this > NOISE) & ~item_fell
    amounts["R9"] = np.where(pc_fell_alone, (pc_last - pc_this) * members_this, amounts["R9"])
    fires = {code: amount > 0 for code, amount in amounts.items()}
    fires["R8"] = survey["R8"].to_numpy(bool)
    # 其他 counts only when the cause names no specific point ("因病未外出务工" is R3's)
    says_other = survey["R9"].to_numpy(bool) & ~names_other_point & ~survey["R8"].to_numpy(bool)
    fires["R9"] = fires["R9"] | says_other | (cause_given & ~named_any)

    # Sub-causes
    months_fell = (this[MONTHS] < last[MONTHS]).fillna(False).to_numpy(bool)
    dibao_gone = (drop([DIBAO]) == 0) | (now(DIBAO) == 0)
    tekun_gone = (drop([TEKUN]) == 0) | (now(TEKUN) == 0)
    subcause = {
        "R3": np.select([now(MIGRANT) == 0, months_fell], ["未务工", "务工时间缩短"], "工资降低"),
        "R4": np.where(now(WELFARE_JOB) == 0, "未参加", "补贴降低"),
        "R5": np.where(dibao_gone & tekun_gone, "取消", "减少"),
    }

    out = pd.DataFrame(
        {
            HID: households[HID].to_numpy(),
            VILLAGE: households[VILLAGE].to_numpy(),
            "上年家庭人口数": members_last,
            "本年家庭人口数": members_this,
            "上年家庭纯收入": net_last,
            "本年家庭纯收入": net_this,
            "上年人均纯收入": pc_last,
            "本年人均纯收入": pc_this,
            "人均纯收入变化": change,
            "人均纯收入变化率": rate,
            "收入研判": pd.array(judgement, dtype="str"),
            "预警等级": pd.array(level, dtype="str"),
            "应纳未纳": should_enrol,
        }
    )
    for code in RISK_CODES:
        out[code] = fires[code]
    for code in RISK_CODES:
        out[amount_column(code)] = amounts[code]
    for code, column in SUBCAUSE.items():
        out[column] = pd.array(np.where(fires[code], subcause[code], None), dtype="str")
    out["减收金额"] = np.sum([amounts[c] for c in RISK_CODES], axis=0)
    return out


def risk_codes(result: pd.DataFrame) -> pd.Series:
    """The fired R-codes of each household, sorted, as tuples (for comparisons)."""
    flags = result[list(RISK_CODES)].to_numpy(bool)
    codes = np.array(RISK_CODES)
    return pd.Series([tuple(codes[row]) for row in flags], index=result[HID].to_numpy())
