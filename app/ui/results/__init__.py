"""The results page's sections (``screens/results.py`` is their outline): the grids and how they are read,
the grid across σ, one model's files."""
