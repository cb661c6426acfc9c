"""Writing files so that an interruption leaves the old file or the new one."""

import os
from pathlib import Path


def atomic_write_text(path, text):
    """Writes `text` to `path` through a temporary sibling renamed into place."""
    tmp = Path(f"{path}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)
