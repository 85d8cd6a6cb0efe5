"""hfrl: reinforcement learning from human feedback, the classic (pre-LLM) way.

The core package holds what every part shares: feedback and segment types, simulated
teachers, reward models, credit assignment, the feedback store, seeding and the CLI.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("hfrl")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
