import numpy as np
import pytest

from advzoo.metrics import frechet_distance, kernel_distance, precision_recall


def _gauss(n, d=16, shift=0.0, scale=1.0, seed=0):
    return np.random.default_rng(seed).normal(shift, scale, (n, d))


def test_frechet_distance_closed_form():
    a = _gauss(20000, seed=0)
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-6)
    # N(0, I) vs N(1, I) in 16-d: ||mu||^2 = 16, covariance terms vanish.
    assert frechet_distance(a, _gauss(20000, shift=1.0, seed=1)) == pytest.approx(16.0, rel=0.02)
    # N(0, I) vs N(0, 4I): tr(I) + tr(4I) - 2 tr(2I) = 16 + 64 - 64 = 16.
    assert frechet_distance(a, _gauss(20000, scale=2.0, seed=2)) == pytest.approx(16.0, rel=0.03)


def test_kid_is_unbiased_near_zero_for_same_distribution_and_grows_with_shift():
    same, _ = kernel_distance(_gauss(2000, seed=0), _gauss(2000, seed=1))
    shifted, _ = kernel_distance(_gauss(2000, seed=0), _gauss(2000, shift=0.5, seed=1))
    assert abs(same) < 0.01 and shifted > 10 * abs(same) + 0.01


def test_precision_recall_detect_mode_dropping():
    real = np.concatenate([_gauss(1000, d=2, shift=-5, seed=0), _gauss(1000, d=2, shift=5, seed=1)])
    half = _gauss(2000, d=2, shift=5, seed=2)  # covers one of the two modes
    p_full, r_full = precision_recall(real, np.concatenate(
        [_gauss(1000, d=2, shift=-5, seed=3), _gauss(1000, d=2, shift=5, seed=4)]))
    p_half, r_half = precision_recall(real, half)
    assert p_full > 0.9 and r_full > 0.9
    assert p_half > 0.9 and r_half < 0.6
