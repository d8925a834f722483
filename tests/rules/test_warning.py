"""预警等级 and 应纳未纳 (lib/rules/warning.py)."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lib.rules.classify import judgement
from lib.policy import default_policy
from lib.rules.warning import add_warnings

POLICY = default_policy()  # 2022 line: 6,600; 1.5 × = 9,900; orange_drop 30%


def warn(last, this, policy=POLICY, 户类型="脱贫户", 监测对象类别=None):
    frame = pl.DataFrame(
        {"上年人均纯收入": [last], "本年人均纯收入": [this], "户类型": [户类型], "监测对象类别": [监测对象类别]},
        schema={"上年人均纯收入": pl.Float64, "本年人均纯收入": pl.Float64, "户类型": pl.String, "监测对象类别": pl.String},
    ).with_columns(judgement(policy.flat_band))
    return add_warnings(frame, policy, 2022).select("预警等级", "应纳未纳").row(0)


@pytest.mark.parametrize(
    ("last", "this", "level"),
    [
        (7000.0, 6599.99, "红"),  # below this year's line
        (5000.0, 6500.0, "红"),  # 红 even while gaining
        (30000.0, 21000.0, "橙"),  # exactly −30% (above 1.5 × line)
        (30000.0, 21000.01, "黄"),  # −29.99…%, above 9,900
        (10000.0, 9000.0, "橙"),  # −10% but 9,000 < 9,900
        (10300.0, 9900.0, "黄"),  # −3.9%, exactly at 1.5 × line (not below)
        (20000.0, 19000.0, "黄"),
        (20000.0, 19700.0, "绿"),  # −1.5%: 持平
        (20000.0, 25000.0, "绿"),
        (None, 8000.0, "绿"),  # last year missing: nothing to compare, not below the line
        (None, 6000.0, "红"),  # … but below the line is red whatever the comparison
        (8000.0, None, None),  # this year missing: no level
        (-2000.0, 9000.0, "绿"),
        (0.0, -100.0, "红"),
    ],
)
def test_levels(last, this, level):
    assert warn(last, this)[0] == level


def test_orange_by_drop_alone_far_above_the_line():
    lower = POLICY.with_year(2022, monitoring_threshold=100)  # 1.5 × = 150
    assert warn(1000.0, 600.0, lower)[0] == "橙"  # −40%
    assert warn(1000.0, 700.0, lower)[0] == "橙"  # −30% exactly
    assert warn(1000.0, 800.0, lower)[0] == "黄"  # −20%, far above 150
    # a fall from a base ≤ 0 ends below 0, under any line: 红, never judged by the drop share
    assert warn(0.0, -100.0, lower)[0] == "红"


@pytest.mark.parametrize(
    ("this", "hh_type", "category", "expected"),
    [
        (6000.0, "脱贫户", None, True),
        (6000.0, "一般农户", None, True),
        (6000.0, "脱贫户", "脱贫不稳定户", False),  # already a monitoring target
        (6000.0, "一般农户", "边缘易致贫户", False),
        (6600.0, "脱贫户", None, False),  # at the line is not below it
        (None, "脱贫户", None, False),  # this year not surveyed: nothing shows it below
        (6000.0, None, None, False),  # blank 户类型 (the reader reports the blank cell)
    ],
)
def test_should_be_monitored(this, hh_type, category, expected):
    assert warn(7000.0, this, 户类型=hh_type, 监测对象类别=category)[1] is expected


@settings(max_examples=200, deadline=None)
@given(
    st.integers(-5000, 40000),
    st.integers(-5000, 40000),
    st.sampled_from([0.5, 3.0, 10.0, 123.4]),
)
def test_scaling_amounts_and_lines_changes_no_level(last, this, k):
    scaled = POLICY.with_year(2022, monitoring_threshold=6600 * k)
    assert warn(last * k, this * k, scaled) == warn(float(last), float(this))
