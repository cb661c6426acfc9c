"""Robust metric learning: miners, hardness, HM inner maximisation, attacks,
ERS, retrieval metrics, bad input, save/load and MirroredStrategy."""

import json
import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

import advzoo
from advzoo.models.triplet import (MINERS, RankingAttacks, TripletEmbedder, check_pairs,
                                   empirical_robustness_score, hardness,
                                   intra_class_structure_loss, linear_gradual_destination,
                                   mine_triplets, pair_dataset, pgd, retrieval_metrics,
                                   triplet_loss)
from tests.helpers import assert_keras_roundtrip
from tests.harness import FamilyTestCase

ROOT = Path(__file__).resolve().parents[3]


def tiny(**kwargs):
    model = TripletEmbedder(**{"width": 4, "hidden": 32, "embedding_dim": 16, **kwargs})
    model.compile(optimizers={"embedder": keras.optimizers.Adam(2e-3)})
    return model


@pytest.fixture(scope="module")
def fashion():
    x, y = advzoo.data.load("fashion_mnist", "test")
    return (x[:2000, ..., None] / 255.0).astype("float32"), y[:2000]


def _unit(x):
    x = np.asarray(x, np.float32)
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


# ----------------------------------------------------------------- losses
def test_hardness_triplet_and_ics_losses_on_known_vectors():
    a, p, n = _unit([[1, 0]]), _unit([[1, 1]]), _unit([[0, 1]])
    d_ap, d_an = np.sqrt(2 - np.sqrt(2)), np.sqrt(2.0)
    np.testing.assert_allclose(hardness(a, p, n), [d_ap - d_an], rtol=1e-5)
    np.testing.assert_allclose(triplet_loss(a, p, n, margin=0.2), [0.0], atol=1e-6)
    np.testing.assert_allclose(triplet_loss(a, n, p, margin=0.2), [d_an - d_ap + 0.2], rtol=1e-5)
    # ICS: the adversarial anchor may move at most as far as the positive is.
    np.testing.assert_allclose(intra_class_structure_loss(a, p, n), [0.0], atol=1e-6)
    np.testing.assert_allclose(intra_class_structure_loss(a, n, p), [d_an - d_ap], rtol=1e-5)


def test_linear_gradual_adversary():
    # u = gamma = 0.2: a failing model (large loss) gets H_D = -0.2, a good one H_D -> 0.
    np.testing.assert_allclose([float(linear_gradual_destination(v)) for v in (2.0, 0.2, 0.1, 0)],
                               [-0.2, -0.2, -0.1, 0.0], atol=1e-7)


@pytest.mark.parametrize("method", MINERS)
def test_every_miner_returns_valid_triplets(method):
    rng = np.random.default_rng(0)
    labels = np.repeat(rng.integers(0, 4, 16), 2)
    emb = _unit(rng.standard_normal((32, 8)))
    a, p, n = (t.numpy() for t in mine_triplets(emb, labels, method, seed=1))
    assert len(a) == len(p) == len(n) == 16
    assert np.all(labels[a] == labels[p]) and np.all(a != p)
    assert np.all(labels[n] != labels[a])


def test_hardest_and_semihard_miners_pick_what_they_promise():
    rng = np.random.default_rng(1)
    labels = np.repeat(np.arange(8), 2)
    emb = _unit(rng.standard_normal((16, 4)))
    d = np.sqrt(np.maximum(2 - 2 * emb @ emb.T, 0))
    a, p, n = (t.numpy() for t in mine_triplets(emb, labels, "hardest"))
    for ai, ni in zip(a, n):
        assert d[ai, ni] == pytest.approx(np.min(d[ai][labels != labels[ai]]), abs=1e-5)
    a, p, n = (t.numpy() for t in mine_triplets(emb, labels, "semihard", margin=0.5, seed=2))
    for ai, pi, ni in zip(a, p, n):
        semi = (labels != labels[ai]) & (d[ai] > d[ai, pi]) & (d[ai] < d[ai, pi] + 0.5)
        if semi.any():
            assert semi[ni]


# ----------------------------------------------------------------- PGD / HM
def test_pgd_stays_in_the_ball_and_lowers_the_objective():
    x0 = tf.constant(np.random.default_rng(0).uniform(0, 1, (4, 6)).astype("float32"))
    target = tf.constant(np.full((4, 6), 2.0, "float32"))

    def objective(x):
        return tf.reduce_sum(tf.square(x - target))

    x = pgd(objective, x0, epsilon=0.1, step_size=0.03, steps=10).numpy()
    assert np.all(np.abs(x - x0.numpy()) <= 0.1 + 1e-6) and x.min() >= 0 and x.max() <= 1
    assert float(objective(x)) < float(objective(x0))
    # A satisfied hinge has zero gradient: PGD leaves the input where it is.
    still = pgd(lambda x: tf.reduce_sum(tf.nn.relu(-x)), x0, 0.1, 0.03, 5)
    np.testing.assert_array_equal(still, x0)


def test_hardness_manipulation_raises_hardness_towards_the_destination(fashion):
    x, y = fashion
    model = tiny(defense="hm", destination=0.0, source="random", pgd_steps=10,
                 step_size=4 / 255, ics_weight=0.5)
    batch = next(iter(pair_dataset(x, y, batch_size=64)))
    out = model.inner_maximization(model.prepare_batch(batch))
    x_all, _, x_adv, a, p, h_s, h_d = out
    k = len(a)
    assert x_adv.shape[0] == 3 * k
    clean_anchors = tf.gather(x_all, a).numpy()
    assert np.abs(x_adv[:k].numpy() - clean_anchors).max() <= model.epsilon + 1e-6
    e = model(x_adv)
    h_adv = hardness(e[:k], e[k:2 * k], e[2 * k:]).numpy()
    assert h_adv.mean() > h_s.numpy().mean() + 0.05
    # Triplets already at/above the destination are not pushed further.
    assert np.all(h_adv[h_s.numpy() >= 0.0] >= -1e-3)


def test_plain_training_lowers_the_triplet_loss_and_improves_recall(fashion):
    x, y = fashion
    model = tiny()
    before = retrieval_metrics(model.embed(x[:500]), y[:500])["R@1"]
    history = model.fit(pair_dataset(x, y, 64), steps_per_epoch=30, epochs=2, verbose=0)
    losses = history.history["embedder_loss"]
    assert losses[-1] < losses[0]
    assert retrieval_metrics(model.embed(x[:500]), y[:500])["R@1"] > before


@pytest.mark.parametrize("defense", ["hm", "est"])
def test_adversarial_training_runs_and_logs_its_game(fashion, defense):
    x, y = fashion
    model = tiny(defense=defense, pgd_steps=2, step_size=0.2)
    history = model.fit(pair_dataset(x, y, 32), steps_per_epoch=3, epochs=1, verbose=0)
    logged = set(history.history)
    assert "embedder_loss" in logged
    if defense == "hm":
        assert {"source_hardness", "adversarial_hardness", "destination_hardness",
                "ics_loss"} <= logged
        # LGA state = the last adversarial loss, no longer its initial 2.0.
        assert float(model.previous_adversarial_loss.numpy()) < 1.0
    else:
        assert history.history["embedding_shift"][-1] > 0


# ----------------------------------------------------------------- attacks / ERS
def test_attacks_break_an_undefended_model_and_zero_budget_changes_nothing(fashion):
    x, y = fashion
    model = tiny()
    model.fit(pair_dataset(x, y, 64), steps_per_epoch=30, epochs=1, verbose=0)
    queries = np.arange(40)
    weak = RankingAttacks(model, x[:400], y[:400], epsilon=1e-6, step_size=1e-6, steps=1)
    strong = RankingAttacks(model, x[:400], y[:400], epsilon=0.3, step_size=0.02, steps=20)
    assert strong.attack("CA+", queries).mean() < weak.attack("CA+", queries).mean() - 10
    assert strong.attack("QA+", queries).mean() < weak.attack("QA+", queries).mean() - 10
    es_r, es_d = strong.attack("ES", queries)
    assert es_d.mean() > 0.3 and es_r.mean() < weak.attack("ES", queries)[0].mean()
    assert strong.attack("TMA", queries).mean() > weak.attack("TMA", queries).mean()
    report = strong.report(n_queries=20, verbose=False)
    assert set(report) >= {"CA+", "CA-", "QA+", "QA-", "TMA", "ES:D", "ES:R", "LTM", "GTM",
                           "GTT", "ERS"}
    assert 0 <= report["ERS"] <= 100


def test_restarts_keep_the_most_successful_attack(fashion):
    x, y = fashion
    model = tiny()
    one = RankingAttacks(model, x[:300], y[:300], epsilon=0.1, step_size=0.01, steps=3)
    more = RankingAttacks(model, x[:300], y[:300], epsilon=0.1, step_size=0.01, steps=3,
                          restarts=2)
    q = np.arange(30)
    # ES with restarts moves each embedding at least as far as without.
    assert np.all(more.attack("ES", q)[1] >= one.attack("ES", q)[1] - 1e-5)


def test_ers_formula():
    robust = {"CA+": 50, "CA-": 0, "QA+": 50, "QA-": 0, "TMA": 0, "ES:D": 0, "ES:R": 100,
              "LTM": 100, "GTM": 100, "GTT": 100}
    broken = {"CA+": 0, "CA-": 100, "QA+": 0, "QA-": 100, "TMA": 1, "ES:D": 2, "ES:R": 0,
              "LTM": 0, "GTM": 0, "GTT": 0}
    assert empirical_robustness_score(robust) == 100
    assert empirical_robustness_score(broken) == 0
    assert empirical_robustness_score({**broken, "LTM": 50}) == pytest.approx(5.0)


def test_retrieval_metrics_on_known_embeddings():
    labels = np.repeat(np.arange(5), 20)
    perfect = np.eye(5, 8)[labels] + 0.01 * np.random.default_rng(0).standard_normal((100, 8))
    m = retrieval_metrics(_unit(perfect), labels)
    assert m["R@1"] == 100 and m["mAP"] == 100 and m["NMI"] == 100
    noise = retrieval_metrics(_unit(np.random.default_rng(1).standard_normal((100, 8))), labels)
    assert noise["R@1"] < 60 and noise["NMI"] < 40


# ----------------------------------------------------------------- data / bad input
def test_pair_dataset_is_spc2_and_deterministic(fashion):
    x, y = fashion
    a = [b[1].numpy() for b in pair_dataset(x, y, 16, seed=3).take(3)]
    b = [b[1].numpy() for b in pair_dataset(x, y, 16, seed=3).take(3)]
    for la, lb in zip(a, b):
        np.testing.assert_array_equal(la, lb)
        assert np.all(la[0::2] == la[1::2])
    images = next(iter(pair_dataset((x * 255).astype("uint8"), y, 16)))[0].numpy()
    assert images.dtype == np.float32 and images.max() <= 1.0


def test_bad_input_gets_clear_errors(fashion):
    x, y = fashion
    with pytest.raises(ValueError, match="outside the data range"):
        TripletEmbedder(epsilon=8.0)
    with pytest.raises(ValueError, match="step_size"):
        TripletEmbedder(epsilon=0.1, step_size=0.5)
    with pytest.raises(ValueError, match="destination"):
        TripletEmbedder(destination="nonsense")
    with pytest.raises(ValueError, match="no positive"):
        check_pairs(x[:8], np.array([0, 0, 1, 2, 3, 3, 4, 4]))
    with pytest.raises(ValueError, match="one-hot"):
        check_pairs(x[:4], np.eye(10)[[0, 0, 1, 1]])
    with pytest.raises(ValueError, match="even"):
        check_pairs(x[:3], np.array([0, 0, 1]))
    with pytest.raises(ValueError, match="divide by 255"):
        check_pairs(x[:2] * 255, np.array([1, 1]))
    model = tiny()
    with pytest.raises(ValueError, match="shuffle=False"):
        model.fit(x[:4], np.array([1, 1, 2, 2]), epochs=1, verbose=0)
    with pytest.raises(ValueError, match="no positive"):
        model.fit(tf.data.Dataset.from_tensor_slices((x[:8], y[:8])).batch(8), epochs=1,
                  verbose=0)
    # A pair-ordered numpy batch with shuffle=False is accepted.
    model.fit(x[:4], np.array([1, 1, 2, 2]), shuffle=False, batch_size=4, epochs=1, verbose=0)


# ----------------------------------------------------------------- save / distribute
def test_keras_roundtrip_keeps_outputs_optimizer_and_lga_state(tmp_path, fashion):
    x, y = fashion
    model = tiny(defense="hm", pgd_steps=1, step_size=0.3)
    model.fit(pair_dataset(x, y, 16), steps_per_epoch=2, epochs=1, verbose=0)
    restored = assert_keras_roundtrip(model, tmp_path / "m.keras",
                                      lambda m: m.embed(x[:8]))
    assert float(restored.previous_adversarial_loss.numpy()) == pytest.approx(
        float(model.previous_adversarial_loss.numpy()))


def test_hm_mirrored_matches_per_replica_reference():
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-m", "tests.mirrored_triplet_check"], cwd=ROOT,
                         env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["replicas"] == 2 and result["moved"] > 1e-3
    assert result["max_relative_difference"] < 1e-4
    assert result["lga_state"] == pytest.approx(result["lga_expected"], rel=1e-5)


def test_init_from_loads_weights_and_refuses_other_architectures(tmp_path):
    from advzoo.training import _initialise_from

    source = tiny()
    source.save_weights(tmp_path / "a.weights.h5")
    target = tiny(defense="hm")
    _initialise_from(target, str(tmp_path / "a.weights.h5"))
    for a, b in zip(source.backbone.get_weights(), target.backbone.get_weights()):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="same architecture"):
        _initialise_from(tiny(hidden=8), str(tmp_path / "a.weights.h5"))
    with pytest.raises(FileNotFoundError):
        _initialise_from(tiny(), str(tmp_path / "missing.weights.h5"))


def test_adversarial_images_stay_in_the_ball(fashion):
    x, y = fashion
    attacks = RankingAttacks(tiny(), x[:200], y[:200], epsilon=0.05, step_size=0.02, steps=3)
    adv = attacks.adversarial_images("ES", np.arange(10))
    assert adv.shape == x[:10].shape
    assert np.abs(adv - x[:10]).max() <= 0.05 + 1e-6 and adv.min() >= 0 and adv.max() <= 1
    assert np.abs(adv - x[:10]).max() > 0.01


class TestTripletFamily(FamilyTestCase):
    family = "triplet"
    mirrored_kind = None  # HM's per-replica PGD: test_hm_mirrored_matches_per_replica_reference
    presets = ("triplet_fashion_mnist", "hm_triplet_fashion_mnist")

    def make_model(self):
        return TripletEmbedder(width=4, hidden=32, embedding_dim=16)

    def deterministic_model(self):
        return TripletEmbedder(width=4, hidden=32, embedding_dim=16, miner="hardest")

    def train_data(self):
        rng = np.random.default_rng(0)
        x = rng.integers(0, 255, (64, 28, 28), dtype=np.uint8)
        return pair_dataset(x, np.arange(64) % 8, batch_size=16).take(2)

    def outputs(self, model):
        return model.embed(np.random.default_rng(3).uniform(0, 1, (4, 28, 28, 1)).astype("float32"))
