"""Management commands of the demo site (``seed_demo``)."""
