"""Row checks: every cell of a located table parsed by its column's type, every problem
a reject or a finding with its registered code (lib/codes.py) and a sentence naming sheet,
row and column."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import polars as pl

from lib.catalogue import ID as HOUSEHOLD_ID
from lib.catalogue import (
    MEASURE_BY_CODE,
    MEASURES,
    MEMBERS,
    SHEET_HOUSEHOLDS,
    SHEET_INCOME,
    SOURCE_ROW,
    YEAR,
    Column,
)
from lib.codes import code, sentence, template
from lib.io.inputs import OUTPUT_DTYPES
from lib.io.parsing import (
    UNSEEN_IN_KEY,
    null_column,
    parse_amount_column,
    parse_bool_column,
    parse_choice_column,
    parse_count_column,
    parse_date_column,
    parse_id_column,
    parse_months_column,
    parse_resident_id_column,
    parse_text_column,
    parse_year_column,
    stored_as_number_reason,
)
from lib.io.sheets import Table

TOTAL_ROW = r"^\s*(合\s*计|小\s*计|总\s*计|共\s*计)"
RESIDENT_ID = "证件号码"
_DTYPE_CODE = {
    "id": "E109", "int": "E102", "money": "E102", "months": "E102",
    "year": "E103", "choice": "E105", "date": "E110", "bool": "E111",
}
# Canonical values given to blank cells (contract §1); other blanks stay null.
BLANK_DEFAULTS = {"重度残疾人数": 0, "重病人数": 0, "状态": "计划"}
# Parser per column type; blank income amounts are 0 (contract §1), blank yes/no is 否.
PARSERS = {
    "id": parse_id_column,
    "text": parse_text_column,
    "int": parse_count_column,
    "money": parse_amount_column,
    "months": parse_months_column,
    "bool": parse_bool_column,
    "year": parse_year_column,
    "date": parse_date_column,
}
MIN_MEMBERS = 1
LEAD_UNIT = "牵头单位"
MEASURE_TYPE = "措施类型"
KEYS = {SHEET_HOUSEHOLDS: (HOUSEHOLD_ID,), SHEET_INCOME: (HOUSEHOLD_ID, YEAR)}
KEYS_SHOWN_CLEANED = (HOUSEHOLD_ID, "乡镇", "村")  # keys that join or group rows: a change is reported
DUPLICATE_CODE = {SHEET_HOUSEHOLDS: "E106", SHEET_INCOME: "E107"}


# ---------------------------------------------------------------------------------------
# Row checks
# ---------------------------------------------------------------------------------------


def _measure_type_spellings() -> dict[str, str]:
    spellings = {}
    for m in MEASURES:
        for key in (m.code, m.code.lower(), m.name, m.code + m.name, m.code.lower() + m.name):
            spellings[key] = m.code
    return spellings


# Excel's error values (a formula that failed): in a sheet's text, or as calamine reports them.
EXCEL_ERROR_VALUE = r"^#(N/A|VALUE!|DIV/0!|REF!|NAME\?|NUM!|NULL!|GETTING_DATA|ERROR)$"


def parse_cells(column: Column, raw: pl.Series, numeric: pl.Series | None = None,
                hash_marks: bool = True) -> pl.DataFrame:
    """value, reason (reject), code and finding columns for one canonical column's raw text.
    ``hash_marks`` False: the file holds no "#", so no cell is an Excel error value (#N/A …)."""
    if column.dtype == "choice":
        measure = column.name == MEASURE_TYPE
        spellings = _measure_type_spellings() if measure else {c: c for c in column.choices}
        allowed = [f"{m.code} {m.name}" for m in MEASURES] if measure else column.choices
        out = parse_choice_column(raw, spellings, allowed)
    elif column.dtype == "id" and column.name == RESIDENT_ID:
        out = parse_resident_id_column(raw).rename({"damage": "reason"})
    else:
        out = PARSERS[column.dtype](raw)
    if "finding" not in out.columns:
        out = out.with_columns(pl.lit(None, dtype=pl.String).alias("finding"))
    if _all_read(column, raw, out, numeric, hash_marks):
        return _read_as_is(column, out)
    finding, finding_code = pl.col("finding"), pl.when(pl.col("finding").is_not_null()).then(pl.lit(code("W201")))
    if column.name in KEYS_SHOWN_CLEANED and raw.dtype == pl.String:
        # A key that held what nobody sees (a copied zero-width space) would match no other row.
        unseen = pl.lit(raw).str.contains(UNSEEN_IN_KEY).fill_null(False) & pl.col("value").is_not_null()
        finding = pl.when(finding.is_null() & unseen).then(pl.lit(template("W207"))).otherwise(finding)
        finding_code = pl.when(pl.col("finding").is_null() & unseen).then(pl.lit(code("W207"))).otherwise(finding_code)
    if numeric is not None and numeric.any():  # no cell held as a number: nothing to add
        out = out.with_columns(pl.coalesce(stored_as_number_reason(out["value"], numeric), pl.col("reason")).alias("reason"))
    blank = raw.is_null()  # locate_table made whitespace-only cells null
    value, reason = pl.col("value"), pl.col("reason")
    if column.name in BLANK_DEFAULTS:
        value = pl.when(blank).then(pl.lit(BLANK_DEFAULTS[column.name])).otherwise(value)
    # The code is decided beside the reason, rule by rule (never read back from its words).
    reject_code = pl.when(reason.is_not_null()).then(pl.lit(_DTYPE_CODE.get(column.dtype, "E102")))
    # (the regex runs only when some cell starts with "#": a plain column costs one prefix scan)
    if (column.dtype != "text" or column.required) and hash_marks and raw.dtype == pl.String and raw.str.starts_with("#").any():
        # A broken formula is never a value (an amount of 0, a blank name): the row waits for a fix.
        broken = pl.lit(raw).str.contains(EXCEL_ERROR_VALUE).fill_null(False)
        reason = pl.when(broken).then(pl.lit(template("E114"))).otherwise(reason)
        reject_code = pl.when(broken).then(pl.lit(code("E114"))).otherwise(reject_code)
    if column.required:
        missing = reason.is_null() & pl.col("value").is_null()
        reason = pl.when(missing).then(pl.lit(template("E101"))).otherwise(reason)
        reject_code = pl.when(missing).then(pl.lit(code("E101"))).otherwise(reject_code)
    if column.name == MEMBERS:
        too_few = reason.is_null() & (pl.col("value") < MIN_MEMBERS)
        reason = pl.when(too_few).then(pl.lit(template("E104").format(minimum=MIN_MEMBERS))).otherwise(reason)
        reject_code = pl.when(too_few).then(pl.lit(code("E104"))).otherwise(reject_code)
    return out.select(
        value.cast(OUTPUT_DTYPES[column.dtype]).alias("value"),
        reason.cast(pl.String).alias("reason"),
        reject_code.cast(pl.String).alias("code"),
        finding.alias("finding"),
        finding_code.cast(pl.String).alias("finding_code"),
    )


def _all_read(column: Column, raw: pl.Series, out: pl.DataFrame, numeric: pl.Series | None,
              hash_marks: bool = True) -> bool:
    """Whether no rule below can change a cell: every cell read, nothing found, no blank to fill
    or to miss, no broken formula, no key with unseen characters, no cell held as a number. Most
    columns of a clean sheet are so; checking costs a few counts instead of a dozen full columns."""
    n = out.height
    if out["reason"].null_count() < n or out["finding"].null_count() < n:
        return False
    if raw.null_count() and (column.required or column.name in BLANK_DEFAULTS):
        return False
    if column.required and out["value"].null_count():
        return False
    if column.name == MEMBERS and out["value"].min() is not None and out["value"].min() < MIN_MEMBERS:
        return False
    if numeric is not None and numeric.any():
        return False
    if raw.dtype == pl.String and (
        (hash_marks and raw.str.starts_with("#").any())
        or (column.name in KEYS_SHOWN_CLEANED and raw.str.contains(UNSEEN_IN_KEY).any())
    ):
        return False
    return True


def _read_as_is(column: Column, out: pl.DataFrame) -> pl.DataFrame:
    """`parse_cells`' frame for a column `_all_read` passed: the values, no reason or finding."""
    nothing = pl.lit(None, dtype=pl.String)
    return out.select(
        pl.col("value").cast(OUTPUT_DTYPES[column.dtype]),
        nothing.alias("reason"), nothing.alias("code"), nothing.alias("finding"), nothing.alias("finding_code"),
    )


def _describe(sheet: str) -> Callable[[pl.Expr, pl.Expr, pl.Expr], pl.Expr]:
    def sentence(column: pl.Expr, value: pl.Expr, reason: pl.Expr) -> pl.Expr:
        shown = pl.when(value.is_null()).then(pl.lit("为空")).otherwise(pl.concat_str(pl.lit("填写为“"), value, pl.lit("”")))
        return pl.concat_str(pl.lit("「"), column, pl.lit("」"), shown, pl.lit("："), reason)

    return sentence


def check_table(table: Table, columns: Sequence[Column]) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, int]:
    """Parse and check one table: (used rows, rejects, findings, rows read).

    Columns are parsed one by one; the problem lines are built only from the rows that have a
    problem, so a clean million-row sheet costs little more than its parsing.
    """
    sheet = table.sheet
    names = [c.name for c in columns if c.name in table.cells.columns]
    cells = table.cells
    if table.numeric is not None:
        cells = cells.with_columns(table.numeric.rename(lambda n: f"__numeric_{n}"))
    blank = cells.select(pl.all_horizontal(pl.col(n).is_null() for n in names)).to_series()
    if blank.any():
        cells = cells.filter(~blank)
    rows_read = cells.height

    values: dict[str, pl.Series] = {}
    reasons: dict[str, pl.Series] = {}  # (reject) only for columns with at least one
    codes: dict[str, pl.Series] = {}  # the reasons' codes, likewise
    notes: dict[str, pl.Series] = {}  # findings, likewise
    note_codes: dict[str, pl.Series] = {}  # the findings' codes
    for column in columns:
        raw = cells[column.name] if column.name in names else null_column(column.name, cells.height)
        numeric = cells[f"__numeric_{column.name}"] if f"__numeric_{column.name}" in cells.columns else None
        out = parse_cells(column, raw, numeric, table.hash_marks)
        values[column.name] = out["value"].alias(column.name)
        if out["reason"].null_count() < out.height:
            reasons[column.name] = out["reason"]
            codes[column.name] = out["code"]
        if out["finding"].null_count() < out.height:
            notes[column.name] = out["finding"]
            note_codes[column.name] = out["finding_code"]
    # 合计 is written in a label column (户编号, 村 …), never in an amount
    labels = [c.name for c in columns if c.name in names and c.dtype in ("id", "text")]
    is_total = pl.any_horizontal(pl.col(n).str.contains(TOTAL_ROW).fill_null(False) for n in labels) if labels else pl.lit(False)
    total = cells.select(is_total.alias("__total")).to_series()
    has_problem = total
    for reason in reasons.values():
        has_problem = has_problem | reason.is_not_null()
    # The rows with a problem, with their cells as the user typed them (typed cells as text).
    checked = pl.DataFrame([
        cells[SOURCE_ROW], total,
        *(r.alias(f"__reason_{n}") for n, r in reasons.items()),
        *(c.alias(f"__code_{n}") for n, c in codes.items()),
        *(cells[n].alias(f"__raw_{n}") for n in names),
    ]).filter(has_problem).with_columns(pl.col(f"__raw_{n}").cast(pl.String) for n in names)

    # One problem per (row, column), in column order; a 合计 row reports only that it is one.
    problems = []
    for order, column in enumerate(columns):
        if column.name not in reasons:
            continue
        reason = pl.col(f"__reason_{column.name}")
        raw = pl.col(f"__raw_{column.name}") if column.name in names else pl.lit(None, dtype=pl.String)
        found = checked.filter(reason.is_not_null() & ~pl.col("__total")).select(
            pl.col(SOURCE_ROW).alias("行号"),
            pl.lit(order).alias("__order"),
            pl.lit(column.name).alias("列"),
            raw.alias("值"),
            pl.col(f"__code_{column.name}").alias("代码"),
            _describe(sheet)(pl.lit(column.name), raw, reason).alias("原因"),
        )
        problems.append(found)
    total_rows = checked.filter(pl.col("__total")).select(
        pl.col(SOURCE_ROW).alias("行号"),
        pl.lit(-1).alias("__order"),
        pl.lit(names[0] if names else "").alias("列"),
        # the cell that says 合计, not the whole row of sums
        pl.coalesce(
            [pl.when(pl.col(f"__raw_{n}").str.contains(TOTAL_ROW)).then(pl.col(f"__raw_{n}")) for n in labels if n in names]
            or [pl.lit(None, dtype=pl.String)]
        ).alias("值"),
        pl.lit(code("E108")).alias("代码"),
        pl.lit(template("E108")).alias("原因"),
    )
    problems.append(total_rows)
    problems_frame = pl.concat(problems)

    # Duplicate keys among rows otherwise fine: the first stays, later ones are rejected.
    keys = KEYS.get(sheet, ())
    if keys:
        clean_rows = pl.DataFrame([cells[SOURCE_ROW], *(values[k] for k in keys)])
        if has_problem.any():
            clean_rows = clean_rows.filter(~has_problem)
        # Rows whose key hash repeats hold every repeated key (and, rarely, a hash collision, which
        # the grouping below sorts out); there are usually none, so the full grouping is skipped.
        repeated = clean_rows.filter(clean_rows.select(keys).hash_rows().is_duplicated())
        first = repeated.group_by(keys, maintain_order=True).agg(pl.col(SOURCE_ROW).first().alias("__first"))
        dup = repeated.join(first, on=list(keys)).filter(pl.col(SOURCE_ROW) != pl.col("__first"))
        key_text = pl.concat_str([pl.col(k).cast(pl.String) for k in keys], separator="、")
        problems_frame = pl.concat([
            problems_frame,
            dup.select(
                pl.col(SOURCE_ROW).alias("行号"),
                pl.lit(len(columns)).alias("__order"),
                pl.lit("、".join(keys)).alias("列"),
                key_text.alias("值"),
                pl.lit(code(DUPLICATE_CODE[sheet])).alias("代码"),
                pl.concat_str(pl.lit(f"「{'、'.join(keys)}」“"), key_text,
                              pl.lit("”"), sentence(DUPLICATE_CODE[sheet], first=pl.col("__first"))).alias("原因"),
            ),
        ])

    rejects = (
        problems_frame.sort("行号", "__order")
        .group_by("行号", maintain_order=True)
        .agg(pl.col("列").first(), pl.col("值").first(), pl.col("代码").first(), pl.col("原因").str.join("；"))
        .select(
            pl.lit(sheet).alias("工作表"), "行号", "列", "值", "代码",
            pl.concat_str(pl.lit(f"工作表「{sheet}」第"), pl.col("行号").cast(pl.String), pl.lit("行："), pl.col("原因")).alias("原因"),
        )
    )
    used = ~cells[SOURCE_ROW].is_in(rejects["行号"].implode())

    findings = [table.notes]
    for column in columns:
        if column.name not in notes:
            continue
        raw = cells[column.name] if column.name in names else null_column(column.name, cells.height)
        noted = (
            pl.DataFrame([cells[SOURCE_ROW], notes[column.name].alias("__finding"), note_codes[column.name].alias("__code"),
                          raw.alias("__raw"), used.alias("__used")])
            .filter(pl.col("__finding").is_not_null() & pl.col("__used"))
            .with_columns(pl.col("__raw").cast(pl.String))
        )
        if noted.height:
            findings.append(noted.select(
                pl.lit(sheet).alias("工作表"), pl.col(SOURCE_ROW).alias("行号"), pl.lit(column.name).alias("列"),
                pl.col("__raw").alias("值"), pl.col("__code").alias("代码"),
                pl.concat_str(pl.lit(f"工作表「{sheet}」第"), pl.col(SOURCE_ROW).cast(pl.String), pl.lit("行："),
                              _describe(sheet)(pl.lit(column.name), pl.col("__raw"), pl.col("__finding"))).alias("原因"),
            ))
    frame = pl.DataFrame([*(values[c.name] for c in columns), cells[SOURCE_ROW]])
    if rejects.height:
        frame = frame.filter(used)
    return frame, rejects, pl.concat(findings), rows_read


def fill_lead_units(measures: pl.DataFrame) -> pl.DataFrame:
    lead = pl.col(MEASURE_TYPE).replace_strict({c: m.lead_unit for c, m in MEASURE_BY_CODE.items()}, default=None)
    return measures.with_columns(pl.coalesce(pl.col(LEAD_UNIT), lead).alias(LEAD_UNIT))


