"""hfrl: reinforcement learning from human feedback, the classic (pre-LLM) way.

The core package holds what every part shares: feedback and segment types, simulated
teachers, reward models, credit assignment, the feedback store, seeding and the CLI.
"""

from typing import Any

__all__ = ["__version__"]


def __getattr__(name: str) -> Any:
    """``hfrl.__version__``, looked up when first asked for (importlib.metadata takes tens
    of milliseconds, and the app commands open their window before anything slow)."""
    if name != "__version__":
        raise AttributeError(f"module 'hfrl' has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        found = version("hfrl")
    except PackageNotFoundError:  # running from a source tree that was not installed
        found = "0.0.0+unknown"
    globals()["__version__"] = found
    return found
