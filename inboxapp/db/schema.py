"""Every table module, imported: after ``import inboxapp.db.schema`` all tables are on
``SQLModel.metadata`` (Alembic's ``env.py`` and the migration drift test need the whole set).
"""

from __future__ import annotations

from inboxapp.ai import models as ai_models
from inboxapp.analytics import models as analytics_models
from inboxapp.db import models as core_models
from inboxapp.pipeline.inbound import models as inbound_models
from inboxapp.pipeline.outbound import models as outbound_models

__all__ = ["ai_models", "analytics_models", "core_models", "inbound_models", "outbound_models"]
