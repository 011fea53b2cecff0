"""The one source of jaxmotor's version (read by ``pyproject.toml`` and ``jaxmotor.__version__``)."""

__version__ = "0.1.0"
