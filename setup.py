"""Package discovery (the rest of the metadata is in pyproject.toml): the library, and the app's folder
``app/`` as the package ``ancer_app``, each with every sub-package found rather than listed."""

from setuptools import find_packages, setup

setup(
    packages=[
        *find_packages(include=["ancer_core", "ancer_core.*"]),
        "ancer_app",
        *(f"ancer_app.{name}" for name in find_packages("app")),
    ]
)
