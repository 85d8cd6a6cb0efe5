"""The pygame apps: live rating and clip comparison (installed as ``hfrl.human_ui``)."""
