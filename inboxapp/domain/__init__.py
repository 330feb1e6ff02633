"""The product's vocabulary, defined once: roles and what each may do, the setter scope,
sentiments, statuses, tag groups, channels and the inbox categories.

Everything else imports these names; no other Python module spells a role name or a tag list
(migrations aside: they are frozen history, and a test proves the SQL rank helper agrees with
:data:`inboxapp.domain.roles.RANK`).
"""
