"""Laplace approximation for GLMMs with nested random intercepts (family / child).

Family ``j`` has a family intercept ``u_f ~ N(0, sigma_f^2)`` and one intercept
``u_c ~ N(0, sigma_c^2)`` per child ``c`` in it. The joint mode of ``h_j(u_f, u_c)`` is found
by Newton steps on the arrowhead negative Hessian

    H = [[A_f, b^T], [b, diag(A_c)]],   A_c = sum_{i in c} W_i + 1/sigma_c^2,
    b_c = sum_{i in c} W_i,  A_f = sum_{i in j} W_i + 1/sigma_f^2,  W_i = -ll''(eta_i),

solved by its Schur complement ``S = A_f - sum_c b_c^2 / A_c``, vectorised over all families
and children. The Laplace log-likelihood is ``Q_j = h_j(u_hat) - log det(H) / 2`` (the
``2 pi`` terms cancel) with ``log det H = sum_c log A_c + log S``. Its exact gradient uses
``d log det H / d W_i = 1/A_c + (1 - b_c/A_c)^2 / S`` and an adjoint solve for the movement of
the mode (third derivatives of the log density), as in glmmTMB's Laplace approximation.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from kbeffect.models.mixed.quadrature import GroupLayout

__all__ = ["nested_laplace_objective"]

Array = NDArray[np.float64]


def _solve(
    Af: Array, Ac: Array, b: Array, rf: Array, rc: Array, lay: GroupLayout
) -> tuple[Array, Array, Array]:
    """Solve the arrowhead systems ``H [xf; xc] = [rf; rc]`` of all families at once."""
    assert lay.c2g is not None
    gsum = np.bincount(lay.c2g, weights=b * b / Ac, minlength=Af.shape[0])
    S = Af - gsum
    xf = (rf - np.bincount(lay.c2g, weights=b * rc / Ac, minlength=Af.shape[0])) / S
    xc = (rc - b * xf[lay.c2g]) / Ac
    return xf, xc, S


def _h(
    fam: Any, eta0: Array, uf: Array, uc: Array, lay: GroupLayout, ivf: float, ivc: float
) -> Array:
    assert lay.cidx is not None and lay.c2g is not None
    ll = fam.evaluate(eta0 + uf[lay.gidx] + uc[lay.cidx], 0)[0]
    hc = np.bincount(lay.c2g, weights=-0.5 * ivc * uc * uc, minlength=uf.shape[0])
    return np.add.reduceat(ll, lay.starts) - 0.5 * ivf * uf * uf + hc


def _modes(
    fam: Any,
    eta0: Array,
    lay: GroupLayout,
    ivf: float,
    ivc: float,
    uf: Array,
    uc: Array,
    tol: float = 1e-10,
    maxiter: int = 100,
) -> tuple[Array, Array]:
    assert lay.cidx is not None and lay.cstarts is not None and lay.c2g is not None
    for _ in range(maxiter):
        _, l1, l2 = fam.evaluate(eta0 + uf[lay.gidx] + uc[lay.cidx], 2)
        gf = np.add.reduceat(l1, lay.starts) - ivf * uf
        gc = np.add.reduceat(l1, lay.cstarts) - ivc * uc
        if max(np.max(np.abs(gf)), np.max(np.abs(gc))) < tol:
            break
        W = np.maximum(-l2, 0.0)
        b = np.add.reduceat(W, lay.cstarts)
        Ac = b + ivc
        Af = np.add.reduceat(W, lay.starts) + ivf
        df, dc, _ = _solve(Af, Ac, b, gf, gc, lay)
        h0 = _h(fam, eta0, uf, uc, lay, ivf, ivc)
        t = np.ones_like(uf)
        for _half in range(30):
            hn = _h(fam, eta0, uf + t * df, uc + t[lay.c2g] * dc, lay, ivf, ivc)
            bad = ~(hn >= h0 - 1e-12 * np.abs(h0))
            if not bad.any():
                break
            t = np.where(bad, 0.5 * t, t)
        uf = uf + t * df
        uc = uc + t[lay.c2g] * dc
    return uf, uc


def nested_laplace_objective(
    theta: Array,
    fam: Any,
    X: Array,
    offset: Array,
    lay: GroupLayout,
    n_agq: int,
    state: dict[str, Array],
) -> tuple[Array, Array]:
    """Per-family Laplace log-likelihood and scores for family / child intercepts.

    Parameters
    ----------
    theta : ndarray (p + m + 2,)
        ``[beta (p), family extras (m), log(sigma_family), log(sigma_child)]``.
    fam, X, offset, lay, state
        As in :func:`kbeffect.models.mixed.quadrature.aghq_objective`; ``state`` holds
        ``"u"`` (G,) and ``"uc"`` (C,).
    n_agq : int
        Must be 1 (kept for a uniform signature).

    Returns
    -------
    Q : ndarray (G,)
    S : ndarray (G, p + m + 2)
    """
    assert lay.cidx is not None and lay.cstarts is not None and lay.c2g is not None
    p = X.shape[1]
    m = fam.n_extra
    beta, phi = theta[:p], theta[p : p + m]
    tf, tc = float(theta[-2]), float(theta[-1])
    ivf, ivc = np.exp(-2.0 * tf), np.exp(-2.0 * tc)
    fam.set_params(phi)
    eta0 = X @ beta + offset
    G = lay.starts.shape[0]
    uf, uc = _modes(fam, eta0, lay, ivf, ivc, state["u"], state["uc"])
    state["u"], state["uc"] = uf, uc
    gi, ci, c2g = lay.gidx, lay.cidx, lay.c2g
    ll, l1, l2, l3, E, E1, E2 = fam.evaluate(eta0 + uf[gi] + uc[ci], 3)
    W = -l2
    b = np.add.reduceat(W, lay.cstarts)
    Ac = b + ivc
    Af = np.add.reduceat(W, lay.starts) + ivf
    S = Af - np.bincount(c2g, weights=b * b / Ac, minlength=G)
    if np.any(~(Ac > 0)) or np.any(~(S > 0)):
        return np.full(G, -np.inf), np.zeros((G, theta.shape[0]))
    n_c = np.bincount(c2g, minlength=G)
    h = (
        np.add.reduceat(ll, lay.starts)
        - 0.5 * ivf * uf * uf
        - tf
        + np.bincount(c2g, weights=-0.5 * ivc * uc * uc, minlength=G)
        - n_c * tc
    )
    logdet = np.bincount(c2g, weights=np.log(Ac), minlength=G) + np.log(S)
    Q = h - 0.5 * logdet
    # d logdet / d W_i and the adjoint solve for the mode's movement
    D = 1.0 / Ac[ci] + (1.0 - b / Ac)[ci] ** 2 / S[gi]
    Gi = -D * l3
    vf, vc, _ = _solve(
        Af, Ac, b, np.add.reduceat(Gi, lay.starts), np.add.reduceat(Gi, lay.cstarts), lay
    )
    v = vf[gi] + vc[ci]
    t = l1 - 0.5 * (Gi + v * l2)
    S_beta = np.add.reduceat(t[:, None] * X, lay.starts, axis=0)
    if m:
        dch = E - 0.5 * (v[:, None] * E1 - D[:, None] * E2)
        S_phi = np.add.reduceat(fam.expand(dch), lay.starts, axis=0)
    else:
        S_phi = np.zeros((G, 0))
    # log sigma_family
    S_tf = (uf * uf * ivf - 1.0) - 0.5 * (vf * 2.0 * uf * ivf - 2.0 * ivf / S)
    # log sigma_child
    dA = 1.0 / Ac + (b / Ac) ** 2 / S[c2g]
    per_c = (uc * uc * ivc - 1.0) - 0.5 * (vc * 2.0 * uc * ivc - 2.0 * ivc * dA)
    S_tc = np.bincount(c2g, weights=per_c, minlength=G)
    return Q, np.column_stack([S_beta, S_phi, S_tf, S_tc])
