"""Messages in and out: provider webhooks -> durable ingestion, and replies -> outbox delivery.

* ``inbound``: signed webhook endpoints store each raw event once; a job turns it (one adapter
  per provider) into one internal event and applies it (lead, campaign, message, sentiment).
* ``outbound``: a reply or an approved draft becomes a message plus an outbox row in one
  transaction; a job delivers it through the lead's provider exactly once.
"""
