"""The `{"detail": "..."}` body of a refused request, for the OpenAPI declarations."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class Problem(BaseModel):
    detail: str = Field(description="what is wrong and what to do, in plain words")


def problem(description: str, **extra: Any) -> dict[str, Any]:
    """An entry of a route's `responses`: a Problem body, described."""
    return {"model": Problem, "description": description, **extra}
