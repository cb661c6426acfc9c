"""Adversarial autoencoders (Makhzani et al. 2015) on the game base."""

import math

import keras
import numpy as np
from keras import ops

from advzoo.compat import scale_loss_for_distribution
from advzoo.distribute import replica_draw
from advzoo.utils.inputs import check_images, positive_count

from advzoo.games import AdversarialGame, Player
from advzoo.models.aae.aae_networks import (build_code_discriminator, build_decoder,
                                            build_encoder)

VARIANTS = ("unsupervised", "supervised", "semisupervised", "clustering")
PRIORS = ("gaussian", "mixture")


@keras.saving.register_keras_serializable(package="advzoo")
class AdversarialAutoencoder(AdversarialGame):
    """An autoencoder whose aggregated posterior q(z) is matched to a prior p(z)
    by a discriminator on codes.

    Per batch, in turn (the paper's phases, played by the `alternating` rule):
    the **autoencoder** (encoder + decoder) lowers the reconstruction error;
    the **discriminator** learns prior samples from encoded codes; the
    **encoder** fools it; in the semi-supervised variant a **classifier** step
    (the encoder's categorical head) fits the labelled examples.

    Variants:
        * `unsupervised`: x -> z -> x, prior on z (`gaussian` or a 10-component
          `mixture` on a circle in the first two dimensions).
        * `supervised`: the decoder also gets the one-hot label, so z carries
          style only. Batches are `(images, labels)`.
        * `semisupervised`: the encoder outputs a categorical y (matched to a
          uniform categorical prior by a second discriminator) and a Gaussian
          z; labels of -1 mark unlabelled images.
        * `clustering`: the same with `num_categories` clusters and no labels.

    Args:
        variant: one of `VARIANTS`.
        latent_dim: size of z.
        num_classes: classes (supervised / semi-supervised).
        num_categories: clusters of the `clustering` variant.
        prior: `"gaussian"` or `"mixture"` (z prior of the unsupervised variant).
        prior_std: standard deviation of the Gaussian prior (or each mixture component).
        width: base channels of encoder and decoder.
        image_shape: `(height, width, channels)`.
        seed: seed of the prior sampler.

    Example:
    >>> aae = advzoo.load("aae_fashion_mnist")
    >>> z = aae.encode(advzoo.data.to_float(images))
    >>> images = aae.generate(16, seed=0)

    Reference:
        Makhzani, Shlens, Jaitly, Goodfellow, Frey. Adversarial Autoencoders. 2015.
    """

    def __init__(self, variant="unsupervised", latent_dim=8, num_classes=10, num_categories=16,
                 prior="gaussian", prior_std=1.0, width=32, image_shape=(28, 28, 1), seed=None,
                 **kwargs):
        super().__init__(**kwargs)
        if variant not in VARIANTS:
            raise ValueError(f"variant must be one of {VARIANTS}, got {variant!r}.")
        if prior not in PRIORS:
            raise ValueError(f"prior must be one of {PRIORS}, got {prior!r}.")
        if prior == "mixture" and int(latent_dim) < 2:
            raise ValueError("The mixture prior lives in the first two latent dimensions: "
                             f"latent_dim must be >= 2, got {latent_dim}.")
        self.variant, self.prior, self.prior_std = variant, prior, float(prior_std)
        self.latent_dim, self.width = int(latent_dim), int(width)
        self.num_classes, self.num_categories = int(num_classes), int(num_categories)
        self.image_shape = tuple(int(s) for s in image_shape)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.categories = {"semisupervised": self.num_classes,
                           "clustering": self.num_categories}.get(variant, 0)
        conditioned = self.num_classes if variant == "supervised" else self.categories
        self.encoder = build_encoder(self.latent_dim, self.categories, self.width, self.image_shape)
        self.decoder = build_decoder(self.latent_dim + conditioned, self.width, self.image_shape)
        self.z_discriminator = build_code_discriminator(self.latent_dim, name="z_discriminator")
        self.y_discriminator = (build_code_discriminator(self.categories, name="y_discriminator")
                                if self.categories else None)
        self.built = True

    # ------------------------------------------------------------ the game
    def players(self):
        discriminators = [d for d in (self.z_discriminator, self.y_discriminator) if d]
        players = [Player("autoencoder", [self.encoder, self.decoder], self.reconstruction_loss),
                   Player("discriminator", discriminators, self.discriminator_loss),
                   Player("encoder", [self.encoder], self.regularisation_loss)]
        if self.variant == "semisupervised":
            # Every encoder layer but the z head (the class loss never reaches it).
            trunk = [layer for layer in self.encoder.layers if layer.name != "z"]
            players.append(Player("classifier", trunk, self.classification_loss,
                                  metrics=("accuracy",)))
        return players

    def _encode(self, x, training):
        out = self.encoder(x, training=training)
        return (None, out) if not self.categories else (out[0], out[1])

    def _code(self, y, z, labels):
        if self.variant == "supervised":
            return ops.concatenate([z, ops.one_hot(labels, self.num_classes)], -1)
        return z if y is None else ops.concatenate([y, z], -1)

    def reconstruction_loss(self, data, training=True):
        x, labels = data[0], data[1]
        y, z = self._encode(x, training)
        recon = self.decoder(self._code(y, z, labels), training=training)
        return keras.losses.MeanSquaredError()(x, recon)

    def sample_prior(self, n):
        """Samples `(y or None, z)` from the priors (in a compiled step); under
        `tf.distribute` this replica's slice of one global-batch draw."""
        return replica_draw(self._draw_prior, n)

    def _draw_prior(self, n):
        z = keras.random.normal((n, self.latent_dim), seed=self.seed_generator) * self.prior_std
        if self.prior == "mixture":
            k = keras.random.randint((n,), 0, 10, seed=self.seed_generator)
            angle = ops.cast(k, "float32") * (2.0 * math.pi / 10.0)
            centre = ops.stack([ops.cos(angle), ops.sin(angle)], -1) * 4.0 * self.prior_std
            z = z * 0.25 + ops.pad(centre, [[0, 0], [0, self.latent_dim - 2]])
        y = None
        if self.categories:
            k = keras.random.randint((n,), 0, self.categories, seed=self.seed_generator)
            y = ops.one_hot(k, self.categories)
        return y, z

    def _bce(self):
        return keras.losses.BinaryCrossentropy(from_logits=True)

    def discriminator_loss(self, data, training=True):
        x, prior = data[0], data[3]
        y, z = self._encode(x, training)
        py, pz = prior if prior is not None else self.sample_prior(ops.shape(x)[0])
        bce = self._bce()
        real, fake = self.z_discriminator(pz), self.z_discriminator(ops.stop_gradient(z))
        loss = bce(ops.ones_like(real), real) + bce(ops.zeros_like(fake), fake)
        if y is not None:
            real, fake = self.y_discriminator(py), self.y_discriminator(ops.stop_gradient(y))
            loss = loss + bce(ops.ones_like(real), real) + bce(ops.zeros_like(fake), fake)
        return loss

    def regularisation_loss(self, data, training=True):
        x = data[0]
        y, z = self._encode(x, training)
        bce = self._bce()
        fake = self.z_discriminator(z)
        loss = bce(ops.ones_like(fake), fake)
        if y is not None:
            fake = self.y_discriminator(y)
            loss = loss + bce(ops.ones_like(fake), fake)
        return loss

    def classification_loss(self, data, training=True):
        x, labels, labelled = data[:3]
        y, _ = self._encode(x, training)
        ce = keras.losses.sparse_categorical_crossentropy(ops.maximum(labels, 0), y)
        n = ops.maximum(ops.sum(labelled), 1.0)
        acc = ops.sum(ops.cast(ops.argmax(y, -1) == labels, "float32") * labelled) / n
        return scale_loss_for_distribution(ops.sum(ce * labelled) / n), {"accuracy": acc}

    # ------------------------------------------------------------ batches
    def prepare_batch(self, data):
        """Batches: `images`, `(images, labels)` (-1 = unlabelled) or, for
        reproducible play, `(images, labels, prior_z[, prior_y])` with explicit
        prior samples (`prior_y`: integer categories)."""
        labels, prior = None, None
        if isinstance(data, (tuple, list)):
            if len(data) > 2:
                prior_y = (ops.one_hot(ops.cast(data[3], "int32"), self.categories)
                           if self.categories and len(data) > 3 else None)
                if self.categories and prior_y is None:
                    raise ValueError("Explicit prior samples for this AAE need (images, labels, "
                                     "prior_z, prior_y).")
                prior = (prior_y, data[2])
            data, labels = data[0], (data[1] if len(data) > 1 else None)
        if tuple(data.shape[1:]) != self.image_shape:
            raise ValueError(f"{type(self).__name__} expects images of shape (batch, "
                             f"{', '.join(map(str, self.image_shape))}), got (batch, "
                             f"{', '.join(map(str, data.shape[1:]))}).")
        if labels is None:
            if self.variant == "supervised":
                raise ValueError("The supervised AAE needs (images, labels) batches: the "
                                 "decoder is given the label.")
            labels = ops.full((ops.shape(data)[0],), -1, "int32")
        labels = ops.cast(ops.reshape(labels, (-1,)), "int32")
        return data, labels, ops.cast(labels >= 0, "float32"), prior

    # ------------------------------------------------------------ inference
    def _check_images(self, images, where):
        return check_images(images, self.image_shape, where)

    def encode(self, images, batch_size=256):
        """z (numpy) of float images; for semi-supervised/clustering, `(y, z)`."""
        out = self.encoder.predict(self._check_images(images, "encode"), batch_size=batch_size,
                                   verbose=0)
        return tuple(np.asarray(o) for o in out) if self.categories else np.asarray(out)

    def classify(self, images, batch_size=256):
        """Class (or cluster) probabilities of the categorical head, as numpy."""
        if not self.categories:
            raise ValueError(f"The {self.variant} AAE has no categorical head.")
        return self.encode(images, batch_size)[0]

    def decode(self, z, labels=None, batch_size=256):
        """Images from codes `z (n, latent_dim)`; the supervised, semi-supervised
        and clustering variants also need `labels` (ints)."""
        z = np.asarray(z, "float32")
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"decode expects z of shape (batch, {self.latent_dim}), got "
                             f"{z.shape}.")
        width = self.num_classes if self.variant == "supervised" else self.categories
        if width:
            if labels is None:
                raise ValueError(f"The {self.variant} AAE decodes (z, labels): pass labels=.")
            labels = np.broadcast_to(np.asarray(labels, "int64"), (len(z),))
            if labels.min() < 0 or labels.max() >= width:
                raise ValueError(f"labels must lie in [0, {width}), got {labels.min()}..."
                                 f"{labels.max()}.")
            one_hot = np.eye(width, dtype="float32")[labels]
            code = np.concatenate([z, one_hot] if self.variant == "supervised"
                                  else [one_hot, z], -1)
        else:
            code = z
        return np.asarray(self.decoder.predict(code, batch_size=batch_size, verbose=0))

    def reconstruct(self, images, labels=None, batch_size=256):
        """Decoder(encoder(x)); the supervised variant needs the labels."""
        code = self.encode(images, batch_size)
        if self.categories:
            y, z = code
            return self.decode(z, y.argmax(-1), batch_size)
        return self.decode(code, labels, batch_size)

    def prior_samples(self, n, seed=None):
        """`n` samples of the z prior as numpy (the same distribution as
        `sample_prior`, outside a compiled step)."""
        n = positive_count(n)
        rng = np.random.default_rng(seed)
        z = rng.standard_normal((n, self.latent_dim)).astype("float32") * self.prior_std
        if self.prior == "mixture":
            angle = rng.integers(0, 10, int(n)) * (2 * np.pi / 10)
            z = z * 0.25
            z[:, :2] += np.stack([np.cos(angle), np.sin(angle)], -1) * 4 * self.prior_std
        return z

    def generate(self, n, seed=None, labels=None, batch_size=256):
        """Decodes `n` prior samples (numpy, reproducible for a given seed)."""
        n = positive_count(n)
        rng = np.random.default_rng(seed)
        z = self.prior_samples(n, seed=rng.integers(2 ** 31))
        width = self.num_classes if self.variant == "supervised" else self.categories
        if width and labels is None:
            labels = rng.integers(0, width, int(n))
        return self.decode(z, labels, batch_size)

    def get_config(self):
        return {**super().get_config(), "variant": self.variant, "latent_dim": self.latent_dim,
                "num_classes": self.num_classes, "num_categories": self.num_categories,
                "prior": self.prior, "prior_std": self.prior_std, "width": self.width,
                "image_shape": list(self.image_shape), "seed": self.seed}
