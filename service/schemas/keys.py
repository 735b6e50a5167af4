"""API keys."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from service.schemas.common import PUBLIC, Public
from signals.tables import ApiKeyBase


class KeyCreate(BaseModel):
    """A new API key's name (recorded on every write it makes) and role."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(
        min_length=1,
        max_length=100,
        pattern=r"^[^\x00-\x1f]*[^\s\x00-\x1f][^\x00-\x1f]*$",
        examples=["dashboard"],
    )
    role: Literal["reader", "analyst", "admin"] = Field(examples=["reader"])


class KeyPublic(ApiKeyBase):
    """An API key without its secret: only the first characters are shown."""

    model_config = PUBLIC


class KeyCreated(KeyPublic):
    """A new key; `key` is shown this once and never again."""

    key: str = Field(
        description="The secret. Store it now: only its hash is kept.", examples=["rk_AbCdEfGh…"]
    )


class KeyList(Public):
    """Every key, revoked ones included."""

    items: list[KeyPublic]
