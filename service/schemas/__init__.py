"""The HTTP API's schemas, one module per resource; every name is importable from here.

A stored resource's fields are defined once, in its base in `signals.tables` (model runs:
`signals.runs`): its table derives from it, and so does its Public shape here (the FastAPI
full-stack template's `ItemBase` → `Item` / `ItemPublic`). Inputs are the domain's validated
inputs (`signals.schemas`), so the importer and the API accept the same things; `FactionIn`
derives from its base too. Examples are the fields' own (`examples=[…]`), for the OpenAPI
document.
"""

from __future__ import annotations

from service.schemas.audit import AuditEntryPublic, AuditPage
from service.schemas.common import (
    HorizonDays,
    IsoDate,
    NextCursor,
    OneOrBatch,
    Probability,
    Public,
    UtcDatetime,
)
from service.schemas.events import (
    EventIn,
    EventPage,
    EventPublic,
    EventsCreate,
    EventsCreated,
    HypotheticalEventIn,
    RetractionIn,
)
from service.schemas.factions import FactionIn, FactionList, FactionPublic, PairList, PairPublic
from service.schemas.forecasts import (
    EventDriverPublic,
    ForecastHistory,
    ForecastList,
    ForecastPublic,
    HistoryPointPublic,
    HorizonChange,
    HorizonInterval,
    HorizonPublic,
    TypeDriverPublic,
    WhatIfIn,
    WhatIfPublic,
)
from service.schemas.keys import KeyCreate, KeyCreated, KeyList, KeyPublic
from service.schemas.ledger import (
    CoveragePublic,
    HorizonBaseRate,
    LedgerEntryPublic,
    LedgerPage,
    LedgerWindowPublic,
    RecordGroupPublic,
    ReliabilityBinPublic,
    TrackRecordPublic,
    WindowScorePublic,
)
from service.schemas.meta import EstimativeBand, MetaPublic
from service.schemas.ops import Health, Readiness
from service.schemas.outcomes import (
    OutcomeIn,
    OutcomeList,
    OutcomePublic,
    OutcomesCreate,
    OutcomesCreated,
)
from service.schemas.runs import (
    EvaluationPublic,
    RefitJobList,
    RefitJobPublic,
    RefitRequest,
    RunList,
    RunPublic,
)
from service.schemas.taxonomy import IndicatorTypeList, IndicatorTypePublic

__all__ = [
    "AuditEntryPublic",
    "AuditPage",
    "CoveragePublic",
    "EstimativeBand",
    "EvaluationPublic",
    "EventDriverPublic",
    "EventIn",
    "EventPage",
    "EventPublic",
    "EventsCreate",
    "EventsCreated",
    "FactionIn",
    "FactionList",
    "FactionPublic",
    "ForecastHistory",
    "ForecastList",
    "ForecastPublic",
    "Health",
    "HistoryPointPublic",
    "HorizonBaseRate",
    "HorizonChange",
    "HorizonDays",
    "HorizonInterval",
    "HorizonPublic",
    "HypotheticalEventIn",
    "IndicatorTypeList",
    "IndicatorTypePublic",
    "IsoDate",
    "KeyCreate",
    "KeyCreated",
    "KeyList",
    "KeyPublic",
    "LedgerEntryPublic",
    "LedgerPage",
    "LedgerWindowPublic",
    "MetaPublic",
    "NextCursor",
    "OneOrBatch",
    "OutcomeIn",
    "OutcomeList",
    "OutcomePublic",
    "OutcomesCreate",
    "OutcomesCreated",
    "PairList",
    "PairPublic",
    "Probability",
    "Public",
    "Readiness",
    "RecordGroupPublic",
    "RefitJobList",
    "RefitJobPublic",
    "RefitRequest",
    "ReliabilityBinPublic",
    "RetractionIn",
    "RunList",
    "RunPublic",
    "TrackRecordPublic",
    "TypeDriverPublic",
    "UtcDatetime",
    "WhatIfIn",
    "WhatIfPublic",
    "WindowScorePublic",
]
