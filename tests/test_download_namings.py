"""MELD and EmoryNLP read under the file names and folder layouts people actually download."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from core.data.corpora import load_emorynlp, load_meld
from scripts.corpus_info import main as corpus_info

FIXTURES = Path(__file__).parent / "fixtures" / "corpora"
EMORY, MELD = FIXTURES / "emorynlp", FIXTURES / "meld"
MELD_REPO_NAMES = {"trn": "emorynlp_train_final.csv", "dev": "emorynlp_dev_final.csv", "tst": "emorynlp_test_final.csv"}


def emorynlp_as_in_the_meld_repository(root: Path) -> Path:
    root.mkdir(parents=True)
    for short, name in MELD_REPO_NAMES.items():
        shutil.copy(EMORY / f"emotion-detection-{short}.csv", root / name)
    return root


def test_emorynlp_reads_both_namings_alike(tmp_path):
    original = load_emorynlp(EMORY, speaker_genders=EMORY / "speaker_genders.csv")
    copy = load_emorynlp(emorynlp_as_in_the_meld_repository(tmp_path / "emorynlp"),
                         speaker_genders=EMORY / "speaker_genders.csv")
    assert copy.table.equals(original.table) and copy.skipped == original.skipped
    assert set(copy.table.split) == {"train", "val", "test"}


def test_emorynlp_is_found_under_data_emorynlp_of_the_meld_repository(tmp_path):
    emorynlp_as_in_the_meld_repository(tmp_path / "MELD" / "data" / "emorynlp")
    loaded = load_emorynlp(tmp_path / "MELD", speaker_genders=EMORY / "speaker_genders.csv")
    assert loaded.table.equals(load_emorynlp(EMORY, speaker_genders=EMORY / "speaker_genders.csv").table)


def test_emorynlp_folder_with_neither_naming_lists_the_names_it_looked_for(tmp_path):
    (tmp_path / "emorynlp_train.csv").write_text("Utterance,Speaker,Emotion\n")
    with pytest.raises(FileNotFoundError) as error:
        load_emorynlp(tmp_path, speaker_genders={"Joey": "M"})
    message = str(error.value)
    for name in ("emotion-detection-trn.csv", "emotion-detection-tst.csv", "emorynlp_train_final.csv",
                 "emorynlp_test_final.csv"):
        assert name in message
    assert str(tmp_path) in message


def test_emorynlp_with_both_complete_namings_is_refused_not_guessed(tmp_path):
    root = emorynlp_as_in_the_meld_repository(tmp_path / "e")
    shutil.copy(EMORY / "emotion-detection-trn.csv", root / "emotion-detection-trn.csv")
    load_emorynlp(root, speaker_genders={"Joey": "M"})  # one stray file of the other naming is ignored
    for short in ("dev", "tst"):
        shutil.copy(EMORY / f"emotion-detection-{short}.csv", root / f"emotion-detection-{short}.csv")
    with pytest.raises(FileNotFoundError, match="both"):
        load_emorynlp(root, speaker_genders={"Joey": "M"})


def test_corpus_info_reads_the_meld_repository_naming(tmp_path, capsys):
    root = emorynlp_as_in_the_meld_repository(tmp_path / "emorynlp")
    assert corpus_info(["--kind", "emorynlp", str(root), "--speaker-genders",
                        str(EMORY / "speaker_genders.csv")]) == 0
    expected = len(load_emorynlp(EMORY, speaker_genders=EMORY / "speaker_genders.csv").table)
    assert f"total utterances: {expected}" in capsys.readouterr().out


@pytest.mark.parametrize("layout", [
    {"train": "", "val": "", "test": ""},                                   # flat
    {"train": "MELD.Raw/train/", "val": "MELD.Raw/", "test": "MELD.Raw/"},  # the extracted archive's parent
    {"train": "train/", "val": "", "test": ""},                             # MELD.Raw itself
    {"train": "train/", "val": "dev/", "test": "test/"},                    # one folder per split
    {"train": "data/MELD/", "val": "data/MELD/", "test": "data/MELD/"},     # the MELD repository
])
def test_meld_layouts(tmp_path, layout):
    names = {"train": "train_sent_emo.csv", "val": "dev_sent_emo.csv", "test": "test_sent_emo.csv"}
    for split, folder in layout.items():
        (tmp_path / folder).mkdir(parents=True, exist_ok=True)
        shutil.copy(MELD / names[split], tmp_path / folder / names[split])
    loaded = load_meld(tmp_path, speaker_genders=MELD / "speaker_genders.csv")
    original = load_meld(MELD, speaker_genders=MELD / "speaker_genders.csv")
    assert loaded.table.equals(original.table)


def test_meld_without_its_files_lists_the_names_and_places_looked_for(tmp_path):
    with pytest.raises(FileNotFoundError) as error:
        load_meld(tmp_path, speaker_genders={"Joey": "M"})
    message = str(error.value)
    assert "train_sent_emo.csv" in message and "dev_sent_emo.csv" in message and "MELD.Raw/train" in message
