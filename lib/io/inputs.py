"""The canonical input frames (docs/contract.md §1) and their empty shapes.

``PERSON_SCHEMA`` (declared in the catalogue, so the rules can name it without importing I/O)
is re-exported here beside ``empty_persons``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import polars as pl

from lib.catalogue import (
    INCOME_SYSTEM_COLUMNS,
    PERSON_SCHEMA,  # noqa: F401  (re-exported: the schema lives in the catalogue, the rules read it)
    ROSTER_STATUS_COLUMNS,
    SHEET_INCOME,
    SOURCE_ROW,
    YEAR,
    Column,
    empty_persons,
)
from lib.codes import InputError

OUTPUT_DTYPES = {"id": pl.String, "text": pl.String, "choice": pl.String, "int": pl.Int64, "money": pl.Float64,
                 "months": pl.Float64, "bool": pl.Boolean, "year": pl.Int64, "date": pl.Date}


# Kinds of input file, as the run reports them.
KIND_WORKBOOK, KIND_YEARLY, KIND_WORK, KIND_MEASURES, KIND_SKIPPED = "工作簿", "年度导出", "务工导出", "帮扶措施", "未使用"


@dataclass(frozen=True)
class SourceFile:
    """How one input file (or one sheet of it) was read: for the line every run prints."""

    name: str  # file name, or 文件名·工作表 for one sheet of a workbook
    kind: str  # one of the KIND_* values
    years: tuple[int, ...] = ()
    note: str = ""  # where the year came from, or why the file was not used

    def line(self) -> str:
        years = f"，年度 {'、'.join(map(str, self.years))}" if self.years else ""
        note = f"（{self.note}）" if self.note else ""
        return f"「{self.name}」：{self.kind}{years}{note}"



@dataclass(frozen=True)
class InputData:
    households: pl.DataFrame
    income: pl.DataFrame
    measures: pl.DataFrame
    rejects: pl.DataFrame
    findings: pl.DataFrame
    rows_read: dict[str, int]
    source: str
    persons: pl.DataFrame = field(default_factory=empty_persons)
    sources: tuple[SourceFile, ...] = ()

    def describe(self) -> str:
        """Which file was read as which year and which kind (printed by every run)."""
        return "\n".join(f"读取{s.line()}" for s in self.sources)


def with_optional_columns(frame: pl.DataFrame, columns: Sequence[Column]) -> pl.DataFrame:
    """``frame`` with each of ``columns`` present (null when the input has no such data)."""
    missing = [pl.lit(None, OUTPUT_DTYPES[c.dtype]).alias(c.name) for c in columns if c.name not in frame.columns]
    return frame.with_columns(missing) if missing else frame


def with_roster_status(households: pl.DataFrame) -> pl.DataFrame:
    return with_optional_columns(households, ROSTER_STATUS_COLUMNS)


def with_system_figures(income: pl.DataFrame) -> pl.DataFrame:
    return with_optional_columns(income, INCOME_SYSTEM_COLUMNS)


def empty_frame(columns: Sequence[Column]) -> pl.DataFrame:
    return pl.DataFrame(schema={**{c.name: OUTPUT_DTYPES[c.dtype] for c in columns}, SOURCE_ROW: pl.Int64})


def check_years(income: pl.DataFrame, sheet: str = SHEET_INCOME) -> None:
    years = sorted(income.get_column(YEAR).unique().drop_nulls().to_list())
    if len(years) < 2:
        shown = "、".join(map(str, years)) or "无"
        raise InputError(
            f"工作表「{sheet}」列「{YEAR}」只有 {len(years)} 个可用年度（{shown}）：至少需要两个年度才能比较收入"
        )


