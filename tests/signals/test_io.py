"""Import and export through the `riftcast` command, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlmodel import select

from service.cli import main
from signals.config import Settings
from signals.db import Database
from signals.tables import Faction, IndicatorEvent, Outcome, Pair

FACTIONS = "id,name,movement,aliases\nnorth,North Front,M,N;Nordists\nsouth,South Front,M,\n"
EVENTS = (
    "faction_a,faction_b,type,occurred_on,actor,summary,source,source_url,reliability,"
    "credibility,intensity\n"
    'north,south,defection,2024-03-05,X,"Left, with men",Wire,https://e.org/1,B,2,0.5\n'
    "south,north,leader_absence,2024-02,Y,Absent,Wire,,C,3,\n"
    "north,south,public_denial,2023,Z,Denied,Wire,,A,1,1\n"
)
OUTCOMES = (
    "faction_a,faction_b,status,on,definition,source,source_url\n"
    "north,south,cohesive,2024-06-01,No split,Wire,\n"
)


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, "utf-8")
    return path


def _counts(db: Database) -> tuple[int, int, int, int]:
    with db.read() as s:
        return (
            len(list(s.exec(select(Faction)))),
            len(list(s.exec(select(Pair)))),
            len(list(s.exec(select(IndicatorEvent)))),
            len(list(s.exec(select(Outcome)))),
        )


def test_import_csv_then_reimport_adds_nothing(
    settings: Settings, db: Database, tmp_path: Path
) -> None:
    for kind, text in (("factions", FACTIONS), ("events", EVENTS), ("outcomes", OUTCOMES)):
        assert main(["import", kind, str(_write(tmp_path, f"{kind}.csv", text))], settings) == 0
    assert _counts(db) == (2, 1, 3, 1)
    for kind in ("factions", "events", "outcomes"):
        assert main(["import", kind, str(tmp_path / f"{kind}.csv")], settings) == 0
    assert _counts(db) == (2, 1, 3, 1)
    with db.read() as s:
        north = s.get(Faction, "north")
        rows = {e.actor: e for e in s.exec(select(IndicatorEvent))}
    assert north is not None and north.aliases == ["N", "Nordists"]
    assert rows["Y"].precision == "month" and rows["Y"].intensity == 1.0
    assert rows["Z"].precision == "year" and rows["X"].summary == "Left, with men"


def test_export_round_trips_in_both_formats(
    settings: Settings, db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["import", "factions", str(_write(tmp_path, "f.csv", FACTIONS))], settings)
    main(["import", "events", str(_write(tmp_path, "e.csv", EVENTS))], settings)
    capsys.readouterr()
    assert main(["export", "events", "--format", "jsonl"], settings) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [x["occurred_on"] for x in lines] == ["2024-03-05", "2024-02", "2023"]
    assert lines[0]["faction_a"] == "north" and lines[0]["credibility"] == 2
    out = tmp_path / "export.csv"
    assert main(["export", "events", "--format", "csv", "--out", str(out)], settings) == 0
    jsonl = _write(tmp_path, "again.jsonl", "".join(json.dumps(x) + "\n" for x in lines))
    # Re-importing the exports adds nothing: the log already holds exactly these reports.
    assert main(["import", "events", str(out)], settings) == 0
    assert main(["import", "events", str(jsonl)], settings) == 0
    assert _counts(db)[2] == 3


def test_bad_file_imports_nothing_and_reports_every_row(
    settings: Settings, db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["import", "factions", str(_write(tmp_path, "f.csv", FACTIONS))], settings)
    bad = _write(
        tmp_path,
        "bad.csv",
        "faction_a,faction_b,type,occurred_on,source,reliability,credibility,intensity\n"
        "north,south,defection,2024-01-01,Wire,A,1,1\n"  # fine, but must not be imported
        "north,north,defection,2024-01-01,Wire,A,1,1\n"
        "north,west,mystery,2099-01-01,Wire,G,9,2\n"
        "north,south,defection,2024-13,Wire,A,1,1\n",
    )
    before = _counts(db)
    assert main(["import", "events", str(bad)], settings) == 1
    err = capsys.readouterr().err
    for expected in (
        "line 3, faction_b: a faction cannot pair with itself",
        "line 4, faction_b: unknown faction 'west'",
        "line 4, type: unknown indicator type 'mystery'",
        "line 4, occurred_on: '2099-01-01' is in the future",
        "line 4, reliability",
        "line 4, credibility",
        "line 4, intensity",
        "line 5, occurred_on: '2024-13' is not a real date",
    ):
        assert expected in err, expected
    assert "line 2" not in err
    assert _counts(db) == before


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.csv", None, "cannot read"),
        ("binary.csv", b"\xff\xfe\x00bad", "cannot read"),
        ("header.csv", "faction_a,type\nnorth,defection\n", "required column is missing"),
        ("broken.jsonl", '{"faction_a": "north"\n', "not valid JSON"),
        ("list.jsonl", "[1, 2]\n", "expected a JSON object"),
    ],
)
def test_unreadable_files_fail_cleanly(
    settings: Settings,
    db: Database,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    content: str | bytes | None,
    message: str,
) -> None:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    before = _counts(db)
    assert main(["import", "events", str(path)], settings) == 1
    assert message in capsys.readouterr().err
    assert _counts(db) == before


def test_outcome_rupture_marks_the_pair(settings: Settings, db: Database, tmp_path: Path) -> None:
    main(["import", "factions", str(_write(tmp_path, "f.csv", FACTIONS))], settings)
    text = OUTCOMES + "south,north,ruptured,2024-09-10,Open split,Wire,https://e.org/2\n"
    assert main(["import", "outcomes", str(_write(tmp_path, "o.csv", text))], settings) == 0
    with db.read() as s:
        pair = s.get(Pair, "north--south")
    assert pair is not None and pair.status == "ruptured" and str(pair.ruptured_on) == "2024-09-10"


def test_demo_loads_once(
    settings: Settings, db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = settings.model_copy(update={"load_reference": False})
    assert main(["demo"], settings) == 0
    counts = _counts(db)
    assert counts[0] >= 5 and counts[2] >= 10 and counts[3] >= 1
    assert main(["demo"], settings) == 0
    assert "already holds data" in capsys.readouterr().out
    assert _counts(db) == counts
    with db.read() as s:
        events = list(s.exec(select(IndicatorEvent)))
        pairs = {p.id for p in s.exec(select(Pair))}
        assert {p.collection for p in s.exec(select(Pair))} == {"demo"}
    assert "haqqani-network--kandahar-leadership" in pairs
    assert all("Institute of the Middle East" in e.source for e in events)
    assert all(e.reliability in "BCD" for e in events)  # a secondary source: never graded A
    actors = {e.actor for e in events}
    assert {"Sirajuddin Haqqani", "Sher Mohammad Abbas Stanikzai"} <= actors
