"""Village briefings: one papermill run per village, offline HTML, Excel ledger, index.

Modules, one step each (read in this order): ``store`` (the analysis saved once, partitioned
by village; each briefing loads only its own village), ``execute`` (papermill with a fixed
kernel, warm kernels, one retry when a kernel fails to start), ``html`` (executed notebook →
self-contained HTML with no network reference), ``excel`` (the ledger), ``index``
(``index.html``), ``scenario`` (a what-if page), ``pipeline`` (``run_report``: analyse once,
every village in a process pool, the district, the index).

This package imports nothing itself, so a report notebook's ``from lib.report import store``
costs no papermill and no nbconvert. Notebook set-up (offline plotly renderer, fonts) is in
``lib.present.notebook``.

What a report notebook does
---------------------------
The first code cell after ``parameters``::

    from lib.present.notebook import setup_notebook
    from lib.report import store
    setup_notebook()
    analysis = store.load(store_dir, village=village)   # the district notebook: store.load(store_dir)

Parameters injected by the pipeline (``lib.report.pipeline.VILLAGE_PARAMETERS``; declare
those you use in the ``parameters`` cell, the pipeline passes only the ones declared):

=================  ===============================================================
``village``        the village's name (村), village notebook only
``store_dir``      the analysis store (``lib.report.store``), policy values included
``input_path``     the input workbook, for display and a standalone re-run
``output_dir``     the output folder (``<village>.html`` etc. are written there)
=================  ===============================================================

The policy does not travel as a path: it is in the store, as values.
"""
