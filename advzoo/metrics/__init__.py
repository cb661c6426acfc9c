"""Metrics: classifier-FID, KID, precision/recall of generated images; probes
(k-NN, linear, MLP) on frozen features."""

from advzoo.metrics.generative import (evaluate_generator, frechet_distance, kernel_distance,
                                       precision_recall, sample_quality)
from advzoo.metrics.probes import (knn_accuracy, linear_probe, mlp_probe, neighbour_agreement,
                                   split_probe)

__all__ = ["evaluate_generator", "frechet_distance", "kernel_distance", "knn_accuracy",
           "linear_probe", "mlp_probe", "neighbour_agreement", "precision_recall",
           "sample_quality", "split_probe"]
