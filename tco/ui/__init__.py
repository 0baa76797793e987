"""The Streamlit page's parts; the only package in ``tco`` that may import streamlit.

``controls`` and ``links`` are pure (no streamlit) so they can be tested directly; the other
modules draw widgets or hold streamlit caches.
"""
