"""Streamlit helpers shared by the pages (the faces layer); nothing below this imports streamlit."""
