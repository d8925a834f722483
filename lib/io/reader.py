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

Several files or folders may be given (``read_input([a, b])``): the national monitoring
system's exports come one file per year. Input without 户信息 — every sheet of every file given,
folders opened — is handed to ``lib.io.system_export``, which tells the files apart by their
columns and finds each one's year (``years`` = the user's ``--year 文件名=2022``).
``InputData.sources`` says how each file was read.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

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
from lib.io.cells import check_table, fill_lead_units
from lib.io.inputs import (
    KIND_WORKBOOK,
    InputData,
    SourceFile,
    check_years,
    empty_frame,
    with_roster_status,
    with_system_figures,
)
from lib.io.keys import restore_leading_zeros
from lib.io.parsing import match_columns
from lib.io.sheets import (
    EXCEL_SUFFIXES,
    HEADER_SEARCH_ROWS,
    Grid,
    ParquetGrid,
    csv_grid,
    excel_grids,
    folder_grids,
    locate_table,
    sheet_key,
)

if TYPE_CHECKING:
    from lib.io import system_export

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
        if _named_as(name, sheet):
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


def _named_as(name: str, sheet: str) -> bool:
    """The sheet ``name`` holds ``sheet``'s name or one of its other names (帮扶措施台账, 农户信息 …)."""
    key = sheet_key(name)
    return any(sheet_key(alias) in key for alias in (sheet, *SHEET_ALIASES[sheet]))


def _export_sources(paths: Sequence[Path]) -> list[system_export.Source]:
    """Every sheet of every file given (folders opened, hidden and lock files skipped). One
    workbook given alone names its sheets as they are; otherwise a sheet is 文件名·工作表."""
    from lib.io import system_export  # the exports' reader, loaded only for exports

    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(f for f in sorted(path.iterdir()) if f.is_file() and not f.name.startswith((".", "~$")))
        else:
            files.append(path)
    sources = []
    alone = len(files) == 1
    for file in files:
        suffix = file.suffix.lower()
        if suffix == ".csv":
            sources.append(system_export.Source(file.stem, file, file.stem, lambda file=file: csv_grid(file, file.stem)))
        elif suffix in EXCEL_SUFFIXES:
            for sheet, load in excel_grids(file).items():
                label = sheet if alone and len(paths) == 1 and not paths[0].is_dir() else f"{file.stem}·{sheet}"
                sources.append(system_export.Source(label, file, sheet, load))
        else:  # listed as not used, so the run says it saw the file
            sources.append(system_export.Source(file.name, file, file.name, lambda file=file: Grid(file.name, pl.DataFrame())))
    return sources


def read_input(paths: str | Path | Sequence[str | Path], years: Mapping[str, int] | None = None) -> InputData:
    """Read and check the input at ``paths`` (one or more workbooks, exports or folders); see
    the module docstring. ``years``: file name → year, for exports whose names carry none."""
    paths = [Path(p) for p in ([paths] if isinstance(paths, (str, Path)) else paths)]
    if not paths:
        raise InputError("没有给出输入文件或文件夹")
    for path in paths:
        if not path.exists():
            raise InputError(f"找不到输入文件或文件夹：{path}")
    if len(paths) == 1:
        sources = _sources(paths[0])
        if _find_sheet(sources, SHEET_HOUSEHOLDS) is not None or any(_named_as(n, SHEET_HOUSEHOLDS) for n in sources):
            return _read_workbook(paths[0], sources)
    else:
        for path in paths:
            if not path.is_dir() and path.suffix.lower() in EXCEL_SUFFIXES and _find_sheet(excel_grids(path), SHEET_HOUSEHOLDS):
                raise InputError(
                    f"「{path.name}」是含「户信息」的工作簿：工作簿请单独给出；多个文件只用于防止返贫监测系统的导出"
                )
    from lib.io import system_export

    return system_export.read_exports(_export_sources(paths), years, "、".join(p.name for p in paths))


def _read_workbook(path: Path, sources: dict[str, Callable[[], Grid | ParquetGrid]]) -> InputData:
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
    income_years = tuple(sorted(frames[SHEET_INCOME].get_column("年度").unique().drop_nulls().to_list()))
    return InputData(
        households=with_roster_status(frames[SHEET_HOUSEHOLDS]),
        income=with_system_figures(frames[SHEET_INCOME]),
        measures=fill_lead_units(frames[SHEET_MEASURES]),
        rejects=pl.concat([empty_problems(), *rejects]),
        findings=pl.concat([empty_problems(), *findings]),
        rows_read=rows_read,
        source=path.name,
        sources=(SourceFile(path.name, KIND_WORKBOOK, income_years, "年度取自工作表「收入」的「年度」列"),),
    )
