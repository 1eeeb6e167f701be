"""The dashboard (SPEC §9): Streamlit pages over published results, read through ``queries``."""
