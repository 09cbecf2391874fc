r"""Block structure of a nested linear mixed model, batched by family size.

Every random-effect grouping factor of the models kbeffect fits lies inside one outermost
group (the family). The marginal covariance of the responses is therefore block-diagonal
by family, and each block is small (a few waves of one or two children and parents). We
sort the families by their number of rows ``m`` and stack the families of equal size into
three-dimensional arrays, so that the likelihood needs one batched dense factorisation per
distinct size instead of a Python loop over families.

For family ``i`` the scaled covariance ``V_i = Var(y_i) / sigma^2`` is

.. math::

    V_i = I + \sum_\ell (Z_{\ell i} \Lambda_\ell \Lambda_\ell^\top Z_{\ell i}^\top)
          \circ S_{\ell i},

where ``S_{l i}[a, b] = 1`` when rows ``a`` and ``b`` share the level-``l`` group,
``Z_{l i}`` holds ``1`` (and the slope covariate ``t`` when the level has a random slope)
and ``Lambda_l`` is the lower-triangular relative Cholesky factor of the level's random
effects covariance (lme4's ``theta``). Expanding the product gives ``V_i = I +
sum_b c_b(theta) B_b`` with fixed *basis* matrices ``B_b`` (``S``, ``S o (1 t' + t 1')``,
``S o t t'``) and coefficients ``c_b`` that are quadratic in ``theta``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Families are padded to a multiple of this many rows (batches of equal size).
PAD = 3

__all__ = ["PAD", "Batch", "LmmStructure", "basis_coefficients", "build_structure", "theta_layout"]


@dataclass(frozen=True, slots=True)
class Batch:
    """Families with the same number of rows ``m`` (``k`` families).

    Attributes
    ----------
    rows : ndarray of int, shape (k, m)
        Row positions (into the input arrays) of each family's rows; ``n`` marks padding.
    family : ndarray of int, shape (k,)
        Position of each family in the sorted family codes (``0 .. G-1``).
    X : ndarray, shape (k, m, p)
        Fixed-effects design rows.
    y : ndarray, shape (k, m)
        Responses.
    bases : ndarray, shape (n_bases, k, m, m)
        Basis matrices ``B_b`` of the scaled covariance (see the module docstring).
    XY : ndarray, shape (k, m, p + 1)
        ``X`` and ``y`` side by side (one batched product serves both).
    n_rows : ndarray of int, shape (k,)
        Real rows of each family (``<= m``). Families are padded to the batch size ``m``
        with rows whose ``X``, ``y`` and basis entries are zero, so the padded block of
        ``V_i`` is the identity and adds nothing to any sum or log-determinant.
    """

    rows: np.ndarray
    family: np.ndarray
    X: np.ndarray
    y: np.ndarray
    bases: np.ndarray
    XY: np.ndarray
    n_rows: np.ndarray


@dataclass(frozen=True, slots=True)
class LmmStructure:
    """Everything about a model that does not depend on the variance parameters.

    Attributes
    ----------
    batches : tuple of Batch
        Families grouped by size.
    n_obs : int
        Number of rows.
    n_fixed : int
        Number of fixed-effect columns ``p``.
    n_groups : tuple of int
        Number of groups at each level, outermost first.
    slope_levels : tuple of int
        Levels (indices into ``groups``) with a random slope.
    basis_level : tuple of int
        Level of each basis matrix.
    basis_kind : tuple of int
        Kind of each basis matrix: 0 = intercept (``S``), 1 = cross term, 2 = slope.
    """

    batches: tuple[Batch, ...]
    n_obs: int
    n_fixed: int
    n_groups: tuple[int, ...]
    slope_levels: tuple[int, ...]
    basis_level: tuple[int, ...]
    basis_kind: tuple[int, ...]

    @property
    def n_theta(self) -> int:
        """Number of variance parameters ``theta`` (without the residual SD)."""
        return sum(3 if lev in self.slope_levels else 1 for lev in range(len(self.n_groups)))


def theta_layout(n_levels: int, slope_levels: tuple[int, ...]) -> list[tuple[int, str]]:
    """Return ``(level, role)`` for each element of ``theta`` in lme4's order.

    ``role`` is ``"l11"`` (intercept), ``"l21"`` (intercept-slope) or ``"l22"`` (slope),
    the column-wise lower triangle of each level's relative Cholesky factor.
    """
    out: list[tuple[int, str]] = []
    for lev in range(n_levels):
        if lev in slope_levels:
            out += [(lev, "l11"), (lev, "l21"), (lev, "l22")]
        else:
            out.append((lev, "l11"))
    return out


def basis_coefficients(
    theta: np.ndarray, structure: LmmStructure
) -> tuple[np.ndarray, np.ndarray]:
    """Return the basis coefficients ``c(theta)`` and their Jacobian.

    Returns
    -------
    c : ndarray, shape (n_bases,)
    dc : ndarray, shape (n_bases, n_theta)
        ``dc[b, j] = d c_b / d theta_j``.
    """
    layout = theta_layout(len(structure.n_groups), structure.slope_levels)
    pos = {key: j for j, key in enumerate(layout)}
    nb = len(structure.basis_kind)
    c = np.zeros(nb)
    dc = np.zeros((nb, len(layout)))
    for b, (lev, kind) in enumerate(zip(structure.basis_level, structure.basis_kind, strict=True)):
        i11 = pos[(lev, "l11")]
        l11 = theta[i11]
        if kind == 0:
            c[b] = l11 * l11
            dc[b, i11] = 2.0 * l11
            continue
        i21, i22 = pos[(lev, "l21")], pos[(lev, "l22")]
        l21, l22 = theta[i21], theta[i22]
        if kind == 1:
            c[b] = l11 * l21
            dc[b, i11] = l21
            dc[b, i21] = l11
        else:
            c[b] = l21 * l21 + l22 * l22
            dc[b, i21] = 2.0 * l21
            dc[b, i22] = 2.0 * l22
    return c, dc


def build_structure(
    y: np.ndarray,
    X: np.ndarray,
    groups: tuple[np.ndarray, ...],
    *,
    slope: np.ndarray | None = None,
    slope_levels: tuple[int, ...] = (),
) -> LmmStructure:
    """Group the families by size and precompute the covariance bases.

    Parameters
    ----------
    y : ndarray, shape (n,)
        Response.
    X : ndarray, shape (n, p)
        Fixed-effects design.
    groups : tuple of ndarray of int, each shape (n,)
        Integer group codes, outermost level (family) first. Every inner group must lie
        within one outer group (checked by the caller); inner levels may cross each other
        within a family (e.g. child and reporter).
    slope : ndarray, shape (n,), optional
        Covariate with a random slope (usually the wave).
    slope_levels : tuple of int
        Levels that get a correlated random slope for ``slope``.

    Returns
    -------
    LmmStructure
    """
    n, p = X.shape
    fam = np.asarray(groups[0])
    _, fam_pos, sizes = np.unique(fam, return_inverse=True, return_counts=True)
    order = np.argsort(fam_pos, kind="stable")
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    t = np.zeros(n) if slope is None else np.asarray(slope, dtype=float)

    basis_level: list[int] = []
    basis_kind: list[int] = []
    for lev in range(len(groups)):
        kinds = (0, 1, 2) if lev in slope_levels else (0,)
        for kind in kinds:
            basis_level.append(lev)
            basis_kind.append(kind)

    # pad each family to a multiple of PAD rows: few batches, little wasted work
    targets = PAD * np.ceil(sizes / PAD).astype(int)
    Xp = np.vstack([X, np.zeros((1, p))])
    yp = np.r_[y, 0.0]
    tp = np.r_[t, 0.0]
    gp = [np.r_[np.asarray(g), -1] for g in groups]
    batches = []
    for m in np.unique(targets):
        fams = np.flatnonzero(targets == m)
        offs = np.arange(m)[None, :]
        valid = offs < sizes[fams][:, None]
        pos = np.minimum(starts[fams][:, None] + offs, n - 1)
        rows = np.where(valid, order[pos], n)  # n = the zero padding row
        tb = tp[rows]
        mask = (valid[:, :, None] & valid[:, None, :]).astype(float)
        bases = np.empty((len(basis_kind), len(fams), m, m))
        for b, (lev, kind) in enumerate(zip(basis_level, basis_kind, strict=True)):
            g = gp[lev][rows]
            same = (g[:, :, None] == g[:, None, :]) * mask
            if kind == 0:
                bases[b] = same
            elif kind == 1:
                bases[b] = same * (tb[:, :, None] + tb[:, None, :])
            else:
                bases[b] = same * (tb[:, :, None] * tb[:, None, :])
        Xb, yb = Xp[rows], yp[rows]
        batches.append(Batch(rows=rows, family=fams, X=Xb, y=yb, bases=bases,
                             XY=np.concatenate([Xb, yb[:, :, None]], axis=2),
                             n_rows=sizes[fams]))
    n_groups = tuple(len(np.unique(np.asarray(g))) for g in groups)
    return LmmStructure(
        batches=tuple(batches),
        n_obs=n,
        n_fixed=p,
        n_groups=n_groups,
        slope_levels=tuple(slope_levels),
        basis_level=tuple(basis_level),
        basis_kind=tuple(basis_kind),
    )
