"""Metrics: classifier-FID, KID, precision/recall of generated images."""

from advzoo.metrics.generative import (evaluate_generator, frechet_distance, kernel_distance,
                                       precision_recall, sample_quality)

__all__ = ["evaluate_generator", "frechet_distance", "kernel_distance", "precision_recall",
           "sample_quality"]
