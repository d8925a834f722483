"""Adapter for person-level exports of the national monitoring information system.

Such an export has one row per person, the household's fields repeated on every member's
row, usually a title row above the header, and one sheet (or one file) per year — the year
comes from a 年度 column or from a 4-digit year in the sheet or file name. This module turns
it into the canonical frames of ``lib.io.reader.InputData`` (contract §1).

Households (户信息): one per 户编号, from its latest year. 户主姓名 / 证件号码 come from the
row whose 与户主关系 is 户主 (first row, flagged, if none); 家庭人口数 from 年度家庭人口数 or
人数, else the number of rows; 劳动力人数 counts 普通劳动力 and 技能劳动力 in 劳动技能,
弱劳动力或半劳动力人数 counts 弱劳动力或半劳动力; 是否低保户 / 是否特困户 from
享受低保政策情况 / 享受特困供养政策情况 (anything but blank, 否, 无, 未享受 …); 是否受灾 when a
致贫/返贫风险 column names a disaster (灾); 户类型 and 监测对象类别 when they contain a
catalogue value (e.g. "脱贫户", "边缘易致贫户"), else left empty with a finding.

Income (收入), per household and year, from the household's income columns (taken from the
head's row, since they repeat). Columns that are catalogue items or their aliases map
directly: 公益性岗位收入 → 公益岗位收入, 资产收益扶贫分红收入 → 产业收益分配,
最低生活保障金 → 低保金, 特困人员救助供养金 → 特困供养金, 养老金或离退休金 → 养老金,
计划生育金, 生态补偿金, 其他工资性收入, 其他财产性收入, 其他转移性收入, 生产经营性支出.
Each kind's total (工资性收入, 生产经营性收入 gross of costs, 财产性收入, 转移性收入) minus
the items given for that kind goes to the kind's remainder item, unless that item has its own
column: 务工收入 (so 务工收入 = 工资性收入 − 公益性岗位收入 − 其他工资性收入), 其他经营收入,
其他财产性收入, 其他转移性收入. Items given for a kind exceeding its total reject the
household-year (E113). 务工月数 is the members' 务工时间（月） summed. The export's
人均纯收入 is compared with the net income the items give before the pension rule (all items
minus 生产经营性支出, divided by 家庭人口数) and a difference over 1 yuan is a finding (W205).

Accounting: ``rows_read`` counts person rows per source sheet; a problem in any person row
rejects that household's year, one reject line per person row (E112 for the rows that were
themselves fine), so ``rows_read[sheet] == used + rejected`` holds as for the workbook.
The head's ID is checked like the workbook's, but a doubtful ID is a finding, not a reject:
the export is the system's own record of the household.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import polars as pl

from lib.catalogue import (
    HOUSEHOLD_COLUMNS,
    HOUSEHOLD_TYPES,
    INCOME_COLUMNS,
    INCOME_ITEMS,
    INCOME_KINDS,
    MEASURE_COLUMNS,
    MONITORING_CATEGORIES,
    OPERATING,
    PROPERTY,
    SOURCE_ROW,
    TRANSFER,
    WAGE,
    Column,
)
from lib.codes import InputError, empty_problems
from lib.io.inputs import OUTPUT_DTYPES, InputData, check_years, empty_frame
from lib.io.parsing import (
    clean_text,
    null_column,
    parse_amount_column,
    parse_count_column,
    parse_id_column,
    parse_months_column,
    parse_resident_id_column,
    parse_year_column,
)
from lib.io.sheets import Grid, Table, locate_table

RISK_COLUMNS = tuple(f"致贫返贫风险{i}" for i in range(1, 6))
NET_PER_CAPITA = "人均纯收入"
RELATION, HEAD = "与户主关系", "户主"
LABOUR_SKILL = "劳动技能"
FULL_LABOUR = ("普通劳动力", "技能劳动力")
WEAK_LABOUR = ("弱劳动力或半劳动力",)
NOT_ENJOYED = ("否", "无", "未享受", "不享受", "0", "n", "no", "false", "非低保", "非特困")
DISASTER_WORD = "灾"
NOT_MONITORED = ("无", "否", "非监测对象", "不是监测对象")

# The remainder item of each kind takes the kind's total minus the items given separately.
REMAINDER_ITEM = {WAGE: "务工收入", OPERATING: "其他经营收入", PROPERTY: "其他财产性收入", TRANSFER: "其他转移性收入"}
ITEM_COLUMNS = tuple(Column(i.name, i.en, "money", aliases=i.aliases) for i in INCOME_ITEMS)

SYSTEM_COLUMNS: tuple[Column, ...] = (
    Column("户编号", "household_id", "id", True, aliases=("户码",)),
    Column("人编号", "person_id", "id", aliases=("人员编号",)),
    Column("县", "county", "text", aliases=("县(市、区)", "县(区)", "县区")),
    Column("乡镇", "township", "text", aliases=("乡(镇)", "乡镇名称")),
    Column("村", "village", "text", True, aliases=("行政村", "村名")),
    Column("姓名", "name", "text"),
    Column("证件号码", "resident_id", "id", aliases=("身份证号", "身份证号码")),
    Column(RELATION, "relation", "text", True),
    Column("人数", "members", "int", aliases=("家庭人口数",)),
    Column("年度家庭人口数", "members_of_year", "int"),
    Column(LABOUR_SKILL, "labour_skill", "text"),
    Column("务工时间", "months_worked", "months", aliases=("务工时间(月)", "务工月数")),
    Column("户类型", "household_type", "text"),
    Column("监测对象类别", "monitoring_category", "text"),
    Column("享受低保政策情况", "dibao_status", "text", aliases=("是否享受低保",)),
    Column("享受特困供养政策情况", "tekun_status", "text", aliases=("是否享受特困供养",)),
    *(Column(name, f"risk_{i}", "text", aliases=(f"致贫/返贫风险{i}", f"返贫致贫风险{i}", f"风险类型{i}"))
      for i, name in enumerate(RISK_COLUMNS, start=1)),
    Column("联系电话", "phone", "id", aliases=("电话", "联系方式")),
    Column("年度", "year", "year", aliases=("年份",)),
    *(Column(kind, f"{kind}_total", "money") for kind in INCOME_KINDS),
    *ITEM_COLUMNS,
    Column(NET_PER_CAPITA, "net_income_per_capita", "money", aliases=("人均纯收入(元)",)),
)
_YEAR_IN_NAME = re.compile(r"(19|20)\d{2}")


def _year_from_name(name: str) -> int | None:
    found = _YEAR_IN_NAME.search(name)
    return int(found.group()) if found else None


def _export_tables(sources: dict[str, Callable[[], Grid]]) -> list[Table]:
    """The sources whose header looks like a person-level export (户编号 + 与户主关系)."""
    tables = []
    for name, load in sources.items():
        try:
            table = locate_table(load(), SYSTEM_COLUMNS, name)
        except InputError:
            continue
        tables.append(table)
    return tables


def _problem_lines(sheet: str, rows: pl.DataFrame, code: pl.Expr, reason: pl.Expr) -> pl.DataFrame:
    return rows.select(
        pl.lit(sheet).alias("工作表"), pl.col(SOURCE_ROW).alias("行号"), pl.col("__列").alias("列"),
        pl.col("__值").alias("值"), code.alias("代码"),
        pl.concat_str(pl.lit(f"工作表「{sheet}」第"), pl.col(SOURCE_ROW).cast(pl.String), pl.lit("行："), reason).alias("原因"),
    )


def _parse_persons(table: Table) -> pl.DataFrame:
    """Person rows of one source, parsed; ``__problem`` holds the first bad cell's sentence."""
    present = set(table.cells.columns) - {SOURCE_ROW}
    cells = table.cells.filter(~pl.all_horizontal(clean_text(pl.col(c)).is_null() for c in present))
    year_from_name = _year_from_name(table.sheet)
    if "年度" not in present and year_from_name is None:
        raise InputError(
            f"工作表「{table.sheet}」：没有「年度」列，名称中也没有4位年份，无法确定收入所属年度"
        )

    def raw(name: str) -> pl.Series:
        return cells[name] if name in present else null_column(name, cells.height)

    parsers = {
        "户编号": parse_id_column,
        "年度": parse_year_column,
        "人数": parse_count_column,
        "年度家庭人口数": parse_count_column,
        "务工时间": parse_months_column,
        NET_PER_CAPITA: lambda x: parse_amount_column(x, blank_is_zero=False),
        **{kind: parse_amount_column for kind in INCOME_KINDS},
        **{item.name: parse_amount_column for item in ITEM_COLUMNS},
    }
    parsed = {name: parse(raw(name)) for name, parse in parsers.items()}
    if "年度" not in present:
        parsed["年度"] = pl.select(
            value=pl.repeat(year_from_name, cells.height, dtype=pl.Int64),
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
    texts = ("县", "乡镇", "村", "姓名", RELATION, LABOUR_SKILL, "户类型", "监测对象类别",
             "享受低保政策情况", "享受特困供养政策情况", *RISK_COLUMNS)
    frame = pl.DataFrame({name: out["value"] for name, out in parsed.items()}).with_columns(
        cells[SOURCE_ROW],
        *(pl.Series(name, raw(name)).str.normalize("NFKC").str.strip_chars().replace("", None) for name in texts),
        raw("证件号码").alias("证件号码"),
        parse_id_column(raw("联系电话"))["value"].alias("联系电话"),
    )
    return pl.concat([frame, problems], how="horizontal").with_columns(pl.lit(table.sheet).alias("__sheet"))


def _household_years(persons: pl.DataFrame, present_items: set[str], present_kinds: set[str]) -> pl.DataFrame:
    """One row per household and year from the head's row (income repeats on every member's row)."""
    is_head = pl.col(RELATION).fill_null("").str.replace_all(r"\s", "") == HEAD
    ordered = persons.with_columns(is_head.alias("__is_head")).sort("__is_head", descending=True, maintain_order=True)
    skill = pl.col(LABOUR_SKILL).fill_null("")
    risk_text = pl.concat_str([pl.col(c).fill_null("") for c in RISK_COLUMNS], separator=" ")
    groups = ordered.group_by("户编号", "年度", maintain_order=True).agg(
        pl.all().exclude("户编号", "年度").first(),
        pl.len().alias("__rows"),
        pl.col("__is_head").any().alias("__has_head"),
        skill.is_in(FULL_LABOUR).sum().alias("劳动力人数"),
        skill.is_in(WEAK_LABOUR).sum().alias("弱劳动力或半劳动力人数"),
        pl.col("务工时间").sum().alias("务工月数"),
        pl.col("务工时间").is_not_null().any().alias("__months_given"),
        risk_text.str.contains(DISASTER_WORD).any().alias("是否受灾"),
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
    members = pl.coalesce(pl.col("年度家庭人口数"), pl.col("人数"), pl.col("__rows").cast(pl.Int64))
    net = pl.sum_horizontal(items[i.name] * i.sign for i in INCOME_ITEMS)
    return groups.with_columns(
        *(expr.cast(pl.Float64).alias(name) for name, expr in items.items()),
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


def _enjoys(text: pl.Expr) -> pl.Expr:
    t = text.str.replace_all(r"\s", "").str.to_lowercase()
    return t.is_not_null() & ~t.is_in(NOT_ENJOYED)


def read_export(sources: dict[str, Callable[[], Grid]], source: str) -> InputData | None:
    """Canonical input from a person-level export, or None when ``sources`` do not look like one."""
    tables = _export_tables(sources)
    if not tables:
        return None
    persons = pl.concat([_parse_persons(t) for t in tables], how="diagonal_relaxed")
    rows_read = {t.sheet: 0 for t in tables} | {
        sheet: n for sheet, n in persons.group_by("__sheet").len().iter_rows()
    }
    present_items = {c for t in tables for c in t.cells.columns if c in {i.name for i in INCOME_ITEMS}}
    present_kinds = {c for t in tables for c in t.cells.columns if c in INCOME_KINDS}

    bad_person = persons.filter(pl.col("__problem").is_not_null())
    good_persons = persons.join(bad_person.select("户编号", "年度").unique(), on=["户编号", "年度"], how="anti", nulls_equal=True)
    years = _household_years(good_persons, present_items, present_kinds)
    overspent = years.filter(pl.col("__overspent").is_not_null())
    years = years.filter(pl.col("__overspent").is_null())

    # Rejects: every person row of a rejected household-year, one line each.
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
    rejects = pl.concat([
        _problem_lines(sheet, part.with_columns(
            pl.coalesce(pl.col("__problem_col"), pl.when(pl.col("__overspent").is_not_null()).then(pl.col("__overspent_kind")),
                        pl.lit("户编号")).alias("__列"),
            pl.when(pl.col("__problem").is_not_null()).then(pl.col("__problem_val")).otherwise(pl.col("户编号")).alias("__值")),
                       code, reason)
        for (sheet,), part in rejected.group_by("__sheet", maintain_order=True)
    ] or [empty_problems()])

    # Households from each household's latest usable year.
    latest = years.sort("年度").group_by("户编号", maintain_order=True).last()
    checked_id = parse_resident_id_column(latest["证件号码"])
    latest = latest.with_columns(
        checked_id["value"].alias("__id"), pl.coalesce(checked_id["damage"], checked_id["finding"]).alias("__id_problem")
    )
    households = latest.select(
        pl.col("户编号"), pl.col("乡镇"), pl.col("村"), pl.col("姓名").alias("户主姓名"),
        pl.col("__id").alias("证件号码"),
        _pick(HOUSEHOLD_TYPES, pl.col("户类型").fill_null("")).alias("户类型"),
        _pick(MONITORING_CATEGORIES, pl.col("监测对象类别").fill_null("")).alias("监测对象类别"),
        pl.col("家庭人口数"), pl.col("劳动力人数").cast(pl.Int64), pl.col("弱劳动力或半劳动力人数").cast(pl.Int64),
        _enjoys(pl.col("享受低保政策情况")).alias("是否低保户"),
        _enjoys(pl.col("享受特困供养政策情况")).alias("是否特困户"),
        pl.col("是否受灾"),
        pl.lit(None, dtype=pl.String).alias("备注"),
        pl.lit(0, dtype=pl.Int64).alias("重度残疾人数"), pl.lit(0, dtype=pl.Int64).alias("重病人数"),
        pl.col("联系电话"), pl.col(SOURCE_ROW),
        # kept for findings
        pl.col("__sheet"), pl.col("__has_head"), pl.col("__id_problem"),
        pl.col("证件号码").alias("__id_raw"), pl.col("户类型").alias("__type_raw"), pl.col("监测对象类别").alias("__cat_raw"),
    )
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
    for (sheet,), part in years.group_by("__sheet", maintain_order=True):
        off = part.filter((pl.col(NET_PER_CAPITA) - pl.col("__net_per_capita")).abs() > 1.0)
        findings.append(_problem_lines(
            sheet, off.with_columns(pl.lit(NET_PER_CAPITA).alias("__列"), pl.col(NET_PER_CAPITA).cast(pl.String).alias("__值")),
            pl.lit("W205"),
            pl.concat_str(pl.lit("系统「人均纯收入」"), pl.col(NET_PER_CAPITA).round(2).cast(pl.String),
                          pl.lit("元与分项计算的"), pl.col("__net_per_capita").round(2).cast(pl.String), pl.lit("元不符，请核对收入分项")),
        ))

    income = years.with_columns(pl.lit(None, dtype=pl.String).alias("减收原因")).select(
        *(pl.col(c.name).cast(OUTPUT_DTYPES[c.dtype]) for c in INCOME_COLUMNS), pl.col(SOURCE_ROW)
    ).sort("户编号", "年度")
    check_years(income, "、".join(t.sheet for t in tables))
    households = households.select(*(pl.col(c.name).cast(OUTPUT_DTYPES[c.dtype]) for c in HOUSEHOLD_COLUMNS), pl.col(SOURCE_ROW))
    return InputData(
        households=households,
        income=income,
        measures=empty_frame(MEASURE_COLUMNS),
        rejects=rejects,
        findings=pl.concat(findings),
        rows_read=rows_read,
        source=source,
    )
