"""Exceptions raised for bad input: each message names the problem and the fix."""

from __future__ import annotations


class SirenkitError(Exception):
    """Base class of every error sirenkit raises on purpose."""


class ConfigError(SirenkitError, ValueError):
    """An option or config value is out of range, unknown or inconsistent."""


class DataError(SirenkitError, ValueError):
    """An input file is missing, unreadable or holds data of the wrong kind."""


class ShapeError(SirenkitError, ValueError):
    """A tensor has a shape the operation cannot use."""


class DivergenceError(SirenkitError, RuntimeError):
    """Training produced NaN or inf; the message names the loss term and what to change."""


def did_you_mean(name: str, choices: list[str] | tuple[str, ...]) -> str:
    """Closest valid choice as ' (did you mean 'x'?)', or '' when none is close."""
    import difflib

    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.5)
    return f" (did you mean '{close[0]}'?)" if close else ""


def unknown_choice(kind: str, name: str, choices) -> ConfigError:
    """ConfigError for a registry look-up that failed, listing the valid names."""
    names = sorted(choices)
    return ConfigError(f"unknown {kind} '{name}'; choose one of: {', '.join(names)}{did_you_mean(name, names)}")
