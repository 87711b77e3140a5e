"""ANCER explorer — `streamlit run app/main.py` from the repository root (with `pip install -e .` done).

This file only routes, and holds the two settings every page shares (presenter mode and the format
of figure downloads). Each page is a module in ``screens/``; what they share is the ``ui`` package
beside this file. Both are imported as ``ancer_app`` (the package this folder installs as, editable
in a checkout), so a checkout and an installed wheel run the same modules under the same names. The
folder is not called ``pages/``: Streamlit would take that for an old-style multipage app and, on a
just-started server, show its file names as the navigation.
"""

from pathlib import Path

import streamlit as st

from ancer_app.ui import display, lecture

PAGES = Path(__file__).parent / "screens"

st.set_page_config(page_title="ANCER explorer", page_icon="🛡️", layout="wide")
pages = {
    "live": st.Page(PAGES / "live.py", title="Live ANCER on CIFAR-10", icon="🖼️", default=True),
    "toy": st.Page(PAGES / "toy.py", title="Toy 2D (Figure 1)", icon="🎯", url_path="toy"),
    "hessian": st.Page(PAGES / "hessian.py", title="Hessian projections (Figure 7)", icon="⛰️", url_path="hessian"),
    "theory": st.Page(PAGES / "theory.py", title="Theory", icon="📐", url_path="theory"),
    "results": st.Page(PAGES / "results.py", title="Results explorer (Figures 3–5)", icon="📊", url_path="results"),
}
page = st.navigation(list(pages.values()))
display.presenter_toggle()
display.download_format_choice()
at = lecture.bar(pages)  # /?lecture=NAME: the step's note, Previous and Next
page.run()
lecture.prefetch_next(at)
