"""Outbound: a reply or an approved draft -> one message plus one outbox row -> a job delivers it.

``outbox`` (queue a send in the caller's transaction, find a repeat of an ``Idempotency-Key``,
re-queue a failed send), ``credentials`` (per-workspace API keys, encrypted at rest),
``thread`` (what each provider needs to answer in the lead's thread), ``delivery`` (the job:
claim, send with the idempotency key, sent / retry with backoff / failed), and one sender module
per provider (``emailbison``, ``ghl``, ``linkedin``, ``smartlead``, ``instantly``) speaking
its real HTTP API. The local stand-in for all five is :mod:`inboxapp.pipeline.sandbox`.
"""
