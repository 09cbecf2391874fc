"""Array kernels of the repeated-measures ANOVA: designs, type III sums of squares.

The repeated-measures ANOVA is fitted as a multivariate linear model ``Y = X B + E``
with one row per subject and one column per within-subject cell (the multivariate
approach of O'Brien & Kaiser, 1985, used by SPSS GLM, car::Anova and afex):

* ``X`` is the full-factorial between-subject design with sum-to-zero ("effect",
  ``contr.sum``) coding, so that the intercept is the unweighted grand mean and every
  type III hypothesis is a set of coefficient rows of ``B``;
* each within-subject term ``S`` (including the empty term of the between-subject
  stratum) is a matrix ``M_S`` of orthonormal contrasts among the within cells; the
  transformed responses ``Y M_S`` give the hypothesis and error SSP matrices of every
  between term ``T`` crossed with ``S``.

Univariate sums of squares are traces of these SSP matrices. Nothing here validates
input: the public function :func:`kbeffect.models.anova.rm_anova` does that once.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np

from kbeffect.errors import EstimationError

__all__ = [
    "BetweenDesign",
    "MultivariateLinearFit",
    "TermSSP",
    "between_design",
    "fit_multivariate",
    "orthonormal_contrasts",
    "term_ssp",
    "within_term_matrices",
]


def contr_sum(n_levels: int) -> np.ndarray:
    """Return R's ``contr.sum`` coding matrix, shape ``(n_levels, n_levels - 1)``."""
    c = np.zeros((n_levels, n_levels - 1))
    c[: n_levels - 1] = np.eye(n_levels - 1)
    c[n_levels - 1] = -1.0
    return c


def orthonormal_contrasts(n_levels: int) -> np.ndarray:
    """Return an orthonormal basis of the contrasts among ``n_levels`` cells.

    Returns
    -------
    ndarray of shape (n_levels, n_levels - 1)
        Columns are orthonormal and orthogonal to the vector of ones.
    """
    basis = np.column_stack([np.ones(n_levels), contr_sum(n_levels)])
    q, _ = np.linalg.qr(basis)
    return q[:, 1:] * np.sign(q[0, 0])


def _term_subsets(names: tuple[str, ...]) -> list[tuple[int, ...]]:
    """All non-empty subsets of factor positions, by order then position (R's term order)."""
    return [s for r in range(1, len(names) + 1) for s in combinations(range(len(names)), r)]


@dataclass(frozen=True, slots=True)
class BetweenDesign:
    """Sum-to-zero coded full-factorial design of the between-subject factors.

    Attributes
    ----------
    X : ndarray of shape (n_subjects, n_cells)
        Design matrix; column 0 is the intercept.
    terms : tuple of str
        Term names in R's order (``"(Intercept)"``, main effects, interactions).
    columns : tuple of ndarray of int
        For each term, the columns of ``X`` that code it.
    grid : ndarray of shape (n_cells, n_factors)
        Level codes of each between cell (all combinations, last factor fastest).
    grid_rows : ndarray of shape (n_cells, n_cells)
        Design row of each cell of ``grid`` (to build estimated marginal means).
    """

    X: np.ndarray
    terms: tuple[str, ...]
    columns: tuple[np.ndarray, ...]
    grid: np.ndarray
    grid_rows: np.ndarray


def _design_rows(codes: np.ndarray, n_levels: tuple[int, ...]) -> tuple[np.ndarray, list]:
    """Coded design rows for level codes ``codes`` (shape ``(m, n_factors)``)."""
    m = codes.shape[0]
    blocks = [np.ones((m, 1))]
    codings = [contr_sum(k)[codes[:, j]] for j, k in enumerate(n_levels)]
    spans: list[tuple[int, int]] = [(0, 1)]
    start = 1
    for subset in _term_subsets(tuple(str(i) for i in range(len(n_levels)))):
        block = np.ones((m, 1))
        for j in subset:
            block = (block[:, :, None] * codings[j][:, None, :]).reshape(m, -1)
        blocks.append(block)
        spans.append((start, start + block.shape[1]))
        start += block.shape[1]
    return np.hstack(blocks), spans


def between_design(
    codes: np.ndarray, names: tuple[str, ...], n_levels: tuple[int, ...]
) -> BetweenDesign:
    """Build the sum-to-zero coded full-factorial between-subject design.

    Parameters
    ----------
    codes : ndarray of int, shape (n_subjects, n_factors)
        Level code (0-based) of each subject on each between factor.
    names : tuple of str
        Factor names.
    n_levels : tuple of int
        Number of levels of each factor (each >= 2).

    Returns
    -------
    BetweenDesign
    """
    X, spans = _design_rows(codes, n_levels)
    terms = ["(Intercept)"] + [":".join(names[j] for j in s) for s in _term_subsets(names)]
    grid = (
        np.array(np.meshgrid(*[np.arange(k) for k in n_levels], indexing="ij")).reshape(
            len(n_levels), -1
        ).T
        if n_levels
        else np.zeros((1, 0), dtype=int)
    )
    grid_rows, _ = _design_rows(grid, n_levels)
    columns = tuple(np.arange(a, b) for a, b in spans)
    return BetweenDesign(X, tuple(terms), columns, grid, grid_rows)


def within_term_matrices(
    names: tuple[str, ...], n_levels: tuple[int, ...]
) -> tuple[tuple[str, ...], tuple[np.ndarray, ...]]:
    """Orthonormal transformation matrix of each within-subject term.

    Within cells are ordered with the last factor varying fastest.

    Returns
    -------
    terms : tuple of str
        ``""`` (the between-subject stratum) followed by the within terms in R's order.
    matrices : tuple of ndarray
        ``M_S`` of shape ``(n_cells, df_S)``; ``M_""`` is the normalised mean
        ``1 / sqrt(n_cells)``.
    """
    out_terms = [""]
    mats = [np.ones((int(np.prod(n_levels)), 1)) / np.sqrt(np.prod(n_levels))]
    for subset in _term_subsets(names):
        m = np.ones((1, 1))
        for j, k in enumerate(n_levels):
            part = orthonormal_contrasts(k) if j in subset else np.ones((k, 1)) / np.sqrt(k)
            m = np.kron(m, part)
        out_terms.append(":".join(names[j] for j in subset))
        mats.append(m)
    return tuple(out_terms), tuple(mats)


@dataclass(frozen=True, slots=True)
class MultivariateLinearFit:
    """Least-squares fit of ``Y = X B + E``.

    Attributes
    ----------
    coef : ndarray of shape (n_cols, n_cells)
        ``B``.
    xtx_inv : ndarray of shape (n_cols, n_cols)
        ``(X'X)^{-1}``.
    sspe : ndarray of shape (n_cells, n_cells)
        Residual sums of squares and products ``E'E``.
    df_resid : int
        ``n_subjects - n_cols``.
    """

    coef: np.ndarray
    xtx_inv: np.ndarray
    sspe: np.ndarray
    df_resid: int


def fit_multivariate(X: np.ndarray, Y: np.ndarray) -> MultivariateLinearFit:
    """Fit ``Y = X B + E`` by QR; raise EstimationError if ``X`` is rank deficient."""
    n, p = X.shape
    q, r = np.linalg.qr(X)
    diag = np.abs(np.diag(r))
    if diag.size == 0 or diag.min() <= 1e-10 * diag.max():
        raise EstimationError(
            "the between-subject design is singular: some combination of the between "
            "factors has no complete subject."
        )
    if n - p < 1:
        raise EstimationError(
            f"no residual degrees of freedom: {n} complete subjects for {p} between cells."
        )
    coef = np.linalg.solve(r, q.T @ Y)
    r_inv = np.linalg.solve(r, np.eye(p))
    resid = Y - X @ coef
    return MultivariateLinearFit(coef, r_inv @ r_inv.T, resid.T @ resid, n - p)


@dataclass(frozen=True, slots=True)
class TermSSP:
    """Hypothesis and error SSP matrices of one effect (between term x within term).

    Attributes
    ----------
    ssph : ndarray of shape (df_within, df_within)
        Hypothesis sums of squares and products on the transformed responses.
    sspe : ndarray of shape (df_within, df_within)
        Error sums of squares and products on the transformed responses.
    df_hyp : int
        Number of coefficient rows tested (between-term degrees of freedom).
    df_resid : int
        Residual degrees of freedom of the multivariate model.
    """

    ssph: np.ndarray
    sspe: np.ndarray
    df_hyp: int
    df_resid: int


def term_ssp(fit: MultivariateLinearFit, cols: np.ndarray, M: np.ndarray) -> TermSSP:
    """Type III hypothesis SSP of the coefficient rows ``cols`` on responses ``Y M``."""
    lb = fit.coef[cols] @ M
    middle = np.linalg.inv(fit.xtx_inv[np.ix_(cols, cols)])
    ssph = lb.T @ middle @ lb
    sspe = M.T @ fit.sspe @ M
    return TermSSP(0.5 * (ssph + ssph.T), 0.5 * (sspe + sspe.T), len(cols), fit.df_resid)
