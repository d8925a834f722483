"""The 数据核查 section of a briefing: how many findings each check made, then the list.

The findings are ``Analysis.quality`` (lib/rules/quality.py), already restricted to the
village by ``tables.village_view``. One call renders the whole section, so the notebook
cell stays one line; the tables are ``tables.table_markup`` ones (masked, escaped,
sortable, offline).
"""

from __future__ import annotations

import html

import polars as pl
from IPython.display import HTML

from lib.catalogue import ID, QUALITY_RULES
from lib.codes import label
from lib.present.tables import table_markup

LEAD_NONE = "本村未发现需要核实的数据问题。"
NOTE = (
    "数据核查只提示需要核实的数据，不改变任何户的收入研判和预警；请乡镇逐条核实，确有错误的在系统中更正。"
    "按家庭成员核查的项目（劳动技能、年龄、在校生、公益岗位、务工月收入等）只在读入防返贫监测系统导出的"
    "人员明细时执行；阈值见附表的政策参数。"
)


def _findings(view) -> pl.DataFrame:
    from lib.rules.quality import empty_quality

    quality = getattr(view, "quality", None)
    return empty_quality() if quality is None or not quality.width else quality  # saved before 数据核查


def quality_list(view) -> pl.DataFrame:
    """The findings of ``view`` as the briefing lists them: who, which check, the sentence."""
    names = view.households.select(ID, "户主姓名").unique(ID, keep="first")
    labels = {r.code: label(r.code) for r in QUALITY_RULES}
    return (
        _findings(view)
        .join(names, on=ID, how="left", maintain_order="left")
        .with_columns(pl.col("代码").replace_strict(labels, default=pl.col("代码"), return_dtype=pl.String).alias("核查项"))
        .select(ID, "户主姓名", "核查项", "说明")
    )


def quality_section(view) -> HTML:
    """数据核查: a lead sentence, the counts by check (代码, 核查项, 条数, 户数), then the list."""
    from lib.rules.quality import quality_counts

    listed = quality_list(view)
    counts = quality_counts(_findings(view))
    if listed.height:
        lead = f"本村数据核查共 {listed.height} 条提示，涉及 {listed.get_column(ID).n_unique()} 户。"
    else:
        lead = LEAD_NONE
    parts = [
        f'<p class="zs-lead">{html.escape(lead)}{html.escape(NOTE)}</p>',
    ]
    if listed.height:
        parts.append(table_markup(counts, caption="各核查项提示数"))
        parts.append(table_markup(listed, caption="数据核查提示清单"))
    return HTML("".join(parts))
