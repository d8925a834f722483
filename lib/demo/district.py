"""The synthetic demo district: households, two years of income and assistance measures.

``generate_households(n, seed)`` builds any number of households (a million in seconds, for
the benchmarks) as the canonical input frames of docs/contract.md §1 — keys ``households``,
``income``, ``measures``, catalogue column names, no ``来源行号``. ``generate_demo()`` is the
built-in district, 前进区 (Qianjin District, Jiamusi) with eight villages in three townships,
and ``write_demo()`` writes it as the workbook a district would send, realistic data errors
included (``INJECTED_ERRORS``).

Everything is invented: names, resident IDs (valid GB 11643 check digits, Jiamusi 2308xx area
codes, birth dates matching the household head's age), phone numbers and amounts. Amounts are
calibrated so that the mean per-capita net income (persons-weighted, 养老金 included as the
national system and the default policy count it) meets the national 脱贫人口 figures, 12,550 yuan for 2021 and 14,342
for 2022 (DOMAIN.md), with wage income the largest part.

How a household's second year comes about: most households gain (market income grows); some
stay flat; the others live through one *scenario* of the table ``SCENARIOS`` — each scenario
makes the data pattern of one of the plan's nine risk points (lost migrant work, a public-
welfare post that ended, 低保 cancelled, hail, a newborn, ...) and names the survey wordings
and the measures that go with it. On top, whole villages can be hit by hail or by an industry
project that paid less.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import polars as pl

from lib.catalogue import (
    HOUSEHOLD_COLUMNS,
    HOUSEHOLD_TYPES,
    INCOME_COLUMNS,
    INCOME_ITEMS,
    ITEM_NAMES,
    MEASURE_BY_CODE,
    MEASURE_COLUMNS,
    MEASURE_STATUSES,
    MONITORING_CATEGORIES,
    OPERATING_COST,
    PENSION,
    SHEET_HOUSEHOLDS,
    SHEET_INCOME,
    SHEET_MEASURES,
    code_order,
)
from lib.policy import default_policy
from lib.io.template import write_input_workbook

# ---------------------------------------------------------------------------------------
# The district
# ---------------------------------------------------------------------------------------

DISTRICT = "前进区"
DEMO_SEED = 2022
DEMO_YEARS = (2021, 2022)
DEMO_PATH = "data/raw/demo.xlsx"
AREA_CODE = "230804"  # 佳木斯市前进区 (GB/T 2260); prefix of 户编号 and of most resident IDs
# Other Jiamusi area codes, for heads born elsewhere in the prefecture (married in, moved).
NEIGHBOUR_AREA_CODES = (230803, 230805, 230811, 230822, 230826, 230828)

# 脱贫人口人均纯收入 (State Council Information Office / National Rural Revitalization
# Administration, DOMAIN.md): the calibration targets of the generator.
NATIONAL_PER_CAPITA = {2021: 12550.0, 2022: 14342.0}

# 8 villages, 3 townships. 兴隆村 is hit by hail in the second year; 红旗村's industry project
# pays less. Household counts add up to 1,200.
DEMO_VILLAGES = pl.DataFrame(
    {
        "乡镇": ["长发镇", "长发镇", "长发镇", "沿江乡", "沿江乡", "平安乡", "平安乡", "平安乡"],
        "村": ["南岗村", "永安村", "兴隆村", "红旗村", "太平村", "东升村", "长胜村", "靠山村"],
        "户数": [260, 180, 95, 140, 210, 45, 170, 100],
        "冰雹受灾": [False, False, True, False, False, False, False, False],
        "产业项目减收": [False, False, False, True, False, False, False, False],
    }
)
VILLAGE_COLUMNS = ("乡镇", "村", "户数", "冰雹受灾", "产业项目减收")

# Name stems for synthetic villages and townships beyond the demo (plausible in Heilongjiang).
VILLAGE_STEMS = (
    "南岗", "永安", "兴隆", "红旗", "太平", "东升", "长胜", "靠山", "前进", "胜利", "新华", "东风",
    "光明", "民主", "和平", "团结", "富强", "福兴", "双河", "三合", "四合", "五星", "长青", "青山",
    "向阳", "东兴", "西岗", "北岗", "中和", "新兴", "永丰", "丰收", "德胜", "永胜", "兴安", "平安",
    "宏伟", "建国", "保安", "常胜", "四丰", "大来", "万发", "新发", "永红", "明义", "先锋", "太和",
    "复兴", "友谊", "江南", "新立", "新建", "东明", "庆丰", "星火", "长安", "福合", "永久", "群胜",
)
TOWNSHIP_STEMS = (
    "长发", "沿江", "平安", "大来", "莲江口", "望江", "敖其", "四丰", "西格木", "群胜", "长青", "永安",
    "梨丰", "星火", "集贤", "太平", "新城", "兴隆", "东河", "富民",
)

SURNAMES = (
    "王", "李", "张", "刘", "赵", "孙", "杨", "陈", "于", "高", "马", "徐", "周", "吴", "郭", "姜",
    "董", "宋", "曲", "朱", "付", "韩", "崔", "白", "鲍", "关", "邢", "单", "邵", "金",
)
SURNAME_WEIGHTS = (
    9, 9, 9, 8, 6, 6, 5, 4, 4, 4, 3, 3, 3, 3, 3, 2, 2, 2, 1, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1,
)
GIVEN_MALE = (
    "国", "建", "福", "德", "明", "军", "文", "海", "平", "春", "志", "永", "玉", "宝", "金", "林",
    "成", "山", "双", "喜", "庆", "忠", "贵", "才", "有", "伟", "刚", "强", "立", "长", "树", "学",
    "振", "义", "洪", "锁",
)
GIVEN_FEMALE = (
    "秀", "玉", "桂", "淑", "凤", "兰", "英", "华", "琴", "芳", "丽", "霞", "珍", "梅", "荣", "艳",
    "红", "敏", "静", "春", "云", "芝",
)
MOBILE_PREFIXES = (
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "155",
    "157", "158", "159", "177", "181", "182", "183", "185", "186", "187", "188", "189", "199",
)

# Market income: scaled by the calibration. Policy-set amounts (公益岗 pay, 低保, pensions,
# subsidies, dividends) keep the values the rules give them.
MARKET_ITEMS = (
    "务工收入", "其他工资性收入", "种植业收入", "养殖业收入", "其他经营收入", OPERATING_COST,
    "土地流转收入", "其他财产性收入",
)
# Surveys write whole yuan; migrant wages in hundreds.
ROUNDING = {name: (100.0 if name == "务工收入" else 10.0) for name in ITEM_NAMES}
SIGN = {i.name: i.sign for i in INCOME_ITEMS}
OPERATING_GROSS = ("种植业收入", "养殖业收入", "其他经营收入")
OTHER_ITEMS = ("其他工资性收入", "土地流转收入", "其他转移性收入")  # R9's items that fall in the demo

# Growth of a gaining household from one year to the next, per item (uniform low–high); the
# calibration then scales the market part so the year's mean lands on target (a factor near 1:
# gainers carry the district's growth, as a fifth of households lose income).
# Gross operating income grows at least as fast as its cost, so operating net never falls.
GAIN_GROWTH = {
    "务工收入": (0.08, 0.55),
    "公益岗位收入": (0.0, 0.0),
    "其他工资性收入": (0.0, 0.40),
    "种植业收入": (0.10, 0.55),
    "养殖业收入": (0.10, 0.55),
    "其他经营收入": (0.10, 0.45),
    OPERATING_COST: (0.0, 0.10),
    "产业收益分配": (0.05, 0.20),
    "土地流转收入": (0.0, 0.15),
    "其他财产性收入": (0.0, 0.15),
    "低保金": (0.08, 0.12),  # the 低保 standard rises
    "特困供养金": (0.08, 0.12),
    PENSION: (0.03, 0.05),
    "计划生育金": (0.0, 0.0),
    "生态补偿金": (0.0, 0.05),
    "政策性补贴": (0.0, 0.10),
    "其他转移性收入": (0.0, 0.05),
}


# ---------------------------------------------------------------------------------------
# A district while it is being built: numpy arrays, one slot per household
# ---------------------------------------------------------------------------------------


@dataclass
class _Draft:
    rng: np.random.Generator
    n: int
    year_this: int
    village: np.ndarray  # index into the village table
    hail_village: np.ndarray
    project_village: np.ndarray
    members: np.ndarray  # this year (户信息)
    age: np.ndarray  # of the household head, this year
    male: np.ndarray
    labour: np.ndarray
    weak: np.ndarray
    disabled: np.ndarray
    ill: np.ndarray
    elderly: np.ndarray  # members aged 60+ (basic pension)
    ordinary: np.ndarray  # 一般农户 (all of them monitoring targets)
    members_last: np.ndarray = None
    last: dict[str, np.ndarray] = field(default_factory=dict)
    this: dict[str, np.ndarray] = field(default_factory=dict)
    months_last: np.ndarray = None  # per worker; NaN = not given
    months_this: np.ndarray = None
    disaster: np.ndarray = None  # 是否受灾, this year

    def uniform(self, mask: np.ndarray, low: float, high: float) -> np.ndarray:
        return self.rng.uniform(low, high, int(mask.sum()))


def _scale(d: _Draft, mask: np.ndarray, items: tuple[str, ...], low: float, high: float) -> None:
    """This year's items of the masked households = last year's × one factor in [low, high]."""
    factor = d.uniform(mask, low, high)
    for name in items:
        d.this[name][mask] = d.last[name][mask] * factor


# Scenario effects: each changes this year's arrays of the masked households only.


def _hail(d: _Draft, m: np.ndarray) -> None:
    d.disaster[m] = True
    _scale(d, m, ("种植业收入",), 0.25, 0.6)  # crops lost, costs already spent


def _lose_work(d: _Draft, m: np.ndarray) -> None:
    d.this["务工收入"][m] = 0.0
    d.months_this[m] = 0.0


def _fewer_months(d: _Draft, m: np.ndarray) -> None:
    months = d.months_last[m]
    fewer = np.maximum(1.0, months - d.rng.integers(2, 6, int(m.sum())))
    d.months_this[m] = fewer
    d.this["务工收入"][m] = d.last["务工收入"][m] * fewer / months


def _lower_wage(d: _Draft, m: np.ndarray) -> None:
    _scale(d, m, ("务工收入",), 0.65, 0.85)


def _post_ended(d: _Draft, m: np.ndarray) -> None:
    d.this["公益岗位收入"][m] = 0.0


def _post_cut(d: _Draft, m: np.ndarray) -> None:
    _scale(d, m, ("公益岗位收入",), 0.5, 0.75)


def _dibao_cancelled(d: _Draft, m: np.ndarray) -> None:
    d.this["低保金"][m] = 0.0


def _tekun_reduced(d: _Draft, m: np.ndarray) -> None:
    _scale(d, m, ("特困供养金",), 0.7, 0.85)


def _subsidy_cut(d: _Draft, m: np.ndarray) -> None:
    _scale(d, m, ("政策性补贴",), 0.3, 0.7)
    eco_gone = m & (d.rng.random(d.n) < 0.5)
    d.this["生态补偿金"][eco_gone] = 0.0


def _business_shrank(d: _Draft, m: np.ndarray) -> None:
    _scale(d, m, OPERATING_GROSS, 0.4, 0.75)  # lower prices / smaller herd; costs stay


def _assistance_failed(d: _Draft, m: np.ndarray) -> None:
    d.this["产业收益分配"][m] = 0.0  # the promised project share was not paid out
    _scale(d, m, ("务工收入",), 0.8, 0.9)


def _other_items_fell(d: _Draft, m: np.ndarray) -> None:
    _scale(d, m, OTHER_ITEMS, 0.2, 0.5)


def _unchanged(d: _Draft, m: np.ndarray) -> None:
    pass


@dataclass(frozen=True)
class Scenario:
    """One way a household's second year comes about, with the risk point it makes visible."""

    key: str
    risk: str | None  # R-code whose data pattern it produces (None: no income-loss risk)
    label: str
    share: float  # probability among eligible households not already given a scenario
    eligible: Callable[[_Draft], np.ndarray]
    apply: Callable[[_Draft, np.ndarray], None]
    causes: tuple[str, ...] = ()  # survey 减收原因 wordings ({year} = this year)
    cause_share: float = 0.0
    measures: tuple[tuple[str, tuple[str, ...], float], ...] = ()  # (M-code, 措施内容 options, probability)
    members_added: int = 0  # household members this year minus last year


def _everyone(d: _Draft) -> np.ndarray:
    return np.ones(d.n, dtype=bool)


SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "hail", "R7", "冰雹灾害，种植业减收", 0.75,
        lambda d: d.hail_village & (d.last["种植业收入"] > 0), _hail,
        ("冰雹灾害", "{year}年7月遭受冰雹灾害，玉米减产", "R7"), 0.5,
        (("M2", ("受灾户产业收益倾斜分配",), 1.0),
         ("M4", ("灾后补种和田间管理技术指导",), 0.6),
         ("M5", ("协助办理农业保险理赔",), 0.5)),
    ),
    Scenario(
        "lost_work", "R3", "未外出务工", 0.04, lambda d: d.last["务工收入"] > 0, _lose_work,
        ("外出务工未找到工作", "疫情影响未外出务工", "R3"), 0.3,
        (("M1", ("推荐到区内企业务工", "组织劳务输出到佳木斯市区务工", "安排村级保洁员公益岗位"), 1.0),),
    ),
    Scenario(
        "fewer_months", "R3", "务工时间缩短", 0.04,
        lambda d: (d.last["务工收入"] > 0) & (d.months_last >= 5), _fewer_months,
        ("务工时间缩短", "家中老人住院，外出务工时间减少"), 0.35,
        (("M1", ("推荐就近就业，延长务工时间", "开发季节性乡村公益岗位"), 1.0),),
    ),
    Scenario(
        "lower_wage", "R3", "务工工资降低", 0.035, lambda d: d.last["务工收入"] > 0, _lower_wage,
        ("务工工资降低",), 0.2,
        (("M4", ("参加电焊工职业技能培训", "参加家政服务技能培训"), 1.0),
         ("M1", ("推荐到区内企业务工",), 0.3)),
    ),
    Scenario(
        "post_ended", "R4", "公益岗位退岗", 0.10, lambda d: d.last["公益岗位收入"] > 0, _post_ended,
        ("公益岗位到期退岗",), 0.3,
        (("M1", ("重新安排护林员公益岗位", "安排村级保洁员公益岗位"), 1.0),),
    ),
    Scenario(
        "post_cut", "R4", "公益岗补贴降低", 0.10, lambda d: d.last["公益岗位收入"] > 0, _post_cut,
        ("公益岗补贴降低",), 0.2,
        (("M1", ("恢复公益岗位补贴标准", "增加公益岗位工作月数"), 1.0),),
    ),
    Scenario(
        # Cancelled where income without 低保 looks past the 低保 line, as a review would find.
        "dibao_cancelled", "R5", "低保取消", 0.12,
        lambda d: (d.last["低保金"] > 0) & ((_dibao_net(d.last) - d.last["低保金"]) / d.members >= DIBAO_NEED * 0.6),
        _dibao_cancelled,
        ("低保取消",), 0.3,
        (("M3", ("按规定给予低保渐退期", "重新核定家庭收入，符合条件的恢复低保"), 1.0),),
    ),
    Scenario(
        "tekun_reduced", "R5", "特困供养金减少", 0.2, lambda d: d.last["特困供养金"] > 0, _tekun_reduced,
        ("特困供养金减少",), 0.3,
        (("M3", ("核实特困供养标准，足额发放",), 1.0),),
    ),
    Scenario(
        "subsidy_cut", "R6", "政策性补贴减少", 0.04,
        lambda d: (d.last["政策性补贴"] > 0) | (d.last["生态补偿金"] > 0), _subsidy_cut,
        ("补贴减少", "R6"), 0.2,
        (("M5", ("结对干部协助申领耕地地力保护补贴", "协助核实生态补偿面积"), 1.0),),
    ),
    Scenario(
        "business_shrank", "R1", "经营减收", 0.035,
        lambda d: ~d.hail_village & (sum(d.last[i] for i in OPERATING_GROSS) > 0), _business_shrank,
        ("生猪价格下跌，养殖亏损", "玉米价格下降", "经营减收"), 0.3,
        (("M4", ("参加玉米大豆种植技术培训", "参加生猪养殖技术培训"), 1.0),
         ("M2", ("产业项目收益向减收户倾斜分配",), 0.5)),
    ),
    Scenario(
        "assistance_failed", "R8", "帮扶不到位", 0.02, lambda d: d.last["产业收益分配"] > 0, _assistance_failed,
        ("帮扶措施未落实", "R8", "帮扶不到位，产业分红未兑现"), 1.0,  # R8 is only known from the survey
        (("M5", ("驻村工作队入户督促帮扶措施落实", "更换结对帮扶干部并制定帮扶计划"), 1.0),),
    ),
    Scenario(
        "newborn", "R9", "家庭新增人口", 0.03,
        lambda d: (d.members >= 2) & (d.age < 45) & (d.labour >= 1), _unchanged,
        ("家庭新增人口（新生儿）", "其他"), 0.4,
        (("M5", ("结对帮扶干部入户走访，落实新生儿医保参保",), 1.0),
         ("M3", ("申请临时救助",), 0.3)),
        members_added=1,  # items unchanged: per-capita falls with no item falling
    ),
    Scenario(
        "other_items_fell", "R9", "其他收入减少", 0.03,
        lambda d: sum(d.last[i] for i in OTHER_ITEMS) >= 2000, _other_items_fell,
        ("其他", "其他", "土地流转租金下降", "R9"), 0.8,  # most surveyors just write 其他
        (("M5", ("结对帮扶干部入户走访，核实减收原因",), 1.0),),
    ),
    Scenario("flat", None, "收入持平", 0.06, _everyone, _unchanged),
)


def scenarios_frame() -> pl.DataFrame:
    """The scenario table as data (for documentation and the demo's closing note)."""
    return pl.DataFrame(
        {
            "情景": [s.key for s in SCENARIOS],
            "风险点": [s.risk for s in SCENARIOS],
            "说明": [s.label for s in SCENARIOS],
            "发生概率（符合条件的户）": [s.share for s in SCENARIOS],
            "对应措施": ["、".join(code for code, _, _ in s.measures) for s in SCENARIOS],
        }
    )

GAIN = -1  # scenario index of a household that simply gains

# Village-level: every household of a project village with a dividend gets this much of it.
PROJECT_CUT = (0.4, 0.6)
PROJECT_MEASURE = ("M2", ("调整村集体产业项目收益分配方案",), 1.0)
# Measures for households that are not losing income (monitoring, prevention).
PREVENTIVE_MEASURES = (
    ("M4", ("扶志教育宣讲", "参加玉米大豆种植技术培训", "参加电焊工职业技能培训"), 0.4),
    ("M5", ("结对帮扶干部定期入户走访",), 0.4),
    ("M1", ("安排村级保洁员公益岗位",), 0.2),
)
# 低保 in the demo: who needs it (per-capita net income before 低保, yuan/year) and what it pays
# per covered person and month. Assumed figures for a synthetic district, not a policy value.
DIBAO_NEED = 8000.0
DIBAO_MONTHLY = (280.0, 380.0)
MEASURE_COVERAGE = 0.8  # share of 减收 households that already have measures
PREVENTIVE_SHARE = 0.04  # share of the other households with a measure
MEASURE_GAIN = {  # 预计增收 of a measure not tied to a loss (yuan/year, low–high)
    "M1": (3000, 9000), "M2": (300, 2000), "M3": (1500, 6000), "M4": (800, 3000), "M5": (300, 1500),
}


# ---------------------------------------------------------------------------------------
# Households: who lives there
# ---------------------------------------------------------------------------------------


def _cn_number(k: int) -> str:
    """1 → 一, 12 → 十二, 105 → 一百零五 (village and township ordinals)."""
    digits = "零一二三四五六七八九"
    if k >= 1000:  # only districts of tens of millions of households get here
        return str(k)
    if k < 10:
        return digits[k]
    if k < 100:
        tens, ones = divmod(k, 10)
        return ("" if tens == 1 else digits[tens]) + "十" + (digits[ones] if ones else "")
    hundreds, rest = divmod(k, 100)
    tail = "" if rest == 0 else ("零" + digits[rest] if rest < 10 else _cn_number(rest) if rest >= 20 else "一" + _cn_number(rest))
    return digits[hundreds] + "百" + tail


def _names(stems: tuple[str, ...], count: int, suffix: str) -> list[str]:
    """Unique names: stem + suffix, then stem + 二 + suffix, stem + 三 + suffix, ..."""
    out = []
    for i in range(count):
        round_, stem = divmod(i, len(stems))
        out.append(stems[stem] + (_cn_number(round_ + 1) if round_ else "") + suffix)
    return out


def village_table(n: int, seed: int) -> pl.DataFrame:
    """Villages of 40–300 households adding up to ``n``, about eight to a township; about one
    village in eight hit by hail and one in eight with a project that paid less (at least one
    of each once there are two villages)."""
    if n < 1:
        raise ValueError(f"户数必须至少为1（实际为 {n}）")
    rng = np.random.default_rng([seed, 1])
    sizes = rng.integers(40, 301, n // 40 + 1)
    ends = np.cumsum(sizes)
    k = int(np.searchsorted(ends, n)) + 1
    sizes = sizes[:k].copy()
    sizes[-1] = n - (ends[k - 2] if k > 1 else 0)
    if k > 1 and sizes[-1] < 40:  # fold a small remainder into its neighbour
        sizes[-2] += sizes[-1]
        sizes, k = sizes[:-1], k - 1
    townships = _names(tuple(s + "镇" if i % 3 == 0 else s + "乡" for i, s in enumerate(TOWNSHIP_STEMS)), (k + 7) // 8, "")
    hail = rng.random(k) < 1 / 8
    project = rng.random(k) < 1 / 8
    if k >= 2:
        first, second = rng.choice(k, 2, replace=False)
        hail[first], project[first] = True, False
        project[second], hail[second] = True, False
    return pl.DataFrame(
        {
            "乡镇": [townships[i // 8] for i in range(k)],
            "村": _names(VILLAGE_STEMS, k, "村"),
            "户数": sizes.astype(np.int64),
            "冰雹受灾": hail & ~project,  # at most one village-wide shock per village
            "产业项目减收": project,
        }
    )


def _composition(rng: np.random.Generator, villages: pl.DataFrame, year_this: int) -> _Draft:
    sizes = villages["户数"].to_numpy()
    n = int(sizes.sum())
    village = np.repeat(np.arange(len(sizes)), sizes)
    members = rng.choice(np.arange(1, 7), n, p=[0.17, 0.33, 0.22, 0.16, 0.08, 0.04])
    # Small households are mostly elderly couples and widows; the young live in larger ones.
    old = rng.random(n) < np.select([members == 1, members == 2], [0.7, 0.55], 0.15)
    age = np.where(old, rng.integers(60, 86, n), rng.integers(26, 60, n))
    labour = rng.binomial(members, np.where(old, 0.2, 0.55))
    # Households of three or more keep at least one working-age adult.
    labour = np.where((~old & (members >= 2)) | (members >= 3), np.maximum(labour, 1), labour)
    rest = members - labour
    weak = rng.binomial(rest, np.where(old, 0.45, 0.3))
    disabled = rng.binomial(rest - weak, 0.10)
    ill = rng.binomial(rest - weak - disabled, 0.15)
    spouse = (members >= 2) & (rng.random(n) < 0.85)
    grandparents = np.where(members >= 4, rng.binomial(2, 0.25, n), 0)
    elderly = np.minimum(members, np.where(old, 1 + spouse, grandparents))
    male = rng.random(n) < np.where(old & (members == 1), 0.45, 0.88)
    return _Draft(
        rng=rng,
        n=n,
        year_this=year_this,
        village=village,
        hail_village=villages["冰雹受灾"].to_numpy()[village],
        project_village=villages["产业项目减收"].to_numpy()[village],
        members=members.astype(np.int64),
        age=age,
        male=male,
        labour=labour,
        weak=weak,
        disabled=disabled,
        ill=ill,
        elderly=elderly,
        ordinary=rng.random(n) < 0.10,
        disaster=np.zeros(n, dtype=bool),
    )


# ---------------------------------------------------------------------------------------
# Income: last year, then this year
# ---------------------------------------------------------------------------------------


def _sometimes(d: _Draft, p, values: np.ndarray) -> np.ndarray:
    return np.where(d.rng.random(d.n) < p, values, 0.0)


def _last_year(d: _Draft) -> None:
    """Last year's items before calibration; 低保 comes later, by need (``_grant_dibao``)."""
    rng, n = d.rng, d.n
    no_labour = d.labour == 0
    workers = rng.binomial(d.labour, 0.85)
    months = rng.choice(np.arange(3, 13), n, p=[0.02, 0.03, 0.05, 0.08, 0.12, 0.15, 0.2, 0.2, 0.1, 0.05])
    wage = rng.lognormal(np.log(3000), 0.2, n)  # yuan per month
    d.months_last = np.where(workers > 0, months, np.nan).astype(float)
    # Labour that does not migrate farms; households without labour lease their land out.
    farms = np.where(no_labour, 0.2, np.where(workers == 0, 0.9, 0.55))
    crop = _sometimes(d, farms, rng.lognormal(np.log(8000), 0.5, n))
    herd = _sometimes(d, np.where(no_labour, 0.05, 0.15), rng.lognormal(np.log(6000), 0.6, n))
    other_business = _sometimes(d, np.where(no_labour, 0.0, 0.05), rng.lognormal(np.log(10000), 0.5, n))
    cost = crop * rng.uniform(0.35, 0.55, n) + herd * rng.uniform(0.4, 0.6, n) + other_business * rng.uniform(0.3, 0.5, n)
    # A single elderly person with no labour and no one to support them is typically 特困.
    tekun = (d.members == 1) & no_labour & (d.age >= 60) & (rng.random(n) < 0.35)
    may_post = ((d.weak > 0) | ((d.age >= 50) & (d.age < 70))) & ~tekun
    d.last = {
        "务工收入": workers * months * wage,
        "公益岗位收入": _sometimes(d, np.where(may_post, 0.3, 0.0), rng.choice([500.0, 600.0, 800.0], n) * rng.integers(10, 13, n)),
        # Labour that neither migrates nor farms takes casual work nearby.
        "其他工资性收入": np.where((d.labour > 0) & (workers == 0) & (crop == 0), rng.uniform(4000, 10000, n),
                                _sometimes(d, np.where(no_labour, 0.03, 0.12), rng.uniform(2000, 8000, n))),
        "种植业收入": crop,
        "养殖业收入": herd,
        "其他经营收入": other_business,
        OPERATING_COST: cost,
        # Differential distribution: households with no labour get a larger share.
        "产业收益分配": _sometimes(d, np.where(d.ordinary, 0.4, np.where(no_labour, 0.95, 0.75)),
                                rng.choice([300.0, 500.0, 800.0, 1000.0], n) + 1000.0 * no_labour),
        "土地流转收入": _sometimes(d, np.where(no_labour, 0.85, np.where(crop > 0, 0.15, 0.6)),
                                rng.lognormal(np.log(4500), 0.4, n)),
        "其他财产性收入": _sometimes(d, 0.03, rng.uniform(200, 2000, n)),
        "低保金": np.zeros(n),
        "特困供养金": np.where(tekun, rng.uniform(9000, 11000, n), 0.0),
        PENSION: d.elderly * rng.uniform(1300, 2400, n),
        "计划生育金": _sometimes(d, np.where(d.age >= 60, 0.15, 0.0), 960.0 * rng.integers(1, 3, n)),
        "生态补偿金": _sometimes(d, 0.2, rng.uniform(200, 1500, n)),
        "政策性补贴": _sometimes(d, np.where(crop > 0, 0.9, 0.3), rng.uniform(300, 4000, n)),
        "其他转移性收入": _sometimes(d, 0.15 + 0.6 * (d.disabled > 0), rng.uniform(600, 2400, n)),
    }
    # Ordinary households under monitoring earn less in the market than the average.
    for name in MARKET_ITEMS:
        d.last[name] = np.where(d.ordinary, d.last[name] * 0.7, d.last[name])


def _grant_dibao(d: _Draft) -> None:
    """低保 by need: most households below ``DIBAO_NEED`` per person get it, a few others with
    severely disabled or seriously ill members get it for that person alone (单人户施保)."""
    rng, n = d.rng, d.n
    per_capita = _dibao_net(d.last) / d.members
    needy = (per_capita < DIBAO_NEED) & (d.last["特困供养金"] == 0) & (rng.random(n) < 0.9)
    single = ~needy & (d.last["特困供养金"] == 0) & ((d.disabled + d.ill) > 0) & (rng.random(n) < 0.15)
    monthly = np.round(rng.uniform(*DIBAO_MONTHLY, n), -1)
    d.last["低保金"] = monthly * 12 * np.where(needy, d.members, np.where(single, 1, 0))


def _net(items: dict[str, np.ndarray], names=ITEM_NAMES) -> np.ndarray:
    """Household net income as the default policy counts it: items − cost, 养老金 included."""
    return sum(SIGN[name] * items[name] for name in names)


def _dibao_net(items: dict[str, np.ndarray]) -> np.ndarray:
    """Net income as the 低保 check counts it: the basic pension left out."""
    return _net(items) - items[PENSION]


def _round(items: dict[str, np.ndarray]) -> None:
    for name, unit in ROUNDING.items():
        items[name] = np.round(items[name] / unit) * unit


def _calibrate_last(d: _Draft, target: float, final: bool = True) -> None:
    """Scale market income so that persons-weighted per-capita net income meets ``target``
    (and round, when ``final``)."""
    market = _net(d.last, MARKET_ITEMS).sum()
    fixed = _net(d.last).sum() - market
    wanted = target * d.members_last.sum()
    if market > 0 and wanted > fixed:
        factor = (wanted - fixed) / market
        for name in MARKET_ITEMS:
            d.last[name] = d.last[name] * factor
    if final:
        _round(d.last)


def _assign_scenarios(d: _Draft) -> np.ndarray:
    """Scenario index per household (GAIN for the others), in the table's order."""
    scenario = np.full(d.n, GAIN)
    for index, s in enumerate(SCENARIOS):
        draw = d.rng.random(d.n) < s.share
        scenario[(scenario == GAIN) & s.eligible(d) & draw] = index
    return scenario


def _gain(d: _Draft, gainers: np.ndarray) -> None:
    """Ordinary growth for gaining households; a few start migrant work or a post."""
    for name, (low, high) in GAIN_GROWTH.items():
        grown = d.last[name] * (1 + d.rng.uniform(low, high, d.n))
        d.this[name] = np.where(gainers, grown, d.this[name])
    start_work = gainers & (d.labour > 0) & (d.last["务工收入"] == 0) & (d.rng.random(d.n) < 0.2)
    months = d.rng.integers(6, 11, d.n)
    d.this["务工收入"] = np.where(start_work, months * d.rng.lognormal(np.log(3300), 0.2, d.n), d.this["务工收入"])
    d.months_this = np.where(start_work, months, d.months_this)
    more_months = gainers & (d.months_last < 12) & (d.rng.random(d.n) < 0.3)
    d.months_this = np.where(more_months, d.months_last + 1, d.months_this)
    new_post = gainers & (d.weak > 0) & (d.last["公益岗位收入"] == 0) & (d.rng.random(d.n) < 0.05)
    d.this["公益岗位收入"] = np.where(new_post, 600.0 * 12, d.this["公益岗位收入"])


def _calibrate_this(d: _Draft, gainers: np.ndarray, target: float) -> None:
    """Scale gaining households' market growth so that this year meets ``target``."""
    growth = {name: np.where(gainers, d.this[name] - d.last[name], 0.0) for name in MARKET_ITEMS}
    increment = _net(growth, MARKET_ITEMS).sum()
    wanted = target * d.members.sum()
    have = _net(d.this).sum()
    if increment > 0:
        factor = float(np.clip(1 + (wanted - have) / increment, 0.0, 4.0))
        for name in MARKET_ITEMS:
            d.this[name] = d.last[name] + np.where(gainers, growth[name] * factor, d.this[name] - d.last[name])
    _round(d.this)


def _this_year(d: _Draft, scenario: np.ndarray, target: float) -> None:
    d.this = {name: values.copy() for name, values in d.last.items()}
    d.months_this = d.months_last.copy()
    gainers = scenario == GAIN
    _gain(d, gainers)
    for index, s in enumerate(SCENARIOS):
        s.apply(d, scenario == index)
    project = d.project_village & (d.last["产业收益分配"] > 0)
    d.this["产业收益分配"] = np.where(project, d.last["产业收益分配"] * d.rng.uniform(*PROJECT_CUT, d.n), d.this["产业收益分配"])
    _calibrate_this(d, gainers, target)
    # Months only make sense next to a wage; a household that never worked gives none.
    d.months_this = np.where((d.this["务工收入"] > 0) | (d.last["务工收入"] > 0), np.nan_to_num(d.months_this), np.nan)
    d.months_last = np.where((d.this["务工收入"] > 0) | (d.last["务工收入"] > 0), np.nan_to_num(d.months_last), np.nan)


# ---------------------------------------------------------------------------------------
# Identity: 户编号, names, resident IDs, phones
# ---------------------------------------------------------------------------------------

_ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
_ID_CHECK = np.array(list("10X98765432"))
_MONTH_DAYS = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


def _weighted_digits(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Σ weight × digit of each value, its last len(weights) digits against the weights."""
    total = np.zeros(len(values), dtype=np.int64)
    for power, weight in enumerate(weights[::-1]):
        total += weight * ((values // 10**power) % 10)
    return total


def _resident_ids(d: _Draft, area_code: str) -> pl.Series:
    """Head's 18-digit resident ID: area, birth date (matching the head's age), sequence code
    (odd for men) and the GB 11643 check character."""
    rng, n = d.rng, d.n
    codes = np.array([int(area_code), *NEIGHBOUR_AREA_CODES])
    which = np.where(rng.random(n) < 0.7, 0, rng.integers(1, len(codes), n))
    year = (d.year_this - d.age).astype(np.int64)
    month = rng.integers(1, 13, n)
    day = 1 + (rng.random(n) * _MONTH_DAYS[month]).astype(np.int64)  # 29 February left out
    seq = rng.integers(0, 500, n) * 2 + d.male
    # The weighted digit sum per part, looked up from small tables rather than computed per row.
    total = (
        _weighted_digits(codes, _ID_WEIGHTS[:6])[which]
        + _weighted_digits(np.arange(10000), _ID_WEIGHTS[6:10])[year]
        + _weighted_digits(np.arange(13), _ID_WEIGHTS[10:12])[month]
        + _weighted_digits(np.arange(32), _ID_WEIGHTS[12:14])[day]
        + _weighted_digits(np.arange(1000), _ID_WEIGHTS[14:])[seq]
    )
    body = codes[which] * 10**11 + (year * 10000 + month * 100 + day) * 1000 + seq
    return pl.Series(body).cast(pl.Utf8) + pl.Series(_ID_CHECK).gather(total % 11)


def _head_names(d: _Draft) -> pl.Series:
    rng, n = d.rng, d.n
    weights = np.array(SURNAME_WEIGHTS, dtype=float)
    surname = pl.Series(SURNAMES).gather(rng.choice(len(SURNAMES), n, p=weights / weights.sum()))
    male_pool, female_pool = pl.Series(GIVEN_MALE), pl.Series(GIVEN_FEMALE)
    first = pl.select(
        pl.when(pl.Series(d.male)).then(male_pool.gather(rng.integers(0, len(GIVEN_MALE), n)))
        .otherwise(female_pool.gather(rng.integers(0, len(GIVEN_FEMALE), n)))
    ).to_series()
    second = pl.select(
        pl.when(pl.Series(rng.random(n) < 0.3)).then(pl.lit(""))
        .when(pl.Series(d.male)).then(male_pool.gather(rng.integers(0, len(GIVEN_MALE), n)))
        .otherwise(female_pool.gather(rng.integers(0, len(GIVEN_FEMALE), n)))
    ).to_series()
    return surname + first + second


def _phones(d: _Draft) -> pl.Series:
    rng, n = d.rng, d.n
    number = pl.Series(MOBILE_PREFIXES).gather(rng.integers(0, len(MOBILE_PREFIXES), n)) + (
        pl.Series(rng.integers(0, 10**8, n)).cast(pl.Utf8).str.zfill(8)
    )
    # Some elderly heads living alone give no number.
    missing = (d.age >= 70) & (d.members == 1) & (rng.random(n) < 0.5)
    return pl.select(pl.when(pl.Series(missing)).then(None).otherwise(number)).to_series()


def household_ids(n: int, area_code: str = AREA_CODE) -> pl.Series:
    """户编号: area code + zero-padded sequence, as text (leading zeros kept)."""
    width = max(7, len(str(n)))
    return (area_code + pl.Series(np.arange(1, n + 1)).cast(pl.Utf8).str.zfill(width)).alias("户编号")


# ---------------------------------------------------------------------------------------
# Monitoring categories, survey causes, roster gaps
# ---------------------------------------------------------------------------------------


def _monitoring(d: _Draft, threshold: float) -> np.ndarray:
    """监测对象类别 per household as an index into MONITORING_CATEGORIES (−1: not a target).

    一般农户 are all monitoring targets (边缘易致贫户, some 突发严重困难户). Among 脱贫户 about
    12% are 脱贫不稳定户: nearly all of those below this year's line, then the poorest of
    last year (more likely with illness or disability). A few below the line are left out, as
    happens in the field (应纳未纳)."""
    rng, n = d.rng, d.n
    category = np.full(n, -1)  # index into MONITORING_CATEGORIES
    category[d.ordinary] = np.where(rng.random(int(d.ordinary.sum())) < 0.75, 1, 2)
    per_capita_this = _net(d.this) / d.members
    per_capita_last = _net(d.last) / d.members_last
    tuopin = ~d.ordinary
    below = tuopin & (per_capita_this < threshold)
    missed = below & (rng.random(n) < 0.08)
    category[below & ~missed] = 0
    quota = int(round(0.12 * tuopin.sum())) - int((below & ~missed).sum())
    pool = np.flatnonzero(tuopin & ~below)
    if quota > 0 and len(pool):
        # Weighted sampling without replacement (Efraimidis–Spirakis keys): poorer and sicker first.
        weight = np.exp(-per_capita_last[pool] / 5000) * (1 + ((d.ill + d.disabled)[pool] > 0))
        keys = rng.exponential(1.0, len(pool)) / weight
        chosen = pool[np.argsort(keys, kind="stable")[: min(quota, len(pool))]]
        category[chosen] = 0
    return category


def _causes(d: _Draft, scenario: np.ndarray) -> pl.Series:
    """The survey's 减收原因 of this year (null when the surveyor wrote nothing)."""
    wordings = [c.format(year=d.year_this) for s in SCENARIOS for c in s.causes]
    cause = np.full(d.n, -1)
    offset = 0
    for index, s in enumerate(SCENARIOS):
        given = (scenario == index) & (d.rng.random(d.n) < s.cause_share)
        if s.causes:
            cause[given] = offset + d.rng.integers(0, len(s.causes), int(given.sum()))
        offset += len(s.causes)
    return _labels(wordings, cause)


def _unsurveyed(d: _Draft, scenario: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(no row last year, no row this year): about 0.5% of households, among those gaining."""
    candidates = np.flatnonzero(scenario == GAIN)
    count = min(len(candidates), int(round(0.005 * d.n)))
    chosen = d.rng.choice(candidates, count, replace=False) if count else candidates
    which = d.rng.random(count)  # 30% miss last year, 50% this year, 20% both
    miss_last = np.zeros(d.n, dtype=bool)
    miss_this = np.zeros(d.n, dtype=bool)
    miss_last[chosen[(which < 0.3) | (which >= 0.8)]] = True
    miss_this[chosen[which >= 0.3]] = True
    return miss_last, miss_this


# ---------------------------------------------------------------------------------------
# Frames
# ---------------------------------------------------------------------------------------


def _labels(options, codes: np.ndarray) -> pl.Series:
    """A text column from codes into ``options`` (−1 = null), with no Python object per row."""
    values = pl.Series(list(options), dtype=pl.Utf8).gather(np.maximum(codes, 0))
    return pl.select(pl.when(pl.Series(codes >= 0)).then(values)).to_series()


def _households_frame(d: _Draft, villages: pl.DataFrame, ids: pl.Series, area_code: str, category: np.ndarray,
                      dibao: np.ndarray, tekun: np.ndarray, scenario: np.ndarray) -> pl.DataFrame:
    year = d.year_this
    newborn = np.array([s.members_added > 0 for s in SCENARIOS] + [False])[scenario]
    remark = np.select([d.disaster, newborn, tekun], [1, 2, 0], -1)
    remarks = ("分散供养特困人员", f"{year}年7月遭受冰雹灾害", f"{year}年新增人口1人（新生儿）")
    frame = pl.DataFrame(
        {
            "户编号": ids,
            "乡镇": villages["乡镇"].gather(d.village),
            "村": villages["村"].gather(d.village),
            "户主姓名": _head_names(d),
            "证件号码": _resident_ids(d, area_code),
            "户类型": _labels(HOUSEHOLD_TYPES, d.ordinary.astype(np.int64)),
            "监测对象类别": _labels(MONITORING_CATEGORIES, category),
            "家庭人口数": d.members,
            "劳动力人数": d.labour.astype(np.int64),
            "弱劳动力或半劳动力人数": d.weak.astype(np.int64),
            "是否低保户": dibao,
            "是否特困户": tekun,
            "是否受灾": d.disaster,
            "备注": _labels(remarks, remark),
            "重度残疾人数": d.disabled.astype(np.int64),
            "重病人数": d.ill.astype(np.int64),
            "联系电话": _phones(d),
        }
    )
    return frame.select([c.name for c in HOUSEHOLD_COLUMNS])


def _income_frame(d: _Draft, ids: pl.Series, year_last: int, cause: pl.Series, miss_last: np.ndarray,
                  miss_this: np.ndarray) -> pl.DataFrame:
    """One row per household and year, last year first; rows of unsurveyed years left out."""
    n = d.n

    def interleave(last, this, dtype=None):
        out = np.empty(2 * n, dtype=dtype or np.result_type(last, this))
        out[0::2], out[1::2] = last, this
        return out

    keep = interleave(~miss_last, ~miss_this, bool)
    household = np.repeat(np.arange(n), 2)
    this_year = pl.Series(np.arange(2 * n) % 2 == 1)
    columns = {
        "户编号": ids.gather(household),
        "年度": np.tile(np.array([year_last, d.year_this], dtype=np.int64), n),
        "家庭人口数": interleave(d.members_last, d.members, np.int64),
        **{name: interleave(d.last[name], d.this[name], float) for name in ITEM_NAMES},
        "务工月数": interleave(d.months_last, d.months_this, float),
        "减收原因": pl.select(pl.when(this_year).then(cause.gather(household))).to_series(),  # asked this year only
    }
    frame = pl.DataFrame(columns).with_columns(pl.col("务工月数").fill_nan(None))
    return frame.filter(pl.Series(keep)).select([c.name for c in INCOME_COLUMNS])


def _measure_rows(d: _Draft, rows: np.ndarray, ids: pl.Series, code: str, contents: tuple[str, ...],
                  gain: np.ndarray) -> pl.DataFrame:
    """One measure of kind ``code`` for each household index in ``rows``."""
    rng, count = d.rng, len(rows)
    done = rng.random(count) < 0.7
    # 已落实 measures date from spring to mid-August; planned ones are set for June–August.
    start = np.where(done, np.datetime64(f"{d.year_this}-03-01"), np.datetime64(f"{d.year_this}-06-01"))
    span = np.where(done, 168, 91)
    dates = start + (rng.random(count) * span).astype("timedelta64[D]")
    return pl.DataFrame(
        {
            "_household": rows,
            "户编号": ids.gather(rows),
            "措施类型": [code] * count,
            "措施内容": pl.Series(contents, dtype=pl.Utf8).gather(rng.integers(0, len(contents), count)),
            "牵头单位": [MEASURE_BY_CODE[code].lead_unit] * count,
            "落实日期": pl.Series(dates).cast(pl.Date),
            "预计增收": gain.astype(float),
            "状态": _labels(MEASURE_STATUSES, done.astype(np.int64)),
        },
        schema={"_household": pl.Int64, "户编号": pl.Utf8, "措施类型": pl.Utf8, "措施内容": pl.Utf8,
                "牵头单位": pl.Utf8, "落实日期": pl.Date, "预计增收": pl.Float64, "状态": pl.Utf8},
    )


def _measures_frame(d: _Draft, ids: pl.Series, scenario: np.ndarray, surveyed: np.ndarray) -> pl.DataFrame:
    """Measures for most 减收 households (matching their scenario) and a few others; at most
    one measure of each kind per household."""
    rng, n = d.rng, d.n
    net_last, net_this = _net(d.last), _net(d.this)
    change = net_this / d.members - net_last / d.members_last
    losing = surveyed & (change < -0.02 * np.abs(net_last / d.members_last))
    covered = surveyed & np.where(losing, rng.random(n) < MEASURE_COVERAGE, (scenario >= 0) & (rng.random(n) < 0.2))
    # The first measure promises roughly what the household lost; the others fixed ranges.
    loss = np.maximum(net_last - net_this, 0)
    frames = [_measure_rows(d, np.zeros(0, dtype=np.int64), ids, "M5", ("",), np.zeros(0))]

    def add(mask, code, contents, probability, first):
        rows = np.flatnonzero(mask)
        rows = rows[rng.random(len(rows)) < probability]
        if first:
            gain = np.maximum(200.0, np.round(loss[rows] * rng.uniform(0.5, 1.3, len(rows)), -2))
        else:
            gain = np.round(rng.uniform(*MEASURE_GAIN[code], len(rows)), -2)
        frames.append(_measure_rows(d, rows, ids, code, contents, gain))

    for index, s in enumerate(SCENARIOS):
        for position, (code, contents, probability) in enumerate(s.measures):
            add(covered & (scenario == index), code, contents, probability, position == 0)
    code, contents, probability = PROJECT_MEASURE
    add(covered & d.project_village & (d.this["产业收益分配"] < d.last["产业收益分配"]), code, contents, probability, False)
    preventive = surveyed & ~covered & ~losing & (rng.random(n) < PREVENTIVE_SHARE)
    pick = rng.random(n)
    edge = 0.0
    for code, contents, share in PREVENTIVE_MEASURES:
        add(preventive & (pick >= edge) & (pick < edge + share), code, contents, 1.0, False)
        edge += share
    return (
        pl.concat(frames)
        .with_row_index("_order")
        .sort(["_household", code_order("措施类型"), "_order"])  # codes by number
        .unique(subset=["_household", "措施类型"], keep="first", maintain_order=True)
        .select([c.name for c in MEASURE_COLUMNS])
    )


# ---------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------


def generate_households(
    n: int,
    seed: int,
    year_last: int = 2021,
    year_this: int = 2022,
    *,
    villages: pl.DataFrame | None = None,
    per_capita_last: float | None = None,
    per_capita_this: float | None = None,
    area_code: str = AREA_CODE,
) -> dict[str, pl.DataFrame]:
    """``n`` synthetic households as the canonical input frames: households, income, measures.

    ``villages`` (columns ``VILLAGE_COLUMNS``, 户数 adding up to ``n``) fixes the villages;
    by default ``village_table(n, seed)``. ``per_capita_last`` / ``per_capita_this`` are the
    calibration targets (persons-weighted mean per-capita net income, 养老金 included); by
    default the national 2021 / 2022 figures. The monitoring line that decides who is below it
    is the default policy's for ``year_this``. Same arguments → identical frames.
    """
    if year_this <= year_last:
        raise ValueError(f"本年度（{year_this}）必须晚于上年度（{year_last}）")
    villages = village_table(n, seed) if villages is None else villages
    missing = set(VILLAGE_COLUMNS) - set(villages.columns)
    if missing:
        raise ValueError(f"村表缺少列：{'、'.join(sorted(missing))}")
    if int(villages["户数"].sum()) != n:
        raise ValueError(f"村表户数合计 {int(villages['户数'].sum())} 与 n = {n} 不一致")
    target_last = per_capita_last if per_capita_last is not None else NATIONAL_PER_CAPITA[2021]
    target_this = per_capita_this if per_capita_this is not None else NATIONAL_PER_CAPITA[2022]
    threshold = default_policy().threshold(year_this)

    rng = np.random.default_rng(seed)
    d = _composition(rng, villages, year_this)
    _last_year(d)
    d.members_last = d.members
    _calibrate_last(d, target_last, final=False)  # 低保 goes to those poor after calibration
    _grant_dibao(d)
    scenario = _assign_scenarios(d)
    added = np.array([s.members_added for s in SCENARIOS] + [0])  # index GAIN (-1) → 0
    d.members_last = d.members - added[scenario]
    _calibrate_last(d, target_last)
    _this_year(d, scenario, target_this)

    ids = household_ids(d.n, area_code)
    category = _monitoring(d, threshold)
    cause = _causes(d, scenario)
    miss_last, miss_this = _unsurveyed(d, scenario)
    return {
        "households": _households_frame(d, villages, ids, area_code, category, d.this["低保金"] > 0, d.this["特困供养金"] > 0, scenario),
        "income": _income_frame(d, ids, year_last, cause, miss_last, miss_this),
        "measures": _measures_frame(d, ids, scenario, ~(miss_last | miss_this)),
    }


def generate_demo(seed: int = DEMO_SEED) -> dict[str, pl.DataFrame]:
    """The built-in demo district: 前进区, 8 villages, 1,200 households, 2021 and 2022."""
    return generate_households(int(DEMO_VILLAGES["户数"].sum()), seed, *DEMO_YEARS, villages=DEMO_VILLAGES)


# ---------------------------------------------------------------------------------------
# The demo workbook, with the mistakes real sheets carry
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InjectedError:
    """A realistic mistake ``write_demo`` puts into the workbook (never into the frames)."""

    code: str
    sheet: str
    column: str
    description: str  # what happened, as a clerk would say it
    expected: str  # how it has to be treated
    rejected_by: str  # who turns the row away: 读入 (the reader), 分析 (the income comparison) or ""


INJECTED_ERRORS: tuple[InjectedError, ...] = (
    InjectedError("D1", SHEET_INCOME, "政策性补贴", "金额带千分位和单位（如“1,200元”）", "按数字读入", ""),
    InjectedError("D2", SHEET_INCOME, "土地流转收入", "金额填“不详”", "整行拒收，不当作0；该户该年度视为未排查", "读入"),
    InjectedError("D3", SHEET_HOUSEHOLDS, "户编号", "同一户重复录入一行（表尾）", "重复的后一行拒收", "读入"),
    InjectedError("D4", SHEET_INCOME, "户编号", "收入表中有户信息里没有的户（已迁出）", "读入后比对收入时拒收：户信息中无此户", "分析"),
    InjectedError("D5", SHEET_HOUSEHOLDS, "证件号码", "证件号码校验位错误（抄错一位）", "保留该户，列入数据问题（校验位不符）", ""),
    InjectedError("D6", "全部工作表", "", "表头上方有标题行", "自动识别表头行，标题行不计入数据", ""),
    InjectedError("D7", SHEET_INCOME, "户编号", "收入数据下方有合计行", "合计行拒收，不计入任何一户", "读入"),
)
ERRORS_BY_CODE = {e.code: e for e in INJECTED_ERRORS}
FIRST_DATA_ROW = 3  # Excel row of the first data row: title row 1, header row 2


def injected_errors_frame() -> pl.DataFrame:
    """The catalogue of injected mistakes as a table (for the demo's closing note)."""
    return pl.DataFrame(
        {
            "代码": [e.code for e in INJECTED_ERRORS],
            "工作表": [e.sheet for e in INJECTED_ERRORS],
            "列": [e.column for e in INJECTED_ERRORS],
            "错误": [e.description for e in INJECTED_ERRORS],
            "应有处理": [e.expected for e in INJECTED_ERRORS],
            "拒收环节": [e.rejected_by for e in INJECTED_ERRORS],
        }
    )


@dataclass(frozen=True)
class DemoWorkbook:
    """What ``write_demo`` writes: the frames as typed (mistakes in), titles, extra rows, and
    where each mistake landed (``errors``: 代码, 工作表, 行号 as Excel shows it, 户编号, 年度,
    列, 值, 拒收环节)."""

    households: pl.DataFrame
    income: pl.DataFrame
    measures: pl.DataFrame
    titles: dict[str, str]
    extra_rows: dict[str, list[dict]]
    errors: pl.DataFrame


def _wrong_check_character(resident_id: str) -> str:
    valid = resident_id[-1]
    return resident_id[:-1] + ("0" if valid in "X9" else str(int(valid) + 1))


def inject_errors(frames: dict[str, pl.DataFrame], district: str = DISTRICT) -> DemoWorkbook:
    """Put the mistakes of ``INJECTED_ERRORS`` into copies of generated frames. Targets are
    chosen by position (a third, half, two thirds down the sheets), so any generated district
    works; the frames given are not changed."""
    households, income, measures = frames["households"], frames["income"], frames["measures"]
    year_last, year_this = int(income["年度"].min()), int(income["年度"].max())
    both = income.group_by("户编号").len().filter(pl.col("len") == 2)["户编号"]
    surveyed = income.with_row_index("_row").filter(pl.col("户编号").is_in(both.implode()))
    found = []

    def landed(code, row, household, year, column, value, sheet=None):
        found.append({"代码": code, "工作表": sheet or ERRORS_BY_CODE[code].sheet, "行号": row, "户编号": household,
                      "年度": year, "列": column, "值": value, "拒收环节": ERRORS_BY_CODE[code].rejected_by})

    # D1: an amount typed with a thousands separator and a unit — same value, read back as such.
    d1 = surveyed.filter((pl.col("年度") == year_this) & (pl.col("政策性补贴") >= 1000)).row(0, named=True)
    d1_text = f"{d1['政策性补贴']:,.0f}元"
    # D2: "不详" where an amount should be, half-way down the sheet, another household.
    d2_rows = surveyed.filter((pl.col("年度") == year_last) & (pl.col("土地流转收入") > 0) & (pl.col("户编号") != d1["户编号"]))
    d2 = d2_rows.row(d2_rows.height // 2, named=True)
    typed = income.with_columns(pl.col("政策性补贴", "土地流转收入").cast(pl.Utf8)).with_columns(
        pl.when(pl.int_range(pl.len()) == d1["_row"]).then(pl.lit(d1_text)).otherwise(pl.col("政策性补贴")).alias("政策性补贴"),
        pl.when(pl.int_range(pl.len()) == d2["_row"]).then(pl.lit("不详")).otherwise(pl.col("土地流转收入")).alias("土地流转收入"),
    )
    landed("D1", d1["_row"] + FIRST_DATA_ROW, d1["户编号"], year_this, "政策性补贴", d1_text)
    landed("D2", d2["_row"] + FIRST_DATA_ROW, d2["户编号"], year_last, "土地流转收入", "不详")
    # D4: a household that has left the roster still has its income row, at the end of the data.
    last_id = households["户编号"][-1]
    gone = str(int(last_id) + 1).zfill(len(last_id))
    typed = pl.concat([typed, typed.tail(1).with_columns(户编号=pl.lit(gone))])
    landed("D4", typed.height - 1 + FIRST_DATA_ROW, gone, year_this, "户编号", gone)
    # D7: the 合计 row a spreadsheet user adds under the data.
    total_row = {"户编号": "合计", **{name: float(income[name].sum()) for name in ITEM_NAMES}}
    landed("D7", typed.height + FIRST_DATA_ROW, None, None, "户编号", "合计")

    # D5: a resident ID copied with one wrong check character, a third of the way down.
    d5 = households.height // 3
    wrong_id = _wrong_check_character(households["证件号码"][d5])
    roster = households.with_columns(
        pl.when(pl.int_range(pl.len()) == d5).then(pl.lit(wrong_id)).otherwise(pl.col("证件号码")).alias("证件号码")
    )
    landed("D5", d5 + FIRST_DATA_ROW, households["户编号"][d5], None, "证件号码", wrong_id)
    # D3: a household entered twice; the copy sits at the end of the sheet.
    d3 = households.height // 2
    roster = pl.concat([roster, roster.slice(d3, 1)])
    landed("D3", roster.height - 1 + FIRST_DATA_ROW, households["户编号"][d3], None, "户编号", households["户编号"][d3])

    titles = {
        SHEET_HOUSEHOLDS: f"{district}脱贫户和监测对象基本信息表（{year_this}年度）",
        SHEET_INCOME: f"{district}脱贫户和监测对象收入排查表（{year_last}—{year_this}年度）",
        SHEET_MEASURES: f"{district}减收户帮扶措施台账（{year_this}年）",
    }
    for sheet in titles:
        landed("D6", 1, None, None, "", titles[sheet], sheet)
    errors = pl.DataFrame(
        found,
        schema={"代码": pl.Utf8, "工作表": pl.Utf8, "行号": pl.Int64, "户编号": pl.Utf8, "年度": pl.Int64,
                "列": pl.Utf8, "值": pl.Utf8, "拒收环节": pl.Utf8},
    )
    return DemoWorkbook(roster, typed, measures, titles, {SHEET_INCOME: [total_row]}, errors)


def write_demo(path: str | Path = DEMO_PATH, seed: int = DEMO_SEED) -> Path:
    """Write the demo district's input workbook (mistakes included) to ``path``."""
    book = inject_errors(generate_demo(seed))
    return write_input_workbook(
        path, book.households, book.income, book.measures, titles=book.titles, extra_rows=book.extra_rows
    )


# The demo district's local parameters, as a county would keep them next to its data: the
# rural 低保 standard is "set locally" (DESIGN.md) and Jiamusi's was not found (DOMAIN.md), so
# the demo assumes figures of the order of the national rural average, and says so.
DEMO_POLICY_TOML = """\
# 前进区（演示）本地政策参数：只写与默认值（lib/policy_default.toml）不同的项。
# 农村低保标准为演示假定值（佳木斯市公开标准未查到，取全国农村低保平均标准的量级），
# 正式使用请按本地民政部门公布的标准填写。
[years.2021]
dibao_standard = 6300   # 元/人/年（演示假定值）

[years.2022]
dibao_standard = 6900   # 元/人/年（演示假定值）
"""


def write_demo_policy(path: str | Path) -> Path:
    """Write the demo district's policy file (the 低保 standard it assumes) to ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(DEMO_POLICY_TOML, encoding="utf-8")
    return path


# ---------------------------------------------------------------------------------------
# The season so far: earlier weekly snapshots (边排查边落实)
# ---------------------------------------------------------------------------------------

LATE_SHARE_PER_WEEK = 6  # % of households surveyed in each of the last weeks (their income came back late)
FIRST_SEEN_PER_WEEK = 1  # % of households whose loss was found only in a later week (a few new risks)
PLANNING_LEAD_DAYS = 14  # a measure is entered as 计划 two weeks before its date
# Every other village (in name order) catches up fast in the last weeks: per week back, this
# % of its households' measures was not yet entered, and twice this % still 计划 instead of
# 已落实 — so some villages are on pace for the deadlines and others behind.
CATCH_UP_PER_WEEK = 25


def _pick(column: str = "户编号") -> pl.Expr:
    """A stable number 0–99 per household (from the digits of its 户编号; null when it has none)."""
    return (pl.col(column).str.slice(-4).cast(pl.Int64, strict=False) * 37) % 100


def earlier_week(data, final, as_of, weeks_before: int):
    """The demo's input as it stood ``weeks_before`` weeks before ``final`` (its Analysis), at
    ``as_of``: households surveyed late have no income of this year yet and no measure; a few
    households now 减收 looked unchanged (their loss was found later); a measure dated after
    ``as_of`` was still 计划, one dated more than two weeks later was not yet entered."""
    from dataclasses import replace

    late = data.households.filter(_pick() < LATE_SHARE_PER_WEEK * weeks_before).get_column("户编号")
    pick = final.households.select("户编号", "收入研判", _pick().alias("_p"))
    low = 60
    found_later = pick.filter((pl.col("收入研判") == "减收") & (pl.col("_p") >= low)
                              & (pl.col("_p") < low + FIRST_SEEN_PER_WEEK * weeks_before * 2)).get_column("户编号")
    year_this = final.year_this
    income = data.income.filter(~(pl.col("户编号").is_in(late.implode()) & (pl.col("年度") == year_this)))
    # the later-found losses: this year's row shows last year's amounts (a preliminary figure)
    last_rows = income.filter(pl.col("户编号").is_in(found_later.implode()) & (pl.col("年度") == final.year_last))
    prelim = last_rows.with_columns(pl.lit(year_this, pl.Int64).alias("年度"), pl.lit(None, pl.String).alias("减收原因"))
    income = pl.concat([
        income.filter(~(pl.col("户编号").is_in(found_later.implode()) & (pl.col("年度") == year_this))),
        prelim.select(income.columns),
    ])
    day = pl.lit(as_of, pl.Date)
    gone = late.append(found_later).implode()
    villages = final.households.get_column("村").drop_nulls().unique().sort()
    busy = final.households.filter(pl.col("村").is_in(villages.gather_every(2).implode())).get_column("户编号")
    catching_up = pl.col("户编号").is_in(busy.implode())
    behind = CATCH_UP_PER_WEEK * weeks_before
    measures = (
        data.measures.filter(~pl.col("户编号").is_in(gone))
        .filter(~(catching_up & (_pick() < behind)).fill_null(False))
        .filter(pl.col("落实日期").is_null() | (pl.col("落实日期") <= day + pl.duration(days=PLANNING_LEAD_DAYS)))
        .with_columns(
            pl.when((pl.col("落实日期") > day) | (catching_up & (_pick() < 2 * behind)).fill_null(False))
            .then(pl.lit("计划")).otherwise(pl.col("状态")).alias("状态"))
    )
    return replace(data, income=income, measures=measures)


def write_earlier_weeks(final, input_path, history_dir, weeks: int = 2) -> list:
    """Snapshots of the ``weeks`` weeks before ``final`` (the demo's Analysis) into ``history_dir``;
    analysis only (no report), so the demo stays fast. Returns their as-of dates, oldest first."""
    import datetime as dt

    from lib.io.history import write_snapshot
    from lib.io.reader import read_input
    from lib.rules.analysis import analyze

    data = read_input(input_path)
    days = []
    for k in range(weeks, 0, -1):
        day = final.as_of - dt.timedelta(days=7 * k)
        week = analyze(earlier_week(data, final, day, k), final.policy, years=(final.year_last, final.year_this), as_of=day)
        write_snapshot(history_dir, week)
        days.append(day)
    return days
