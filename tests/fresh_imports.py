"""Which packages a piece of code imports, run in a fresh interpreter (the import-light checks of
the library, the CLI and the analyzers)."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Sequence

_REPORT = "\nimport json as _json, sys as _sys\nprint(_json.dumps(sorted({_m.split('.')[0] for _m in _sys.modules})))\n"


def packages_imported(code: str, packages: Sequence[str], timeout: float = 300) -> list[str]:
    """Those of `packages` (top-level names) that `code` imported, sorted; the code must succeed."""
    done = subprocess.run([sys.executable, "-c", code + _REPORT], capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stdout + done.stderr
    return sorted(set(json.loads(done.stdout.strip().splitlines()[-1])) & set(packages))
