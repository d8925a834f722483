"""Yearly exports of the national system as analysts download them (tests/io/export_factory.py):
two title rows, 160 columns, text cells, January download stamps, a 务工 export beside them."""

import polars as pl
import pytest

from lib.catalogue import EXITED, NEW_ENTRY, NOT_SURVEYED
from lib.cli import main
from lib.codes import InputError
from lib.io.reader import read_input
from lib.io.system_export import year_in_name
from lib.rules.analysis import analyze
from tests.io.export_factory import (
    HEADER,
    YEARS,
    demo_district,
    policy_counting_pension,
    write_two_years,
    write_work_export,
    write_yearly,
)

Y2021, Y2022 = "2021年度监测对象信息_20220110.xlsx", "监测对象信息_2022年_20230109.xlsx"
WORK = "（务工月监测）已外出务工信息_20230109.xlsx"


@pytest.fixture(scope="module")
def district():
    return demo_district()


@pytest.fixture(scope="module")
def folder(tmp_path_factory, district):
    folder = tmp_path_factory.mktemp("exports")
    write_yearly(folder / Y2021, district, 2021)
    write_yearly(folder / Y2022, district, 2022)
    return folder


@pytest.fixture(scope="module")
def data(folder):
    return read_input([folder / Y2021, folder / Y2022])


@pytest.fixture(scope="module")
def analysis(data):
    return analyze(data, policy_counting_pension())


def by_id(frame: pl.DataFrame) -> dict[str, dict]:
    return {r["户编号"]: r for r in frame.iter_rows(named=True)}


def test_the_export_is_shaped_as_downloaded():
    assert len(HEADER) >= 150 and len(set(HEADER)) == len(HEADER)


@pytest.mark.parametrize("name, year", [
    ("2022年监测对象信息.xlsx", 2022), ("监测对象2022年度.xlsx", 2022), ("2021", 2021),
    ("（自定义）监测对象信息_20230109", None), ("（自定义）监测对象信息 (1)", None), ("编号120221", None),
    ("2021年度监测对象信息_20220110", 2021), ("２０２２年", 2022),
])
def test_year_in_name_never_from_a_download_stamp(name, year):
    assert year_in_name(name)[0] == year


def test_years_from_names_not_from_download_dates(data):
    assert sorted(data.income["年度"].unique()) == list(YEARS)
    lines = data.describe().splitlines()
    assert lines == [
        "读取「2021年度监测对象信息_20220110·Sheet1」：年度导出，年度 2021（年度取自文件名）",
        "读取「监测对象信息_2022年_20230109·Sheet1」：年度导出，年度 2022（年度取自文件名）",
    ]


def test_every_per_capita_equals_the_exports_own(analysis, district):
    """DONE WHEN: every household's per-capita equals the export's 人均纯收入（元） to the yuan."""
    hh = by_id(analysis.households)
    compared = 0
    for h in district:
        for column, year in (("上年人均纯收入", 2021), ("本年人均纯收入", 2022)):
            if year in h.years:
                assert hh[h.hid][column] == pytest.approx(h.years[year].per_capita, abs=0.01), (h.hid, year)
                compared += 1
    assert compared == sum(len(h.years) for h in district)
    assert analysis.findings.filter(pl.col("代码") == "W205").is_empty() and analysis.rejects.is_empty()
    assert hh["H012"]["本年人均纯收入"] == -2500.0  # the system's negative per-capita is read, not rejected


def test_system_figures_carried_beside_the_income(data, district):
    inc = {(r["户编号"], r["年度"]): r for r in data.income.iter_rows(named=True)}
    for h in district:
        for year, y in h.years.items():
            row = inc[(h.hid, year)]
            assert row["系统人均纯收入"] == pytest.approx(y.per_capita, abs=0.005)
            assert row["系统家庭纯收入"] == pytest.approx(y.net, abs=0.005)


def test_a_wrong_system_per_capita_is_a_finding_with_both_numbers(tmp_path, district):
    changed = demo_district()
    changed[0].years[2022].typo_per_capita = 9000.0
    write_yearly(tmp_path / Y2021, changed, 2021)
    write_yearly(tmp_path / Y2022, changed, 2022)
    found = read_input([tmp_path / Y2021, tmp_path / Y2022]).findings.filter(pl.col("代码") == "W205")
    assert found.height == 1 and "9000" in found["原因"][0] and "7833.33" in found["原因"][0]


def test_migrant_wage_fall_is_r3_with_its_sub_cause(data, analysis):
    inc = {(r["户编号"], r["年度"]): r for r in data.income.iter_rows(named=True)}
    assert (inc[("H001", 2021)]["务工收入"], inc[("H001", 2022)]["务工收入"]) == (30000.0, 18000.0)
    assert inc[("H001", 2022)]["其他工资性收入"] == 0.0
    r3 = analysis.risks.filter((pl.col("户编号") == "H001") & (pl.col("风险点代码") == "R3")).row(0, named=True)
    assert (r3["减收金额"], r3["细分原因"]) == (12000.0, "务工时间缩短")
    # nobody of H011 works away: local wages are 其他工资性收入, not 务工收入
    assert (inc[("H011", 2022)]["务工收入"], inc[("H011", 2022)]["其他工资性收入"]) == (0.0, 9000.0)
    assert inc[("H002", 2022)]["公益岗位收入"] == 6000.0 and inc[("H002", 2022)]["务工收入"] == 0.0


def test_household_columns_from_every_member(data):
    hh = by_id(data.households)
    assert hh["H003"]["是否低保户"] is True  # the son's row says 农村低保, the head's 未享受
    assert hh["H001"]["乡镇"] == "前进乡"  # header 乡
    assert (hh["H001"]["劳动力人数"], hh["H001"]["弱劳动力或半劳动力人数"], hh["H001"]["16岁以下人数"]) == (1, 1, 1)
    assert (hh["H002"]["60岁以上人数"], hh["H002"]["70岁以上人数"]) == (2, 2)
    assert hh["H009"]["家庭人口数"] == 4 and hh["H009"]["16岁以下人数"] == 2  # the newborn counted
    assert hh["H001"]["务工不稳风险"] is True and hh["H002"]["务工不稳风险"] is False
    # a 20-digit 残疾人证 number is no ID problem; its holder's age comes from its first 18 digits
    assert data.findings.filter(pl.col("代码") == "W201").is_empty()
    h4 = data.persons.filter((pl.col("户编号") == "H004") & (pl.col("年度") == 2022)).row(0, named=True)
    assert (h4["证件类型"], h4["年龄"]) == ("残疾人证", 64)


def test_persons_frame_follows_the_contract(data):
    from lib.io.inputs import PERSON_SCHEMA, empty_persons

    assert data.persons.schema == pl.Schema(PERSON_SCHEMA)
    assert empty_persons().schema == pl.Schema(PERSON_SCHEMA)
    head = data.persons.filter((pl.col("户编号") == "H001") & (pl.col("年度") == 2021) & (pl.col("与户主关系") == "户主"))
    assert head.select("年龄", "务工月数", "务工月收入", "公益岗位").row(0) == (46, 10.0, 3000.0, False)
    assert data.persons.filter(pl.col("户编号") == "H002")["公益岗位"].to_list()[0] is True
    assert "证件号码" not in data.persons.columns  # no full ID leaves the reader


def test_export_measures_fill_the_ledger(analysis):
    m = analysis.measures.filter(pl.col("户编号") == "H001").sort("措施类型")
    assert m.select("措施类型", "措施内容", "状态", "牵头单位").rows() == [
        ("M1", "外出务工交通补贴", "已落实", "区人社局"), ("M2", "发展肉牛养殖", "已落实", "区乡村振兴局")]
    hh = by_id(analysis.households)
    assert hh["H001"]["已有措施"] == ["M1", "M2"] and hh["H003"]["已有措施"] == ["M3"]
    summary = analysis.ledger["台账汇总"].filter(pl.col("村") == "全区").row(0, named=True)
    assert summary["措施数"] == analysis.measures.height >= 5


def test_measures_sheet_merged_duplicates_once(tmp_path, district, folder):
    sheet = tmp_path / "帮扶措施.csv"
    sheet.write_text("户编号,措施类型,措施内容,预计增收,状态\nH001,M2,发展肉牛养殖,3000,已落实\nH009,M4,技能培训,1000,计划\n",
                     encoding="utf-8")
    data = read_input([folder / Y2021, folder / Y2022, sheet])
    m = data.measures.filter(pl.col("户编号").is_in(["H001", "H009"])).sort("户编号", "措施类型")
    assert m.select("户编号", "措施类型", "预计增收").rows() == [("H001", "M1", 0.0), ("H001", "M2", 3000.0), ("H009", "M4", 1000.0)]
    assert "读取「帮扶措施」：帮扶措施" in data.describe()


def test_exits_are_not_unsurveyed_and_new_entries_are_marked(analysis):
    hh = by_id(analysis.households)
    assert (hh["H005"]["收入研判"], hh["H005"]["退出原因"]) == (EXITED, "风险已消除（帮扶消除，2022年6月）")
    assert (hh["H006"]["收入研判"], hh["H006"]["退出原因"]) == (EXITED, "本年导出中无此户")
    assert (hh["H007"]["收入研判"], hh["H007"]["退出原因"]) == (EXITED, "自然消亡")
    assert hh["H006"]["说明"] == "已退出（本年导出中无此户），不在本年排查范围"
    assert hh["H008"][NEW_ENTRY] is True and hh["H008"]["收入研判"] == NOT_SURVEYED
    assert sum(1 for r in hh.values() if r[NEW_ENTRY]) == 1
    s = analysis.summary
    assert (s[EXITED], s[NEW_ENTRY]) == (3, 1)
    assert s["排查覆盖"] == {"应排查户数": len(hh) - 3, "已排查户数": len(hh) - 4, "排查率": round((len(hh) - 4) / (len(hh) - 3), 4)}
    ledger = analysis.ledger["台账汇总"].filter(pl.col("村") == "全区").row(0, named=True)
    assert (ledger[EXITED], ledger[NEW_ENTRY], ledger["未排查"]) == (3, 1, 1)


def test_a_work_export_changes_no_income(folder, data, district):
    write_work_export(folder / WORK, district, 2022)
    with_work = read_input([folder / Y2021, folder / Y2022, folder / WORK])
    assert with_work.income.equals(data.income)
    assert with_work.households.equals(data.households)
    line = with_work.describe().splitlines()[-1]
    assert line.startswith(f"读取「{WORK.removesuffix('.xlsx')}·已外出务工信息」：务工导出，年度 2022")
    # H009's spouse has no 务工 facts in the yearly export; the head's are kept as exported
    head = with_work.persons.filter((pl.col("户编号") == "H001") & (pl.col("年度") == 2022) & (pl.col("与户主关系") == "户主"))
    assert head.select("务工月数", "务工月收入").row(0) == (6.0, 3000.0)
    (folder / WORK).unlink()


def test_a_work_export_fills_missing_work_facts(tmp_path, district):
    bare = demo_district()
    for h in bare:  # the yearly export without 务工月收入
        for y in h.years.values():
            for p in y.members:
                p.monthly = None
    write_yearly(tmp_path / Y2021, bare, 2021)
    write_yearly(tmp_path / Y2022, bare, 2022)
    write_work_export(tmp_path / WORK, bare, 2022)
    data = read_input(tmp_path)  # a folder: every file in it
    head = data.persons.filter((pl.col("户编号") == "H001") & (pl.col("年度") == 2022) & (pl.col("与户主关系") == "户主"))
    assert head.select("务工月数", "务工月收入").row(0) == (6.0, 3500.0)
    alone = read_input([tmp_path / Y2021, tmp_path / Y2022])
    assert data.income.equals(alone.income)


def test_two_year_file_takes_its_years_from_the_column(tmp_path, district, data):
    path = write_two_years(tmp_path / "（自定义）监测对象信息_20230109.xlsx", district)
    both = read_input(path)
    assert both.describe() == "读取「Sheet1」：年度导出（年度取自「年度」列）"
    assert both.income.drop("来源行号").equals(data.income.drop("来源行号"))
    assert by_id(both.households)["H006"]["退出原因"] == "本年导出中无此户"


def test_unknown_year_asks_and_names_the_flag(tmp_path, district):
    unnamed = tmp_path / "（自定义）监测对象信息 (1).xlsx"
    write_yearly(unnamed, district, 2022)
    write_yearly(tmp_path / Y2021, district, 2021)
    with pytest.raises(InputError, match=r"无法确定「（自定义）监测对象信息 \(1\)\.xlsx」的年度.*--year"):
        read_input([tmp_path / Y2021, unnamed])
    stamped = tmp_path / "（自定义）监测对象信息_20230109.xlsx"
    write_yearly(stamped, district, 2022)
    with pytest.raises(InputError, match="文件名中的20230109像是下载日期"):
        read_input([tmp_path / Y2021, stamped])
    data = read_input([tmp_path / Y2021, unnamed], {"（自定义）监测对象信息 (1).xlsx": 2022})
    assert sorted(data.income["年度"].unique()) == [2021, 2022]
    assert "年度 2022（年度由 --year 指定）" in data.describe()


def test_cli_reads_several_files_says_which_year_and_asks(tmp_path, district, capsys):
    write_yearly(tmp_path / Y2021, district, 2021)
    unnamed = tmp_path / "（自定义）监测对象信息 (1).xlsx"
    write_yearly(unnamed, district, 2022)
    policy = tmp_path / "policy.toml"
    policy.write_text("[rules]\npension_in_net_income = true\n", encoding="utf-8")
    args = ["analyze", str(tmp_path / Y2021), str(unnamed), "-o", str(tmp_path / "out"), "--policy", str(policy)]
    assert main(args) == 2
    assert "--year" in capsys.readouterr().err
    assert main(args + ["--year", "（自定义）监测对象信息 (1).xlsx=2022"]) == 0
    err = capsys.readouterr().err
    assert "「（自定义）监测对象信息 (1)·Sheet1」：年度导出，年度 2022（年度由 --year 指定）" in err
    households = pl.read_csv(tmp_path / "out" / "households.csv")
    assert (households["收入研判"] == EXITED).sum() == 3
    assert main(args + ["--year", "没有等号"]) == 2
