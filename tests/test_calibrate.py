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
