"""/readyz: ready only when the database answers with the schema this code was written for
(an un-migrated database would quietly lose duties, such as PostgreSQL's change NOTIFY)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from service.app import create_app
from signals.config import Settings
from signals.migrate import downgrade, head_revision, upgrade


def test_readyz_refuses_a_schema_behind_the_code_until_it_is_upgraded(settings: Settings) -> None:
    url = settings.resolved_database_url
    head = head_revision(url)
    downgrade(url, "0004")
    with TestClient(create_app(settings)) as client:
        r = client.get("/readyz")
        assert r.status_code == 503
        detail = r.json()["detail"]
        assert f"at revision 0004, this code needs {head}" in detail
        assert "riftcast db upgrade" in detail
        upgrade(url)
        r = client.get("/readyz")
        assert r.status_code == 200, r.text
        assert r.json()["database"] == "ok"
