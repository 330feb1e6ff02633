"""The base of every JSON payload model and the field types they share.

Each payload the read paths produce has one pydantic model (``inbox/payloads.py``,
``analytics/payloads.py``, ``jobs/payloads.py``). The same model validates a cache entry before
it is served (:meth:`inboxapp.cache.store.Cache.get_or_compute` ``validate=``) and is the
route's ``response_model`` (the OpenAPI document). Models are strict and closed: a number where
a string belongs, a missing key or an unknown key is the wrong shape.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, GetCoreSchemaHandler
from pydantic_core import CoreSchema, core_schema

UUID_PATTERN = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
"""A UUID in its canonical hyphenated form (what ``str(uuid.UUID(...))`` prints)."""
TIMESTAMP_PATTERN = (
    "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}([.][0-9]{1,6})?"
    "(Z|[+-][0-9]{2}:[0-9]{2})$"
)
"""An ISO-8601 timestamp with an offset (``datetime.isoformat()`` of an aware datetime)."""
DATE_PATTERN = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
MAX_SAFE_INTEGER = 2**53 - 1
"""The largest integer every JSON reader (JavaScript included) keeps exact."""


class Payload(BaseModel):
    """Strict (no coercion) and closed (no unknown keys)."""

    model_config = ConfigDict(extra="forbid", strict=True)


Id = Annotated[str, Field(pattern=UUID_PATTERN, json_schema_extra={"format": "uuid"})]
Timestamp = Annotated[
    str, Field(pattern=TIMESTAMP_PATTERN, json_schema_extra={"format": "date-time"})
]
Day = Annotated[str, Field(pattern=DATE_PATTERN, json_schema_extra={"format": "date"})]
Count = Annotated[int, Field(ge=0, le=MAX_SAFE_INTEGER)]
Seconds = Annotated[int, Field(ge=0, le=MAX_SAFE_INTEGER)]
Percent = Annotated[float, Field(ge=0)]


class OneOf:
    """``Annotated[str, OneOf(values)]``: exactly one of ``values``, validated and documented as
    an ``enum`` (pass the canonical tuple; never retype the values)."""

    def __init__(self, values: Iterable[str]) -> None:
        self.values = tuple(values)

    def __get_pydantic_core_schema__(
        self, _source: Any, _handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        return core_schema.literal_schema(list(self.values))
