"""DCGAN: the non-saturating GAN game on convolutional networks."""

import keras

from advzoo.models.gan_base import NonSaturatingGAN
from advzoo.models.dcgan.dcgan_networks import build_discriminator, build_generator


@keras.saving.register_keras_serializable(package="advzoo")
class DCGAN(NonSaturatingGAN):
    """Deep Convolutional GAN with the non-saturating generator loss.

    The discriminator minimises `BCE(1, D(x)) + BCE(0, D(G(z)))`; the generator
    minimises `BCE(1, D(G(z)))` (Goodfellow et al. 2014, sec. 3); the losses
    live in `NonSaturatingGAN`, the play in the game base (alternating by
    default, `n_critic` discriminator steps per round).

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

    def get_config(self):
        return {**super().get_config(), "width": self.width, "n_critic": self.n_critic,
                "discriminator_dropout": self.discriminator_dropout,
                "label_smoothing": self.label_smoothing}
