"""Shared pieces of the app's pages: Plotly figure builders (pure: data in, figure out), cached
resources, and what one page hands another (:class:`ui.session.Run`)."""
