"""Request errors and query parsing: every bad parameter becomes a 400 naming the parameter and its range."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence


class RequestError(Exception):
    """A request the viewer refuses; `status` is the HTTP status it answers with."""

    status = 400


class BadRequest(RequestError):
    status = 400


class NotFound(RequestError):
    status = 404


def _one(query: Mapping[str, Sequence[str]], name: str, default: str | None) -> str:
    values = query.get(name)
    if not values:
        if default is None:
            raise BadRequest(f"missing parameter '{name}'")
        return default
    if len(values) > 1:
        raise BadRequest(f"parameter '{name}' given {len(values)} times; give it once")
    return values[0]


def int_param(query: Mapping[str, Sequence[str]], name: str, low: int, high: int, default: int | None = None) -> int:
    """An integer in [low, high]."""
    text = _one(query, name, None if default is None else str(default))
    if len(text) > 12:
        raise BadRequest(f"parameter '{name}'={text[:12]}...: too long for an integer in [{low}, {high}]")
    try:
        value = int(text)
    except ValueError:
        raise BadRequest(f"parameter '{name}'={text!r} is not an integer") from None
    if not low <= value <= high:
        raise BadRequest(f"parameter '{name}'={value} is outside [{low}, {high}]")
    return value


def float_param(query: Mapping[str, Sequence[str]], name: str, low: float, high: float, default: float | None = None) -> float:
    """A finite number in [low, high]."""
    text = _one(query, name, None if default is None else repr(default))
    try:
        value = float(text[:32])
    except ValueError:
        raise BadRequest(f"parameter '{name}'={text[:32]!r} is not a number") from None
    if not math.isfinite(value) or not low <= value <= high:
        raise BadRequest(f"parameter '{name}'={text[:32]} is outside [{low:g}, {high:g}]")
    return value


def choice_param(query: Mapping[str, Sequence[str]], name: str, choices: Sequence[str], default: str | None = None) -> str:
    """One of `choices`."""
    value = _one(query, name, default)
    if value not in choices:
        raise BadRequest(f"parameter '{name}'={value[:40]!r}: choose one of {', '.join(choices)}")
    return value
