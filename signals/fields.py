"""Field types shared by the tables' bases (`signals.tables`) and the validated inputs
(`signals.schemas`): a field's rule is written once, wherever the field appears."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, StringConstraints

# A faction's id: a lower-case slug.
SLUG_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
SLUG_LENGTH = 64
Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN, max_length=SLUG_LENGTH)]
TypeKey = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
# A pair's id: its two faction slugs in canonical order, joined by `--`.
PAIR_ID_LENGTH = 140


def _no_controls(value: str) -> str:
    if any(ord(c) < 32 and c not in "\t\n\r" for c in value) or "\x00" in value:
        raise ValueError("must not contain control characters")
    return value


# Free text without control characters. Its length goes in the field's `Field(max_length=…)`,
# where a table's column takes its size from.
Clean = Annotated[str, AfterValidator(_no_controls)]


def Text(max_length: int, min_length: int = 0) -> type[str]:
    """Free text of an input that is no column of a table: stripped, bounded, clean."""
    return Annotated[  # type: ignore[return-value]
        str,
        StringConstraints(strip_whitespace=True, max_length=max_length, min_length=min_length),
        AfterValidator(_no_controls),
    ]


def example(*values: Any) -> dict[str, Any]:
    """A field's examples, for the OpenAPI document (`Field(schema_extra=example(…))` on a
    SQLModel field; a Pydantic field takes `examples=[…]` itself)."""
    return {"examples": list(values)}
