"""API keys (admin). A key's secret is returned once, at creation; never its hash."""

from __future__ import annotations

from fastapi import APIRouter, Path
from fastapi.responses import Response
from sqlmodel import Session

from service.deps import Admin, AdminWriter, ReadSession, Writer
from service.problems import STD_ERRORS, responses
from service.schemas import KeyCreate, KeyCreated, KeyList, KeyPublic
from signals import access

router = APIRouter(prefix="/v1", tags=["keys"])


@router.get("/keys", dependencies=[Admin], response_model=KeyList, responses=responses(*STD_ERRORS))
def keys_list(session: Session = ReadSession) -> KeyList:
    """Every key, revoked ones included, without secrets or hashes."""
    return KeyList(items=[KeyPublic.model_validate(k) for k in access.list_keys(session)])


@router.post("/keys", status_code=201, response_model=KeyCreated, responses=responses(*STD_ERRORS))
def keys_create(payload: KeyCreate, w: Writer = AdminWriter) -> Response:
    """Create a key; its secret is in this response only. Idempotency-Key is ignored here,
    so that no secret is ever stored."""
    w.idempotency_key = None
    row, secret = access.create_key(w.session, payload.name, payload.role)
    body = KeyCreated.model_validate({**KeyPublic.model_validate(row).model_dump(), "key": secret})
    return w.done(body, status=201, result=f"created {row.role} key", object_id=row.id)


@router.post(
    "/keys/{key_id}/revoke",
    response_model=KeyPublic,
    responses=responses(*STD_ERRORS, 404, 409),
)
def keys_revoke(
    key_id: str = Path(max_length=26, description="The key's id, or its prefix."),
    w: Writer = AdminWriter,
) -> Response:
    """Revoke a key: refused at once by this worker (it forgets its verified keys once the
    revocation commits), by the others as soon as their change poller sees the revocation
    (tens of milliseconds)."""
    if (replay := w.replay({"revoke": key_id})) is not None:
        return replay
    row = access.revoke_key(w.session, key_id)
    public = KeyPublic.model_validate(row)
    return w.done(public, status=200, result="revoked key", object_id=row.id, revoked_key=True)
