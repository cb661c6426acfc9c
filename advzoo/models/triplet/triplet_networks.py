"""The C2F2 embedding network of the robust-ranking literature (two 5x5 conv
+ max-pool blocks, a 1024-unit hidden layer, a linear embedding)."""

import keras
from keras import layers


def build_c2f2(image_shape=(28, 28, 1), width=32, hidden=1024, embedding_dim=512,
               name="c2f2"):
    """C2F2: Conv(width, 5)-ReLU-MaxPool, Conv(2 width, 5)-ReLU-MaxPool,
    Dense(hidden)-ReLU, Dense(embedding_dim). Unnormalised output; the model
    L2-normalises it. Inputs are float images in [0, 1]."""
    return keras.Sequential([
        keras.Input(tuple(image_shape)),
        layers.Conv2D(width, 5, activation="relu"),
        layers.MaxPooling2D(),
        layers.Conv2D(2 * width, 5, activation="relu"),
        layers.MaxPooling2D(),
        layers.Flatten(),
        layers.Dense(hidden, activation="relu"),
        layers.Dense(embedding_dim),
    ], name=name)
