"""Analytics: daily rollups maintained from dirty days, windowed reads and the HTTP API.

* :mod:`.models` / migration 0007: rollup tables, dirty days, marking triggers, RLS.
* :mod:`.rollup`: the one definition of every metric (SQL), incremental/full rollups, verify.
* :mod:`.windows`: 7d / 30d / 90d / custom windows in the workspace's time zone.
* :mod:`.queries`: overview (core, breakdowns), campaigns, setters, response timing, CRM rows.
* :mod:`.read`: the cached read path (used by the API and the UI alike).
"""
