"""The results page's sections (``pages/results.py`` is their outline): the grids and how they are read,
the grid across σ, one model's files."""
