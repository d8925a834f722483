"""Presentation: charts, tables, number and text formatting for every page and workbook."""
