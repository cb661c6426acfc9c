import keras
import numpy as np
import pytest

from advzoo.games import UPDATE_RULES, AdversarialGame, Player
from tests.helpers import adam, fake_images, tiny_dcgan


class QuadraticGame(AdversarialGame):
    """min_x max_y  f = x*y + a/2 x^2 - a/2 y^2: a strongly convex-concave toy
    game with its unique equilibrium at (0, 0)."""

    def __init__(self, a=1.0, **kwargs):
        super().__init__(**kwargs)
        self.a = a
        self.x = keras.layers.Dense(1, use_bias=False, kernel_initializer=keras.initializers.Constant(1.0))
        self.y = keras.layers.Dense(1, use_bias=False, kernel_initializer=keras.initializers.Constant(1.0))
        self.x.build((None, 1))
        self.y.build((None, 1))
        self.built = True

    def value(self):
        x, y = self.x.kernel[0, 0], self.y.kernel[0, 0]
        return x * y + self.a / 2 * x ** 2 - self.a / 2 * y ** 2

    def players(self):
        return [Player("min", [self.x], lambda data, training: self.value()),
                Player("max", [self.y], lambda data, training: -self.value())]


def _dummy(n=4):
    return np.zeros((n, 1), "float32")


@pytest.mark.parametrize("rule", sorted(UPDATE_RULES))
def test_toy_game_converges_to_equilibrium(rule):
    game = QuadraticGame()
    game.compile(optimizers={"min": keras.optimizers.SGD(0.1), "max": keras.optimizers.SGD(0.1)},
                 game=rule)
    game.fit(_dummy(), batch_size=4, epochs=200, verbose=0)
    assert abs(float(game.x.kernel[0, 0])) < 1e-2 and abs(float(game.y.kernel[0, 0])) < 1e-2


def test_alternating_takes_n_critic_steps_per_round():
    model = tiny_dcgan(n_critic=3)
    model.fit(fake_images(16), batch_size=8, epochs=1, verbose=0)  # 2 rounds
    assert int(model.discriminator_optimizer.iterations) == 6
    assert int(model.generator_optimizer.iterations) == 2


def test_steps_override_at_compile():
    model = tiny_dcgan(compile=False)
    model.compile(optimizers={"generator": adam(), "discriminator": adam()},
                  steps={"discriminator": 2})
    model.fit(fake_images(8), batch_size=8, epochs=1, verbose=0)
    assert int(model.discriminator_optimizer.iterations) == 2


def test_simultaneous_moves_both_from_the_same_point():
    a, b = tiny_dcgan(), tiny_dcgan(compile=False)
    b.set_weights(a.get_weights())
    b.compile(optimizers={"generator": adam(), "discriminator": adam()}, game="simultaneous")
    batch = (fake_images(8), np.random.default_rng(0).standard_normal((8, 8)).astype("float32"))
    a.train_on_batch(*batch)
    b.train_on_batch(*batch)
    # Same discriminator update, different generator update (alternating sees the new D).
    for va, vb in zip(a.discriminator.weights, b.discriminator.weights):
        np.testing.assert_allclose(va.numpy(), vb.numpy(), atol=1e-6)
    assert any(not np.allclose(va.numpy(), vb.numpy())
               for va, vb in zip(a.generator.trainable_weights, b.generator.trainable_weights))


def test_compile_errors_are_clear():
    model = tiny_dcgan(compile=False)
    with pytest.raises(ValueError, match=r"missing \['generator'\]"):
        model.compile(optimizers={"discriminator": adam()})
    with pytest.raises(ValueError, match="Available"):
        model.compile(optimizers={"generator": adam(), "discriminator": adam()}, game="nope")
    with pytest.raises(ValueError, match="steps"):
        model.compile(optimizers={"generator": adam(), "discriminator": adam()},
                      steps={"discriminator": 0})


def test_fit_before_compile_is_an_error():
    with pytest.raises(RuntimeError, match="compile"):
        tiny_dcgan(compile=False).train_step(fake_images(4))
