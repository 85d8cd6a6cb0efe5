"""The agent families of hfrl (installed as ``hfrl.agents``).

Use :func:`hfrl.agents.registry.make_agent` or import a class directly, e.g.
``from hfrl.agents.tamer import Tamer``.
"""
