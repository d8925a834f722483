"""The rules engine: pure functions over polars frames and a frozen Policy. Never imports lib.io, lib.present, lib.interactive or lib.report."""
