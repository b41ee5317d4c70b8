from datetime import datetime
from typing import Any

from ninja import Router, Schema
from ninja.pagination import paginate

from firstmile.core.pagination import CursorPagination

from .selectors import event_list

router = Router()


class EventOut(Schema):
    id: int
    occurred_at: datetime
    kind: str
    subject_type: str
    subject_id: str
    from_state: str
    to_state: str
    payload: dict[str, Any]
    actor_label: str


@router.get("", response=list[EventOut], summary="Events the caller's organisation may see")
@paginate(CursorPagination, ordering=("-id",))
def list_events(request, subject_type: str | None = None, subject_id: str | None = None):
    return event_list(actor=request.auth, subject_type=subject_type, subject_id=subject_id)
