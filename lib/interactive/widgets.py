"""ipywidgets wiring for the explore and what-if notebooks, kept out of the notebooks so it
is tested without a kernel (tests set ``.value`` and press buttons with ``.click()``).

Every callback calls ``lib.interactive.explore`` / ``lib.interactive.what_if``; this module only builds controls
and plotly figures; its tables are ``lib.present.tables.table_markup`` in the ``PLAIN`` look. The figure builders are plain ``go.Figure`` functions, so
the papermill (static) run of the what-if notebook draws the same charts without widgets.
"""

from __future__ import annotations

from lib.present.notebook import avoid_slow_imports

avoid_slow_imports()  # FigureWidget pulls in nbformat → jsonschema; skip its slow optional import

import ipywidgets as w  # noqa: E402
import plotly.graph_objects as go  # noqa: E402
import polars as pl  # noqa: E402

from lib.interactive.allocation import OPTIMAL, PLACEMENTS  # noqa: E402
from lib.catalogue import JUDGEMENTS  # noqa: E402
from lib.interactive.explore import (  # noqa: E402
    NET_INCOME,
    filter_households,
    filter_options,
    household_detail,
    household_table,
    income_by_village,
    income_choices,
    risk_counts,
    village_summary,
)
from lib.interactive.what_if import DISTRICT, PLAN_PRESET, Levers, Scenario, run_scenario  # noqa: E402
from lib.present.format import LIST_SEPARATOR, escape, measure_name, yuan  # noqa: E402
from lib.present.tables import PLAIN, table_markup  # noqa: E402

JUDGEMENT_COLOURS = {"增收": "#2e7d32", "持平": "#9e9e9e", "减收": "#c62828", "未排查": "#f9a825", "已退出": "#90a4ae"}
BEFORE_COLOUR, AFTER_COLOUR = "#90a4ae", "#1565c0"
TABLE_MAX_ROWS = 200  # the household table shows this many rows; the count says how many matched


# ---------------------------------------------------------------------------------------
# Plain figures and tables (static and widget views share them)
# ---------------------------------------------------------------------------------------


def _layout(fig: go.Figure, title: str, **kw) -> go.Figure:
    fig.update_layout(title=title, template="plotly_white", height=360, margin=dict(l=50, r=20, t=50, b=40), **kw)
    return fig


def village_figure(summary: pl.DataFrame) -> go.Figure:
    """Households per village, stacked by 收入研判 (one trace per judgement, fixed order)."""
    fig = go.Figure(
        [
            go.Bar(name=j, x=summary["村"].to_list(), y=summary[j].to_list(), marker_color=JUDGEMENT_COLOURS[j])
            for j in JUDGEMENTS
        ]
    )
    return _layout(fig, "各村户数（按收入研判）", barmode="stack", yaxis_title="户")


def income_figure(by_village: pl.DataFrame, choice: str) -> go.Figure:
    """The chosen income per village, last year vs this year (two traces)."""
    fig = go.Figure(
        [
            go.Bar(name="上年", x=by_village["村"].to_list(), y=by_village["上年"].to_list(), marker_color=BEFORE_COLOUR),
            go.Bar(name="本年", x=by_village["村"].to_list(), y=by_village["本年"].to_list(), marker_color=AFTER_COLOUR),
        ]
    )
    return _layout(fig, f"{choice}（元，所选户合计）", barmode="group", yaxis_title="元")


def risk_figure(counts: pl.DataFrame) -> go.Figure:
    """Households per risk point (all nine, one trace)."""
    labels = [f"{c} {l}" for c, l in zip(counts["风险点代码"], counts["风险点"])]
    fig = go.Figure([go.Bar(name="户数", x=labels, y=counts["涉及户数"].to_list(), marker_color="#c62828")])
    return _layout(fig, "减收风险点（户数）", yaxis_title="户")


def comparison_figure(comparison: pl.DataFrame) -> go.Figure:
    """减收 and red households per village, before vs after (four traces; district row left out)."""
    v = comparison.filter(pl.col("村") != DISTRICT)
    x = v["村"].to_list()
    fig = go.Figure(
        [
            go.Bar(name="调整前减收户", x=x, y=v["调整前减收户"].to_list(), marker_color=BEFORE_COLOUR),
            go.Bar(name="调整后减收户", x=x, y=v["调整后减收户"].to_list(), marker_color=AFTER_COLOUR),
            go.Bar(name="调整前红色预警户", x=x, y=v["调整前红色预警户"].to_list(), marker_color="#ef9a9a"),
            go.Bar(name="调整后红色预警户", x=x, y=v["调整后红色预警户"].to_list(), marker_color="#c62828"),
        ]
    )
    return _layout(fig, "调整前后各村减收户和红色预警户", barmode="group", yaxis_title="户")


def _table(frame: pl.DataFrame, **options) -> str:
    return table_markup(frame, look=PLAIN, **options)


def detail_html(detail) -> str:
    """The drill-down of one household as HTML."""
    p = detail.profile
    recs = LIST_SEPARATOR.join(measure_name(c) for c in (p.get("推荐措施") or [])) or "无"
    facts = (
        f"<p>上年人均纯收入 {yuan(p.get('上年人均纯收入'))}，本年 {yuan(p.get('本年人均纯收入'))}；"
        f"预警等级 {escape(p.get('预警等级') or '—')}；推荐措施：{escape(recs)}</p>"
    )
    parts = [f"<h4>{escape(detail.title)}</h4>", f"<p>{escape(detail.explanation)}</p>", facts]
    parts += ["<b>逐项收入</b>", _table(detail.items)]
    if detail.risks.height:
        parts += ["<b>减收风险点</b>", _table(detail.risks)]
    if detail.recommendations.height:
        parts += ["<b>推荐措施</b>", _table(detail.recommendations)]
    parts += ["<b>已有帮扶措施</b>", _table(detail.measures) if detail.measures.height else "<p>无</p>"]
    return "".join(parts)


def _sync(widget: go.FigureWidget, fig: go.Figure) -> None:
    """Copy a freshly built figure's trace data and title into a FigureWidget (same traces)."""
    with widget.batch_update():
        for trace, new in zip(widget.data, fig.data):
            trace.x, trace.y = new.x, new.y
        widget.layout.title = fig.layout.title


# ---------------------------------------------------------------------------------------
# Explore
# ---------------------------------------------------------------------------------------


class ExploreApp:
    """Filters → linked charts, household table and drill-down. ``ui`` is the container."""

    def __init__(self, analysis, max_rows: int = TABLE_MAX_ROWS):
        self.analysis, self.max_rows = analysis, max_rows
        opts = filter_options(analysis.households)
        multi = dict(rows=5, layout=w.Layout(width="220px"), style={"description_width": "70px"})
        self.villages = w.SelectMultiple(options=opts["villages"], description="村", **multi)
        self.household_types = w.SelectMultiple(options=opts["household_types"], description="户类型", **multi)
        self.categories = w.SelectMultiple(options=opts["categories"], description="监测类别", **multi)
        self.risk_codes = w.SelectMultiple(options=opts["risk_codes"], description="风险点", **multi)
        self.warning_levels = w.SelectMultiple(options=opts["warning_levels"], description="预警等级", **multi)
        self.judgements = w.SelectMultiple(options=opts["judgements"], description="收入研判", **multi)
        self.income_item = w.Dropdown(options=income_choices(), value=NET_INCOME, description="收入项目")
        self.clear = w.Button(description="清除筛选", icon="times")
        self.count = w.HTML()
        self.table = w.HTML()
        self.household = w.Dropdown(options=[], description="查看户")
        self.detail = w.HTML()
        self.filtered = analysis.households
        self.fig_villages = go.FigureWidget(village_figure(village_summary(analysis.households)))
        self.fig_income = go.FigureWidget(
            income_figure(income_by_village(analysis.households, analysis.items, NET_INCOME), NET_INCOME)
        )
        self.fig_risks = go.FigureWidget(risk_figure(risk_counts(analysis.households, analysis.risks)))
        for trace in self.fig_villages.data:
            trace.on_click(self._on_village_click)

        self.filters = (self.villages, self.household_types, self.categories, self.risk_codes, self.warning_levels, self.judgements)
        for control in (*self.filters, self.income_item):
            control.observe(self._on_change, names="value")
        self.household.observe(self._on_household, names="value")
        self.clear.on_click(lambda _: self.clear_filters())

        self.ui = w.VBox(
            [
                w.HBox(list(self.filters[:3])),
                w.HBox([*self.filters[3:], w.VBox([self.income_item, self.clear])]),
                self.count,
                w.HBox([self.fig_villages, self.fig_income]),
                self.fig_risks,
                self.table,
                self.household,
                self.detail,
            ]
        )
        self.refresh()

    def _on_change(self, _change=None) -> None:
        self.refresh()

    def _on_village_click(self, trace, points, _state) -> None:
        # clicking a village's bar narrows the filter to that village
        if points.point_inds:
            self.select_village(trace.x[points.point_inds[0]])

    def select_village(self, village: str) -> None:
        self.villages.value = (village,)

    def clear_filters(self) -> None:
        for control in self.filters:
            control.value = ()

    def refresh(self) -> None:
        a = self.analysis
        self.filtered = filter_households(
            a.households,
            villages=self.villages.value,
            household_types=self.household_types.value,
            categories=self.categories.value,
            risk_codes=self.risk_codes.value,
            warning_levels=self.warning_levels.value,
            judgements=self.judgements.value,
        )
        choice = self.income_item.value
        _sync(self.fig_villages, village_figure(village_summary(self.filtered)))
        _sync(self.fig_income, income_figure(income_by_village(self.filtered, a.items, choice), choice))
        _sync(self.fig_risks, risk_figure(risk_counts(self.filtered, a.risks)))
        self.count.value = f"<b>符合条件 {self.filtered.height} 户</b>（共 {a.households.height} 户）"
        self.table.value = _table(household_table(self.filtered), max_rows=self.max_rows, unit="户")
        ids = self.filtered["户编号"].to_list()
        labels = [f"{i} {n or ''}".strip() for i, n in zip(ids, self.filtered["户主姓名"].to_list())]
        current = self.household.value
        self.household.options = list(zip(labels, ids))
        self.household.value = current if current in ids else (ids[0] if ids else None)
        self._on_household()

    def _on_household(self, _change=None) -> None:
        hid = self.household.value
        self.detail.value = "" if hid is None else detail_html(household_detail(self.analysis, hid))


def explore_widget(analysis, max_rows: int = TABLE_MAX_ROWS) -> ExploreApp:
    """The explore view for an Analysis; display ``app.ui`` in the notebook."""
    return ExploreApp(analysis, max_rows)


# ---------------------------------------------------------------------------------------
# What-if
# ---------------------------------------------------------------------------------------


def scenario_summary_html(scenario: Scenario) -> str:
    d = scenario.district
    return (
        f"<p><b>全区</b>：减收户 {d['调整前减收户']} → {d['调整后减收户']}；"
        f"恢复到上年收入 {d['恢复上年收入户']} 户；红色预警户 {d['调整前红色预警户']} → {d['调整后红色预警户']}；"
        f"弥补收入缺口 {yuan(d['弥补缺口'])}；投入成本 {yuan(d['投入成本'])}/年"
        + (f"；{scenario.posts.unplaced} 个岗位无合适户未安置" if scenario.posts.unplaced else "")
        + "</p>"
    )


class WhatIfApp:
    """Lever sliders → re-run the rules → before/after table, chart and placements."""

    def __init__(self, data, policy, before=None, years=None):
        from lib.rules.analysis import analyze

        self.data, self.policy = data, policy
        self.before = before if before is not None else analyze(data, policy, years=years)
        y = self.before.year_this
        self._base = {"dibao": policy.dibao(y), "line": policy.threshold(y), "band": policy.flat_band}
        slider = dict(continuous_update=False, style={"description_width": "150px"}, layout=w.Layout(width="460px"))
        self.posts = w.IntSlider(value=0, min=0, max=max(20, self.before.households.height // 5), description="新增公益岗位（个）", **slider)
        self.pay = w.IntSlider(value=int(PLAN_PRESET.post_monthly_pay), min=0, max=3000, step=50, description="岗位月补贴（元）", **slider)
        self.months = w.IntSlider(value=PLAN_PRESET.post_months, min=1, max=12, description="每年在岗月数", **slider)
        self.placement = w.ToggleButtons(options=PLACEMENTS, value=OPTIMAL, description="安置方式")
        self.industry = w.IntSlider(value=0, min=0, max=10000, step=100, description="无劳动力户产业分配（元/年）", **slider)
        self.dibao = w.IntSlider(value=int(self._base["dibao"]), min=0, max=20000, step=100, description=f"{y}年低保标准（元）", **slider)
        self.line = w.IntSlider(value=int(self._base["line"]), min=1000, max=20000, step=100, description=f"{y}年监测线（元）", **slider)
        self.band = w.FloatSlider(value=self._base["band"], min=0.0, max=0.2, step=0.005, readout_format=".1%", description="持平区间", **slider)
        self.preset = w.Button(description=f"方案预设：{PLAN_PRESET.posts}人公益岗", button_style="info")
        self.reset = w.Button(description="恢复现状")
        self.summary = w.HTML()
        self.table = w.HTML()
        self.placements = w.HTML()
        self._hold = False
        self.scenario: Scenario = run_scenario(data, policy, self.levers(), before=self.before)
        self.figure = go.FigureWidget(comparison_figure(self.scenario.comparison))

        self.levers_controls = (self.posts, self.pay, self.months, self.placement, self.industry, self.dibao, self.line, self.band)
        for control in self.levers_controls:
            control.observe(self._on_change, names="value")
        self.preset.on_click(lambda _: self.apply(PLAN_PRESET))
        self.reset.on_click(lambda _: self.apply(Levers()))
        self.ui = w.VBox(
            [
                w.HBox([w.VBox(list(self.levers_controls[:4])), w.VBox(list(self.levers_controls[4:]))]),
                w.HBox([self.preset, self.reset]),
                self.summary,
                self.figure,
                self.table,
                self.placements,
            ]
        )
        self._render()

    def levers(self) -> Levers:
        """The sliders as Levers; a rule lever left at the policy's value counts as unchanged."""

        def changed(value, base):
            return None if abs(value - base) < 1e-9 else float(value)

        return Levers(
            posts=self.posts.value,
            post_monthly_pay=float(self.pay.value),
            post_months=self.months.value,
            placement=self.placement.value,
            industry_per_household=float(self.industry.value),
            dibao_standard=changed(self.dibao.value, self._base["dibao"]),
            monitoring_threshold=changed(self.line.value, self._base["line"]),
            flat_band=changed(self.band.value, self._base["band"]),
        )

    def apply(self, levers: Levers) -> None:
        """Set every slider from ``levers`` and recompute once."""
        self._hold = True
        try:
            self.posts.max = max(self.posts.max, levers.posts)
            self.posts.value = levers.posts
            self.pay.value = int(levers.post_monthly_pay)
            self.months.value = levers.post_months
            self.placement.value = levers.placement
            self.industry.value = int(levers.industry_per_household)
            self.dibao.value = int(self._base["dibao"] if levers.dibao_standard is None else levers.dibao_standard)
            self.line.value = int(self._base["line"] if levers.monitoring_threshold is None else levers.monitoring_threshold)
            self.band.value = self._base["band"] if levers.flat_band is None else levers.flat_band
        finally:
            self._hold = False
        self.update()

    def _on_change(self, _change=None) -> None:
        if not self._hold:
            self.update()

    def update(self) -> None:
        self.scenario = run_scenario(self.data, self.policy, self.levers(), before=self.before)
        self._render()

    def _render(self) -> None:
        s = self.scenario
        self.summary.value = scenario_summary_html(s)
        _sync(self.figure, comparison_figure(s.comparison))
        self.table.value = "<b>调整前后对比（按村）</b>" + _table(s.comparison)
        self.placements.value = (
            "<b>公益岗位安置</b>" + _table(s.posts.chosen) if s.posts.placed else "<p>未安置公益岗位。</p>"
        )


def what_if_widget(data, policy, before=None, years=None) -> WhatIfApp:
    """The what-if view; display ``app.ui`` in the notebook."""
    return WhatIfApp(data, policy, before=before, years=years)


__all__ = [
    "ExploreApp", "WhatIfApp", "comparison_figure", "detail_html", "explore_widget", "income_figure",
    "risk_figure", "scenario_summary_html", "village_figure", "what_if_widget",
]
