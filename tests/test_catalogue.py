"""The catalogues are complete and consistent: one definition each, no dangling names."""

from lib import catalogue as c


def test_four_income_kinds_each_have_items():
    for kind in c.INCOME_KINDS:
        assert c.items_of_kind(kind), kind
    assert len(set(c.ITEM_NAMES)) == len(c.ITEM_NAMES) == 17


def test_only_operating_cost_is_subtracted():
    assert [i.name for i in c.INCOME_ITEMS if i.sign < 0] == [c.OPERATING_COST]


def test_nine_risk_points_and_their_items_exist():
    assert c.RISK_CODES == tuple(f"R{i}" for i in range(1, 10))
    for r in c.RISK_POINTS:
        assert set(r.items) <= set(c.ITEM_NAMES), r.code
    assert c.RISK_BY_CODE["R8"].items == ()  # not inferable from numbers


def test_five_measures_with_the_plans_lead_units():
    assert {m.code: m.lead_unit for m in c.MEASURES} == {
        "M1": "区人社局", "M2": "区乡村振兴局", "M3": "区民政局", "M4": "区委宣传部", "M5": "区委组织部",
    }


def test_income_sheet_lists_every_item_once():
    names = [col.name for col in c.INCOME_COLUMNS]
    for item in c.ITEM_NAMES:
        assert names.count(item) == 1


def test_headers_and_aliases_are_unambiguous_within_a_sheet():
    for sheet, columns in c.SHEETS.items():
        seen = {}
        for col in columns:
            for label in (col.name, col.en, *col.aliases):
                assert label not in seen or seen[label] == col.name, (sheet, label)
                seen[label] = col.name
