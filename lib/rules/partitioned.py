"""A district analysed in partitions (one 县 or 乡镇 at a time): what each partition hands on,
and how the partitions' aggregates add up to the district's.

Each household's figures depend on that household alone, so every per-household table of a
partition is final as it is. What spans households — counts, sums, FGT, the ledger's
summary views, transitions, summary.json — is carried as *sums* and added: a count is the sum
of the partitions' counts, a share is recomputed from the summed numerator and denominator,
FGT from the summed S_α and persons (`lib.rules.poverty.fgt_from_sums`). The result is the
whole-district analysis's, up to the order of floating-point additions (FGT rounds to 12
digits for that reason). Pure: frames and dicts in, frames and dicts out.

Partitions are expected to hold disjoint households. A village name found in two partitions
is one village, as in a whole-district run (rows of the same 村 / 乡镇+村 are added).
"""

from __future__ import annotations

import polars as pl

from lib.catalogue import DECREASE, DISTRICT, VILLAGE
from lib.codes import InputError
from lib.policy import Policy
from lib.rules.analysis import summary_rows
from lib.rules.figures import additive_figures, combine_additive
from lib.rules.ledger import MEASURE_STATS, SUMMARY
from lib.rules.poverty import fgt_from_sums, fgt_sums

# Ledger views that hold village rows and a district row (the others are lists of rows).
SUMMED_VIEWS = {
    SUMMARY: ["乡镇", "村"],
    MEASURE_STATS: ["乡镇", "村", "措施代码", "措施类型", "牵头单位"],
}
DISTRICT_KEYS = {SUMMARY: [], MEASURE_STATS: ["措施代码", "措施类型", "牵头单位"]}
SHARES = {"覆盖率": ("有措施的减收户数", DECREASE)}  # ledger ratio: numerator, denominator


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None  # as lib.rules.analysis.build_summary


def partition_aggregates(analysis, policy: Policy) -> dict:
    """What one partition's `Analysis` hands on to the combination: small, JSON-able-ish."""
    return {
        "years": (analysis.year_last, analysis.year_this),
        "summary": analysis.summary,
        "figures": additive_figures(analysis.households),
        "fgt_sums": fgt_sums(analysis.households, policy, analysis.year_last, analysis.year_this),
        "transitions": analysis.transitions,
        "ledger": {view: analysis.ledger[view].filter(pl.col(VILLAGE) != DISTRICT) for view in SUMMED_VIEWS},
    }


def combine_years(parts: list[dict]) -> tuple[int, int]:
    """The partitions' compared years, which must be one pair (else InputError)."""
    years = {tuple(p["years"]) for p in parts}
    if len(years) != 1:
        shown = "、".join(f"{a}—{b}" for a, b in sorted(years))
        raise InputError(f"各分区比较的年度不一致（{shown}）：请用 --years 指定同一对年度")
    return years.pop()


def combine_fgt(parts: list[dict]) -> pl.DataFrame:
    return fgt_from_sums(pl.concat([p["fgt_sums"] for p in parts]))


def combine_transitions(parts: list[dict]) -> pl.DataFrame:
    """户数 per (上年区间, 本年区间), in the first partition's (fixed, full-grid) order."""
    keys = ["上年区间", "本年区间"]
    first = parts[0]["transitions"]
    summed = pl.concat([p["transitions"] for p in parts]).group_by(keys).agg(pl.col("户数").sum())
    return first.select(keys).join(summed, on=keys, how="left", maintain_order="left").select(first.columns)


def combine_ledger_view(view: str, frames: list[pl.DataFrame]) -> pl.DataFrame:
    """A summary view of the ledger (village rows, then the district rows) from the partitions'
    village rows: numbers added per village, shares recomputed, district rows summed."""
    keys = SUMMED_VIEWS[view]
    rows = pl.concat(frames, how="vertical_relaxed")
    columns = rows.columns
    numbers = [c for c, t in rows.schema.items() if t.is_numeric() and c not in keys and c not in SHARES]

    def summed(by: list[str]) -> pl.DataFrame:
        lazy = rows.lazy()
        aggs = [pl.col(c).sum() for c in numbers]
        frame = (lazy.group_by(by, maintain_order=True).agg(aggs) if by else lazy.select(aggs)).collect()
        return frame.with_columns(
            pl.when(pl.col(den) > 0).then(pl.col(num) / pl.col(den)).alias(share)
            for share, (num, den) in SHARES.items() if share in columns
        )

    villages = summed(keys)
    district = summed(DISTRICT_KEYS[view]).with_columns(
        pl.lit(None, rows.schema["乡镇"]).alias("乡镇"), pl.lit(DISTRICT, pl.String).alias(VILLAGE)
    )
    return pl.concat([villages.select(columns), district.select(columns)], how="vertical_relaxed")


def _add(values: list):
    """Numbers added, dicts added key by key, anything else taken from the first partition."""
    first = values[0]
    if isinstance(first, bool) or not isinstance(first, (int, float, dict)):
        return first
    if isinstance(first, dict):
        keys = list(dict.fromkeys(k for v in values for k in v))
        return {k: _add([v[k] for v in values if k in v]) for k in keys}
    total = sum(values)
    return round(total, 2) if isinstance(total, float) else total


def _add_rows(lists: list[list[dict]], key: str) -> list[dict]:
    """Rows with the same ``key`` added, in the order the keys first appear."""
    by_key: dict = {}
    for rows in lists:
        for row in rows:
            by_key.setdefault(row[key], []).append(row)
    return [_add(rows) for rows in by_key.values()]


def combine_summary(summaries: list[dict], source: str, figures: list[pl.DataFrame]) -> dict:
    """summary.json of the whole district from the partitions' (`build_summary` and what
    `analyze` adds): counts added, shares recomputed, 风险点 by code, and 各村 / 全区 from the
    partitions' additive figure tables (every share and per-capita figure derived again, as a
    whole-district run derives it)."""
    combined = _add(summaries)
    for same in ("年度", "监测线"):  # one pair of years and lines for every partition (combine_years)
        combined[same] = summaries[0][same]
    combined["数据来源"] = source
    combined["风险点"] = _add_rows([s["风险点"] for s in summaries], "代码")
    *combined["各村"], combined["全区"] = summary_rows(combine_additive(figures))
    combined["未使用行按代码"] = dict(sorted(combined["未使用行按代码"].items()))
    cover = combined["排查覆盖"]
    cover["排查率"] = _share(cover["已排查户数"], cover["应排查户数"])
    helped = combined["措施覆盖"]
    helped["覆盖率"] = _share(helped["有措施的减收户数"], helped["减收户数"])
    return combined


__all__ = [
    "combine_fgt",
    "combine_ledger_view",
    "combine_summary",
    "combine_transitions",
    "combine_years",
    "partition_aggregates",
]
