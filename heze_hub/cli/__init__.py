"""The ``hub`` command: one module per command group, and the consoles they share."""
