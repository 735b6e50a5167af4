"""API keys: hashed at rest, shown once, revocable by id or prefix."""

from __future__ import annotations

import pytest

from signals import access
from signals.db import Database
from signals.errors import Conflict, InvalidInput, NotFound
from signals.tables import ApiKey


def test_create_verify_revoke(db: Database) -> None:
    with db.write() as s:
        row, secret = access.create_key(s, "dash", "reader")
    assert secret.startswith("rk_") and row.key_hash == access.hash_key(secret)
    assert secret not in row.model_dump_json().replace(row.prefix, "")
    with db.read() as s:
        stored = s.get(ApiKey, row.id)
        assert stored is not None and stored.key_hash != secret
        assert access.verify_key(s, secret) is not None
        assert access.verify_key(s, secret + "x") is None
        assert access.verify_key(s, "") is None
    with db.write() as s:
        access.revoke_key(s, row.prefix)
    with db.read() as s:
        assert access.verify_key(s, secret) is None
        assert [k.name for k in access.list_keys(s, include_revoked=False)] == []
        assert not access.has_admin(s)


def test_bad_inputs(db: Database) -> None:
    with db.write() as s, pytest.raises(InvalidInput):
        access.create_key(s, "x", "root")
    with db.write() as s, pytest.raises(InvalidInput):
        access.create_key(s, " ", "reader")
    with db.write() as s, pytest.raises(NotFound):
        access.revoke_key(s, "rk_nothing")


def test_roles_order() -> None:
    assert access.allows("admin", "analyst") and access.allows("analyst", "analyst")
    assert not access.allows("analyst", "admin") and not access.allows("bogus", "reader")


def test_the_last_admin_key_cannot_be_revoked(db: Database) -> None:
    with db.write() as s:
        first, _ = access.create_key(s, "admin-1", "admin")
        second, _ = access.create_key(s, "admin-2", "admin")
    with db.write() as s:
        access.revoke_key(s, first.id)
    with pytest.raises(Conflict, match="last active admin key"), db.write() as s:
        access.revoke_key(s, second.id)
    with db.read() as s:
        assert access.has_admin(s)


def test_a_prefix_is_text_not_a_pattern(db: Database) -> None:
    with db.write() as s:
        for n in range(3):
            access.create_key(s, f"reader-{n}", "reader")
    with pytest.raises(NotFound), db.read() as s:
        access.find_key(s, "%%%%%%")
    with pytest.raises(NotFound), db.read() as s:
        access.find_key(s, "______")
