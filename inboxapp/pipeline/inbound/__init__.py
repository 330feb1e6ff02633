"""Inbound: provider webhooks -> one stored event -> a job applies it to the workspace.

``endpoints`` (URL tokens, signing secrets), ``signature``, ``store`` (accept once),
``jobs`` (process, sweep, replay), one adapter per provider (``emailbison``, ``ghl``,
``linkedin``, ``smartlead``, ``instantly``) producing ``event.InboundEvent``, and the shared
rules: ``identity``, ``cleaning``, ``classifier``, ``process``. The HTTP route is
``inboxapp/api/webhook_routes.py``; the CLI ``inboxapp/pipeline/inbound/cli.py``.
"""
