"""Named points where a process can be made to die, so the tests can kill a run exactly there.

The kill tests run a build or an ingest with `PAPER_DIGEST_KILL_AT=<point>[:<n>]` in its
environment: the n-th time (the first by default) the process reaches `kill_point(<point>)`,
it kills itself with SIGKILL, as a power cut or the OOM killer would: no `finally`, no clean-up,
the disk exactly as that moment left it. Unset, a point costs one environment lookup.

The points (each named where it is called):
- `rendered` (`write.Staging.commit`): every changed file of the new site is in the staging
  folder, the site is untouched, no move has begun.
- `moving` (`write.apply_moves`): the first changed file is moved into the site, the others not
  yet (the moves are in the journal: the next build completes them).
- `temp-written` (`files.atomic_file`): a temporary file is written whole, not yet moved in.
- `paper-written` (`store.write_papers`): one more paper file is created or updated.
- `cache-saving` (`cache.BuildCache`): a table's rows are written, its transaction not
  committed.
"""

from __future__ import annotations

import os
import signal
from collections import Counter

KILL_AT = "PAPER_DIGEST_KILL_AT"

_reached: Counter[str] = Counter()


def kill_point(name: str) -> None:
    """Kill this process (SIGKILL) if `PAPER_DIGEST_KILL_AT` names this point and this pass."""
    wanted = os.environ.get(KILL_AT)
    if not wanted:
        return
    point, _, count = wanted.partition(":")
    if point != name:
        return
    _reached[name] += 1
    if _reached[name] >= int(count or 1):
        os.kill(os.getpid(), signal.SIGKILL)
