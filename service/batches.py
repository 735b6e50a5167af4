"""The batch rules of the write routes that take one object or an array of them (events,
outcomes): the array's size, and a one-object request's problems named by bare field."""

from __future__ import annotations

from typing import TypeVar

from signals.errors import DomainError, FieldProblem, InvalidInput

DomainErrorT = TypeVar("DomainErrorT", bound=DomainError)


def check_batch(n: int, limit: int) -> None:
    if n == 0:
        raise InvalidInput("the batch is empty", [FieldProblem("body", "is empty")])
    if n > limit:
        raise InvalidInput(
            f"a batch holds at most {limit} items; got {n}",
            [FieldProblem("body", f"at most {limit} items")],
        )


def single(exc: DomainErrorT) -> DomainErrorT:
    """The problems of a one-item request, without the item index."""
    problems = [FieldProblem(p.field, p.message) for p in exc.problems]
    return type(exc)(exc.message, problems)
