"""The HTTP API (FastAPI), mounted into the Reflex backend through ``api_transformer``.

Every error is JSON ``{"error", "message"}`` (:mod:`.errors`); every request gets a request id,
log context and one access-log line (:mod:`.middleware`). The OpenAPI document is served at
``/api/openapi.json`` (FastAPI's /docs page needs a CDN, so it is off); it is the contract
(:mod:`.contract`), checked by ``tests/api/test_openapi_contract.py``.
"""

from __future__ import annotations

from typing import Literal

from fastapi import Depends, FastAPI
from pydantic import BaseModel

from inboxapp.config import get_settings
from inboxapp.jobs.tasks import install_hooks
from inboxapp.logs import configure_logging

from . import contract
from .analytics_routes import router as analytics_router
from .auth_routes import router as auth_router
from .deps import bind_route_context
from .errors import register_error_handlers
from .inbox_routes import router as inbox_router
from .inbox_write_routes import router as inbox_write_router
from .jobs_routes import router as jobs_router
from .metrics_routes import router as metrics_router
from .middleware import RequestContextMiddleware
from .webhook_routes import router as webhook_router


def create_api() -> FastAPI:
    """The app as it runs: logging configured and the job hooks installed."""
    configure_logging(get_settings().log_level)
    api = build_api()
    install_hooks()
    return api


def build_api() -> FastAPI:
    """Routes, error handlers, middleware and the contract, without touching settings."""
    api = FastAPI(
        title="inboxapp API",
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
        dependencies=[Depends(bind_route_context)],
    )
    register_error_handlers(api)
    api.add_middleware(RequestContextMiddleware)
    api.include_router(auth_router)
    api.include_router(inbox_router)
    api.include_router(inbox_write_router)
    api.include_router(analytics_router)
    api.include_router(jobs_router)
    api.include_router(metrics_router)
    api.include_router(webhook_router)

    @api.get("/api/health", response_model=Health)
    def health() -> dict[str, str]:
        return {"status": "ok"}

    contract.install(api)
    return api


class Health(BaseModel):
    status: Literal["ok"]
