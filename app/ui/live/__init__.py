"""The live page's sections (``screens/live.py`` is their outline): choices, image, run, certificates,
views of a run, attack."""
