"""BiGAN (Donahue, Kraehenbuehl, Darrell 2017) on the game base."""

import keras
import numpy as np
from keras import ops

from advzoo.games import Player
from advzoo.models.bigan import bigan_networks as nets
from advzoo.models.dcgan.dcgan_networks import build_generator
from advzoo.models.gan_base import GANBase
from advzoo.utils.inputs import check_images

ARCHITECTURES = ("small", "imagenet")


@keras.saving.register_keras_serializable(package="advzoo")
class BiGAN(GANBase):
    """Bidirectional GAN: a generator G: z -> x, an encoder E: x -> z and a
    discriminator D(x, z) that tells real pairs `(x, E(x))` from generated
    pairs `(G(z), z)`. At the optimum E inverts G, so `E(x)` is a learned
    feature space.

    The discriminator minimises `BCE(1, D(x, E(x))) + BCE(0, D(G(z), z))`;
    generator and encoder, one player, minimise the same with the labels
    swapped (the non-saturating form of the paper's objective).

    Args:
        latent_dim: size of z (Gaussian prior).
        width: base channels of the small-image networks.
        image_shape: `(height, width, channels)`.
        architecture: `"small"` (DCGAN-style, 28x28-sized images) or
            `"imagenet"` (AlexNet-style encoder, 64x64 or 112x112 images).
        discriminator_dropout: dropout inside D.

    Example:
    >>> model = advzoo.load("bigan_fashion_mnist")
    >>> z = model.encode(advzoo.data.to_float(images))   # features
    >>> x_hat = model.reconstruct(advzoo.data.to_float(images))  # G(E(x))

    Reference:
        Donahue, Kraehenbuehl, Darrell. Adversarial Feature Learning. ICLR 2017.
    """

    def __init__(self, latent_dim=64, width=32, image_shape=(28, 28, 1), architecture="small",
                 discriminator_dropout=0.2, **kwargs):
        if architecture not in ARCHITECTURES:
            raise ValueError(f"architecture must be one of {ARCHITECTURES}, got {architecture!r}.")
        shape = tuple(int(s) for s in image_shape)
        if architecture == "small":
            generator = build_generator(latent_dim, width, shape)
            encoder = nets.build_encoder(latent_dim, width, shape)
            discriminator = nets.build_joint_discriminator(latent_dim, width, shape,
                                                           discriminator_dropout)
        else:
            generator = nets.build_imagenet_generator(latent_dim, shape)
            encoder = nets.build_alexnet_encoder(latent_dim, shape)
            discriminator = nets.build_imagenet_discriminator(latent_dim, shape,
                                                              discriminator_dropout)
        super().__init__(generator=generator, discriminator=discriminator,
                         latent_dim=latent_dim, image_shape=shape, **kwargs)
        self.encoder = encoder
        self.width = int(width)
        self.architecture = architecture
        self.discriminator_dropout = float(discriminator_dropout)

    @property
    def bce(self):
        return keras.losses.BinaryCrossentropy(from_logits=True)

    def players(self):
        return [Player("discriminator", [self.discriminator], self.discriminator_loss,
                       metrics=("real_accuracy", "fake_accuracy")),
                Player("generator", [self.generator, self.encoder], self.generator_loss)]

    def _logits(self, data, training):
        real, z = data
        real_logits = self.discriminator([real, self.encoder(real, training=training)],
                                         training=training)
        fake_logits = self.discriminator([self.generator(z, training=training), z],
                                         training=training)
        return real_logits, fake_logits

    def discriminator_loss(self, data, training=True):
        real_logits, fake_logits = self._logits(data, training)
        loss = (self.bce(ops.ones_like(real_logits), real_logits)
                + self.bce(ops.zeros_like(fake_logits), fake_logits))
        return loss, {"real_accuracy": ops.mean(ops.cast(real_logits > 0, "float32")),
                      "fake_accuracy": ops.mean(ops.cast(fake_logits < 0, "float32"))}

    def generator_loss(self, data, training=True):
        real_logits, fake_logits = self._logits(data, training)
        return (self.bce(ops.zeros_like(real_logits), real_logits)
                + self.bce(ops.ones_like(fake_logits), fake_logits))

    # ------------------------------------------------------------ inference
    def _check(self, images, where):
        return check_images(images, self.image_shape, where)

    def encode(self, images, batch_size=256):
        """E(x) for float images in [-1, 1], as numpy `(n, latent_dim)`."""
        return np.asarray(self.encoder.predict(self._check(images, "encode"),
                                               batch_size=batch_size, verbose=0))

    def decode(self, z, batch_size=256):
        """G(z) for latents `(n, latent_dim)`, as numpy images in [-1, 1]."""
        z = np.asarray(z, dtype="float32")
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"decode expects latents of shape (batch, {self.latent_dim}), "
                             f"got {z.shape}.")
        return np.asarray(self.generator.predict(z, batch_size=batch_size, verbose=0))

    def reconstruct(self, images, batch_size=256):
        """G(E(x)), as numpy images in [-1, 1]."""
        return self.decode(self.encode(images, batch_size), batch_size)

    def get_config(self):
        return {**super().get_config(), "width": self.width, "architecture": self.architecture,
                "discriminator_dropout": self.discriminator_dropout}
