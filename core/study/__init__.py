"""The built-in human trust study (SPEC §6): task selection, storage, simulated annotators, Table 2.

``tasks`` picks the utterances and shows them, ``store`` keeps tasks and responses in any
SQLAlchemy database, ``analysis`` turns valid responses into Table 2, ``simulate`` and ``stress``
fill a study with simulated or concurrent annotators. Nothing here imports streamlit or torch.
"""
