"""A small convolutional classifier whose penultimate layer is a feature space."""

import keras
from keras import layers

from advzoo.compat import MultiWorkerBuild
from advzoo.saving import PresetMixin
from advzoo.games.base import NonFiniteLossStop
from advzoo.utils.inputs import check_fit_arrays, model_images


class _RestoringNonFiniteStop(NonFiniteLossStop):
    """`NonFiniteLossStop` that also puts back the weights and optimizer state
    of the start of the offending batch."""

    def on_train_batch_begin(self, batch, logs=None):
        self._state = [v.numpy() for v in self._variables()]

    def _variables(self):
        return list(self.model.weights) + list(self.model.optimizer.variables)

    def on_train_batch_end(self, batch, logs=None):
        super().on_train_batch_end(batch, logs)
        if self.stopped_at is not None:
            for variable, value in zip(self._variables(), self._state):
                variable.assign(value)


@keras.saving.register_keras_serializable(package="advzoo")
class FeatureClassifier(MultiWorkerBuild, PresetMixin, keras.Model):
    """Conv classifier with an explicit feature extractor.

    `call(x)` returns class probabilities; `features(x)` returns the penultimate
    `feature_dim`-dimensional embedding (used by advzoo's classifier-FID/KID).
    Inputs are float images in [-1, 1].

    Args:
        num_classes: number of classes.
        image_shape: `(height, width, channels)`.
        width: channels of the first block (the second block uses 2x).
        feature_dim: size of the penultimate (feature) layer.
        dropout: dropout before the classification layer.

    Example:
    >>> clf = advzoo.load("fashion_mnist_classifier")
    >>> probs = clf.predict(advzoo.data.to_float(images))
    >>> feats = clf.features(advzoo.data.to_float(images))
    """

    def __init__(self, num_classes=10, image_shape=(28, 28, 1), width=32, feature_dim=256,
                 dropout=0.3, **kwargs):
        super().__init__(**kwargs)
        self.num_classes = num_classes
        self.image_shape = tuple(image_shape)
        self.width = width
        self.feature_dim = feature_dim
        self.dropout = dropout
        blocks = [keras.Input(self.image_shape)]
        for filters in (width, 2 * width):
            blocks += [layers.Conv2D(filters, 3, padding="same", use_bias=False),
                       layers.BatchNormalization(synchronized=True), layers.ReLU(),
                       layers.Conv2D(filters, 3, padding="same", use_bias=False),
                       layers.BatchNormalization(synchronized=True), layers.ReLU(),
                       layers.MaxPooling2D()]
        blocks += [layers.Flatten(), layers.Dense(feature_dim, use_bias=False),
                   layers.BatchNormalization(synchronized=True), layers.ReLU()]
        self.backbone = keras.Sequential(blocks, name="backbone")
        self.head = keras.Sequential([layers.Dropout(dropout),
                                      layers.Dense(num_classes, activation="softmax")],
                                     name="head")
        self.head.build((None, feature_dim))
        self.built = True

    def call(self, x, training=False):
        return self.head(self.backbone(x, training=training), training=training)

    def features(self, x, batch_size=512):
        """Penultimate-layer features of float images in [-1, 1], as numpy."""
        return self.backbone.predict(model_images(self, x, "features"), batch_size=batch_size,
                                     verbose=0)

    def fit(self, x=None, *args, **kwargs):
        """`keras.Model.fit`, after the input checks of the game base; a batch
        with a non-finite loss stops it, with the weights and optimizer state
        of before that batch (a plain classifier has no per-player guard, so
        a callback keeps a copy of the state at the start of each batch)."""
        from advzoo.games.base import fit_stopped_error

        check_fit_arrays(self, x, f"{type(self).__name__}.fit")
        guard = _RestoringNonFiniteStop()
        kwargs["callbacks"] = [*(kwargs.get("callbacks") or []), guard]
        history = super().fit(x, *args, **kwargs)
        if guard.stopped_at is not None:
            raise fit_stopped_error(self, *guard.stopped_at)
        return history

    def predict(self, x, *args, **kwargs):
        """Class probabilities of float images in [-1, 1] (`keras.Model.predict`,
        with the same input checks as `features`)."""
        return super().predict(model_images(self, x, "predict"), *args, **kwargs)

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes,
                "image_shape": list(self.image_shape), "width": self.width,
                "feature_dim": self.feature_dim, "dropout": self.dropout}
