"""The environment suite (installed as ``hfrl.envs``)."""
