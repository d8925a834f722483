"""Synthetic exports of the national monitoring system, shaped as analysts download them.

Two title rows above the header, 150+ columns (the export's own columns, padded with column
names of the public county data-check vocabulary at github.com/Gzuwkj/fuping: names only),
one row per person with the household's fields repeated, every cell written as text.

    district = demo_district()                  # households with members and two years' income
    write_yearly(path, district, 2021)          # one year's export
    write_two_years(path, district)             # both years, with a 年度 column
    write_work_export(path, district, 2022)     # a 务工月监测 export (person rows, no income)

The expected figures (``Household.per_capita``) follow the system's count: 家庭纯收入 =
工资性 + 生产经营性 + 财产性 + 转移性 (养老金 included) − 生产经营性支出.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import xlsxwriter

from lib.policy import Policy, default_policy
from tests.conftest import resident_id

YEARS = (2021, 2022)


def policy_counting_pension() -> Policy:
    """The policy under which net income counts the pension, as the system does.
    (Becomes ``pension_in_net_income = true`` when the lead's policy keys land: one line.)"""
    return default_policy()  # the default counts the pension in net income, as the system does


@dataclass
class Person:
    name: str
    relation: str
    birth: str  # YYYY-MM-DD
    skill: str = "普通劳动力"
    months: float | None = None  # 务工时间（月）
    monthly: float | None = None  # 务工月收入
    work_place: str | None = None
    id_type: str = "居民身份证"
    number: str | None = None  # 证件号码; built from the birth date when None
    school: str | None = None
    health: str = "健康"
    dibao: str = "未享受"
    tekun: str = "未享受"
    post: str | None = None

    def id_number(self, seq: int) -> str:
        return self.number or resident_id("230803" + self.birth.replace("-", "") + f"{seq % 1000:03d}")


@dataclass
class Year:
    members: list[Person]
    wage: float = 0.0  # 工资性收入 (total)
    post: float = 0.0  # 公益性岗位收入
    operating: float = 0.0  # 生产经营性收入 (gross)
    cost: float = 0.0  # 生产经营性支出
    dividend: float = 0.0  # 资产收益扶贫分红收入
    other_property: float = 0.0
    dibao: float = 0.0
    tekun: float = 0.0
    pension: float = 0.0
    other_transfer: float = 0.0
    risk: str | None = None
    eliminated: str = "否"
    elimination_way: str | None = None
    eliminated_on: str | None = None
    measures: dict[str, str] = field(default_factory=dict)  # 帮扶 column → cell text
    typo_per_capita: float | None = None  # a per-capita the system got wrong

    @property
    def property_total(self) -> float:
        return self.dividend + self.other_property

    @property
    def transfer_total(self) -> float:
        return self.dibao + self.tekun + self.pension + self.other_transfer

    @property
    def net(self) -> float:
        return self.wage + self.operating + self.property_total + self.transfer_total - self.cost

    @property
    def per_capita(self) -> float:
        return round(self.net / len(self.members), 2)


@dataclass
class Household:
    hid: str
    village: str
    kind: str = "脱贫户"
    category: str = ""  # 监测对象类别
    identified_on: str | None = None
    years: dict[int, Year] = field(default_factory=dict)


EXPORT_COLUMNS = [
    "县", "乡", "行政村", "户编号", "人编号", "姓名", "性别", "证件类型", "证件号码", "出生日期", "与户主关系", "人数",
    "民族", "文化程度", "在校生状况", "健康状况", "劳动技能", "务工时间（月）", "务工所在地", "务工月收入", "公益性岗位",
    "户类型", "监测对象类别", "识别监测时间", "风险是否已消除", "风险消除方式", "消除监测时间",
    "致贫/返贫风险1", "致贫/返贫风险2", "致贫/返贫风险3", "致贫/返贫风险4", "致贫/返贫风险5",
    "享受低保政策情况", "享受特困供养政策情况",
    "工资性收入", "公益性岗位收入", "生产经营性收入", "财产性收入", "资产收益扶贫分红收入", "转移性收入",
    "最低生活保障金", "特困人员救助供养金", "养老金或离退休金", "生产经营性支出", "家庭纯收入", "人均纯收入（元）",
    "年度家庭人口数",
    "产业帮扶", "就业帮扶", "公益岗位帮扶", "综合保障", "健康帮扶", "教育帮扶", "金融帮扶", "社会帮扶", "搬迁",
]
# Columns the adapter does not read, named as the county tool names the export's columns.
PADDING = [
    "是否出列", "耕地面积（亩）", "林地面积（亩）", "退耕还林面积（亩）", "林果面积（亩）", "牧草地面积", "水面面积",
    "与村主干路距离", "入户道路是否硬化", "是否通生活用电", "是否解决安全饮用水", "是否危房户", "住房面积",
    "是否有卫生厕所", "卫生厕所是否能正常使用", "是否参加城乡居民基本医疗保险", "是否参加城镇职工基本医疗保险",
    "是否参加大病保险", "是否参加城乡居民基本养老保险", "是否参加城镇职工基本养老保险", "是否接受医疗救助",
    "是否义务教育阶段适龄儿童少年失学辍学", "义务教育阶段未上学原因", "失学或辍学原因", "是否已务工", "是否计划务工",
    "是否计划外出务工", "计划务工所在县", "务工企业名称", "所属行业", "就业渠道", "就业渠道（易地搬迁后扶使用）",
    "是否点对点输送", "就业服务需求", "实施开发式帮扶措施情况", "公益性岗位(月数)", "公益性岗位帮扶其他备注",
    "因自然灾害子项", "合规自付支出", "城乡居民基本医疗保险个人缴费补贴", "残疾人补贴", "年度交通费补助",
    "外出务工补贴", "雨露计划", "技能培训", "帮扶车间", "家庭成员联系电话", "户联系电话", "信息采集人",
    "信息采集人联系电话", "其他备注", "其他信息", "长期慢性病", "残疾人证", "风险消除后工资性收入",
    "风险消除后生产经营性收入", "风险消除后财产性收入", "风险消除后转移性收入", "风险消除后理赔收入",
    "风险消除后生产经营性支出", "风险消除后合规自付支出", "风险消除后家庭纯收入", "风险消除后家庭人均纯收入",
    "风险消除后是否住房损毁", "风险消除后是否饮水设施损毁", "饮水安全保障", "住房安全保障", "义务教育保障",
]
PADDING += [f"备用字段{i}" for i in range(1, 160 - len(EXPORT_COLUMNS) - len(PADDING) + 1)]
PADDING = [c for c in PADDING if c not in ("户联系电话", "雨露计划", "技能培训", "帮扶车间", "外出务工补贴",
                                           "公益性岗位(月数)")]  # these are read (aliases of read columns)
PADDING += [f"扩展字段{i}" for i in range(1, 160 - len(EXPORT_COLUMNS) - len(PADDING) + 1)]
HEADER = EXPORT_COLUMNS + PADDING
TITLE = "（自定义）监测对象信息"


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))
    return str(value)


def person_rows(household: Household, year: int, *, with_year: bool = False) -> list[list[str]]:
    y = household.years[year]
    rows = []
    for seq, p in enumerate(y.members, start=1):
        values = {
            "县": "桦川县", "乡": "前进乡", "行政村": household.village, "户编号": household.hid,
            "人编号": f"{household.hid}{seq:02d}", "姓名": p.name, "性别": "男", "证件类型": p.id_type,
            "证件号码": p.id_number(int(household.hid[-3:]) * 10 + seq), "出生日期": p.birth, "与户主关系": p.relation,
            "人数": len(y.members), "民族": "汉族", "文化程度": "初中", "在校生状况": p.school, "健康状况": p.health,
            "劳动技能": p.skill, "务工时间（月）": p.months, "务工所在地": p.work_place, "务工月收入": p.monthly,
            "公益性岗位": p.post, "户类型": household.kind, "监测对象类别": household.category,
            "识别监测时间": household.identified_on, "风险是否已消除": y.eliminated,
            "风险消除方式": y.elimination_way, "消除监测时间": y.eliminated_on, "致贫/返贫风险1": y.risk,
            "享受低保政策情况": p.dibao, "享受特困供养政策情况": p.tekun,
            "工资性收入": y.wage, "公益性岗位收入": y.post, "生产经营性收入": y.operating,
            "财产性收入": y.property_total, "资产收益扶贫分红收入": y.dividend, "转移性收入": y.transfer_total,
            "最低生活保障金": y.dibao, "特困人员救助供养金": y.tekun, "养老金或离退休金": y.pension,
            "生产经营性支出": y.cost, "家庭纯收入": y.net,
            "人均纯收入（元）": y.typo_per_capita if y.typo_per_capita is not None else y.per_capita,
            "年度家庭人口数": len(y.members), **y.measures,
        }
        row = [_text(values.get(c)) for c in HEADER]
        rows.append(row + [str(year)] if with_year else row)
    return rows


def _write(path, blocks: dict[str, tuple[list[str], list[list[str]]]], title: str = TITLE):
    book = xlsxwriter.Workbook(str(path))
    for sheet, (header, rows) in blocks.items():
        ws = book.add_worksheet(sheet)
        ws.write_string(0, 0, title)
        ws.write_string(1, 0, "导出单位：桦川县乡村振兴局　导出时间：2023-01-09 09:12")
        ws.write_row(2, 0, header)
        for i, row in enumerate(rows, start=3):
            for j, cell in enumerate(row):
                if cell != "":
                    ws.write_string(i, j, cell)  # every cell text, as the system writes it
    book.close()
    return path


def write_yearly(path, district: list[Household], year: int, sheet: str = "Sheet1"):
    rows = [r for h in district if year in h.years for r in person_rows(h, year)]
    return _write(path, {sheet: (HEADER, rows)})


def write_two_years(path, district: list[Household]):
    rows = [r for y in YEARS for h in district if y in h.years for r in person_rows(h, y, with_year=True)]
    return _write(path, {"Sheet1": (HEADER + ["年度"], rows)})


WORK_HEADER = ["县", "乡", "行政村", "户编号", "姓名", "证件号码", "务工所在地", "务工企业名称", "所属行业", "就业渠道",
               "开始时间", "结束时间", "务工月收入", "是否点对点输送"]


def write_work_export(path, district: list[Household], year: int):
    """已外出务工信息: one row per working person of ``year``; months from start/end dates."""
    rows = []
    for h in district:
        if year not in h.years:
            continue
        for seq, p in enumerate(h.years[year].members, start=1):
            if not p.months:
                continue
            end_month = int(p.months)
            rows.append(["桦川县", "前进乡", h.village, h.hid, p.name, p.id_number(int(h.hid[-3:]) * 10 + seq),
                         "浙江省宁波市", "某制造公司", "制造业", "自主务工", f"{year}-01-01", f"{year}-{end_month:02d}-28",
                         _text(p.monthly if p.monthly is not None else 3500.0), "否"])
    return _write(path, {"已外出务工信息": (WORK_HEADER, rows)}, title="（务工月监测）已外出务工信息")


# ---------------------------------------------------------------------------------------
# The district: named cases and random households around them
# ---------------------------------------------------------------------------------------

def _family(n: int, rng: random.Random, prefix: str) -> list[Person]:
    head = Person(f"{prefix}主", "户主", f"{rng.randint(1955, 1985)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}",
                  months=rng.choice([None, 8, 10, 12]), monthly=None, work_place=None)
    if head.months:
        head.monthly, head.work_place = float(rng.choice([2800, 3200, 3600])), "浙江省宁波市"
    others = [Person(f"{prefix}{i}", rng.choice(["配偶", "之子", "之女", "之母"]),
                     f"{rng.randint(1950, 2015)}-0{rng.randint(1, 9)}-2{rng.randint(0, 8)}",
                     skill=rng.choice(["普通劳动力", "弱劳动力或半劳动力", "无劳动力", "丧失劳动力"]))
              for i in range(1, n)]
    return [head, *others]


def _random_year(members: list[Person], rng: random.Random) -> Year:
    migrant = sum((p.months or 0) * (p.monthly or 0) for p in members)
    local = float(rng.choice([0, 0, 2400, 5000]))
    return Year(members, wage=migrant + local, operating=float(rng.randint(0, 12) * 1000), cost=float(rng.randint(0, 3) * 500),
                dividend=float(rng.choice([0, 300, 800])), pension=float(rng.choice([0, 0, 1560, 2400])),
                other_transfer=float(rng.randint(0, 20) * 100))


def demo_district(seed: int = 9, filler: int = 24) -> list[Household]:
    rng = random.Random(seed)
    cases: list[Household] = []

    # H001: migrant wages fall (10 → 6 months at 3,000 a month): R3 务工时间缩短.
    m21 = [Person("张一", "户主", "1975-03-02", months=10, monthly=3000.0, work_place="浙江省宁波市"),
           Person("李一", "配偶", "1978-05-06", skill="弱劳动力或半劳动力"),
           Person("张小一", "之子", "2010-09-01", skill="无劳动力", school="八年级")]
    m22 = [Person("张一", "户主", "1975-03-02", months=6, monthly=3000.0, work_place="浙江省宁波市"), *m21[1:]]
    cases.append(Household("H001", "南岗村", years={
        2021: Year(m21, wage=30000, operating=6000, cost=1000, pension=0, other_transfer=500,
                   measures={"就业帮扶": "外出务工交通补贴", "产业帮扶": "无"}),
        2022: Year(m22, wage=18000, operating=6000, cost=1000, other_transfer=500, risk="因务工就业不稳",
                   measures={"就业帮扶": "外出务工交通补贴", "产业帮扶": "发展肉牛养殖", "金融帮扶": "否"}),
    }))
    # H002: an elderly couple living on pensions and a public-welfare post: the pension counts.
    m = [Person("王二", "户主", "1948-01-01", skill="弱劳动力或半劳动力", post="护林员"),
         Person("赵二", "配偶", "1950-02-02", skill="丧失劳动力")]
    cases.append(Household("H002", "南岗村", years={
        y: Year(m, wage=6000, post=6000, pension=2 * 1560 + (0 if y == 2021 else 240), dividend=800,
                measures={"公益岗位帮扶": "护林员"}) for y in YEARS}))
    # H003: the disabled son is on 低保 (the head's row says 未享受): a 低保户.
    m = [Person("刘三", "户主", "1960-04-04"),
         Person("刘小三", "之子", "1990-06-06", skill="丧失劳动力", health="残疾", dibao="农村低保")]
    cases.append(Household("H003", "南岗村", years={
        y: Year(m, operating=9000, cost=1500, dibao=4200, measures={"综合保障": "农村低保"}) for y in YEARS}))
    # H004: the head's 证件 is a 20-digit 残疾人证 number: no ID finding, age from its first 18 digits.
    head = Person("陈四", "户主", "1958-07-07", id_type="残疾人证", health="残疾", skill="弱劳动力或半劳动力")
    head.number = resident_id("23080319580707004") + "42"
    cases.append(Household("H004", "北岗村", years={
        y: Year([head], other_transfer=3000, pension=1560, operating=2000, measures={"健康帮扶": "家庭医生签约"})
        for y in YEARS}))
    # H005: an 边缘易致贫户 (一般农户) whose risk was eliminated in June 2022: 已退出.
    m = [Person("周五", "户主", "1970-08-08", months=12, monthly=3500.0, work_place="哈尔滨市")]
    cases.append(Household("H005", "北岗村", kind="一般农户", category="边缘易致贫户", identified_on="2021-05-10", years={
        2021: Year(m, wage=42000, risk="因病"),
        2022: Year(m, wage=42000, risk="因病", eliminated="是", elimination_way="帮扶消除", eliminated_on="2022-06-15"),
    }))
    # H006: in 2021's export, not in 2022's: 已退出 (本年导出中无此户).
    cases.append(Household("H006", "北岗村", kind="一般农户", category="突发严重困难户", identified_on="2021-02-01", years={
        2021: Year([Person("吴六", "户主", "1966-09-09")], operating=5000)}))
    # H007: died out (marked 自然消亡 in 2022).
    cases.append(Household("H007", "北岗村", category="脱贫不稳定户", identified_on="2021-03-01", years={
        y: Year([Person("郑七", "户主", "1938-10-10", skill="丧失劳动力")], pension=1560, tekun=6000,
                eliminated="是" if y == 2022 else "否", elimination_way="自然消亡" if y == 2022 else None,
                eliminated_on="2022-04-30" if y == 2022 else None) for y in YEARS}))
    # H008: identified as a monitoring target in March 2022 (absent from 2021's export): 新识别.
    cases.append(Household("H008", "南岗村", kind="一般农户", category="突发严重困难户", identified_on="2022-03-01", years={
        2022: Year([Person("孙八", "户主", "1980-11-11"), Person("钱八", "配偶", "1982-12-12", health="患有大病")],
                   operating=4000, risk="因病")}))
    # H009: a child born in 2022 (3 → 4 members); H010: the grandmother died (4 → 3).
    base = [Person("马九", "户主", "1988-01-15", months=12, monthly=4000.0, work_place="大连市"),
            Person("杨九", "配偶", "1990-02-15"), Person("马小九", "之女", "2016-03-15", skill="无劳动力", school="小学")]
    cases.append(Household("H009", "南岗村", years={
        2021: Year(base, wage=48000, operating=3000),
        2022: Year([*base, Person("马幼九", "之子", "2022-05-01", skill="无劳动力")], wage=48000, operating=3000)}))
    base = [Person("林十", "户主", "1972-01-20", months=9, monthly=3000.0, work_place="天津市"),
            Person("何十", "配偶", "1974-02-20"), Person("林小十", "之子", "2002-03-20")]
    cases.append(Household("H010", "北岗村", years={
        2021: Year([*base, Person("黄十", "之母", "1940-04-20", skill="丧失劳动力")], wage=27000, pension=1560, operating=8000),
        2022: Year(base, wage=27000, operating=8000)}))
    # H011: nobody works away; the wages are local day labour: 其他工资性收入, not 务工收入.
    cases.append(Household("H011", "南岗村", years={
        y: Year([Person("高十一", "户主", "1969-05-25"), Person("罗十一", "配偶", "1971-06-25")],
                wage=8000 + (y - 2021) * 1000, operating=7000, cost=2000) for y in YEARS}))
    # H012: a failed harvest: operating costs above income, so the system's per-capita is negative in 2022.
    cases.append(Household("H012", "东兴村", years={
        2021: Year([Person("曹十二", "户主", "1977-07-30")], operating=9000, cost=3000),
        2022: Year([Person("曹十二", "户主", "1977-07-30")], operating=1000, cost=3500, risk="因自然灾害（冰雹）")}))

    for i in range(filler):
        hid = f"H{100 + i:03d}"
        members = _family(rng.randint(1, 5), rng, f"户{i}")
        years = {y: _random_year(members, rng) for y in YEARS}
        cases.append(Household(hid, rng.choice(["南岗村", "北岗村", "东兴村"]), years=years))
    return cases
