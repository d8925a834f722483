"""The product's catalogues, each defined once, as data.

Income items and their kinds, the plan's nine income-loss risk points (R1–R9), its five
assistance measures (M1–M5) with their lead units, the recommendations that link them, the
input sheets and their columns, and the fixed values of the fixed-value columns. Every other
module reads these tables; adding an income item, a risk point or a measure, or renaming a
label, touches this file only (plus one registered function where a rule's logic is new:
docs/contract.md, "Adding a risk point / a measure / an income item").
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import polars as pl

# ---------------------------------------------------------------------------------------
# Domain names every layer shares (declared once here)
# ---------------------------------------------------------------------------------------

ID, TOWNSHIP, VILLAGE, YEAR, MEMBERS = "户编号", "乡镇", "村", "年度", "家庭人口数"
DISTRICT = "全区"  # the district row of every per-village table
# The plan's two deadlines in the compared year: (month, day, what is due then).
LEDGER_DUE, ACCOUNTING_DUE = (8, 31, "台账报送"), (9, 30, "收入核算")
DEADLINES = (LEDGER_DUE, ACCOUNTING_DUE)

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
PENSION = "养老金"  # in net income by default; left out of the 低保 check (policy keys)


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
# Codes (R1, R2, … / M1, M2, …): parsed and ordered by their number
# ---------------------------------------------------------------------------------------

_CODE = re.compile(r"([RrMm])(\d+)")


def parse_code(text: str) -> str | None:
    """'r10', 'Ｒ１０', ' R010 ' → 'R10'; None when the text is not an R- or M-code."""
    found = _CODE.fullmatch(unicodedata.normalize("NFKC", text).strip())
    return f"{found.group(1).upper()}{int(found.group(2))}" if found else None


def code_number(code: str) -> int:
    """R10 → 10: the number that orders codes (as text, R10 would sort between R1 and R2)."""
    parsed = parse_code(code)
    if parsed is None:
        raise ValueError(f"not a risk-point or measure code: {code!r}")
    return int(parsed[1:])


def code_key(code: object) -> tuple[int, int, str]:
    """A Python sort key: codes by number (R2 < R10), anything else after them, as text."""
    parsed = parse_code(code) if isinstance(code, str) else None
    return (0, int(parsed[1:]), parsed[0]) if parsed else (1, 0, "" if code is None else str(code))


def code_order(column: str) -> pl.Expr:
    """A sort key over a column of R-/M-codes: their number (null for anything else)."""
    return pl.col(column).str.extract(r"(\d+)$", 1).cast(pl.Int64, strict=False)


# ---------------------------------------------------------------------------------------
# Risk points of income loss (佳前乡振发[2022]6号: nine, R1–R9)
# ---------------------------------------------------------------------------------------
# A risk point is one row. What is more than data is a small function the row names, looked
# up in the registries of `lib.rules.risk` (checked when that module loads):
# - ``rule``: how the numbers show the point, one of `lib.rules.risk.RULE_KINDS`:
#   "operating_net" (operating net income of the items fell, not 受灾), "operating_net_disaster"
#   (the same, 受灾), "per_item" (the items' own falls), "survey_only" (the numbers cannot
#   show it), "residual" (any fall no other point explains; built after the others);
# - ``sub_cause``: the 细分原因, one of `lib.rules.risk.SUB_CAUSES`, as "name" or
#   "name:arg/arg" ("gone:取消/减少": 取消 when every fallen item is now 0, else 减少); "" none.


@dataclass(frozen=True)
class RiskPoint:
    code: str
    label: str
    description: str
    items: tuple[str, ...]  # income items whose fall this point explains ("" = inferred otherwise)
    keywords: tuple[str, ...]  # common wordings of the survey's 减收原因 that mean this point
    rule: str  # rule kind (above)
    sub_cause: str  # sub-cause function (above)
    phrase: str  # what fell, as 说明 names it (the label is a noun of a list; this starts a clause)
    keyword_priority: int  # survey wordings are tried against the points in this order, lowest first
    survey_fires: bool = False  # the survey's 减收原因 alone fires it (what the numbers cannot show)


_OPERATING_ITEMS = ("种植业收入", "养殖业收入", "其他经营收入", "生产经营性支出")

# Keyword priorities: the more specific wording first, so that "因灾减产" is 自然灾害 (not 经营),
# "公益岗工资降低" is 公益岗 (not 务工), "产业项目经营失败" is 收益分配 (not 经营), 其他 last.
RISK_POINTS: tuple[RiskPoint, ...] = (
    RiskPoint(
        "R1", "经营减收", "种养殖或其他经营规模缩小、质量或价格下降、停产或经营失败（未受灾）",
        _OPERATING_ITEMS,
        ("经营", "种植", "养殖", "价格", "减产", "停产", "亏损", "经营失败", "市场"),
        rule="operating_net", sub_cause="fallen_items", phrase="经营净收入减少", keyword_priority=8,
    ),
    RiskPoint(
        "R2", "产业收益分配减收", "扶贫产业项目变更、净收益减少、经营失败或分配方式调整，收益分配减少",
        ("产业收益分配",),
        ("收益分配", "分红", "产业项目", "资产收益"),
        rule="per_item", sub_cause="gone:本年未分配/分配减少", phrase="产业收益分配减少", keyword_priority=5,
    ),
    RiskPoint(
        "R3", "务工减收", "未外出务工、务工时间缩短或工资降低",
        ("务工收入",),
        ("务工", "打工", "失业", "工资降低", "返乡", "就业"),
        rule="per_item", sub_cause="migrant_work", phrase="务工收入减少", keyword_priority=7,
    ),
    RiskPoint(
        "R4", "公益岗减收", "未参加公益岗位或公益岗位补贴降低",
        ("公益岗位收入",),
        ("公益岗", "公益性岗位", "护林员", "保洁员"),
        rule="per_item", sub_cause="gone:未参加/补贴降低", phrase="公益岗位收入减少", keyword_priority=4,
    ),
    RiskPoint(
        "R5", "低保取消", "低保或特困供养被取消或金额减少",
        ("低保金", "特困供养金"),
        ("低保", "特困", "兜底"),
        rule="per_item", sub_cause="gone:取消/减少", phrase="低保金、特困供养金减少", keyword_priority=3,
    ),
    RiskPoint(
        "R6", "政策补贴减少", "政策性补贴、生态补偿金或计划生育金减少或取消",
        ("政策性补贴", "生态补偿金", "计划生育金"),
        ("补贴", "补助", "生态补偿", "计划生育"),
        rule="per_item", sub_cause="fallen_items", phrase="政策性补贴类收入减少", keyword_priority=6,
    ),
    RiskPoint(
        "R7", "自然灾害减收", "因自然灾害造成种养殖经营减收",
        _OPERATING_ITEMS,
        ("灾", "冰雹", "洪涝", "干旱", "风灾", "雹", "疫病", "霜冻"),
        rule="operating_net_disaster", sub_cause="fallen_items", phrase="受灾致经营净收入减少", keyword_priority=2,
    ),
    RiskPoint(
        "R8", "帮扶不到位减收", "因帮扶工作不到位，帮扶带来的收入减少",
        (),
        ("帮扶不到位", "帮扶措施未落实", "帮扶未落实", "未落实帮扶"),
        rule="survey_only", sub_cause="", phrase="帮扶不到位减收", keyword_priority=1, survey_fires=True,
    ),
    RiskPoint(
        "R9", "其他原因减收", "其他收入项目减少、家庭人口增加等其他原因",
        ("其他工资性收入", "土地流转收入", "其他财产性收入", "养老金", "其他转移性收入"),
        ("其他", "人口增加", "新生儿", "婚入", "疾病", "因病"),
        rule="residual", sub_cause="fallen_items", phrase="其他原因减收", keyword_priority=9, survey_fires=True,
    ),
)
OTHER_RISK = "R9"  # where a survey cause the catalogue does not know goes


def risk_lookups(points: tuple[RiskPoint, ...]) -> tuple[dict[str, RiskPoint], tuple[str, ...]]:
    """(code → point, codes): the lookups other modules import, derived from the rows."""
    return {r.code: r for r in points}, tuple(r.code for r in points)


RISK_BY_CODE, RISK_CODES = risk_lookups(RISK_POINTS)


def risk_points_frame() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "代码": [r.code for r in RISK_POINTS],
            "风险点": [r.label for r in RISK_POINTS],
            "说明": [r.description for r in RISK_POINTS],
        }
    )


# ---------------------------------------------------------------------------------------
# Assistance measures (the plan's five, M1–M5) and their lead units
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


def measure_lookups(
    measures: tuple[Measure, ...],
) -> tuple[dict[str, Measure], dict[str, str], dict[str, str], tuple[str, ...]]:
    """(code → measure, code → name, code → lead unit, codes), derived from the rows."""
    return (
        {m.code: m for m in measures},
        {m.code: m.name for m in measures},  # for polars' replace
        {m.code: m.lead_unit for m in measures},
        tuple(m.code for m in measures),
    )


MEASURE_BY_CODE, MEASURE_NAMES, LEAD_UNITS, MEASURE_CODES = measure_lookups(MEASURES)


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
# Recommendations: which risk points and household conditions call for which measure
# ---------------------------------------------------------------------------------------
# A row recommends ``measure`` to an at-risk household that has one of ``risks`` (none
# listed: no risk needed) and for which ``condition`` holds ("" none): a household
# condition of `lib.rules.measures.CONDITIONS` (checked when that module loads). ``reason``
# is a Chinese sentence; ``{列名}`` names a household column (or 低保标准 / 监测线 of the
# year) whose value is filled in, money in whole yuan. A household's reasons for one measure
# are joined in the order of the rows, so the table is in the plan's reading order.


@dataclass(frozen=True)
class Recommendation:
    measure: str
    reason: str
    risks: tuple[str, ...] = ()
    condition: str = ""


RECOMMENDATIONS: tuple[Recommendation, ...] = (
    # M1: public-welfare posts go first to weak and half labour (plan, measure 1).
    Recommendation(
        "M1", "务工或公益岗收入减少，家有弱劳动力或半劳动力{弱劳动力或半劳动力人数}人：优先安置公益岗位",
        ("R3", "R4"), "weak_labour",
    ),
    # Job placement is the 区人社局's (M1); skills and motivation the 区委宣传部's (M4): each
    # reason names only what its own lead unit does.
    Recommendation(
        "M1", "务工或公益岗收入减少，家有劳动力{劳动力人数}人：推送务工岗位，组织劳务输出、稳岗就业",
        ("R3", "R4"), "only_full_labour",
    ),
    Recommendation(
        "M4", "务工或公益岗收入减少，家有劳动力{劳动力人数}人：开展就业技能培训，激发务工内生动力",
        ("R3", "R4"), "only_full_labour",
    ),
    # No labour at all: differential distribution of industry income and the safety net.
    Recommendation("M2", "家中无劳动力：产业项目收益实行差异化分配，适当倾斜", condition="no_labour"),
    Recommendation("M3", "家中无劳动力：审核低保、特困供养条件，符合条件的纳入兜底保障", condition="no_labour"),
    Recommendation("M3", "低保金或特困供养金减少或取消：复核救助条件，符合条件的及时恢复", ("R5",)),
    Recommendation(
        "M3", "低保核算人均收入{低保核算人均收入}元，低于低保标准{低保标准}元：按程序申请纳入低保",
        condition="below_dibao_not_recipient",
    ),
    Recommendation(
        "M3", "低保户低保核算人均收入{低保核算人均收入}元，低于低保标准{低保标准}元：核实补差金额，确保应保尽保",
        condition="below_dibao_recipient",
    ),
    Recommendation(
        "M3", "家有重度残疾人{重度残疾人数}人、重病患者{重病人数}人：按单人户施保条件审核",
        condition="single_person_review",
    ),
    Recommendation(
        "M3", "低保户低保核算人均收入{低保核算人均收入}元已达低保标准{低保标准}元：给予渐退期，不直接停保",
        condition="dibao_gradual_exit",
    ),
    # Business losses: industry projects to carry the household, and skills.
    Recommendation("M2", "种养殖等经营收入减少：依托产业项目带动发展，稳定产业收益", ("R1",)),
    Recommendation("M4", "种养殖等经营收入减少：开展种养殖实用技术培训", ("R1",)),
    Recommendation("M2", "因灾经营收入减少：依托产业项目帮助恢复生产，稳定产业收益", ("R7",)),
    Recommendation("M4", "因灾经营收入减少：开展防灾减灾和种养殖技术培训", ("R7",)),
    Recommendation("M2", "产业收益分配减少：核实项目收益和分配方案，确保收益分配到户", ("R2",)),
    # R6 → M5, not M3: subsidies (生态补偿、计划生育、惠农补贴) are entitlements, not means-tested
    # assistance; what helps is a cadre checking the household receives every one it is owed.
    # A household that also falls below the 低保 line gets M3 from the 低保 rows above.
    Recommendation("M5", "政策性补贴减少：驻村工作队、结对干部核实政策享受情况，做到应享尽享", ("R6",)),
    Recommendation("M5", "帮扶不到位导致减收：驻村工作队、结对干部入户落实帮扶措施", ("R8",)),
    Recommendation("M5", "其他原因减收：结对干部入户核实原因，制定针对性帮扶措施", ("R9",)),
    Recommendation(
        "M5", "人均纯收入{本年人均纯收入}元低于监测线{监测线}元但未纳入监测对象：核实后按程序纳入监测帮扶",
        condition="should_monitor",
    ),
    Recommendation(
        "M5", "人均纯收入{本年人均纯收入}元低于监测线{监测线}元：驻村工作队、结对干部落实针对性帮扶",
        condition="red_registered",
    ),
)
# Every at-risk household that no row above reaches still gets this one, so that every
# 减收 household has at least one recommendation.
FALLBACK_RECOMMENDATION = Recommendation(
    "M5", "存在减收或预警风险但未识别出具体风险点：结对干部入户核实原因，制定帮扶措施", condition="at_risk"
)


# ---------------------------------------------------------------------------------------
# The catalogue checks itself when it loads (a wrong row fails here, not in a village's report)
# ---------------------------------------------------------------------------------------


class CatalogueError(ValueError):
    """A catalogue row is inconsistent (a programming error, found at import)."""


def _check_codes(kind: str, prefix: str, codes: tuple[str, ...]) -> None:
    for code in codes:
        if parse_code(code) != code or not code.startswith(prefix):
            raise CatalogueError(f"{kind} code {code!r} is not of the form {prefix}<number> (e.g. {prefix}10)")
    numbers = [code_number(c) for c in codes]
    if numbers != sorted(set(numbers)):
        raise CatalogueError(f"{kind} codes must be unique and listed in number order: {codes}")


def check_catalogue(
    points: tuple[RiskPoint, ...],
    measures: tuple[Measure, ...],
    recommendations: tuple[Recommendation, ...],
    fallback: Recommendation,
    other: str,
) -> None:
    """Raise `CatalogueError` unless the rows are consistent: codes R<n> / M<n> in number
    order, items known, keyword priorities distinct, recommendations naming known codes.
    (The rule names are checked by the modules that hold the registries.)"""
    risk_codes, measure_codes = tuple(p.code for p in points), tuple(m.code for m in measures)
    _check_codes("risk point", "R", risk_codes)
    _check_codes("measure", "M", measure_codes)
    for point in points:
        unknown = set(point.items) - set(ITEM_NAMES)
        if unknown:
            raise CatalogueError(f"{point.code} watches unknown income items {sorted(unknown)}")
        if not point.phrase or not point.rule:
            raise CatalogueError(f"{point.code} needs a phrase and a rule kind")
    priorities = [p.keyword_priority for p in points]
    if len(set(priorities)) != len(priorities):
        raise CatalogueError(f"keyword priorities must be distinct: {dict(zip(risk_codes, priorities))}")
    if other not in risk_codes:
        raise CatalogueError(f"the catch-all risk point {other} is not in the catalogue")
    for row in (*recommendations, fallback):
        if row.measure not in measure_codes:
            raise CatalogueError(f"recommendation names unknown measure {row.measure}: {row.reason}")
        if set(row.risks) - set(risk_codes):
            raise CatalogueError(f"recommendation names unknown risk points {row.risks}: {row.reason}")
        if not row.risks and not row.condition:
            raise CatalogueError(f"recommendation names neither a risk point nor a condition: {row.reason}")


check_catalogue(RISK_POINTS, MEASURES, RECOMMENDATIONS, FALLBACK_RECOMMENDATION, OTHER_RISK)


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
    Column("减收原因", "loss_cause", "text", note=f"可填风险点代码{RISK_CODES[0]}–{RISK_CODES[-1]}、名称或文字"),
)

MEASURE_COLUMNS: tuple[Column, ...] = (
    Column("户编号", "household_id", "id", True, aliases=("户码",)),
    Column("措施类型", "measure_type", "choice", True, choices=MEASURE_CODES, note=f"{MEASURE_CODES[0]}–{MEASURE_CODES[-1]} 或措施名称"),
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
# Other names townships give the sheets (a sheet whose name holds one of these is that sheet);
# a sheet named otherwise is still found by its columns.
SHEET_ALIASES = {
    SHEET_HOUSEHOLDS: ("农户信息", "基本信息", "户基本情况", "花名册"),
    SHEET_INCOME: ("收入情况", "收入明细", "收入排查", "收入台账"),
    SHEET_MEASURES: ("帮扶措施台账", "帮扶台账", "措施台账", "帮扶措施清单", "帮扶情况", "措施"),
}

# Source row number (as the user sees it in Excel / the CSV line) carried by every canonical frame
SOURCE_ROW = "来源行号"

# The rejects table every reader and check appends to
REJECT_COLUMNS = ("工作表", "行号", "列", "值", "代码", "原因")

# ---------------------------------------------------------------------------------------
# Person rows of a national-system export
# ---------------------------------------------------------------------------------------
# One row per member and year (the export's own grain); a workbook has none, so every
# frame below is empty then and the checks that need members do not fire.

PERSON_SCHEMA: dict[str, pl.DataType] = {
    "户编号": pl.String(), "年度": pl.Int64(), "人编号": pl.String(), "与户主关系": pl.String(),
    "证件类型": pl.String(),
    "年龄": pl.Int64(),  # on 31 December of 年度; null = unknown
    "劳动技能": pl.String(),  # one of LABOUR_SKILLS; null = left blank
    "在校生状况": pl.String(),  # null = not in school
    "健康状况": pl.String(), "务工月数": pl.Float64(), "务工月收入": pl.Float64(),
    "公益岗位": pl.Boolean(), "享受低保": pl.Boolean(), "享受特困": pl.Boolean(),
    "来源工作表": pl.String(), "来源行号": pl.Int64(),
}


def empty_persons() -> pl.DataFrame:
    """No person rows, in PERSON_SCHEMA (the persons of a workbook input)."""
    return pl.DataFrame(schema=PERSON_SCHEMA)


# 劳动技能 as the system records it. 弱/半 labour is labour (it can hold a post); the last two
# are "no labour" (无劳动能力) for the posts, 特困 and 兜底 checks.
FULL_LABOUR = ("普通劳动力", "技能劳动力")
WEAK_LABOUR = "弱劳动力或半劳动力"
NO_LABOUR = ("丧失劳动力", "无劳动力")
LABOUR_KINDS = (*FULL_LABOUR, WEAK_LABOUR)
LABOUR_SKILLS = (*LABOUR_KINDS, *NO_LABOUR)

# ---------------------------------------------------------------------------------------
# Data-quality rules (数据核查)
# ---------------------------------------------------------------------------------------
# One rule a row: its code (label and sentence in lib/codes.py, stage 核查), its level, the
# name of its predicate (registered in lib/rules/quality.py under the code), whose rows it
# checks, and the columns it reads beyond the contract's: a rule whose columns the input
# does not have (a workbook has no 风险是否消除) does not fire. Thresholds are policy
# ([quality] in the policy file), never written into a rule.

PERSON, HOUSEHOLD = "人", "户"
FINDING_LEVEL = "提示"  # = lib.codes.FINDING (codes imports this module, not the reverse)


@dataclass(frozen=True)
class QualityRule:
    code: str
    level: str
    predicate: str  # the registered function's name
    checks: str  # PERSON (one finding per member) or HOUSEHOLD
    needs: tuple[str, ...] = ()  # optional columns it reads (of persons or households)


QUALITY_RULES: tuple[QualityRule, ...] = (
    QualityRule("W501", FINDING_LEVEL, "wage_too_low", PERSON),
    QualityRule("W502", FINDING_LEVEL, "wage_too_high", PERSON),
    QualityRule("W503", FINDING_LEVEL, "post_too_old", PERSON),
    QualityRule("W504", FINDING_LEVEL, "post_too_young", PERSON),
    QualityRule("W505", FINDING_LEVEL, "post_without_labour", PERSON),
    QualityRule("W506", FINDING_LEVEL, "too_many_posts", HOUSEHOLD),
    QualityRule("W507", FINDING_LEVEL, "child_as_labour", PERSON),
    QualityRule("W508", FINDING_LEVEL, "senior_as_full_labour", PERSON),
    QualityRule("W509", FINDING_LEVEL, "pupil_as_labour", PERSON),
    QualityRule("W510", FINDING_LEVEL, "skill_blank", PERSON),
    QualityRule("W511", FINDING_LEVEL, "work_without_labour", PERSON),
    QualityRule("W512", FINDING_LEVEL, "tekun_with_labour", PERSON),
    QualityRule("W513", FINDING_LEVEL, "no_labour_no_safety_net", HOUSEHOLD),
    QualityRule("W514", FINDING_LEVEL, "eliminated_below_line", HOUSEHOLD, ("风险是否消除",)),
    QualityRule("W515", FINDING_LEVEL, "should_monitor", HOUSEHOLD),
    QualityRule("W516", FINDING_LEVEL, "dibao_paid_not_enrolled", HOUSEHOLD),
    QualityRule("W517", FINDING_LEVEL, "dibao_enrolled_not_paid", HOUSEHOLD),
    QualityRule("W518", FINDING_LEVEL, "unstable_work_without_labour", HOUSEHOLD, ("务工不稳风险",)),
    QualityRule("W519", FINDING_LEVEL, "per_capita_differs", HOUSEHOLD, ("本年系统人均纯收入",)),
)
QUALITY_RULE_BY_CODE = {r.code: r for r in QUALITY_RULES}

# One finding row: who (户编号, 村), which rule (代码, 级别), the sentence (说明), and where in
# the input it was seen (工作表, 行号; null for a household-level check).
FINDING_COLUMNS = ("户编号", "村", "代码", "级别", "说明", "工作表", "行号")

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
