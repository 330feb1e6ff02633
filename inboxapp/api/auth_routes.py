"""``/api/auth``: sign in, rotate, sign out, who am I. Thin routes over
:mod:`inboxapp.auth.service` (sync functions: FastAPI runs them in its threadpool)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field, model_validator

from inboxapp.auth import service

from .contract import errors
from .deps import CurrentUser, client_ip
from .params import TEXT_PATTERN

router = APIRouter(prefix="/api/auth", tags=["auth"])


class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore", hide_input_in_errors=True)


def _text(max_length: int) -> Any:
    return Field(default=None, min_length=1, max_length=max_length, pattern=TEXT_PATTERN)


def _grants(schema: dict[str, Any]) -> None:
    """The document says which field combinations :attr:`TokenRequest.grant` accepts."""
    fields = schema["properties"]

    def given(name: str) -> dict[str, Any]:  # the field's non-null alternative
        return next(b for b in fields[name]["anyOf"] if b.get("type") != "null")

    schema["anyOf"] = [
        {
            "required": ["email", "password"],
            "properties": {
                "grant_type": {"enum": ["password", None]},
                "email": given("email"),
                "password": given("password"),
            },
        },
        {
            "required": ["grant_type", "refresh_token"],
            "properties": {
                "grant_type": {"const": "refresh_token"},
                "refresh_token": given("refresh_token"),
            },
        },
        {
            "required": ["refresh_token"],
            "properties": {
                "grant_type": {"type": "null"},
                "email": {"type": "null"},
                "refresh_token": given("refresh_token"),
            },
        },
    ]


class TokenRequest(_Body):
    """Supabase-style: ``grant_type`` ``password`` (default) or ``refresh_token``."""

    model_config = ConfigDict(json_schema_extra=_grants)

    grant_type: Literal["password", "refresh_token"] | None = None
    email: str | None = _text(service.MAX_EMAIL_CHARS)
    password: str | None = _text(service.MAX_PASSWORD_CHARS)
    refresh_token: str | None = _text(service.MAX_REFRESH_TOKEN_CHARS)

    @model_validator(mode="after")
    def _fields_for_grant(self) -> TokenRequest:
        if self.grant is None:
            raise ValueError("email and password are required")
        return self

    @property
    def grant(self) -> Literal["password", "refresh_token"] | None:
        if self.grant_type == "refresh_token" or (
            self.grant_type is None and self.refresh_token is not None and self.email is None
        ):
            return "refresh_token" if self.refresh_token is not None else None
        return "password" if self.email is not None and self.password is not None else None


class RefreshRequest(_Body):
    refresh_token: str = Field(
        min_length=1, max_length=service.MAX_REFRESH_TOKEN_CHARS, pattern=TEXT_PATTERN
    )


class UserRef(BaseModel):
    id: str
    email: str


class TokenResponse(BaseModel):
    access_token: str
    token_type: str
    expires_in: int
    refresh_token: str
    user: UserRef


class MeUser(UserRef):
    displayName: str


class Workspace(BaseModel):
    id: str
    name: str
    role: str


class MeResponse(BaseModel):
    user: MeUser
    workspaces: list[Workspace]


@router.post(
    "/token",
    response_model=TokenResponse,
    responses=errors(400, 401, 429, 503),
)
def token(body: TokenRequest, request: Request) -> dict[str, object]:
    if body.grant == "refresh_token" and body.refresh_token is not None:
        pair = service.refresh(body.refresh_token)
    else:
        assert body.email is not None and body.password is not None  # checked by the model
        pair = service.login(body.email, body.password, client_ip(request))
    request.state.user_id = pair.user_id  # for the access log line
    return pair.as_json()


@router.post("/refresh", response_model=TokenResponse, responses=errors(400, 401, 429, 503))
def refresh(body: RefreshRequest, request: Request) -> dict[str, object]:
    pair = service.refresh(body.refresh_token)
    request.state.user_id = pair.user_id
    return pair.as_json()


@router.post("/logout", status_code=204, response_class=Response, responses=errors(400, 503))
def logout(body: RefreshRequest) -> Response:
    service.logout(body.refresh_token)
    return Response(status_code=204)


@router.get("/me", response_model=MeResponse, responses=errors(401))
def me(claims: CurrentUser) -> dict[str, object]:
    return service.me(claims.user_id).as_json()
