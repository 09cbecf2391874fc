"""The repeated-measures ANOVA kernel: every effect's tests from a wide response matrix."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from kbeffect.models.anova.kernels import (
    BetweenDesign,
    MultivariateLinearFit,
    fit_multivariate,
    term_ssp,
    within_term_matrices,
)
from kbeffect.models.anova.manova import MultivariateTests, multivariate_tests
from kbeffect.models.anova.sphericity import (
    HFMethod,
    MauchlyPValue,
    MauchlyTest,
    greenhouse_geisser,
    huynh_feldt,
    mauchly_test,
)

__all__ = ["RMAnovaFit", "fit_rm_anova"]


@dataclass(frozen=True, slots=True)
class RMAnovaFit:
    """All tests of a repeated-measures ANOVA, one entry per effect.

    Effects are the crossings of every between term (intercept included) with every
    within term (the between stratum ``""`` included), in car/afex order: the between
    stratum first, then each within term with its between interactions.

    Attributes
    ----------
    terms : tuple of str
        Effect names (``"(Intercept)"``, ``"group"``, ``"wave"``, ``"group:wave"``, ...).
    within_term : tuple of str
        The within term of each effect (``""`` for between-subject effects).
    ss, df, ss_error, df_error, F, pvalue : ndarray of shape (n_effects,)
        Univariate type III tests.
    eps_gg, eps_hf : ndarray of shape (n_effects,)
        Greenhouse-Geisser and (untruncated) Huynh-Feldt epsilons; NaN where the within
        term has one degree of freedom or the effect is between-subject.
    p_gg, p_hf : ndarray of shape (n_effects,)
        Corrected p-values (Huynh-Feldt epsilon truncated at 1); equal to ``pvalue`` for
        effects with one degree of freedom, NaN for between-subject effects.
    pes, ges, eta2 : ndarray of shape (n_effects,)
        Partial, generalised and classical eta squared (NaN for the intercept).
    mauchly : dict of str to MauchlyTest
        Mauchly's test per within term with two or more degrees of freedom.
    multivariate : dict of str to MultivariateTests
        Multivariate tests per within-subject effect.
    ss_total : float
        Corrected total sum of squares of the analysed responses.
    linear_fit : MultivariateLinearFit
        The multivariate linear model on the within cells (for contrasts and means).
    """

    terms: tuple[str, ...]
    within_term: tuple[str, ...]
    ss: np.ndarray
    df: np.ndarray
    ss_error: np.ndarray
    df_error: np.ndarray
    F: np.ndarray
    pvalue: np.ndarray
    eps_gg: np.ndarray
    eps_hf: np.ndarray
    p_gg: np.ndarray
    p_hf: np.ndarray
    pes: np.ndarray
    ges: np.ndarray
    eta2: np.ndarray
    mauchly: dict[str, MauchlyTest]
    multivariate: dict[str, MultivariateTests]
    ss_total: float
    linear_fit: MultivariateLinearFit


def _join(between: str, within: str) -> str:
    if between == "(Intercept)":
        return within or between
    return f"{between}:{within}" if within else between


def fit_rm_anova(
    Y: np.ndarray,
    design: BetweenDesign,
    within_names: tuple[str, ...],
    within_levels: tuple[int, ...],
    *,
    observed: tuple[str, ...] = (),
    hf_method: HFMethod = "lecoutre",
    mauchly_pvalue: MauchlyPValue = "r",
) -> RMAnovaFit:
    """Fit the repeated-measures ANOVA on complete subjects.

    Parameters
    ----------
    Y : ndarray of shape (n_subjects, n_cells)
        Responses, one column per within cell (last within factor fastest).
    design : BetweenDesign
        Between-subject design of the same subjects.
    within_names : tuple of str
        Within-subject factor names.
    within_levels : tuple of int
        Number of levels of each within factor.
    observed : tuple of str
        Factors that are observed rather than manipulated, for generalised eta squared
        (Olejnik & Algina, 2003; afex's ``observed``).
    hf_method : {"lecoutre", "huynh-feldt"}
        Huynh-Feldt epsilon formula (see :func:`~.sphericity.huynh_feldt`).
    mauchly_pvalue : {"r", "anderson", "chi2"}
        P-value of Mauchly's test (see :func:`~.sphericity.mauchly_test`).

    Returns
    -------
    RMAnovaFit
    """
    lin = fit_multivariate(design.X, Y)
    n_subjects = Y.shape[0]
    w_terms, w_mats = within_term_matrices(within_names, within_levels)
    rec: dict[str, list] = {k: [] for k in ("term", "wt", "ss", "df", "sse", "dfe", "gg", "hf")}
    mauchly: dict[str, MauchlyTest] = {}
    mv: dict[str, MultivariateTests] = {}
    strata_error = []
    for wt, M in zip(w_terms, w_mats, strict=True):
        p = M.shape[1]
        gg = hf = np.nan
        for bt, cols in zip(design.terms, design.columns, strict=True):
            ssp = term_ssp(lin, cols, M)
            if bt == "(Intercept)":
                strata_error.append(float(np.trace(ssp.sspe)))
                if p >= 2:
                    mauchly[wt] = mauchly_test(
                        ssp.sspe, lin.df_resid, n_cells=Y.shape[1], pvalue=mauchly_pvalue
                    )
                    gg = greenhouse_geisser(ssp.sspe)
                    hf = huynh_feldt(
                        gg, df_resid=lin.df_resid, p=p, n_subjects=n_subjects, method=hf_method
                    )
            name = _join(bt, wt)
            if wt:
                mv[name] = multivariate_tests(ssp.ssph, ssp.sspe, ssp.df_hyp, ssp.df_resid)
            rec["term"].append(name)
            rec["wt"].append(wt)
            rec["ss"].append(float(np.trace(ssp.ssph)))
            rec["df"].append(ssp.df_hyp * p)
            rec["sse"].append(float(np.trace(ssp.sspe)))
            rec["dfe"].append(ssp.df_resid * p)
            rec["gg"].append(gg)
            rec["hf"].append(hf)
    ss, df = np.array(rec["ss"]), np.array(rec["df"], dtype=float)
    sse, dfe = np.array(rec["sse"]), np.array(rec["dfe"], dtype=float)
    F = (ss / df) / (sse / dfe)
    pvalue = stats.f.sf(F, df, dfe)
    eps_gg, eps_hf = np.array(rec["gg"]), np.array(rec["hf"])
    within = np.array([bool(w) for w in rec["wt"]])
    one_df = within & np.isnan(eps_gg)
    p_gg = np.where(one_df, pvalue, stats.f.sf(F, df * eps_gg, dfe * eps_gg))
    hf1 = np.minimum(eps_hf, 1.0)
    p_hf = np.where(one_df, pvalue, stats.f.sf(F, df * hf1, dfe * hf1))
    p_gg[~within] = np.nan
    p_hf[~within] = np.nan
    is_int = np.array([t == "(Intercept)" for t in rec["term"]])
    obs = np.array(
        [any(o in t.split(":") for o in observed) and not i for t, i in zip(rec["term"], is_int,
                                                                           strict=True)]
    )
    obs_total = float(ss[obs].sum())
    ges = ss / (ss + sum(strata_error) + obs_total - np.where(obs, ss, 0.0))
    ss_total = float(((Y - Y.mean()) ** 2).sum())
    pes = ss / (ss + sse)
    eta2 = ss / ss_total
    for a in (pes, ges, eta2):
        a[is_int] = np.nan
    return RMAnovaFit(
        terms=tuple(rec["term"]),
        within_term=tuple(rec["wt"]),
        ss=ss,
        df=df,
        ss_error=sse,
        df_error=dfe,
        F=F,
        pvalue=pvalue,
        eps_gg=eps_gg,
        eps_hf=eps_hf,
        p_gg=p_gg,
        p_hf=p_hf,
        pes=pes,
        ges=ges,
        eta2=eta2,
        mauchly=mauchly,
        multivariate=mv,
        ss_total=ss_total,
        linear_fit=lin,
    )
