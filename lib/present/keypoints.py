"""The 要点 box that opens every briefing, and the 牵头单位任务清单 section.

A leader reads the box in half a minute: the date the figures stand at (截至), the figures
that decide action (from ``lib.rules.figures``, the same values as every other page), the
days left to the two deadlines of the plan (台账 by 8月31日, 核算 by 9月30日 of the compared
year) and the three most urgent actions, each naming its lead unit. The actions come from
the lead units' task lists (``lib.rules.tasks``): a unit with households whose measure is
not yet arranged comes first, the red ones weighing most.

HTML built here escapes every value (``lib.present.format.escape``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import polars as pl
from IPython.display import HTML

from lib.catalogue import DEADLINES, DISTRICT, LEAD_UNITS, MEASURE_NAMES, ORANGE, RED, VILLAGE, WARNING_LEVELS, code_key
from lib.present.format import escape, yuan
from lib.present.tables import EMPTY, table_markup
from lib.rules.figures import figures_of, label
from lib.rules.tasks import DONE, NOT_ARRANGED, PLANNED, STATUS, UNIT, lead_unit_summary, lead_unit_tasks

URGENT_ACTIONS = 3
# The figures the box shows, in reading order (keys of lib.rules.figures).
BOX_FIGURES = (f"level_{RED}", f"level_{ORANGE}", "decrease", "decrease_unhelped", "shortfall", "expected_gain",
               "not_recovering", "should_monitor")

_STYLE = """<style>
.zs-keypoints{border:2px solid #1f5fa8;border-radius:6px;padding:.7em 1.1em;margin:.4em 0 1.4em 0;
background:#f5f8fc;font-size:14px;line-height:1.6;break-inside:avoid}
.zs-keypoints h2{margin:0 0 .3em 0;font-size:18px}
.zs-keypoints .zs-asof{color:#444;margin:0 0 .4em 0}
.zs-keypoints ul.zs-figs{display:flex;flex-wrap:wrap;gap:.2em 1.6em;list-style:none;padding:0;margin:.2em 0 .5em 0}
.zs-keypoints ul.zs-figs b{font-size:17px}
.zs-keypoints ol{margin:.2em 0 .2em 1.4em;padding:0}
.zs-keypoints .zs-due{margin:.2em 0}
</style>"""


def chinese_date(day: dt.date) -> str:
    """2022-08-15 → '2022年8月15日'."""
    return f"{day.year}年{day.month}月{day.day}日"


def deadline_lines(as_of: dt.date, year: int) -> list[str]:
    """One sentence per deadline: days left, due today, or passed (and by how many days)."""
    lines = []
    for month, day, what in DEADLINES:
        due = dt.date(year, month, day)
        left = (due - as_of).days
        when = f"{month}月{day}日{what}"
        if left > 0:
            lines.append(f"距{when}截止还有 {left} 天")
        elif left == 0:
            lines.append(f"今天是{when}截止日")
        else:
            lines.append(f"{when}截止日（{chinese_date(due)}）已过 {-left} 天")
    return lines


def tasks_of(view) -> pl.DataFrame:
    """The lead units' tasks for the households of ``view`` (an Analysis or a village view)."""
    return lead_unit_tasks(view.households, view.recommendations, view.measures)


def urgent_actions(tasks: pl.DataFrame, n: int = URGENT_ACTIONS) -> list[str]:
    """The ``n`` most urgent actions, one sentence each, naming the lead unit.

    Urgent first: a unit's households whose measure is not arranged at all (the red among
    them count first, then how many and the income gap they carry); after those, a unit's
    planned measures still to be put in place.
    """
    rows = (
        tasks.group_by("措施代码")
        .agg(
            pl.col("户编号").filter(pl.col(STATUS) == NOT_ARRANGED).n_unique().alias("未安排"),
            pl.col("户编号").filter((pl.col(STATUS) == NOT_ARRANGED) & (pl.col("预警等级") == RED)).n_unique().alias("红"),
            pl.col("收入缺口").filter(pl.col(STATUS) == NOT_ARRANGED).sum().round(2).alias("缺口"),
            pl.col("户编号").filter(pl.col(STATUS) == PLANNED).n_unique().alias("计划"),
        )
        .to_dicts()
    )
    missing = sorted((r for r in rows if r["未安排"]), key=lambda r: (-r["红"], -r["未安排"], -r["缺口"], code_key(r["措施代码"])))
    planned = sorted((r for r in rows if r["计划"] and not r["未安排"]), key=lambda r: (-r["计划"], code_key(r["措施代码"])))
    actions = []
    for r in missing:
        red = f"，其中红色预警 {r['红']} 户" if r["红"] else ""
        gap = f"，涉及收入缺口 {yuan(r['缺口'])}" if r["缺口"] else ""
        actions.append(f"{LEAD_UNITS[r['措施代码']]}：为 {r['未安排']} 户安排{MEASURE_NAMES[r['措施代码']]}"
                       f"（推荐但尚未安排{red}{gap}）。")
    for r in planned:
        actions.append(f"{LEAD_UNITS[r['措施代码']]}：落实 {r['计划']} 户已列入计划的{MEASURE_NAMES[r['措施代码']]}。")
    return actions[:n] or ["各牵头单位推荐的措施均已落实，继续跟踪收入变化。"]


def key_points(view, *, scope: str = "本村", progress: str | None = None) -> HTML:
    """The 要点 box of a briefing: ``view`` is a village view or the district's Analysis;
    ``progress``: the one sentence on progress since the last run (``lib.report.progress``)."""
    f = figures_of(view.households)
    as_of = getattr(view, "as_of", None) or dt.date.today()
    figs = [
        (label(f"level_{RED}") , f"{f[label(f'level_{RED}')]} 户"),
        (label(f"level_{ORANGE}"), f"{f[label(f'level_{ORANGE}')]} 户"),
        (label("decrease"), f"{f[label('decrease')]} 户"),
        (label("decrease_unhelped"), f"{f[label('decrease_unhelped')]} 户"),
        (label("shortfall"), yuan(f[label("shortfall")])),
        (label("expected_gain"), yuan(f[label("expected_gain")])),
        (label("not_recovering"), f"{f[label('not_recovering')]} 户"),
        (label("should_monitor"), f"{f[label('should_monitor')]} 户"),
    ]
    lead = f"截至 {chinese_date(as_of)}，{scope} {view.year_this} 年收入与 {view.year_last} 年相比："
    return key_points_box(as_of, view.year_this, lead, figs, urgent_actions(tasks_of(view)), progress=progress)


def key_points_box(as_of: dt.date, year: int, lead: str, figures: Sequence[tuple[str, str]],
                   actions: Sequence[str], *, actions_title: str = "最急需办的三件事", summary: str = "",
                   progress: str | None = None) -> HTML:
    """The 要点 box itself, the same on every page that opens with one (the village and
    district briefings, the what-if page): the lead sentence with the 截至 date, an optional
    ``summary`` paragraph, the figures, the days left to the plan's deadlines of ``year``, the
    optional ``progress`` sentence, and the actions (each naming its lead unit). Every text is
    escaped here."""
    items = "".join(f"<li>{escape(name)}：<b>{escape(value)}</b></li>" for name, value in figures)
    due = "；".join(deadline_lines(as_of, year)) + "。"
    listed = "".join(f"<li>{escape(a)}</li>" for a in actions)
    return HTML(
        f'{_STYLE}<div class="zs-keypoints" role="region" aria-label="要点">'
        f"<h2>要点</h2>"
        f'<p class="zs-asof">{escape(lead)}</p>'
        + (f'<p class="zs-summary">{escape(summary)}</p>' if summary else "")
        + f'<ul class="zs-figs">{items}</ul>'
        f'<p class="zs-due"><b>时限：</b>{escape(due)}</p>'
        + (f'<p class="zs-due"><b>进度：</b>{escape(progress)}</p>' if progress else "")
        + f"<p><b>{escape(actions_title)}：</b></p><ol>{listed}</ol>"
        "</div>"
    )


# ---------------------------------------------------------------------------------------
# 牵头单位任务清单
# ---------------------------------------------------------------------------------------

SUMMARY_SHOWN = {UNIT: "牵头单位", "措施名称": "措施", "需帮扶户数": "需帮扶户数", "已落实户数": "已落实户数",
                 "计划户数": "计划户数", "未安排户数": "未安排户数", "涉及收入缺口": "涉及收入缺口（元）",
                 "预计增收合计": "预计增收合计（元）"}
TASK_SHOWN = {"户编号": "户编号", "户主姓名": "户主姓名", "预警等级": "预警等级", "收入研判": "收入研判",
              "收入缺口": "收入缺口（元）", STATUS: "落实状态", "预计增收": "预计增收（元）",
              "措施内容": "措施内容", "推荐理由": "推荐理由"}
SCREEN_ROWS = 15  # rows a list shows on screen before "显示全部"; print shows them all
PRINT_LIMIT = 300  # rows a village's list writes at most into the page; the rest are in the ledger
# A district-wide list names the most urgent households only (red first, the largest income
# gap first), with the sentence saying how many more the district ledger lists: the whole
# list of every village is in its own briefing and ledger, and it grows with the district.
DISTRICT_LIMIT = 40
_LEVEL_ORDER = {lv: i for i, lv in enumerate(WARNING_LEVELS)}


def unit_summary(tasks: pl.DataFrame, where: str = DISTRICT) -> HTML:
    """The five lead units' counts for ``where`` (a village, or 全区 for all of ``tasks``)."""
    summary = lead_unit_summary(tasks).filter(pl.col(VILLAGE) == where)
    return HTML(table_markup(summary, SUMMARY_SHOWN, caption="各牵头单位任务", unit="个单位", searchable=False))


def unit_lists(tasks: pl.DataFrame, statuses: Sequence[str] = (NOT_ARRANGED, PLANNED, DONE),
               with_village: bool = False) -> HTML:
    """Per lead unit, the households that need its measure (not arranged first).

    ``with_village``: the district's lists, across villages (a 村 column): each names its
    ``DISTRICT_LIMIT`` most urgent households (red first, then the largest income gap) and
    says how many more are in the district ledger."""
    shown = ({"村": "村"} if with_village else {}) | TASK_SHOWN
    limit, ledger = (DISTRICT_LIMIT, "全区台账") if with_village else (PRINT_LIMIT, "村台账")
    parts = []
    for code in sorted(LEAD_UNITS, key=code_key):
        mine = tasks.filter((pl.col("措施代码") == code) & pl.col(STATUS).is_in(list(statuses)))
        title = f"{LEAD_UNITS[code]}（{MEASURE_NAMES[code]}）"
        if mine.height == 0:
            parts.append(f'<p class="zs-empty"><b>{escape(title)}</b>：{escape(EMPTY)}</p>')
            continue
        if with_village:
            mine = mine.sort(pl.col("预警等级").replace_strict(_LEVEL_ORDER, default=len(_LEVEL_ORDER)),
                             pl.col("收入缺口"), "村", "户编号", descending=[False, True, False, False],
                             nulls_last=True, maintain_order=True)
        parts.append(table_markup(mine, shown, caption=title, unit="户", max_rows=limit,
                                  screen_rows=SCREEN_ROWS, elsewhere=f"{ledger}“牵头单位任务清单”工作表"))
    return HTML("".join(parts))
