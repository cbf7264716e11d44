"""Fixtures of the operations tests: a stand-in Rasa, settings of a gateway using it."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from ops.standin import SERVICE_TOKEN, StandInRasa

from bot.config import Settings


@pytest.fixture
def stand_in_rasa() -> Iterator[StandInRasa]:
    rasa = StandInRasa()
    yield rasa
    rasa.stop()


@pytest.fixture
def ops_settings(offline_settings, stand_in_rasa) -> Callable[..., Settings]:
    """Settings of a gateway whose Rasa is the stand-in (started or not)."""

    def make(**overrides: object) -> Settings:
        values: dict[str, object] = {"rasa_url": stand_in_rasa.url, "api_token": SERVICE_TOKEN}
        return offline_settings(**{**values, **overrides})  # type: ignore[no-any-return]

    return make
