"""Networks of the adversarial autoencoder: a convolutional encoder with a
continuous (and optionally a categorical) head, a decoder, and MLP
discriminators on codes."""

import keras
from keras import layers


def build_encoder(latent_dim=8, num_categories=0, width=32, image_shape=(28, 28, 1),
                  name="encoder"):
    """x -> z (linear), or x -> [y (softmax over `num_categories`), z]."""
    inputs = keras.Input(tuple(image_shape), name="image")
    x = inputs
    for filters in (width, 2 * width):
        x = layers.Conv2D(filters, 4, strides=2, padding="same")(x)
        x = layers.LeakyReLU(0.2)(x)
    x = layers.Flatten()(x)
    x = layers.Dense(16 * width)(x)
    x = layers.LeakyReLU(0.2)(x)
    z = layers.Dense(latent_dim, name="z")(x)
    if not num_categories:
        return keras.Model(inputs, z, name=name)
    y = layers.Dense(num_categories, activation="softmax", name="y")(x)
    return keras.Model(inputs, [y, z], name=name)


def build_decoder(code_dim, width=32, image_shape=(28, 28, 1), name="decoder"):
    """code -> image in [-1, 1] (4x4 stride-2 transposed convolutions)."""
    h, w, c = image_shape
    code = keras.Input((int(code_dim),), name="code")
    x = layers.Dense(16 * width)(code)
    x = layers.ReLU()(x)
    x = layers.Dense(h // 4 * w // 4 * 2 * width)(x)
    x = layers.ReLU()(x)
    x = layers.Reshape((h // 4, w // 4, 2 * width))(x)
    x = layers.Conv2DTranspose(width, 4, strides=2, padding="same")(x)
    x = layers.ReLU()(x)
    x = layers.Conv2DTranspose(c, 4, strides=2, padding="same", activation="tanh")(x)
    return keras.Model(code, x, name=name)


def build_code_discriminator(code_dim, hidden=256, name="code_discriminator"):
    """A code (z or y) -> one logit: "drawn from the prior" vs "encoded"."""
    return keras.Sequential([keras.Input((int(code_dim),)),
                             layers.Dense(hidden), layers.LeakyReLU(0.2),
                             layers.Dense(hidden), layers.LeakyReLU(0.2),
                             layers.Dense(1)], name=name)
