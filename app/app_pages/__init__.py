"""Dashboard pages, one module each, registered in ``app/streamlit_app.py``."""
