"""The product's catalogues, each defined once, as data.

Income items and their kinds, the plan's nine income-loss risk points (R1–R9), its five
assistance measures (M1–M5) with their lead units, the input sheets and their columns, and
the fixed values of the fixed-value columns. Every other module reads these tables; adding
an income item or renaming a label touches this file only.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

# ---------------------------------------------------------------------------------------
# Domain names every layer shares (declared once here)
# ---------------------------------------------------------------------------------------

ID, TOWNSHIP, VILLAGE, YEAR, MEMBERS = "户编号", "乡镇", "村", "年度", "家庭人口数"
DISTRICT = "全区"  # the district row of every per-village table

# ---------------------------------------------------------------------------------------
# Income kinds and items
# ---------------------------------------------------------------------------------------

WAGE, OPERATING, PROPERTY, TRANSFER = "工资性收入", "生产经营性收入", "财产性收入", "转移性收入"
INCOME_KINDS: tuple[str, ...] = (WAGE, OPERATING, PROPERTY, TRANSFER)
INCOME_KIND_EN = {WAGE: "wage", OPERATING: "operating", PROPERTY: "property", TRANSFER: "transfer"}


@dataclass(frozen=True)
class IncomeItem:
    name: str  # canonical Chinese column name in sheet 收入
    en: str  # English canonical name, accepted as a header
    kind: str  # one of INCOME_KINDS
    sign: int  # +1 income, -1 cost subtracted from net income (生产经营性支出)
    aliases: tuple[str, ...] = ()  # other headers seen in real sheets / system exports


INCOME_ITEMS: tuple[IncomeItem, ...] = (
    IncomeItem("务工收入", "migrant_wage", WAGE, 1, ("外出务工收入", "务工工资收入")),
    IncomeItem("公益岗位收入", "public_welfare_job", WAGE, 1, ("公益性岗位收入", "公益岗收入")),
    IncomeItem("其他工资性收入", "other_wage", WAGE, 1),
    IncomeItem("种植业收入", "crop_farming", OPERATING, 1, ("种植收入",)),
    IncomeItem("养殖业收入", "animal_husbandry", OPERATING, 1, ("养殖收入",)),
    IncomeItem("其他经营收入", "other_operating", OPERATING, 1, ("其他生产经营性收入", "其他经营性收入")),
    IncomeItem("生产经营性支出", "operating_cost", OPERATING, -1, ("经营性支出", "生产经营支出")),
    IncomeItem(
        "产业收益分配",
        "industry_dividend",
        PROPERTY,
        1,
        ("资产收益扶贫分红", "资产收益扶贫分红收入", "产业分红", "产业收益分红"),
    ),
    IncomeItem("土地流转收入", "land_transfer", PROPERTY, 1, ("土地流转租金",)),
    IncomeItem("其他财产性收入", "other_property", PROPERTY, 1),
    IncomeItem("低保金", "dibao", TRANSFER, 1, ("最低生活保障金", "低保收入")),
    IncomeItem("特困供养金", "tekun_support", TRANSFER, 1, ("特困人员救助供养金", "特困供养收入")),
    IncomeItem("养老金", "pension", TRANSFER, 1, ("养老金或离退休金", "基本养老金", "养老保险金")),
    IncomeItem("计划生育金", "family_planning", TRANSFER, 1, ("计划生育奖励扶助金",)),
    IncomeItem("生态补偿金", "eco_compensation", TRANSFER, 1, ("生态补偿", "生态补偿收入")),
    IncomeItem("政策性补贴", "policy_subsidy", TRANSFER, 1, ("政策性补贴收入", "惠农补贴")),
    IncomeItem("其他转移性收入", "other_transfer", TRANSFER, 1),
)
ITEM_NAMES: tuple[str, ...] = tuple(i.name for i in INCOME_ITEMS)
ITEMS_BY_NAME = {i.name: i for i in INCOME_ITEMS}
OPERATING_COST = "生产经营性支出"
PENSION = "养老金"  # left out of net income while the transition-period rule is on


def items_of_kind(kind: str) -> tuple[str, ...]:
    return tuple(i.name for i in INCOME_ITEMS if i.kind == kind)


def income_items_frame() -> pl.DataFrame:
    """The income-item catalogue as a table (for the template's instructions and reports)."""
    return pl.DataFrame(
        {
            "收入项目": [i.name for i in INCOME_ITEMS],
            "英文列名": [i.en for i in INCOME_ITEMS],
            "收入类别": [i.kind for i in INCOME_ITEMS],
            "计算方向": ["减" if i.sign < 0 else "加" for i in INCOME_ITEMS],
        }
    )


# ---------------------------------------------------------------------------------------
# Nine risk points of income loss (佳前乡振发[2022]6号)
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RiskPoint:
    code: str
    label: str
    description: str
    items: tuple[str, ...]  # income items whose fall this point explains ("" = inferred otherwise)
    keywords: tuple[str, ...]  # common wordings of the survey's 减收原因 that mean this point


RISK_POINTS: tuple[RiskPoint, ...] = (
    RiskPoint(
        "R1", "经营减收", "种养殖或其他经营规模缩小、质量或价格下降、停产或经营失败（未受灾）",
        ("种植业收入", "养殖业收入", "其他经营收入", "生产经营性支出"),
        ("经营", "种植", "养殖", "价格", "减产", "停产", "亏损", "经营失败", "市场"),
    ),
    RiskPoint(
        "R2", "产业收益分配减收", "扶贫产业项目变更、净收益减少、经营失败或分配方式调整，收益分配减少",
        ("产业收益分配",),
        ("收益分配", "分红", "产业项目", "资产收益"),
    ),
    RiskPoint(
        "R3", "务工减收", "未外出务工、务工时间缩短或工资降低",
        ("务工收入",),
        ("务工", "打工", "失业", "工资降低", "返乡", "就业"),
    ),
    RiskPoint(
        "R4", "公益岗减收", "未参加公益岗位或公益岗位补贴降低",
        ("公益岗位收入",),
        ("公益岗", "公益性岗位", "护林员", "保洁员"),
    ),
    RiskPoint(
        "R5", "低保取消", "低保或特困供养被取消或金额减少",
        ("低保金", "特困供养金"),
        ("低保", "特困", "兜底"),
    ),
    RiskPoint(
        "R6", "政策补贴减少", "政策性补贴、生态补偿金或计划生育金减少或取消",
        ("政策性补贴", "生态补偿金", "计划生育金"),
        ("补贴", "补助", "生态补偿", "计划生育"),
    ),
    RiskPoint(
        "R7", "自然灾害减收", "因自然灾害造成种养殖经营减收",
        ("种植业收入", "养殖业收入", "其他经营收入", "生产经营性支出"),
        ("灾", "冰雹", "洪涝", "干旱", "风灾", "雹", "疫病", "霜冻"),
    ),
    RiskPoint(
        "R8", "帮扶不到位减收", "因帮扶工作不到位，帮扶带来的收入减少",
        (),
        ("帮扶不到位", "帮扶措施未落实", "帮扶未落实", "未落实帮扶"),
    ),
    RiskPoint(
        "R9", "其他原因减收", "其他收入项目减少、家庭人口增加等其他原因",
        ("其他工资性收入", "土地流转收入", "其他财产性收入", "养老金", "其他转移性收入"),
        ("其他", "人口增加", "新生儿", "婚入", "疾病", "因病"),
    ),
)
RISK_BY_CODE = {r.code: r for r in RISK_POINTS}
RISK_CODES: tuple[str, ...] = tuple(r.code for r in RISK_POINTS)


def risk_points_frame() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "代码": [r.code for r in RISK_POINTS],
            "风险点": [r.label for r in RISK_POINTS],
            "说明": [r.description for r in RISK_POINTS],
        }
    )


# ---------------------------------------------------------------------------------------
# Five assistance measures and their lead units
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Measure:
    code: str
    name: str
    lead_unit: str
    description: str


MEASURES: tuple[Measure, ...] = (
    Measure("M1", "公益岗就业帮扶", "区人社局", "设岗按需、以岗聘任、在岗领补、有序退岗；优先安置弱劳动力、半劳动力"),
    Measure("M2", "产业收益分配帮扶", "区乡村振兴局", "产业项目收益分配；对无劳动能力户实行差异化分配"),
    Measure("M3", "社会救助兜底保障", "区民政局", "低保、特困供养；重度残疾或重病单人户施保；收入超低保线给予渐退期"),
    Measure("M4", "扶志扶智", "区委宣传部", "技能培训、典型宣传，激发内生动力"),
    Measure("M5", "驻村帮扶、结对帮扶", "区委组织部", "驻村工作队和结对帮扶干部入户帮扶"),
)
MEASURE_BY_CODE = {m.code: m for m in MEASURES}
MEASURE_NAMES = {m.code: m.name for m in MEASURES}  # code → name, for polars' replace
LEAD_UNITS = {m.code: m.lead_unit for m in MEASURES}  # code → lead unit
MEASURE_CODES: tuple[str, ...] = tuple(m.code for m in MEASURES)


def measures_frame() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "代码": [m.code for m in MEASURES],
            "措施类型": [m.name for m in MEASURES],
            "牵头单位": [m.lead_unit for m in MEASURES],
            "说明": [m.description for m in MEASURES],
        }
    )


# ---------------------------------------------------------------------------------------
# Fixed values
# ---------------------------------------------------------------------------------------

HOUSEHOLD_TYPES = ("脱贫户", "一般农户")
MONITORING_CATEGORIES = ("脱贫不稳定户", "边缘易致贫户", "突发严重困难户")
MEASURE_STATUSES = ("计划", "已落实")
YES_NO = ("是", "否")

# Income judgement (收入研判) and warning levels (预警等级)
INCREASE, FLAT, DECREASE, NOT_SURVEYED = "增收", "持平", "减收", "未排查"
EXITED = "已退出"  # left the roster (risk eliminated, died out, absent from this year's export): not surveyed, not 未排查
JUDGEMENTS = (INCREASE, FLAT, DECREASE, NOT_SURVEYED, EXITED)
RED, ORANGE, YELLOW, GREEN = "红", "橙", "黄", "绿"
WARNING_LEVELS = (RED, ORANGE, YELLOW, GREEN)

# ---------------------------------------------------------------------------------------
# Input sheets: canonical columns, their English names and their types
# ---------------------------------------------------------------------------------------
# dtype codes: "id" text kept exactly (leading zeros); "text"; "int"; "money" yuan (blank=0
# in 收入); "months"; "bool" 是/否; "year"; "date"; "choice" one of a fixed list.


@dataclass(frozen=True)
class Column:
    name: str
    en: str
    dtype: str
    required: bool = False
    choices: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    note: str = ""


SHEET_HOUSEHOLDS, SHEET_INCOME, SHEET_MEASURES = "户信息", "收入", "帮扶措施"
SHEET_INSTRUCTIONS = "填写说明"

HOUSEHOLD_COLUMNS: tuple[Column, ...] = (
    Column("户编号", "household_id", "id", True, aliases=("户码", "户ID"), note="必填，唯一"),
    Column("乡镇", "township", "text", aliases=("乡(镇)", "乡（镇）", "乡镇名称")),
    Column("村", "village", "text", True, aliases=("行政村", "村名", "村委会"), note="必填"),
    Column("户主姓名", "head_name", "text", aliases=("户主", "姓名")),
    Column("证件号码", "resident_id", "id", aliases=("身份证号", "身份证号码", "户主证件号码"), note="18位居民身份证号，校验位核验"),
    Column("户类型", "household_type", "choice", choices=HOUSEHOLD_TYPES),
    Column("监测对象类别", "monitoring_category", "choice", choices=MONITORING_CATEGORIES, note="非监测对象留空"),
    Column("家庭人口数", "members", "int", True, aliases=("人数", "家庭人口", "年度家庭人口数"), note="≥1"),
    Column("劳动力人数", "labourers", "int"),
    Column("弱劳动力或半劳动力人数", "weak_labourers", "int", aliases=("弱劳动力人数", "半劳动力人数")),
    Column("是否低保户", "is_dibao", "bool", choices=YES_NO),
    Column("是否特困户", "is_tekun", "bool", choices=YES_NO),
    Column("是否受灾", "disaster_hit", "bool", choices=YES_NO, note="本年度是否受灾"),
    Column("备注", "remark", "text"),
    Column("重度残疾人数", "severely_disabled", "int"),
    Column("重病人数", "seriously_ill", "int"),
    Column("联系电话", "phone", "id", aliases=("电话", "手机号", "联系方式")),
)

INCOME_COLUMNS: tuple[Column, ...] = (
    Column("户编号", "household_id", "id", True, aliases=("户码", "户ID")),
    Column("年度", "year", "year", True, aliases=("年份",)),
    Column("家庭人口数", "members", "int", aliases=("人数", "年度家庭人口数"), note="可空，空则取户信息"),
    *(Column(i.name, i.en, "money", aliases=i.aliases, note="元/年，空为0") for i in INCOME_ITEMS),
    Column("务工月数", "months_worked", "months", aliases=("务工时间", "务工时间(月)", "务工时间月")),
    Column("减收原因", "loss_cause", "text", note="可填风险点代码R1–R9、名称或文字"),
)

MEASURE_COLUMNS: tuple[Column, ...] = (
    Column("户编号", "household_id", "id", True, aliases=("户码",)),
    Column("措施类型", "measure_type", "choice", True, choices=MEASURE_CODES, note="M1–M5 或措施名称"),
    Column("措施内容", "measure_detail", "text"),
    Column("牵头单位", "lead_unit", "text", note="空则按措施类型取牵头单位"),
    Column("落实日期", "date_in_place", "date"),
    Column("预计增收", "expected_gain", "money", aliases=("预计增收金额",), note="元/年"),
    Column("状态", "status", "choice", choices=MEASURE_STATUSES),
)

SHEETS: dict[str, tuple[Column, ...]] = {
    SHEET_HOUSEHOLDS: HOUSEHOLD_COLUMNS,
    SHEET_INCOME: INCOME_COLUMNS,
    SHEET_MEASURES: MEASURE_COLUMNS,
}
SHEET_EN = {SHEET_HOUSEHOLDS: "households", SHEET_INCOME: "income", SHEET_MEASURES: "measures"}

# Source row number (as the user sees it in Excel / the CSV line) carried by every canonical frame
SOURCE_ROW = "来源行号"

# The rejects table every reader and check appends to
REJECT_COLUMNS = ("工作表", "行号", "列", "值", "代码", "原因")


# ---------------------------------------------------------------------------------------
# National-system exports: 帮扶 columns as measures, roster status columns
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportMeasureColumn:
    """A 帮扶 column of the export: a non-empty cell is a measure of kind ``measure`` in place."""

    name: str
    measure: str  # one of MEASURE_CODES
    aliases: tuple[str, ...] = ()
    note: str = ""


EXPORT_MEASURE_COLUMNS: tuple[ExportMeasureColumn, ...] = (
    ExportMeasureColumn("产业帮扶", "M2", ("产业帮扶措施",), "产业项目、资产收益"),
    ExportMeasureColumn("金融帮扶", "M2", ("小额信贷",), "小额信贷支持产业"),
    ExportMeasureColumn("就业帮扶", "M1", ("就业帮扶措施", "外出务工补贴", "帮扶车间"), "就业服务、务工补贴"),
    ExportMeasureColumn("公益岗位帮扶", "M1", ("公益性岗位帮扶",), "公益性岗位安置"),
    ExportMeasureColumn("综合保障", "M3", ("综合保障措施", "兜底保障"), "低保、特困、临时救助"),
    ExportMeasureColumn("健康帮扶", "M3", ("医疗帮扶",), "医疗保障与救助"),
    ExportMeasureColumn("教育帮扶", "M4", ("雨露计划", "技能培训"), "教育资助、技能培训"),
    ExportMeasureColumn("社会帮扶", "M5", ("结对帮扶",), "社会力量、结对帮扶"),
    ExportMeasureColumn("搬迁", "M5", ("易地搬迁", "易地扶贫搬迁"), "搬迁及后续扶持，由驻村和结对干部跟进"),
)
# Cell texts that mean "no such measure" (the export writes these instead of leaving blank).
NO_MEASURE_TEXTS = ("无", "否", "没有", "未享受", "不享受", "尚未实施", "未实施", "/", "-", "—", "0")

# 户信息 columns the national-system export can fill (docs/contract.md §1); null when the input
# has no such data. Read by the rules (退出原因, 新识别) and the data-quality checks.
EXIT_REASON, NEW_ENTRY = "退出原因", "新识别"
ROSTER_STATUS_COLUMNS: tuple[Column, ...] = (
    Column("风险是否消除", "risk_eliminated", "bool"),
    Column("风险消除方式", "elimination_way", "text"),
    Column("消除监测时间", "eliminated_on", "date"),
    Column("识别监测时间", "identified_on", "date"),
    Column("务工不稳风险", "unstable_work_risk", "bool", note="致贫/返贫风险写有务工就业不稳"),
    Column("16岁以下人数", "under_16", "int"),
    Column("60岁以上人数", "aged_60_plus", "int"),
    Column("70岁以上人数", "aged_70_plus", "int"),
    Column(EXIT_REASON, "exit_reason", "text", note="空 = 仍在名单中"),
    Column(NEW_ENTRY, "new_entry", "bool", note="本年新识别的监测对象"),
)
# 收入 columns the export can fill: the system's own figures, for the cross-check.
SYSTEM_PER_CAPITA, SYSTEM_NET = "系统人均纯收入", "系统家庭纯收入"
INCOME_SYSTEM_COLUMNS: tuple[Column, ...] = (
    Column(SYSTEM_PER_CAPITA, "system_net_per_capita", "money"),
    Column(SYSTEM_NET, "system_net_income", "money"),
)

# One row per person of a national-system export (docs/contract.md §1); empty for a workbook.
# (lib.io.inputs re-exports it with empty_persons().)
PERSON_SCHEMA: dict[str, pl.DataType] = {
    "户编号": pl.String(), "年度": pl.Int64(), "人编号": pl.String(), "与户主关系": pl.String(),
    "证件类型": pl.String(),
    "年龄": pl.Int64(),  # on 31 December of 年度; null unknown
    "劳动技能": pl.String(),  # as exported: 普通劳动力/技能劳动力/弱劳动力或半劳动力/丧失劳动力/无劳动力
    "在校生状况": pl.String(),  # null = not in school
    "健康状况": pl.String(),
    "务工月数": pl.Float64(), "务工月收入": pl.Float64(),
    "公益岗位": pl.Boolean(),  # holds a public-welfare post
    "享受低保": pl.Boolean(), "享受特困": pl.Boolean(),
    "来源工作表": pl.String(), "来源行号": pl.Int64(),
}

