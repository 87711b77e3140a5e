"""The ANCER explorer (Streamlit): `ancer app`, or `streamlit run app/main.py` from a checkout.

Installed as the package ``ancer_app``."""
