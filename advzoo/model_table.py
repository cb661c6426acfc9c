"""The README's model table, generated from the manifest so that it can never
disagree with it: `python -m advzoo.model_table`. Each family declares which
metrics head its rows (`Family.headline`)."""

from advzoo import presets
from advzoo.api import list_models
from advzoo.registry import get_family

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
        keys = get_family(entry["family"]).headline or [(k, k) for k in list(entry["metrics"])[:3]]
        metrics = ", ".join(f"{label} {entry['metrics'][k]}" for k, label in keys
                            if k in entry["metrics"])
        minutes = entry["train_seconds"] / 60
        rows.append(f"| `{name}` | {entry['family']} | {metrics} | {entry['epochs']} epochs, "
                    f"{minutes:.0f} min | `{entry['reproduce']}` | `{entry['evaluate']}` |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(markdown())
