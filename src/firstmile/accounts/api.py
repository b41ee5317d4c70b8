from datetime import datetime

from ninja import Router, Schema

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
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


@router.get("/me", response=MeOut, summary="Who the credentials belong to")
def me(request):
    actor = request.auth
    return {
        "organisation": actor.organisation,
        "user": actor.user.username if actor.user else None,
        "role": actor.user.role if actor.user else None,
        "via": "token" if actor.token else "session",
    }
