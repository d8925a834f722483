"""Reading the input: an .xlsx workbook, a folder of CSV files, or a folder of parquet files.

``read_input(path)`` returns the canonical frames of docs/contract.md §1. The sheets people
actually send carry title rows above the header, 合计 rows below the data, IDs that Excel
turned into numbers, and cells such as “1,200元” or “不详”. The reader

- finds the header row itself (the row among the first rows that matches most catalogue
  columns) and counts rows as Excel shows them (1-based, title and header rows included);
- parses every column with the vectorised parsers of ``lib.io.parsing``;
- never drops a row silently: a row it does not use goes to ``rejects`` with a stable code
  and a Chinese sentence naming sheet, row and column (only entirely blank rows are skipped,
  and those are not counted in ``rows_read``); a row used but doubtful goes to ``findings``;
- raises ``InputError`` for input it cannot use at all (not a workbook, a missing sheet or
  required column, fewer than two years).

Invariant: ``rows_read[sheet] == used rows + rejected rows`` for each sheet; ``rejects``
holds exactly one line per rejected row (its first problem in 列/值/代码, all problems in 原因).

A workbook without 户信息 that looks like a person-level export of the national monitoring
system is handed to ``lib.io.system_export``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import polars as pl

from lib.catalogue import (
    SHEET_ALIASES,
    SHEET_EN,
    SHEET_HOUSEHOLDS,
    SHEET_INCOME,
    SHEET_MEASURES,
    SHEETS,
)
from lib.codes import InputError, empty_problems, problem_columns, sentence
from lib.io import system_export
from lib.io.cells import check_table, fill_lead_units
from lib.io.inputs import InputData, check_years, empty_frame
from lib.io.keys import restore_leading_zeros
from lib.io.parsing import match_columns
from lib.io.sheets import (
    EXCEL_SUFFIXES,
    HEADER_SEARCH_ROWS,
    Grid,
    ParquetGrid,
    every_file_grids,
    excel_grids,
    folder_grids,
    locate_table,
    sheet_key,
)

__all__ = ["InputData", "InputError", "read_input"]


# ---------------------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------------------


def _sources(path: Path) -> dict[str, Callable[[], Grid | ParquetGrid]]:
    if path.is_dir():
        return folder_grids(path)
    if path.suffix.lower() in EXCEL_SUFFIXES:
        return excel_grids(path)
    raise InputError(
        f"无法读取「{path.name}」：请提供 Excel 工作簿（.xlsx），或包含 户信息.csv、收入.csv、帮扶措施.csv（或同名 parquet）的文件夹"
    )


def _find_sheet(sources: dict[str, Callable[[], Grid | ParquetGrid]], sheet: str) -> Callable[[], Grid | ParquetGrid] | None:
    wanted = {sheet_key(sheet), SHEET_EN[sheet]}
    return next((load for name, load in sources.items() if sheet_key(name) in wanted), None)


def _sheet_by_content(sources: dict[str, Callable[[], Grid | ParquetGrid]], sheet: str,
                      taken: set[str]) -> tuple[str, str] | None:
    """(name, why) of the sheet that is ``sheet`` by its name (帮扶措施台账) or, failing that, by
    its columns (every required column of ``sheet`` in its header, the most matches winning)."""
    free = [name for name in sources if name not in taken]
    for name in free:
        key = sheet_key(name)
        if any(sheet_key(alias) in key for alias in (sheet, *SHEET_ALIASES[sheet])):
            return name, "按工作表名称"
    required = [c for c in SHEETS[sheet] if c.required]
    best, best_count = None, 0
    for name in free:
        try:
            top = sources[name]().top(HEADER_SEARCH_ROWS)
        except InputError:
            continue
        for row in top:
            matched = set(match_columns([c for c in row if c is not None], SHEETS[sheet]).values())
            if all(c.name in matched for c in required) and len(matched) > best_count:
                best, best_count = name, len(matched)
    return (best, f"按表头中的{best_count}个列名") if best is not None else None


def _sheet_note(sheet: str, code: str, reason: pl.Expr) -> pl.DataFrame:
    return pl.select(problem_columns(sheet, pl.lit(None, pl.Int64), "", None, code, reason))


def read_input(path: str | Path) -> InputData:
    """Read and check the input at ``path`` (workbook or folder); see the module docstring."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"找不到输入文件或文件夹：{path}")
    sources = _sources(path)
    if _find_sheet(sources, SHEET_HOUSEHOLDS) is None:
        candidates = sources if sources or not path.is_dir() else every_file_grids(path)
        exported = system_export.read_export(candidates, path.name)
        if exported is not None:
            return exported
    frames, rejects, findings, rows_read = {}, [], [], {}
    exact = {key for s in SHEETS for key in (sheet_key(s), SHEET_EN[s])}
    taken = {name for name in sources if sheet_key(name) in exact}  # not to be read as another sheet
    for sheet, columns in SHEETS.items():
        load = _find_sheet(sources, sheet)
        if load is None and (found := _sheet_by_content(sources, sheet, taken)) is not None:
            name, why = found
            taken.add(name)
            load = sources[name]
            findings.append(_sheet_note(sheet, "W209", sentence("W209", wanted=sheet, used=name, why=why)))
        if load is None:
            if sheet == SHEET_MEASURES:  # 帮扶措施 may not exist yet early in the survey
                frames[sheet] = empty_frame(columns)
                findings.append(_sheet_note(sheet, "W210", sentence("W210", sheets="、".join(sources) or "无")))
                continue
            present = "、".join(sources) or "无"
            raise InputError(f"找不到工作表「{sheet}」（「{path.name}」中有：{present}）")
        table = locate_table(load(), columns, sheet, typed=True)
        frame, sheet_rejects, sheet_findings, count = check_table(table, columns)
        del table  # the sheet's cells, before the next sheet is read
        frames[sheet], rows_read[sheet] = frame, count
        rejects.append(sheet_rejects)
        findings.append(sheet_findings)
    for sheet in (SHEET_INCOME, SHEET_MEASURES):
        frames[sheet], restored = restore_leading_zeros(frames[SHEET_HOUSEHOLDS], frames[sheet], sheet)
        findings.append(restored)
    check_years(frames[SHEET_INCOME])
    return InputData(
        households=frames[SHEET_HOUSEHOLDS],
        income=frames[SHEET_INCOME],
        measures=fill_lead_units(frames[SHEET_MEASURES]),
        rejects=pl.concat([empty_problems(), *rejects]),
        findings=pl.concat([empty_problems(), *findings]),
        rows_read=rows_read,
        source=path.name,
    )
