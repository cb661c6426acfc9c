"""Mirrored (2 logical CPUs) and single-device training steps on the same global
batch must give the same weights: losses are replica-scaled, batch norm is
synchronised, gradients are summed across replicas."""

import keras
import numpy as np
import tensorflow as tf

from tests.helpers import fake_images, tiny_dcgan


def _train(strategy, init_weights, batch, steps=2):
    with strategy.scope():
        model = tiny_dcgan(compile=False, width=4)
        model.set_weights(init_weights)
        # SGD, not Adam: Adam is invariant to a wrongly scaled loss, SGD is not.
        model.compile(optimizers={"generator": keras.optimizers.SGD(0.1, momentum=0.5),
                                  "discriminator": keras.optimizers.SGD(0.1, momentum=0.5)})
    ds = tf.data.Dataset.from_tensor_slices(batch).batch(len(batch[0]))
    model.fit(ds.repeat(steps), epochs=1, verbose=0)
    return model


def test_mirrored_step_matches_single_device_step():
    devices = tf.config.list_logical_devices("CPU")
    assert len(devices) >= 2, "conftest must create two logical CPU devices"
    mirrored = tf.distribute.MirroredStrategy([d.name for d in devices[:2]])
    assert mirrored.num_replicas_in_sync == 2
    keras.utils.set_random_seed(0)  # a fixed init: no ReLU input sits exactly on a kink
    init = tiny_dcgan(compile=False, width=4).get_weights()
    batch = (fake_images(16, seed=2),
             np.random.default_rng(3).standard_normal((16, 8)).astype("float32"))
    single = _train(tf.distribute.get_strategy(), init, batch)
    multi = _train(mirrored, init, batch)
    changed = [not np.allclose(a, b) for a, b in zip(init, single.get_weights())]
    assert sum(changed) > len(changed) // 2  # the step really moved the weights
    for a, b in zip(single.get_weights(), multi.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(single.metrics[0].result(), multi.metrics[0].result(), rtol=1e-5)


LOAD_MIRRORED = """
import json, tensorflow as tf
tf.config.set_logical_device_configuration(tf.config.list_physical_devices("CPU")[0],
    [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()])
import numpy as np, advzoo
single = advzoo.load("dcgan_fashion_mnist")
model = advzoo.load("dcgan_fashion_mnist", strategy="mirrored")
x, _ = advzoo.data.load("fashion_mnist", "test")
steps_before = int(model.generator_optimizer.iterations.numpy())
model.fit(advzoo.data.make_dataset(x[:256], batch_size=64), epochs=1, verbose=0)
print(json.dumps({"replicas": model.distribute_strategy.num_replicas_in_sync,
                  "same_samples": bool(np.allclose(single.generate(4, seed=0),
                                                   advzoo.load("dcgan_fashion_mnist",
                                                   strategy="mirrored").generate(4, seed=0),
                                                   atol=1e-5)),
                  "steps": int(model.generator_optimizer.iterations.numpy()) - steps_before}))
"""


def test_load_pretrained_under_mirrored_strategy_and_fine_tune():
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    import advzoo

    if "dcgan_fashion_mnist" not in advzoo.list_models(pretrained=True):
        import pytest

        pytest.skip("needs the shipped dcgan_fashion_mnist preset")
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-c", LOAD_MIRRORED], cwd=root, capture_output=True,
                         text=True, timeout=600, env={**os.environ, "PYTHONPATH": str(root)})
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result == {"replicas": 2, "same_samples": True, "steps": 4}
