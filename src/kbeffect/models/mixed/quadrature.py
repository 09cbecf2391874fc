"""Adaptive Gauss-Hermite quadrature for GLMMs with one random intercept per group.

The marginal log-likelihood of group ``j`` is ``Q_j = log int exp(h_j(u)) du`` with

    h_j(u) = sum_{i in j} ll(y_i | eta0_i + u) - u^2 / (2 sigma^2) - log(sigma) - log(2 pi) / 2.

With ``u_j`` the mode of ``h_j`` and ``s_j = sqrt(2 / -h_j''(u_j))``, AGHQ with K nodes is
``Q_j = log(s_j sum_k w_k exp(h_j(u_j + s_j z_k) + z_k^2))``; K = 1 is the Laplace
approximation (as glmmTMB and ``glmer(nAGQ = 1)``), K > 1 is ``glmer(nAGQ = K)``.

The gradient is exact for the approximation itself, including the dependence of the nodes
on the parameters (through the mode and the curvature; this needs third derivatives of the
log density), so quasi-Newton optimisers and finite-difference Hessians of the gradient
behave as for a smooth closed-form objective. All arrays are (K, n) or (n,) and group sums
use ``np.add.reduceat`` over rows sorted by group: no per-group Python loops.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["GroupLayout", "aghq_objective", "find_modes", "gauss_hermite"]

Array = NDArray[np.float64]
_LOG2PI = float(np.log(2.0 * np.pi))


def gauss_hermite(k: int) -> tuple[Array, Array]:
    """Nodes and weights for ``int exp(-z^2) f(z) dz`` with ``k`` points."""
    z, w = np.polynomial.hermite.hermgauss(k)
    return z, w


@dataclass(frozen=True, slots=True)
class GroupLayout:
    """Rows sorted by outer group (and inner group within it).

    Attributes
    ----------
    order : ndarray (n,)
        Permutation putting the caller's rows in sorted order.
    gidx : ndarray (n,)
        Outer-group index 0..G-1 of each sorted row.
    starts : ndarray (G,)
        First sorted row of each outer group.
    cidx, cstarts, c2g : ndarray or None
        Inner-group index of each sorted row (n,), first row of each inner group (C,),
        and the outer group of each inner group (C,); None with one level.
    outer_codes : ndarray (G,)
        The caller's outer codes, in layout order.
    """

    order: NDArray[np.intp]
    gidx: NDArray[np.intp]
    starts: NDArray[np.intp]
    cidx: NDArray[np.intp] | None
    cstarts: NDArray[np.intp] | None
    c2g: NDArray[np.intp] | None
    outer_codes: NDArray[Any]

    @property
    def n_groups(self) -> tuple[int, ...]:
        """Number of groups at each level, outer first."""
        g = (int(self.starts.shape[0]),)
        return g if self.cstarts is None else (*g, int(self.cstarts.shape[0]))

    @classmethod
    def build(cls, groups: tuple[NDArray[Any], ...]) -> GroupLayout:
        """Sort rows by the integer-coded ``groups`` (outermost first; one or two levels)."""
        outer_codes, g = np.unique(np.asarray(groups[0]), return_inverse=True)
        if len(groups) == 1:
            order = np.argsort(g, kind="stable")
            gs = g[order]
            starts = np.flatnonzero(np.r_[True, gs[1:] != gs[:-1]])
            return cls(order, gs, starts, None, None, None, outer_codes)
        _, c = np.unique(np.column_stack([g, np.asarray(groups[1])]), axis=0, return_inverse=True)
        c = c.ravel()
        order = np.lexsort((c, g))
        gs, cs = g[order], c[order]
        starts = np.flatnonzero(np.r_[True, gs[1:] != gs[:-1]])
        cstarts = np.flatnonzero(np.r_[True, cs[1:] != cs[:-1]])
        # renumber inner groups 0..C-1 in sorted order
        cidx = np.cumsum(np.r_[0, (cs[1:] != cs[:-1]).astype(np.intp)])
        return cls(order, gs, starts, cidx, cstarts, gs[cstarts], outer_codes)


def _gsum(v: Array, starts: NDArray[np.intp]) -> Array:
    """Group sums along the last axis (rows sorted by group)."""
    return np.add.reduceat(v, starts, axis=-1)


def find_modes(
    fam: Any,
    eta0: Array,
    lay: GroupLayout,
    inv_var: float,
    u: Array,
    tol: float = 1e-10,
    maxiter: int = 100,
) -> Array:
    """Modes of ``h_j`` by safeguarded Newton, all groups at once (warm start ``u``)."""
    g = lay.gidx
    for _ in range(maxiter):
        ll, l1, l2 = fam.evaluate(eta0 + u[g], 2)
        grad = _gsum(l1, lay.starts) - u * inv_var
        if np.max(np.abs(grad)) < tol:
            break
        negh = np.maximum(-_gsum(l2, lay.starts) + inv_var, 0.5 * inv_var)
        step = grad / negh
        h0 = _gsum(ll, lay.starts) - 0.5 * inv_var * u * u
        t = np.ones_like(u)
        for _half in range(30):
            un = u + t * step
            hn = _gsum(fam.evaluate(eta0 + un[g], 0)[0], lay.starts) - 0.5 * inv_var * un * un
            bad = ~(hn >= h0 - 1e-12 * np.abs(h0))
            if not bad.any():
                break
            t = np.where(bad, 0.5 * t, t)
        u = u + t * step
    return u


def aghq_objective(
    theta: Array,
    fam: Any,
    X: Array,
    offset: Array,
    lay: GroupLayout,
    n_agq: int,
    state: dict[str, Array],
) -> tuple[Array, Array]:
    """Per-group AGHQ log-likelihood and per-group scores.

    Parameters
    ----------
    theta : ndarray (p + m + 1,)
        ``[beta (p), family extras (m), log(sigma)]``.
    fam : CountFamily or OrdinalFamily
    X : ndarray (n, p); offset : ndarray (n,)
        Sorted by group (``lay``).
    lay : GroupLayout
    n_agq : int
        Number of quadrature nodes (1 = Laplace).
    state : dict
        Holds the last modes ``"u"`` (G,) for warm starts; updated in place.

    Returns
    -------
    Q : ndarray (G,)
        Log marginal likelihood of each group.
    S : ndarray (G, p + m + 1)
        Gradient of ``Q_j`` with respect to ``theta``.
    """
    p = X.shape[1]
    m = fam.n_extra
    beta, phi, tau = theta[:p], theta[p : p + m], float(theta[-1])
    sig2 = np.exp(2.0 * tau)
    iv = 1.0 / sig2
    fam.set_params(phi)
    eta0 = X @ beta + offset
    g, st = lay.gidx, lay.starts
    u = find_modes(fam, eta0, lay, iv, state["u"])
    state["u"] = u
    eta = eta0 + u[g]
    _, _, l2, l3, _, E1, E2 = fam.evaluate(eta, 3)
    H2 = _gsum(l2, st) - iv
    if np.any(~(H2 < 0)):
        nan = np.full(u.shape, -np.inf)
        return nan, np.zeros((u.shape[0], theta.shape[0]))
    negH2 = -H2
    H3 = _gsum(l3, st)
    s = np.sqrt(2.0 / negH2)
    z, w = gauss_hermite(n_agq)
    uk = u[None, :] + s[None, :] * z[:, None]  # (K, G)
    lk, l1k, Ek = fam.evaluate(eta0[None, :] + uk[:, g], 1)  # (K, n), (K, n, c)
    hk = _gsum(lk, st) - 0.5 * iv * uk * uk - tau - 0.5 * _LOG2PI
    lw = np.log(w)[:, None] + (z * z)[:, None] + hk
    mx = lw.max(axis=0)
    pk = np.exp(lw - mx)
    tot = pk.sum(axis=0)
    Q = mx + np.log(tot) + np.log(s)
    pk /= tot
    hpk = _gsum(l1k, st) - iv * uk  # h'(u_k)
    c = (pk * hpk).sum(axis=0)
    d = (pk * hpk * z[:, None]).sum(axis=0)
    e = 1.0 + d * s
    mu_ = e / (2.0 * negH2)
    lam = (c + e * H3 / (2.0 * negH2)) / negH2
    pobs = pk[:, g]  # (K, n)
    # fixed effects
    t = (pobs * l1k).sum(axis=0) + lam[g] * l2 + mu_[g] * l3
    S_beta = np.add.reduceat(t[:, None] * X, st, axis=0)
    # family extras
    if m:
        dch = (pobs[..., None] * Ek).sum(axis=0) + lam[g, None] * E1 + mu_[g, None] * E2
        S_phi = np.add.reduceat(fam.expand(dch), st, axis=0)
    else:
        S_phi = np.zeros((u.shape[0], 0))
    # log sigma: h_tau = u^2/sigma^2 - 1, h'_tau = 2u/sigma^2, h''_tau = 2/sigma^2
    A_tau = (pk * (uk * uk * iv - 1.0)).sum(axis=0)
    S_tau = A_tau + lam * 2.0 * u * iv + mu_ * 2.0 * iv
    return Q, np.column_stack([S_beta, S_phi, S_tau])
