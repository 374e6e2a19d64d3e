"""The drill console: a local web app (Starlette, server-rendered Jinja templates, charts
drawn server-side as SVG so no script or CDN is needed) where a facilitator runs drills for
a cohort and each candidate plays theirs through a join link.

- store.py: cohorts, candidates, hints and the facilitator's token in SQLite;
- live.py: the candidates' drills held in memory, resumed from the journal;
- charts.py: a query result as an SVG time-series chart (axes, units, the page, moves);
- app.py: the routes, the roles (a candidate's token sees that session only), CSRF.
"""
