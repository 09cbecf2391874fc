r"""Entropy balancing (Hainmueller 2012): weights with exact moment balance.

For the group to be reweighted, with covariate rows :math:`c_i`, base weights
:math:`q_i` and target moments :math:`m`, the weights minimise the Kullback-Leibler
divergence :math:`\sum w_i \log(w_i / q_i)` subject to :math:`\sum w_i c_i = m \sum w_i`.
The solution is :math:`w_i \propto q_i \exp(\lambda^\top (c_i - m))`, where
:math:`\lambda` minimises the convex dual :math:`\log \sum q_i \exp(\lambda^\top (c_i - m))`,
solved here by Newton's method with a backtracking line search on standardised columns.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import logsumexp

__all__ = ["EbalFit", "ebal_group", "entropy_balance"]


@dataclass(frozen=True, slots=True)
class EbalFit:
    """Entropy balancing weights.

    Attributes
    ----------
    weights : ndarray of shape (n,)
        Balancing weights; each reweighted group's weights sum to its size.
    max_imbalance : float
        Largest absolute standardised difference between weighted and target means.
    converged : bool
    n_iter : int
    """

    weights: np.ndarray
    max_imbalance: float
    converged: bool
    n_iter: int


def ebal_group(
    C: np.ndarray,
    target: np.ndarray,
    base: np.ndarray,
    *,
    tol: float = 1e-10,
    max_iter: int = 200,
) -> tuple[np.ndarray, float, bool, int]:
    """Return weights (summing to 1) of rows of ``C`` whose weighted mean is ``target``.

    Returns the weights, the largest absolute standardised imbalance, convergence and the
    number of Newton steps. Columns with no variation are skipped.
    """
    sd = C.std(axis=0)
    keep = sd > 1e-12
    Z = (C[:, keep] - target[keep]) / sd[keep]
    logq = np.log(base / base.sum())
    lam = np.zeros(Z.shape[1])

    def dual(lam_: np.ndarray) -> float:
        return float(logsumexp(logq + Z @ lam_))

    converged = False
    it = 0
    f = dual(lam)
    for it in range(1, max_iter + 1):  # noqa: B007
        a = logq + Z @ lam
        p = np.exp(a - logsumexp(a))
        g = p @ Z
        if np.max(np.abs(g)) < tol:
            converged = True
            break
        H = (Z * p[:, None]).T @ Z - np.outer(g, g)
        step = np.linalg.lstsq(H + 1e-12 * np.eye(len(g)), g, rcond=None)[0]
        s = 1.0
        while s > 1e-10:
            new = lam - s * step
            fn = dual(new)
            if fn <= f - 1e-4 * s * float(g @ step):
                break
            s /= 2
        lam, f = new, fn
    a = logq + Z @ lam
    p = np.exp(a - logsumexp(a))
    imb = float(np.max(np.abs(p @ Z))) if Z.shape[1] else 0.0
    return p, imb, converged or imb < tol, it


def entropy_balance(
    X: np.ndarray,
    treat: np.ndarray,
    estimand: str,
    *,
    base_weights: np.ndarray | None = None,
    tol: float = 1e-10,
) -> EbalFit:
    """Entropy balancing weights for the ATT, ATC or ATE (means of the columns of ``X``).

    Parameters
    ----------
    X : ndarray of shape (n, p)
        Balance targets (add squared columns for second moments).
    treat : ndarray of shape (n,) of 0/1
    estimand : {"ATT", "ATC", "ATE"}
        ATT reweights controls to the treated means; ATC the reverse; ATE reweights both
        groups to the overall means.
    base_weights : ndarray of shape (n,), optional
    tol : float

    Returns
    -------
    EbalFit
    """
    n = len(treat)
    q = np.ones(n) if base_weights is None else np.asarray(base_weights, dtype=float)
    w = np.ones(n)
    t1, t0 = treat == 1, treat == 0
    if estimand == "ATT":
        jobs = [(t0, np.average(X[t1], axis=0, weights=q[t1]))]
    elif estimand == "ATC":
        jobs = [(t1, np.average(X[t0], axis=0, weights=q[t0]))]
    else:
        m = np.average(X, axis=0, weights=q)
        jobs = [(t1, m), (t0, m)]
    imb, conv, iters = 0.0, True, 0
    for sel, target in jobs:
        p, i_, c_, k_ = ebal_group(X[sel], target, q[sel], tol=tol)
        w[sel] = p * sel.sum()
        if estimand in ("ATT", "ATC"):
            w[~sel] = q[~sel]
        imb, conv, iters = max(imb, i_), conv and c_, max(iters, k_)
    return EbalFit(weights=w, max_imbalance=imb, converged=conv, n_iter=iters)
