"""bench/calibrate.py: the fit ranks values by the signals that predict right ones, and keeps the
prior weight of a signal no example shows."""

from __future__ import annotations

import importlib.util

from pipeline.agent.confidence import SIGNALS, probability
from tests.conftest import ROOT

_SPEC = importlib.util.spec_from_file_location("calibrate", ROOT / "bench" / "calibrate.py")
assert _SPEC and _SPEC.loader
calibrate = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(calibrate)


def test_the_fit_learns_the_telling_signal_and_keeps_the_prior_of_an_unseen_one() -> None:
    labelled = {"finder_labelled": True}
    data = [(labelled, 0.5, True)] * 40 + [(labelled, 0.5, False)] * 4 + [({}, 0.5, False)] * 20 + [({}, 0.5, True)] * 8
    prior = dict.fromkeys(("bias", *SIGNALS), 0.0) | {"model_confirmed": 0.5}
    weights = calibrate.fit(data, prior=prior, steps=500)
    assert weights["finder_labelled"] > 1 and weights["model_confirmed"] == 0.5
    assert probability(labelled, weights) > 0.8 > 0.4 > probability({}, weights)
    labels = [right for _, _, right in data]
    assert calibrate.auroc([probability(s, weights) for s, _, _ in data], labels) > 0.8
    assert calibrate.unseen(data) == set(SIGNALS) - {"finder_labelled"}


def test_a_signal_fitted_alone_leaves_the_bias_and_the_other_weights_as_they_were() -> None:
    agrees, differs = {"second_read_agrees": True}, {"second_read_differs": True}
    data = [(agrees, 0.5, True)] * 30 + [(agrees, 0.5, False)] * 3 + [(differs, 0.5, False)] * 12
    data += [(differs, 0.5, True)] * 6 + [({"finder_labelled": True}, 0.5, False)] * 10
    prior = dict.fromkeys(("bias", *SIGNALS), 0.0) | {"bias": 0.4, "finder_labelled": 1.5}
    weights = calibrate.fit(data, prior=prior, steps=500, only={"second_read_agrees", "second_read_differs"})
    assert weights["bias"] == 0.4 and weights["finder_labelled"] == 1.5
    assert weights["second_read_agrees"] > 1 and weights["second_read_differs"] < -0.5


def test_cross_validation_scores_each_document_with_weights_fitted_without_it() -> None:
    agrees, differs = {"second_read_agrees": True}, {"second_read_differs": True}
    docs = [[(agrees, 0.5, True), (differs, 0.5, False)] for _ in range(9)] + [[(agrees, 0.5, False)]]
    prior = dict.fromkeys(("bias", *SIGNALS), 0.0)
    only = {"second_read_agrees", "second_read_differs"}
    assert calibrate.cross_validated(docs, prior, only, folds=5) > 0.8
