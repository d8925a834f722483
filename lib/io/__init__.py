"""Input and output: reading workbooks, CSV folders, parquet and national-system exports into the canonical frames; the template; result files; atomic writes."""
