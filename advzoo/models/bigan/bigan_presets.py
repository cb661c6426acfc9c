"""The `bigan` family: recipes, data (Fashion-MNIST or TFDS ImageNet), and an
evaluation of both the samples and the encoder's features."""

import numpy as np

from advzoo import data as adata
from advzoo.metrics.probes import knn_accuracy, linear_probe
from advzoo.models.bigan.bigan_model import BiGAN
from advzoo.models.gan_presets import (GAN_EVAL_OPTIONS, GAN_SCHEMA, compile_game, evaluate_gan, gan_samples,
                                       image_data)
from advzoo.family import Family


def build(recipe):
    return BiGAN(**recipe["model"])


def _imagenet_data(recipe):
    """ImageNet from TFDS (`imagenet2012` needs a manual download: see
    https://www.tensorflow.org/datasets/catalog/imagenet2012), centre-cropped,
    resized to the model's image size and scaled to [-1, 1]."""
    import tensorflow as tf
    import tensorflow_datasets as tfds

    cfg = recipe["data"]
    size = tuple(recipe["model"]["image_shape"][:2])
    try:
        ds = tfds.load(cfg["dataset"], split=cfg.get("split", "train"), as_supervised=True,
                       shuffle_files=True, download_and_prepare_kwargs={
                           "download_config": tfds.download.DownloadConfig(
                               manual_dir=cfg.get("manual_dir"))})
    except Exception as e:  # noqa: BLE001 - TFDS raises several kinds here
        raise FileNotFoundError(
            f"{recipe['name']} trains on TFDS {cfg['dataset']!r}, which could not be prepared: "
            f"{e}\nImageNet cannot be downloaded automatically: obtain ILSVRC2012_img_train.tar "
            "and ILSVRC2012_img_val.tar from image-net.org, put them in a directory and set "
            "data.manual_dir in the recipe (or TFDS's default manual dir).") from e

    def prepare(image, _):
        shape = tf.shape(image)
        side = tf.minimum(shape[0], shape[1])
        image = tf.image.resize_with_crop_or_pad(image, side, side)
        image = tf.image.resize(image, size, antialias=True)
        return tf.cast(image, tf.float32) / 127.5 - 1.0

    batch = recipe["train"].get("batch_size", 128)
    ds = ds.shuffle(10000, seed=recipe["train"].get("seed", 0)).map(
        prepare, num_parallel_calls=tf.data.AUTOTUNE)
    return ds.batch(batch, drop_remainder=True).prefetch(tf.data.AUTOTUNE), None


def train_data(recipe):
    if recipe["data"].get("dataset", "fashion_mnist") == "imagenet2012":
        return _imagenet_data(recipe)
    return image_data(recipe)


def feature_metrics(encode, n_train=None):
    """1-NN and linear-probe test accuracy of features `encode(float images)`
    (train split as the labelled set, test split as queries), Fashion-MNIST."""
    x_train, y_train = adata.load("fashion_mnist", "train")
    x_test, y_test = adata.load("fashion_mnist", "test")
    if n_train:
        x_train, y_train = x_train[:n_train], y_train[:n_train]
    f_train, f_test = encode(adata.to_float(x_train)), encode(adata.to_float(x_test))
    return {"feature_1nn_accuracy": round(knn_accuracy(f_train, y_train, f_test, y_test), 4),
            "feature_linear_probe": round(linear_probe(f_train, y_train, f_test, y_test), 4)}


def evaluate(model, recipe, n_samples=None, seed=None, **_):
    if recipe["data"].get("dataset", "fashion_mnist") != "fashion_mnist":
        raise ValueError(f"{recipe['name']}: evaluation is defined on Fashion-MNIST only.")
    metrics = evaluate_gan(model, recipe, n_samples=n_samples, seed=seed)
    metrics.update(feature_metrics(model.encode))
    x_test = adata.to_float(adata.load("fashion_mnist", "test")[0])
    metrics["reconstruction_mse"] = round(float(np.mean((model.reconstruct(x_test)
                                                          - x_test) ** 2)), 4)
    return metrics


def hypermodel(recipe=None, n_eval_samples=2000, **_):
    from advzoo.models.bigan.bigan_tuning import BiGANHyperModel

    return BiGANHyperModel(n_eval_samples=n_eval_samples)


FAMILY = Family(
    name="bigan", build=build, compile=compile_game, train_data=train_data, evaluate=evaluate,
    samples=gan_samples, hypermodel=hypermodel, eval_options=GAN_EVAL_OPTIONS, model=BiGAN,
    schema={**GAN_SCHEMA, "data": (*GAN_SCHEMA["data"], "manual_dir")},
    headline=(("classifier_fid", "cFID"), ("feature_1nn_accuracy", "1-NN acc. on E(x)"),
              ("feature_linear_probe", "linear probe"), ("reconstruction_mse", "recon. MSE")))
