"""The one registry of problem codes: every reject and finding the program reports.

A row of ``CODES`` is one rule: a stable code, its level, the short Chinese label a township
clerk reads, and what the sentence says beyond the label (``template``, with ``{…}`` fields
the caller fills). Callers name the code (``code("E108")`` checks it is registered); nobody
matches message text to find a code. ``problem_columns`` builds the rows of rejects.csv and
findings.csv (``REJECT_COLUMNS``) in one shape for every layer.

``InputError`` lives here too: input that cannot be used at all (exit status 2), raised by
the reader and by the rules alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from string import Formatter

import polars as pl

from lib.catalogue import FINDING_LEVEL, REJECT_COLUMNS

REJECT, FINDING = "拒收", FINDING_LEVEL  # a rejected row is not used; a finding is a row used but doubtful


class InputError(ValueError):
    """Input that cannot be used at all; the message (Chinese) names the sheet and column."""


@dataclass(frozen=True)
class Code:
    code: str
    level: str  # REJECT or FINDING
    label: str  # the short Chinese name of the rule
    stage: str  # who reports it: 读取 (reader), 导出 (system export), 研判 (rules), 核查 (data checks)
    template: str = ""  # the fixed part of the sentence, when the caller does not compose one


CODES: tuple[Code, ...] = (
    # Reading the sheets (lib/io)
    Code("E101", REJECT, "缺少必填值", "读取", "缺少必填值"),
    Code("E102", REJECT, "数字无法识别", "读取"),
    Code("E103", REJECT, "年度无效", "读取"),
    Code("E104", REJECT, "家庭人口数小于1", "读取", "家庭人口数应不小于{minimum}"),
    Code("E105", REJECT, "不是可选值", "读取"),
    Code("E106", REJECT, "户编号重复", "读取", "与第{first}行重复，本行未使用"),
    Code("E107", REJECT, "同一户同一年度重复", "读取", "与第{first}行重复，本行未使用"),
    Code("E108", REJECT, "合计/小计行", "读取", "合计/小计行，不是农户，未使用"),
    Code("E109", REJECT, "编号被存为数字或已损坏", "读取"),
    Code("E110", REJECT, "日期无效", "读取"),
    Code("E111", REJECT, "是/否无法识别", "读取"),
    Code("E112", REJECT, "同户其他行有误", "导出", "同户第{row}行有误，该户本年度未使用"),
    Code("E113", REJECT, "收入分项之和大于合计", "导出"),
    Code("E114", REJECT, "Excel 错误值", "读取",
         "是 Excel 错误值（公式出错或引用失效），不能当作0，请改为实际数值后重新运行"),
    Code("W201", FINDING, "证件号码有误", "读取"),
    Code("W202", FINDING, "未识别的列，已忽略", "读取"),
    Code("W207", FINDING, "含不可见字符，已删除", "读取",
         "含看不见的字符（零宽空格、不间断空格、字节顺序标记或文字方向控制符），已删除后使用，请在原表中一并改正"),
    Code("W209", FINDING, "工作表按名称或内容识别", "读取",
         "工作簿中没有名为「{wanted}」的工作表，已将工作表「{used}」作为{wanted}读取（{why}）"),
    Code("W210", FINDING, "没有帮扶措施表", "读取",
         "工作簿中没有帮扶措施表（工作表有：{sheets}），本次按尚无帮扶措施计算；如有措施台账，请把工作表命名为“帮扶措施”"),
    Code("W208", FINDING, "户编号前导零已补回", "读取",
         "户编号“{typed}”在户信息中没有，补回前导零后为“{restored}”，已按该户使用；请将该列设为文本格式"),
    Code("W203", FINDING, "重复的列，已忽略", "读取"),
    Code("W204", FINDING, "没有户主行", "导出", "该户没有「与户主关系」为户主的行，户主信息取自第一行"),
    Code("W205", FINDING, "人均纯收入与分项不符", "导出"),
    Code("W206", FINDING, "固定值无法识别，已留空", "导出"),
    # The rules (lib/rules)
    Code("E301", REJECT, "措施的户编号不在户信息中", "研判", "户编号 {id} 不在户信息中：该措施未计入台账"),
    Code("E401", REJECT, "收入行的户编号不在户信息中", "研判"),
    Code("E402", REJECT, "收入行的年度不在比较范围内", "研判"),
    Code("E403", REJECT, "同一户同一年度重复", "研判"),
    Code("W402", FINDING, "已落实措施的落实日期晚于统计截至日期", "研判",
         "状态为已落实，但落实日期{date}晚于截至日期{as_of}，请核对日期或状态"),
    Code("W401", FINDING, "减收原因与收入数据不符", "研判",
         "减收原因对应风险点{code}（{label}），但两年收入数据中没有相应减少；按收入数据研判"),
    # The data checks (lib/rules/quality.py; one row each in lib.catalogue.QUALITY_RULES).
    # {户} is the household (户主姓名 + 户), {成员} the member and the row they were read from.
    Code("W501", FINDING, "务工月收入过低", "核查",
         "{户}{成员}务工月收入{务工月收入}元，低于{下限}元，请核实务工收入是否填写完整"),
    Code("W502", FINDING, "务工月收入过高", "核查",
         "{户}{成员}务工月收入{务工月收入}元，高于{上限}元，请核实是否多填了位数或把年收入填成了月收入"),
    Code("W503", FINDING, "公益岗位人员年龄过大", "核查",
         "{户}{成员}{年龄}岁，已满{上限}岁仍在公益岗位，请核实是否应按规定退岗"),
    Code("W504", FINDING, "公益岗位人员未满16岁", "核查",
         "{户}{成员}{年龄}岁，未满{下限}岁，不应安排公益岗位，请核实"),
    Code("W505", FINDING, "公益岗位人员无劳动能力", "核查",
         "{户}{成员}劳动技能为{劳动技能}，却在公益岗位，请核实劳动能力或岗位安排"),
    Code("W506", FINDING, "一户公益岗位过多", "核查",
         "{户}有{人数}人在公益岗位，超过每户{上限}人，请核实是否一户多岗"),
    Code("W507", FINDING, "未满16岁计为劳动力", "核查",
         "{户}{成员}{年龄}岁，未满{下限}岁，劳动技能却登记为{劳动技能}，应为无劳动力"),
    Code("W508", FINDING, "60岁以上计为普通或技能劳动力", "核查",
         "{户}{成员}{年龄}岁，劳动技能登记为{劳动技能}；年满{下限}岁一般为弱劳动力或半劳动力、丧失劳动力或无劳动力，请核实"),
    Code("W509", FINDING, "在校生计为劳动力", "核查",
         "{户}{成员}在校生状况为{在校生状况}，劳动技能却登记为{劳动技能}，在校生应为无劳动力"),
    Code("W510", FINDING, "劳动技能未填写", "核查", "{户}{成员}劳动技能为空，请补填"),
    Code("W511", FINDING, "无劳动能力却有务工", "核查",
         "{户}{成员}劳动技能为{劳动技能}，却登记务工{务工月数}个月，请核实劳动技能或务工信息"),
    Code("W512", FINDING, "劳动年龄特困人员有劳动能力", "核查",
         "{户}{成员}{年龄}岁，享受特困供养，劳动技能却登记为{劳动技能}；特困人员应无劳动能力，请核实"),
    Code("W513", FINDING, "无劳动力户未享受低保或特困", "核查",
         "{户}{人数}名成员均无劳动能力（丧失劳动力或无劳动力），但未享受低保或特困供养，请核实是否应纳入兜底保障"),
    Code("W514", FINDING, "风险已消除但人均低于监测线", "核查",
         "{户}已标记风险消除，但{年度}年人均纯收入{人均}元，低于监测线{监测线}元，请核实消除依据"),
    Code("W515", FINDING, "应纳未纳", "核查",
         "{户}{年度}年人均纯收入{人均}元，低于监测线{监测线}元，但未纳入监测对象，请核实是否应纳入"),
    Code("W516", FINDING, "有低保金但无人享受低保", "核查",
         "{户}{年度}年有低保金{低保金}元，但户和成员均未登记享受低保，请核实低保身份或收入"),
    Code("W517", FINDING, "享受低保但无低保金", "核查",
         "{户}登记享受低保，但{年度}年低保金为0元，请核实是否漏填低保金"),
    Code("W518", FINDING, "务工不稳风险但无劳动力", "核查",
         "{户}登记了务工就业不稳风险，但{人数}名成员均无劳动能力，请核实风险类型"),
    Code("W519", FINDING, "人均纯收入与系统不符", "核查",
         "{户}{年度}年按收入分项计算的人均纯收入为{计算}元，系统导出的人均纯收入为{系统}元，相差{差额}元，请核对收入分项和家庭人口数"),
)
CODE_BY_NAME = {c.code: c for c in CODES}


def code(name: str) -> str:
    """``name`` after checking it is registered (an unknown code fails where it is named)."""
    if name not in CODE_BY_NAME:
        raise KeyError(f"代码 {name} 不在 lib/codes.py 的登记表中")
    return name


def label(name: str) -> str:
    return CODE_BY_NAME[code(name)].label


def template(name: str) -> str:
    return CODE_BY_NAME[code(name)].template


def template_fields(name: str) -> tuple[str, ...]:
    """The ``{field}`` names of the code's template, in order."""
    return tuple(field for _, field, _, _ in Formatter().parse(template(name)) if field is not None)


def sentence(name: str, **fields: str | pl.Expr) -> pl.Expr:
    """The code's template as an expression, its ``{field}``s filled by columns or literals."""
    pattern, values = [], []
    for literal, field, _, _ in Formatter().parse(template(name)):
        pattern.append(literal.replace("{", "{{").replace("}", "}}"))
        if field is not None:
            pattern.append("{}")
            value = fields[field]
            values.append(value.cast(pl.String) if isinstance(value, pl.Expr) else pl.lit(str(value)))
    return pl.format("".join(pattern), *values) if values else pl.lit("".join(pattern))


def codes_frame() -> pl.DataFrame:
    """The registry as a table (for the template's instructions and the reports' appendix)."""
    return pl.DataFrame(
        {"代码": [c.code for c in CODES], "级别": [c.level for c in CODES], "含义": [c.label for c in CODES]}
    )


def _expr(value: str | pl.Expr | None, dtype: type[pl.DataType] = pl.String) -> pl.Expr:
    if isinstance(value, pl.Expr):
        return value.cast(dtype)
    return pl.lit(value, dtype=dtype)


def problem_columns(
    sheet: str | pl.Expr,
    row: str | pl.Expr,
    column: str | pl.Expr,
    value: str | pl.Expr | None,
    code_: str | pl.Expr,
    reason: str | pl.Expr,
) -> list[pl.Expr]:
    """The six REJECT_COLUMNS (工作表, 行号, 列, 值, 代码, 原因) as expressions; a plain str
    is a literal, except ``row``, which names the row-number column."""
    if isinstance(code_, str):
        code_ = pl.lit(code(code_))
    row_expr = pl.col(row) if isinstance(row, str) else row
    parts = (_expr(sheet), row_expr.cast(pl.Int64), _expr(column), _expr(value), code_, _expr(reason))
    return [part.alias(name) for part, name in zip(parts, REJECT_COLUMNS)]


def empty_problems() -> pl.DataFrame:
    """No rejects / findings, in their schema."""
    return pl.DataFrame(schema={c: (pl.Int64 if c == "行号" else pl.String) for c in REJECT_COLUMNS})
