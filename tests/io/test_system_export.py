"""The national-system adapter on a small hand-made export (one sheet per year, title row)."""

import polars as pl
import pytest
import xlsxwriter

from lib.catalogue import HOUSEHOLD_COLUMNS, INCOME_SYSTEM_COLUMNS, ROSTER_STATUS_COLUMNS, INCOME_COLUMNS, SOURCE_ROW
from lib.io.reader import InputError, read_input
from tests.conftest import ID_A, ID_B

HEADER = ["县", "乡(镇)", "行政村", "户编号", "人编号", "姓名", "证件号码", "与户主关系", "人数", "劳动技能",
          "务工时间（月）", "户类型", "监测对象类别", "致贫/返贫风险1", "享受低保政策情况", "工资性收入", "公益性岗位收入",
          "生产经营性收入", "财产性收入", "资产收益扶贫分红收入", "转移性收入", "最低生活保障金", "养老金或离退休金",
          "生产经营性支出", "人均纯收入（元）", "年度家庭人口数"]


def person(hid, name, relation, skill, months, wage, public, operating, prop, dividend, transfer, dibao, pension, cost,
           per_capita, members, *, pid="", rid="", category="", risk="", dibao_status="否", kind="脱贫户"):
    return ["桦川县", "前进镇", "南岗村", hid, pid, name, rid, relation, members, skill, months, kind, category, risk,
            dibao_status, wage, public, operating, prop, dividend, transfer, dibao, pension, cost, per_capita, members]


# H001: three members; 2021 net = (30000 + 8000 - 3000 + 1000 + 5000) = 41000 → 13666.67 per person.
# 2022 wage falls to 20000 → net 31000 → 10333.33. 2022's 人均纯收入 is mistyped (10000) → finding.
# H002: one member on 低保; 2022 转移性收入 is "不详" → that year is rejected.
# H003: 公益性岗位收入 larger than 工资性收入 in 2022 → both member rows rejected (E113).
ROWS = {
    2021: [
        person("H001", "张三", "户主", "普通劳动力", 10, 30000, 6000, 8000, 1000, 800, 5000, 0, 2000, 3000, "13666.67", 3, rid=ID_A),
        person("H001", "李四", "配偶", "弱劳动力或半劳动力", 2, 30000, 6000, 8000, 1000, 800, 5000, 0, 2000, 3000, "13666.67", 3),
        person("H001", "张小", "之子", "无劳动力", None, 30000, 6000, 8000, 1000, 800, 5000, 0, 2000, 3000, "13666.67", 3),
        person("H002", "王五", "户主", "丧失劳动力", None, 0, 0, 0, 500, 500, 9000, 6000, 3000, 0, "9500", 1,
               category="边缘易致贫户", risk="因病", dibao_status="一类低保"),
        person("H003", "赵六", "户主", "普通劳动力", 12, 3000, 2000, 0, 0, 0, 0, 0, 0, 0, "1500", 2, rid=ID_B, kind="一般农户"),
        person("H003", "钱七", "配偶", "技能劳动力", 12, 3000, 2000, 0, 0, 0, 0, 0, 0, 0, "1500", 2, kind="一般农户"),
    ],
    2022: [
        person("H001", "张三", "户主", "普通劳动力", 6, 20000, 6000, 8000, 1000, 800, 5000, 0, 2000, 3000, "10000", 3, rid=ID_A,
               risk="因自然灾害（冰雹）"),
        person("H001", "李四", "配偶", "弱劳动力或半劳动力", 0, 20000, 6000, 8000, 1000, 800, 5000, 0, 2000, 3000, "10000", 3),
        person("H001", "张小", "之子", "无劳动力", None, 20000, 6000, 8000, 1000, 800, 5000, 0, 2000, 3000, "10000", 3),
        person("H002", "王五", "户主", "丧失劳动力", None, 0, 0, 0, 500, 500, "不详", 6000, 3000, 0, "9500", 1,
               category="边缘易致贫户", dibao_status="一类低保"),
        person("H003", "赵六", "户主", "普通劳动力", 12, 1000, 2000, 0, 0, 0, 0, 0, 0, 0, "", 2, rid=ID_B, kind="一般农户"),
        person("H003", "钱七", "配偶", "技能劳动力", 12, 1000, 2000, 0, 0, 0, 0, 0, 0, 0, "", 2, kind="一般农户"),
    ],
}


def write_export(path, rows=ROWS, title=True, header=HEADER):
    book = xlsxwriter.Workbook(path)
    for year, people in rows.items():
        ws = book.add_worksheet(f"{year}年")
        top = 0
        if title:
            ws.write_string(0, 0, f"{year}年度脱贫人口和监测对象基础信息")
            top = 1
        ws.write_row(top, 0, header)
        for i, values in enumerate(people, start=top + 1):
            for j, v in enumerate(values):
                if isinstance(v, (int, float)):
                    ws.write_number(i, j, v)
                elif v not in (None, ""):
                    ws.write_string(i, j, v)
    book.close()
    return path


@pytest.fixture
def export(tmp_path):
    return read_input(write_export(tmp_path / "系统导出.xlsx"))


def test_households_from_person_rows(export):
    hh = export.households
    assert hh.columns == [c.name for c in HOUSEHOLD_COLUMNS] + [SOURCE_ROW] + [c.name for c in ROSTER_STATUS_COLUMNS]
    h1 = hh.filter(pl.col("户编号") == "H001").row(0, named=True)
    assert (h1["户主姓名"], h1["证件号码"], h1["村"], h1["乡镇"]) == ("张三", ID_A, "南岗村", "前进镇")
    assert (h1["家庭人口数"], h1["劳动力人数"], h1["弱劳动力或半劳动力人数"]) == (3, 1, 1)
    assert (h1["户类型"], h1["监测对象类别"], h1["是否低保户"], h1["是否受灾"]) == ("脱贫户", None, False, True)
    assert h1[SOURCE_ROW] == 3  # head's row in the 2022 sheet (title row 1, header row 2)
    h2 = hh.filter(pl.col("户编号") == "H002").row(0, named=True)
    # only 2021 is usable for H002
    assert (h2["监测对象类别"], h2["是否低保户"], h2["劳动力人数"], h2["是否受灾"]) == ("边缘易致贫户", True, 0, False)
    assert "H003" in hh["户编号"].to_list()  # its 2021 is fine


def test_income_items_mapped_from_system_columns(export):
    inc = export.income
    assert inc.columns == [c.name for c in INCOME_COLUMNS] + [SOURCE_ROW] + [c.name for c in INCOME_SYSTEM_COLUMNS]
    h1 = {r["年度"]: r for r in inc.filter(pl.col("户编号") == "H001").iter_rows(named=True)}
    assert h1[2021]["务工收入"] == 24000.0  # 工资性收入 30000 − 公益性岗位收入 6000
    assert h1[2022]["务工收入"] == 14000.0
    assert h1[2021]["公益岗位收入"] == 6000.0
    assert h1[2021]["其他经营收入"] == 8000.0 and h1[2021]["生产经营性支出"] == 3000.0
    assert (h1[2021]["产业收益分配"], h1[2021]["其他财产性收入"]) == (800.0, 200.0)
    assert (h1[2021]["低保金"], h1[2021]["养老金"], h1[2021]["其他转移性收入"]) == (0.0, 2000.0, 3000.0)
    assert (h1[2021]["务工月数"], h1[2022]["务工月数"]) == (12.0, 6.0)  # members' months summed
    assert h1[2021]["家庭人口数"] == 3
    assert set(inc["户编号"]) == {"H001", "H002", "H003"}
    assert inc.filter(pl.col("户编号") == "H002")["年度"].to_list() == [2021]
    assert inc.filter(pl.col("户编号") == "H003")["年度"].to_list() == [2021]


def test_rejects_and_findings_by_person_row(export):
    rejects = {(r["工作表"], r["行号"]): r for r in export.rejects.iter_rows(named=True)}
    bad = rejects[("2022年", 6)]
    assert (bad["代码"], bad["列"], bad["值"]) == ("E102", "转移性收入", "不详")
    assert {rejects[("2022年", 7)]["代码"], rejects[("2022年", 8)]["代码"]} == {"E113"}
    assert "工资性收入" in rejects[("2022年", 7)]["原因"]
    assert len(rejects) == 3
    assert export.rows_read == {"2021年": 6, "2022年": 6}
    used = {"2021年": 6, "2022年": 3}  # person rows of accepted household-years
    for sheet, count in export.rows_read.items():
        assert count == used[sheet] + sum(1 for s, _ in rejects if s == sheet)
    off = export.findings.filter(pl.col("代码") == "W205")
    assert off.select("工作表", "行号").rows() == [("2022年", 3)]  # 10000 typed, items give 10333.33


def test_member_rows_of_a_rejected_household_are_rejected_too(tmp_path):
    rows = {y: [list(r) for r in people] for y, people in ROWS.items()}
    rows[2022][1][HEADER.index("务工时间（月）")] = "半年"  # a bad cell on the spouse's row of H001
    rows[2022][3][HEADER.index("转移性收入")] = 9000  # H002 keeps 2022 usable
    data = read_input(write_export(tmp_path / "e.xlsx", rows))
    h1 = data.rejects.filter(pl.col("工作表") == "2022年").sort("行号").head(3)
    assert h1["代码"].to_list() == ["E112", "E102", "E112"]
    assert "同户第4行有误" in h1["原因"][0]
    assert data.income.filter(pl.col("户编号") == "H001")["年度"].to_list() == [2021]


def test_year_from_column_in_csv_folder(tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    header = HEADER + ["年度"]
    lines = [",".join(header)]
    for year, people in ROWS.items():
        for p in people[:3]:  # H001 only
            lines.append(",".join("" if v is None else str(v) for v in p) + f",{year}")
    (folder / "监测系统导出.csv").write_text("\n".join(lines), encoding="gbk")
    data = read_input(folder)
    assert data.income["年度"].to_list() == [2021, 2022]
    assert data.income["务工收入"].to_list() == [24000.0, 14000.0]
    assert data.rows_read == {"监测系统导出": 6}


def test_export_without_year_is_an_input_error(tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    lines = [",".join(HEADER)] + [",".join("" if v is None else str(v) for v in p) for p in ROWS[2021]]
    (folder / "监测系统导出.csv").write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(InputError, match="无法确定「监测系统导出.csv」的年度.*--year"):
        read_input(folder)


def test_export_with_one_year_is_an_input_error(tmp_path):
    path = write_export(tmp_path / "e.xlsx", {2022: ROWS[2021]})
    with pytest.raises(InputError, match="只有 1 个可用年度"):
        read_input(path)
