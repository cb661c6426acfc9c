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
