"""Lazy imports of the optional ``[bayes]`` dependencies (PyMC, nutpie, ArviZ).

Nothing here is imported when :mod:`kbeffect` is imported; each helper imports its
package on first use and turns a missing package into a
:class:`~kbeffect.errors.DependencyError` that names the pip extra.
"""

from __future__ import annotations

import importlib
import warnings
from types import ModuleType

from kbeffect.errors import DependencyError

__all__ = ["has_nutpie", "import_arviz", "import_nutpie", "import_pymc"]

_HINT = "install the optional extra with `pip install 'kbeffect[bayes]'`"


def _import(name: str) -> ModuleType:
    try:
        with warnings.catch_warnings():
            # ArviZ 0.2x announces its refactor with a FutureWarning at import time.
            warnings.simplefilter("ignore", FutureWarning)
            return importlib.import_module(name)
    except ImportError as exc:
        raise DependencyError(
            f"kbeffect.bayes needs the package {name!r}, which is not importable ({exc}); "
            f"{_HINT}."
        ) from exc


def import_pymc() -> ModuleType:
    """Return the ``pymc`` module or raise DependencyError naming the ``[bayes]`` extra."""
    return _import("pymc")


def import_arviz() -> ModuleType:
    """Return the ``arviz`` module or raise DependencyError naming the ``[bayes]`` extra."""
    return _import("arviz")


def import_nutpie() -> ModuleType:
    """Return the ``nutpie`` module or raise DependencyError naming the ``[bayes]`` extra."""
    return _import("nutpie")


def has_nutpie() -> bool:
    """Whether nutpie can be imported (the PyMC sampler is the fallback when not)."""
    try:
        import_nutpie()
    except DependencyError:
        return False
    return True
