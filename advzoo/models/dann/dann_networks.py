"""Networks of the domain-adversarial family: the DANN paper's small-image
architecture (two 5x5 conv + pool blocks), a feature layer, two heads."""

import keras
from keras import layers


def build_backbone(image_shape=(28, 28, 3), width=32, feature_dim=128, name="backbone"):
    """Images in [-1, 1] -> `feature_dim` ReLU features (the embedding)."""
    return keras.Sequential([
        keras.Input(tuple(image_shape)),
        layers.Conv2D(width, 5, padding="same", activation="relu"),
        layers.MaxPooling2D(),
        layers.Conv2D(width * 3 // 2, 5, padding="same", activation="relu"),
        layers.MaxPooling2D(),
        layers.Flatten(),
        layers.Dense(feature_dim, activation="relu"),
    ], name=name)


def build_head(input_dim, num_outputs, hidden=100, depth=1, activation=None, name="head"):
    """An MLP head: `depth` hidden ReLU layers, then `num_outputs` units."""
    blocks = [keras.Input((int(input_dim),))]
    blocks += [layers.Dense(hidden, activation="relu") for _ in range(depth)]
    blocks += [layers.Dense(num_outputs, activation=activation)]
    return keras.Sequential(blocks, name=name)
