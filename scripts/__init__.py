"""Command-line entry points (python -m scripts.<name>). Importing this package, which every one of
them does first, keeps Hugging Face offline: the encoder ships as a package and nothing is downloaded."""
import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
