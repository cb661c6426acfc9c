"""Synthesised domains (Fashion-MNIST-M, Colored Fashion-MNIST) and probes."""

import numpy as np
import pytest

import advzoo
from advzoo.data import domains
from advzoo import data as adata
from advzoo.data.domains import texture_garments
from advzoo.metrics.probes import knn_accuracy, linear_probe, mlp_probe, split_probe


def test_fashion_mnist_m_shapes_and_disjoint_sources():
    x, y = advzoo.data.load("fashion_mnist_m", split="test")
    assert x.shape == (10000, 28, 28, 3) and x.dtype == np.uint8 and y.shape == (10000,)
    _, clean_y = advzoo.data.load("fashion_mnist", split="test")
    np.testing.assert_array_equal(y, clean_y)  # same garments, textured
    splits = domains.DOMAIN_SPLITS
    used = [(s, a, b) for s, a, b in splits.values() if s == "train"]
    for (_, a1, b1), (_, a2, b2) in zip(sorted(used), sorted(used)[1:]):
        assert b1 <= a2  # source and target garments never overlap
    assert not set(domains.TEXTURE_POOLS["train"]) & set(domains.TEXTURE_POOLS["test"])


def test_fashion_mnist_m_is_the_mnist_m_blend():
    """Every pixel is |texture - garment|: where a garment pixel is white the
    texture is inverted, where it is black the texture shows unchanged."""
    x, _ = advzoo.data.load("fashion_mnist_m", split="validation")
    garments = advzoo.data.load("fashion_mnist", split="train")[0][55000:60000]
    assert x.shape == (5000, 28, 28, 3)
    # textures are colourful: the channels differ
    assert np.abs(x[..., 0].astype(int) - x[..., 1]).mean() > 5
    # the garment is recoverable where the texture is flat: correlation with |.|
    diff = np.abs(x.astype(float).mean(-1) - garments.astype(float))
    assert diff.mean() < 128


def test_generation_is_deterministic_and_checksummed(tmp_path, monkeypatch):
    monkeypatch.setenv("ADVZOO_DATA_CACHE_DIR", str(tmp_path))
    first = advzoo.data.load("colored_fashion_mnist", "validation", return_nuisance=True)
    cached = tmp_path / f"colored_fashion_mnist-v{domains.VERSION}-validation.npz"
    assert cached.exists()
    cached.write_bytes(b"corrupt")  # a damaged cache entry is rebuilt, not trusted
    again = advzoo.data.load("colored_fashion_mnist", "validation", return_nuisance=True)
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    assert domains._digest(*again) == domains.GENERATED_SHA256[
        ("colored_fashion_mnist", "validation")]


def test_a_changed_texture_photo_is_refused(monkeypatch):
    monkeypatch.setitem(domains.TEXTURE_SHA256, "chelsea.png", "0" * 64)
    with pytest.raises(advzoo.data.DataIntegrityError, match="chelsea.png"):
        domains._load_photo("chelsea.png")


def test_colored_fashion_mnist_cue_agrees_in_training_and_is_reversed_at_test():
    _, y, colour = advzoo.data.load("colored_fashion_mnist", "train", return_nuisance=True)
    agree = np.mean(colour == y)
    assert 0.90 < agree < 0.93  # 0.9 + 0.1 * (1/10)
    _, y, colour = advzoo.data.load("colored_fashion_mnist", "test", return_nuisance=True)
    assert np.mean(colour == y) < 0.02
    assert np.mean(colour == (y + 1) % 10) > 0.9
    _, y, colour = advzoo.data.load("colored_fashion_mnist", "probe", return_nuisance=True)
    assert abs(np.mean(colour == y) - 0.1) < 0.02


def test_domain_errors_are_clear():
    with pytest.raises(ValueError, match="has splits"):
        advzoo.data.load("fashion_mnist_m", split="probe")
    with pytest.raises(ValueError, match="return_nuisance is only defined"):
        advzoo.data.load("fashion_mnist", return_nuisance=True)
    with pytest.raises(ValueError, match="1-channel"):
        advzoo.data.to_rgb(np.zeros((2, 4, 4, 2)))
    assert advzoo.data.to_rgb(np.zeros((2, 4, 4), np.uint8)).shape == (2, 4, 4, 3)


def test_probes_read_what_is_there_and_nothing_else():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 600)
    informative = rng.normal(size=(600, 8)) + np.eye(3)[y] @ rng.normal(size=(3, 8)) * 3
    noise = rng.normal(size=(600, 8))
    assert split_probe(informative, y) > 0.95
    assert split_probe(noise, y) < 0.45  # chance is 1/3
    assert split_probe(informative, y, probe=mlp_probe, epochs=20) > 0.9
    assert knn_accuracy(informative[:300], y[:300], informative[300:], y[300:]) > 0.9
    assert knn_accuracy(noise[:300], y[:300], noise[300:], y[300:], k=5) < 0.45
    assert linear_probe(informative[:300], y[:300], informative[:300], y[:300]) == \
        linear_probe(informative[:300], y[:300], informative[:300], y[:300])
    with pytest.raises(ValueError, match="equal widths"):
        linear_probe(informative, y, noise[:, :3], y)


def test_texture_garments_reproduces_fashion_mnist_m_and_refuses_bad_input():
    from advzoo.data.domains import DOMAIN_SPLITS

    split, start, stop = DOMAIN_SPLITS["target_test"]
    garments, _ = adata.load("fashion_mnist", split)
    textured, _ = adata.load("fashion_mnist_m", "test")
    np.testing.assert_array_equal(texture_garments(garments[start:stop], "test", 103),
                                  textured)
    with pytest.raises(ValueError, match=r"greyscale garments \(N, 28, 28\)"):
        texture_garments(textured)
    with pytest.raises(ValueError, match="pool must be one of"):
        texture_garments(garments[:2], pool="validation")
