"""The dashboard layer: torch-free logic behind each page, charts, highlight HTML, the live path."""
