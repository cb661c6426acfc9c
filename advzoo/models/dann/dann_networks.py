"""Networks of the domain-adversarial family: the DANN paper's small-image
architecture (two 5x5 conv + pool blocks), a feature layer, two heads."""

import keras
from keras import layers, ops

INPUT_NORMS = (None, "instance", "grey_instance")


@keras.saving.register_keras_serializable(package="advzoo")
class ChannelMean(layers.Layer):
    """The mean of an image's channels, kept as one channel: `(..., C) -> (..., 1)`."""

    def call(self, x):
        return ops.mean(x, axis=-1, keepdims=True)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], 1)


def build_backbone(image_shape=(28, 28, 3), width=32, feature_dim=128, input_norm=None,
                   batch_norm=False, name="backbone"):
    """Images in [-1, 1] -> `feature_dim` ReLU features (the embedding).

    `input_norm="instance"` first standardises every image, per channel (mean 0,
    std 1 over its pixels): brightness and contrast of a domain no longer
    reach the convolutions. `"grey_instance"` first averages the channels
    (colour never reaches the convolutions), then standardises the one
    channel left. `batch_norm=True` normalises every conv/dense
    pre-activation over the batch (synchronised across replicas); a domain
    adaptation batch holds source and target images, so the statistics are
    those of both domains together.
    """
    if input_norm not in INPUT_NORMS:
        raise ValueError(f"input_norm must be one of {INPUT_NORMS}, got {input_norm!r}.")
    channels = 1 if input_norm == "grey_instance" else int(image_shape[-1])
    norm = ([layers.GroupNormalization(groups=channels, center=False, scale=False,
                                       name="instance_norm")] if input_norm else [])
    if input_norm == "grey_instance":
        norm = [ChannelMean(name="grey"), *norm]

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
