"""Adversarial autoencoders: unsupervised, supervised, semi-supervised, clustering."""

from advzoo.models.aae.aae_model import AdversarialAutoencoder

__all__ = ["AdversarialAutoencoder"]
