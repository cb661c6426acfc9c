"""The forgetting trade-off in one picture: class accuracy against what a
fresh MLP probe still reads of the image source, for every trained row.

Each point is one model (a row of `nuisance_baselines.py --out`, or of
several such files); the vertical line is the issue's class budget (2 points
below the plain 128-d network, the row named `--reference`), the grey band
what the probe scores when there is nothing to find (`probe_splits.py
--shuffled-sources`, mean +- 2 std), the dotted line what it reads from the
published preset's class probabilities (`probe_splits.py --inputs
probabilities`). Give `--null` and `--floor` for the same probe as the y
axis (by default the recorded 30-epoch MLP probe, mean of 4 splits; for
`--metric source_probe_mlp_100_epochs_4_splits`, the `--epochs 100` outputs).

Usage:
    python -m research.forgetting.forget_tradeoff --rows docs/studies/forget_variants_16_epochs.json \\
        --null docs/studies/forget_probe_null.json --floor docs/studies/forget_probe_probabilities.json \\
        --out docs/img/forget_tradeoff.png
"""

import argparse
import json
from pathlib import Path

PREFIX = "forget_fashion_mnist_"
PROBE = "source_probe_mlp_4_splits"
COLOURS = (("plain", "0.45"), ("erm", "0.45"), ("cmmd", "tab:blue"),
           ("reversal", "tab:orange"), ("hybrid", "tab:green"))


def load_rows(paths, metric=PROBE):
    """`{short name: row}` of every forgetting row (with `metric`) in `paths`."""
    rows = {}
    for path in paths:
        for name, row in json.loads(Path(path).read_text()).items():
            if metric in row and "class_accuracy" in row:
                rows[name[len(PREFIX):] if name.startswith(PREFIX) else name] = row
    if not rows:
        raise ValueError(f"no rows with class_accuracy and {metric} in {list(map(str, paths))}")
    return rows


def colour(name):
    return next((c for key, c in COLOURS if name.startswith(key)), "tab:purple")


def plot(rows, out, reference="plain_dim128_16_epochs", null=None, floor=None,
         published="hybrid", metric=PROBE, zoom=((83.0, 87.8), (49.0, 61.0))):
    """Two panels: every row (left), and the rows near the budget and chance
    (right, numbered; the numbers are listed beside it)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (full, near) = plt.subplots(1, 2, figsize=(14, 6.5),
                                     gridspec_kw={"width_ratios": [1, 1.3]})
    names = sorted(rows, key=lambda n: (-rows[n]["class_accuracy"], n))
    listed = []
    for ax in (full, near):
        for name in names:
            row = rows[name]
            x, y = 100 * row["class_accuracy"], 100 * row[metric]
            star = name == published
            ax.scatter(x, y, s=180 if star else 40, marker="*" if star else "o",
                       color=colour(name), edgecolor="black" if star else "none", zorder=3)
            if ax is near and zoom[0][0] <= x <= zoom[0][1] and zoom[1][0] <= y <= zoom[1][1]:
                listed.append(name)
                ax.annotate(str(len(listed)), (x, y), textcoords="offset points",
                            xytext=(3, 3), fontsize=7)
            elif ax is full and (y > zoom[1][1] or x < zoom[0][0]):
                ax.annotate(name, (x, y), textcoords="offset points", xytext=(4, 3), fontsize=7)
        if reference in rows:
            budget = 100 * rows[reference]["class_accuracy"] - 2.0
            ax.axvline(budget, color="black", ls="--", lw=1)
        if null is not None:
            mean, std = 100 * null["mean"], 100 * null["std"]
            ax.axhspan(mean - 2 * std, mean + 2 * std, color="0.85", zorder=0)
        if floor is not None:
            ax.axhline(100 * floor["mean"], color="black", ls=":", lw=1)
        ax.grid(alpha=0.3)
        ax.set_xlabel("class accuracy on clean + textured test garments (%)")
    near.set_xlim(*zoom[0])
    near.set_ylim(*zoom[1])
    full.set_ylabel(f"source read by a fresh probe (%): {metric}")
    full.set_title("every row")
    near.set_title("near the budget and chance")
    notes = ["colours: grey plain training, blue class-conditional MMD alone,",
             "orange gradient reversal alone, green both"]
    if reference in rows:
        notes.append(f"dashed: class budget ({reference} - 2 points)")
    if null is not None:
        notes.append(f"grey: shuffled sources, {100 * null['mean']:.1f} +- 2 std "
                     f"({200 * null['std']:.1f})")
    if floor is not None:
        notes.append(f"dotted: probe on the published class probabilities, "
                     f"{100 * floor['mean']:.1f}")
    key = [f"{i}: {name}" + (" (published)" if name == published else "")
           for i, name in enumerate(listed, 1)]
    near.text(1.02, 1.0, "\n".join(key + [""] + notes), transform=near.transAxes, fontsize=7,
              va="top", family="monospace")
    fig.suptitle("Forgetting the image source: 16 epochs, one machine")
    fig.tight_layout()
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=100, bbox_inches="tight")
    plt.close(fig)
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", nargs="+", required=True,
                        help="JSON files of rows (nuisance_baselines.py --out)")
    parser.add_argument("--null", default=None,
                        help="output of probe_splits.py --shuffled-sources")
    parser.add_argument("--floor", default=None,
                        help="output of probe_splits.py --inputs probabilities")
    parser.add_argument("--reference", default="plain_dim128_16_epochs")
    parser.add_argument("--metric", default=PROBE,
                        help="the probe score on the y axis (a key of the rows)")
    parser.add_argument("--out", default="docs/img/forget_tradeoff.png")
    args = parser.parse_args()
    rows = load_rows(args.rows, args.metric)
    null = json.loads(Path(args.null).read_text()) if args.null else None
    floor = json.loads(Path(args.floor).read_text()) if args.floor else None
    print(plot(rows, args.out, args.reference, null, floor, metric=args.metric))


if __name__ == "__main__":
    main()
