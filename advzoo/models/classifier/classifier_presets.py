"""The `classifier` family: the Fashion-MNIST evaluator behind classifier-FID."""

import keras
import numpy as np
import tensorflow as tf

from advzoo import data as adata
from advzoo.models.classifier.classifier_model import FeatureClassifier
from advzoo.family import Family


def build(recipe):
    return FeatureClassifier(**recipe["model"])


def _steps_per_epoch(recipe):
    n = adata.fashion_mnist.SIZES["train"] if recipe["data"].get("dataset", "fashion_mnist") \
        == "fashion_mnist" else None
    return None if n is None else n // recipe["train"].get("batch_size", 128)


def compile_model(model, recipe):
    cfg = recipe["compile"]
    opt = dict(cfg.get("optimizer", {"class_name": "Adam", "config": {"learning_rate": 1e-3}}))
    opt_config = dict(opt.get("config", {}))
    if cfg.get("cosine_decay") and _steps_per_epoch(recipe):
        opt_config["learning_rate"] = keras.optimizers.schedules.CosineDecay(
            opt_config.get("learning_rate", 1e-3),
            decay_steps=_steps_per_epoch(recipe) * recipe["train"].get("epochs", 1))
    model.compile(
        optimizer=keras.optimizers.get({"class_name": opt["class_name"], "config": opt_config}),
        loss=keras.losses.SparseCategoricalCrossentropy(),
        metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")],
        jit_compile=cfg.get("jit_compile", "auto"))


def _augment(x, y):
    x = tf.image.random_flip_left_right(x)
    x = tf.image.pad_to_bounding_box(x, 2, 2, 32, 32)
    x = tf.image.random_crop(x, (28, 28, 1))
    return x, y


def train_data(recipe):
    x, y = adata.load(recipe["data"].get("dataset", "fashion_mnist"), "train")
    seed = recipe["train"].get("seed", 0)
    ds = tf.data.Dataset.from_tensor_slices((adata.to_float(x), y)).shuffle(len(x), seed=seed)
    if recipe["data"].get("augment", True):
        ds = ds.map(_augment, num_parallel_calls=tf.data.AUTOTUNE)
    ds = ds.batch(recipe["train"].get("batch_size", 128)).prefetch(tf.data.AUTOTUNE)
    return ds, None


def evaluate(model, recipe, **_):
    """Test accuracy on the held-out test split."""
    x, y = adata.load(recipe["data"].get("dataset", "fashion_mnist"), "test")
    probs = model.predict(adata.to_float(x), batch_size=512, verbose=0)
    return {"test_accuracy": round(float(np.mean(probs.argmax(-1) == y)), 4),
            "n_test": int(len(y))}


FAMILY = Family(name="classifier", build=build, compile=compile_model, train_data=train_data,
                evaluate=evaluate, headline=(("test_accuracy", "test acc."),),
                model=FeatureClassifier,
                schema={"compile": ("optimizer", "cosine_decay", "jit_compile"),
                        "data": ("dataset", "augment")})
