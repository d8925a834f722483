"""The canonical input frames (docs/contract.md §1) and their empty shapes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import polars as pl

from lib.catalogue import (
    PERSON_SCHEMA,  # noqa: F401  (the persons' schema lives in the catalogue: the rules read it)
    SHEET_INCOME,
    SOURCE_ROW,
    YEAR,
    Column,
    empty_persons,
)
from lib.codes import InputError

OUTPUT_DTYPES = {"id": pl.String, "text": pl.String, "choice": pl.String, "int": pl.Int64, "money": pl.Float64,
                 "months": pl.Float64, "bool": pl.Boolean, "year": pl.Int64, "date": pl.Date}


@dataclass(frozen=True)
class InputData:
    households: pl.DataFrame
    income: pl.DataFrame
    measures: pl.DataFrame
    rejects: pl.DataFrame
    findings: pl.DataFrame
    rows_read: dict[str, int]
    source: str
    persons: pl.DataFrame = field(default_factory=empty_persons)  # PERSON_SCHEMA; empty for a workbook


def empty_frame(columns: Sequence[Column]) -> pl.DataFrame:
    return pl.DataFrame(schema={**{c.name: OUTPUT_DTYPES[c.dtype] for c in columns}, SOURCE_ROW: pl.Int64})


def check_years(income: pl.DataFrame, sheet: str = SHEET_INCOME) -> None:
    years = sorted(income.get_column(YEAR).unique().drop_nulls().to_list())
    if len(years) < 2:
        shown = "、".join(map(str, years)) or "无"
        raise InputError(
            f"工作表「{sheet}」列「{YEAR}」只有 {len(years)} 个可用年度（{shown}）：至少需要两个年度才能比较收入"
        )


