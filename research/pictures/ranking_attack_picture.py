"""What a ranking attack does, and what Hardness Manipulation buys: for a few
test queries, the top-k retrievals before and after an L-inf PGD attack
(default: the embedding-shift attack ES, eps = 77/255, 32 steps of 3/255),
for the undefended and the HM-trained preset.

Each row: the query (white frame), its top-k (green frame = same class, red
= other class), then the adversarial query and its top-k.

Usage:
    python -m research.pictures.ranking_attack_picture --out docs/img/ranking_attack.png
"""

import argparse
from pathlib import Path

import numpy as np


import advzoo
from advzoo import data as adata
from advzoo.models.triplet import RankingAttacks
from advzoo.models.triplet.triplet_presets import unit_images

GREEN, RED, WHITE = (60, 200, 60), (220, 50, 50), (255, 255, 255)


def tile(image, colour):
    frame = np.zeros((32, 32, 3), np.uint8)
    frame[:, :] = colour
    frame[2:30, 2:30] = (np.clip(image[..., 0], 0, 1) * 255).astype(np.uint8)[..., None]
    return frame


def retrieval_row(query_image, query_label, embedding, database, images, labels, k, exclude):
    d = 2.0 - 2.0 * database @ embedding
    d[exclude] = np.inf  # the query's own benign image is not a result
    top = np.argsort(d)[:k]
    row = [tile(query_image, WHITE)] + [
        tile(images[j], GREEN if labels[j] == query_label else RED) for j in top]
    return row, labels[top[0]] == query_label


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+",
                        default=["triplet_fashion_mnist", "hm_triplet_fashion_mnist"])
    parser.add_argument("--attack", default="ES", choices=["ES", "LTM", "GTM", "QA-"])
    parser.add_argument("--queries", type=int, default=4)
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--out", default="docs/img/ranking_attack.png")
    args = parser.parse_args()

    from PIL import Image

    x, y = adata.load("fashion_mnist", "test")
    database_images = unit_images(x)
    queries = np.random.default_rng(3).choice(len(y), args.queries, replace=False)
    panels = []
    for name in args.models:
        model = advzoo.load(name)
        attacks = RankingAttacks(model, database_images, y)
        adversarial = attacks.adversarial_images(args.attack, queries)
        emb_adv = model.embed(adversarial)
        rows, correct = [], []
        for i, q in enumerate(queries):
            before, _ = retrieval_row(database_images[q], y[q], attacks.candidates[q],
                                      attacks.candidates, database_images, y, args.k, q)
            after, ok = retrieval_row(adversarial[i], y[q], emb_adv[i], attacks.candidates,
                                      database_images, y, args.k, q)
            correct.append(ok)
            gap = [np.full((32, 12, 3), 255, np.uint8)]
            rows.append(np.concatenate(before + gap + after, 1))
        panel = np.concatenate(rows, 0)
        print(f"{name}: top-1 correct after {args.attack} on these queries: "
              f"{100 * np.mean(correct):.0f}%")
        panels.append(panel)
    gap = np.full((panels[0].shape[0], 20, 3), 255, np.uint8)
    picture = np.concatenate(sum([[p, gap] for p in panels], [])[:-1], 1)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(picture).resize((picture.shape[1] * 2, picture.shape[0] * 2),
                                    Image.NEAREST).save(args.out)
    print(f"wrote {args.out} (left to right: {', '.join(args.models)}; in each, benign query "
          f"+ top-{args.k}, then adversarial query + top-{args.k})")


if __name__ == "__main__":
    main()
