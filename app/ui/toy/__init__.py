"""The toy page's parts (``pages/toy.py`` is their outline): choices, sections, your own drawn data."""
