import numpy as np
import pytest

from tests.helpers import adam, fake_images, tiny_dcgan


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
