"""MkDocs hooks: the reference pages are regenerated from the code before every build, so
a site built from a checkout always documents that checkout (docs/gen_reference.py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any


def on_pre_build(config: Any, **kwargs: Any) -> None:
    path = Path(__file__).with_name("gen_reference.py")
    spec = importlib.util.spec_from_file_location("releasekit_docs_gen_reference", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main([])
