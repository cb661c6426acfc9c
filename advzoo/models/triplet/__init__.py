"""Robust deep metric learning: triplet embeddings, Hardness Manipulation,
ranking attacks and the Empirical Robustness Score."""

from advzoo.models.triplet.triplet_attacks import (ATTACKS, RankingAttacks,
                                                   empirical_robustness_score, pgd)
from advzoo.models.triplet.triplet_losses import (MINERS, hardness, intra_class_structure_loss,
                                                  linear_gradual_destination, mine_triplets,
                                                  triplet_loss)
from advzoo.models.triplet.triplet_model import TripletEmbedder, check_pairs, pair_dataset
from advzoo.models.triplet.triplet_retrieval import retrieval_metrics

from advzoo.models.triplet.triplet_presets import FAMILY

__all__ = ["FAMILY", "ATTACKS", "MINERS", "RankingAttacks", "TripletEmbedder", "check_pairs",
           "empirical_robustness_score", "hardness", "intra_class_structure_loss",
           "linear_gradual_destination", "mine_triplets", "pair_dataset", "pgd",
           "retrieval_metrics", "triplet_loss"]
