"""The policy file: defaults, key-by-key override, and Chinese messages for hand-edit mistakes."""

import json
from types import MappingProxyType

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lib.policy import (
    Policy,
    PolicyError,
    YearParams,
    default_policy,
    load_policy,
    policy_from_dict,
    policy_from_toml,
    policy_to_dict,
    policy_to_toml,
)


def write(tmp_path, text):
    path = tmp_path / "本县参数.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_match_design():
    p = default_policy()
    assert p.flat_band == 0.02
    assert p.pension_in_net_income is True and p.dibao_excludes_basic_pension is True
    assert p.orange_drop == 0.30 and p.orange_multiple == 1.5 and p.work_cost_deduction == 0.0
    assert p.threshold(2021) == 6000 and p.threshold(2022) == 6600
    assert p.dibao(2022) == 0


def test_override_keeps_other_defaults(tmp_path):
    p = load_policy(write(tmp_path, "[rules]\nflat_band = 0.05\n[years.2023]\nmonitoring_threshold = 7300\n"))
    assert p.flat_band == 0.05
    assert p.orange_drop == 0.30  # untouched key keeps its default
    assert p.threshold(2023) == 7300 and p.threshold(2021) == 6000
    assert "本县参数.toml" in p.source


def test_override_dibao_only_keeps_threshold(tmp_path):
    p = load_policy(write(tmp_path, "[years.2022]\ndibao_standard = 5160\n"))
    assert p.dibao(2022) == 5160 and p.threshold(2022) == 6600


@pytest.mark.parametrize(
    "text, words",
    [
        ("[rules]\nflat_bnad = 0.05\n", ["未知参数", "flat_bnad"]),
        ("[rulez]\n", ["未知的配置节", "rulez"]),
        ("[years.2030]\ndibao_standard = 100\n", ["2030", "monitoring_threshold"]),
        ("[years.2022]\nmonitoring_threshold = -1\n", ["2022", "负数"]),
        ("[rules]\nflat_band = 2\n", ["flat_band", "范围"]),
        ("[rules]\npension_in_net_income = 1\n", ["pension_in_net_income", "true"]),
        # last season's key: the message names the two keys that replace it
        ("[rules]\nexclude_basic_pension = true\n",
         ["exclude_basic_pension", "已停用", "pension_in_net_income", "dibao_excludes_basic_pension"]),
        ("[years.abc]\nmonitoring_threshold = 1\n", ["abc", "整数"]),
        ("[rules\n", ["格式错误"]),
    ],
)
def test_bad_files_name_the_key(tmp_path, text, words):
    with pytest.raises(PolicyError) as err:
        load_policy(write(tmp_path, text))
    for word in words:
        assert word in str(err.value)


def test_missing_year_is_a_clear_error():
    with pytest.raises(PolicyError, match="缺少 1999 年度"):
        default_policy().threshold(1999)


def test_missing_file(tmp_path):
    with pytest.raises(PolicyError, match="找不到政策文件"):
        load_policy(tmp_path / "none.toml")


def test_what_if_copies_do_not_touch_the_original():
    p = default_policy()
    q = p.with_rules(flat_band=0.1).with_year(2022, monitoring_threshold=7000)
    assert q.flat_band == 0.1 and q.threshold(2022) == 7000
    assert p.flat_band == 0.02 and p.threshold(2022) == 6600


def test_table_prints_every_year_line():
    rows = dict(default_policy().table())
    assert rows["2022 年监测线 / 低保标准"] == "6,600 元 / 未设置"


def test_every_report_prints_both_pension_keys():
    rows = dict(default_policy().with_rules(dibao_excludes_basic_pension=False).table())
    assert rows["养老金计入家庭纯收入（国家监测系统口径）"] == "是"
    assert rows["低保核算不计基础养老金（过渡期社会救助口径）"] == "否"


# ---------------------------------------------------------------------------------------
# Values, not paths: Policy → dict / TOML → Policy
# ---------------------------------------------------------------------------------------

_SHARE = st.floats(0.0, 1.0, allow_nan=False)
_YUAN = st.floats(1.0, 1e6, allow_nan=False)


@st.composite
def policies(draw):
    years = draw(st.dictionaries(st.integers(2000, 2100), st.builds(YearParams, _YUAN, st.floats(0.0, 1e6)),
                                 min_size=1, max_size=4))
    return Policy(
        flat_band=draw(_SHARE), pension_in_net_income=draw(st.booleans()),
        dibao_excludes_basic_pension=draw(st.booleans()), orange_drop=draw(_SHARE),
        orange_multiple=draw(st.floats(1.0, 100.0)), work_cost_deduction=draw(_SHARE),
        years=MappingProxyType(years), source=draw(st.text(max_size=20)),
    )


@given(policies())
def test_policy_survives_dict_json_and_toml(p):
    assert policy_from_dict(policy_to_dict(p)) == p
    assert policy_from_dict(json.loads(json.dumps(policy_to_dict(p), ensure_ascii=False))) == p
    assert policy_from_toml(policy_to_toml(p)) == p


def test_policy_changed_in_code_reads_back_as_a_policy_file(tmp_path):
    changed = default_policy().with_rules(flat_band=0.045, source="代码中修改").with_year(2022, dibao_standard=5280)
    path = write(tmp_path, policy_to_toml(changed))
    back = load_policy(path)
    assert back == changed and back.table() == changed.table()


def test_policy_dict_is_checked_like_a_file():
    doc = policy_to_dict(default_policy())
    doc["rules"]["flat_band"] = 3
    with pytest.raises(PolicyError, match="flat_band"):
        policy_from_dict(doc)


@pytest.mark.parametrize("source", ['引号"与\\反斜杠', "换行\n制表\t", "\x7f\x00", "政策文件 本县参数.toml"])
def test_any_source_text_survives_toml(source):
    p = default_policy().with_rules(source=source)
    assert policy_from_toml(policy_to_toml(p)).source == source
