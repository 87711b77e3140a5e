"""ANCER explorer — start with `streamlit run app/main.py` from the repository root."""
import sys
from pathlib import Path

import streamlit as st

ROOT = Path(__file__).resolve().parent.parent
for p in (str(ROOT), str(ROOT / "app")):  # works without `pip install -e .` too
    if p not in sys.path:
        sys.path.insert(0, p)

st.set_page_config(page_title="ANCER explorer", page_icon="🛡️", layout="wide")
HERE = Path(__file__).parent
pages = [st.Page(str(HERE / "live.py"), title="Live ANCER on CIFAR-10", icon="🖼️", default=True),
         st.Page(str(HERE / "toy.py"), title="Toy 2D (Figure 1)", icon="🎯", url_path="toy"),
         st.Page(str(HERE / "hessian.py"), title="Hessian projections (Figure 7)", icon="⛰️", url_path="hessian"),
         st.Page(str(HERE / "theory.py"), title="Theory", icon="📐", url_path="theory"),
         st.Page(str(HERE / "results.py"), title="Results explorer (Figures 3–5)", icon="📊", url_path="results")]
st.navigation(pages).run()
