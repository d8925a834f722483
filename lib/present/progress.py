"""What people see of progress across runs: the 与上次（日期）相比 section, the progress chart,
the 要点 sentence, the district ranking and the terminal lines.

Everything takes the frames of ``lib.rules.progress`` (no I/O). HTML is escaped and masked by
the one table renderer (``lib.present.tables.table_markup``). The chart draws bars only (the
vendored plotly.js bundle has no scatter): one group of three bars per snapshot; the deadlines,
the 100 % line and the projected paths are layout shapes.
"""

from __future__ import annotations

import datetime as dt

import plotly.graph_objects as go
import polars as pl

from lib.catalogue import DEADLINES, DISTRICT, VILLAGE
from lib.present.charts import NEUTRAL, _figure
from lib.present.format import escape, percent
from lib.present.tables import table_markup
from lib.rules import progress as rp

SHARES = (rp.SURVEY_RATE, rp.COVER_RATE, rp.CLOSED_RATE)
SHARE_COLOURS = dict(zip(SHARES, (NEUTRAL[0], NEUTRAL[2], NEUTRAL[1]), strict=True))
DEADLINE_COLOUR = "#444"
SCREEN_ROWS = 10
MAX_ROWS = 300

_STYLE = """<style>
.zs-progress ul.zs-counts{display:flex;flex-wrap:wrap;gap:.2em 1.4em;list-style:none;padding:0;margin:.3em 0 .8em 0}
.zs-progress ul.zs-counts b{font-size:16px}
.zs-progress p.zs-behind{border-left:4px solid #5b6770;padding:.2em .7em;background:#f4f6f8}
</style>"""


def short_date(day: dt.date | None) -> str:
    return "—" if day is None else f"{day.month}月{day.day}日"


def heading(previous: dt.date | None) -> str:
    return "与上次相比" if previous is None else f"与上次（{short_date(previous)}）相比"


COUNT_TEXTS = (
    ("新排查", "新排查", "户"), ("新计划措施", "新列入计划的措施", "项"), ("新落实措施", "新落实的措施", "项"),
    ("研判或预警变化", "研判或预警有变化", "户"), ("缺口新补足", "收入缺口新补足", "户"),
    ("新增风险未帮扶", "新出现的风险户尚无措施", "户"), ("已退出", "已退出", "户"), ("新识别", "新识别", "户"),
)


def _list(frame: pl.DataFrame, columns: dict, caption: str, with_village: bool) -> str:
    shown = ({VILLAGE: "村"} if with_village else {}) | columns
    return table_markup(frame, shown, caption=caption, unit="户", max_rows=MAX_ROWS, screen_rows=SCREEN_ROWS,
                        elsewhere="历次记录（data/processed/history）")


def section(changes: rp.Changes | None, as_of: dt.date, previous: dt.date | None, *, with_village: bool = False,
            first_title: bool = True) -> str:
    """The 与上次（日期）相比 section (HTML); ``changes`` None when there is no earlier snapshot."""
    title = f"<h2>{escape(heading(previous))}</h2>" if first_title else ""
    if changes is None or previous is None:
        return (f'{_STYLE}<div class="zs-progress">{title}<p>这是第一次记录进度（截至 {escape(short_date(as_of))}），'
                "没有更早的运行记录可以比较；下次运行后，这里列出新排查的户、新落实的措施和研判的变化。</p></div>")
    counts = changes.counts()
    days = (as_of - previous).days
    items = "".join(f"<li>{escape(text)}：<b>{counts[key]}</b> {unit}</li>" for key, text, unit in COUNT_TEXTS)
    parts = [
        _STYLE, '<div class="zs-progress">', title,
        f"<p>本次截至 {escape(short_date(as_of))}，与上次运行（截至 {escape(short_date(previous))}，相隔 {days} 天）相比：</p>",
        f'<ul class="zs-counts">{items}</ul>',
    ]
    if changes.is_empty():
        parts.append("<p>两次之间没有变化。</p>")
    measures = changes.measures
    if with_village and measures.height:
        measures = measures.group_by("措施代码", "措施类型", "牵头单位", maintain_order=True).agg(
            pl.col("新计划").sum(), pl.col("新落实").sum())
    parts.append(table_markup(measures, {"措施类型": "措施", "牵头单位": "牵头单位", "新计划": "新列入计划（项）",
                                          "新落实": "新落实（项）"},
                              caption="新列入计划和新落实的措施（按措施类型和牵头单位）", unit="类", searchable=False))
    parts.append(_list(changes.changed, {"户编号": "户编号", "上次研判": "上次研判", "本次研判": "本次研判",
                                         "上次预警": "上次预警", "本次预警": "本次预警", "原因": "原因"},
                       "研判或预警有变化的户", with_village))
    parts.append(_list(changes.new_unhelped, {"户编号": "户编号", rp.JUDGED: "收入研判", rp.LEVEL: "预警等级",
                                              "减收风险点": "减收风险点"},
                       "新出现的风险户尚无措施（请尽快安排）", with_village))
    parts.append(_list(changes.gaps_closed, {"户编号": "户编号", rp.GAP: "收入缺口（元）",
                                             rp.DONE_GAIN: "已落实措施预计增收（元）", "原因": "原因"},
                       "收入缺口新补足的户", with_village))
    parts.append(_list(changes.newly_surveyed, {"户编号": "户编号", rp.JUDGED: "收入研判", rp.LEVEL: "预警等级"},
                       "新排查的户", with_village))
    parts.append(_list(changes.exited, {"户编号": "户编号", "上次研判": "上次研判", "原因": "原因"},
                       "上次以来已退出的户", with_village))
    parts.append(_list(changes.new_entries, {"户编号": "户编号", rp.JUDGED: "收入研判", rp.LEVEL: "预警等级"},
                       "上次以来新识别的户", with_village))
    parts.append("</div>")
    return "".join(parts)


# ---------------------------------------------------------------------------------------
# Toward the deadlines
# ---------------------------------------------------------------------------------------


def pace_sentence(row: dict) -> str:
    """One pace row (of ``lib.rules.progress.pace``) in words."""
    target, due = row["指标"], row["截止"]
    when = f"{short_date(due)}{row['截止事项']}"
    if row["当前"] is None:
        return f"{target}：没有需要计算的户。"
    if row["当前"] >= 1 - 1e-9:
        return f"{target}已达到 100%。"
    now = percent(row["当前"])
    if row["预计达到"] is None:
        if row["日均进度"] is None:
            return f"{target}目前 {now}；只有一次记录，尚不能推算进度（目标：{when}前 100%）。"
        return f"{target}目前 {now}，近期没有进展，按目前进度{when}前无法达到 100%。"
    if row["预计达到"] > dt.date(due.year, 12, 31):
        return f"{target}目前 {now}，进展太慢，按目前进度年内达不到 100%，晚于{when}。"
    reach = short_date(row["预计达到"])
    verdict = "可以按期完成" if row["能否按期"] else f"晚于{when}"
    return f"{target}目前 {now}，按目前进度预计 {reach} 达到 100%，{verdict}。"


def rp_date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def pace_lines(paces: pl.DataFrame, village: str) -> list[str]:
    return [pace_sentence(r) for r in paces.filter(pl.col(VILLAGE) == village).to_dicts()]


def key_sentence(changes: rp.Changes | None, previous: dt.date | None, paces: pl.DataFrame, village: str) -> str:
    """The one sentence on progress the 要点 box carries: a target missed at this pace first, then
    new risk households without a measure, else what moved."""
    mine = paces.filter(pl.col(VILLAGE) == village)
    missed = mine.filter(~pl.col("能否按期") & pl.col("日均进度").is_not_null()).sort("截止")
    if changes is None or previous is None:
        return "首次记录进度：下次运行起，这里说明与上次相比的变化和能否按期完成。"
    c = changes.counts()
    moved = f"与上次（{short_date(previous)}）相比新排查 {c['新排查']} 户、新落实措施 {c['新落实措施']} 项"
    if missed.height:
        return f"{moved}；但{pace_sentence(missed.row(0, named=True)).rstrip('。')}，需加快。"
    if c["新增风险未帮扶"]:
        return f"{moved}；新出现 {c['新增风险未帮扶']} 户风险户尚无措施，需尽快安排。"
    reachable = mine.filter(pl.col("预计达到").is_not_null())
    if reachable.height == mine.height and mine.height:
        return f"{moved}；按目前进度，各项目标可以按期完成。"
    return f"{moved}。"


def behind_sentence(ranking: pl.DataFrame) -> str:
    behind = ranking.filter(pl.col("落后"))
    if behind.height == 0:
        return "按目前进度，各村都能按期完成三项目标。"
    names = "；".join(f"{r[VILLAGE]}（{r['未按期指标']}）" for r in behind.to_dicts())
    return f"按目前进度，以下 {behind.height} 个村不能按期完成：{names}。"


def ranking_table(ranking: pl.DataFrame) -> str:
    shown = ranking.with_columns(
        *(pl.col(s).map_elements(percent, return_dtype=pl.String) for s in SHARES),
        *(pl.col(f"{s}变化").map_elements(lambda v: percent(v, sign=True), return_dtype=pl.String) for s in SHARES),
        pl.when(pl.col("落后")).then(pl.lit("落后：") + pl.col("未按期指标")).otherwise(pl.lit("可按期")).alias("按期"),
    ).with_row_index("名次", offset=1)
    columns = {"名次": "名次", VILLAGE: "村", **{s: s for s in SHARES}, **{f"{s}变化": f"{s}比上次" for s in SHARES},
               "按期": "按目前进度"}
    return table_markup(shown, columns, caption="各村进度排名（按三项比例比上次提高的合计排序）", unit="个村",
                        searchable=False)


def pace_table(paces: pl.DataFrame) -> str:
    shown = paces.filter(pl.col(VILLAGE) != DISTRICT).with_columns(
        pl.col("当前").map_elements(percent, return_dtype=pl.String),
        pl.col("预计达到").map_elements(lambda d: short_date(d), return_dtype=pl.String).fill_null("无法推算"),
        (pl.col("截止").map_elements(short_date, return_dtype=pl.String) + pl.col("截止事项")).alias("截止"),
        pl.when(pl.col("能否按期")).then(pl.lit("能")).otherwise(pl.lit("不能")).alias("能否按期"),
    )
    return table_markup(shown, {VILLAGE: "村", "指标": "指标", "当前": "当前", "预计达到": "预计达到 100%",
                                "截止": "截止", "能否按期": "能否按期"},
                        caption="各村按目前进度预计达到目标的日期", unit="行", screen_rows=12)


def progress_chart(series: pl.DataFrame, paces: pl.DataFrame, village: str, year: int) -> go.Figure:
    """Bars per snapshot (排查率, 风险户措施覆盖率, 缺口补足率) for ``village`` (or 全区), the two
    deadlines as lines, and from the last snapshot a dotted path to the projected date."""
    mine = series.filter(pl.col(VILLAGE) == village).sort(rp.AS_OF)
    days = mine.get_column(rp.AS_OF).to_list()
    fig = _figure(f"{'全区' if village == DISTRICT else village}进度（{len(days)} 次记录，截至 {short_date(days[-1]) if days else '—'}）",
                  height=400)
    day_ms = 86_400_000
    width = 1.6 * day_ms
    for i, share in enumerate(SHARES):
        values = mine.get_column(share).to_list() if share in mine.columns else [None] * len(days)
        fig.add_trace(go.Bar(
            x=[d.isoformat() for d in days], y=values, name=share, marker_color=SHARE_COLOURS[share],
            width=width, offset=(i - 1.5) * width,
            text=[percent(v) if v is not None else "" for v in values], textposition="outside", cliponaxis=False,
            hovertemplate=f"%{{x|%m月%d日}} {share}：%{{y:.1%}}<extra></extra>",
        ))
    start = (days[0] if days else dt.date(year, 8, 1)) - dt.timedelta(days=4)
    end = dt.date(year, 10, 10)
    # The deadlines are named on the date axis, under their dashed lines (above the plot their
    # labels collided with the bars' values).
    dues = {dt.date(year, month, day): what for month, day, what in DEADLINES}
    ticks = sorted(set(days) | set(dues))
    mine_pace = paces.filter(pl.col(VILLAGE) == village).to_dicts()
    # The projected dates are in the sentence above the chart (pace_lines), not on it: three
    # labels at the top collided with each other and the bars' values on a phone.
    shapes = []
    for due in dues:
        shapes.append(dict(type="line", xref="x", yref="paper", x0=due.isoformat(), x1=due.isoformat(), y0=0, y1=1,
                           line=dict(color=DEADLINE_COLOUR, dash="dash", width=2)))
    shapes.append(dict(type="line", xref="paper", yref="y", x0=0, x1=1, y0=1, y1=1,
                       line=dict(color="#999", width=1)))
    for row in mine_pace:
        if row["当前"] is None or row["当前"] >= 1 - 1e-9 or not days:
            continue
        reach = row["预计达到"]
        x1 = min(reach, end) if reach else end
        y1 = 1.0 if reach and reach <= end else (row["当前"] + (row["日均进度"] or 0) * (end - days[-1]).days)
        shapes.append(dict(type="line", xref="x", yref="y", x0=days[-1].isoformat(), y0=row["当前"],
                           x1=x1.isoformat(), y1=min(max(y1, 0), 1.0), line=dict(color=SHARE_COLOURS[row["指标"]], dash="dot", width=2)))
    fig.update_layout(
        shapes=shapes, barmode="overlay", bargap=0,
        xaxis=dict(type="date", range=[start.isoformat(), end.isoformat()],
                   tickvals=[d.isoformat() for d in ticks],
                   ticktext=[short_date(d) + (f"<br>{dues[d]}" if d in dues else "") for d in ticks],
                   title=dict(text="截至日期")),
        yaxis=dict(range=[0, 1.12], tickformat=".0%", title=dict(text="比例")),
    )
    return fig


def terminal_lines(changes: rp.Changes | None, as_of: dt.date, previous: dt.date | None,
                   ranking: pl.DataFrame, paces: pl.DataFrame) -> list[str]:
    """What ``zengshou progress`` prints: the district's changes, pace and the villages behind."""
    lines = [f"全区进度：截至 {rp_date(as_of)}"]
    if changes is None or previous is None:
        lines.append("没有更早的运行记录可以比较（这是第一次记录）。")
    else:
        c = changes.counts()
        lines.append(f"与上次（{rp_date(previous)}）相比：")
        lines += [f"  {text}：{c[key]} {unit}" for key, text, unit in COUNT_TEXTS]
        for r in changes.measures.group_by("措施类型", "牵头单位", maintain_order=True).agg(
                pl.col("新计划").sum(), pl.col("新落实").sum()).to_dicts():
            lines.append(f"    {r['措施类型']}（{r['牵头单位']}）：新计划 {r['新计划']} 项，新落实 {r['新落实']} 项")
    lines.append("按目前进度：")
    lines += [f"  {s}" for s in pace_lines(paces, DISTRICT)]
    lines.append(behind_sentence(ranking))
    return lines
