"""DCGAN networks (Radford et al. 2016) scaled to 28x28 images.

Generator: latent -> 7x7x(4w) -> 14x14x(2w) -> 28x28x(w) -> 28x28xC (tanh).
Transposed convolutions use a 4x4 kernel with stride 2 (kernel divisible by the
stride), which avoids the checkerboard artefacts of 3x3/5x5 kernels.
Discriminator: strided 4x4 convolutions with LeakyReLU(0.2), a linear logit
output, and by default no batch norm (optional for the clipped WGAN critic).
"""

import keras
from keras import layers


def _check_image_shape(image_shape):
    h, w, c = image_shape
    if h % 4 or w % 4:
        raise ValueError(f"image_shape height and width must be multiples of 4, got {image_shape}.")
    return h, w, c


def build_generator(latent_dim=64, width=64, image_shape=(28, 28, 1), name="generator"):
    """Builds the DCGAN generator: `(batch, latent_dim)` -> images in [-1, 1].

    Args:
        latent_dim: size of the Gaussian latent vector.
        width: channels of the last hidden layer (earlier layers use 2x, 4x).
        image_shape: `(height, width, channels)` of the output.
    """
    h, w, c = _check_image_shape(image_shape)
    z = keras.Input((latent_dim,), name="latent")
    x = layers.Dense(h // 4 * w // 4 * 4 * width, use_bias=False)(z)
    x = layers.BatchNormalization(synchronized=True)(x)
    x = layers.ReLU()(x)
    x = layers.Reshape((h // 4, w // 4, 4 * width))(x)
    for filters in (2 * width, width):
        x = layers.Conv2DTranspose(filters, 4, strides=2, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization(synchronized=True)(x)
        x = layers.ReLU()(x)
    x = layers.Conv2D(c, 3, padding="same", activation="tanh", name="to_image")(x)
    return keras.Model(z, x, name=name)


def build_discriminator(width=64, image_shape=(28, 28, 1), dropout=0.0, constraint=None,
                        batch_norm=False, name="discriminator"):
    """Builds the DCGAN discriminator: images -> one real/fake logit (or score).

    Args:
        width: channels of the first convolution (the second uses 2x).
        image_shape: `(height, width, channels)` of the input.
        dropout: dropout rate after each convolution (0 disables it).
        constraint: optional Keras constraint on every kernel, bias and
            batch-norm scale/offset (e.g. WGAN's weight clipping).
        batch_norm: batch-normalise the second convolution's output, as the
            original DCGAN and WGAN critics do (real and fake batches are then
            normalised separately, one call each). Incompatible with gradient
            penalties, which assume per-sample outputs.
    """
    _check_image_shape(image_shape)
    inputs = keras.Input(image_shape, name="image")
    x = inputs
    kw = {"kernel_constraint": constraint, "bias_constraint": constraint}
    for i, filters in enumerate((width, 2 * width)):
        x = layers.Conv2D(filters, 4, strides=2, padding="same", **kw)(x)
        if batch_norm and i > 0:
            x = layers.BatchNormalization(synchronized=True, gamma_constraint=constraint,
                                          beta_constraint=constraint)(x)
        x = layers.LeakyReLU(0.2)(x)
        if dropout:
            x = layers.Dropout(dropout)(x)
    x = layers.Flatten()(x)
    x = layers.Dense(1, name="logit", **kw)(x)
    return keras.Model(inputs, x, name=name)
