"""Review reports for commanders: the figures of a unit (and every unit
below it) over a period, compared with the period of the same length just
before, as a PDF with plots, CSV tables, and the console's "Báo cáo" page.

queries.py (the SQL), rollups.py (the daily rollups of citizens' messages), figures.py (the figures and their comparison),
plots.py (matplotlib), pdf.py (the PDF), __main__.py (the command line);
the console page is bot/console/reports.py.
"""
