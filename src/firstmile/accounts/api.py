from datetime import datetime

from ninja import Field, Router, Schema

from . import selectors, services

router = Router()


class OrganisationOut(Schema):
    code: str
    name: str
    kind: str


class MeOut(Schema):
    organisation: OrganisationOut
    user: str | None
    role: str | None
    via: str


class TokenOut(Schema):
    id: int
    name: str
    role: str
    prefix: str
    organisation: str = Field(..., alias="organisation.code")
    created_by: str | None = Field(
        None,
        alias="issued_by",
        description="The person's username, or `token:<prefix>` for a token issued by an integration",
    )
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class IssuedTokenOut(TokenOut):
    secret: str = Field(..., description="The token itself: shown this once, never again")


class TokenIn(Schema):
    name: str = Field(..., max_length=100)
    role: str = Field("staff", description="admin or staff")


class UserOut(Schema):
    id: int
    username: str
    first_name: str
    role: str
    phone: str
    is_active: bool
    organisation: str = Field(..., alias="organisation.code")
    last_login: datetime | None


class UserIn(Schema):
    username: str = Field(..., max_length=150)
    password: str = Field(..., max_length=128)
    role: str = Field("staff", description="admin, staff, or driver (carriers only)")
    first_name: str = Field("", max_length=150)
    organisation_code: str | None = Field(None, description="platform admins only: another organisation's code")


class UserPatch(Schema):
    role: str | None = None
    is_active: bool | None = None


class PasswordIn(Schema):
    password: str = Field(..., max_length=128)


@router.get("/me", response=MeOut, summary="Who the credentials belong to")
def me(request):
    actor = request.auth
    return {
        "organisation": actor.organisation,
        "user": actor.user.username if actor.user else None,
        "role": actor.role,
        "via": "token" if actor.token else "session",
    }


@router.get("/users", response=list[UserOut], summary="The organisation's people (admins)")
def list_users(request):
    return list(selectors.user_list(actor=request.auth)[:1000])


@router.post("/users", response={201: UserOut}, summary="Add a person with a role (admins)")
def create_user(request, payload: UserIn):
    actor = request.auth
    user = services.user_create(
        actor=actor,
        organisation=selectors.organisation_get(actor=actor, code=payload.organisation_code),
        username=payload.username,
        password=payload.password,
        role=payload.role,
        first_name=payload.first_name,
    )
    return 201, user


@router.patch("/users/{int:user_id}", response=UserOut, summary="Change a person's role or deactivate them (admins)")
def update_user(request, user_id: int, payload: UserPatch):
    return services.user_update(actor=request.auth, user_id=user_id, role=payload.role, is_active=payload.is_active)


@router.post("/users/{int:user_id}/password", response=UserOut, summary="Set a new password (admins)")
def set_password(request, user_id: int, payload: PasswordIn):
    return services.user_password_set(actor=request.auth, user_id=user_id, password=payload.password)


@router.get("/tokens", response=list[TokenOut], summary="The organisation's API tokens (admins)")
def list_tokens(request):
    return list(selectors.api_token_list(actor=request.auth).select_related("created_by", "created_by_token")[:1000])


@router.post("/tokens", response={201: IssuedTokenOut}, summary="Issue an API token; its secret is shown once")
def issue_token(request, payload: TokenIn):
    actor = request.auth
    token, secret = services.api_token_issue(
        actor=actor, organisation=actor.organisation, name=payload.name, role=payload.role
    )
    token.secret = secret
    return 201, token


@router.post("/tokens/{int:token_id}/revoke", response=TokenOut, summary="Revoke a token at once (admins)")
def revoke_token(request, token_id: int):
    return services.api_token_revoke(actor=request.auth, token_id=token_id)
