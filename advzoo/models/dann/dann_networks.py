"""Networks of the domain-adversarial family: the DANN paper's small-image
architecture (two 5x5 conv + pool blocks), a feature layer, two heads."""

import keras
from keras import layers

INPUT_NORMS = (None, "instance")


def build_backbone(image_shape=(28, 28, 3), width=32, feature_dim=128, input_norm=None,
                   batch_norm=False, name="backbone"):
    """Images in [-1, 1] -> `feature_dim` ReLU features (the embedding).

    `input_norm="instance"` first standardises every image, per channel (mean 0,
    std 1 over its pixels): brightness and contrast of a domain no longer
    reach the convolutions. `batch_norm=True` normalises every conv/dense
    pre-activation over the batch (synchronised across replicas); a domain
    adaptation batch holds source and target images, so the statistics are
    those of both domains together.
    """
    if input_norm not in INPUT_NORMS:
        raise ValueError(f"input_norm must be one of {INPUT_NORMS}, got {input_norm!r}.")
    norm = ([layers.GroupNormalization(groups=int(image_shape[-1]), center=False, scale=False,
                                       name="instance_norm")] if input_norm else [])

    def block(layer_class, *args, **kwargs):
        if not batch_norm:
            return [layer_class(*args, activation="relu", **kwargs)]
        return [layer_class(*args, use_bias=False, **kwargs),
                layers.BatchNormalization(synchronized=True), layers.ReLU()]

    return keras.Sequential([
        keras.Input(tuple(image_shape)), *norm,
        *block(layers.Conv2D, width, 5, padding="same"),
        layers.MaxPooling2D(),
        *block(layers.Conv2D, width * 3 // 2, 5, padding="same"),
        layers.MaxPooling2D(),
        layers.Flatten(),
        *block(layers.Dense, feature_dim),
    ], name=name)


def build_head(input_dim, num_outputs, hidden=100, depth=1, activation=None, name="head"):
    """An MLP head: `depth` hidden ReLU layers, then `num_outputs` units."""
    blocks = [keras.Input((int(input_dim),))]
    blocks += [layers.Dense(hidden, activation="relu") for _ in range(depth)]
    blocks += [layers.Dense(num_outputs, activation=activation)]
    return keras.Sequential(blocks, name=name)
