"""Demo writers, one module per dataset layout; importing this package registers them in DEMOS."""
from . import diffseg  # noqa: F401
