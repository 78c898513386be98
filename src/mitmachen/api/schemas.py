"""Types shared by every app's API schemas."""

from typing import Annotated

from ninja import Schema
from pydantic import AfterValidator, Field, StringConstraints


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("null characters are not allowed")
    return value


def Text(max_length: int, min_length: int = 0):  # noqa: N802  (reads like a type)
    """A string with length limits that refuses NUL bytes, as the database would."""
    return Annotated[
        str,
        StringConstraints(min_length=min_length, max_length=max_length),
        AfterValidator(_no_nul),
    ]


class ErrorDetail(Schema):
    code: str
    message: str
    fields: dict[str, list[str]] = Field(default_factory=dict)


class Error(Schema):
    error: ErrorDetail


def Choice(choices):  # noqa: N802  (reads like a type)
    """A model's TextChoices as a Literal: the allowed values appear inline in the schema, so
    two enums that share a class name ("Kind") cannot collide."""
    from typing import Literal

    return Literal[tuple(choices.values)]
