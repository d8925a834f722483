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

from lib.catalogue import REJECT_COLUMNS

REJECT, FINDING = "拒收", "提示"  # a rejected row is not used; a finding is a row used but doubtful


class InputError(ValueError):
    """Input that cannot be used at all; the message (Chinese) names the sheet and column."""


@dataclass(frozen=True)
class Code:
    code: str
    level: str  # REJECT or FINDING
    label: str  # the short Chinese name of the rule
    stage: str  # who reports it: 读取 (reader), 导出 (system export), 研判 (rules)
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
    Code("W401", FINDING, "减收原因与收入数据不符", "研判",
         "减收原因对应风险点{code}（{label}），但两年收入数据中没有相应减少；按收入数据研判"),
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
