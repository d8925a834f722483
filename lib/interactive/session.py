"""What the analyst's notebooks read: the input, policy and years of the project's last run,
the notebook's parameters checked, and every path resolved from the project, not the shell.

One truth: ``zengshou demo`` and ``zengshou report`` record the input and policy they used
in ``data/processed/last_run.json`` (``record_last_run``); explore and what_if read the
same files by default, so they show the reports' recommendations, and say at the top which
input, policy and years they use (``Session.header``). A relative path is taken from the
project's root, wherever papermill or Jupyter was started; nothing is written outside it.

``open_session(globals(), "explore")`` is each notebook's first lib call. A parameter the
notebook does not know, or a bad value, stops it with one Chinese sentence: a
``ParameterError``, whose notebook display is that sentence alone (IPython asks an
exception for ``_render_traceback_``), not a traceback.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import types
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

PROJECT_ROOT = Path(__file__).resolve().parents[2]
LAST_RUN = Path("data/processed/last_run.json")  # under the project root
DEMO_INPUT = Path("data/raw/demo.xlsx")
DEMO_POLICY = Path("data/raw/demo_policy.toml")

COMMON_PARAMETERS = ("input_path", "policy_path", "years", "village", "input_years")
# Each notebook's tagged cell, beyond the common four.
NOTEBOOK_PARAMETERS = {
    "explore": (),
    "what_if": ("posts", "post_monthly_pay", "post_months", "placement", "goal", "industry_per_household",
                "dibao_standard", "monitoring_threshold", "flat_band", "interactive", "as_of"),
}
# Names IPython itself puts into a notebook's namespace.
_SHELL_NAMES = {"In", "Out", "get_ipython", "exit", "quit", "open"}


class ParameterError(ValueError):
    """A notebook parameter that cannot be used; the message is one Chinese sentence."""

    def _render_traceback_(self) -> list[str]:
        # IPython shows these lines instead of a traceback: the analyst reads one sentence.
        return [f"参数有误：{self}"]


# ---------------------------------------------------------------------------------------
# The last run's record
# ---------------------------------------------------------------------------------------


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
        return True
    except ValueError:
        return False


def _shown(path: Path | None, root: Path) -> str:
    """A path as the analyst reads it: relative to the project when inside it."""
    if path is None:
        return ""
    path = Path(path).resolve()
    return path.relative_to(root.resolve()).as_posix() if _inside(path, root) else str(path)


def record_last_run(command: str, input_path, policy_path=None, years=None, root: Path = PROJECT_ROOT) -> Path | None:
    """Write ``data/processed/last_run.json`` for ``command`` (demo / report). Only a run on
    an input inside the project is recorded: a test or a one-off run on a temporary file must
    not become what the notebooks read. Returns the record's path, or None."""
    root = Path(root)
    if not _inside(Path(input_path), root):
        return None
    record = {
        "command": command,
        "input": _shown(Path(input_path), root),
        "policy": _shown(Path(policy_path), root) if policy_path else "",
        "years": list(years) if years else None,
        "time": dt.datetime.now().isoformat(timespec="seconds"),
    }
    path = root / LAST_RUN
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def last_run(root: Path = PROJECT_ROOT) -> dict | None:
    """The last run's record, if there is one whose input still exists."""
    path = Path(root) / LAST_RUN
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or not record.get("input") or not (Path(root) / record["input"]).exists():
        return None
    return record


# ---------------------------------------------------------------------------------------
# Parameters
# ---------------------------------------------------------------------------------------


def unknown_parameters(namespace: dict, notebook: str) -> list[str]:
    """Plain values in ``namespace`` that the notebook's tagged cell does not declare: what
    papermill injected under a name the notebook does not know (modules, functions and the
    objects later cells make are never parameters)."""
    known = set(COMMON_PARAMETERS) | set(NOTEBOOK_PARAMETERS[notebook])
    plain = (str, int, float, bool, list, tuple, dict, type(None))
    return sorted(
        name for name, value in namespace.items()
        if not name.startswith("_") and name not in _SHELL_NAMES and name not in known
        and isinstance(value, plain) and not isinstance(value, (types.ModuleType, type))
    )


def resolve(path, root: Path = PROJECT_ROOT) -> Path:
    """A parameter's path: absolute as given, relative ones from the project root."""
    p = Path(str(path)).expanduser()
    return p if p.is_absolute() else Path(root) / p


def parse_years(value) -> tuple[int, int] | None:
    """None, or the two compared years from a list, a tuple or text such as "[2021, 2022]"."""
    if value is None or value == "" or value == []:
        return None
    if isinstance(value, str):
        found = re.findall(r"-?\d+", value)
        if len(found) != 2 or re.sub(r"[\d\s,，、\[\]()（）-]", "", value):
            raise ParameterError(f"years 应为两个年度，如 [2021, 2022]，实际为“{value}”")
        value = [int(y) for y in found]
    if isinstance(value, (int, float)) or len(value) != 2:
        raise ParameterError(f"years 应为两个年度，如 [2021, 2022]，实际为“{value}”")
    try:
        pair = tuple(int(y) for y in value)
    except (TypeError, ValueError):
        raise ParameterError(f"years 应为两个年度，如 [2021, 2022]，实际为“{value}”") from None
    return pair  # type: ignore[return-value]


def parse_as_of(value) -> dt.date | None:
    """The 截至 date a page prints: None (today), a date, or text such as "2022-08-15"."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ParameterError(f"as_of 应为日期，如 \"2022-08-15\"，实际为“{value}”") from None


def parse_villages(value) -> tuple[str, ...]:
    """() for every village, else the named ones (a name, a list, or names joined by 、 or ,)."""
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        return tuple(v.strip() for v in re.split(r"[、,，;；]", value) if v.strip())
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return tuple(v.strip() for v in value if v.strip())
    raise ParameterError(f"village 应为村名或村名列表，如 \"南岗村\" 或 [\"南岗村\", \"东升村\"]，实际为“{value}”")


def _number(name: str, value, *, integer=False, low=None, high=None, optional=False):
    """A lever's value as a number within [low, high]; None kept when ``optional``."""
    if value is None or value == "":
        if optional:
            return None
        raise ParameterError(f"{name} 不能为空")
    if isinstance(value, bool):
        raise ParameterError(f"{name} 应为数字，实际为“{value}”")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ParameterError(f"{name} 应为数字，实际为“{value}”") from None
    if integer and number != int(number):
        raise ParameterError(f"{name} 应为整数，实际为“{value}”")
    if (low is not None and number < low) or (high is not None and number > high):
        span = f"{low}–{high}" if high is not None else f"不小于 {low}"
        raise ParameterError(f"{name} 应在 {span} 之间，实际为“{value}”")
    return int(number) if integer else number


def _flag(name: str, value) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false", "是", "否"):
        return value.strip().lower() in ("true", "是")
    raise ParameterError(f"{name} 应为 True 或 False，实际为“{value}”")


def lever_values(namespace: dict) -> dict:
    """The what-if levers from the namespace, checked (names of ``Levers``)."""
    from lib.interactive.allocation import GOALS, PLACEMENTS

    g = namespace.get
    values = {
        "posts": _number("posts", g("posts", 0), integer=True, low=0),
        "post_monthly_pay": _number("post_monthly_pay", g("post_monthly_pay", 500), low=0),
        "post_months": _number("post_months", g("post_months", 12), integer=True, low=1, high=12),
        "placement": g("placement", "最优"),
        "goal": g("goal", GOALS[0]),
        "industry_per_household": _number("industry_per_household", g("industry_per_household", 0), low=0),
        "dibao_standard": _number("dibao_standard", g("dibao_standard"), low=0, optional=True),
        "monitoring_threshold": _number("monitoring_threshold", g("monitoring_threshold"), low=1, optional=True),
        "flat_band": _number("flat_band", g("flat_band"), low=0, high=1, optional=True),
    }
    if values["placement"] not in PLACEMENTS:
        raise ParameterError(f"placement 应为 {' 或 '.join(PLACEMENTS)}，实际为“{values['placement']}”")
    if values["goal"] not in GOALS:
        raise ParameterError(f"goal 应为 {'、'.join(GOALS)} 之一，实际为“{values['goal']}”")
    return values


# ---------------------------------------------------------------------------------------
# The session
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Session:
    """What a notebook reads and shows: where from, and the analysis of it."""

    notebook: str
    root: Path
    input_path: Path
    policy_path: Path | None  # None: the built-in default policy
    years: tuple[int, int]
    villages: tuple[str, ...]  # () = every village
    origin: str  # why these files: the last run's record, or the parameters
    data: object  # lib.io.inputs.InputData (of the chosen villages, for what_if)
    policy: object  # lib.policy.Policy
    analysis: object  # lib.rules.analysis.Analysis
    levers: dict = field(default_factory=dict)  # what_if: the checked lever parameters
    interactive: bool = True

    @property
    def data_years(self) -> list[int]:
        return sorted(self.data.income["年度"].drop_nulls().unique().to_list())

    def _repr_markdown_(self) -> str:
        return self.header()

    def __repr__(self) -> str:  # short: the frames inside are not for the notebook's text output
        return self.header()

    def header(self) -> str:
        """Markdown for the top of the notebook: input, policy, years, villages, and why."""
        policy = f"`{_shown(self.policy_path, self.root)}`" if self.policy_path else "内置默认参数（未指定政策参数文件）"
        households = self.analysis.households.height
        lines = [
            f"- **输入数据**：`{_shown(self.input_path, self.root)}`（{households:,} 户；收入表中的年度："
            + "、".join(str(y) for y in self.data_years) + "）",
            f"- **政策参数**：{policy}；本年监测线 {self.policy.threshold(self.years[1]):,.0f} 元/人/年，"
            f"低保标准 {self.policy.dibao(self.years[1]):,.0f} 元/人/年",
            f"- **比较年度**：{self.years[0]} 年 → {self.years[1]} 年",
            f"- **范围**：{'、'.join(self.villages) if self.villages else '全部村'}",
            f"- **依据**：{self.origin}",
        ]
        return "\n".join(lines)


def _restricted(data, villages: tuple[str, ...]):
    """``data`` with only the households of ``villages`` (their income and measures too)."""
    from dataclasses import replace

    if not villages:
        return data
    households = data.households.filter(pl.col("村").is_in(list(villages)))
    ids = households["户编号"].implode()
    return replace(
        data, households=households, income=data.income.filter(pl.col("户编号").is_in(ids)),
        measures=data.measures.filter(pl.col("户编号").is_in(ids)),
    )


def open_session(namespace: dict, notebook: str, root: Path = PROJECT_ROOT) -> Session:
    """Check the notebook's parameters in ``namespace`` (its ``globals()``), read the input
    and policy, run the rules. ParameterError (one Chinese sentence) for anything unusable."""
    from lib.codes import InputError
    from lib.io.reader import read_input
    from lib.policy import PolicyError, load_policy
    from lib.rules.analysis import analyze
    from lib.rules.income import YearsError

    from IPython import get_ipython

    from lib.present.notebook import setup_notebook

    if get_ipython() is not None:  # in a notebook: plotly offline, Chinese fonts (not in a test process)
        setup_notebook()
    if notebook not in NOTEBOOK_PARAMETERS:
        raise ParameterError(f"未知的笔记本：{notebook}")
    unknown = unknown_parameters(namespace, notebook)
    if unknown:
        known = "、".join((*COMMON_PARAMETERS, *NOTEBOOK_PARAMETERS[notebook]))
        raise ParameterError(f"本笔记本没有参数 {'、'.join(unknown)}（可用的参数：{known}）")
    root = Path(root)
    given_input, given_policy = namespace.get("input_path") or "", namespace.get("policy_path") or ""
    # several national-system exports (one per year) come as a list; the first names the run
    inputs = [resolve(p, root) for p in given_input] if isinstance(given_input, (list, tuple)) else []
    given_input = given_input[0] if inputs else given_input
    record = last_run(root)
    if given_input:
        input_path = resolve(given_input, root)
        same = record is not None and resolve(record["input"], root).resolve() == input_path.resolve()
        policy_text = given_policy or (record["policy"] if same else "")
        origin = "参数指定的输入文件" + ("；政策参数沿用项目上次对同一输入的运行" if same and not given_policy else "")
    elif record is not None:
        input_path = resolve(record["input"], root)
        policy_text = given_policy or record.get("policy") or ""
        origin = f"项目上次运行（{'演示' if record.get('command') == 'demo' else '报告'}，{record.get('time', '')}）所用的输入和政策参数"
    elif (root / DEMO_INPUT).exists():
        input_path = root / DEMO_INPUT
        policy_text = given_policy or (str(DEMO_POLICY) if (root / DEMO_POLICY).exists() else "")
        origin = "演示数据（未找到上次运行的记录）"
    else:
        raise ParameterError("还没有可读的数据：请先在项目根目录运行 zengshou demo，或在参数中给出 input_path")
    for path in inputs or [input_path]:
        if not path.exists():
            raise ParameterError(f"找不到输入文件 {path}（相对路径从项目根目录 {root} 算起）")
    policy_path = resolve(policy_text, root) if policy_text else None
    if policy_path is not None and not policy_path.exists():
        raise ParameterError(f"找不到政策参数文件 {policy_path}（相对路径从项目根目录 {root} 算起）")
    years = parse_years(namespace.get("years"))
    if years is None and record is not None and record.get("years") and not given_input:
        years = tuple(record["years"])
    villages = parse_villages(namespace.get("village"))
    levers = lever_values(namespace) if notebook == "what_if" else {}
    interactive = _flag("interactive", namespace.get("interactive", True))
    as_of = parse_as_of(namespace.get("as_of"))
    try:
        data = read_input(inputs or input_path, namespace.get("input_years") or None)
        policy = load_policy(policy_path)
    except (InputError, PolicyError) as exc:
        raise ParameterError(str(exc)) from None
    present = set(data.households["村"].drop_nulls().unique().to_list())
    missing = [v for v in villages if v not in present]
    if missing:
        raise ParameterError(f"输入中没有村 {'、'.join(missing)}（有：{'、'.join(sorted(present))}）")
    if notebook == "what_if":  # the scenario places posts among these villages' households only
        data = _restricted(data, villages)
    try:
        analysis = analyze(data, policy, years=years, as_of=as_of)
    except (YearsError, PolicyError, InputError) as exc:
        raise ParameterError(str(exc)) from None
    return Session(notebook, root, input_path, policy_path, (analysis.year_last, analysis.year_this), villages,
                   origin, data, policy, analysis, levers, interactive)


__all__ = [
    "DEMO_INPUT", "DEMO_POLICY", "LAST_RUN", "PROJECT_ROOT", "ParameterError", "Session", "last_run",
    "lever_values", "open_session", "parse_as_of", "parse_villages", "parse_years", "record_last_run", "resolve",
    "unknown_parameters",
]
