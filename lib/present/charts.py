"""Plotly figures for the village briefing and the district overview.

One function per chart; each takes polars frames of ``lib.rules.analysis.Analysis`` (columns as
in docs/contract.md §2) and returns a ``go.Figure``: no I/O, nothing global changed.
Titles, axes and hover text are Chinese. The interactivity a leader gets in an offline
HTML file comes from plotly itself (hover, legend, ``updatemenus`` dropdowns), because
ipywidgets would need a running kernel.

Figures stay small: counts are aggregated in polars before plotting (no per-household
scatter), values are plain lists, and a tiny template replaces plotly's default one, which
would otherwise repeat ~6 kB of styling in every figure.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import plotly.graph_objects as go
import polars as pl

from lib.catalogue import (
    DECREASE,
    DISTRICT,
    GREEN,
    INCOME_KINDS,
    ITEM_NAMES,
    ITEMS_BY_NAME,
    MEASURE_STATUSES,
    MEASURES,
    NOT_SURVEYED,
    ORANGE,
    RED,
    RISK_POINTS,
    WARNING_LEVELS,
    YELLOW,
    code_key,
)
from lib.rules.figures import figures_of, label, risk_point_figures, village_figures
from lib.rules.income import counted_items
from lib.present.format import measure_name
from lib.policy import Policy

FONT = (
    "PingFang SC, Microsoft YaHei, Noto Sans CJK SC, Source Han Sans SC, WenQuanYi Micro Hei, "
    "SimHei, sans-serif"
)
# 红/橙/黄/绿 mean warning levels and nothing else; every other chart is in blues and greys.
LAST_COLOUR, THIS_COLOUR = "#9db4d3", "#1f5fa8"
WARNING_COLOURS = {RED: "#d62728", ORANGE: "#ff7f0e", YELLOW: "#f2c500", GREEN: "#2ca02c"}
GREY = "#b0b0b0"
NEUTRAL = ("#1f5fa8", "#9db4d3", "#5b6770", "#c8d3df")
UP, DOWN, TOTAL = "#1f5fa8", "#5b6770", "#9db4d3"
STATUS_COLOURS = dict(zip(MEASURE_STATUSES, ("#9db4d3", "#1f5fa8"), strict=True))  # 计划, 已落实
# Colours of the income bands of ``Analysis.transitions``, poorest first (their labels come
# from the policy: `lib.rules.poverty.band_labels`).
BAND_COLOURS = ("#d62728", "#ff7f0e", "#2ca02c")

_TEMPLATE = go.layout.Template(
    layout=dict(
        font=dict(family=FONT, size=13, color="#222"),
        # pinned to the top edge: the top margin's lower part is the dropdown's row
        title=dict(font=dict(size=16), x=0.01, xanchor="left", yref="container", y=1.0, yanchor="top",
                   pad=dict(t=8)),
        paper_bgcolor="white",
        plot_bgcolor="white",
        separators=".,",
        xaxis=dict(gridcolor="#e8e8e8", zerolinecolor="#888", automargin=True),
        yaxis=dict(gridcolor="#e8e8e8", zerolinecolor="#888", automargin=True),
        hoverlabel=dict(font=dict(family=FONT)),
        # title (and its detail as a subtitle) on top, a dropdown just above the plot, the
        # legend at the foot of the figure: on a phone a wrapped legend grows downwards into
        # its own margin instead of over the title or the dropdown
        legend=dict(orientation="h", yref="container", y=0.0, yanchor="bottom", xanchor="left", x=0.0),
        margin=dict(l=60, r=30, t=100, b=110),
        colorway=list(NEUTRAL),
    )
)


def _figure(title: str, height: int = 420, **layout) -> go.Figure:
    """A figure in the house style; a title's bracketed detail "（…）" becomes its subtitle, so
    that neither line is wider than a phone."""
    # The house template given at construction: a bare go.Figure() would first build the
    # session's default template (merging plotly_white, ~25 ms a figure) only to replace it.
    fig = go.Figure(layout={"template": _TEMPLATE})
    main, _, detail = title.partition("（")
    heading = dict(text=main, subtitle=dict(text="（" + detail, font=dict(size=12, color="#555"))) if detail else dict(text=title)
    fig.update_layout(title=heading, height=height + 60, **layout)
    return fig


def _menu(buttons: list[dict]) -> dict:
    """A dropdown just above the plot area, on the left (a plotly ``updatemenus`` entry)."""
    return dict(
        type="dropdown", buttons=buttons, x=0.0, y=1.02, xanchor="left", yanchor="bottom",
        showactive=True, bgcolor="white", bordercolor="#bbb", font=dict(size=12),
    )


def _group_menu(options: list[tuple[str, dict]], group_size: int) -> dict:
    """A dropdown showing one group of traces at a time. The traces were added group after
    group, ``group_size`` each; option i shows (and lists in the legend) group i only and
    applies its layout changes."""
    n = len(options) * group_size
    buttons = []
    for i, (option, layout) in enumerate(options):
        shown = [j // group_size == i for j in range(n)]
        buttons.append(dict(label=option, method="update", args=[{"visible": shown, "showlegend": shown}, layout]))
    return _menu(buttons)


def _surveyed(households: pl.DataFrame) -> pl.DataFrame:
    """Households with both years' income (the others cannot be compared)."""
    return households.filter(pl.col("收入研判") != NOT_SURVEYED)


def _nice_step(span: float, bins: int) -> float:
    """A round bin width (1, 2 or 5 × 10^k) giving about ``bins`` bins over ``span``."""
    raw = max(span / bins, 1.0)
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw)


# ---------------------------------------------------------------------------------------
# 二、收入变化
# ---------------------------------------------------------------------------------------


def income_kinds(households: pl.DataFrame, year_last: int, year_this: int) -> go.Figure:
    """Four income kinds, both years, grouped bars; dropdown: 合计 or 人均."""
    data = _surveyed(households)
    sums = data.select(
        *[pl.col(f"{p}{k}").sum().alias(f"{p}{k}") for p in ("上年", "本年") for k in INCOME_KINDS],
        pl.col("上年家庭人口数").sum().alias("上年人口"),
        pl.col("本年家庭人口数").sum().alias("本年人口"),
    ).row(0, named=True)
    fig = _figure(f"四类收入两年对比（已排查 {data.height} 户）")
    kinds = list(INCOME_KINDS)
    for per_capita in (False, True):
        for prefix, year, colour in (("上年", year_last, LAST_COLOUR), ("本年", year_this, THIS_COLOUR)):
            people = sums[f"{prefix}人口"] or 0
            totals = [sums[f"{prefix}{k}"] or 0.0 for k in kinds]
            if per_capita:
                values = [t / people if people else None for t in totals]
            else:
                values = totals
            unit = "元/人" if per_capita else "元"
            fig.add_trace(go.Bar(
                x=kinds, y=values, name=f"{year}年", marker_color=colour, visible=not per_capita,
                legendgroup=str(year), showlegend=not per_capita,
                hovertemplate=f"%{{x}}<br>{year}年：%{{y:,.0f}} {unit}<extra></extra>",
            ))
    fig.update_layout(
        barmode="group",
        yaxis=dict(title=dict(text="金额（元）"), tickformat=",.0f"),
        xaxis=dict(title=dict(text="收入类别")),
        # traces: 合计 last, 合计 this, 人均 last, 人均 this
        updatemenus=[_group_menu([
            ("合计（元）", {"yaxis.title.text": "金额（元）"}),
            ("人均（元/人）", {"yaxis.title.text": "人均（元/人）"}),
        ], group_size=2)],
    )
    return fig


def per_capita_distribution(
    households: pl.DataFrame,
    year_last: int,
    year_this: int,
    policy: Policy,
    bins: int = 30,
) -> go.Figure:
    """Households by per-capita net income, both years, with each year's monitoring line
    and the orange-warning line (``policy.orange_multiple`` × this year's line).

    Counts are binned here (not by plotly) so the figure holds ~30 numbers per year, not one
    per household. Incomes above the top edge fall into the last bin, labelled "≥".
    """
    thresholds = {y: policy.threshold(y) for y in (year_last, year_this)}
    orange_multiple = policy.orange_multiple
    data = _surveyed(households).select("上年人均纯收入", "本年人均纯收入").drop_nulls()
    line_this = thresholds[year_this]
    values = pl.concat([data.get_column("上年人均纯收入"), data.get_column("本年人均纯收入")])
    fig = _figure(f"人均纯收入分布（已排查 {data.height} 户）")
    if values.len() == 0:
        fig.add_annotation(text="暂无两年收入齐全的户", showarrow=False, x=0.5, y=0.5,
                           xref="paper", yref="paper")
        return fig
    lo = min(float(values.min()), 0.0)
    top = max(float(values.quantile(0.95) or 0.0), 2.5 * (line_this or 0.0), lo + 1.0)
    step = _nice_step(top - lo, bins)
    lo = math.floor(lo / step) * step
    n_bins = max(1, math.ceil((top - lo) / step))
    hi_edge = lo + n_bins * step
    for column, year, colour in (
        ("上年人均纯收入", year_last, LAST_COLOUR), ("本年人均纯收入", year_this, THIS_COLOUR)
    ):
        idx = (
            data.select(((pl.col(column) - lo) / step).floor().clip(0, n_bins - 1).cast(pl.Int64).alias("b"))
            .group_by("b").len()
        )
        counts = dict(zip(idx.get_column("b").to_list(), idx.get_column("len").to_list(), strict=True))
        xs = [lo + (b + 0.5) * step for b in range(n_bins)]
        labels = [
            f"{lo + b * step:,.0f}–{lo + (b + 1) * step:,.0f} 元" if b < n_bins - 1
            else f"≥ {lo + b * step:,.0f} 元" for b in range(n_bins)
        ]
        fig.add_trace(go.Bar(
            x=xs, y=[counts.get(b, 0) for b in range(n_bins)], name=f"{year}年",
            marker_color=colour, width=step * 0.45, customdata=labels,
            offsetgroup=str(year),
            hovertemplate=f"{year}年 %{{customdata}}：%{{y}} 户<extra></extra>",
        ))
    # Vertical lines as plain shapes + annotations: add_vline costs ~0.08 s per line.
    lines = [
        (thresholds[year_last], f"{year_last}年监测线 {thresholds[year_last]:,.0f}", LAST_COLOUR, "dash", "right", 0),
        (thresholds[year_this], f"{year_this}年监测线 {thresholds[year_this]:,.0f}", THIS_COLOUR, "dash", "left", -18),
        (orange_multiple * line_this, f"{orange_multiple:g}倍监测线 {orange_multiple * line_this:,.0f}",
         WARNING_COLOURS[ORANGE], "dot", "left", -36),
    ]
    fig.update_layout(
        shapes=[
            dict(type="line", xref="x", yref="paper", x0=x, x1=x, y0=0, y1=1,
                 line=dict(color=colour, dash=dash, width=2))
            for x, _, colour, dash, _, _ in lines
        ],
        annotations=[
            dict(x=x, y=1, xref="x", yref="paper", text=text, showarrow=False, xanchor=side,
                 yanchor="top", yshift=shift, font=dict(color=colour))
            for x, text, colour, _, side, shift in lines
        ],
    )
    fig.update_layout(
        barmode="group", bargap=0.05,
        margin=dict(b=140),  # the axis title has two lines; the legend sits below them
        xaxis=dict(title=dict(text=f"人均纯收入（元/人·年）<br>最右一组为 {hi_edge - step:,.0f} 元及以上"),
                   tickformat=",.0f"),
        yaxis=dict(title=dict(text="户数")),
        updatemenus=[_menu([
            dict(label="两年对比", method="restyle", args=[{"visible": [True, True]}]),
            dict(label=f"仅{year_last}年", method="restyle", args=[{"visible": [True, False]}]),
            dict(label=f"仅{year_this}年", method="restyle", args=[{"visible": [False, True]}]),
        ])],
    )
    return fig


def change_waterfall(
    items: pl.DataFrame,
    year_last: int,
    year_this: int,
    household: str | None = None,
    policy: Policy | None = None,
    exclude_items: Sequence[str] = (),
    title: str | None = None,
) -> go.Figure:
    """Item-by-item waterfall from last year's to this year's household net income.

    ``household`` picks one 户编号; without it, every household in ``items`` is summed (a
    village aggregate). With ``policy``, only the items that policy counts in net income are
    drawn (养老金 is left out when the policy leaves it out of net income), so the two ends are the
    households' 家庭纯收入; ``exclude_items`` leaves out more. A cost item (生产经营性支出)
    counts with its sign: a higher cost lowers net income. Rows missing a year (未排查) are
    left out.
    """
    data = items.filter(pl.col("上年").is_not_null() & pl.col("本年").is_not_null())
    if household is not None:
        data = data.filter(pl.col("户编号") == household)
    if policy is not None:
        data = data.filter(pl.col("收入项目").is_in(list(counted_items(policy))))
    data = data.filter(~pl.col("收入项目").is_in(list(exclude_items)))
    sign = {name: item.sign for name, item in ITEMS_BY_NAME.items()}
    by_item = (
        # 收入项目 is an Enum: looked up as text (an empty village has no values to infer from)
        data.with_columns(pl.col("收入项目").cast(pl.String).replace_strict(sign, default=1, return_dtype=pl.Int64)
                          .alias("_s"))
        .group_by("收入项目")
        .agg((pl.col("上年") * pl.col("_s")).sum().alias("上年"),
             (pl.col("本年") * pl.col("_s")).sum().alias("本年"))
        .with_columns((pl.col("本年") - pl.col("上年")).alias("影响"))
    )
    order = {name: i for i, name in enumerate(ITEM_NAMES)}
    rows = sorted(by_item.iter_rows(named=True), key=lambda r: order.get(r["收入项目"], len(order)))
    start = sum(r["上年"] for r in rows)
    end = sum(r["本年"] for r in rows)
    moved = [r for r in rows if r["影响"] != 0]
    who = f"户 {household}" if household is not None else f"{data.get_column('户编号').n_unique()} 户合计"
    fig = _figure(title or f"家庭纯收入逐项变化（{who}，{year_last}→{year_this}年）", height=460)
    x = [f"{year_last}年纯收入", *[r["收入项目"] for r in moved], f"{year_this}年纯收入"]
    y = [start, *[r["影响"] for r in moved], end]
    text = [f"{start:,.0f}", *[f"{r['影响']:+,.0f}" for r in moved], f"{end:,.0f}"]
    fig.add_trace(go.Waterfall(
        x=x, y=y, measure=["absolute", *["relative"] * len(moved), "total"],
        text=text, textposition="outside", name="家庭纯收入",
        increasing=dict(marker=dict(color=UP)), decreasing=dict(marker=dict(color=DOWN)),
        totals=dict(marker=dict(color=TOTAL)), connector=dict(line=dict(color="#999", width=1)),
        hovertemplate="%{x}<br>%{text} 元<extra></extra>",
    ))
    # When the changes are small beside the totals (a village sums to millions), a y axis
    # from 0 would flatten them; zoom on the running totals and say so on the axis.
    running = [start]
    for r in moved:
        running.append(running[-1] + r["影响"])
    low, high = min(running), max(running)
    span = max(high - low, 1.0)
    yaxis = dict(title=dict(text="家庭纯收入（元）"), tickformat=",.0f")
    if low - 0.5 * span > 0:
        yaxis.update(range=[low - 0.5 * span, high + 0.35 * span],
                     title=dict(text="家庭纯收入（元，纵轴未从 0 开始）"))
    fig.update_layout(
        showlegend=False,
        yaxis=yaxis,
        xaxis=dict(title=dict(text="收入项目（深蓝为增加、深灰为减少；支出增加计为减少）"), tickangle=-30),
    )
    return fig


# ---------------------------------------------------------------------------------------
# 三、减收风险点 / 四、预警
# ---------------------------------------------------------------------------------------


def risk_points(risks: pl.DataFrame) -> go.Figure:
    """The nine risk points: households affected or yuan lost (all nine, zeros shown).

    One panel and a dropdown (户数 / 减收金额) rather than two panels side by side: the
    labels keep their width on a phone, and the two measures never share a colour scale.
    """
    table = risk_point_figures(risks)  # the nine, in catalogue order
    labels = [r.label for r in RISK_POINTS]
    counts = table.get_column("涉及户数").to_list()
    yuan = [float(v) for v in table.get_column("减收金额").to_list()]
    fig = _figure(f"九类减收风险点（涉及 {risks.get_column('户编号').n_unique()} 户）", height=420)
    descriptions = [r.description for r in RISK_POINTS]
    fig.add_trace(go.Bar(
        y=labels, x=counts, orientation="h", name="涉及户数", marker_color=NEUTRAL[0],
        customdata=descriptions, text=counts, textposition="auto",
        hovertemplate="%{y}：%{x} 户<br>%{customdata}<extra></extra>",
    ))
    fig.add_trace(go.Bar(
        y=labels, x=yuan, orientation="h", name="减收金额", marker_color=NEUTRAL[2], visible=False,
        text=[f"{v:,.0f}" for v in yuan], textposition="auto",
        hovertemplate="%{y}：减收 %{x:,.0f} 元<extra></extra>",
    ))
    fig.update_layout(
        showlegend=False,
        xaxis=dict(title=dict(text="涉及户数（户）"), tickformat=",.0f"),
        yaxis=dict(autorange="reversed"),
        updatemenus=[_menu([
            dict(label="涉及户数（户）", method="update",
                 args=[{"visible": [True, False]}, {"xaxis.title.text": "涉及户数（户）"}]),
            dict(label="减收金额（元）", method="update",
                 args=[{"visible": [False, True]}, {"xaxis.title.text": "减收金额（元）"}]),
        ])],
    )
    return fig


def warning_levels(households: pl.DataFrame) -> go.Figure:
    """Households per warning level, coloured red/orange/yellow/green (未排查 grey)."""
    figures = figures_of(households)
    labels = [f"{lv}色" if lv != GREEN else "绿色（无预警）" for lv in WARNING_LEVELS]
    counts = [figures[label(f"level_{lv}")] for lv in WARNING_LEVELS]
    colours = [WARNING_COLOURS[lv] for lv in WARNING_LEVELS]
    missing = figures[label("unrated")]
    if missing:
        labels.append(NOT_SURVEYED)
        counts.append(missing)
        colours.append(GREY)
    total = households.height or 1
    fig = _figure(f"预警等级分布（共 {households.height} 户）", height=380)
    fig.add_trace(go.Bar(
        x=labels, y=counts, marker_color=colours, text=counts, textposition="outside",
        customdata=[c / total for c in counts], name="户数",
        hovertemplate="%{x}预警：%{y} 户（占 %{customdata:.1%}）<extra></extra>",
    ))
    fig.update_layout(showlegend=False, yaxis=dict(title=dict(text="户数")),
                      xaxis=dict(title=dict(text="预警等级")))
    return fig


# ---------------------------------------------------------------------------------------
# 五、帮扶措施与台账
# ---------------------------------------------------------------------------------------


def measures_by_kind(measures: pl.DataFrame) -> go.Figure:
    """Measures by kind and lead unit, stacked by status; dropdown: 措施数 or 预计增收."""
    agg = measures.group_by("措施类型", "牵头单位", "状态").agg(
        pl.len().alias("措施数"), pl.col("预计增收").sum().alias("预计增收")
    )
    # Every catalogue measure appears (a zero is worth seeing); a lead unit other than the
    # catalogue's one gets its own bar.
    pairs = [(m.code, m.lead_unit) for m in MEASURES]
    others = {(r["措施类型"], r["牵头单位"]) for r in agg.iter_rows(named=True)} - set(pairs)
    pairs += sorted(others, key=lambda pair: (code_key(pair[0]), pair[1] or ""))  # M10 after M9
    x = [
        f"{measure_name(c)}<br>（{u or '未填牵头单位'}）"
        for c, u in pairs
    ]
    cells = {(r["措施类型"], r["牵头单位"], r["状态"]): r for r in agg.iter_rows(named=True)}
    statuses = [*MEASURE_STATUSES, *sorted(set(agg.get_column("状态").drop_nulls()) - set(MEASURE_STATUSES))]
    fig = _figure(f"帮扶措施按类型和牵头单位（共 {measures.height} 项）", height=440)
    for metric in ("措施数", "预计增收"):
        for status in statuses:
            values = [(cells.get((c, u, status)) or {}).get(metric, 0) or 0 for c, u in pairs]
            unit = "项" if metric == "措施数" else "元"
            fig.add_trace(go.Bar(
                x=x, y=values, name=status, visible=metric == "措施数",
                marker_color=STATUS_COLOURS.get(status, GREY), showlegend=metric == "措施数",
                hovertemplate=f"%{{x}}<br>{status}：%{{y:,.0f}} {unit}<extra></extra>",
            ))
    fig.update_layout(
        barmode="stack",
        yaxis=dict(title=dict(text="措施数（项）"), tickformat=",.0f"),
        xaxis=dict(title=dict(text="措施类型（牵头单位）")),
        updatemenus=[_group_menu([
            ("措施数", {"yaxis.title.text": "措施数（项）"}),
            ("预计增收（元）", {"yaxis.title.text": "预计增收（元/年）"}),
        ], group_size=len(statuses))],
    )
    return fig


COVERAGE_PARTS = (
    ("措施可补足缺口", NEUTRAL[0]),
    ("有措施但不足以补足", NEUTRAL[1]),
    ("尚无措施", NEUTRAL[2]),
)


def coverage(households: pl.DataFrame) -> go.Figure:
    """减收 households by measure coverage, overall and per warning level."""
    # Each bar is the figures of lib.rules.figures over its households: the parts are
    # 可补足缺口的减收户数, 有措施的减收户数 minus those, and 尚无措施的减收户数.
    groups = [("全部减收户", figures_of(households))] + [
        (f"其中{lv}色预警", figures_of(households.filter(pl.col("预警等级") == lv))) for lv in (RED, ORANGE, YELLOW)
    ]
    parts = {
        COVERAGE_PARTS[0][0]: lambda f: f[label("recovering")],
        COVERAGE_PARTS[1][0]: lambda f: f[label("decrease_helped")] - f[label("recovering")],
        COVERAGE_PARTS[2][0]: lambda f: f[label("decrease_unhelped")],
    }
    fig = _figure(f"减收户帮扶措施覆盖情况（减收 {groups[0][1][DECREASE]} 户）", height=360)
    names = [g for g, _ in groups]
    for part, colour in COVERAGE_PARTS:
        counts = [parts[part](f) for _, f in groups]
        sizes = [f[DECREASE] or 1 for _, f in groups]
        fig.add_trace(go.Bar(
            y=names, x=counts, name=part, orientation="h", marker_color=colour,
            text=[str(c) if c else "" for c in counts], textposition="inside",
            customdata=[c / s for c, s in zip(counts, sizes, strict=True)],
            hovertemplate=f"%{{y}}：{part} %{{x}} 户（%{{customdata:.0%}}）<extra></extra>",
        ))
    fig.update_layout(barmode="stack", xaxis=dict(title=dict(text="户数")),
                      yaxis=dict(autorange="reversed"))
    return fig


# ---------------------------------------------------------------------------------------
# District overview
# ---------------------------------------------------------------------------------------


RANKING_FIGURES = ("households", "surveyed", "not_surveyed", "decrease", f"level_{RED}", f"level_{ORANGE}",
                   "decrease_share", "red_share")


def village_ranking(households: pl.DataFrame) -> pl.DataFrame:
    """Per village: households, surveyed, 减收 and red counts and shares, most at risk first.

    The figures of lib.rules.figures (``RANKING_FIGURES``; 减收户占比 is of surveyed
    households, 红色预警户占比 of all); ties break on red share, then the village name.
    """
    decrease_share, red_share = label("decrease_share"), label("red_share")
    return (
        village_figures(households)
        .filter(pl.col("村") != DISTRICT)
        .select("村", *(label(k) for k in RANKING_FIGURES))
        .sort([decrease_share, red_share, "村"], descending=[True, True, False], nulls_last=True)
    )


def villages_ranked(households: pl.DataFrame) -> go.Figure:
    """Villages side by side, ranked by share of 减收 and of red households (dropdown re-sorts)."""
    rank = village_ranking(households)
    villages = rank.get_column("村").to_list()
    by_red = rank.sort([label("red_share"), label("decrease_share"), "村"], descending=[True, True, False],
                       nulls_last=True).get_column("村").to_list()
    fig = _figure("各村减收户与红色预警户占比", height=max(360, 120 + 34 * len(villages)))
    for column, count, colour, name in (
        (label("decrease_share"), label("decrease"), NEUTRAL[0], "减收户占已排查户"),
        (label("red_share"), label(f"level_{RED}"), WARNING_COLOURS[RED], "红色预警户占全部户"),
    ):
        fig.add_trace(go.Bar(
            y=villages, x=rank.get_column(column).to_list(), name=name, orientation="h",
            marker_color=colour,
            customdata=list(
                zip(rank.get_column(count).to_list(), rank.get_column("户数").to_list(), strict=True)
            ),
            hovertemplate=(
                f"%{{y}}<br>{name}：%{{x:.1%}}（%{{customdata[0]}} 户 / 共 %{{customdata[1]}} 户）<extra></extra>"
            ),
        ))
    fig.update_layout(
        barmode="group",
        xaxis=dict(title=dict(text="占比"), tickformat=".0%"),
        yaxis=dict(categoryorder="array", categoryarray=villages[::-1], title=dict(text="村")),
        updatemenus=[_menu([
            dict(label="按减收户占比排序", method="relayout", args=[{"yaxis.categoryarray": villages[::-1]}]),
            dict(label="按红色预警户占比排序", method="relayout", args=[{"yaxis.categoryarray": by_red[::-1]}]),
        ])],
    )
    return fig


# The three FGT indices by their Chinese names (the formula is in the district page's appendix).
FGT_MEASURES = (("P0", "贫困发生率"), ("P1", "贫困深度"), ("P2", "贫困强度"))


def fgt_by_village(fgt: pl.DataFrame, year_last: int, year_this: int) -> go.Figure:
    """FGT P0/P1/P2 per village (全区 first), both years; dropdown picks the index."""
    villages = sorted(set(fgt.get_column("村").to_list()) - {"全区"})
    if "全区" in fgt.get_column("村").to_list():
        villages = ["全区", *villages]
    fig = _figure("贫困发生率、深度和强度（按各年监测线，以人口计）", height=420)
    for i, (metric, measure_label) in enumerate(FGT_MEASURES):
        for year, colour in ((year_last, LAST_COLOUR), (year_this, THIS_COLOUR)):
            rows = {r["村"]: r for r in fgt.filter(pl.col("年度") == year).iter_rows(named=True)}
            fig.add_trace(go.Bar(
                x=villages, y=[(rows.get(v) or {}).get(metric) for v in villages],
                name=f"{year}年", marker_color=colour, visible=i == 0, showlegend=i == 0,
                customdata=[[(rows.get(v) or {}).get("监测线"), (rows.get(v) or {}).get("人数")] for v in villages],
                hovertemplate=(f"%{{x}} {year}年<br>{measure_label}：%{{y:.4f}}<br>"
                               "监测线 %{customdata[0]:,.0f} 元，人口 %{customdata[1]} 人<extra></extra>"),
            ))
    fig.update_layout(
        barmode="group",
        yaxis=dict(title=dict(text=FGT_MEASURES[0][1]), tickformat=".1%"),
        xaxis=dict(title=dict(text="村")),
        updatemenus=[_group_menu([
            (name, {"yaxis.title.text": name, "yaxis.tickformat": ".1%" if metric == "P0" else ".4f"})
            for metric, name in FGT_MEASURES
        ], group_size=2)],
    )
    return fig


def _band_order(values: Sequence[str], bands: Sequence[str]) -> list[str]:
    present = list(dict.fromkeys(values))
    return [b for b in bands if b in present] + [b for b in present if b not in bands]


def transitions(trans: pl.DataFrame, year_last: int, year_this: int, policy: Policy | None = None) -> go.Figure:
    """Households moving between income bands (below the line, up to the orange multiple,
    above): one bar per band of last year, split by this year's band; ``policy`` names the
    bands (default: the shipped policy). Drawn as stacked bars, not a sankey, so that the
    page's partial plotly.js (bar and waterfall traces, see lib/report/html.py) draws it."""
    from lib.rules.poverty import band_labels
    from lib.policy import default_policy

    bands = band_labels(policy or default_policy())
    last = _band_order(trans.get_column("上年区间").to_list(), bands)
    this = _band_order(trans.get_column("本年区间").to_list(), bands)
    colour = dict(zip(bands, BAND_COLOURS, strict=True))
    totals_last = {b: int(trans.filter(pl.col("上年区间") == b).get_column("户数").sum()) for b in last}
    rows = [f"{year_last}年 {b}（{totals_last[b]} 户）" for b in last]
    fig = _figure(f"收入区间变化（{year_last}→{year_this}年，按各年监测线）", height=420,
                  barmode="stack", xaxis_title="户数", yaxis=dict(autorange="reversed"),
                  legend_title_text=f"{year_this}年", legend_traceorder="normal")
    for band in this:
        moved = {s: int(n) for s, n in trans.filter(pl.col("本年区间") == band)
                 .group_by("上年区间").agg(pl.col("户数").sum()).iter_rows()}
        fig.add_trace(go.Bar(
            name=f"{band}（{sum(moved.values())} 户）", orientation="h", y=rows,
            x=[moved.get(s, 0) for s in last], marker_color=colour.get(band, GREY),
            hovertemplate=f"%{{y}} → {year_this}年 {band}：%{{x}} 户<extra></extra>",
        ))
    return fig
