"""The poseaudit pairing of bench/lsp_audit.py: our matching decides who is read."""

from __future__ import annotations

import numpy as np
import pytest

from tests.bench.test_lsp_scoring import STANDING, _bench_module, blazepose, label

lsp = _bench_module("lsp_scoring")
audit = _bench_module("lsp_audit")


def test_each_labelled_limb_of_a_found_athlete_is_a_pair_and_of_a_missed_one_missed():
    labels = [label(), label(unlabelled=("left_ankle",)), label()]
    people = [[blazepose()], [blazepose()], [blazepose(shift=(50, 0))]]  # last: not found
    scores = [lsp.score_photo(lab, found) for lab, found in zip(labels, people, strict=True)]
    pairing = audit.angle_pairing(labels, scores, people, "knee")
    assert [p.image for p in pairing.pairs] == ["im.jpg#left", "im.jpg#right", "im.jpg#right"]
    assert len(pairing.missed) == 2  # both knees of the athlete not found
    left = pairing.pairs[0]
    np.testing.assert_allclose(left.truth.keypoints, [STANDING["left_hip"], STANDING["left_knee"],
                                                      STANDING["left_ankle"]])
    np.testing.assert_allclose(left.predicted.keypoints, left.truth.keypoints)


def test_a_perfect_reading_has_no_bias_and_no_large_errors():
    labels = [label() for _ in range(4)]
    people = [[blazepose()] for _ in labels]
    scores = [lsp.score_photo(lab, found) for lab, found in zip(labels, people, strict=True)]
    f = audit.figures(audit.audit_joint(labels, scores, people, "elbow"))
    assert f["n"] == 8 and f["missed"] == 0
    assert f["bias_deg"] == pytest.approx(0) and f["big_error_rate"] == 0
