"""API keys: roles `reader` < `analyst` < `admin`; only the SHA-256 of a key is stored.

A key is shown once, when it is created. Verification hashes the presented key and looks
the hash up; serving processes cache verified keys briefly (service/auth.py), and drop the
cache when a revocation is written — the worker that wrote it at once, the others when
their change poller sees it.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable

from sqlmodel import Session, col, select

from signals.changes import KEY_CHANGE, note_change
from signals.clock import new_id, utcnow
from signals.errors import Conflict, InvalidInput, NotFound
from signals.roles import ROLES
from signals.tables import ApiKey

KEY_PREFIX = "rk_"


def role_rank(role: str) -> int:
    return ROLES.index(role) if role in ROLES else -1


def allows(role: str, needed: str) -> bool:
    """Does a key of `role` satisfy a requirement of `needed`?"""
    return role_rank(role) >= role_rank(needed) >= 0


def hash_key(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode("utf-8")).hexdigest()


def create_key(session: Session, name: str, role: str) -> tuple[ApiKey, str]:
    """A new key of `role`; returns the row and the plaintext, which is never stored."""
    name = name.strip()
    if not name or len(name) > 100:
        raise InvalidInput.one("name", "must be 1 to 100 characters")
    if any(ord(c) < 32 for c in name):
        raise InvalidInput.one("name", "must not contain control characters")
    if role not in ROLES:
        raise InvalidInput.one("role", f"must be one of {', '.join(ROLES)}")
    plaintext = KEY_PREFIX + secrets.token_urlsafe(32)
    row = ApiKey(
        id=new_id(),
        name=name,
        role=role,
        key_hash=hash_key(plaintext),
        prefix=plaintext[:11],
        created_at=utcnow(),
    )
    session.add(row)
    session.flush()
    return row, plaintext


def verify_key(session: Session, plaintext: str) -> ApiKey | None:
    """The live (not revoked) key with this plaintext, or None."""
    if not plaintext or len(plaintext) > 200:
        return None
    stmt = select(ApiKey).where(ApiKey.key_hash == hash_key(plaintext))
    row = session.exec(stmt).first()
    if row is None or row.revoked_at is not None:
        return None
    return row


def find_key(session: Session, id_or_prefix: str) -> ApiKey:
    """A key by its id or by the prefix shown in listings (unique match required)."""
    row = session.get(ApiKey, id_or_prefix)
    if row is not None:
        return row
    if len(id_or_prefix) < 6:
        raise NotFound(f"no key {id_or_prefix!r} (give the id or at least 6 characters)")
    # `autoescape`: a prefix is literal text, never a LIKE pattern ("%%%%" matches nothing).
    starts = col(ApiKey.prefix).startswith(id_or_prefix, autoescape=True)
    rows = list(session.exec(select(ApiKey).where(starts).limit(2)))
    if not rows:
        raise NotFound(f"no key {id_or_prefix!r}")
    if len(rows) > 1:  # how many would say how many keys there are: it says only "several"
        raise Conflict(f"several keys start with {id_or_prefix!r}; give the id")
    return rows[0]


def revoke_key(session: Session, id_or_prefix: str) -> ApiKey:
    """Revoke a key; revoking a revoked key is a no-op that returns it. The last active
    admin key is never revoked: that would lock the operator out of the admin API."""
    row = find_key(session, id_or_prefix)
    if row.revoked_at is None and row.role == "admin":
        # Lock every active admin key (PostgreSQL; SQLite writers are serialised anyway), so
        # two admins revoking each other at once cannot both succeed.
        active = (
            select(ApiKey.id)
            .where(ApiKey.role == "admin", col(ApiKey.revoked_at).is_(None))
            .with_for_update()
        )
        if [k for k in session.exec(active) if k != row.id] == []:
            raise Conflict(
                f"key {row.id} is the last active admin key; create another admin key first"
            )
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.add(row)
        # Every server process polls the change log and drops its verified-key cache.
        note_change(session, None, KEY_CHANGE)
        session.flush()
    return row


def revoked_among(session: Session, key_ids: Iterable[str]) -> set[str]:
    """Which of these keys are revoked (or no longer exist)."""
    wanted = set(key_ids)
    if not wanted:
        return set()
    stmt = select(ApiKey).where(col(ApiKey.id).in_(wanted), col(ApiKey.revoked_at).is_(None))
    return wanted - {k.id for k in session.exec(stmt)}


def list_keys(session: Session, include_revoked: bool = True) -> list[ApiKey]:
    stmt = select(ApiKey).order_by(col(ApiKey.id))
    if not include_revoked:
        stmt = stmt.where(col(ApiKey.revoked_at).is_(None))
    return list(session.exec(stmt))


def has_admin(session: Session) -> bool:
    stmt = select(ApiKey.id).where(ApiKey.role == "admin", col(ApiKey.revoked_at).is_(None))
    return session.exec(stmt.limit(1)).first() is not None
