"""ANCER explorer — start with `streamlit run app/main.py` from the repository root."""
import sys
from pathlib import Path

import streamlit as st

ROOT = Path(__file__).resolve().parent.parent
for p in (str(ROOT), str(ROOT / "app")):  # works without `pip install -e .` too
    if p not in sys.path:
        sys.path.insert(0, p)

st.set_page_config(page_title="ANCER explorer", page_icon="🛡️", layout="wide")
pages = [st.Page(str(Path(__file__).parent / "live.py"), title="Live ANCER on CIFAR-10", icon="🖼️", default=True)]
st.navigation(pages).run()
