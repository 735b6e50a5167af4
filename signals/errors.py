"""Domain errors. Each names the field at fault; the service maps them to problem+json."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldProblem:
    field: str
    message: str
    line: int | None = None  # set by the importer: the 1-based line of the file

    def __str__(self) -> str:
        where = f"line {self.line}, " if self.line is not None else ""
        return f"{where}{self.field}: {self.message}"


class DomainError(Exception):
    """Base of every error a caller can fix by changing its input."""

    def __init__(self, message: str, problems: list[FieldProblem] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.problems = problems or []


class InvalidInput(DomainError):
    """The input breaks a rule; `problems` lists every field at fault."""

    @classmethod
    def one(cls, field: str, message: str) -> InvalidInput:
        return cls(f"{field}: {message}", [FieldProblem(field, message)])


class NotFound(DomainError):
    """The named object does not exist."""


class Conflict(DomainError):
    """The request is valid but clashes with what is stored."""
