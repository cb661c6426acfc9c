import keras
import numpy as np
import pytest

from advzoo.games import OptimisticAdam, OrbitTracker
from advzoo.games.toys import BilinearGame, play_toy
from tests.helpers import fake_images, tiny_dcgan


def _track(rule, tmp_path, epochs=150):
    game = BilinearGame()
    game.compile(optimizers={"min": keras.optimizers.SGD(0.1), "max": keras.optimizers.SGD(0.1)},
                 game=rule)
    tracker = OrbitTracker(every=1, path=tmp_path / f"{rule}.png")
    history = game.fit(np.zeros((1, 1), "float32"), epochs=epochs, verbose=0, callbacks=[tracker])
    return tracker, history


def test_orbit_tracker_tells_orbit_spiral_in_and_out(tmp_path):
    orbit, history = _track("alternating", tmp_path)
    spiral_in, _ = _track("extragradient", tmp_path)
    spiral_out, _ = _track("simultaneous", tmp_path)
    for t in (orbit, spiral_in, spiral_out):  # all three rotate (~ arctan(0.1) per step)...
        assert 4.0 < t.summary()["orbit_angle"] < 8.0
    # ... but only extragradient contracts, and simultaneous play expands.
    assert abs(orbit.summary()["orbit_contraction"] - 1.0) < 1e-3
    assert spiral_in.summary()["orbit_contraction"] < 0.997
    assert spiral_out.summary()["orbit_contraction"] > 1.003
    assert "orbit_angle" in history.history  # logged per epoch
    assert (tmp_path / "alternating.png").stat().st_size > 10_000


def test_orbit_tracker_on_a_gan(tmp_path):
    tracker = OrbitTracker(every=1, path=tmp_path / "gan.png")
    tiny_dcgan().fit(fake_images(64), batch_size=8, epochs=2, verbose=0, callbacks=[tracker])
    summary = tracker.summary()
    assert 0 <= summary["orbit_angle"] <= 180 and 0 < summary["orbit_efficiency"] <= 1
    assert set(tracker.traces) == {"discriminator", "generator"}
    assert len(tracker.traces["generator"]) == 17  # start + 16 batches
    assert (tmp_path / "gan.png").exists()


@pytest.mark.parametrize("rule", ["simultaneous", "alternating"])
def test_optimistic_adam_gets_closer_than_adam_on_bilinear(rule):
    adam = np.hypot(*play_toy(BilinearGame(), rule, 1500, 0.01, optimizer="adam")[-1])
    oadam = np.hypot(*play_toy(BilinearGame(), rule, 1500, 0.01, optimizer="optimistic_adam")[-1])
    assert oadam < 0.7 * adam


def test_optimistic_adam_serialises_with_its_state(tmp_path):
    model = tiny_dcgan(compile=False)
    model.compile(optimizers={"generator": OptimisticAdam(1e-3), "discriminator": OptimisticAdam(1e-3)})
    model.fit(fake_images(16), batch_size=8, epochs=1, verbose=0)
    model.save(tmp_path / "m.keras")
    restored = keras.saving.load_model(tmp_path / "m.keras")
    assert isinstance(restored.generator_optimizer, OptimisticAdam)
    for a, b in zip(model.generator_optimizer.variables, restored.generator_optimizer.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_generator_ema_is_swapped_in_after_fit():
    model = tiny_dcgan(compile=False)
    model.compile(optimizers={"generator": keras.optimizers.Adam(1e-2, use_ema=True, ema_momentum=0.9),
                              "discriminator": keras.optimizers.Adam(1e-3)})
    model.fit(fake_images(32), batch_size=8, epochs=1, verbose=0)
    ema = model.generator_optimizer._model_variables_moving_average
    for var, avg in zip(model.generator.trainable_variables, ema):
        np.testing.assert_array_equal(var.numpy(), avg.numpy())


def test_rotation_ratio_separates_rotational_from_potential_fields():
    from advzoo.games import Player
    from advzoo.games.diagnostics import rotation_ratio

    zeros = np.zeros((1, 1), "float32")
    bilinear = BilinearGame()
    bilinear.compile(optimizers={"min": "sgd", "max": "sgd"})
    assert rotation_ratio(bilinear, zeros) == pytest.approx(1.0, abs=1e-6)

    class SharedLoss(BilinearGame):
        """Both players minimise one function: the field is a gradient field."""

        def players(self):
            def f(data, training=True):
                x, y = self.x.value_var, self.y.value_var
                return (x - 1) ** 2 + (y + 2) ** 2 + x * y

            return [Player("min", [self.x], f), Player("max", [self.y], f)]

    shared = SharedLoss()
    shared.compile(optimizers={"min": "sgd", "max": "sgd"})
    assert rotation_ratio(shared, zeros) == pytest.approx(0.0, abs=1e-6)
    ratio = rotation_ratio(tiny_dcgan(), fake_images(8), probes=2)
    assert 0.0 < ratio < 1.0
