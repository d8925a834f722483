"""What an analyst would script in plain pandas: the core rules only, from a CSV folder to one CSV.

    python benchmarks/pandas_core.py <folder with 户信息.csv and 收入.csv> <out.csv>

The yardstick for `zengshou analyze <csv folder>` (benchmarks/bench_analyze.py --csv): a
straightforward vectorised script (pandas' default CSV reader, no row-wise apply) that
computes 家庭纯收入 and 人均纯收入 for the last two years, 收入研判 (增收/持平/减收/未排查),
预警等级, 应纳未纳 and the numeric risk points R1–R7, and writes one row per household. It
does much less than `zengshou analyze`: no check of any cell (a bad amount is NaN or a crash),
no rejects, no sub-causes or yuan lost, no R8/R9, no measures, ledger, FGT or summary. The
policy values are read from the shipped policy file with tomllib, so lib (and polars) is
never imported.
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd

POLICY = Path(__file__).resolve().parents[1] / "lib" / "policy_default.toml"
ITEMS = ["务工收入", "公益岗位收入", "其他工资性收入", "种植业收入", "养殖业收入", "其他经营收入",
         "产业收益分配", "土地流转收入", "其他财产性收入", "低保金", "特困供养金", "养老金", "计划生育金",
         "生态补偿金", "政策性补贴", "其他转移性收入"]
COST = "生产经营性支出"
OPERATING = ["种植业收入", "养殖业收入", "其他经营收入"]
RISKS = {  # code: (label, the items whose fall fires it)
    "R2": ("产业收益分配减收", ["产业收益分配"]),
    "R3": ("务工减收", ["务工收入"]),
    "R4": ("公益岗减收", ["公益岗位收入"]),
    "R5": ("低保取消", ["低保金", "特困供养金"]),
    "R6": ("政策补贴减少", ["政策性补贴", "生态补偿金", "计划生育金"]),
}
YES = {"是", "Y", "y", "1", "true", "TRUE", "√"}


def main(folder: Path, out: Path) -> None:
    policy = tomllib.loads(POLICY.read_text(encoding="utf-8"))
    rules = policy["rules"]
    hh = pd.read_csv(folder / "户信息.csv", dtype={"户编号": str},
                     usecols=["户编号", "村", "户类型", "监测对象类别", "家庭人口数", "是否受灾"])
    income = pd.read_csv(folder / "收入.csv", dtype={"户编号": str},
                         usecols=["户编号", "年度", "家庭人口数", COST, *ITEMS])
    last_year, this_year = sorted(income["年度"].unique())[-2:]
    income[[COST, *ITEMS]] = income[[COST, *ITEMS]].fillna(0.0)
    if not rules["pension_in_net_income"]:
        income["养老金"] = 0.0
    income["纯收入"] = income[ITEMS].sum(axis=1) - income[COST]
    income["经营净收入"] = income[OPERATING].sum(axis=1) - income[COST]

    years = {}
    for year in (last_year, this_year):
        rows = income[income["年度"] == year].drop_duplicates("户编号").set_index("户编号")
        years[year] = rows.reindex(hh["户编号"])
    last, this = years[last_year], years[this_year]
    roster_members = hh["家庭人口数"].to_numpy(float)

    def per_capita(frame: pd.DataFrame) -> np.ndarray:
        members = frame["家庭人口数"].to_numpy(float)
        members = np.where(members >= 1, members, roster_members)
        return frame["纯收入"].to_numpy(float) / members

    pc_last, pc_this = per_capita(last), per_capita(this)
    surveyed = ~np.isnan(pc_last) & ~np.isnan(pc_this)
    change = pc_this - pc_last
    flat = np.abs(change) <= rules["flat_band"] * np.abs(pc_last)
    decrease = surveyed & ~flat & (change < 0)
    judgement = np.select([~surveyed, flat, change > 0], ["未排查", "持平", "增收"], "减收")

    threshold = policy["years"][str(this_year)]["monitoring_threshold"]
    has_this = ~np.isnan(pc_this)
    below = has_this & (pc_this < threshold)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(pc_last > 0, change / pc_last, np.nan)
    orange = decrease & ((rate <= -rules["orange_drop"]) | (pc_this < rules["orange_multiple"] * threshold))
    level = np.select([~has_this, below, orange, decrease], ["", "红", "橙", "黄"], "绿")
    enrol = hh["户类型"].isin(["脱贫户", "一般农户"]).to_numpy() & hh["监测对象类别"].isna().to_numpy() & below

    def fell(columns: list[str]) -> np.ndarray:
        return surveyed & (last[columns].to_numpy(float) > this[columns].to_numpy(float)).any(axis=1)

    hit = hh["是否受灾"].isin(YES).to_numpy()
    operating_fell = surveyed & (last["经营净收入"].to_numpy(float) > this["经营净收入"].to_numpy(float))
    flags = {"R1": ("经营减收", operating_fell & ~hit)}
    flags.update({code: (label, fell(items)) for code, (label, items) in RISKS.items()})
    flags["R7"] = ("自然灾害减收", operating_fell & hit)
    risks = pd.Series("", index=hh.index)
    for label, flag in flags.values():
        risks = risks.where(~flag, risks + np.where(risks == "", "", ";") + label)

    pd.DataFrame({
        "户编号": hh["户编号"], "村": hh["村"], "上年人均纯收入": pc_last.round(2),
        "本年人均纯收入": pc_this.round(2), "人均纯收入变化": change.round(2), "收入研判": judgement,
        "预警等级": level, "减收风险点": risks, "应纳未纳": np.where(enrol, "是", "否"),
    }).to_csv(out, index=False, encoding="utf-8-sig")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
