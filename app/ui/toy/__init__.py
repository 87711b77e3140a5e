"""The toy page's parts (``screens/toy.py`` is their outline): choices, sections, your own drawn data."""
