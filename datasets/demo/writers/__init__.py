"""Demo writers, one module per dataset layout; importing this package registers them in DEMOS."""
from . import cocoglide, diffseg, dolos, semitruths  # noqa: F401
