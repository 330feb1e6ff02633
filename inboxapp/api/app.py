"""The HTTP API (FastAPI), mounted into the Reflex backend through ``api_transformer``."""

from __future__ import annotations

from fastapi import FastAPI


def create_api() -> FastAPI:
    api = FastAPI(
        title="inboxapp API", docs_url=None, redoc_url=None, openapi_url="/api/openapi.json"
    )

    @api.get("/api/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    return api
