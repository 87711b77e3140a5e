"""Results explorer (paper Figures 3–5, Tables 1, 2, 4, 5; Appendix F per σ) for the files written by `certify`.

The outline of the page; its sections are in ``ui.results``: which grid and how it is read, the grid
across σ, and one model's files (or uploaded ones) with their curves, tables and θ maps.
"""

from __future__ import annotations

import streamlit as st

from ancer_app.ui.results import across, grid, one_model


def main() -> None:
    st.title("Results explorer (ANCER, Figures 3–5, Tables 1–2 and 4–5)")
    st.caption(
        "Certified accuracy of fixed σ, Isotropic DD and ANCER over a data set, from the TSV files that "
        "`python -m ancer_core certify` writes (columns idx label predict radius radius_proxy correct min_sigma "
        "time p_lower gap; settings in FILE.tsv.json)."
    )
    models = grid.choose_grid()
    source = grid.choose_source(models)
    if source == grid.ACROSS:
        across.across_sigma(models)
        return
    model = models.get(source)
    tables = one_model.uploaded_tables() if model is None else dict(model.tables)
    metas = {} if model is None else dict(model.meta)
    tables = one_model.with_rows(tables)
    if not tables:
        st.info("Choose a shipped set or upload files.")
        return
    meta = next(iter(metas.values()), {})
    one_model.header(metas, model)
    one_model.curves(tables, meta, metas.values())
    one_model.accuracy_tables(tables, meta, metas.values())
    one_model.lost_and_gained_table(tables, meta.get("theta0"))
    one_model.figure5(tables, meta.get("theta0"), metas.values())
    if model is not None:
        one_model.theta_maps(model, tables)


main()
