"""The policy file: every rule parameter, per year and per province, in one TOML file.

Defaults ship in ``lib/policy_default.toml``; a bureau overrides them with ``--policy FILE``
(any key it leaves out keeps its default). Validation errors are Chinese sentences that name
the key, because the file is edited by hand.

A ``Policy`` made in code (``with_rules``, ``with_year``, ``dataclasses.replace``) travels as
its values, not as a path: ``policy_to_dict`` / ``policy_from_dict`` and ``policy_to_toml`` /
``policy_from_toml`` are lossless both ways (the report's analysis store keeps the dict).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Mapping


class PolicyError(ValueError):
    """A policy file that cannot be used; the message is for the analyst, in Chinese."""


@dataclass(frozen=True)
class YearParams:
    monitoring_threshold: float  # 监测线, yuan per person per year
    dibao_standard: float = 0.0  # local rural 低保 standard; 0 = not set


@dataclass(frozen=True)
class QualityParams:
    """Thresholds of the data checks (数据核查, lib/rules/quality.py); [quality] in the file."""

    monthly_wage_min: float = 400.0  # 务工月收入 below this is doubtful (yuan/month)
    monthly_wage_max: float = 30000.0  # and above this
    labour_age_min: int = 16  # under this age a member is not labour, nor holds a post
    senior_age: int = 60  # from this age a member is not 普通/技能劳动力 (16–59 = working age)
    post_age_max: int = 70  # from this age a member no longer holds a public-welfare post
    posts_per_household_max: int = 2  # more posts than this in one household are doubtful
    per_capita_tolerance: float = 1.0  # computed vs exported 人均纯收入 may differ this much (yuan)


@dataclass(frozen=True)
class Policy:
    flat_band: float = 0.02
    pension_in_net_income: bool = True  # 养老金 counts in 家庭纯收入, as the national system counts it
    dibao_excludes_basic_pension: bool = True  # the 低保 check alone leaves the basic pension out
    orange_drop: float = 0.30
    orange_multiple: float = 1.5
    work_cost_deduction: float = 0.0
    years: Mapping[int, YearParams] = field(default_factory=lambda: MappingProxyType({}))
    source: str = "默认参数"
    quality: QualityParams = QualityParams()

    def year(self, year: int) -> YearParams:
        try:
            return self.years[int(year)]
        except KeyError:
            known = "、".join(str(y) for y in sorted(self.years)) or "无"
            raise PolicyError(
                f"政策参数缺少 {year} 年度：请在政策文件中加入 [years.{year}] 并填写 "
                f"monitoring_threshold（已有年度：{known}）"
            ) from None

    def threshold(self, year: int) -> float:
        return self.year(year).monitoring_threshold

    def dibao(self, year: int) -> float:
        return self.year(year).dibao_standard

    def with_rules(self, **changes) -> "Policy":
        """A copy with some rule parameters changed (what-if levers)."""
        from dataclasses import replace

        return replace(self, **changes)

    def with_year(self, year: int, **changes) -> "Policy":
        """A copy with one year's parameters changed (e.g. another monitoring line)."""
        from dataclasses import replace

        years = dict(self.years)
        years[int(year)] = replace(self.year(year), **changes)
        return replace(self, years=MappingProxyType(years))

    def table(self) -> list[tuple[str, str]]:
        """(参数, 取值) rows for printing in every report."""
        rows = [
            ("参数来源", self.source),
            ("持平区间（占上年人均纯收入）", f"±{self.flat_band:.1%}"),
            ("养老金计入家庭纯收入（国家监测系统口径）", "是" if self.pension_in_net_income else "否"),
            ("低保核算不计基础养老金（过渡期社会救助口径）", "是" if self.dibao_excludes_basic_pension else "否"),
            ("橙色预警：减收幅度不低于", f"{self.orange_drop:.0%}"),
            ("橙色预警：人均低于监测线倍数", f"{self.orange_multiple:g} 倍"),
            ("低保核算扣除必要就业成本（占工资性收入）", f"{self.work_cost_deduction:.0%}"),
        ]
        for y in sorted(self.years):
            p = self.years[y]
            dibao = f"{p.dibao_standard:,.0f} 元" if p.dibao_standard > 0 else "未设置"
            rows.append((f"{y} 年监测线 / 低保标准", f"{p.monitoring_threshold:,.0f} 元 / {dibao}"))
        q = self.quality
        rows += [
            ("数据核查：务工月收入合理范围", f"{q.monthly_wage_min:,.0f}—{q.monthly_wage_max:,.0f} 元/月"),
            ("数据核查：劳动力年龄", f"{q.labour_age_min}—{q.senior_age - 1} 岁（{q.senior_age} 岁以上不计普通、技能劳动力）"),
            ("数据核查：公益岗位年龄上限 / 每户岗位数上限", f"未满 {q.post_age_max} 岁 / {q.posts_per_household_max} 个"),
            ("数据核查：人均纯收入与系统导出允许相差", f"{q.per_capita_tolerance:g} 元"),
        ]
        return rows


_RULE_KEYS = {
    "flat_band": (float, 0.0, 1.0),
    "pension_in_net_income": (bool, None, None),
    "dibao_excludes_basic_pension": (bool, None, None),
    "orange_drop": (float, 0.0, 1.0),
    "orange_multiple": (float, 1.0, 100.0),
    "work_cost_deduction": (float, 0.0, 1.0),
}
# Keys of earlier versions, with what replaces them (a file from last season gets told, not ignored).
_RETIRED_KEYS = {
    "exclude_basic_pension": (
        "请改用两个参数：pension_in_net_income = true（家庭纯收入和人均纯收入计入养老金，与国家监测系统一致）"
        "和 dibao_excludes_basic_pension = true（仅在低保核算时不计基础养老金）"
    ),
}
_YEAR_KEYS = {"monitoring_threshold", "dibao_standard"}
# [quality]: key → (type, lowest, highest)
_QUALITY_KEYS = {
    "monthly_wage_min": (float, 0.0, 1e6),
    "monthly_wage_max": (float, 0.0, 1e7),
    "labour_age_min": (int, 0, 30),
    "senior_age": (int, 30, 120),
    "post_age_max": (int, 30, 120),
    "posts_per_household_max": (int, 0, 100),
    "per_capita_tolerance": (float, 0.0, 1e6),
}


def _parse_quality(section, where: str, base: QualityParams) -> QualityParams:
    if not isinstance(section, dict):
        raise PolicyError(f"{where}：[quality] 应为一节参数")
    values = {}
    for key, value in section.items():
        if key not in _QUALITY_KEYS:
            raise PolicyError(f"{where}：[quality] 中有未知参数 {key}（可用：{'、'.join(_QUALITY_KEYS)}）")
        kind, low, high = _QUALITY_KEYS[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (kind is int and value != int(value)):
            raise PolicyError(f"{where} [quality]：{key} 应为{'整数' if kind is int else '数字'}，实际为 {value!r}")
        if not (low <= value <= high):
            raise PolicyError(f"{where} [quality]：{key} = {value} 超出允许范围 [{low}, {high}]")
        values[key] = kind(value)
    from dataclasses import replace

    params = replace(base, **values)
    if params.monthly_wage_min >= params.monthly_wage_max:
        raise PolicyError(f"{where} [quality]：monthly_wage_min 应小于 monthly_wage_max")
    if params.labour_age_min >= params.senior_age:
        raise PolicyError(f"{where} [quality]：labour_age_min 应小于 senior_age")
    return params


def _check_rule(key: str, value, where: str):
    kind, low, high = _RULE_KEYS[key]
    if kind is bool:
        if not isinstance(value, bool):
            raise PolicyError(f"{where}：{key} 应为 true 或 false，实际为 {value!r}")
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise PolicyError(f"{where}：{key} 应为数字，实际为 {value!r}")
    if not (low <= value <= high):
        raise PolicyError(f"{where}：{key} = {value} 超出允许范围 [{low}, {high}]")
    return float(value)


def _parse(doc: dict, where: str, base: Policy | None) -> Policy:
    unknown = set(doc) - {"rules", "years", "quality", "source"}
    if unknown:
        raise PolicyError(
            f"{where}：未知的配置节 {', '.join(sorted(unknown))}（只允许 [rules]、[quality] 和 [years.年度]）"
        )
    source = doc.get("source", where)  # a file may name where its values come from
    if not isinstance(source, str):
        raise PolicyError(f"{where}：source 应为文字，实际为 {source!r}")
    rules = {} if base is None else {k: getattr(base, k) for k in _RULE_KEYS}
    for key, value in doc.get("rules", {}).items():
        if key in _RETIRED_KEYS:
            raise PolicyError(f"{where}：[rules] {key} 已停用。{_RETIRED_KEYS[key]}")
        if key not in _RULE_KEYS:
            raise PolicyError(f"{where}：[rules] 中有未知参数 {key}（可用：{'、'.join(_RULE_KEYS)}）")
        rules[key] = _check_rule(key, value, f"{where} [rules]")
    years = {} if base is None else dict(base.years)
    for year_key, params in doc.get("years", {}).items():
        try:
            year = int(year_key)
        except ValueError:
            raise PolicyError(f"{where}：[years.{year_key}] 的年度不是整数") from None
        if not isinstance(params, dict):
            raise PolicyError(f"{where}：[years.{year}] 应为一节参数")
        unknown = set(params) - _YEAR_KEYS
        if unknown:
            raise PolicyError(f"{where}：[years.{year}] 中有未知参数 {', '.join(sorted(unknown))}")
        old = years.get(year)
        if "monitoring_threshold" not in params and old is None:
            raise PolicyError(f"{where}：[years.{year}] 缺少 monitoring_threshold（监测线，元/人/年）")
        values = {}
        for key in _YEAR_KEYS:
            value = params.get(key, getattr(old, key) if old else 0.0)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise PolicyError(f"{where}：[years.{year}] {key} 应为数字，实际为 {value!r}")
            if value < 0:
                raise PolicyError(f"{where}：[years.{year}] {key} 不能为负数（{value}）")
            values[key] = float(value)
        if values["monitoring_threshold"] <= 0:
            raise PolicyError(f"{where}：[years.{year}] monitoring_threshold 必须大于0")
        years[year] = YearParams(**values)
    quality = _parse_quality(doc.get("quality", {}), where, QualityParams() if base is None else base.quality)
    return Policy(**rules, years=MappingProxyType(dict(sorted(years.items()))), source=source, quality=quality)


def default_policy() -> Policy:
    text = resources.files("lib").joinpath("policy_default.toml").read_text(encoding="utf-8")
    return _parse(tomllib.loads(text), "默认参数（lib/policy_default.toml）", None)


def load_policy(path: str | Path | None = None) -> Policy:
    """Defaults, overridden key by key by the TOML file at ``path`` (if given)."""
    base = default_policy()
    if path is None or str(path) == "":
        return base
    path = Path(path)
    if not path.is_file():
        raise PolicyError(f"找不到政策文件：{path}")
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise PolicyError(f"政策文件 {path.name} 格式错误：{exc}") from None
    return _parse(doc, f"政策文件 {path.name}", base)


# ---------------------------------------------------------------------------------------
# Values, not paths: a Policy as a dict / TOML document and back
# ---------------------------------------------------------------------------------------


def policy_to_dict(policy: Policy) -> dict:
    """Every value of ``policy`` as a JSON- and TOML-able document (the policy file's shape)."""
    return {
        "source": policy.source,
        "rules": {key: getattr(policy, key) for key in _RULE_KEYS},
        "quality": {key: getattr(policy.quality, key) for key in _QUALITY_KEYS},
        "years": {
            str(year): {key: getattr(params, key) for key in sorted(_YEAR_KEYS)}
            for year, params in sorted(policy.years.items())
        },
    }


def policy_from_dict(doc: Mapping) -> Policy:
    """The ``Policy`` of a ``policy_to_dict`` document, checked as a policy file is."""
    doc = dict(doc)
    return _parse(doc, str(doc.get("source", "政策参数")), None)


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(float(value))  # repr is the shortest text that reads back to the same float
    return _toml_string(str(value))


def _toml_string(text: str) -> str:
    # A TOML basic string: quote and backslash escaped, every control character (DEL too,
    # which JSON would leave as it is) as \uXXXX.
    def char(c: str) -> str:
        if c in '"\\':
            return "\\" + c
        return f"\\u{ord(c):04x}" if ord(c) < 0x20 or ord(c) == 0x7F else c

    return '"' + "".join(map(char, text)) + '"'


def policy_to_toml(policy: Policy) -> str:
    """``policy`` as a policy file (``load_policy`` and ``policy_from_toml`` read it back)."""
    doc = policy_to_dict(policy)
    lines = [f"source = {_toml_value(doc['source'])}", "", "[rules]"]
    lines += [f"{key} = {_toml_value(value)}" for key, value in doc["rules"].items()]
    lines += ["", "[quality]"]
    lines += [f"{key} = {_toml_value(value)}" for key, value in doc["quality"].items()]
    for year, params in doc["years"].items():
        lines += ["", f"[years.{year}]"]
        lines += [f"{key} = {_toml_value(value)}" for key, value in params.items()]
    return "\n".join(lines) + "\n"


def policy_from_toml(text: str) -> Policy:
    """The ``Policy`` written by ``policy_to_toml`` (every key needed; no defaults filled in)."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"政策参数格式错误：{exc}") from None
    return policy_from_dict(doc)
