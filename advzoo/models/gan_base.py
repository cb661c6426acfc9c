"""What every GAN family shares: a generator, a discriminator, latent sampling,
batch validation and `generate()`. Families add networks and losses only."""

import keras
import numpy as np
from keras import ops

from advzoo.distribute import replica_draw
from advzoo.games import AdversarialGame, Player
from advzoo.utils.inputs import positive_count


class GANBase(AdversarialGame):
    """A game between a `generator` and a `discriminator`.

    Batches may be `images`, `(images,)`, `(images, labels)` (labels ignored) or
    `(images, z)` with an explicit float latent `z` of shape `(batch, latent_dim)`
    (useful for reproducible or controlled training).

    Args:
        generator: Keras model `(batch, latent_dim)` -> images.
        discriminator: Keras model images -> scores.
        latent_dim: size of the latent vector.
        image_shape: `(height, width, channels)` of the images.
        seed: seed of the latent sampler used during training.
    """

    def __init__(self, generator, discriminator, latent_dim, image_shape, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.generator = generator
        self.discriminator = discriminator
        self.latent_dim = int(latent_dim)
        self.image_shape = tuple(int(s) for s in image_shape)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.built = True

    def call(self, z, training=False):
        return self.generator(z, training=training)

    def sample_latent(self, batch_size):
        """`batch_size` Gaussian latents; under `tf.distribute` this replica's
        slice of one draw over the global batch, so workers never share
        latents and distributed training reproduces single-device training."""
        return replica_draw(lambda n: keras.random.normal((n, self.latent_dim),
                                                          seed=self.seed_generator), batch_size)

    def prepare_batch(self, data):
        z = None
        if isinstance(data, (tuple, list)):
            if len(data) > 1 and _is_latent(data[1], self.latent_dim):
                z = data[1]
            data = data[0]
        shape = tuple(data.shape[1:])
        if shape != self.image_shape:
            raise ValueError(
                f"{type(self).__name__} expects images of shape (batch, "
                f"{', '.join(map(str, self.image_shape))}), got (batch, "
                f"{', '.join(map(str, shape))}). Resize/reshape the images (add a channel "
                "axis with `images[..., None]`) or build the model with a matching image_shape."
            )
        if not _dtype_name(data.dtype).startswith("float"):
            raise TypeError(
                f"{type(self).__name__} expects float images scaled to [-1, 1], got dtype "
                f"{data.dtype}. Convert with `advzoo.data.to_float(images)` or use "
                "`advzoo.data.make_dataset(images)`."
            )
        if z is None:
            z = self.sample_latent(ops.shape(data)[0])
        return data, z

    def generate(self, n, seed=None, batch_size=256):
        """Generates `n` images as float32 numpy `(n, H, W, C)` in [-1, 1].

        Args:
            n: number of images.
            seed: integer for reproducible samples (the same seed gives the same
                images), or None for fresh randomness.
            batch_size: images per forward pass.
        """
        n = positive_count(n)
        z = np.random.default_rng(seed).standard_normal((n, self.latent_dim)).astype("float32")
        out = self.generator.predict(z, batch_size=batch_size, verbose=0)
        return np.asarray(out, dtype=np.float32)

    def get_config(self):
        return {**super().get_config(), "latent_dim": self.latent_dim,
                "image_shape": list(self.image_shape), "seed": self.seed}


class NonSaturatingGAN(GANBase):
    """The original GAN game with the non-saturating generator loss, for any
    generator/discriminator pair (the discriminator outputs logits).

    The discriminator minimises `BCE(1, D(x)) + BCE(0, D(G(z)))` (with
    optional one-sided label smoothing), the generator `BCE(1, D(G(z)))`.
    Subclasses set `label_smoothing` and `n_critic` (defaults 0 and 1).
    """

    label_smoothing = 0.0
    n_critic = 1

    @property
    def bce(self):
        return keras.losses.BinaryCrossentropy(from_logits=True)

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


def _dtype_name(dtype):
    return getattr(dtype, "name", str(dtype))


def _is_latent(value, latent_dim):
    shape = getattr(value, "shape", None)
    dtype = _dtype_name(getattr(value, "dtype", ""))
    return shape is not None and len(shape) == 2 and shape[-1] == latent_dim and "float" in dtype
