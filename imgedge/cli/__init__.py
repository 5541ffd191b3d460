"""``imgedge``: the command line (``serve``, ``resize``, ``sign``, ``purge``, ``warm``), one module per idea:
``main`` parses and dispatches, ``exits`` names every exit code, ``preflight`` checks what a command needs
before it changes anything, ``resizefile`` is ``imgedge resize``."""

from .main import main

__all__ = ["main"]
