"""The extractive reader: models by name, their loading, span finding, batched reading."""
