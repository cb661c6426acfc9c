"""WGAN and WGAN-GP: the Wasserstein game on the DCGAN networks."""

import keras

from advzoo.games import Player
from advzoo.games.penalties import ClipConstraint, gradient_penalty
from advzoo.models.dcgan.dcgan_networks import build_discriminator, build_generator
from advzoo.models.gan_base import GANBase


@keras.saving.register_keras_serializable(package="advzoo")
class WGAN(GANBase):
    """Wasserstein GAN: the critic maximises `E[D(x)] - E[D(G(z))]`, the
    generator maximises `E[D(G(z))]`. The critic is kept (roughly) 1-Lipschitz
    by weight clipping (`clip_value`, Arjovsky et al. 2017) or by a gradient
    penalty (`gradient_penalty` = lambda, Gulrajani et al. 2017), or both.

    Args:
        latent_dim: size of the Gaussian latent vector.
        width: base channel count of both networks.
        image_shape: `(height, width, channels)` of the images.
        n_critic: critic steps per generator step (5 in both papers).
        clip_value: clip every critic weight to [-c, c] (None: no clipping).
        gradient_penalty: weight lambda of the WGAN-GP penalty (0: none).
        one_sided: use the one-sided penalty `max(0, ||g|| - 1)^2`.
        critic_batch_norm: batch norm in the critic, as in the original WGAN
            code (clipping then also bounds its scale and offset). Not allowed
            with `gradient_penalty` (the penalty needs per-sample outputs).

    Example:
    >>> model = advzoo.load("wgan_gp_fashion_mnist")
    >>> images = model.generate(16, seed=0)

    References:
        Arjovsky, Chintala, Bottou. Wasserstein GAN. ICML 2017.
        Gulrajani et al. Improved Training of Wasserstein GANs. NeurIPS 2017.
    """

    def __init__(self, latent_dim=64, width=32, image_shape=(28, 28, 1), n_critic=5,
                 clip_value=None, gradient_penalty=10.0, one_sided=False,
                 critic_batch_norm=False, **kwargs):
        if critic_batch_norm and gradient_penalty:
            raise ValueError(
                "critic_batch_norm=True cannot be combined with gradient_penalty="
                f"{gradient_penalty}: batch norm mixes samples, so per-sample input "
                "gradients are not defined (Gulrajani et al. 2017). Use "
                "gradient_penalty=0 with clip_value, or critic_batch_norm=False.")
        constraint = ClipConstraint(clip_value) if clip_value else None
        super().__init__(
            generator=build_generator(latent_dim, width, tuple(image_shape)),
            discriminator=build_discriminator(width, tuple(image_shape), constraint=constraint,
                                              batch_norm=critic_batch_norm, name="critic"),
            latent_dim=latent_dim, image_shape=image_shape, **kwargs)
        self.width, self.n_critic = width, n_critic
        self.clip_value, self.gradient_penalty, self.one_sided = clip_value, gradient_penalty, one_sided
        self.critic_batch_norm = critic_batch_norm
        self.gp_seed = keras.random.SeedGenerator(None if self.seed is None else self.seed + 1)

    def players(self):
        return [Player("discriminator", [self.discriminator], self.critic_loss,
                       steps=self.n_critic, metrics=("wasserstein_estimate",)),
                Player("generator", [self.generator], self.generator_loss)]

    def critic_loss(self, data, training=True):
        real, z = data
        fake = self.generator(z, training=training)
        gap = (self.replica_mean(self.discriminator(real, training=training))
               - self.replica_mean(self.discriminator(fake, training=training)))
        loss = -gap
        if self.gradient_penalty:
            penalty = gradient_penalty(self.discriminator, real, fake, self.one_sided,
                                       training, seed=self.gp_seed)
            loss += self.gradient_penalty * self.replica_mean(penalty)
        return loss, {"wasserstein_estimate": gap * self.distribute_strategy.num_replicas_in_sync}

    def generator_loss(self, data, training=True):
        _, z = data
        return -self.replica_mean(self.discriminator(self.generator(z, training=training),
                                                     training=training))

    def get_config(self):
        return {**super().get_config(), "width": self.width, "n_critic": self.n_critic,
                "clip_value": self.clip_value, "gradient_penalty": self.gradient_penalty,
                "one_sided": self.one_sided, "critic_batch_norm": self.critic_batch_norm}
