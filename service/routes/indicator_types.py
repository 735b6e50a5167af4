"""The indicator taxonomy."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from service.deps import Reader, get_taxonomy
from service.problems import STD_ERRORS, responses
from service.schemas import IndicatorTypeList, IndicatorTypePublic
from signals.taxonomy import Taxonomy

router = APIRouter(prefix="/v1", tags=["taxonomy"], dependencies=[Reader])


@router.get("/indicator-types", response_model=IndicatorTypeList, responses=responses(*STD_ERRORS))
def indicator_types(taxonomy: Taxonomy = Depends(get_taxonomy)) -> IndicatorTypeList:
    """The indicator types in the model's order, with their priors and half-lives."""
    return IndicatorTypeList(
        version=taxonomy.version,
        items=[IndicatorTypePublic.model_validate(t) for t in taxonomy.types],
    )
