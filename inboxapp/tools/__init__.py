"""Operator and tester tools (``python -m inboxapp.tools.<name>``).

* :mod:`.switch_stress`: drive Chromium through fast workspace switches and report.
* :mod:`.release_check`: the release gate behind ``make release-check``.
"""
