"""数据核查 (lib/rules/quality.py): each rule fires on a case built for it and not on a near miss,
the registry matches the catalogue, findings change no figure, and they reach findings.csv,
the ledgers and the briefing."""

from __future__ import annotations

import re
from dataclasses import replace

import openpyxl
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lib.catalogue import FINDING_COLUMNS, LABOUR_SKILLS, PERSON_SCHEMA, QUALITY_RULES, empty_persons
from lib.codes import CODE_BY_NAME, FINDING, template_fields
from lib.policy import PolicyError, load_policy
from lib.rules import quality
from lib.rules.analysis import analyze
from factories import empty_problems, household, income_row, input_data

from conftest import ID_B

POLICY = load_policy()  # 2021 line 6,000; 2022 line 6,600; [quality] defaults 400–30,000 …
YEAR = 2022


def person(hid: str = "H1", **overrides) -> dict:
    """One member row (PERSON_SCHEMA): a 40-year-old 普通劳动力 household head, not working."""
    row = {
        "户编号": hid, "年度": YEAR, "人编号": None, "与户主关系": "户主", "证件类型": "居民身份证",
        "年龄": 40, "劳动技能": "普通劳动力", "在校生状况": None, "健康状况": "健康",
        "务工月数": None, "务工月收入": None, "公益岗位": False, "享受低保": False, "享受特困": False,
        "来源工作表": "监测对象信息", "来源行号": None,
    }
    unknown = set(overrides) - set(PERSON_SCHEMA)
    if unknown:
        raise KeyError(f"not a person column: {sorted(unknown)}")
    return row | overrides


def persons_frame(rows) -> pl.DataFrame:
    rows = [dict(r) for r in rows]
    for i, r in enumerate(rows):
        r["来源行号"] = r["来源行号"] or i + 4  # two title rows and the header above
    return pl.DataFrame(rows, schema=PERSON_SCHEMA, orient="row") if rows else empty_persons()


def run(members=(), *, hh=None, income_this=None, roster=None, income_extra=None, policy=POLICY):
    """analyze() on one household H1 (per-capita 20,000 both years unless told) and its members."""
    members = list(members) or [person()]
    hh = dict(家庭人口数=len(members)) | (hh or {})
    this = {"务工收入": 20000.0 * hh["家庭人口数"]} if income_this is None else income_this
    data = input_data(
        [household("H1", **hh)],
        [income_row("H1", YEAR - 1, 务工收入=20000.0 * hh["家庭人口数"]), income_row("H1", YEAR, **this)],
    )
    data = replace(data, persons=persons_frame(members))
    if roster:
        data = replace(data, households=data.households.with_columns(
            pl.lit(v).alias(k) for k, v in roster.items()))
    if income_extra:
        data = replace(data, income=data.income.with_columns(
            pl.when(pl.col("年度") == YEAR).then(pl.lit(v)).alias(k) for k, v in income_extra.items()))
    return analyze(data, policy)


def fired(analysis) -> set[str]:
    return set(analysis.quality.get_column("代码").to_list())


def only(analysis, code: str) -> str:
    texts = analysis.quality.filter(pl.col("代码") == code).get_column("说明").to_list()
    assert len(texts) == 1, texts
    return texts[0]


# (code, the case built for it, its near miss): keyword arguments of run()
WEAK, NONE, LOST = "弱劳动力或半劳动力", "无劳动力", "丧失劳动力"
CASES = {
    "W501": (dict(members=[person(务工月收入=350.0, 务工月数=6.0)]),
             dict(members=[person(务工月收入=400.0, 务工月数=6.0)])),
    "W502": (dict(members=[person(务工月收入=35000.0, 务工月数=2.0)]),
             dict(members=[person(务工月收入=30000.0, 务工月数=2.0)])),
    "W503": (dict(members=[person(年龄=72, 劳动技能=WEAK, 公益岗位=True)]),
             dict(members=[person(年龄=69, 劳动技能=WEAK, 公益岗位=True)])),
    "W504": (dict(members=[person(), person(与户主关系="之子", 年龄=15, 劳动技能=WEAK, 公益岗位=True)]),
             dict(members=[person(), person(与户主关系="之子", 年龄=16, 劳动技能=WEAK, 公益岗位=True)])),
    "W505": (dict(members=[person(劳动技能=LOST, 公益岗位=True)]),
             dict(members=[person(劳动技能=WEAK, 公益岗位=True)])),
    "W506": (dict(members=[person(公益岗位=True), person(与户主关系="配偶", 公益岗位=True),
                           person(与户主关系="之子", 年龄=20, 公益岗位=True)]),
             dict(members=[person(公益岗位=True), person(与户主关系="配偶", 公益岗位=True),
                           person(与户主关系="之子", 年龄=20)])),
    "W507": (dict(members=[person(), person(与户主关系="之女", 年龄=14, 劳动技能="普通劳动力")]),
             dict(members=[person(), person(与户主关系="之女", 年龄=14, 劳动技能=NONE)])),
    "W508": (dict(members=[person(年龄=60, 劳动技能="技能劳动力")]),
             dict(members=[person(年龄=59, 劳动技能="技能劳动力")])),
    "W509": (dict(members=[person(), person(与户主关系="之子", 年龄=17, 在校生状况="普通高中二年级", 劳动技能=WEAK)]),
             dict(members=[person(), person(与户主关系="之子", 年龄=17, 在校生状况="非在校生", 劳动技能=WEAK)])),
    "W510": (dict(members=[person(劳动技能=None)]),
             dict(members=[person(劳动技能=NONE)])),
    "W511": (dict(members=[person(劳动技能=LOST, 务工月数=3.0)]),
             dict(members=[person(劳动技能=LOST, 务工月数=0.0)])),
    "W512": (dict(members=[person(年龄=45, 享受特困=True)], hh=dict(是否特困户=True)),
             dict(members=[person(年龄=45, 享受特困=True, 劳动技能=LOST)], hh=dict(是否特困户=True))),
    "W513": (dict(members=[person(年龄=75, 劳动技能=LOST), person(与户主关系="配偶", 年龄=72, 劳动技能=NONE)]),
             dict(members=[person(年龄=75, 劳动技能=LOST),
                           person(与户主关系="配偶", 年龄=72, 劳动技能=NONE, 享受低保=True)])),
    "W514": (dict(roster={"风险是否消除": True}, income_this={"务工收入": 5000.0}),
             dict(roster={"风险是否消除": True}, income_this={"务工收入": 6600.0})),
    "W515": (dict(income_this={"务工收入": 5000.0}),
             dict(income_this={"务工收入": 5000.0}, hh=dict(监测对象类别="脱贫不稳定户"))),
    "W516": (dict(income_this={"务工收入": 20000.0, "低保金": 3000.0}),
             dict(income_this={"务工收入": 20000.0, "低保金": 3000.0},
                  members=[person(享受低保=True)])),
    "W517": (dict(hh=dict(是否低保户=True)),
             dict(hh=dict(是否低保户=True), income_this={"务工收入": 20000.0, "低保金": 3000.0})),
    "W518": (dict(roster={"务工不稳风险": True}, members=[person(劳动技能=NONE, 年龄=80)]),
             dict(roster={"务工不稳风险": True}, members=[person(劳动技能=WEAK, 年龄=80)])),
    "W519": (dict(income_extra={"系统人均纯收入": 20005.0}),
             dict(income_extra={"系统人均纯收入": 20000.5})),
}


def test_every_rule_has_its_cases():
    assert set(CASES) == {r.code for r in QUALITY_RULES}


@pytest.mark.parametrize("code", sorted(CASES))
def test_rule_fires_on_its_case_and_not_on_the_near_miss(code):
    case, near_miss = CASES[code]
    hit = run(**case)
    assert code in fired(hit)
    text = only(hit, code)
    assert "{" not in text and "户主H1户" in text  # names the household by its head
    row = hit.quality.filter(pl.col("代码") == code).row(0, named=True)
    assert (row["户编号"], row["村"], row["级别"]) == ("H1", "南岗村", FINDING)
    assert code not in fired(run(**near_miss))


def test_a_plain_household_has_no_finding():
    assert run().quality.height == 0


def test_sentences_name_the_member_and_the_values():
    text = only(run(**CASES["W501"][0]), "W501")
    assert text == "户主H1户成员（户主，第4行）务工月收入350元，低于400元，请核实务工收入是否填写完整"
    row = run(**CASES["W504"][0]).quality.filter(pl.col("代码") == "W504").row(0, named=True)
    assert "成员（之子，第5行）15岁" in row["说明"]
    assert (row["工作表"], row["行号"]) == ("监测对象信息", 5)
    text = only(run(**CASES["W519"][0]), "W519")
    assert "人均纯收入为20000元" in text and "系统导出的人均纯收入为20005元" in text and "相差5元" in text


def test_the_exported_per_capita_may_come_with_the_households():
    analysis = run()
    households = analysis.households.with_columns(pl.lit(20010.0).alias("本年系统人均纯收入"))
    found = quality.check_quality(households, POLICY, YEAR)
    assert found.get_column("代码").to_list() == ["W519"]


def test_a_rule_whose_column_is_absent_does_not_fire():
    # a workbook has no 风险是否消除 / 务工不稳风险 / 系统人均纯收入 and no members
    analysis = run(members=[person()], income_this={"务工收入": 5000.0})
    assert "W514" not in fired(analysis) and "W519" not in fired(analysis)
    workbook = analyze(input_data([household("H1")], [income_row("H1", 2021, 务工收入=1), income_row("H1", 2022)]), POLICY)
    assert workbook.persons.height == 0
    assert fired(workbook) <= {"W515", "W516", "W517"}  # household checks only


def test_only_this_years_members_are_checked():
    last_year = person(务工月收入=350.0, 务工月数=6.0, 年度=YEAR - 1)
    assert "W501" not in fired(run(members=[last_year, person()]))


def test_thresholds_come_from_the_policy(tmp_path):
    path = tmp_path / "本县.toml"
    path.write_text("[quality]\nmonthly_wage_min = 500\npost_age_max = 65\n", encoding="utf-8")
    county = load_policy(path)
    assert county.quality.monthly_wage_min == 500 and county.quality.monthly_wage_max == 30000
    wage = [person(务工月收入=450.0, 务工月数=6.0)]
    assert "W501" in fired(run(members=wage, policy=county)) and "W501" not in fired(run(members=wage))
    post = [person(年龄=66, 劳动技能=WEAK, 公益岗位=True)]
    assert "W503" in fired(run(members=post, policy=county)) and "W503" not in fired(run(members=post))
    assert "65" in only(run(members=post, policy=county), "W503")
    assert any("务工月收入" in k for k, _ in county.table())


@pytest.mark.parametrize(
    "text, message",
    [
        ("[quality]\nmonthly_wage_floor = 1\n", "未知参数 monthly_wage_floor"),
        ("[quality]\nmonthly_wage_min = 40000\n", "monthly_wage_min 应小于 monthly_wage_max"),
        ("[quality]\nsenior_age = 60.5\n", "应为整数"),
        ("[quality]\nper_capita_tolerance = -1\n", "超出允许范围"),
    ],
)
def test_a_bad_quality_section_is_refused_in_chinese(tmp_path, text, message):
    path = tmp_path / "p.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PolicyError, match=message):
        load_policy(path)


# ---------------------------------------------------------------------------------------
# The registry and the catalogue
# ---------------------------------------------------------------------------------------


def test_every_row_has_its_code_its_predicate_and_sentence_fields():
    quality.check_registry()
    for rule in QUALITY_RULES:
        registered = CODE_BY_NAME[rule.code]
        assert (registered.stage, registered.level, rule.level) == ("核查", FINDING, FINDING)
        assert registered.template and template_fields(rule.code)[0] == "户"
        assert quality.get(rule.code).__name__ == rule.predicate
    assert len({r.code for r in QUALITY_RULES}) == len(QUALITY_RULES)
    staged = {c.code for c in CODE_BY_NAME.values() if c.stage == "核查"}
    assert staged == {r.code for r in QUALITY_RULES}


def test_an_unknown_rule_fails_with_a_clear_error():
    with pytest.raises(KeyError, match="W599 没有登记判断函数"):
        quality.get("W599")
    with pytest.raises(KeyError, match="W598"):
        quality.register("W598")(lambda f: f.persons)
    with pytest.raises(ValueError, match="已登记"):
        quality.register("W501")(lambda f: f.persons)


def test_a_predicate_without_a_row_or_a_row_without_a_predicate_is_caught(monkeypatch):
    monkeypatch.setitem(quality._PREDICATES, "W401", lambda f: f.persons)
    with pytest.raises(RuntimeError, match="W401 登记了判断函数但不在 QUALITY_RULES 中"):
        quality.check_registry()
    monkeypatch.delitem(quality._PREDICATES, "W401")
    monkeypatch.delitem(quality._PREDICATES, "W510")
    with pytest.raises(RuntimeError, match="W510 在 QUALITY_RULES 中没有登记判断函数"):
        quality.check_registry()


# ---------------------------------------------------------------------------------------
# Findings change no figure
# ---------------------------------------------------------------------------------------

_member = st.fixed_dictionaries({
    "户编号": st.sampled_from(["H1", "H2", "H9"]),  # H9 is not in 户信息
    "年度": st.sampled_from([YEAR - 1, YEAR]),
    "年龄": st.one_of(st.none(), st.integers(0, 100)),
    "劳动技能": st.one_of(st.none(), st.sampled_from(LABOUR_SKILLS)),
    "在校生状况": st.one_of(st.none(), st.sampled_from(["小学", "非在校生", "学龄前儿童"])),
    "务工月数": st.one_of(st.none(), st.floats(0, 12)),
    "务工月收入": st.one_of(st.none(), st.floats(0, 60000)),
    "公益岗位": st.booleans(), "享受低保": st.booleans(), "享受特困": st.booleans(),
})


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(members=st.lists(_member, max_size=8), dibao=st.floats(0, 5000), eliminated=st.booleans())
def test_findings_never_change_the_households(members, dibao, eliminated):
    data = input_data(
        [household("H1", 家庭人口数=2), household("H2", 村="北山村", 是否低保户=True)],
        [income_row("H1", 2021, 务工收入=9000), income_row("H1", 2022, 务工收入=8000, 低保金=dibao),
         income_row("H2", 2021, 养老金=5000), income_row("H2", 2022, 养老金=5200)],
    )
    bare = analyze(data, POLICY)
    checked_data = replace(
        data,
        persons=persons_frame([person(**m) for m in members]),
        households=data.households.with_columns(pl.lit(eliminated).alias("风险是否消除")),
        income=data.income.with_columns(pl.lit(1234.0).alias("系统人均纯收入")),
    )
    checked = analyze(checked_data, POLICY)
    # the input's own status columns are carried through as given; every computed figure is the same
    carried = [c for c in checked.households.columns if "风险是否消除" in c or "系统人均纯收入" in c]
    assert checked.households.drop(carried).equals(bare.households.drop(carried))
    assert checked.risks.equals(bare.risks) and checked.ledger.keys() == bare.ledger.keys()
    assert set(checked.quality.get_column("户编号").to_list()) <= {"H1", "H2"}
    assert tuple(checked.quality.columns) == FINDING_COLUMNS


# ---------------------------------------------------------------------------------------
# Where findings go: findings.csv, the ledgers, the briefing
# ---------------------------------------------------------------------------------------


def _district():
    """Two villages; H1 has two data-check findings, the reader flagged an ID in H2's row."""
    reader_finding = pl.DataFrame({
        "工作表": ["户信息"], "行号": [3], "列": ["证件号码"], "值": [ID_B], "代码": ["W201"],
        "原因": [f"工作表「户信息」第3行：「证件号码」填写为“{ID_B}”：校验位不符"],
    }, schema=empty_problems().schema)
    data = input_data(
        [household("H1", 证件号码=ID_B, 联系电话="13812345678"), household("H2", 村="北山村")],
        [income_row("H1", 2021, 务工收入=20000), income_row("H1", 2022, 务工收入=5000),
         income_row("H2", 2021, 务工收入=20000), income_row("H2", 2022, 务工收入=20000)],
        findings=reader_finding,
    )
    members = [person(务工月收入=350.0, 务工月数=6.0), person("H2", 劳动技能=None)]
    return analyze(replace(data, persons=persons_frame(members)), POLICY)


def test_findings_csv_has_every_finding_and_no_full_id(tmp_path):
    from lib.io.writer import write_analysis

    analysis = _district()
    write_analysis(analysis, tmp_path)
    text = (tmp_path / "findings.csv").read_text(encoding="utf-8-sig")
    assert not re.search(r"\d{17}[\dXx]", text)
    table = pl.read_csv(tmp_path / "findings.csv", infer_schema=False)
    assert tuple(table.columns) == FINDING_COLUMNS
    assert table.get_column("代码").to_list() == ["W201", "W510", "W501", "W515"]
    assert analysis.summary["数据核查"] == {"W501": 1, "W510": 1, "W515": 1}


def test_findings_csv_is_written_when_nothing_was_found(tmp_path):
    from lib.io.writer import write_analysis

    write_analysis(run(), tmp_path)
    assert tuple(pl.read_csv(tmp_path / "findings.csv").columns) == FINDING_COLUMNS


def test_the_ledgers_have_the_data_check_sheet(tmp_path):
    from lib.report.excel import QUALITY_SHEET, write_district_ledger, write_village_ledger

    analysis = _district()

    def rows(path):  # the header (under the title rows) and the numbered rows, without 序号
        sheet = openpyxl.load_workbook(path)[QUALITY_SHEET]
        return [tuple(r[1:]) for r in sheet.iter_rows(min_row=3, values_only=True)
                if r[0] == "序号" or isinstance(r[0], int)]

    village = rows(write_village_ledger(tmp_path / "南岗村_台账.xlsx", analysis, "南岗村"))
    assert village[0] == tuple(c for c in FINDING_COLUMNS if c != "村")  # the title names the village
    assert [r[1] for r in village[1:]] == ["W501", "W515"]  # the village's own, not 北山村's
    district = rows(write_district_ledger(tmp_path / "全区_台账.xlsx", analysis))
    assert district[0] == ("村", "户编号", *FINDING_COLUMNS[2:])  # who a row is about, first
    assert [r[2] for r in district[1:]] == ["W201", "W510", "W501", "W515"]
    assert not any(re.search(r"\d{17}[\dXx]", str(v)) for r in district for v in r)


def test_the_briefing_section_renders_counts_then_the_list():
    from lib.present.quality import LEAD_NONE, quality_section
    from lib.present.tables import village_view

    page = quality_section(village_view(_district(), "南岗村")).data
    counts, listed = page.index("各核查项提示数"), page.index("数据核查提示清单")
    assert counts < listed
    assert "本村数据核查共 2 条提示，涉及 1 户" in page
    assert page.index("务工月收入过低") < listed  # the count rows name the check
    assert "务工月收入350元，低于400元" in page[listed:]
    assert "劳动技能为空" not in page  # 北山村's finding stays in 北山村's briefing
    quiet = quality_section(village_view(run(), "南岗村")).data
    assert LEAD_NONE in quiet and "<table" not in quiet


def test_the_analysis_store_keeps_the_findings_by_village(tmp_path):
    from lib.report import store

    analysis = _district()
    folder = store.save(analysis, tmp_path / "analysis")
    assert store.load(folder).quality.equals(analysis.quality)
    village = store.load(folder, village="南岗村").quality
    assert village.equals(analysis.quality.filter(pl.col("村") == "南岗村"))
