"""Factions and pairs."""

from __future__ import annotations

from service.schemas.common import PUBLIC, Public
from signals.schemas import FactionIn
from signals.tables import FactionRecord, PairBase

__all__ = ["FactionIn", "FactionList", "FactionPublic", "PairList", "PairPublic"]


class FactionPublic(FactionRecord):
    """A faction as stored, with who created it."""

    model_config = PUBLIC


class FactionList(Public):
    """Every faction, by id."""

    items: list[FactionPublic]


class PairPublic(PairBase):
    """An unordered pair of factions (ids in canonical order) and its status."""

    model_config = PUBLIC


class PairList(Public):
    """Every pair, by id."""

    items: list[PairPublic]
