"""The dependencies' deprecation notices (TensorFlow, Rasa, Sanic, setuptools,
matplotlib...) are not an operator's business: the processes the launcher
starts do not print them. Everything else is still printed: every other kind
of warning (UserWarning, RuntimeWarning...), every error and log line, and
the deprecation warnings the project's own code raises or triggers (a
warning is attributed to the code that calls the deprecated thing).

Each of those processes calls ``silence()`` first thing, before it imports
its dependencies. PYTHONWARNINGS could not do it: Sanic's import puts
``once::DeprecationWarning`` in front of every filter (sanic/app.py), so
Sanic is imported here, before the filters are set.
"""

from __future__ import annotations

import warnings

QUIET = (DeprecationWarning, PendingDeprecationWarning, FutureWarning)
OWN = r"(__main__|bot|actions|channels|devtools)(\.|$)"  # the project's modules (and its entry point, run with -m)


def silence() -> None:
    import sanic  # noqa: F401 - its import-time filter goes first, ours in front of it

    for category in QUIET:
        warnings.filterwarnings("ignore", category=category)
        warnings.filterwarnings("default", category=category, module=OWN)
