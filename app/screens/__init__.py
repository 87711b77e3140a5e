"""The app's pages, one module each (routed by app/main.py); each reads as the page's outline."""
