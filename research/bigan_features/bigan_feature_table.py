"""The BiGAN paper's Table 1 protocol on Fashion-MNIST: how good are learned
features for 1-nearest-neighbour classification (and a linear probe)?

Rows, all with the same encoder architecture (`bigan_networks.build_encoder`)
and the same number of training steps as the BiGAN preset:

* raw pixels (no learning),
* BiGAN: the encoder E(x) of `bigan_fashion_mnist`,
* BiGAN hidden: E's last hidden layer (the 256 units before the latent),
* BiGAN D: the image branch of the trained joint discriminator (the
  paper's "D" column; flattened convolutional features),
* random D / random E hidden: the same two layers of an *untrained* BiGAN
  (the recipe's initialisation) - the control that tells what training added
  to wide convolutional features,
* latent regressor (LR): E trained to regress z from G(z) of the trained
  generator (MSE), G frozen,
* joint latent regressor (JLR): a GAN whose generator is trained *together*
  with E on the GAN loss plus the latent regression loss,
* autoencoders with l2 and l1 reconstruction loss (E + the DCGAN generator
  as decoder).

1-NN uses the 60,000 training images as the labelled set and the 10,000 test
images as queries (Euclidean distance on the features).

Usage:
    python -m research.bigan_features.bigan_feature_table --out docs/studies/bigan_feature_table.json
    python -m research.bigan_features.bigan_feature_table --steps 50 --rows pixels ae_l2   # a quick smoke run
"""

import argparse
import json
import time
from pathlib import Path

import numpy as np


import advzoo
from advzoo import data as adata
from advzoo.models.bigan.bigan_presets import feature_metrics

ROWS = ("pixels", "bigan", "bigan_hidden", "bigan_d", "random_e_hidden", "random_d", "lr", "jlr",
        "ae_l2", "ae_l1")
UNTRAINED = ("pixels", "bigan", "bigan_hidden", "bigan_d", "random_e_hidden", "random_d")


def _images(batch, seed):
    x, _ = adata.load("fashion_mnist", "train")
    return adata.make_dataset(x, batch_size=batch, seed=seed, repeat=True)


def train_autoencoder(recipe, steps, loss):
    import keras

    from advzoo.models.bigan.bigan_networks import build_encoder
    from advzoo.models.dcgan.dcgan_networks import build_generator

    m = recipe["model"]
    encoder = build_encoder(m["latent_dim"], m["width"], tuple(m["image_shape"]))
    decoder = build_generator(m["latent_dim"], m["width"], tuple(m["image_shape"]))
    inputs = keras.Input(tuple(m["image_shape"]))
    autoencoder = keras.Model(inputs, decoder(encoder(inputs)))
    autoencoder.compile(keras.optimizers.Adam(2e-4, beta_1=0.5),
                        loss="mse" if loss == "l2" else "mae", jit_compile=True)
    ds = _images(recipe["train"]["batch_size"], 0).map(lambda x: (x, x))
    autoencoder.fit(ds, steps_per_epoch=steps, epochs=1, verbose=2)
    return encoder


def train_latent_regressor(recipe, steps, generator=None, joint=False):
    """E regresses z from G(z); `joint` also trains G (with its GAN loss)."""
    import keras
    import tensorflow as tf

    from advzoo.models.bigan.bigan_networks import build_encoder
    from advzoo.models.dcgan import DCGAN

    m = recipe["model"]
    encoder = build_encoder(m["latent_dim"], m["width"], tuple(m["image_shape"]))
    e_opt = keras.optimizers.Adam(2e-4, beta_1=0.5)
    if joint:
        gan = DCGAN(latent_dim=m["latent_dim"], width=m["width"],
                    image_shape=m["image_shape"])
        g_opt, d_opt = keras.optimizers.Adam(2e-4, beta_1=0.5), keras.optimizers.Adam(
            2e-4, beta_1=0.5)
        generator, discriminator = gan.generator, gan.discriminator
    bce = keras.losses.BinaryCrossentropy(from_logits=True)
    batch = recipe["train"]["batch_size"]

    @tf.function(jit_compile=True)
    def step(real):
        z = tf.random.normal((batch, m["latent_dim"]))
        if joint:
            with tf.GradientTape() as tape:
                fake = generator(z, training=True)
                real_logits = discriminator(real, training=True)
                fake_logits = discriminator(fake, training=True)
                d_loss = (bce(tf.ones_like(real_logits), real_logits)
                          + bce(tf.zeros_like(fake_logits), fake_logits))
            d_opt.apply_gradients(zip(tape.gradient(d_loss, discriminator.trainable_variables),
                                      discriminator.trainable_variables))
        variables = encoder.trainable_variables + (generator.trainable_variables if joint else [])
        with tf.GradientTape() as tape:
            fake = generator(z, training=joint)
            regression = tf.reduce_mean(tf.square(encoder(fake, training=True) - z))
            loss = regression
            if joint:
                fake_logits = discriminator(fake, training=True)
                loss = loss + bce(tf.ones_like(fake_logits), fake_logits)
        grads = tape.gradient(loss, variables)
        e_opt.apply_gradients(zip(grads[:len(encoder.trainable_variables)],
                                  encoder.trainable_variables))
        if joint:
            g_opt.apply_gradients(zip(grads[len(encoder.trainable_variables):],
                                      generator.trainable_variables))
        return regression

    for i, real in enumerate(_images(batch, 0).take(steps)):
        value = step(real)
        if (i + 1) % max(1, steps // 10) == 0:
            print(f"  step {i + 1}/{steps}: latent regression mse {float(value):.4f}", flush=True)
    return encoder


def encoder_features(encoder):
    return lambda x: np.asarray(encoder.predict(x, batch_size=512, verbose=0))


def intermediate_features(network, layer_name):
    """Features from the named layer of a trained network, as flattened numpy
    (the first input is the image; D(x, z)'s image branch needs no z)."""
    import keras

    sub = keras.Model(network.inputs[0], network.get_layer(layer_name).output)
    return lambda x: np.asarray(sub.predict(x, batch_size=512, verbose=0)).reshape(len(x), -1)


def _last_hidden(network):
    """Name of the layer just before the network's output layer."""
    return network.layers[-2].name


def _bigan(recipe, trained):
    """The published BiGAN, or the same network at the recipe's initialisation
    (seeded as `advzoo train` seeds it)."""
    import keras

    if trained:
        return advzoo.load("bigan_fashion_mnist")
    keras.utils.set_random_seed(int(recipe["train"].get("seed", 0)))
    return advzoo.load("bigan_fashion_mnist", weights=None)


def _image_branch(discriminator):
    """Name of the Flatten layer of D(x, z)'s image branch."""
    import keras

    return next(layer.name for layer in discriminator.layers
                if isinstance(layer, keras.layers.Flatten))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", nargs="+", default=list(ROWS), choices=ROWS)
    parser.add_argument("--steps", type=int, default=None,
                        help="training steps per learned row (default: the BiGAN preset's)")
    parser.add_argument("--out", default="docs/studies/bigan_feature_table.json")
    args = parser.parse_args()
    recipe = advzoo.info("bigan_fashion_mnist")["recipe"]
    steps = args.steps or recipe["train"]["epochs"] * (60000 // recipe["train"]["batch_size"])
    out = Path(args.out)
    table = json.loads(out.read_text()) if out.exists() else {}
    for row in args.rows:
        start = time.time()
        print(f"{row} ...", flush=True)
        if row == "pixels":
            metrics = feature_metrics(lambda x: x.reshape(len(x), -1))
        elif row == "bigan":
            metrics = feature_metrics(advzoo.load("bigan_fashion_mnist").encode)
        elif row in ("bigan_hidden", "random_e_hidden"):
            encoder = _bigan(recipe, trained=row == "bigan_hidden").encoder
            metrics = feature_metrics(intermediate_features(encoder, _last_hidden(encoder)))
        elif row in ("bigan_d", "random_d"):
            discriminator = _bigan(recipe, trained=row == "bigan_d").discriminator
            metrics = feature_metrics(intermediate_features(discriminator,
                                                            _image_branch(discriminator)))
        elif row in ("ae_l2", "ae_l1"):
            metrics = feature_metrics(encoder_features(train_autoencoder(recipe, steps,
                                                                         row[-2:])))
        elif row == "lr":
            generator = advzoo.load("bigan_fashion_mnist").generator
            metrics = feature_metrics(encoder_features(
                train_latent_regressor(recipe, steps, generator=generator)))
        else:
            metrics = feature_metrics(encoder_features(
                train_latent_regressor(recipe, steps, joint=True)))
        table[row] = {**metrics, "train_steps": 0 if row in UNTRAINED else steps,
                      "seconds": round(time.time() - start, 1)}
        print(row, json.dumps(table[row]), flush=True)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(table, indent=1))
    print("| features | 1-NN accuracy | linear probe |\n|---|---|---|")
    for row, m in table.items():
        print(f"| {row} | {100 * m['feature_1nn_accuracy']:.1f}% | "
              f"{100 * m['feature_linear_probe']:.1f}% |")


if __name__ == "__main__":
    main()
