"""What the forecasts mean: the configured horizons and the ICD 203 scale, from the one
place each is defined (`signals.config`, `models.phrases`), so no client keeps a copy."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from models.phrases import FOOTNOTE, SCALE
from service.deps import Reader, get_settings
from service.problems import STD_ERRORS, responses
from service.schemas import EstimativeBand, MetaPublic
from signals.config import Settings

router = APIRouter(prefix="/v1", tags=["meta"], dependencies=[Reader])


@router.get("/meta", response_model=MetaPublic, responses=responses(*STD_ERRORS))
def meta(settings: Settings = Depends(get_settings)) -> MetaPublic:
    """The forecast horizons and the estimative scale, with the footnote that states it."""
    return MetaPublic(
        horizons=list(settings.horizons),
        estimative_note=FOOTNOTE,
        estimative_scale=[EstimativeBand(phrase=w, lower=lo, upper=hi) for w, lo, hi in SCALE],
    )
