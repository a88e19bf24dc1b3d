"""Optional apps built on the core: install only those a site uses."""
