"""The 要点 box: deadlines from the as-of date, the most urgent actions by lead unit."""

from __future__ import annotations

import datetime as dt

import polars as pl

from lib.present import keypoints


def test_days_to_the_deadlines_and_passed_deadlines():
    assert keypoints.deadline_lines(dt.date(2022, 8, 15), 2022) == [
        "距8月31日台账报送截止还有 16 天", "距9月30日收入核算截止还有 46 天"]
    assert keypoints.deadline_lines(dt.date(2022, 9, 30), 2022)[1] == "今天是9月30日收入核算截止日"
    assert keypoints.deadline_lines(dt.date(2022, 10, 2), 2022) == [
        "8月31日台账报送截止日（2022年8月31日）已过 32 天", "9月30日收入核算截止日（2022年9月30日）已过 2 天"]


def _tasks(rows):
    return pl.DataFrame(rows, schema={"措施代码": pl.String, "户编号": pl.String, "落实状态": pl.String,
                                      "预警等级": pl.String, "收入缺口": pl.Float64}, orient="row")


def test_urgent_actions_name_the_lead_unit_red_first():
    tasks = _tasks([
        ("M1", "A", "未安排", "黄", 1000.0), ("M1", "B", "未安排", "黄", 500.0),
        ("M3", "C", "未安排", "红", 200.0),
        ("M5", "D", "计划", "红", 0.0),
        ("M2", "E", "已落实", "绿", 0.0),
    ])
    actions = keypoints.urgent_actions(tasks)
    assert actions[0].startswith("区民政局：为 1 户安排社会救助兜底保障") and "红色预警 1 户" in actions[0]
    assert actions[1].startswith("区人社局：为 2 户安排公益岗就业帮扶") and "1,500 元" in actions[1]
    assert actions[2] == "区委组织部：落实 1 户已列入计划的驻村帮扶、结对帮扶。"
    assert keypoints.urgent_actions(_tasks([("M2", "E", "已落实", "绿", 0.0)])) == [
        "各牵头单位推荐的措施均已落实，继续跟踪收入变化。"]
