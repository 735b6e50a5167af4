"""A simulated world written as import files, for `riftcast simulate`."""

from __future__ import annotations

import csv
import json
from datetime import date, timedelta
from pathlib import Path

from models.simulate import SimulatedWorld
from signals.io import COLUMNS


def write_import_files(world: SimulatedWorld, out_dir: Path, start: date) -> None:
    """factions.csv, events.csv, outcomes.csv (the import formats) and params.json."""
    out_dir.mkdir(parents=True, exist_ok=True)

    def on(day: float) -> str:
        return (start + timedelta(days=int(day))).isoformat()

    with (out_dir / "factions.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(COLUMNS["factions"])
        for p in range(world.n_pairs):
            for side in "ab":
                w.writerow([f"sim-{p:03d}-{side}", f"Simulated {p} {side.upper()}", f"sim-{p}", ""])
    with (out_dir / "events.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(COLUMNS["events"])
        e = world.events
        for i in range(len(e)):
            p = int(e.pair[i])
            w.writerow(
                [
                    f"sim-{p:03d}-a",
                    f"sim-{p:03d}-b",
                    world.type_keys[int(e.kind[i])],
                    on(e.day[i]),
                    f"actor {i}",
                    "simulated",
                    "simulation",
                    "",
                    world.reliability[i],
                    int(world.credibility[i]),
                    world.intensity[i],
                ]
            )
    with (out_dir / "outcomes.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(COLUMNS["outcomes"])
        for p in range(world.n_pairs):
            ruptured = world.ruptured_at[p] >= 0
            day = world.grid.day_of(int(world.at_risk_until[p]))
            w.writerow(
                [
                    f"sim-{p:03d}-a",
                    f"sim-{p:03d}-b",
                    "ruptured" if ruptured else "cohesive",
                    on(day),
                    "simulated rupture" if ruptured else "simulated",
                    "simulation",
                    "",
                ]
            )
    (out_dir / "params.json").write_text(
        json.dumps(
            {
                "start": start.isoformat(),
                "type_keys": list(world.type_keys),
                # beta has one effect per model column: the types', then activity's if any
                "column_keys": list(world.column_keys),
                **world.params.as_dict(),
            },
            indent=2,
        )
    )
