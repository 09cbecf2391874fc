"""Argument and column checks shared by every public function.

Each check raises a kbeffect exception whose message names the argument or column and
what was expected, so user-facing functions can validate once at the boundary.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from kbeffect.errors import DataError, SchemaError, SpecificationError

__all__ = [
    "as_generator",
    "check_columns",
    "check_literal",
    "check_no_missing",
    "check_positive_int",
    "check_probability",
    "reject_unknown_kwargs",
]


def check_literal(name: str, value: Any, allowed: Iterable[Any]) -> Any:
    """Return ``value`` if it is one of ``allowed``, else raise SpecificationError.

    Parameters
    ----------
    name : str
        Argument name used in the message.
    value : object
        The value passed by the user.
    allowed : iterable
        The allowed values.

    Returns
    -------
    object
        ``value`` unchanged.
    """
    allowed = tuple(allowed)
    if value not in allowed:
        opts = ", ".join(repr(a) for a in allowed)
        raise SpecificationError(f"{name}={value!r} is not valid; expected one of {opts}.")
    return value


def check_positive_int(name: str, value: Any, *, minimum: int = 1) -> int:
    """Return ``value`` as int if it is an integer >= ``minimum``, else raise."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise SpecificationError(f"{name} must be an integer >= {minimum}; got {value!r}.")
    return int(value)


def check_probability(name: str, value: Any, *, open_interval: bool = True) -> float:
    """Return ``value`` as float if it lies in (0, 1) (or [0, 1]), else raise."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise SpecificationError(f"{name} must be a number in (0, 1); got {value!r}.") from None
    ok = (0.0 < v < 1.0) if open_interval else (0.0 <= v <= 1.0)
    if not ok:
        rng = "(0, 1)" if open_interval else "[0, 1]"
        raise SpecificationError(f"{name} must lie in {rng}; got {value!r}.")
    return v


def check_columns(data: Any, columns: Sequence[str], *, table: str = "data") -> pd.DataFrame:
    """Check that ``data`` is a DataFrame holding every name in ``columns``.

    Raises
    ------
    SchemaError
        If ``data`` is not a DataFrame or a column is missing.
    """
    if not isinstance(data, pd.DataFrame):
        raise SchemaError(f"{table} must be a pandas DataFrame; got {type(data).__name__}.")
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise SchemaError(
            f"{table} has no column(s) {missing}; available columns: {list(data.columns)[:20]}."
        )
    return data


def check_no_missing(data: pd.DataFrame, columns: Sequence[str], *, table: str = "data") -> None:
    """Raise DataError naming each column in ``columns`` that has missing values."""
    bad = {c: int(n) for c, n in data[list(columns)].isna().sum().items() if n > 0}
    if bad:
        detail = ", ".join(f"{c!r} ({n} rows)" for c, n in bad.items())
        raise DataError(
            f"{table} has missing values in {detail}. Impute them, or pass "
            "missing='drop' to exclude those rows (the exclusions are reported on the result)."
        )


def reject_unknown_kwargs(func: str, kwargs: dict[str, Any]) -> None:
    """Raise TypeError listing keyword arguments a function does not take."""
    if kwargs:
        raise TypeError(f"{func}() got unexpected keyword argument(s): {sorted(kwargs)}.")


def as_generator(seed: int | np.random.Generator | None) -> np.random.Generator:
    """Return a numpy Generator from a seed, a Generator (returned as is) or None."""
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None or (isinstance(seed, int | np.integer) and not isinstance(seed, bool)):
        return np.random.default_rng(seed)
    raise SpecificationError(f"seed must be an int, a numpy Generator or None; got {seed!r}.")
