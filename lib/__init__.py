"""zengshou (增收监测): every computation of the kit, importable and unit-tested.

Catalogues in `catalogue`, parameters in `policy`; input in `reader`/`template`; the rules
(`income`, `classify`, `risk`, `warning`, `measures`, `ledger`, `poverty`, `explain`) composed by
`analysis.analyze`; results written by `writer`; briefings built by `report`.
"""
