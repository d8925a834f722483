"""Adapter for the exports of the national monitoring information system (防止返贫监测信息系统).

A yearly export (年度导出) has one row per person, the household's fields repeated on every
member's row, two title rows above the header, ~180 columns, every cell text, and one file (or
sheet) per year. Its year comes from, in order: a 年度 column; the user's ``--year 文件名=2022``;
a year written as a year in the sheet or file name (2022, 2022年, 2022年度, not part of a longer
digit run). An 8-digit stamp such as 20230109 is the download date and never decides the year
(it is offered as a hint). A file whose year stays unknown stops the run (``InputError``,
exit 2) with a message saying how to name it. Other files are recognised by their columns: a
务工 export (已外出务工信息 / 务工月监测: person rows with 务工月收入 or 务工时间 and no income
totals) adds each person's 务工 months and monthly income to ``persons`` and never becomes a year
of income; a 帮扶措施 sheet is read as in the workbook; anything else is listed as not used.
``InputData.sources`` says how each file was read (every run prints it).

Households (户信息): one per 户编号, from its latest year. 户主姓名 / 证件号码 from the row whose
与户主关系 is 户主 (first row, flagged, if none); 家庭人口数 from 年度家庭人口数 or 人数, else the
number of rows; 劳动力人数 counts 普通劳动力 and 技能劳动力, 弱劳动力或半劳动力人数 counts
弱劳动力或半劳动力; 16岁以下人数 / 60岁以上人数 / 70岁以上人数 from the members' ages (出生日期, else
the resident ID; age on 31 December of the year); a household is 低保户 / 特困户 when ANY member's
享受低保政策情况 / 享受特困供养政策情况 says so; 是否受灾 when a 致贫/返贫风险 column names a
disaster (灾), 务工不稳风险 when one says 务工就业不稳; 户类型 and 监测对象类别 when they contain a
catalogue value, else left empty with a finding; 风险是否消除, 风险消除方式, 识别监测时间 and
消除监测时间 as exported.

Exits and new entries, against the latest year of the yearly exports ("this year"): 退出原因 is
自然消亡 when the export says so; 风险已消除（方式，年月） for a monitoring target that is not a
脱贫户 and whose risk was eliminated (a 脱贫户 stays on the roster of 脱贫户 and is still surveyed);
本年导出中无此户 for a household with rows in an earlier year and none this year. 新识别 marks a
监测对象 of this year identified this year (识别监测时间) or not monitored in the year before.

Income (收入), per household and year, from the income columns of the head's row (they repeat).
Catalogue items and their aliases map directly (公益性岗位收入 → 公益岗位收入, 资产收益扶贫分红收入
→ 产业收益分配, 最低生活保障金 → 低保金, 特困人员救助供养金 → 特困供养金, 养老金或离退休金 → 养老金 …).
Each kind's total minus the items given for it goes to the kind's remainder item (其他经营收入,
其他财产性收入, 其他转移性收入; for wages see below) unless that item has its own column; items
exceeding their kind's total reject the household-year (E113). Wages: 工资性收入 less
公益岗位收入 is split between 务工收入 and 其他工资性收入 when the export carries 务工 facts
(务工时间, 务工所在地, 务工月收入): a household with a member working goes to 务工收入 (at most
the members' 务工月收入 × 务工时间 when those are given, the rest to 其他工资性收入); a household
with nobody working goes to 其他工资性收入. Without 务工 facts the rest is 务工收入, as before. The
kinds' sums are unchanged by the split, so net income equals the system's. 务工月数 is the members'
务工时间 summed. The export's 人均纯收入 and 家庭纯收入 are carried as 系统人均纯收入 /
系统家庭纯收入; a per-capita differing by more than 1 yuan from the items (all of them, the pension
included, as the system counts) is a finding (W205).

Measures (帮扶措施): each 帮扶 column of ``lib.catalogue.EXPORT_MEASURE_COLUMNS`` with a non-empty
cell (not 无/否 …) in the household's latest year is a measure in place (状态 已落实, 牵头单位 of its
kind, 措施内容 the cell's text), merged with a 帮扶措施 sheet when one is given; the same
(户编号, 措施类型, 措施内容) is counted once.

Accounting: ``rows_read`` counts person rows per source sheet of the yearly exports; a problem in
any person row rejects that household's year, one reject line per person row (E112 for the rows
that were themselves fine), so ``rows_read[sheet] == used + rejected`` holds as for the workbook.
The head's ID is checked like the workbook's when its 证件类型 is a resident ID (or not given);
a doubtful ID is a finding, not a reject: the export is the system's own record.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from lib.catalogue import (
    EXIT_REASON,
    EXPORT_MEASURE_COLUMNS,
    HOUSEHOLD_COLUMNS,
    HOUSEHOLD_TYPES,
    INCOME_COLUMNS,
    INCOME_ITEMS,
    INCOME_KINDS,
    INCOME_SYSTEM_COLUMNS,
    LEAD_UNITS,
    MEASURE_COLUMNS,
    MONITORING_CATEGORIES,
    NEW_ENTRY,
    NO_MEASURE_TEXTS,
    OPERATING,
    PROPERTY,
    ROSTER_STATUS_COLUMNS,
    SHEET_MEASURES,
    SOURCE_ROW,
    SYSTEM_NET,
    SYSTEM_PER_CAPITA,
    TRANSFER,
    WAGE,
    Column,
)
from lib.codes import InputError, empty_problems, problem_columns
from lib.io.cells import check_table, fill_lead_units
from lib.io.inputs import (
    KIND_MEASURES,
    KIND_SKIPPED,
    KIND_WORK,
    KIND_YEARLY,
    OUTPUT_DTYPES,
    PERSON_SCHEMA,
    InputData,
    SourceFile,
    check_years,
    empty_frame,
)
from lib.io.parsing import (
    clean_text,
    null_column,
    parse_amount_column,
    parse_count_column,
    parse_date_column,
    parse_id_column,
    parse_months_column,
    parse_resident_id_column,
    parse_year_column,
)
from lib.io.sheets import Grid, ParquetGrid, Table, locate_table, sheet_key

RISK_COLUMNS = tuple(f"致贫返贫风险{i}" for i in range(1, 6))
NET_PER_CAPITA, NET_INCOME = "人均纯收入", "家庭纯收入"
RELATION, HEAD = "与户主关系", "户主"
LABOUR_SKILL = "劳动技能"
FULL_LABOUR = ("普通劳动力", "技能劳动力")
WEAK_LABOUR = ("弱劳动力或半劳动力",)
NOT_ENJOYED = ("否", "无", "未享受", "不享受", "0", "n", "no", "false", "非低保", "非特困")
YES_TEXTS = ("是", "有", "已享受", "享受", "已落实")  # a 帮扶 cell that only says yes: the column names the measure
DISASTER_WORD = "灾"
UNSTABLE_WORK_WORDS = "务工就业不稳"
DIED_OUT_WORD = "消亡"
NOT_MONITORED = ("无", "否", "非监测对象", "不是监测对象")
ID_TYPE, RESIDENT_ID_TYPE = "证件类型", "身份证"
MONTHS, MONTHLY_WAGE, WORK_PLACE = "务工时间", "务工月收入", "务工所在地"
POST, POST_MONTHS = "公益性岗位", "公益岗位月数"
ELIMINATED, ELIMINATION_WAY = "风险是否消除", "风险消除方式"
IDENTIFIED_ON, ELIMINATED_ON = "识别监测时间", "消除监测时间"
HOUSEHOLD_STATE = "户状态"
# 退出原因 (DESIGN.md "Rules": a household that left the roster is 已退出 with its reason)
EXIT_DIED_OUT, EXIT_ELIMINATED, EXIT_ABSENT = "自然消亡", "风险已消除", "本年导出中无此户"

# The remainder item of each kind takes the kind's total minus the items given separately.
REMAINDER_ITEM = {WAGE: "务工收入", OPERATING: "其他经营收入", PROPERTY: "其他财产性收入", TRANSFER: "其他转移性收入"}
MIGRANT_WAGE, POST_WAGE, OTHER_WAGE = "务工收入", "公益岗位收入", "其他工资性收入"
ITEM_COLUMNS = tuple(Column(i.name, i.en, "money", aliases=i.aliases) for i in INCOME_ITEMS)
MEASURE_SOURCE_COLUMNS = tuple(Column(m.name, f"measure_{i}", "text", aliases=m.aliases)
                               for i, m in enumerate(EXPORT_MEASURE_COLUMNS))

TOWNSHIP_ALIASES = ("乡", "镇", "乡(镇)", "乡(镇、街道)", "乡镇(街道)", "乡镇名称")
VILLAGE_ALIASES = ("行政村", "村名", "村(社区)", "行政村(社区)")
COUNTY_ALIASES = ("县(市、区)", "县(市、区、旗)", "县(区)", "县区", "县(市)")
PERSON_ID_COLUMN = Column("证件号码", "resident_id", "id", aliases=("身份证号", "身份证号码", "证件号"))

SYSTEM_COLUMNS: tuple[Column, ...] = (
    Column("户编号", "household_id", "id", True, aliases=("户码",)),
    Column("人编号", "person_id", "id", aliases=("人员编号",)),
    Column("县", "county", "text", aliases=COUNTY_ALIASES),
    Column("乡镇", "township", "text", aliases=TOWNSHIP_ALIASES),
    Column("村", "village", "text", True, aliases=VILLAGE_ALIASES),
    Column("姓名", "name", "text"),
    Column(ID_TYPE, "id_type", "text"),
    PERSON_ID_COLUMN,
    Column("出生日期", "birth_date", "date"),
    Column(RELATION, "relation", "text", True),
    Column("人数", "members", "int", aliases=("家庭人口数",)),
    Column("年度家庭人口数", "members_of_year", "int"),
    Column(LABOUR_SKILL, "labour_skill", "text", aliases=("劳动能力",)),
    Column("在校生状况", "schooling", "text"),
    Column("健康状况", "health", "text"),
    Column(MONTHS, "months_worked", "months", aliases=("务工时间(月)", "务工月数")),
    Column(WORK_PLACE, "work_place", "text", aliases=("务工所在县",)),
    Column(MONTHLY_WAGE, "monthly_wage", "money"),
    Column(POST, "public_post", "text", aliases=("公益岗位",)),
    Column(POST_MONTHS, "public_post_months", "months", aliases=("公益性岗位(月数)", "公益性岗位月数")),
    Column("户类型", "household_type", "text"),
    Column("监测对象类别", "monitoring_category", "text", aliases=("检测对象类别",)),
    Column(ELIMINATED, "risk_eliminated", "text", aliases=("风险是否已消除",)),
    Column(ELIMINATION_WAY, "elimination_way", "text"),
    Column(IDENTIFIED_ON, "identified_on", "date"),
    Column(ELIMINATED_ON, "eliminated_on", "date"),
    Column(HOUSEHOLD_STATE, "household_state", "text", aliases=("家庭状态",)),
    Column("享受低保政策情况", "dibao_status", "text", aliases=("是否享受低保",)),
    Column("享受特困供养政策情况", "tekun_status", "text", aliases=("是否享受特困供养",)),
    *(Column(name, f"risk_{i}", "text", aliases=(f"致贫/返贫风险{i}", f"返贫致贫风险{i}", f"风险类型{i}"))
      for i, name in enumerate(RISK_COLUMNS, start=1)),
    Column("联系电话", "phone", "id", aliases=("电话", "联系方式", "户联系电话")),
    Column("年度", "year", "year", aliases=("年份",)),
    *(Column(kind, f"{kind}_total", "money") for kind in INCOME_KINDS),
    *ITEM_COLUMNS,
    Column(NET_PER_CAPITA, "net_income_per_capita", "money", aliases=("人均纯收入(元)", "家庭人均纯收入")),
    Column(NET_INCOME, "net_income", "money", aliases=("家庭纯收入(元)", "家庭年纯收入")),
    *MEASURE_SOURCE_COLUMNS,
)
INCOME_FACTS = {*INCOME_KINDS, *(i.name for i in INCOME_ITEMS), NET_PER_CAPITA, NET_INCOME}
WORK_FACTS = (MONTHS, WORK_PLACE, MONTHLY_WAGE)

# A 务工 export: person rows, no income; 务工时间 may be given as a start and end date instead.
WORK_COLUMNS: tuple[Column, ...] = (
    Column("户编号", "household_id", "id", True, aliases=("户码",)),
    Column("人编号", "person_id", "id", aliases=("人员编号",)),
    Column("村", "village", "text", aliases=VILLAGE_ALIASES),
    Column("姓名", "name", "text"),
    PERSON_ID_COLUMN,
    Column(MONTHS, "months_worked", "months", aliases=("务工时间(月)", "务工月数", "外出务工时间")),
    Column(MONTHLY_WAGE, "monthly_wage", "money"),
    Column(WORK_PLACE, "work_place", "text", aliases=("务工所在县",)),
    Column("开始时间", "work_start", "date", aliases=("务工开始时间",)),
    Column("结束时间", "work_end", "date", aliases=("务工结束时间",)),
    Column("年度", "year", "year", aliases=("年份",)),
    *(Column(kind, f"{kind}_total", "money") for kind in INCOME_KINDS),
    Column(NET_PER_CAPITA, "net_income_per_capita", "money", aliases=("人均纯收入(元)",)),
)

# A year written as a year (2022, 2022年, 2022年度), not inside a longer run of digits.
_YEAR_IN_NAME = re.compile(r"(?<![0-9])((?:19|20)[0-9]{2})(?:年度|年)?(?![0-9])")
# A download stamp: yyyymmdd (also yyyy-mm-dd is just a date, never a year by itself).
_DATE_STAMP = re.compile(r"(?<![0-9])((?:19|20)[0-9]{2})[-_.]?(0[1-9]|1[0-2])[-_.]?([0-2][0-9]|3[01])(?![0-9])")


# ---------------------------------------------------------------------------------------
# Sources and their years
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """One sheet of one input file, before it is read."""

    label: str  # how rows_read, rejects and findings name it
    file: Path
    sheet: str
    load: Callable[[], Grid | ParquetGrid]


def _plain(name: str) -> str:
    return unicodedata.normalize("NFKC", name).strip()


def year_in_name(name: str) -> tuple[int | None, str | None]:
    """(year written as a year in ``name``, hint about a download stamp); None when not one year."""
    text = _plain(name)
    stamps = [m.group(0) for m in _DATE_STAMP.finditer(text)]
    without_stamps = _DATE_STAMP.sub(" ", text)
    years = {int(m.group(1)) for m in _YEAR_IN_NAME.finditer(without_stamps)}
    hint = f"文件名中的{stamps[0]}像是下载日期，不作为年度" if stamps else None
    return (years.pop() if len(years) == 1 else None), hint


def _override(source: Source, years: Mapping[str, int]) -> int | None:
    """The year the user named for this file (``--year 文件名=2022``): by name, stem or label."""
    wanted = {_plain(k): v for k, v in years.items()}
    for key in (source.file.name, source.file.stem, source.label, f"{source.file.name}:{source.sheet}"):
        if _plain(key) in wanted:
            return int(wanted[_plain(key)])
    return None


def _source_year(source: Source, table: Table, years: Mapping[str, int]) -> tuple[int | None, str, str | None]:
    """(year or None when a 年度 column gives it, where it came from, hint when unknown)."""
    if "年度" in table.cells.columns:
        return None, "年度取自「年度」列", None
    named = _override(source, years)
    if named is not None:
        return named, "年度由 --year 指定", None
    for what, name in (("工作表名", source.sheet), ("文件名", source.file.stem)):
        year, hint = year_in_name(name)
        if year is not None:
            return year, f"年度取自{what}", None
    return None, "", year_in_name(source.file.stem)[1] or year_in_name(source.sheet)[1]


def _unknown_years_message(unknown: list[tuple[Source, str | None]]) -> str:
    parts = []
    for source, hint in unknown:
        parts.append(f"「{source.file.name}」" + (f"（{hint}）" if hint else ""))
    parts = list(dict.fromkeys(parts))
    example = unknown[0][0].file.name
    return (
        f"无法确定{'、'.join(parts)}的年度：表中没有「年度」列，文件名和工作表名中也没有写成年份的年度"
        f"（如 2022、2022年、2022年度）。请用 --year 指明每个文件的年度，例如：--year \"{example}=2022\""
        f"（可重复），或将文件改名为含年度的名称，如「2022年监测对象信息.xlsx」"
    )


def _has_any(table: Table, names: Sequence[str] | set[str]) -> bool:
    return any(n in table.cells.columns for n in names)


def _try_locate(source: Source, columns: Sequence[Column]) -> Table | None:
    try:
        return locate_table(source.load(), columns, source.label)
    except InputError:
        return None


# ---------------------------------------------------------------------------------------
# Person rows of a yearly export
# ---------------------------------------------------------------------------------------


def _problem_lines(sheet: str, rows: pl.DataFrame, code: pl.Expr, reason: pl.Expr) -> pl.DataFrame:
    return rows.select(problem_columns(
        sheet, SOURCE_ROW, pl.col("__列"), pl.col("__值"), code,
        pl.concat_str(pl.lit(f"工作表「{sheet}」第"), pl.col(SOURCE_ROW).cast(pl.String), pl.lit("行："), reason),
    ))


def _normalised(series: pl.Series) -> pl.Series:
    return series.str.normalize("NFKC").str.strip_chars().replace("", None)


def _net_amount_column(series: pl.Series) -> pl.DataFrame:
    """The system's net figures: amounts that may be negative (operating costs above income)."""
    text = series.cast(pl.String).str.normalize("NFKC").str.strip_chars()
    negative = text.str.starts_with("-").fill_null(False)
    out = parse_amount_column(text.str.strip_prefix("-"), blank_is_zero=False)
    return out.with_columns(pl.when(pl.lit(negative)).then(-pl.col("value")).otherwise(pl.col("value")).alias("value"))


def _parse_persons(table: Table, year: int | None) -> pl.DataFrame:
    """Person rows of one source, parsed; ``__problem`` holds the first bad cell's sentence.
    ``year`` is the source's year when no 年度 column gives it."""
    present = set(table.cells.columns) - {SOURCE_ROW}
    cells = table.cells.filter(~pl.all_horizontal(clean_text(pl.col(c)).is_null() for c in present))

    def raw(name: str) -> pl.Series:
        return cells[name] if name in present else null_column(name, cells.height)

    # Cells whose problem rejects the household-year: keys, counts, amounts, months.
    parsers = {
        "户编号": parse_id_column,
        "年度": parse_year_column,
        "人数": parse_count_column,
        "年度家庭人口数": parse_count_column,
        MONTHS: parse_months_column,
        NET_PER_CAPITA: _net_amount_column,
        NET_INCOME: _net_amount_column,
        **{kind: parse_amount_column for kind in INCOME_KINDS},
        **{item.name: parse_amount_column for item in ITEM_COLUMNS},
    }
    parsed = {name: parse(raw(name)) for name, parse in parsers.items()}
    if "年度" not in present:
        parsed["年度"] = pl.select(
            value=pl.repeat(year, cells.height, dtype=pl.Int64),
            reason=pl.repeat(None, cells.height, dtype=pl.String),
        )
    for key in ("户编号", "年度"):
        parsed[key] = parsed[key].with_columns(
            pl.coalesce("reason", pl.when(pl.col("value").is_null()).then(pl.lit("缺少必填值"))).alias("reason"))
    reasons = pl.DataFrame({name: out["reason"] for name, out in parsed.items()})
    raws = pl.DataFrame({name: raw(name).cast(pl.String) for name in parsed})
    # first bad cell of the row, in column order: its column, its text and the sentence
    order = list(parsed)
    problem_col = pl.coalesce(*(pl.when(pl.col(n).is_not_null()).then(pl.lit(n)) for n in order))
    first = reasons.select(problem_col.alias("col")).to_series()
    problem_val = pl.coalesce(*(pl.when(first == n).then(raws[n]) for n in order), pl.lit(None, dtype=pl.String))
    problem_reason = pl.coalesce(*(pl.when(first == n).then(reasons[n]) for n in order), pl.lit(None, dtype=pl.String))
    problems = pl.select(
        first.alias("__problem_col"), problem_val.alias("__problem_val"), problem_reason.alias("__reason")
    ).with_columns(
        pl.when(pl.col("__problem_col").is_not_null()).then(pl.concat_str(
            pl.lit("「"), pl.col("__problem_col"), pl.lit("」"),
            pl.when(pl.col("__problem_val").is_null()).then(pl.lit("为空"))
            .otherwise(pl.concat_str(pl.lit("填写为“"), pl.col("__problem_val"), pl.lit("”"))),
            pl.lit("："), pl.col("__reason"))).alias("__problem")
    ).drop("__reason")
    # Cells about the person and the household's status: a bad one is left blank, never a reject
    # (they do not change the income the system reports).
    texts = ("县", "乡镇", "村", "姓名", ID_TYPE, RELATION, LABOUR_SKILL, "在校生状况", "健康状况", WORK_PLACE, POST,
             "户类型", "监测对象类别", ELIMINATED, ELIMINATION_WAY, HOUSEHOLD_STATE,
             "享受低保政策情况", "享受特困供养政策情况", *RISK_COLUMNS, *(c.name for c in MEASURE_SOURCE_COLUMNS))
    soft = {
        MONTHLY_WAGE: parse_amount_column(raw(MONTHLY_WAGE), blank_is_zero=False)["value"],
        POST_MONTHS: parse_months_column(raw(POST_MONTHS))["value"],
        "出生日期": parse_date_column(raw("出生日期"))["value"],
        IDENTIFIED_ON: parse_date_column(raw(IDENTIFIED_ON))["value"],
        ELIMINATED_ON: parse_date_column(raw(ELIMINATED_ON))["value"],
    }
    frame = pl.DataFrame({name: out["value"] for name, out in parsed.items()}).with_columns(
        cells[SOURCE_ROW],
        *(_normalised(raw(name)).alias(name) for name in texts),
        *(series.alias(name) for name, series in soft.items()),
        raw("证件号码").alias("证件号码"),
        parse_id_column(raw("人编号"))["value"].alias("人编号"),
        parse_id_column(raw("联系电话"))["value"].alias("联系电话"),
    )
    return pl.concat([frame, problems], how="horizontal").with_columns(pl.lit(table.sheet).alias("__sheet"))


def _enjoys(text: pl.Expr) -> pl.Expr:
    t = text.str.replace_all(r"\s", "").str.to_lowercase()
    return t.is_not_null() & ~t.is_in(NOT_ENJOYED)


def _is_resident_id_type() -> pl.Expr:
    """证件类型 blank or a resident ID: the number is checked as a resident ID (GB 11643)."""
    return pl.col(ID_TYPE).is_null() | pl.col(ID_TYPE).str.contains(RESIDENT_ID_TYPE)


def _with_person_facts(persons: pl.DataFrame) -> pl.DataFrame:
    """Age (on 31 December of the year), posts, 低保/特困 per person row."""
    ids = parse_resident_id_column(persons["证件号码"])
    # A 残疾人证 number is the holder's resident ID and two digits (category, grade).
    digits = ids["value"].str.slice(0, 18)
    birth_from_id = pl.Series(digits).str.slice(6, 8).str.to_date("%Y%m%d", strict=False)
    id_ok = ids["finding"].is_null() & ids["damage"].is_null() & ids["value"].is_not_null()
    disability_ok = ids["value"].str.contains(r"^\d{17}[\dX]\d{2}$").fill_null(False) & pl.Series(
        parse_resident_id_column(digits)["finding"].is_null())
    birth = pl.select(pl.when(id_ok | disability_ok).then(birth_from_id)).to_series()
    return persons.with_columns(
        ids["value"].alias("__id"),
        pl.coalesce(ids["damage"], ids["finding"]).alias("__id_problem"),
        disability_ok.alias("__disability_number"),
        (pl.col("年度") - pl.coalesce(pl.col("出生日期"), birth).dt.year()).cast(pl.Int64).alias("年龄"),
        (_enjoys(pl.col(POST)) | (pl.col(POST_MONTHS).fill_null(0) > 0)).alias("公益岗位"),
        _enjoys(pl.col("享受低保政策情况")).alias("享受低保"),
        _enjoys(pl.col("享受特困供养政策情况")).alias("享受特困"),
        (pl.col(MONTHS).fill_null(0).gt(0) | pl.col(WORK_PLACE).is_not_null()
         | pl.col(MONTHLY_WAGE).fill_null(0).gt(0)).alias("__works"),
    )


# ---------------------------------------------------------------------------------------
# Household-years
# ---------------------------------------------------------------------------------------


def _household_years(persons: pl.DataFrame, present_items: set[str], present_kinds: set[str],
                     work_facts: bool) -> pl.DataFrame:
    """One row per household and year from the head's row (income repeats on every member's row)."""
    is_head = pl.col(RELATION).fill_null("").str.replace_all(r"\s", "") == HEAD
    ordered = persons.with_columns(is_head.alias("__is_head")).sort("__is_head", descending=True, maintain_order=True)
    skill = pl.col(LABOUR_SKILL).fill_null("")
    risk_text = pl.concat_str([pl.col(c).fill_null("") for c in RISK_COLUMNS], separator=" ")
    age = pl.col("年龄")
    known_age = age.is_not_null().any()
    groups = ordered.group_by("户编号", "年度", maintain_order=True).agg(
        pl.all().exclude("户编号", "年度", "__works", ELIMINATED, ELIMINATION_WAY, ELIMINATED_ON, IDENTIFIED_ON).first(),
        pl.len().alias("__rows"),
        pl.col("__is_head").any().alias("__has_head"),
        skill.is_in(FULL_LABOUR).sum().alias("劳动力人数"),
        skill.is_in(WEAK_LABOUR).sum().alias("弱劳动力或半劳动力人数"),
        pl.col(MONTHS).sum().alias("务工月数"),
        pl.col(MONTHS).is_not_null().any().alias("__months_given"),
        risk_text.str.contains(DISASTER_WORD).any().alias("是否受灾"),
        risk_text.str.contains(UNSTABLE_WORK_WORDS).any().alias("务工不稳风险"),
        # any member's status makes the household a 低保户 / 特困户
        pl.col("享受低保").any().alias("是否低保户"),
        pl.col("享受特困").any().alias("是否特困户"),
        pl.when(known_age).then((age < 16).sum()).alias("16岁以下人数"),
        pl.when(known_age).then((age >= 60).sum()).alias("60岁以上人数"),
        pl.when(known_age).then((age >= 70).sum()).alias("70岁以上人数"),
        pl.col("__works").any().alias("__works"),
        (pl.col(MONTHLY_WAGE) * pl.col(MONTHS)).sum().alias("__wage_estimate"),
        pl.col(ELIMINATED).drop_nulls().first().alias(ELIMINATED),
        pl.col(ELIMINATION_WAY).drop_nulls().first().alias(ELIMINATION_WAY),
        pl.col(ELIMINATED_ON).drop_nulls().first().alias(ELIMINATED_ON),
        pl.col(IDENTIFIED_ON).drop_nulls().first().alias(IDENTIFIED_ON),
    )
    items = {}
    for item in INCOME_ITEMS:
        items[item.name] = pl.col(item.name) if item.name in present_items else pl.lit(0.0)
    overspent = []
    for kind, remainder in REMAINDER_ITEM.items():
        if remainder in present_items or kind not in present_kinds:
            continue
        given = [items[i.name] for i in INCOME_ITEMS if i.kind == kind and i.sign > 0 and i.name != remainder]
        rest = (pl.col(kind) - pl.sum_horizontal(given)).round(2)
        items[remainder] = rest
        overspent.append((kind, pl.when(rest < 0).then(pl.lit(f"「{kind}」合计小于其分项之和（分项：{'、'.join(i.name for i in INCOME_ITEMS if i.kind == kind and i.name in present_items)}）"))))
    if work_facts and MIGRANT_WAGE not in present_items:
        # Wages other than the post: migrant wages when a member worked (up to what the members'
        # monthly wages and months give), other wages otherwise. The kind's sum is unchanged.
        besides_post = items[MIGRANT_WAGE] + items[OTHER_WAGE]
        estimate = pl.col("__wage_estimate")
        migrant = (
            pl.when(~pl.col("__works")).then(pl.lit(0.0))
            .when(estimate > 0).then(pl.min_horizontal(estimate, besides_post))
            .otherwise(besides_post)
        )
        items[MIGRANT_WAGE], items[OTHER_WAGE] = migrant, besides_post - migrant
    members = pl.coalesce(pl.col("年度家庭人口数"), pl.col("人数"), pl.col("__rows").cast(pl.Int64))
    net = pl.sum_horizontal(items[i.name] * i.sign for i in INCOME_ITEMS)
    return groups.with_columns(
        *(expr.cast(pl.Float64).alias(name) for name, expr in items.items()),
    ).with_columns(
        members.alias("家庭人口数"),
        pl.when(pl.col("__months_given")).then(pl.col("务工月数")).alias("务工月数"),
        pl.coalesce(*(e for _, e in overspent), pl.lit(None, dtype=pl.String)).alias("__overspent"),
        pl.coalesce(*(pl.when(e.is_not_null()).then(pl.lit(k)) for k, e in overspent), pl.lit(None, dtype=pl.String)).alias("__overspent_kind"),
        (net / members).alias("__net_per_capita"),
    )


def _pick(values: tuple[str, ...], text: pl.Expr) -> pl.Expr:
    """The first catalogue value the cell contains (e.g. "脱贫户（享受政策）" → 脱贫户)."""
    return pl.coalesce(*(pl.when(text.str.contains(v, literal=True)).then(pl.lit(v)) for v in values),
                       pl.lit(None, dtype=pl.String))


def _exits_and_entries(latest: pl.DataFrame, persons: pl.DataFrame, year_this: int) -> pl.DataFrame:
    """退出原因 and 新识别 per household of ``latest`` (see the module docstring)."""
    years_of = persons.group_by("户编号").agg(
        (pl.col("年度") == year_this).any().alias("__this"),
        (pl.col("年度") < year_this).any().alias("__before"),
        (pl.col("年度") == year_this - 1).any().alias("__last"),
    )
    monitored_last = (
        persons.filter(pl.col("年度") == year_this - 1)
        .group_by("户编号")
        .agg(_pick(MONITORING_CATEGORIES, pl.col("监测对象类别").fill_null("")).is_not_null().any().alias("__monitored_last"))
    )
    frame = latest.join(years_of, on="户编号", how="left").join(monitored_last, on="户编号", how="left")
    died_out = pl.any_horizontal(
        pl.col(c).fill_null("").str.contains(DIED_OUT_WORD) for c in (ELIMINATION_WAY, HOUSEHOLD_STATE, ELIMINATED)
    )
    eliminated = pl.col(ELIMINATED).is_not_null() & _enjoys(pl.col(ELIMINATED))
    month = pl.col(ELIMINATED_ON).dt.strftime("%Y年%-m月")
    detail = pl.concat_str([pl.col(ELIMINATION_WAY), month], separator="，", ignore_nulls=True)
    reason = (
        pl.when(died_out).then(pl.lit(EXIT_DIED_OUT))
        .when(eliminated & (pl.col("户类型") != "脱贫户").fill_null(True))
        .then(pl.concat_str(pl.lit(EXIT_ELIMINATED),
                            pl.when(detail != "").then(pl.concat_str(pl.lit("（"), detail, pl.lit("）"))).otherwise(pl.lit(""))))
        .when(~pl.col("__this").fill_null(False) & pl.col("__before").fill_null(False)).then(pl.lit(EXIT_ABSENT))
    )
    new = (
        pl.col("监测对象类别").is_not_null() & pl.col("__this").fill_null(False)
        & ((pl.col(IDENTIFIED_ON).dt.year() == year_this).fill_null(False) | ~pl.col("__monitored_last").fill_null(False))
    )
    return frame.with_columns(
        eliminated.alias("__eliminated"), reason.alias(EXIT_REASON),
    ).with_columns((new & pl.col(EXIT_REASON).is_null()).alias(NEW_ENTRY))


# ---------------------------------------------------------------------------------------
# Measures from the 帮扶 columns
# ---------------------------------------------------------------------------------------


def export_measures(persons: pl.DataFrame, year_this: int) -> pl.DataFrame:
    """One measure row per household, 帮扶 column and distinct cell text of this year's rows."""
    rows = persons.filter(pl.col("年度") == year_this)
    parts = []
    for column, source in zip(EXPORT_MEASURE_COLUMNS, MEASURE_SOURCE_COLUMNS):
        text = pl.col(source.name)
        taken = rows.filter(text.is_not_null() & ~text.str.replace_all(r"\s", "").is_in(NO_MEASURE_TEXTS))
        if not taken.height:
            continue
        parts.append(taken.group_by("户编号", text.alias("措施内容"), maintain_order=True).agg(
            pl.col(SOURCE_ROW).min()).with_columns(
            pl.lit(column.measure).alias("措施类型"),
            # a cell that only says 是 carries no content: the column names the measure
            pl.when(pl.col("措施内容").is_in(YES_TEXTS)).then(pl.lit(column.name)).otherwise(pl.col("措施内容")).alias("措施内容"),
        ))
    frame = empty_frame(MEASURE_COLUMNS)
    if not parts:
        return frame
    found = pl.concat(parts).with_columns(
        pl.col("措施类型").replace_strict(LEAD_UNITS, return_dtype=pl.String).alias("牵头单位"),
        pl.lit(None, dtype=pl.Date).alias("落实日期"),
        pl.lit(0.0).alias("预计增收"),
        pl.lit("已落实").alias("状态"),
    )
    return found.select(frame.columns).cast(dict(frame.schema)).unique(["户编号", "措施类型", "措施内容"], maintain_order=True)


def merge_measures(*frames: pl.DataFrame) -> pl.DataFrame:
    """Measures of several sources; the same (户编号, 措施类型, 措施内容) counted once (first kept)."""
    frame = pl.concat([empty_frame(MEASURE_COLUMNS), *frames], how="vertical_relaxed")
    return frame.unique(["户编号", "措施类型", "措施内容"], keep="first", maintain_order=True)


# ---------------------------------------------------------------------------------------
# 务工 exports
# ---------------------------------------------------------------------------------------


def _work_rows(table: Table, year: int) -> pl.DataFrame:
    """Per person (户编号 + 证件号码, else 姓名) of a 务工 export: months worked and monthly wage."""
    cells = table.cells
    present = set(cells.columns)

    def raw(name: str) -> pl.Series:
        return cells[name] if name in present else null_column(name, cells.height)

    start = parse_date_column(raw("开始时间"))["value"]
    end = parse_date_column(raw("结束时间"))["value"]
    span = pl.select(((end.dt.year() - start.dt.year()) * 12 + end.dt.month() - start.dt.month() + 1)
                     .clip(0, 12).cast(pl.Float64)).to_series()
    rows = pl.DataFrame({
        "户编号": parse_id_column(raw("户编号"))["value"],
        "__id": parse_id_column(raw("证件号码"))["value"],
        "姓名": _normalised(raw("姓名")),
        "年度": parse_year_column(raw("年度"))["value"].fill_null(year),
        "__months": pl.select(pl.coalesce(parse_months_column(raw(MONTHS))["value"], span)).to_series(),
        "__wage": parse_amount_column(raw(MONTHLY_WAGE), blank_is_zero=False)["value"],
    }).filter(pl.col("户编号").is_not_null())
    return rows.group_by("户编号", "年度", "__id", "姓名", maintain_order=True).agg(
        pl.col("__months").sum().clip(upper_bound=12).alias("__months"),
        pl.col("__wage").mean().alias("__wage"),
    )


def _add_work(persons: pl.DataFrame, work: pl.DataFrame) -> tuple[pl.DataFrame, int]:
    """Persons with the 务工 export's months and monthly wage where their own export has none;
    and how many 务工 rows matched nobody."""
    by_id = work.filter(pl.col("__id").is_not_null()).unique(["户编号", "年度", "__id"], keep="first")
    by_name = work.filter(pl.col("__id").is_null() & pl.col("姓名").is_not_null()).unique(["户编号", "年度", "姓名"], keep="first")
    joined = persons.join(by_id.select("户编号", "年度", "__id", pl.col("__months").alias("__m1"), pl.col("__wage").alias("__w1")),
                          on=["户编号", "年度", "__id"], how="left").join(
        by_name.select("户编号", "年度", "姓名", pl.col("__months").alias("__m2"), pl.col("__wage").alias("__w2")),
        on=["户编号", "年度", "姓名"], how="left")
    matched = (joined["__m1"].is_not_null() | joined["__w1"].is_not_null()).sum() + \
        (joined["__m2"].is_not_null() | joined["__w2"].is_not_null()).sum()
    out = joined.with_columns(
        pl.coalesce(MONTHS, "__m1", "__m2").alias(MONTHS),
        pl.coalesce(MONTHLY_WAGE, "__w1", "__w2").alias(MONTHLY_WAGE),
    ).drop("__m1", "__w1", "__m2", "__w2")
    return out, max(0, work.height - int(matched))


# ---------------------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------------------


def read_exports(sources: Sequence[Source], years: Mapping[str, int] | None = None, source: str = "") -> InputData:
    """Canonical input from national-system exports (and a 帮扶措施 sheet); see the module docstring.
    Raises ``InputError`` when no yearly export is among ``sources`` or a year stays unknown."""
    years = years or {}
    yearly: list[tuple[Table, int | None]] = []
    work: list[tuple[Source, Table]] = []
    measure_tables: list[Table] = []
    described: list[SourceFile] = []
    unknown: list[tuple[Source, str | None]] = []
    for src in sources:
        table = _try_locate(src, SYSTEM_COLUMNS)
        if table is not None and _has_any(table, INCOME_FACTS):
            year, note, hint = _source_year(src, table, years)
            if year is None and "年度" not in table.cells.columns:
                unknown.append((src, hint))
                continue
            yearly.append((table, year))
            described.append(SourceFile(src.label, KIND_YEARLY, (year,) if year else (), note))
            continue
        table = _try_locate(src, WORK_COLUMNS)
        if table is not None and _has_any(table, (MONTHS, MONTHLY_WAGE, "开始时间")) and not _has_any(table, INCOME_FACTS):
            work.append((src, table))
            continue
        if sheet_key(src.sheet) == sheet_key(SHEET_MEASURES) or sheet_key(src.file.stem) == sheet_key(SHEET_MEASURES):
            measure_tables.append(locate_table(src.load(), MEASURE_COLUMNS, src.label, typed=True))
            described.append(SourceFile(src.label, KIND_MEASURES))
            continue
        described.append(SourceFile(src.label, KIND_SKIPPED, (), "列名不像年度导出、务工导出或帮扶措施表，未读取"))
    if unknown:
        raise InputError(_unknown_years_message(unknown))
    if not yearly:
        seen = "、".join(f"「{s.label}」" for s in sources) or "无"
        raise InputError(
            f"找不到工作表「户信息」（读到：{seen}），也没有含「户编号」「与户主关系」和收入列的"
            f"防止返贫监测系统年度导出：请给出含「户信息」「收入」的工作簿，或系统的年度导出文件"
        )

    persons = pl.concat([_with_person_facts(_parse_persons(t, y)) for t, y in yearly], how="diagonal_relaxed")
    rows_read = {t.sheet: 0 for t, _ in yearly} | {
        sheet: n for sheet, n in persons.group_by("__sheet").len().iter_rows()
    }
    columns_seen = {c for t, _ in yearly for c in t.cells.columns}
    present_items = columns_seen & {i.name for i in INCOME_ITEMS}
    present_kinds = columns_seen & set(INCOME_KINDS)
    work_facts = bool(columns_seen & set(WORK_FACTS))
    year_this = int(persons["年度"].max()) if persons["年度"].drop_nulls().len() else 0

    bad_person = persons.filter(pl.col("__problem").is_not_null())
    good_persons = persons.join(bad_person.select("户编号", "年度").unique(), on=["户编号", "年度"], how="anti", nulls_equal=True)
    household_years = _household_years(good_persons, present_items, present_kinds, work_facts)
    overspent = household_years.filter(pl.col("__overspent").is_not_null())
    household_years = household_years.filter(pl.col("__overspent").is_null())
    rejects = _rejects(persons, bad_person, overspent)

    # Households from each household's latest usable year.
    latest = household_years.sort("年度").group_by("户编号", maintain_order=True).last()
    latest = _exits_and_entries(latest, persons.filter(pl.col("户编号").is_not_null()), year_this)
    households = latest.select(
        pl.col("户编号"), pl.col("乡镇"), pl.col("村"), pl.col("姓名").alias("户主姓名"),
        pl.col("__id").alias("证件号码"),
        _pick(HOUSEHOLD_TYPES, pl.col("户类型").fill_null("")).alias("户类型"),
        _pick(MONITORING_CATEGORIES, pl.col("监测对象类别").fill_null("")).alias("监测对象类别"),
        pl.col("家庭人口数"), pl.col("劳动力人数").cast(pl.Int64), pl.col("弱劳动力或半劳动力人数").cast(pl.Int64),
        pl.col("是否低保户"), pl.col("是否特困户"), pl.col("是否受灾"),
        pl.lit(None, dtype=pl.String).alias("备注"),
        pl.lit(0, dtype=pl.Int64).alias("重度残疾人数"), pl.lit(0, dtype=pl.Int64).alias("重病人数"),
        pl.col("联系电话"), pl.col(SOURCE_ROW),
        pl.col("__eliminated").alias("风险是否消除"), pl.col(ELIMINATION_WAY).alias("风险消除方式"),
        pl.col(ELIMINATED_ON).alias("消除监测时间"), pl.col(IDENTIFIED_ON).alias("识别监测时间"),
        pl.col("务工不稳风险"), pl.col("16岁以下人数").cast(pl.Int64), pl.col("60岁以上人数").cast(pl.Int64),
        pl.col("70岁以上人数").cast(pl.Int64), pl.col(EXIT_REASON), pl.col(NEW_ENTRY),
        # kept for findings
        pl.col("__sheet"), pl.col("__has_head"),
        pl.when(_is_resident_id_type() & ~pl.col("__disability_number")).then(pl.col("__id_problem")).alias("__id_problem"),
        pl.col("证件号码").alias("__id_raw"), pl.col("户类型").alias("__type_raw"), pl.col("监测对象类别").alias("__cat_raw"),
    )
    findings = [_household_findings(households), _per_capita_findings(household_years)]

    income = household_years.with_columns(
        pl.lit(None, dtype=pl.String).alias("减收原因"),
        pl.col(NET_PER_CAPITA).alias(SYSTEM_PER_CAPITA), pl.col(NET_INCOME).alias(SYSTEM_NET),
    ).select(
        *(pl.col(c.name).cast(OUTPUT_DTYPES[c.dtype]) for c in INCOME_COLUMNS), pl.col(SOURCE_ROW),
        *(pl.col(c.name).cast(OUTPUT_DTYPES[c.dtype]) for c in INCOME_SYSTEM_COLUMNS),
    ).sort("户编号", "年度")
    check_years(income, "、".join(t.sheet for t, _ in yearly))

    for src, table in work:
        # rows with a 年度 keep it; the others are of the named year, else this year (务工月监测 is current)
        year = _override(src, years) or year_in_name(src.sheet)[0] or year_in_name(src.file.stem)[0] or year_this
        rows = _work_rows(table, year)
        persons, unmatched = _add_work(persons, rows)
        note = f"{rows.height} 人的务工月数和月收入已并入人员表，不计入收入"
        if unmatched:
            note += f"；其中 {unmatched} 人在年度导出中找不到，未使用"
        described.append(SourceFile(src.label, KIND_WORK, (year,), note))

    households = households.select(
        *(pl.col(c.name).cast(OUTPUT_DTYPES[c.dtype]) for c in HOUSEHOLD_COLUMNS), pl.col(SOURCE_ROW),
        *(pl.col(c.name).cast(OUTPUT_DTYPES[c.dtype]) for c in ROSTER_STATUS_COLUMNS),
    )
    measures = export_measures(persons.filter(pl.col("__problem").is_null()), year_this)
    read_sheets = [check_table(t, MEASURE_COLUMNS) for t in measure_tables]
    for (_, sheet_rejects, sheet_findings, count), table in zip(read_sheets, measure_tables):
        rows_read[table.sheet] = count
        rejects = pl.concat([rejects, sheet_rejects])
        findings.append(sheet_findings)
    measures = merge_measures(*(fill_lead_units(frame) for frame, *_ in read_sheets), measures)
    return InputData(
        households=households,
        income=income,
        measures=measures,
        rejects=rejects,
        findings=pl.concat([empty_problems(), *findings]),
        rows_read=rows_read,
        source=source,
        persons=_persons_frame(persons),
        sources=tuple(described),
    )


def _persons_frame(persons: pl.DataFrame) -> pl.DataFrame:
    """The contract's persons frame (no full ID: it stays inside the reader)."""
    return persons.select(
        pl.col("户编号"), pl.col("年度"), pl.col("人编号"), pl.col(RELATION).alias("与户主关系"),
        pl.col(ID_TYPE).alias("证件类型"), pl.col("年龄"), pl.col(LABOUR_SKILL).alias("劳动技能"),
        pl.col("在校生状况"), pl.col("健康状况"), pl.col(MONTHS).alias("务工月数"),
        pl.col(MONTHLY_WAGE).alias("务工月收入"), pl.col("公益岗位"), pl.col("享受低保"), pl.col("享受特困"),
        pl.col("__sheet").alias("来源工作表"), pl.col(SOURCE_ROW).alias("来源行号"),
    ).cast(PERSON_SCHEMA)


def _rejects(persons: pl.DataFrame, bad_person: pl.DataFrame, overspent: pl.DataFrame) -> pl.DataFrame:
    """Every person row of a rejected household-year, one line each."""
    bad_keys = pl.concat([bad_person.select("户编号", "年度"), overspent.select("户编号", "年度")]).unique()
    rejected = persons.join(bad_keys, on=["户编号", "年度"], how="semi", nulls_equal=True).join(
        overspent.select("户编号", "年度", "__overspent", "__overspent_kind"), on=["户编号", "年度"], how="left", nulls_equal=True
    ).join(
        bad_person.group_by("户编号", "年度").agg(pl.col(SOURCE_ROW).first().alias("__bad_row")),
        on=["户编号", "年度"], how="left", nulls_equal=True,
    )
    reason = (
        pl.when(pl.col("__problem").is_not_null()).then(pl.col("__problem"))
        .when(pl.col("__overspent").is_not_null()).then(pl.col("__overspent"))
        .otherwise(pl.concat_str(pl.lit("同户第"), pl.col("__bad_row").cast(pl.String), pl.lit("行有误，该户本年度未使用")))
    )
    code = (
        pl.when(pl.col("__problem").is_not_null()).then(pl.lit("E102"))
        .when(pl.col("__overspent").is_not_null()).then(pl.lit("E113"))
        .otherwise(pl.lit("E112"))
    )
    return pl.concat([
        _problem_lines(sheet, part.with_columns(
            pl.coalesce(pl.col("__problem_col"), pl.when(pl.col("__overspent").is_not_null()).then(pl.col("__overspent_kind")),
                        pl.lit("户编号")).alias("__列"),
            pl.when(pl.col("__problem").is_not_null()).then(pl.col("__problem_val")).otherwise(pl.col("户编号")).alias("__值")),
                       code, reason)
        for (sheet,), part in rejected.group_by("__sheet", maintain_order=True)
    ] or [empty_problems()])


def _household_findings(households: pl.DataFrame) -> pl.DataFrame:
    findings = [empty_problems()]
    for (sheet,), part in households.group_by("__sheet", maintain_order=True):
        checks = (
            (pl.col("__id_problem").is_not_null(), "证件号码", pl.col("__id_raw"), "W201",
             pl.concat_str(pl.lit("户主「证件号码」填写为“"), pl.col("__id_raw"), pl.lit("”："), pl.col("__id_problem"))),
            (~pl.col("__has_head"), RELATION, pl.lit(None, dtype=pl.String), "W204",
             pl.lit("该户没有「与户主关系」为户主的行，户主信息取自第一行")),
            (pl.col("__type_raw").is_not_null() & pl.col("户类型").is_null(), "户类型", pl.col("__type_raw"), "W206",
             pl.concat_str(pl.lit("「户类型」“"), pl.col("__type_raw"), pl.lit(f"”不是{'、'.join(HOUSEHOLD_TYPES)}，已留空"))),
            (pl.col("__cat_raw").is_not_null() & ~pl.col("__cat_raw").is_in(NOT_MONITORED) & pl.col("监测对象类别").is_null(),
             "监测对象类别", pl.col("__cat_raw"), "W206",
             pl.concat_str(pl.lit("「监测对象类别」“"), pl.col("__cat_raw"), pl.lit("”无法识别，已按非监测对象留空"))),
        )
        for condition, column, value, code_, text in checks:
            hits = part.filter(condition).with_columns(pl.lit(column).alias("__列"), value.alias("__值"))
            findings.append(_problem_lines(sheet, hits, pl.lit(code_), text))
    return pl.concat(findings)


def _per_capita_findings(household_years: pl.DataFrame) -> pl.DataFrame:
    """W205: the export's 人均纯收入 against the items (pension included, as the system counts)."""
    findings = [empty_problems()]
    for (sheet,), part in household_years.group_by("__sheet", maintain_order=True):
        off = part.filter((pl.col(NET_PER_CAPITA) - pl.col("__net_per_capita")).abs() > 1.0)
        findings.append(_problem_lines(
            sheet, off.with_columns(pl.lit(NET_PER_CAPITA).alias("__列"), pl.col(NET_PER_CAPITA).cast(pl.String).alias("__值")),
            pl.lit("W205"),
            pl.concat_str(pl.lit("系统「人均纯收入」"), pl.col(NET_PER_CAPITA).round(2).cast(pl.String),
                          pl.lit("元与分项计算的"), pl.col("__net_per_capita").round(2).cast(pl.String), pl.lit("元不符，请核对收入分项")),
        ))
    return pl.concat(findings)
