"""Offline tables and key-figure lines (lib.present.tables)."""

import re
import shutil
from dataclasses import dataclass

import polars as pl
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from IPython.display import HTML, Markdown

from lib.present import tables
from lib.policy import default_policy


@pytest.fixture
def households():
    base = {
        "乡镇": "前进乡", "村": "一村", "户类型": "脱贫户", "监测对象类别": None, "家庭人口数": 2,
        "上年家庭人口数": 2, "本年家庭人口数": 2, "减收风险点": [], "风险点代码": [], "推荐措施": [],
        "已有措施": [], "预计增收合计": 0.0, "收入缺口": 0.0, "预计能恢复": None, "应纳未纳": False,
        "低于低保标准": False, "单人户审核": False, "说明": "",
        "减收金额": 0.0, "已落实措施数": 0, "计划措施数": 0,
    }
    rows = [
        dict(base, 户编号="H1", 户主姓名="张三", 证件号码="230811199001011234", 联系电话="13812345678",
             上年家庭纯收入=11000.0, 本年家庭纯收入=7000.0, 上年人均纯收入=5500.0, 本年人均纯收入=3500.0,
             人均纯收入变化率=-4 / 11, 收入研判="减收", 预警等级="红", 减收风险点=["务工减收"],
             推荐措施=["M1", "M3"], 已有措施=["M1"], 已落实措施数=1, 预计增收合计=3000.0, 收入缺口=4000.0, 预计能恢复=False,
             应纳未纳=True, 说明="人均纯收入低于监测线"),
        dict(base, 户编号="H2", 户主姓名="李四<script>alert(1)</script>", 证件号码="230811198502023456",
             联系电话=None, 上年家庭纯收入=14000.0, 本年家庭纯收入=16000.0, 上年人均纯收入=7000.0,
             本年人均纯收入=8000.0, 人均纯收入变化率=1 / 7, 收入研判="增收", 预警等级="绿"),
        dict(base, 户编号="H3", 户主姓名="王五", 证件号码="230811197003035678", 联系电话="13900001111",
             上年家庭纯收入=18000.0, 本年家庭纯收入=13000.0, 上年人均纯收入=9000.0, 本年人均纯收入=6500.0,
             人均纯收入变化率=-5 / 18, 收入研判="减收", 预警等级="橙", 减收风险点=["经营减收", "务工减收"],
             推荐措施=["M2"], 已有措施=["M2"], 计划措施数=1, 预计增收合计=6000.0, 收入缺口=5000.0, 预计能恢复=True,
             说明="减收27.8%"),
        dict(base, 户编号="H4", 户主姓名="赵六", 证件号码="12345", 联系电话=None,
             上年家庭纯收入=9000.0, 本年家庭纯收入=None, 上年人均纯收入=4500.0, 本年人均纯收入=None,
             人均纯收入变化率=None, 收入研判="未排查", 预警等级=None, 本年家庭人口数=None),
    ]
    return pl.DataFrame(rows, infer_schema_length=None)


def _cells(markup: str) -> list[list[str]]:
    body = markup.split("<tbody>")[1].split("</tbody>")[0]
    return [re.findall(r"<td[^>]*>(.*?)</td>", row, re.S) for row in body.split("</tr>") if row]


def test_html_table_escapes_everything_from_data(households):
    out = tables.html_table(households, ["户编号", "户主姓名"], caption="名单<b>")
    assert isinstance(out, HTML)
    markup = out.data
    assert "李四&lt;script&gt;alert(1)&lt;/script&gt;" in markup
    assert "<script>alert" not in markup
    assert markup.count("<script") == 1  # only the table's own sorting/search script
    assert "名单&lt;b&gt;" in markup


def test_html_table_masks_ids_and_phones(households):
    markup = tables.table_markup(households, ["户编号", "证件号码", "联系电话"])
    for full in ("230811199001011234", "230811198502023456", "13812345678", "12345<"):
        assert full not in markup
    assert _cells(markup)[0] == ["H1", "230811********1234", "138****5678"]
    assert _cells(markup)[3][1] == "*****"  # a malformed ID is hidden completely


def test_html_table_cells_numbers_lists_booleans(households):
    markup = tables.table_markup(
        households, {"户编号": "户编号", "本年人均纯收入": "本年人均（元）", "人均纯收入变化率": "变化率",
                     "减收风险点": "风险点", "应纳未纳": "应纳未纳"}
    )
    assert "<th" in markup and "本年人均（元）" in markup
    first, _, third, fourth = _cells(markup)
    assert first == ["H1", "3,500", "-36.4%", "务工减收", "是"]
    assert third[3] == "经营减收；务工减收"
    assert fourth[1] == "" and fourth[2] == ""  # missing stays empty, never 0
    # sorting uses the raw number: data-v where the text is not the number itself (a share,
    # a rounded amount), none where the script reads the text ("3,500" is 3500.0)
    assert f'data-v="{-4 / 11!r}"' in markup
    assert '<td class="n">3,500</td>' in markup and 'data-v="3500.0"' not in markup
    assert tables._sort_key(3500.4, "3,500") == ' data-v="3500.4"'
    assert tables._sort_key(12, "12") == "" and tables._sort_key(None, "") == ""


def test_phone_labels_are_one_rule_per_column_not_an_attribute_per_cell(households):
    markup = tables.table_markup(households, {"户编号": "户编号", "本年人均纯收入": "本年人均（元）"})
    (table_id,) = re.findall(r'id="(zs-t-[^"]+)"', markup)
    assert "data-label" not in markup
    assert f'#{table_id} tbody>tr>:nth-child(2)::before{{content:"本年人均（元）："}}' in markup
    hostile = tables.table_markup(pl.DataFrame({'a"}</style><script>x': [1]}))
    assert "</style><script>x" not in hostile and hostile.count("<script") == 1


def test_html_table_empty_and_truncated(households):
    empty = tables.table_markup(households.head(0), ["户编号"], caption="未排查户")
    assert "未排查户" in empty and "（无）" in empty and "<table" not in empty
    cut = tables.table_markup(households, ["户编号"], caption="户", max_rows=2)
    assert len(_cells(cut)) == 2 and "仅显示前 2 行，共 4 行" in cut


def test_html_table_unknown_column_is_an_error(households):
    with pytest.raises(KeyError, match="没有这列"):
        tables.html_table(households, ["没有这列"])


def test_two_tables_get_different_ids(households):
    a = tables.table_markup(households, ["户编号"])
    b = tables.table_markup(households, ["户编号"])
    ids = re.findall(r'id="(zs-t-[^"]+)"', a + b)
    assert len(ids) == 2 and ids[0] != ids[1]


@given(st.text(max_size=40))
@example("^)$")  # a column name polars would read as a regular expression
@example("^$")
def test_any_text_is_escaped(text):
    markup = tables.table_markup(pl.DataFrame({text or "说明": [text]}), caption=text)
    assert markup.count("<script") == 1 and markup.count("</script") == 1
    assert len(re.findall(r"<t[dh][ >]", markup)) == 2  # one header, one cell
    cell = _cells(markup)[0][0]
    assert "<" not in cell and ">" not in cell


def test_md_escape_and_key_figures():
    assert tables.md_escape("*粗*<b>[链接](x)") == r"\*粗\*&lt;b&gt;\[链接\]\(x\)"
    md = tables.key_figures([("户数", "3 户"), ("名称", "<script>")], "说明_")
    assert isinstance(md, Markdown)
    assert md.data == "说明\\_\n\n- **户数**：3 户\n- **名称**：&lt;script&gt;"


def test_survey_figures(households):
    text = tables.survey_figures(households, 2021, 2022).data
    assert "**户数**：4 户" in text
    assert "**未排查**：1 户（占 25.0%）" in text
    assert "**减收**：2 户（占已排查 66.7%）" in text
    assert "尚有 1 户未排查" in text


def test_income_figures(households):
    text = tables.income_figures(households, 2021, 2022).data
    # surveyed H1–H3: 43,000 / 6 people → 36,000 / 6 people
    assert "7,167 元" in text and "6,000 元" in text
    assert "\\-1,167 元（\\-16.3%）" in text


def test_warning_and_measure_figures(households):
    text = tables.warning_figures(households).data
    assert "**红色预警**：1 户" in text and "**黄色预警**：0 户" in text
    assert "应纳未纳" in text and "：1 户" in text
    text = tables.measure_figures(households).data
    assert "**减收**：2 户" in text
    assert "**有措施的减收户数**：2 户（覆盖率 100.0%）" in text
    assert "**尚无措施的减收户数**：0 户" in text and "**风险未帮扶户数**：0 户" in text
    assert "**可补足缺口的减收户数**：1 户" in text
    assert "**收入缺口合计**：9,000 元" in text and "**预计增收合计**：9,000 元" in text


def test_views(households):
    assert tables.not_surveyed(households).get_column("户编号").to_list() == ["H4"]
    warned = tables.warned(households)
    assert warned.get_column("户编号").to_list() == ["H1", "H3"]  # red first
    assert "说明" in warned.columns
    check = tables.shortfall_check(households)
    assert check.get_column("户编号").to_list() == ["H3", "H1"]  # biggest gap first
    assert check.get_column("推荐措施").to_list()[1] == ["公益岗就业帮扶", "社会救助兜底保障"]
    focus = tables.focus_households(households)
    reasons = dict(zip(focus.get_column("户编号"), focus.get_column("关注原因").to_list(), strict=True))
    assert reasons == {
        "H1": ["红色预警", "应纳未纳", "措施不足以补足缺口"],
        "H3": ["橙色预警"],
    }  # H4 (未排查) is listed in 一、排查概况, not here: it needs a survey, not a decision


def test_focus_lists_only_households_that_need_a_decision(households):
    # 单人户 review everywhere: only the low-income households (monitored, 低保/特困, red or
    # orange, below the 低保 standard) are listed for it; a household with no measure is
    # "减收且无措施", never also "措施不足以补足缺口".
    marked = households.with_columns(pl.lit(True).alias("单人户审核"), pl.lit(None, pl.String).alias("监测对象类别"))
    focus = tables.focus_households(marked, threshold=6600.0)
    reasons = dict(zip(focus.get_column("户编号"), focus.get_column("关注原因").to_list(), strict=True))
    for hid, level in marked.select("户编号", "预警等级").iter_rows():
        single = "单人户施保待审核" in reasons.get(hid, [])
        assert single == (level in ("红", "橙")), hid
    for listed in reasons.values():
        assert len(listed) == len(set(listed))
        assert not {"减收且无措施", "措施不足以补足缺口"} <= set(listed)
    assert "距监测线差额" in focus.columns


@pytest.mark.slow
def test_table_sorts_and_searches_in_a_browser_offline(households, tmp_path):
    playwright = pytest.importorskip("playwright.sync_api")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("chromium not installed")
    page_file = tmp_path / "t.html"
    page_file.write_text(
        '<!doctype html><html lang="zh"><meta charset="utf-8"><body>'
        + tables.table_markup(households, ["户编号", "户主姓名", "本年人均纯收入"])
        + "</body></html>",
        encoding="utf-8",
    )
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        context = browser.new_context(offline=True)
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(page_file.as_uri())

        def first_column():
            return page.eval_on_selector_all(
                "tbody tr", "rows => rows.filter(r => r.style.display !== 'none').map(r => r.cells[0].textContent)"
            )

        assert first_column() == ["H1", "H2", "H3", "H4"]
        page.click("th:nth-child(3)")  # 本年人均纯收入 ascending, the missing one first
        assert first_column() == ["H4", "H1", "H3", "H2"]
        page.click("th:nth-child(3)")
        assert first_column() == ["H2", "H3", "H1", "H4"]
        page.fill("input[type=search]", "王五")
        assert first_column() == ["H3"]
        assert page.text_content(".zs-count") == "显示 1 / 4 行"
        browser.close()
    assert errors == []


@dataclass(frozen=True)
class _Analysis:
    """The fields of lib.rules.analysis.Analysis that the briefing uses."""

    year_last: int
    year_this: int
    policy: object
    households: pl.DataFrame
    items: pl.DataFrame
    fgt: pl.DataFrame
    transitions: pl.DataFrame
    ledger: dict
    summary: dict


@pytest.fixture
def analysis(households):
    two_villages = pl.concat([
        households,
        households.head(1).with_columns(pl.lit("H9").alias("户编号"), pl.lit("二村").alias("村")),
    ])
    items = pl.DataFrame({"户编号": ["H1", "H9"], "村": ["一村", "二村"], "收入项目": ["务工收入"] * 2,
                          "上年": [1.0, 2.0], "本年": [1.0, 2.0]})
    fgt = pl.DataFrame({"村": ["一村", "二村", "全区"], "年度": [2022] * 3, "P0": [0.1, 0.2, 0.15]})
    transitions = pl.DataFrame({"上年区间": ["低于监测线"], "本年区间": ["低于监测线"], "户数": [1]})
    summary = pl.DataFrame({"乡镇": ["前进乡", "前进乡", None], "村": ["一村", "二村", "全区"], "户数": [4, 1, 5]})
    return _Analysis(
        2021, 2022, default_policy(), two_villages, items, fgt, transitions, {"台账汇总": summary},
        {"数据来源": "样例.xlsx"},
    )


def test_village_view_keeps_one_village(analysis):
    view = tables.village_view(analysis, "二村")
    assert view.households.get_column("户编号").to_list() == ["H9"]
    assert view.items.get_column("户编号").to_list() == ["H9"]
    assert view.fgt.get_column("村").to_list() == ["二村", "全区"]
    assert view.ledger["台账汇总"].get_column("村").to_list() == ["二村"]
    assert view.transitions.equals(analysis.transitions)  # district-wide by nature
    assert (view.year_last, view.year_this, view.policy) == (2021, 2022, analysis.policy)
    assert tables.village_view(analysis, "").households.get_column("村").unique().to_list() == ["一村"]
    with pytest.raises(ValueError, match="没有村“三村”.*一村、二村"):
        tables.village_view(analysis, "三村")


def test_ledger_view(analysis):
    view = tables.ledger_view(analysis, "台账汇总", drop=("乡镇", "村", "不存在"))
    assert view.columns == ["户数"]
    assert tables.ledger_view(analysis, "没有的视图").height == 0


def test_headings_and_policy_table(analysis):
    text = tables.briefing_heading(tables.village_view(analysis, "一村")).data
    assert text.startswith("# 一村增收监测简报（2021—2022年）\n\n")
    assert "前进乡一村" in text and "6,600 元/人·年" in text
    assert "样例.xlsx" not in text and "数据来源：各村上报的户信息" in text  # no file name in the body
    text = tables.district_heading(analysis).data
    assert text.startswith("# 全区增收监测总览（2021—2022年）") and "2 个村、5 户" in text
    rows = tables.policy_table(default_policy()).data.splitlines()
    assert rows[:2] == ["| 参数 | 取值 |", "| --- | --- |"]
    assert "| 持平区间（占上年人均纯收入） | ±2.0% |" in rows
    assert "| 参数来源 | 内置默认参数（方案规定值） |" in rows  # no file name in the body
    assert len(rows) == 2 + len(default_policy().table())
