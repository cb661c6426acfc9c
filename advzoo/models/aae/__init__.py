"""Adversarial autoencoders: unsupervised, supervised, semi-supervised, clustering."""

from advzoo.models.aae.aae_model import AdversarialAutoencoder

from advzoo.models.aae.aae_presets import FAMILY

__all__ = ["FAMILY", "AdversarialAutoencoder"]
