"""The live page's sections (``pages/live.py`` is their outline): choices, image, run, certificates,
views of a run, attack."""
