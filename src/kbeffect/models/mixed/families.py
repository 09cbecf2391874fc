"""Per-observation log-likelihoods of the count and ordinal GLMM families, with derivatives.

Every family works on the conditional linear predictor ``eta`` (log of the untruncated
count mean, or the location of the latent logistic variable for the ordinal model) and on a
small set of *channels*: per-observation quantities that depend on the family's extra
parameters (``log(theta)`` of the negative binomial, the zero-inflation / hurdle linear
predictor ``zeta``, the two thresholds bracketing an ordinal response). A family returns
derivatives with respect to ``eta`` up to third order and with respect to the channels
(and their mixed derivatives with ``eta`` up to second order); :meth:`expand` maps
channel derivatives (n, m_ch) to parameter derivatives (n, m_par). The GLMM kernels only
need these arrays, so adding a family means adding one class here.

Parametrisation (matches glmmTMB and ordinal):

- ``poisson``: y ~ Poisson(mu), mu = exp(eta).
- ``negbin``: NB2, Var(y) = mu + mu^2 / theta; parameter ``log_theta``.
- ``zip`` / ``zinb``: P(y = 0) = pi + (1 - pi) f(0), P(y = k) = (1 - pi) f(k), with
  logit(pi) = zeta = Z gamma (glmmTMB ``ziformula``).
- ``hurdle_poisson`` / ``hurdle_negbin``: P(y = 0) = pi, P(y = k) = (1 - pi) f(k) / (1 - f(0))
  (glmmTMB ``truncated_poisson`` / ``truncated_nbinom2`` with ``ziformula``); ``eta`` is
  the log mean of the untruncated count distribution.
- ``ordinal``: P(Y <= k) = logistic(alpha_k - eta), k = 0..K-2 (ordinal::clmm).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.special import expit, gammaln, log_expit, psi

__all__ = ["COUNT_FAMILIES", "CountFamily", "OrdinalFamily", "make_family"]

Array = NDArray[np.float64]

COUNT_FAMILIES = ("poisson", "negbin", "zip", "zinb", "hurdle_poisson", "hurdle_negbin")
_ETA_MAX = 700.0


def _base_terms(
    y: Array, eta: Array, theta: float | None, ext: bool = True
) -> tuple[Array, Array, Array, Array, Array, Array, Array, Array]:
    """Count log density without its eta-free constant, and derivatives.

    Returns ``(ll, l1, l2, l3, lt, l1t, l2t, mu)``: the log density up to terms free of
    eta and theta is handled by the caller; ``lt`` etc. are derivatives with respect to
    ``log(theta)`` (zeros for the Poisson, and when ``ext`` is False).
    """
    mu = np.exp(np.minimum(eta, _ETA_MAX))
    if theta is None:
        zero = np.zeros_like(mu)
        return y * eta - mu, y - mu, -mu, -mu, zero, zero, zero, mu
    p = mu / (theta + mu)
    q1 = p * (1.0 - p)
    yt = y + theta
    log1p_ = np.log1p(mu / theta)
    ll = y * eta - yt * (np.log(theta) + log1p_) + theta * np.log(theta)
    l1 = y - yt * p
    l2 = -yt * q1
    l3 = -yt * q1 * (1.0 - 2.0 * p)
    if not ext:
        return ll, l1, l2, l3, l3, l3, l3, mu
    lt = theta * (psi(yt) - psi(theta) - log1p_ + 1.0 - yt / (theta + mu))
    l1t = q1 * (y - mu)
    l2t = q1 * (yt * (1.0 - 2.0 * p) - theta)
    return ll, l1, l2, l3, lt, l1t, l2t, mu


def _zero_terms(
    eta: Array, theta: float | None
) -> tuple[Array, Array, Array, Array, Array, Array, Array]:
    """``q = log f(0 | eta)`` and its derivatives (eta up to 3rd, log-theta mixed up to 2nd)."""
    mu = np.exp(np.minimum(eta, _ETA_MAX))
    if theta is None:
        zero = np.zeros_like(mu)
        return -mu, -mu, -mu, -mu, zero, zero, zero
    p = mu / (theta + mu)
    q = -theta * np.log1p(mu / theta)
    q1 = -theta * p
    q2 = q1 * (1.0 - p)
    q3 = q2 * (1.0 - 2.0 * p)
    qt = theta * (np.log1p(-p) + p)
    q1t = -theta * p * p
    q2t = -2.0 * theta * p * p * (1.0 - p)
    return q, q1, q2, q3, qt, q1t, q2t


class CountFamily:
    """Count family bound to a response vector and a zero-part design.

    Parameters
    ----------
    name : str
        One of :data:`COUNT_FAMILIES`.
    y : ndarray, shape (n,)
        Non-negative integer counts (as floats).
    zi_X : ndarray, shape (n, q), optional
        Design of the zero-inflation / hurdle linear predictor (required for those families).
    """

    def __init__(self, name: str, y: Array, zi_X: Array | None = None) -> None:
        self.name = name
        self.y = np.asarray(y, dtype=float)
        self.nb = name in ("negbin", "zinb", "hurdle_negbin")
        self.zero_part = name[:2] in ("zi", "hu")
        self.hurdle = name.startswith("hurdle")
        if self.zero_part and zi_X is None:
            zi_X = np.ones((self.y.shape[0], 1))
        self.Z = None if not self.zero_part else np.asarray(zi_X, dtype=float)
        self.n_theta = int(self.nb)
        self.n_zi = 0 if self.Z is None else self.Z.shape[1]
        self.n_extra = self.n_theta + self.n_zi
        self.n_channels = self.n_theta + int(self.zero_part)
        self.const = -gammaln(self.y + 1.0)
        self.is0 = self.y == 0
        self._theta: float | None = None
        self._zeta = np.zeros(0)
        self._pi = self._log_pi = self._log_1mpi = np.zeros(0)
        self._lgam = np.zeros(0)

    # -- parameters ------------------------------------------------------------------
    def set_params(self, phi: Array) -> None:
        """Fix the extra parameters ``phi`` = ([log_theta], [zi coefficients])."""
        phi = np.asarray(phi, dtype=float)
        if self.nb:
            self._theta = float(np.exp(phi[0]))
            self._lgam = gammaln(self.y + self._theta) - gammaln(self._theta)
        if self.Z is not None:
            self._zeta = self.Z @ phi[self.n_theta :]
            self._pi = expit(self._zeta)
            self._log_pi = log_expit(self._zeta)
            self._log_1mpi = log_expit(-self._zeta)

    def expand(self, dch: Array) -> Array:
        """Map channel derivatives (n, n_channels) to parameter derivatives (n, n_extra)."""
        cols = []
        if self.nb:
            cols.append(dch[:, :1])
        if self.Z is not None:
            cols.append(dch[:, -1:] * self.Z)
        if not cols:
            return np.zeros((dch.shape[0], 0))
        return np.hstack(cols)

    # -- log-likelihood pieces ---------------------------------------------------------
    def evaluate(self, eta: Array, order: int) -> tuple[Any, ...]:
        """Log-likelihood terms at ``eta`` (shape (n,) or (K, n)).

        ``order=0`` returns ``(ll,)``; ``order=1`` returns ``(ll, l1, E)``; ``order=2`` returns
        ``(ll, l1, l2)``; ``order=3`` returns ``(ll, l1, l2, l3, E, E1, E2)``, where ``l_k`` is the
        k-th eta derivative and ``E``, ``E1``, ``E2`` (shape ``eta.shape + (n_channels,)``)
        are the channel derivatives of ``ll``, ``l1`` and ``l2``.
        """
        y, th = self.y, self._theta
        ext = order in (1, 3)
        ll, l1, l2, l3, lt, l1t, l2t, _mu = _base_terms(y, eta, th, ext)
        ll = ll + self.const + (self._lgam if self.nb else 0.0)
        chans: list[tuple[Array, Array, Array]] = []
        if not self.zero_part:
            if self.nb:
                chans.append((lt, l1t, l2t))
        else:
            ll, l1, l2, l3, chans = self._zero_part(eta, ll, l1, l2, l3, lt, l1t, l2t, order)
        if order == 0:
            return (ll,)
        if order == 2:
            return ll, l1, l2
        shape = (*np.shape(eta), self.n_channels)
        E = np.empty(shape)
        for c, ch in enumerate(chans):
            E[..., c] = ch[0]
        if order == 1:
            return ll, l1, E
        E1 = np.empty(shape)
        E2 = np.empty(shape)
        for c, ch in enumerate(chans):
            E1[..., c] = ch[1]
            E2[..., c] = ch[2]
        return ll, l1, l2, l3, E, E1, E2

    def _zero_part(
        self,
        eta: Array,
        ll: Array,
        l1: Array,
        l2: Array,
        l3: Array,
        lt: Array,
        l1t: Array,
        l2t: Array,
        order: int,
    ) -> tuple[Array, Array, Array, Array, list[tuple[Array, Array, Array]]]:
        """Zero-inflated or hurdle log-likelihood terms (only those ``order`` needs)."""
        q, q1, q2, q3, qt, q1t, q2t = _zero_terms(eta, self._theta)
        pi, log_pi, log_1mpi = self._pi, self._log_pi, self._log_1mpi
        is0 = self.is0
        none: list[tuple[Array, Array, Array]] = []
        if self.hurdle:
            # y > 0: log(1 - pi) + log f(y) - log(1 - f(0)); y = 0: log(pi)
            qc = np.minimum(q, -1e-300)
            pos = ~is0
            lpos = log_1mpi + ll - np.log(-np.expm1(qc))
            lo = np.where(pos, lpos, log_pi)
            if order == 0:
                return lo, lo, lo, lo, none
            m = 1.0 / np.expm1(-qc)
            mm = m * (1.0 + m)
            h1 = np.where(pos, l1 + m * q1, 0.0)
            h2 = np.where(pos, l2 + m * q2 + mm * q1**2, 0.0)
            if order == 2:
                return lo, h1, h2, h2, none
            if order == 1:
                return lo, h1, h1, h1, self._hurdle_chans(pos, pi, lt, qt, m)
            t3 = m * q3 + 3.0 * mm * q1 * q2 + mm * (1.0 + 2.0 * m) * q1**3
            h3 = np.where(pos, l3 + t3, 0.0)
            tt = m * qt
            t1t = m * q1t + mm * qt * q1
            t2t = m * q2t + mm * qt * q2 + mm * (1.0 + 2.0 * m) * qt * q1**2 + 2.0 * mm * q1 * q1t
            chans = []
            if self.nb:
                chans.append(
                    (
                        np.where(pos, lt + tt, 0.0),
                        np.where(pos, l1t + t1t, 0.0),
                        np.where(pos, l2t + t2t, 0.0),
                    )
                )
            zero = np.zeros_like(lo)
            chans.append((np.where(pos, -pi, 1.0 - pi), zero, zero))
            return lo, h1, h2, h3, chans
        # zero-inflated: y = 0 -> log(pi + (1 - pi) f(0))
        lz = np.logaddexp(log_pi, log_1mpi + q)
        lo = np.where(is0, lz, log_1mpi + ll)
        if order == 0:
            return lo, lo, lo, lo, none
        r = np.exp(log_1mpi + q - lz)
        lzeta = pi * (1.0 - pi) * (1.0 - np.exp(q)) * np.exp(-lz)
        o1 = np.where(is0, r * q1, l1)
        if order == 1:
            c1 = []
            if self.nb:
                v = np.where(is0, r * qt, lt)
                c1.append((v, v, v))
            v = np.where(is0, lzeta, -pi)
            c1.append((v, v, v))
            return lo, o1, o1, o1, c1
        rr = r * (1.0 - r)
        o2 = np.where(is0, r * q2 + rr * q1**2, l2)
        if order == 2:
            return lo, o1, o2, o2, none
        z3 = r * q3 + 3.0 * rr * q1 * q2 + rr * (1.0 - 2.0 * r) * q1**3
        o3 = np.where(is0, z3, l3)
        chans = []
        if self.nb:
            zt = r * qt
            z1t = r * q1t + rr * qt * q1
            z2t = r * q2t + rr * qt * q2 + rr * (1.0 - 2.0 * r) * qt * q1**2 + 2.0 * rr * q1 * q1t
            chans.append((np.where(is0, zt, lt), np.where(is0, z1t, l1t), np.where(is0, z2t, l2t)))
        drz = r * (-pi - lzeta)
        chans.append(
            (
                np.where(is0, lzeta, -pi),
                np.where(is0, q1 * drz, 0.0),
                np.where(is0, drz * (q2 + (1.0 - 2.0 * r) * q1**2), 0.0),
            )
        )
        return lo, o1, o2, o3, chans

    def _hurdle_chans(
        self, pos: Array, pi: Array, lt: Array, qt: Array, m: Array
    ) -> list[tuple[Array, Array, Array]]:
        """Hurdle channel values (first element only is meaningful) for ``order=1``."""
        out = []
        if self.nb:
            v = np.where(pos, lt + m * qt, 0.0)
            out.append((v, v, v))
        v = np.where(pos, -pi, 1.0 - pi)
        out.append((v, v, v))
        return out

    # -- means -------------------------------------------------------------------------
    def mean(self, eta: Array, zeta: Array | None, theta: float | None) -> Array:
        """Mean of y given the conditional linear predictors (broadcasts)."""
        mu = np.exp(np.minimum(eta, _ETA_MAX))
        if not self.zero_part:
            return mu
        pi = expit(zeta)
        if not self.hurdle:
            return (1.0 - pi) * mu
        q = _zero_terms(eta, theta)[0]
        return (1.0 - pi) * mu / (-np.expm1(np.minimum(q, -1e-300)))


def _logis_pdf(x: Array) -> tuple[Array, Array, Array, Array]:
    F = expit(x)
    f = F * (1.0 - F)
    return F, f, f * (1.0 - 2.0 * F), f * (1.0 - 6.0 * F + 6.0 * F * F)


class OrdinalFamily:
    """Cumulative-logit family ``P(Y <= k) = logistic(alpha_k - eta)``.

    Parameters
    ----------
    y : ndarray of int, shape (n,)
        Category codes 0..K-1.
    n_cat : int
        Number of categories K (>= 2).
    """

    name = "ordinal"

    def __init__(self, y: NDArray[np.int_], n_cat: int) -> None:
        self.yc = np.asarray(y, dtype=int)
        self.n_cat = int(n_cat)
        self.n_extra = self.n_cat - 1
        self.n_channels = 2
        self.has_up = self.yc < self.n_cat - 1
        self.has_lo = self.yc > 0
        self._up = np.zeros(self.yc.shape)
        self._lo = np.zeros(self.yc.shape)

    def set_params(self, phi: Array) -> None:
        """Fix the thresholds ``phi`` (K-1,), increasing."""
        a = np.concatenate([[-np.inf], np.asarray(phi, dtype=float), [np.inf]])
        self._up = a[self.yc + 1]
        self._lo = a[self.yc]

    def expand(self, dch: Array) -> Array:
        """Map (upper, lower) threshold-channel derivatives to the K-1 thresholds."""
        n = dch.shape[0]
        out = np.zeros((n, self.n_extra))
        rows = np.arange(n)
        out[rows[self.has_up], self.yc[self.has_up]] += dch[self.has_up, 0]
        out[rows[self.has_lo], self.yc[self.has_lo] - 1] += dch[self.has_lo, 1]
        return out

    def evaluate(self, eta: Array, order: int) -> tuple[Any, ...]:
        """Evaluate as :meth:`CountFamily.evaluate`; the channels are (upper, lower)."""
        a = self._up - eta
        b = self._lo - eta
        Fa, fa, ga, ha = _logis_pdf(a)
        Fb, fb, gb, hb = _logis_pdf(b)
        # P = F(a) - F(b), computed on the smaller tail for accuracy
        P = np.where(b > 0, expit(-b) - expit(-a), Fa - Fb)
        P = np.maximum(P, 1e-300)
        ll = np.log(P)
        if order == 0:
            return (ll,)
        D1, D2, D3 = fa - fb, ga - gb, ha - hb
        l1 = -D1 / P
        if order == 1:
            E = np.stack([fa / P, -fb / P], axis=-1)
            return ll, l1, E
        l2 = D2 / P - (D1 / P) ** 2
        if order == 2:
            return ll, l1, l2
        l3 = -D3 / P + 3.0 * D1 * D2 / P**2 - 2.0 * (D1 / P) ** 3
        E = np.stack([fa / P, -fb / P], axis=-1)
        E1 = np.stack([-ga / P + D1 * fa / P**2, gb / P - D1 * fb / P**2], axis=-1)
        E2 = np.stack(
            [
                ha / P - D2 * fa / P**2 - 2 * D1 * ga / P**2 + 2 * D1**2 * fa / P**3,
                -hb / P + D2 * fb / P**2 + 2 * D1 * gb / P**2 - 2 * D1**2 * fb / P**3,
            ],
            axis=-1,
        )
        return ll, l1, l2, l3, E, E1, E2


def make_family(name: str, y: Array, zi_X: Array | None = None) -> CountFamily:
    """Build the :class:`CountFamily` called ``name`` for response ``y``."""
    return CountFamily(name, y, zi_X)
