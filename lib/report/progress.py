"""Progress across runs in a report: load the snapshots, the briefing's section, ``outputs/进度.html``.

    p = load(history_dir, as_of)        # the snapshot of as_of (or the latest before it) and the one before
    p.sentence(村)                      # the 要点 box's progress sentence
    p.section(村)                       # 与上次（日期）相比 + the progress chart + the pace, as notebook output
    write_page(out_dir, p)              # outputs/进度.html (offline: plotly.js inlined, no other host)
    progress_lines(p)                   # what `zengshou progress` prints

The snapshots are written by every analyze / report run (``lib.io.history``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from lib.catalogue import DISTRICT, VILLAGE
from lib.codes import InputError
from lib.io import history
from lib.present import progress as pp
from lib.present.format import escape
from lib.rules import progress as rp

PAGE_NAME = "进度.html"
PAGE_TITLE = "全区增收监测进度"


@dataclass(frozen=True)
class Progress:
    as_of: dt.date | None  # the snapshot shown (None: no snapshot at all)
    previous: dt.date | None  # the one compared with (None: none earlier)
    changes: rp.Changes | None
    series: pl.DataFrame  # figures of every snapshot up to as_of
    paces: pl.DataFrame  # lib.rules.progress.pace
    ranking: pl.DataFrame  # lib.rules.progress.village_ranking
    year: int
    dates: tuple[dt.date, ...] = ()

    def sentence(self, village: str = DISTRICT) -> str | None:
        if self.as_of is None:
            return None
        changes = self.changes.of_village(village) if self.changes else None
        return pp.key_sentence(changes, self.previous, self.paces, village)

    def section_html(self, village: str = DISTRICT) -> str:
        as_of = self.as_of or dt.date.today()
        if self.as_of is None:
            return (f"<h2>{pp.heading(None)}</h2><p>没有找到历次运行记录：用 zengshou report 或 analyze 运行后，"
                    "这里列出与上次相比的变化和进度。</p>")
        district = village == DISTRICT
        changes = self.changes.of_village(village) if self.changes else None
        parts = [pp.section(changes, as_of, self.previous, with_village=district)]
        parts.append("<h3>进度与截止日期</h3>")
        parts.append(f"<p>{escape('；'.join(s.rstrip('。') for s in pp.pace_lines(self.paces, village)))}。"
                     + ("图中虚线为两个截止日，点线为按目前进度推算的走势。" if len(self.dates) >= 2
                        else "进度图在有两次以上运行记录后显示。") + "</p>")
        if district and self.ranking.height:
            parts.append(f'<p class="zs-behind">{escape(pp.behind_sentence(self.ranking))}</p>')
            parts.append(pp.ranking_table(self.ranking))
        return "".join(parts)

    def chart(self, village: str = DISTRICT):
        return pp.progress_chart(self.series, self.paces, village, self.year)

    def section(self, village: str = DISTRICT):
        """The section and its chart, as notebook outputs (display them in turn)."""
        from IPython.display import HTML, display

        display(HTML(self.section_html(village)))
        if len(self.dates) >= 2:  # one snapshot draws no trend (and a page stays small)
            display(self.chart(village))


def load(history_dir, as_of: dt.date | None = None, since: dt.date | None = None,
         village: str | None = None) -> Progress:
    """The snapshot of ``as_of`` (or the latest one before it; the latest when None) against the
    latest one before it, or the latest one on or before ``since``. With ``village`` (a
    village's briefing) only its households are read and compared; figures, paces and the
    ranking stay the whole district's."""
    village = None if village == DISTRICT else village
    dates = history.snapshot_dates(history_dir) if history_dir else []
    upto = [d for d in dates if as_of is None or d <= as_of]
    if not upto:
        empty = pl.DataFrame()
        return Progress(None, None, None, empty, empty, empty, (as_of or dt.date.today()).year, tuple(dates))
    current = upto[-1]
    now = history.read_snapshot(history_dir, current, village)
    # only runs that compared the same two years: a new season's first run starts a new series
    upto = [d for d in upto if history.snapshot_years(history_dir, d) == (now.year_last, now.year_this)]
    earlier = [d for d in upto if d < current and (since is None or d <= since)]
    if since is not None and not earlier:
        listed = "、".join(d.isoformat() for d in upto)
        raise InputError(f"没有 {since.isoformat()} 或更早的运行记录可比（只比较同样是 {now.year_this} 年与 "
                         f"{now.year_last} 年相比的记录；已有：{listed}）；请换一个 --since 日期")
    previous = earlier[-1] if earlier else None
    before = history.read_snapshot(history_dir, previous, village) if previous else None
    series = history.read_series(history_dir, current, days=upto)
    paces = rp.pace(series, now.year_this)
    ranking = rp.village_ranking(now.figures, before.figures if before else None, paces)
    changes = rp.compare(before.households, now.households) if before else None
    return Progress(current, previous, changes, series, paces, ranking, now.year_this, tuple(upto))


def village_of(view) -> str:
    names = view.households.get_column(VILLAGE).drop_nulls().unique().sort().to_list()
    return names[0] if names else DISTRICT


def progress_lines(p: Progress) -> list[str]:
    if p.as_of is None:
        return ["没有找到历次运行记录：先用 zengshou analyze 或 report 运行一次。"]
    return pp.terminal_lines(p.changes, p.as_of, p.previous, p.ranking, p.paces)


def render_page(p: Progress) -> str:
    """The offline 进度.html: the district's changes, the ranking, the district chart and every
    village's chart; plotly.js inlined once."""
    import plotly.io as pio

    from lib.report.html import plotlyjs_scripts

    body = [f"<h1>{escape(PAGE_TITLE)}</h1>"]
    if p.as_of is None:
        body.append("<p>没有找到历次运行记录。</p>")
    else:
        dates = "、".join(pp.short_date(d) for d in p.dates)
        body.append(f"<p class=\"meta\">截至 {escape(pp.rp_date(p.as_of))}；历次记录：{escape(dates)}。</p>")
        sentence = p.sentence(DISTRICT)
        if sentence:
            body.append(f'<p class="key"><b>要点：</b>{escape(sentence)}</p>')
        body.append(p.section_html(DISTRICT))
        figures = [p.chart(DISTRICT)] + [p.chart(v) for v in p.ranking.get_column(VILLAGE).to_list()]
        body.append("<h2>进度图</h2>")
        for fig in figures:
            body.append(pio.to_html(fig, include_plotlyjs=False, full_html=False,
                                    config={"displaylogo": False, "responsive": True}))
        body.append(pp.pace_table(p.paces))
        body.append("<h2>口径</h2><dl>" + "".join(
            f"<dt>{escape(f.label)}（{escape(f.unit)}）</dt><dd>{escape(f.definition)}</dd>"
            for f in rp.PROGRESS_FIGURES) + "</dl>")
        body.append(f"<p class=\"meta\">{escape(_DEFINITIONS)}</p>")
    return (
        '<!DOCTYPE html><html lang="zh"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(PAGE_TITLE)}</title><style>{_CSS}</style>"
        f"{plotlyjs_scripts()}</head><body>" + "".join(body) + "</body></html>"
    )


_DEFINITIONS = ("“新落实”按户、措施类型和牵头单位计：本次已落实条数比上次多出的部分；“新列入计划”为本次计划条数中"
                "不是上次留下的计划的部分。“收入缺口新补足”：上次减收且已落实措施不足以补足缺口，本次已补足或核实后不再减收。"
                "按目前进度推算：各次记录比例的线性趋势（最小二乘），只有一次记录时不推算。")

_CSS = """
body { font-family: "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC", "WenQuanYi Micro Hei",
  sans-serif; max-width: 1200px; margin: 1.5em auto; padding: 0 1em; color: #222; line-height: 1.6; }
h1 { font-size: 1.5em; border-bottom: 2px solid #1f5fa8; padding-bottom: .3em; }
h2 { font-size: 1.2em; margin-top: 1.5em; }
p.meta { color: #555; }
p.key { border: 2px solid #1f5fa8; background: #f5f8fc; padding: .5em .9em; border-radius: 6px; }
dt { font-weight: bold; margin-top: .3em; } dd { margin: 0 0 0 1em; color: #444; }
@media (max-width: 600px) { body { padding: 0 .4em; } }
"""


def write_page(out_dir, p: Progress) -> Path:
    """Write ``<out_dir>/进度.html`` atomically after the offline check."""
    from lib.io.atomic import write_text
    from lib.report.html import OfflineError, external_references

    page = render_page(p)
    found = external_references(page)
    if found:
        raise OfflineError("进度页引用了其他网址，未写入", found)
    return write_text(Path(out_dir) / PAGE_NAME, page)
