"""DCGAN: the non-saturating GAN game on convolutional networks."""

import keras
from keras import ops

from advzoo.games import Player
from advzoo.models.gan_base import GANBase
from advzoo.models.dcgan.dcgan_networks import build_discriminator, build_generator


@keras.saving.register_keras_serializable(package="advzoo")
class DCGAN(GANBase):
    """Deep Convolutional GAN with the non-saturating generator loss.

    The discriminator minimises `BCE(1, D(x)) + BCE(0, D(G(z)))`; the generator
    minimises `BCE(1, D(G(z)))` (Goodfellow et al. 2014, sec. 3). Played by the
    game base (alternating by default, `n_critic` discriminator steps per round).

    Args:
        latent_dim: size of the Gaussian latent vector `z`.
        width: base channel count of both networks.
        image_shape: `(height, width, channels)` of the images.
        discriminator_dropout: dropout rate inside the discriminator.
        label_smoothing: one-sided label smoothing for real images (0 = none).
        n_critic: discriminator steps per generator step.

    Example:
    >>> model = advzoo.load("dcgan_fashion_mnist")
    >>> images = model.generate(16, seed=0)  # (16, 28, 28, 1) in [-1, 1]

    Reference:
        Radford, Metz, Chintala. Unsupervised Representation Learning with Deep
        Convolutional Generative Adversarial Networks. ICLR 2016.
    """

    def __init__(self, latent_dim=64, width=64, image_shape=(28, 28, 1),
                 discriminator_dropout=0.0, label_smoothing=0.0, n_critic=1, **kwargs):
        super().__init__(
            generator=build_generator(latent_dim, width, tuple(image_shape)),
            discriminator=build_discriminator(width, tuple(image_shape), discriminator_dropout),
            latent_dim=latent_dim, image_shape=image_shape, **kwargs)
        self.width = width
        self.discriminator_dropout = discriminator_dropout
        self.label_smoothing = label_smoothing
        self.n_critic = n_critic
        self.bce = keras.losses.BinaryCrossentropy(from_logits=True)

    def players(self):
        return [Player("discriminator", [self.discriminator], self.discriminator_loss,
                       steps=self.n_critic, metrics=("real_accuracy", "fake_accuracy")),
                Player("generator", [self.generator], self.generator_loss)]

    def discriminator_loss(self, data, training=True):
        real, z = data
        fake = self.generator(z, training=training)
        real_logits = self.discriminator(real, training=training)
        fake_logits = self.discriminator(fake, training=training)
        loss = (self.bce(ops.full_like(real_logits, 1.0 - self.label_smoothing), real_logits)
                + self.bce(ops.zeros_like(fake_logits), fake_logits))
        return loss, {"real_accuracy": ops.mean(ops.cast(real_logits > 0, "float32")),
                      "fake_accuracy": ops.mean(ops.cast(fake_logits < 0, "float32"))}

    def generator_loss(self, data, training=True):
        _, z = data
        fake_logits = self.discriminator(self.generator(z, training=training), training=training)
        return self.bce(ops.ones_like(fake_logits), fake_logits)

    def get_config(self):
        return {**super().get_config(), "width": self.width, "n_critic": self.n_critic,
                "discriminator_dropout": self.discriminator_dropout,
                "label_smoothing": self.label_smoothing}
