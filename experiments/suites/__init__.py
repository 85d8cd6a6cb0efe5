"""The built-in benchmark suites (``hfrl bench quick``, ...), shipped as package data ``hfrl.suites``."""
