"""`riftcast keys` and `riftcast demo`'s admin key."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

import pytest

from service.commands import data, keys
from signals import access
from signals.config import Settings
from signals.db import Database
from signals.errors import DomainError
from signals.tables import RefitJob


def main(argv: Sequence[str], settings: Settings) -> int:
    """`riftcast` with only the commands under test (service.cli imports every command),
    run with `settings` as `service.cli.main` runs a command with the environment's."""
    parser = argparse.ArgumentParser(prog="riftcast")
    sub = parser.add_subparsers(dest="command", required=True)
    for module in (data, keys):
        module.register(sub)
    args = parser.parse_args(argv)
    try:
        return int(args.func(args, settings) or 0)
    except DomainError:
        return 1


def test_keys_commands(
    settings: Settings, db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["keys", "create", "--role", "analyst", "--name", "ana"], settings) == 0
    secret = capsys.readouterr().out.strip().splitlines()[-1]
    with db.read() as s:
        row = access.verify_key(s, secret)
    assert row is not None and row.role == "analyst" and row.name == "ana"
    assert main(["keys", "list"], settings) == 0
    out = capsys.readouterr().out
    assert "ana" in out and secret not in out
    assert out.splitlines()[0].split() == ["id", "prefix", "role", "name", "state"]
    assert main(["keys", "revoke", row.prefix], settings) == 0
    with db.read() as s:
        assert access.verify_key(s, secret) is None
    assert main(["keys", "revoke", "nothing-like-it"], settings) == 1


def test_demo_ends_with_next_steps_and_prints_an_admin_key_once(
    settings: Settings, db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 12, item 2: the key, the URL and a request to try close the output, and a
    second run says how to mint a key instead of printing one."""
    assert main(["demo"], settings) == 0
    out = capsys.readouterr().out
    block = out[out.index("Next steps") :]
    secret = next(x for x in block.splitlines() if x.startswith("Admin key")).rsplit(" ", 1)[1]
    url = f"http://{settings.host}:{settings.port}"
    assert f"{url}/" in block
    assert f'curl -H "Authorization: Bearer {secret}" {url}/v1/forecasts' in block
    with db.read() as s:
        key = access.verify_key(s, secret)
        assert key is not None and key.role == "admin"
        assert s.query(RefitJob).count() == 1
    assert main(["demo"], settings) == 0
    again = capsys.readouterr().out
    assert "Admin key" not in again and secret not in again
    assert "keys create --role admin" in again


def test_pairs_lists_ids_and_a_wrong_or_reversed_id_is_answered_helpfully(
    settings: Settings, db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 12, item 6: `riftcast pairs` lists the ids; a reversed id is read as the pair;
    a wrong one names the closest ids."""
    from service.commands import model, report

    assert main(["demo"], settings) == 0
    capsys.readouterr()
    assert main(["pairs", "--collection", "demo"], settings) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["pair", "status", "ruptured", "collection"]
    assert any(x.startswith("haqqani-network--kandahar-leadership ") for x in lines[1:])
    parser = argparse.ArgumentParser(prog="riftcast")
    sub = parser.add_subparsers(dest="command", required=True)
    model.register(sub)
    report.register(sub)
    args = parser.parse_args(["forecast", "kandahar-leadership--haqqani-network"])
    assert args.pair == "haqqani-network--kandahar-leadership"
    args = parser.parse_args(["forecast", "haqqani--kandahar-leadership"])
    with pytest.raises(DomainError, match="closest: haqqani-network--kandahar-leadership"):
        args.func(args, settings)


def test_simulate_and_backtest_help_describe_options_and_defaults(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from service.commands import model

    parser = argparse.ArgumentParser(prog="riftcast")
    model.register(parser.add_subparsers(dest="command", required=True))
    for command, expected in (
        ("simulate", ["pairs of factions (default: 40)", "weeks simulated (default: 260)"]),
        ("backtest", ["days between origins (default: 28)", "days ahead (default: 90)"]),
    ):
        with pytest.raises(SystemExit):
            parser.parse_args([command, "--help"])
        text = " ".join(capsys.readouterr().out.split())
        for phrase in expected:
            assert phrase in text, (command, text)


def test_importing_outcomes_queues_a_refit_as_the_api_does(
    settings: Settings, db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 14 item 3: new outcomes make the model stale however they arrive; the rule
    lives in `record_outcomes`, so `riftcast import outcomes` queues the refit too."""
    demo_dir = Path(str(resources.files("signals") / "demo"))
    for kind in ("factions", "events"):
        assert main(["import", kind, str(demo_dir / f"{kind}.csv")], settings) == 0
    with db.read() as s:
        assert s.query(RefitJob).count() == 0
    capsys.readouterr()
    assert main(["import", "outcomes", str(demo_dir / "outcomes.csv")], settings) == 0
    out = capsys.readouterr().out
    with db.read() as s:
        (job,) = s.query(RefitJob).all()
    assert job.status == "queued" and f"queued refit job {job.id}" in out
    assert (
        main(["import", "outcomes", str(demo_dir / "outcomes.csv")], settings) == 0
    )  # all present
    assert "queued refit job" not in capsys.readouterr().out
