"""Ground truth of a simulated cohort: true effects and structural parameters.

Estimands (rows of :attr:`Truth.effects`)
-----------------------------------------
``treatment``
    ``"order"`` (an order vs voluntary help, with the help each family would get under
    each; preventive families excluded) or ``"help_<type>"`` (the person, or for family
    violence any parent of the family, receives that help type from the first follow-up
    period on, vs never; other help as received).
``estimand``
    ``"ATT"``: averaged over treated units (order families; recipients of the help type);
    ``"ATE"``: over all units of order and voluntary families.
``population``
    ``"all"``: every unit at T0 (dropouts included); ``"completers"``: units of families
    observed at all three waves (the report's analysis population; under MAR or MNAR
    attrition its effects differ from the T0 population's).
``level``
    ``"sample"``: average over this cohort's units (of the analysis population) of each
    unit's expected potential outcomes given its latent variables (outcome noise
    integrated out exactly). ``"population"``: the same averages over a large Monte Carlo
    cohort drawn from the same scenario (``population_size`` families, fixed seed).
``wave``, ``scale``
    Wave 0 is before any effect, so the effect on the change from wave 0 to wave ``w``
    equals the effect at ``w``: ``"difference"`` = mean_treated - mean_control;
    ``"ratio"`` (incident totals only) = mean_treated / mean_control, the rate ratio of
    the change from wave 0.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from kbeffect.data.schema import HELP_TYPES
from kbeffect.errors import SpecificationError
from kbeffect.sim._engine import World
from kbeffect.sim._potential import OUTCOMES, unit_outcomes
from kbeffect.sim.latent import GROUP_CODES

__all__ = ["EFFECT_COLUMNS", "Truth", "effects_table"]

EFFECT_COLUMNS: tuple[str, ...] = (
    "treatment", "outcome", "unit", "wave", "estimand", "population", "level", "scale", "value",
    "mean_treated", "mean_control", "mean_baseline", "n",
)


@dataclass(frozen=True, eq=False)
class Truth:
    """True effects and data-generating parameters of a simulated cohort.

    Parameters
    ----------
    effects : pandas.DataFrame
        Tidy table with columns :data:`EFFECT_COLUMNS` (see the module docstring).
    parameters : pandas.DataFrame
        Structural parameters a correctly specified model estimates: ``name``, ``value``,
        ``scale``, ``description``.
    scenario : dict
        :meth:`kbeffect.sim.Scenario.to_dict` of the generating scenario.
    meta : dict
        ``seed``, ``n_families``, ``population_size``, ``population_seed``.
    """

    effects: pd.DataFrame
    parameters: pd.DataFrame
    scenario: dict[str, Any] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)

    def effect(self, treatment: str, outcome: str, *, wave: int = 2, estimand: str = "ATT",
               level: str = "sample", scale: str = "difference",
               population: str = "all") -> float:
        """Return one true effect.

        Raises
        ------
        SpecificationError
            If no row matches.
        """
        e = self.effects
        hit = e[(e["treatment"] == treatment) & (e["outcome"] == outcome) & (e["wave"] == wave)
                & (e["estimand"] == estimand) & (e["level"] == level) & (e["scale"] == scale)
                & (e["population"] == population)]
        if len(hit) != 1:
            raise SpecificationError(
                f"no true effect for treatment={treatment!r}, outcome={outcome!r}, wave={wave!r},"
                f" estimand={estimand!r}, level={level!r}, scale={scale!r}, "
                f"population={population!r}; see Truth.effects.")
        return float(hit["value"].iloc[0])

    def parameter(self, name: str) -> float:
        """Return one structural parameter by name."""
        hit = self.parameters[self.parameters["name"] == name]
        if len(hit) != 1:
            raise SpecificationError(f"no structural parameter {name!r}; see Truth.parameters.")
        return float(hit["value"].iloc[0])

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable dict (tables as lists of records)."""
        return {
            "effects": _records(self.effects),
            "parameters": _records(self.parameters),
            "scenario": self.scenario,
            "meta": self.meta,
        }

    def to_json(self, path: str | None = None, **kwargs: Any) -> str:
        """Return the truth as JSON text, and write it to ``path`` when given."""
        text = json.dumps(self.to_dict(), indent=kwargs.pop("indent", 1), **kwargs)
        if path is not None:
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(text)
        return text

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Truth:
        """Rebuild a truth from :meth:`to_dict` output."""
        effects = pd.DataFrame.from_records(data["effects"], columns=list(EFFECT_COLUMNS))
        effects["wave"] = effects["wave"].astype(np.int64)
        effects["n"] = effects["n"].astype(np.int64)
        params = pd.DataFrame.from_records(data["parameters"],
                                           columns=["name", "value", "scale", "description"])
        return cls(effects=effects, parameters=params, scenario=dict(data.get("scenario", {})),
                   meta=dict(data.get("meta", {})))

    @classmethod
    def from_json(cls, text_or_path: str) -> Truth:
        """Rebuild a truth from JSON text or from a path to a JSON file."""
        text = text_or_path
        if not text_or_path.lstrip().startswith("{"):
            with open(text_or_path, encoding="utf-8") as fh:
                text = fh.read()
        return cls.from_dict(json.loads(text))

    def __repr__(self) -> str:
        return (f"Truth({len(self.effects)} effects, {len(self.parameters)} parameters, "
                f"seed={self.meta.get('seed')!r})")


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as dicts of Python scalars (full float precision; NaN as None)."""
    out: list[dict[str, Any]] = []
    for rec in frame.to_dict(orient="records"):
        out.append({str(k): (None if isinstance(v, float) and np.isnan(v) else
                             v.item() if isinstance(v, np.generic) else v)
                    for k, v in rec.items()})
    return out


def _set_help(arr: np.ndarray, j: int, value: bool) -> np.ndarray:
    out = arr.copy()
    out[:, j, :] = value
    return out


def _rows(treatment: str, y1: dict[str, np.ndarray], y0: dict[str, np.ndarray],
          targets: dict[tuple[str, str], dict[str, np.ndarray]],
          level: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for outcome, (unit, _) in OUTCOMES.items():
        waves = (2,) if outcome == "violence_stopped" else (1, 2)
        for (estimand, population), masks in targets.items():
            mask = masks[unit]
            a, b = y1[outcome][mask], y0[outcome][mask]
            for w in waves:
                ok = ~np.isnan(a[:, w]) & ~np.isnan(b[:, w])
                n = int(ok.sum())
                m1 = float(a[ok, w].mean()) if n else np.nan
                m0 = float(b[ok, w].mean()) if n else np.nan
                base = float(b[ok, 0].mean()) if n else np.nan
                scales = [("difference", m1 - m0)]
                if outcome == "total_per_year":
                    scales.append(("ratio", m1 / m0 if m0 > 0 else np.nan))
                for scale, value in scales:
                    rows.append({"treatment": treatment, "outcome": outcome, "unit": unit,
                                 "wave": w, "estimand": estimand, "population": population,
                                 "level": level,
                                 "scale": scale, "value": value, "mean_treated": m1,
                                 "mean_control": m0, "mean_baseline": base, "n": n})
    return rows


def _targets(fam: dict[str, np.ndarray], completers: np.ndarray, s: Any,
             parent: dict[str, np.ndarray] | None = None,
             child: dict[str, np.ndarray] | None = None) -> dict[tuple[str, str],
                                                               dict[str, np.ndarray]]:
    """Return the unit masks per (estimand, analysis population)."""
    out: dict[tuple[str, str], dict[str, np.ndarray]] = {}
    for est, m in fam.items():
        mp = m[s.parent_family] if parent is None else parent[est]
        mc = m[s.child_family] if child is None else child[est]
        out[(est, "all")] = {"family": m, "parent": mp, "child": mc}
        out[(est, "completers")] = {"family": m & completers,
                                    "parent": mp & completers[s.parent_family],
                                    "child": mc & completers[s.child_family]}
    return out


def effects_table(world: World, level: str, completers: np.ndarray) -> pd.DataFrame:
    """Compute every true effect of a world (see the module docstring).

    Parameters
    ----------
    world : World
        The simulated world (the cohort itself, or a large Monte Carlo population).
    level : {"sample", "population"}
        Label of the ``level`` column.
    completers : numpy.ndarray of bool, shape (n_families,)
        Families observed at all three waves (the ``"completers"`` analysis population).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`EFFECT_COLUMNS`.
    """
    s = world.structure
    n = s.n_families
    in_scope = s.group != GROUP_CODES["preventive"]
    kb = s.group == GROUP_CODES["kb"]
    fam_masks = {"ATT": kb, "ATE": in_scope}
    rows: list[dict[str, Any]] = []
    # the order
    ones, zeros = np.ones(n, dtype=bool), np.zeros(n, dtype=bool)
    ph1, ch1 = world.help_under(ones)
    ph0, ch0 = world.help_under(zeros)
    y1 = unit_outcomes(world, ones, ph1, ch1)
    y0 = unit_outcomes(world, zeros, ph0, ch0)
    rows += _rows("order", y1, y0, _targets(fam_masks, completers, s), level)
    # help types, under the realised order
    order = world.order
    ph, ch = world.help_under(order)
    sc = world.scenario
    y_real: dict[str, np.ndarray] | None = None
    for j, h in enumerate(HELP_TYPES):
        got_p = ph[:, j, :].any(axis=1)
        got_c = ch[:, j, :].any(axis=1)
        got_f = np.bincount(s.parent_family, weights=got_p, minlength=n) > 0
        acts = (h in dict(sc.help_log_rr) or h in dict(sc.help_stop_logodds)
                or any(t[0] == h for t in sc.help_wellbeing))
        if acts:
            y1 = unit_outcomes(world, order, _set_help(ph, j, True), _set_help(ch, j, True))
            y0 = unit_outcomes(world, order, _set_help(ph, j, False), _set_help(ch, j, False))
        else:  # the help type enters no equation: both potential outcomes are the realised ones
            if y_real is None:
                y_real = unit_outcomes(world, order, ph, ch)
            y1 = y0 = y_real
        targets = _targets({"ATT": got_f & in_scope, "ATE": in_scope}, completers, s,
                           parent={"ATT": got_p & in_scope[s.parent_family],
                                   "ATE": in_scope[s.parent_family]},
                           child={"ATT": got_c & in_scope[s.child_family],
                                  "ATE": in_scope[s.child_family]})
        rows += _rows(f"help_{h}", y1, y0, targets, level)
    out = pd.DataFrame(rows, columns=list(EFFECT_COLUMNS))
    out["wave"] = out["wave"].astype(np.int64)
    out["n"] = out["n"].astype(np.int64)
    return out
