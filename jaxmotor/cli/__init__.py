"""The ``jaxmotor`` command line: a thin shell over the library."""
