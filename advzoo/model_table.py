"""The README's model table and each model card's metrics table, generated
from the manifest so that they can never disagree with it.

    python -m advzoo.model_table            # print the README table
    python -m advzoo.model_table --write    # rewrite README.md and docs/models/*.md in place

Each family declares which metrics head its rows (`Family.headline`); a
family's card is `docs/models/<family>.md`, with its table between the
`<!-- metrics -->` and `<!-- /metrics -->` markers.
"""

import sys
from pathlib import Path

from advzoo import presets
from advzoo.api import list_models
from advzoo.registry import get_family, get_recipe

BEGIN, END = "<!-- metrics -->", "<!-- /metrics -->"


def _metrics(entry):
    keys = get_family(entry["family"]).headline or [(k, k) for k in list(entry["metrics"])[:3]]
    return ", ".join(f"{label} {entry['metrics'][k]}" for k, label in keys
                     if k in entry["metrics"])


def _row(name, entry, link):
    family = entry["family"] if entry else get_recipe(name)["family"]
    title = f"[`{name}`](docs/models/{family}.md)" if link else f"`{name}`"
    if entry is None:
        return (f"| {title} | {family} | no weights published | — | "
                f"`advzoo train {name} --export` | — |")
    minutes = entry["train_seconds"] / 60
    return (f"| {title} | {family} | {_metrics(entry)} | {entry['epochs']} epochs, "
            f"{minutes:.0f} min | `{entry['reproduce']}` | `{entry['evaluate']}` |")


HEADER = ["| model | family | headline metrics | trained (CPU) | reproduce | evaluate |",
          "|---|---|---|---|---|---|"]


def markdown():
    """The README's table: every registered model, linked to its card."""
    manifest = presets.read_manifest()["presets"]
    return "\n".join(HEADER + [_row(n, manifest.get(n), link=True) for n in list_models()])


def card_markdown(family):
    """The metrics table of one family's card."""
    manifest = presets.read_manifest()["presets"]
    names = [n for n in list_models() if get_recipe(n)["family"] == family]
    return "\n".join(HEADER + [_row(n, manifest.get(n), link=False) for n in names])


def families():
    return sorted({get_recipe(n)["family"] for n in list_models()})


def _replace_block(text, block, where):
    if BEGIN not in text:
        raise ValueError(f"{where} has no {BEGIN} marker.")
    head, _, rest = text.partition(BEGIN)
    tail = rest.partition(END)[2] if END in rest else rest
    return f"{head}{BEGIN}\n{block}\n{END}{tail}"


def write(root=Path(".")):
    root = Path(root)
    readme = root / "README.md"
    readme.write_text(_replace_block(readme.read_text(), markdown(), readme))
    for family in families():
        card = root / "docs" / "models" / f"{family}.md"
        card.write_text(_replace_block(card.read_text(), card_markdown(family), card))


if __name__ == "__main__":
    if "--write" in sys.argv[1:]:
        write()
    else:
        print(markdown())
