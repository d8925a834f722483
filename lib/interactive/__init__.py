"""Interactive analysis for the notebooks: filters, what-if scenarios, post allocation, widgets."""
