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

import json  # noqa: E402
from pathlib import Path  # noqa: E402

from lib.interactive.allocation import GOALS, PLACEMENTS  # noqa: E402
from lib.catalogue import INCOME_KINDS, JUDGEMENTS  # noqa: E402
from lib.interactive.explore import (  # noqa: E402
    NET_INCOME,
    QUICK_FILTERS,
    TABLE_COLUMNS,
    export_households,
    filter_households,
    filter_options,
    household_detail,
    household_table,
    income_by_village,
    income_choices,
    income_trend,
    risk_counts,
    table_page,
    village_summary,
)
from lib.interactive.what_if import (  # noqa: E402
    DISTRICT, LEVER_NOTES, PLAN_PRESET, Levers, Scenario, compare_goals, conclusion, dibao_changes, goal_tradeoffs,
    key_figures, lever_effects, plan_actions, run_scenario,
)
from lib.present.format import LIST_SEPARATOR, escape, measure_name, yuan  # noqa: E402
from lib.present.keypoints import chinese_date, key_points_box  # noqa: E402
from lib.present.tables import PLAIN, table_markup  # noqa: E402

JUDGEMENT_COLOURS = {"增收": "#2e7d32", "持平": "#9e9e9e", "减收": "#c62828", "未排查": "#f9a825", "已退出": "#90a4ae"}
BEFORE_COLOUR, AFTER_COLOUR = "#90a4ae", "#1565c0"
TABLE_MAX_ROWS = 50  # rows per page of the household table (every matching household is a page away)
CHART_WIDTH = 1000  # px: fits a 1,366 px screen with JupyterLab's side bar open
WAN = 10_000.0  # yuan per 万元: money axes read in 万元, not "10M" / "400k"


# ---------------------------------------------------------------------------------------
# Plain figures and tables (static and widget views share them)
# ---------------------------------------------------------------------------------------


def _layout(fig: go.Figure, title: str, **kw) -> go.Figure:
    fig.update_layout(title=title, template="plotly_white", height=360, width=CHART_WIDTH,
                      margin=dict(l=60, r=20, t=50, b=40), separators=".,", **kw)
    return fig


def village_figure(summary: pl.DataFrame, note: str = "") -> go.Figure:
    """Households per village, stacked by 收入研判 (one trace per judgement, fixed order);
    ``note`` (e.g. the filter's count) goes into the title, so a title always names its data."""
    fig = go.Figure(
        [
            go.Bar(name=j, x=summary["村"].to_list(), y=summary[j].to_list(), marker_color=JUDGEMENT_COLOURS[j])
            for j in JUDGEMENTS
        ]
    )
    return _layout(fig, "各村户数（按收入研判）" + note, barmode="stack", yaxis_title="户")


def income_figure(by_village: pl.DataFrame, choice: str, note: str = "") -> go.Figure:
    """The chosen income per village, last year vs this year (two traces), in 万元 per village
    (the households' sum, not per person)."""
    x = by_village["村"].to_list()
    fig = go.Figure(
        [
            go.Bar(name=name, x=x, y=[v / WAN for v in by_village[column].to_list()], marker_color=colour,
                   hovertemplate="%{x}：%{y:,.2f} 万元<extra>" + name + "</extra>")
            for name, column, colour in (("上年", "上年", BEFORE_COLOUR), ("本年", "本年", AFTER_COLOUR))
        ]
    )
    return _layout(fig, f"{choice}（万元，所选户合计）{note}", barmode="group", yaxis_title="万元（各村所选户合计）",
                   yaxis_tickformat=",.1f")


def risk_figure(counts: pl.DataFrame, note: str = "") -> go.Figure:
    """Households per risk point (all nine, one trace)."""
    labels = [f"{c} {l}" for c, l in zip(counts["风险点代码"], counts["风险点"])]
    fig = go.Figure([go.Bar(name="户数", x=labels, y=counts["涉及户数"].to_list(), marker_color="#c62828")])
    return _layout(fig, "减收风险点（户数）" + note, yaxis_title="户")


KIND_COLOURS = ("#1565c0", "#2e7d32", "#f9a825", "#8e24aa")


def trend_figure(trend: pl.DataFrame, title: str) -> go.Figure:
    """Per-capita income by kind over every year of the data (stacked bars, 元/人) with each
    year's monitoring line: one household, or the pooled households of a selection."""
    years = [str(y) for y in trend["年度"].to_list()]
    members = trend["家庭人口数"].to_list()
    per_person = lambda column: [(v / m if m else None) for v, m in zip(trend[column].to_list(), members)]  # noqa: E731
    bars = [go.Bar(name=kind, x=years, y=per_person(kind), marker_color=colour,
                   hovertemplate="%{x}年：%{y:,.0f} 元/人<extra>" + kind + "</extra>")
            for kind, colour in zip(INCOME_KINDS, KIND_COLOURS)]
    lines = [
        go.Scatter(name="人均纯收入", x=years, y=trend["人均纯收入"].to_list(), mode="lines+markers", line=dict(color="#212121")),
        go.Scatter(name="当年监测线", x=years, y=trend["监测线"].to_list(), mode="lines+markers",
                   line=dict(color="#c62828", dash="dash")),
    ]
    fig = go.Figure([*bars, *lines])
    return _layout(fig, title, barmode="relative", yaxis_title="元/人（人均）", yaxis_tickformat=",.0f",
                   xaxis_type="category")


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


def chart_bundle(fig: go.Figure) -> dict:
    """A figure as an output of an ``ipywidgets.Output``: plotly's own mimetype, drawn by
    JupyterLab's plotly extension. The output is widget state, so every view of it (a tab
    shown again, a window resized, the notebook reopened) draws the current figure."""
    return {"output_type": "display_data", "metadata": {},
            "data": {"application/vnd.plotly.v1+json": json.loads(fig.to_json()), "text/plain": str(fig.layout.title.text)}}


def _chart_area() -> w.Output:
    return w.Output(layout=w.Layout(width="100%", overflow="hidden"))


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



# ---------------------------------------------------------------------------------------
# Explore
# ---------------------------------------------------------------------------------------


def _select(options, description, rows=5, width="200px"):
    return w.SelectMultiple(options=options, description=description, rows=rows,
                            layout=w.Layout(width=width), style={"description_width": "60px"})


def household_label(row: dict) -> str:
    """How the picker lists a household: 户编号 户主（村）, searchable by any of the three."""
    return f"{row['户编号']} {row.get('户主姓名') or ''}（{row['村']}）"


class ExploreApp:
    """Filters → linked charts, the household list and one household's detail, all redrawn
    from one filter state by ``refresh`` on every change. ``ui`` is the container."""

    CHARTS = ("villages", "income", "risks", "trend_selection", "trend_household")

    def __init__(self, analysis, data=None, policy=None, root: Path | None = None, villages=(),
                 page_size: int = TABLE_MAX_ROWS):
        from lib.interactive.session import PROJECT_ROOT

        self.analysis, self.data, self.policy = analysis, data, policy if policy is not None else analysis.policy
        self.root, self.page_size = Path(root) if root else PROJECT_ROOT, page_size
        self._hold = False
        opts = filter_options(analysis.households)
        self.villages = _select(opts["villages"], "村")
        self.judgements = _select(opts["judgements"], "收入研判", rows=4)
        self.measure_states = _select(opts["measure_states"], "措施状态", rows=3)
        self.warning_levels = _select(opts["warning_levels"], "预警等级", rows=4)
        self.categories = _select(opts["categories"], "监测类别")
        self.household_types = _select(opts["household_types"], "户类型")
        self.risk_codes = _select(opts["risk_codes"], "风险点", width="260px")
        self.quick = {name: w.ToggleButton(description=name, tooltip=f"只看{name}的户", layout=w.Layout(width="120px"))
                      for name in QUICK_FILTERS}
        self.income_item = w.Dropdown(options=income_choices(), value=NET_INCOME, description="收入项目")
        self.clear = w.Button(description="清除筛选", icon="times")
        self.count = w.HTML()
        self.outputs = {name: _chart_area() for name in self.CHARTS}
        self.figures: dict[str, go.Figure] = {}
        # the household list: search, sort, pages, export
        self.search = w.Text(placeholder="搜索户编号、户主、措施……", description="搜索", layout=w.Layout(width="300px"))
        self.sort_by = w.Dropdown(options=[("（原顺序）", "")] + [(c, c) for c in TABLE_COLUMNS], value="",
                                  description="排序", layout=w.Layout(width="300px"))
        self.descending = w.ToggleButton(value=True, description="从大到小", layout=w.Layout(width="100px"))
        self.previous = w.Button(description="上一页", layout=w.Layout(width="80px"))
        self.next = w.Button(description="下一页", layout=w.Layout(width="80px"))
        self.page_label = w.HTML()
        self.export = w.Button(description="导出 Excel", icon="download", button_style="success")
        self.exported = w.HTML()
        self.table = w.HTML(layout=w.Layout(overflow="auto", max_height="560px"))
        self.household = w.Combobox(placeholder="输入户编号或户主姓名", description="查看户", ensure_option=True,
                                    layout=w.Layout(width="340px"))
        self.detail = w.HTML()
        self.page = 0
        self.filtered = analysis.households
        self.listed = household_table(self.filtered)
        self.household_id: str | None = None
        self.last_export: Path | None = None

        self.filters = (self.villages, self.judgements, self.measure_states, self.warning_levels, self.categories,
                        self.household_types, self.risk_codes)
        for control in (*self.filters, *self.quick.values(), self.income_item):
            control.observe(self._on_change, names="value")
        for control in (self.search, self.sort_by, self.descending):
            control.observe(self._on_table_change, names="value")
        self.previous.on_click(lambda _: self.turn(-1))
        self.next.on_click(lambda _: self.turn(1))
        self.export.on_click(lambda _: self.export_list())
        self.household.observe(self._on_household, names="value")
        self.clear.on_click(lambda _: self.clear_filters())

        o = self.outputs
        self.tabs = w.Tab(children=[
            w.VBox([o["villages"], o["income"], o["risks"]]),
            w.HBox([
                w.VBox([w.HBox([self.search, self.sort_by, self.descending]), self.table,
                        w.HBox([self.previous, self.page_label, self.next, self.export]), self.exported],
                       layout=w.Layout(width="64%")),
                w.VBox([self.household, self.detail], layout=w.Layout(width="35%", overflow="auto")),
            ]),
            w.VBox([o["trend_selection"], o["trend_household"]]),
        ])
        for i, title in enumerate(("概况图表", "户清单与单户", "历年趋势")):
            self.tabs.set_title(i, title)
        self.ui = w.VBox([
            w.HBox(list(self.filters[:4])),
            w.HBox([*self.filters[4:], w.VBox([self.income_item, self.clear])]),
            w.HBox([w.HTML("<b>快捷筛选：</b>"), *self.quick.values()]),
            self.count,
            self.tabs,
        ], layout=w.Layout(max_width="100%"))
        if villages:
            self._hold = True
            self.villages.value = tuple(villages)
        self._hold = False
        self.refresh()

    # -- the one filter state ------------------------------------------------------------

    def state(self) -> dict:
        return {
            "villages": self.villages.value, "household_types": self.household_types.value,
            "categories": self.categories.value, "risk_codes": self.risk_codes.value,
            "warning_levels": self.warning_levels.value, "judgements": self.judgements.value,
            "measure_states": self.measure_states.value,
            "quick": [name for name, button in self.quick.items() if button.value],
        }

    def describe(self) -> str:
        """The filter in words, for the count line and chart titles."""
        parts = [LIST_SEPARATOR.join(str(v) for v in values) for key, values in self.state().items() if values]
        return " · ".join(parts) if parts else "全部户"

    def _on_change(self, _change=None) -> None:
        if not self._hold:
            self.refresh()

    def _on_table_change(self, _change=None) -> None:
        self.page = 0
        self._render_table()

    def select_village(self, village: str) -> None:
        self.villages.value = (village,)

    def clear_filters(self) -> None:
        self._hold = True
        try:
            for control in self.filters:
                control.value = ()
            for button in self.quick.values():
                button.value = False
        finally:
            self._hold = False
        self.refresh()

    def _show(self, name: str, fig: go.Figure) -> None:
        self.figures[name] = fig
        self.outputs[name].outputs = (chart_bundle(fig),)

    def refresh(self) -> None:
        """Filter once; redraw every chart, title, the count, the list and the detail from it."""
        a = self.analysis
        self.filtered = filter_households(a.households, **self.state())
        note = f"（{self.describe()}，{self.filtered.height} 户）"
        choice = self.income_item.value
        self._show("villages", village_figure(village_summary(self.filtered), note))
        self._show("income", income_figure(income_by_village(self.filtered, a.items, choice), choice, note))
        self._show("risks", risk_figure(risk_counts(self.filtered, a.risks), note))
        self.count.value = f"<b>符合条件 {self.filtered.height} 户</b>（共 {a.households.height} 户；{escape(self.describe())}）"
        self.listed = household_table(self.filtered)
        self.page = 0
        self._render_table()
        rows = self.filtered.select("户编号", "户主姓名", "村").to_dicts()
        self._labels = {household_label(r): r["户编号"] for r in rows}
        self.household.options = list(self._labels)
        keep = self.household_id if self.household_id in self.filtered["户编号"].to_list() else (rows[0]["户编号"] if rows else None)
        self.select_household(keep)
        self._render_selection_trend(note)

    def _render_table(self) -> None:
        page = table_page(self.listed, self.search.value, self.sort_by.value or None, self.descending.value,
                          self.page, self.page_size)
        self.page = page.page
        self.shown = page
        self.table.value = _table(page.rows, max_rows=self.page_size, unit="户")
        self.page_label.value = f"第 {page.page + 1}/{page.pages} 页，共 {page.matched} 户"

    def turn(self, step: int) -> None:
        self.page += step
        self._render_table()

    def table_rows(self) -> pl.DataFrame:
        """Every household of the list as searched and sorted (all pages): what the export writes."""
        return table_page(self.listed, self.search.value, self.sort_by.value or None, self.descending.value,
                          0, max(1, self.listed.height)).rows

    def export_list(self) -> Path:
        rows = self.table_rows()
        self.last_export = export_households(rows, self.root)
        shown = self.last_export.relative_to(self.root) if self.last_export.is_relative_to(self.root) else self.last_export
        self.exported.value = f"已导出 {rows.height} 户：{escape(str(shown))}"
        return self.last_export

    def select_household(self, household_id: str | None) -> None:
        self.household_id = household_id
        label = next((k for k, v in getattr(self, "_labels", {}).items() if v == household_id), "")
        if self.household.value != label:
            self._picking = True
            self.household.value = label
            self._picking = False
        self.detail.value = "" if household_id is None else detail_html(household_detail(self.analysis, household_id))
        self._render_household_trend()

    def _on_household(self, change=None) -> None:
        if getattr(self, "_picking", False):
            return
        hid = self._labels.get(self.household.value)
        if hid is not None and hid != self.household_id:
            self.select_household(hid)

    def _trend(self, ids) -> pl.DataFrame | None:
        return None if self.data is None else income_trend(self.data, self.policy, ids)

    def _render_selection_trend(self, note: str) -> None:
        trend = self._trend(self.filtered["户编号"].to_list())
        if trend is not None:
            self._show("trend_selection", trend_figure(trend, f"所选户历年人均收入（按收入类别）{note}"))

    def _render_household_trend(self) -> None:
        if self.household_id is None or self.data is None:
            self.outputs["trend_household"].outputs = ()
            self.figures.pop("trend_household", None)
            return
        p = household_detail(self.analysis, self.household_id).profile
        title = f"{p['村']} {p.get('户主姓名') or ''}户（{self.household_id}）历年人均收入"
        self._show("trend_household", trend_figure(self._trend([self.household_id]), title))


def explore_widget(analysis, data=None, policy=None, root=None, villages=(), page_size: int = TABLE_MAX_ROWS) -> ExploreApp:
    """The explore view for an Analysis; display ``app.ui`` in the notebook."""
    return ExploreApp(analysis, data, policy, root, villages, page_size)


def explore_session(session) -> ExploreApp:
    """The explore view of a ``lib.interactive.session.Session`` (its villages preselected)."""
    return ExploreApp(session.analysis, session.data, session.policy, session.root, session.villages)


# ---------------------------------------------------------------------------------------
# What-if
# ---------------------------------------------------------------------------------------


def scenario_summary_html(scenario: Scenario, goals: pl.DataFrame | None = None) -> str:
    """The conclusion paragraph (``lib.interactive.what_if.conclusion``) as HTML."""
    return f"<p><b>结论</b>：{escape(conclusion(scenario, goals))}</p>"


def goals_html(goals: pl.DataFrame, chosen: str) -> str:
    """What each placement goal gives for the same posts, side by side, with the trade-offs."""
    trade = goal_tradeoffs(goals, chosen)
    note = "".join(f"<p>{escape(t)}</p>" for t in trade) or "<p>三种目标在这些岗位下结果相同，没有此消彼长。</p>"
    return "<b>同样的岗位，不同安置目标的结果</b>" + _table(goals) + note


def dibao_changes_html(before, after) -> str:
    changes = dibao_changes(before, after)
    if changes.height == 0:
        return "<p>低保标准未改变任何户的低保核算结果或兜底保障推荐。</p>"
    return f"<b>低保核算或兜底保障推荐发生变化的户（{changes.height} 户）</b>" + _table(changes, unit="户")


class WhatIfApp:
    """Lever sliders (each with its own exact-number box, what it changes and what it did) →
    re-run the rules → conclusion, goals side by side, before/after table, chart, placements."""

    def __init__(self, data, policy, before=None, years=None, levers: Levers | None = None):
        from lib.rules.analysis import analyze

        self.data, self.policy = data, policy
        self.before = before if before is not None else analyze(data, policy, years=years)
        start = levers if levers is not None else Levers()
        y = self.before.year_this
        self._base = {"dibao": policy.dibao(y), "line": policy.threshold(y), "band": policy.flat_band}
        workers = int(((self.before.households["劳动力人数"].fill_null(0) + self.before.households["弱劳动力或半劳动力人数"].fill_null(0)) > 0).sum())
        ints = lambda value, low, high, step, text: self._lever(w.IntSlider, w.BoundedIntText, value, low, high, step, text)  # noqa: E731
        self.posts = ints(start.posts, 0, max(20, workers, start.posts), 1, "新增公益岗位（个）")
        self.pay = ints(int(start.post_monthly_pay), 0, max(3000, int(start.post_monthly_pay)), 1, "岗位月补贴（元）")
        self.months = ints(start.post_months, 1, 12, 1, "每年在岗月数")
        self.goal = w.ToggleButtons(options=GOALS, value=start.goal, description="安置目标")
        self.placement = w.ToggleButtons(options=PLACEMENTS, value=start.placement, description="安置方式")
        self.industry = ints(int(start.industry_per_household), 0, max(10000, int(start.industry_per_household)), 1,
                             "无劳动力户产业分配（元/年）")
        dibao = self._base["dibao"] if start.dibao_standard is None else start.dibao_standard
        line = self._base["line"] if start.monitoring_threshold is None else start.monitoring_threshold
        self.dibao = ints(int(dibao), 0, max(20000, int(dibao)), 1, f"{y}年低保标准（元/人/年）")
        self.line = ints(int(line), 1000, max(20000, int(line)), 1, f"{y}年监测线（元/人/年）")
        band = self._base["band"] if start.flat_band is None else start.flat_band
        self.band = self._lever(w.FloatSlider, w.BoundedFloatText, band, 0.0, max(0.2, band), 0.001, "持平区间（比例）",
                                readout_format=".1%")
        self.preset = w.Button(description=f"方案预设：{PLAN_PRESET.posts}人公益岗", button_style="info")
        self.reset = w.Button(description="恢复现状")
        self.summary, self.goals_table, self.table, self.placements, self.dibao_list = (w.HTML() for _ in range(5))
        self.chart = _chart_area()
        self._hold = False
        self.notes = {key: w.HTML(layout=w.Layout(width="560px")) for key in LEVER_NOTES}
        self.controls = {"posts": self.posts, "post_monthly_pay": self.pay, "post_months": self.months, "goal": self.goal,
                         "industry_per_household": self.industry, "dibao_standard": self.dibao,
                         "monitoring_threshold": self.line, "flat_band": self.band}
        self.levers_controls = (*self.controls.values(), self.placement)
        for control in self.levers_controls:
            control.observe(self._on_change, names="value")
        self.preset.on_click(lambda _: self.apply(PLAN_PRESET))
        self.reset.on_click(lambda _: self.apply(Levers(goal=self.goal.value)))
        rows = []
        for key, control in self.controls.items():
            box = self._boxes.get(id(control))
            rows.append(w.HBox([control, *( [box] if box else []), self.notes[key]]))
        self.ui = w.VBox([
            *rows[:4], self.placement, *rows[4:],
            w.HBox([self.preset, self.reset]),
            self.summary, self.goals_table, self.dibao_list, self.chart, self.table, self.placements,
        ])
        self.update()

    _boxes: dict

    def _lever(self, slider_type, box_type, value, low, high, step, text, **kw):
        """A slider for dragging and a box beside it for typing the exact number, linked."""
        slider = slider_type(value=value, min=low, max=high, step=step, description=text, continuous_update=False,
                             style={"description_width": "170px"}, layout=w.Layout(width="430px"), **kw)
        box = box_type(value=value, min=low, max=high, step=step, layout=w.Layout(width="100px"))
        w.link((slider, "value"), (box, "value"))
        if not hasattr(self, "_boxes"):
            self._boxes = {}
        self._boxes[id(slider)] = box
        return slider

    def box(self, slider) -> w.Widget:
        """The exact-number box beside a slider."""
        return self._boxes[id(slider)]

    def levers(self) -> Levers:
        """The sliders as Levers; a rule lever left at the policy's value counts as unchanged."""

        def changed(value, base):
            return None if abs(value - base) < 1e-9 else float(value)

        return Levers(
            posts=self.posts.value,
            post_monthly_pay=float(self.pay.value),
            post_months=self.months.value,
            placement=self.placement.value,
            goal=self.goal.value,
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
            self.goal.value = levers.goal
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
        levers = self.levers()
        self.scenario = run_scenario(self.data, self.policy, levers, before=self.before)
        self.goals = compare_goals(self.data, self.policy, levers, scenario=self.scenario)
        self._render()

    def _render(self) -> None:
        s = self.scenario
        self.summary.value = scenario_summary_html(s, self.goals)
        self.goals_table.value = goals_html(self.goals, s.levers.goal)
        effects = lever_effects(s)
        for key, note in self.notes.items():
            note.value = f"<small>{escape(LEVER_NOTES[key])}。<b>{escape(effects[key])}</b></small>"
        self.dibao_list.value = dibao_changes_html(s.before, s.base if s.base is not None else s.after)
        self.figure = comparison_figure(s.comparison)
        self.chart.outputs = (chart_bundle(self.figure),)
        self.table.value = "<b>调整前后对比（按村）</b>" + _table(s.comparison)
        self.placements.value = (
            "<b>公益岗位安置名单</b>" + _table(s.posts.chosen) if s.posts.placed else "<p>未安置公益岗位。</p>"
        )


def what_if_widget(data, policy, before=None, years=None, levers: Levers | None = None) -> WhatIfApp:
    """The what-if view; display ``app.ui`` in the notebook."""
    return WhatIfApp(data, policy, before=before, years=years, levers=levers)


# ---------------------------------------------------------------------------------------
# The notebooks' cells: each one call (the what-if page reads the same in JupyterLab and
# as the static page for leaders)
# ---------------------------------------------------------------------------------------


def village_summary_html(analysis):
    """各村概况 as an HTML output."""
    from IPython.display import HTML

    return HTML(_table(village_summary(analysis.households)))


def risk_points_html(analysis):
    """The nine risk points: households and yuan lost, as an HTML output."""
    from IPython.display import HTML

    return HTML(_table(risk_counts(analysis.households, analysis.risks)))


class WhatIfPage:
    """The what-if notebook's outputs for the session's levers, conclusion first."""

    def __init__(self, session):
        self.session = session
        self.levers = Levers(**session.levers)
        a = session.analysis
        self.scenario = run_scenario(session.data, session.policy, self.levers, before=a)
        self.goals = compare_goals(session.data, session.policy, self.levers, scenario=self.scenario)

    def _html(self, text: str):
        from IPython.display import HTML

        return HTML(text)

    def conclusion(self):
        return self._html(scenario_summary_html(self.scenario, self.goals))

    def key_points(self):
        """The 要点 box every briefing opens with (``lib.present.keypoints``): the 截至 date,
        the conclusion, the scenario's figures, the days left to the plan's deadlines and what
        it asks of the lead units."""
        before = self.scenario.before
        where = "、".join(self.session.villages) if self.session.villages else "全区"
        lead = f"截至 {chinese_date(before.as_of)}，按本方案测算{where} {before.year_this} 年收入（与不做调整相比）："
        return key_points_box(before.as_of, before.year_this, lead, key_figures(self.scenario),
                              plan_actions(self.scenario), actions_title="本方案要落实的事",
                              summary="结论：" + conclusion(self.scenario, self.goals))

    def lever_table(self):
        effects = lever_effects(self.scenario)
        keys = ("posts", "goal", "industry_per_household", "dibao_standard", "monitoring_threshold", "flat_band")
        rows = [{"调整项": name, "取值": value, "改变什么": LEVER_NOTES[key], "本方案的效果": effects[key]}
                for (name, value), key in zip(self.levers.table(), keys)]
        return self._html(_table(pl.DataFrame(rows)))

    def goal_comparison(self):
        return self._html(goals_html(self.goals, self.levers.goal))

    def comparison(self):
        return self._html(_table(self.scenario.comparison))

    def chart(self) -> go.Figure:
        return comparison_figure(self.scenario.comparison)

    def placements(self):
        s = self.scenario
        return self._html(_table(s.posts.chosen, unit="户") if s.posts.placed else "<p>本方案未新增公益岗位。</p>")

    def dibao(self):
        s = self.scenario
        if self.levers.dibao_standard is None:
            return self._html("<p>本方案未调整低保标准。</p>")
        return self._html(dibao_changes_html(s.before, s.base if s.base is not None else s.after))

    def controls(self):
        """The sliders in JupyterLab; on the static page a sentence instead."""
        if not self.session.interactive:
            return self._html("<p>本页为静态结果，不含滑块；需要其他方案时，请另行生成一份。</p>")
        return what_if_widget(self.session.data, self.session.policy, before=self.session.analysis, levers=self.levers).ui


def what_if_page(session) -> WhatIfPage:
    return WhatIfPage(session)


__all__ = [
    "ExploreApp", "WhatIfApp", "chart_bundle", "comparison_figure", "detail_html", "dibao_changes_html",
    "explore_session", "explore_widget", "goals_html", "income_figure", "risk_figure", "scenario_summary_html",
    "trend_figure", "village_figure", "what_if_widget", "WhatIfPage", "what_if_page", "village_summary_html",
    "risk_points_html",
]
