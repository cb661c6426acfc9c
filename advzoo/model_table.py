"""The README's model table, generated from the manifest so that it can never
disagree with it: `python -m advzoo.model_table`."""

from advzoo import presets
from advzoo.api import list_models

HEADLINE = {
    "classifier": [("test_accuracy", "test acc.")],
    "dcgan": [("classifier_fid", "cFID"), ("classifier_fid_real_floor", "real floor"),
              ("kid", "KID"), ("precision", "prec."), ("recall", "recall")],
}
HEADLINE["wgan"] = HEADLINE["dcgan"]
HEADLINE["bigan"] = [("classifier_fid", "cFID"), ("feature_1nn_accuracy", "1-NN acc. on E(x)"),
                     ("feature_linear_probe", "linear probe"),
                     ("reconstruction_mse", "recon. MSE")]
HEADLINE["aae"] = [("reconstruction_mse", "recon. MSE"), ("mmd_to_prior", "MMD to prior"),
                   ("test_accuracy", "test acc."), ("cluster_accuracy", "cluster acc.")]
# One list for every dann preset: each shows the metrics its setting reports.
HEADLINE["dann"] = [("target_test_accuracy", "target test acc."),
                    ("source_test_accuracy", "source test acc."),
                    ("class_accuracy", "class acc."),
                    ("source_probe_mlp", "source probe (MLP, chance 0.5)"),
                    ("source_probe_mlp_4_splits", "mean of 4 probe splits"),
                    ("source_probe_mlp_100_epochs_4_splits", "probe trained 100 epochs"),
                    ("same_source_neighbours", "same-source 10-NN"),
                    ("reversed_test_accuracy", "reversed-colour acc."),
                    ("colour_probe_mlp", "colour probe (MLP, chance 0.1)")]

HEADLINE["triplet"] = [("R@1", "R@1 %"), ("mAP", "mAP %"), ("NMI", "NMI %"),
                       ("ERS", "ERS (ten attacks, eps 77/255)")]


def markdown():
    manifest = presets.read_manifest()["presets"]
    rows = ["| model | family | headline metrics | trained (CPU) | reproduce | evaluate |",
            "|---|---|---|---|---|---|"]
    for name in list_models():
        entry = manifest.get(name)
        if entry is None:
            rows.append(f"| `{name}` | — | no weights published | — | "
                        f"`advzoo train zoo_configs/{name}.yaml --export` | — |")
            continue
        keys = HEADLINE.get(entry["family"], [(k, k) for k in list(entry["metrics"])[:3]])
        metrics = ", ".join(f"{label} {entry['metrics'][k]}" for k, label in keys
                            if k in entry["metrics"])
        minutes = entry["train_seconds"] / 60
        rows.append(f"| `{name}` | {entry['family']} | {metrics} | {entry['epochs']} epochs, "
                    f"{minutes:.0f} min | `{entry['reproduce']}` | `{entry['evaluate']}` |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(markdown())
