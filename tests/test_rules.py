"""Update rules on toy games with known behaviour, and under MirroredStrategy."""

import json
import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

from advzoo.games import Lookahead, get_update_rule
from advzoo.games.toys import BilinearGame, DiracGAN, play_toy
from tests.helpers import adam, fake_images, tiny_dcgan

ROOT = Path(__file__).resolve().parents[1]
CONVERGENT = ["extragradient", "past_extragradient", "optimistic", "consensus", "lookahead"]


def _radius(trajectory):
    return np.hypot(trajectory[:, 0], trajectory[:, 1])


def test_bilinear_simultaneous_diverges():
    r = _radius(play_toy(BilinearGame(), "simultaneous", 300, 0.3))
    assert r[-1] > 100 * r[0]


def test_bilinear_alternating_orbits():
    r = _radius(play_toy(BilinearGame(), "alternating", 300, 0.3))
    assert 0.8 * r[0] < r.min() and r.max() <= 1.01 * r[0]  # neither in nor out


@pytest.mark.parametrize("rule", CONVERGENT)
def test_bilinear_convergent_rules_reach_equilibrium(rule):
    r = _radius(play_toy(BilinearGame(), rule, 300, 0.3))
    assert r[-1] < 1e-2


def test_dirac_gan_unregularised_does_not_converge():
    assert _radius(play_toy(DiracGAN(), "simultaneous", 400, 0.3))[-1] > 2.0
    r = _radius(play_toy(DiracGAN(), "alternating", 400, 0.3))
    assert r[-1] > 0.9 * r[0]


@pytest.mark.parametrize("rule", CONVERGENT)
def test_dirac_gan_convergent_rules(rule):
    assert _radius(play_toy(DiracGAN(), rule, 800, 0.3))[-1] < 1e-2


def test_dirac_gan_r1_makes_alternating_converge():
    assert _radius(play_toy(DiracGAN(r1=0.5), "alternating", 200, 0.3))[-1] < 1e-2


def test_rule_configs_roundtrip_and_errors():
    rule = get_update_rule({"name": "lookahead", "config": {"inner": "extragradient", "k": 3}})
    assert isinstance(rule, Lookahead) and rule.inner.name == "extragradient" and rule.k == 3
    assert get_update_rule({"name": "consensus", "config": {"gamma": 0.5}}).gamma == 0.5
    with pytest.raises(ValueError, match="Available"):
        get_update_rule("gradient_descent_ascent")
    with pytest.raises(ValueError, match="alpha"):
        Lookahead(alpha=0.0)
    with pytest.raises(ValueError, match="cannot wrap"):
        Lookahead(inner=Lookahead())


def test_rule_survives_keras_roundtrip(tmp_path):
    model = tiny_dcgan(compile=False)
    model.compile(optimizers={"generator": adam(), "discriminator": adam()},
                  game=Lookahead("optimistic", k=2, alpha=0.3))
    model.fit(fake_images(8), batch_size=8, epochs=1, verbose=0)
    model.save(tmp_path / "m.keras")
    restored = keras.saving.load_model(tmp_path / "m.keras")
    assert isinstance(restored.update_rule, Lookahead)
    assert restored.update_rule.inner.name == "optimistic" and restored.update_rule.alpha == 0.3


def _mirrored_check(rule, kind="dcgan"):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-m", "tests.mirrored_check", json.dumps(rule), kind],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("rule", [
    "alternating", "simultaneous", "extragradient", "past_extragradient", "optimistic",
    {"name": "consensus", "config": {"gamma": 0.1}},
    # k=2 so that a slow-weights synchronisation happens within the 3 steps.
    {"name": "lookahead", "config": {"inner": "optimistic", "k": 2, "alpha": 0.5}},
], ids=lambda r: r if isinstance(r, str) else r["name"])
def test_every_rule_mirrored_matches_single_device(rule):
    result = _mirrored_check(rule)
    assert result["replicas"] == 2 and result["moved"] > 1e-3
    # Float reassociation (one 16-example sum vs two 8-example sums) differs by
    # ~1e-7; ReLU kinks near an extrapolated point can amplify that to ~1e-4 of
    # a weight's scale. A wrongly scaled loss or a missing all-reduce differs by
    # O(1) (tests/test_distribute.py shows the failure mode), far above 1e-3.
    assert result["max_relative_difference"] < 1e-3
