"""Bootstrap intervals against R's boot::boot.ci on the same replicates (boot_ci.json)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from kbeffect.errors import EstimationError, KbEffectWarning, SpecificationError
from kbeffect.inference.bootstrap import Generic, bootstrap
from kbeffect.inference.bootstrap import intervals as I
from kbeffect.inference.bootstrap.result import BootstrapResult

REF = json.loads((Path(__file__).parents[1] / "reference" / "boot_ci.json").read_text())
T0 = np.asarray(REF["t0"])
T = np.asarray(REF["t"])
L = np.asarray(REF["L"])
FAM = pd.DataFrame(REF["data"])


def _ratio(d: pd.DataFrame, w: np.ndarray) -> float:
    return float(np.sum(w * d["y_sum"]) / np.sum(w * d["n"]))


@pytest.mark.parametrize("conf", [0.9, 0.95])
def test_intervals_match_r_boot(conf: float) -> None:
    ref = REF["ci"][f"{conf:.2f}"]
    t, t0 = T[:, 0], T0[0]
    np.testing.assert_allclose(I.percentile_ci(t, conf), ref["percentile"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(I.basic_ci(t0, t, conf), ref["basic"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(I.normal_ci(t0, t, conf), ref["normal"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(I.bca_ci(t0, t, L, conf), ref["bca"], rtol=0, atol=1e-12)
    stud = I.studentized_ci(t0, np.sqrt(T0[1]), t, np.sqrt(T[:, 1]), conf)
    np.testing.assert_allclose(stud, ref["studentized"], rtol=0, atol=1e-12)


def test_result_ci_methods_match_r_boot() -> None:
    # a BootstrapResult built from R's replicates gives R's intervals through ci()
    res = BootstrapResult(
        names=("ratio",), theta0=T0[:1], se0=np.sqrt(T0[1:2]), theta=T[:, :1],
        theta_se=np.sqrt(T[:, 1:2]), kind="multinomial", cluster="family_id", n_clusters=60,
        seed_entropy=0, batched=False, _jackknife=lambda: (-L / (L.size - 1))[:, None],
    )
    ref = REF["ci"]["0.95"]
    for method in ("percentile", "basic", "normal", "studentized"):
        got = res.ci(method).loc["ratio"].to_numpy()
        np.testing.assert_allclose(got, ref[method], atol=1e-12, err_msg=method)
    # BCa: the result centres the jackknife at its mean (Efron-Tibshirani); same formula
    bca = res.ci("bca").loc["ratio"].to_numpy()
    np.testing.assert_allclose(bca, I.bca_ci(T0[0], T[:, 0], L - L.mean()), atol=1e-14)
    np.testing.assert_allclose(bca, ref["bca"], atol=1e-4)  # differs from R at O(1/G) only


def test_cluster_jackknife_matches_r_empinf() -> None:
    # kbeffect's leave-one-cluster-out jackknife (generic path) = R's empinf(type = "jack")
    res = bootstrap(Generic(_ratio), FAM, cluster="family_id", B=20, seed=1)
    np.testing.assert_allclose(res.theta0[0], T0[0], rtol=1e-13)
    jk = res.jackknife()[:, 0]
    Lk = I.jackknife_influence(jk, t0=res.theta0[0])
    np.testing.assert_allclose(Lk, L, rtol=1e-10, atol=1e-13)
    # default (Efron-Tibshirani) centring at the jackknife mean = R's values centred
    np.testing.assert_allclose(I.jackknife_influence(jk), L - L.mean(), rtol=1e-9, atol=1e-12)


def test_norm_inter_hand_values() -> None:
    t = np.arange(1.0, 20.0)  # R = 19, (R + 1) alpha integer at alpha = 0.05 -> 1st value
    np.testing.assert_allclose(I.norm_inter(t, np.array([0.5])), [10.0])
    # alpha = 0.125: rank 2.5, interpolation on the normal scale between 2 and 3
    a = 0.125
    w = (norm.ppf(a) - norm.ppf(2 / 20)) / (norm.ppf(3 / 20) - norm.ppf(2 / 20))
    np.testing.assert_allclose(I.norm_inter(t, np.array([a])), [2 + w])
    with pytest.warns(KbEffectWarning, match="extreme order statistics"):
        out = I.norm_inter(t, np.array([0.01, 0.99]))
    np.testing.assert_allclose(out, [1.0, 19.0])


def test_pvalues_hand_formulas() -> None:
    t = np.array([-1.0, 0.5, 1.0, 2.0, 3.0])
    # one replicate <= 0, four >= 0 -> 2 (1 + 1) / 6
    assert I.pvalue_percentile(t, 0.0) == pytest.approx(4 / 6)
    z = I.pvalue_studentized(2.0, 1.0, t, np.ones(5), 0.0)
    # |t* - 2| >= 2 for -1.0 and... only -1.0 (3.0 gives 1) -> (1 + 1) / 6
    assert z == pytest.approx(2 / 6)


def test_bca_errors() -> None:
    with pytest.raises(EstimationError, match="z0"):
        I.bca_ci(0.0, np.ones(50), np.array([1.0, -1.0]))
    with pytest.raises(EstimationError, match="acceleration"):
        I.bca_ci(1.0, np.linspace(0, 2, 51), np.zeros(5))


def test_result_ci_rejects_bad_method() -> None:
    res = bootstrap(Generic(_ratio), FAM, cluster="family_id", B=50, seed=2)
    with pytest.raises(SpecificationError, match="method="):
        res.ci(cast(Any, "hybrid"))
    with pytest.raises(SpecificationError, match="studentized"):
        res.ci("studentized")
    with pytest.raises(SpecificationError, match="level"):
        res.ci("percentile", level=1.5)
