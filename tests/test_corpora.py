"""Corpus loaders against hand-written fixtures in each real on-disk format (tests/fixtures/corpora)."""

import shutil
from pathlib import Path

import pytest

from core.data.corpora import (COLUMNS, FIVE_POINT, GENDERS, LOADERS, NINE_POINT, SPLITS, VALENCE_CLASSES,
                               CorpusFormatError, ValenceBins, assign_speaker_splits, load_corpus, load_emorynlp,
                               load_iemocap, load_meld, load_msp_improv, load_muse, load_table, read_speaker_genders)

FIXTURES = Path(__file__).parent / "fixtures" / "corpora"
IEMOCAP = FIXTURES / "iemocap"
MSP = FIXTURES / "msp_improv"
MUSE = FIXTURES / "muse"
MELD = FIXTURES / "meld"
EMORY = FIXTURES / "emorynlp"


def by_id(loaded, column):
    return dict(zip(loaded.table["utt_id"], loaded.table[column]))


def copy_fixture(src: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(src, tmp_path / src.name))


# --- valence bins -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bins, valence, expected",
    [
        (FIVE_POINT, 1.0, "low"),
        (FIVE_POINT, 2.75, "low"),
        (FIVE_POINT, 2.7501, "mid"),
        (FIVE_POINT, 3.25, "mid"),
        (FIVE_POINT, 3.2501, "high"),
        (FIVE_POINT, 5.0, "high"),
        (NINE_POINT, 3.75, "low"),
        (NINE_POINT, 3.7501, "mid"),
        (NINE_POINT, 4.25, "mid"),
        (NINE_POINT, 4.2501, "high"),
        (NINE_POINT, 9.0, "high"),
    ],
)
def test_bins_edges(bins, valence, expected):
    assert bins.bin(valence) == expected


@pytest.mark.parametrize("valence", [0.0, 0.999, 5.001, 6.0, float("nan")])
def test_bins_reject_values_outside_the_scale(valence):
    with pytest.raises(ValueError, match="outside the scale"):
        FIVE_POINT.bin(valence)


def test_bins_are_configurable_and_validated():
    assert ValenceBins(2.0, 4.0).bin(3.5) == "mid"
    with pytest.raises(ValueError, match="low_max < mid_max"):
        ValenceBins(3.25, 2.75)
    with pytest.raises(ValueError):
        ValenceBins(3.0, 6.0)  # mid_max beyond the 1-5 scale


# --- IEMOCAP ----------------------------------------------------------------------------------------


def test_iemocap_fixture_really_has_bom_and_crlf():
    raw = (IEMOCAP / "Session1/dialog/transcriptions/Ses01F_impro01.txt").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw


def test_iemocap_rows_schema_and_classes():
    loaded = load_iemocap(IEMOCAP)
    assert list(loaded.table.columns[: len(COLUMNS)]) == list(COLUMNS)
    assert {"session", "emotion"} <= set(loaded.table.columns)
    assert set(loaded.table["corpus"]) == {"iemocap"}
    assert by_id(loaded, "valence_class") == {
        "Ses01F_impro01_F000": "low",
        "Ses01F_impro01_M000": "high",
        "Ses01F_impro01_F001": "low",  # 2.75 exactly
        "Ses01F_impro01_M001": "mid",  # 3.25 exactly
        "Ses01F_impro01_M002": "high",  # 3.2501
        "Ses01F_impro01_F003": "mid",  # 2.7501
        "Ses02M_script01_1_F000": "mid",
        "Ses02M_script01_1_M000": "low",
        "Ses03F_impro02_F000": "high",
        "Ses03F_impro02_M000": "low",
        "Ses04M_impro01_F000": "low",
        "Ses04M_impro01_M000": "mid",
        "Ses05F_impro03_F000": "mid",
        "Ses05F_impro03_M000": "high",
    }
    assert by_id(loaded, "valence")["Ses01F_impro01_M000"] == 3.5  # V is the first of [V, A, D]


def test_iemocap_skips_are_counted_by_reason():
    assert load_iemocap(IEMOCAP).skipped == {
        "overlapping/unlabelled turn (XX)": 1,  # Ses01F_impro01_MXX0
        "not a turn line": 1,  # "M: [BREATHING]"
        "no evaluation": 1,  # F002, labelled only in the Attribute/ subfolder
        "unknown gender": 1,  # _U000
        "valence out of range": 1,  # 6.0 on 1-5
        "missing valence": 1,  # nan
        "evaluation without transcript": 1,  # M009
    }


def test_iemocap_gender_comes_from_the_turn_suffix_never_the_session_prefix():
    loaded = load_iemocap(IEMOCAP)
    gender, speaker = by_id(loaded, "gender"), by_id(loaded, "speaker")
    assert gender["Ses01F_impro01_M000"] == "M" and speaker["Ses01F_impro01_M000"] == "Ses01_M"
    assert gender["Ses02M_script01_1_F000"] == "F" and speaker["Ses02M_script01_1_F000"] == "Ses02_F"
    assert loaded.table["speaker"].nunique() == 10


def test_iemocap_text_keeps_colons_and_brackets():
    text = by_id(load_iemocap(IEMOCAP), "text")
    assert text["Ses01F_impro01_F000"] == "Excuse me."  # no BOM, no CR
    assert text["Ses01F_impro01_F001"] == "Yeah: I have them: right here."
    assert text["Ses02M_script01_1_M000"] == "Note: the sign said [closed]: go home."


def test_iemocap_evaluation_subfolders_are_ignored():
    loaded = load_iemocap(IEMOCAP)  # Categorical/ holds a malformed summary-looking line
    assert "Ses01F_impro01_F002" not in set(loaded.table["utt_id"])  # Attribute/ would have labelled it


def test_iemocap_sessions_give_speaker_independent_splits():
    table = load_iemocap(IEMOCAP).table
    assert dict(zip(table["session"], table["split"])) == {1: "train", 2: "train", 3: "train", 4: "val", 5: "test"}
    assert table.groupby("speaker")["split"].nunique().max() == 1
    assert set(load_iemocap(IEMOCAP, split="all").table["split"]) == {"all"}


def test_iemocap_wrong_field_count_names_file_and_line(tmp_path):
    root = copy_fixture(IEMOCAP, tmp_path)
    path = root / "Session2/dialog/EmoEvaluation/Ses02M_script01_1.txt"
    lines = path.read_text().splitlines()
    lines[5] = "[3.0000 - 4.5000]\tSes02M_script01_1_M000\t[1.5000, 2.0000, 2.0000]"  # emotion missing
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(CorpusFormatError, match=r"Ses02M_script01_1\.txt:6: expected 4 tab-separated fields") as info:
        load_iemocap(root)
    assert info.value.line == 6 and info.value.path == path


def test_iemocap_unparsable_vad_names_file_and_line(tmp_path):
    root = copy_fixture(IEMOCAP, tmp_path)
    path = root / "Session3/dialog/EmoEvaluation/Ses03F_impro02.txt"
    path.write_text(path.read_text().replace("[4.0000, 3.0000, 3.0000]", "[high, 3.0000, 3.0000]"))
    with pytest.raises(CorpusFormatError, match=r"Ses03F_impro02\.txt:3: expected a number for '\[V, A, D\]', got 'high'"):
        load_iemocap(root)
    path.write_text(path.read_text().replace("[high, 3.0000, 3.0000]", "[4.0, 3.0]"))
    with pytest.raises(CorpusFormatError, match=r"Ses03F_impro02\.txt:3: expected '\[V, A, D\]'"):
        load_iemocap(root)


def test_iemocap_without_sessions_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="no Session<N> folders"):
        load_iemocap(tmp_path)


# --- MSP-IMPROV -------------------------------------------------------------------------------------


def test_msp_rows_decode_the_name():
    loaded = load_msp_improv(MSP)
    row = loaded.table.set_index("utt_id").loc["UTD-IMPROV-S01A-F01-S-FM01"]
    assert (row["speaker"], row["gender"], row["recording_type"], row["emotion"]) == ("F01", "F", "S", "N")
    assert row["valence"] == 3.5 and row["text"] == "Wait: are you serious?"
    assert by_id(loaded, "valence_class") == {
        "UTD-IMPROV-S01A-F01-S-FM01": "high",
        "UTD-IMPROV-S01A-M01-P-MF01": "high",  # no N: field
        "UTD-IMPROV-S02A-F02-P-FM01": "low",  # 2.75
        "UTD-IMPROV-S02A-M02-P-MF01": "mid",  # 3.25
        "UTD-IMPROV-S02A-M02-P-MF02": "high",  # 3.2501; transcript id written with .avi
        "UTD-IMPROV-S03A-F03-R-FM01": "mid",  # 2.7501
        "UTD-IMPROV-S03A-M03-S-MF01": "low",
        "UTD-IMPROV-S04A-F04-P-FM01": "high",
        "UTD-IMPROV-S04A-M04-P-MF01": "low",
    }
    assert loaded.skipped == {
        "missing valence": 2,  # V:nan and no V: field
        "no transcript": 1,
        "unknown gender": 1,  # X04
        "valence out of range": 1,  # V:0.0
    }


def test_msp_recording_type_filter_is_counted():
    loaded = load_msp_improv(MSP, recording_types={"P"})
    assert set(loaded.table["recording_type"]) == {"P"} and len(loaded.table) == 6
    assert loaded.skipped == {
        "recording type S filtered": 2,
        "recording type R filtered": 2,
        "recording type T filtered": 1,
        "no transcript": 1,
        "unknown gender": 1,
        "valence out of range": 1,
    }


def test_msp_transcripts_path_option_and_missing_file(tmp_path):
    shutil.copy(MSP / "Evaluation.txt", tmp_path)
    with pytest.raises(FileNotFoundError, match="transcripts.tsv: transcripts file not found"):
        load_msp_improv(tmp_path)
    assert len(load_msp_improv(tmp_path, transcripts=MSP / "transcripts.tsv").table) == 9
    with pytest.raises(FileNotFoundError, match="no Evaluation.txt; give the MSP-IMPROV folder"):
        load_msp_improv(FIXTURES)  # a wrong root is named as such, not as missing transcripts


def test_msp_speaker_split_is_deterministic_disjoint_and_gender_stratified():
    first, again = load_msp_improv(MSP, seed=3).table, load_msp_improv(MSP, seed=3).table
    assert first["split"].tolist() == again["split"].tolist()
    assert first.groupby("speaker")["split"].nunique().max() == 1
    speakers = first.drop_duplicates("speaker")
    for split in ("train", "val", "test"):  # 4 speakers per gender: 2 train, 1 val, 1 test
        assert sorted(speakers.loc[speakers["split"] == split, "gender"]) == (["F", "F", "M", "M"] if split == "train" else ["F", "M"])
    by_seed = {tuple(load_msp_improv(MSP, seed=s).table["split"]) for s in range(6)}
    assert len(by_seed) > 1  # the seed matters
    assert set(load_msp_improv(MSP, split="all").table["split"]) == {"all"}


def test_msp_malformed_valence_field_names_file_and_line(tmp_path):
    root = copy_fixture(MSP, tmp_path)
    path = root / "Evaluation.txt"
    path.write_bytes(path.read_bytes().replace(b"V:2.750000", b"V:2.7x"))
    with pytest.raises(CorpusFormatError, match=r"Evaluation\.txt:15: expected a number for 'V:<float>', got '2\.7x'"):
        load_msp_improv(root)
    path.write_bytes(path.read_bytes().replace(b"V:2.7x", b"V 2.75"))
    with pytest.raises(CorpusFormatError, match=r"Evaluation\.txt:15: expected '<letter>:<float>' field, got 'V 2\.75'"):
        load_msp_improv(root)


def test_msp_wrong_field_count_and_bad_name(tmp_path):
    root = copy_fixture(MSP, tmp_path)
    path = root / "Evaluation.txt"
    original = path.read_bytes()
    path.write_bytes(original.replace(b"UTD-IMPROV-S02A-F02-P-FM01.avi; N; A:3.000000; V:2.750000; D:3.000000; N:4.000000;", b"UTD-IMPROV-S02A-F02-P-FM01.avi; N;"))
    with pytest.raises(CorpusFormatError, match=r"Evaluation\.txt:15: expected 'name; emotion; A:\.\.; V:\.\.; D:\.\.;', got 2 fields"):
        load_msp_improv(root)
    path.write_bytes(original.replace(b"UTD-IMPROV-S02A-F02-P-FM01", b"UTD-IMPROV-S02A-F2-P-FM01"))
    with pytest.raises(CorpusFormatError, match=r"Evaluation\.txt:15: cannot decode"):
        load_msp_improv(root)


def test_msp_malformed_transcript_line(tmp_path):
    (tmp_path / "t.tsv").write_text("UTD-IMPROV-S01A-F01-S-FM01\tfine\nno tab here\n")
    with pytest.raises(CorpusFormatError, match=r"t\.tsv:2: expected 'utt_id<TAB>text'"):
        load_msp_improv(MSP, transcripts=tmp_path / "t.tsv")


# --- MuSE -------------------------------------------------------------------------------------------


def test_muse_rows_nine_point_bins_and_skips():
    loaded = load_muse(MUSE)
    assert by_id(loaded, "valence_class") == {
        "01_m1_s01": "high",
        "01_m1_s02": "low",  # 3.75
        "02_f1_s01": "mid",  # 4.25
        "02_f1_s02": "high",  # 4.2501
        "03_m1_s03": "mid",  # 3.7501
        "05_m1_s02": "low",
        "06_f1_s01": "high",
    }
    assert by_id(loaded, "gender") == {  # Male, male, Female, F, M ...
        "01_m1_s01": "M", "01_m1_s02": "M", "02_f1_s01": "F", "02_f1_s02": "F",
        "03_m1_s03": "M", "05_m1_s02": "M", "06_f1_s01": "F",
    }  # fmt: skip
    assert by_id(loaded, "speaker")["02_f1_s01"] == "02"
    assert by_id(loaded, "text")["02_f1_s01"] == "My exam is next week. I am not ready."
    assert by_id(loaded, "text")["01_m1_s02"] == "It rained: all of it, all day."
    assert loaded.skipped == {"missing valence": 2, "valence out of range": 1, "unknown gender": 1, "no transcript": 1}
    assert "type" in loaded.table


def test_muse_split_is_speaker_disjoint_and_deterministic():
    table = load_muse(MUSE, seed=1).table
    assert table["split"].tolist() == load_muse(MUSE, seed=1).table["split"].tolist()
    assert table.groupby("speaker")["split"].nunique().max() == 1
    assert set(load_muse(MUSE, split="all").table["split"]) == {"all"}


def test_muse_csv_must_be_unambiguous(tmp_path):
    root = copy_fixture(MUSE, tmp_path)
    shutil.copy(root / "muse_ratings.csv", root / "other.csv")
    with pytest.raises(FileNotFoundError, match=r"exactly one ratings \*\.csv, found \['muse_ratings.csv', 'other.csv'\]"):
        load_muse(root)
    assert len(load_muse(root, csv=root / "other.csv").table) == 7


def test_muse_unparsable_valence_names_file_and_line(tmp_path):
    root = copy_fixture(MUSE, tmp_path)
    path = root / "muse_ratings.csv"
    path.write_bytes(path.read_bytes().replace(b"06_f1_s01,F,monologue,8.0", b"06_f1_s01,F,monologue,eight"))
    with pytest.raises(CorpusFormatError, match=r"muse_ratings\.csv:13: expected a number for Valence_Mean, got 'eight'"):
        load_muse(root)


def test_muse_wrong_field_count_names_file_and_line(tmp_path):
    root = copy_fixture(MUSE, tmp_path)
    path = root / "muse_ratings.csv"
    path.write_bytes(path.read_bytes().replace(b"02_f1_s02,F,monologue,4.2501,5.0", b"02_f1_s02,F,monologue"))
    with pytest.raises(CorpusFormatError, match=r"muse_ratings\.csv:5: expected 5 fields, got 3"):
        load_muse(root)


# --- MELD and EmoryNLP ------------------------------------------------------------------------------


def test_meld_sentiment_files_splits_and_unmapped_speakers():
    loaded = load_meld(MELD, speaker_genders=MELD / "speaker_genders.csv")
    table = loaded.table.set_index("utt_id")
    assert table["split"].to_dict() == {
        "train_dia0_utt0": "train", "train_dia0_utt2": "train", "train_dia1_utt0": "train",
        "train_dia1_utt1": "train", "val_dia0_utt0": "val", "val_dia0_utt1": "val", "test_dia0_utt1": "test",
    }  # fmt: skip
    assert table.loc["train_dia0_utt2", ["valence", "valence_class"]].tolist() == [1.0, "high"]
    assert table.loc["train_dia1_utt0", ["valence", "valence_class", "gender"]].tolist() == [-1.0, "low", "F"]
    assert table.loc["train_dia1_utt1", "text"] == 'I said: "we were on a break!"'
    assert table.loc["train_dia1_utt1", "gender"] == "M"  # "ross" matches "Ross" case-insensitively
    assert loaded.skipped == {"speaker not in gender map": 2}  # The Interviewer, Mark


def test_meld_accepts_a_mapping_and_rejects_unknown_sentiment(tmp_path):
    loaded = load_meld(MELD, speaker_genders={"Chandler": "M"})
    assert set(loaded.table["speaker"]) == {"Chandler"} and loaded.skipped == {"speaker not in gender map": 7}
    root = copy_fixture(MELD, tmp_path)
    path = root / "dev_sent_emo.csv"
    path.write_text(path.read_text().replace("neutral,neutral", "neutral,meh"))
    with pytest.raises(CorpusFormatError, match=r"dev_sent_emo\.csv:3: Sentiment must be negative, neutral or positive, got 'meh'"):
        load_meld(root, speaker_genders={"Joey": "M"})


def test_emorynlp_emotions_list_speakers_and_skips():
    loaded = load_emorynlp(EMORY, speaker_genders=EMORY / "speaker_genders.csv")
    table = loaded.table.set_index("utt_id")
    assert table["valence_class"].to_dict() == {
        "train_s1_e1_c1_u1": "high",  # Joyful
        "train_s1_e1_c1_u2": "mid",  # Neutral
        "train_s1_e1_c1_u3": "high",  # Powerful
        "val_s2_e3_c2_u1": "low",  # Mad
        "val_s2_e3_c2_u2": "low",  # Sad
        "test_s3_e4_c3_u1": "high",  # Peaceful
    }
    assert table.loc["train_s1_e1_c1_u1", ["speaker", "gender"]].tolist() == ["Monica Geller", "F"]
    assert loaded.skipped == {"multiple speakers": 1, "speaker not in gender map": 1}


def test_emorynlp_malformed_speaker_list_names_file_and_line(tmp_path):
    root = copy_fixture(EMORY, tmp_path)
    path = root / "emotion-detection-tst.csv"
    path.write_text(path.read_text().replace("\"['Rachel Green']\"", "\"['Rachel Green'\""))
    with pytest.raises(CorpusFormatError, match=r"emotion-detection-tst\.csv:2: expected a Speaker list"):
        load_emorynlp(root, speaker_genders=EMORY / "speaker_genders.csv")


def test_read_speaker_genders_normalises_and_validates(tmp_path):
    assert read_speaker_genders(MELD / "speaker_genders.csv") == {
        "Chandler": "M", "Monica": "F", "Ross": "M", "Phoebe": "F", "Joey": "M", "Rachel": "F",
    }  # fmt: skip
    (tmp_path / "g.csv").write_text("speaker,gender\nAnn,F\nBob,unknown\n")
    with pytest.raises(CorpusFormatError, match=r"g\.csv:3: gender must be F, M, female or male, got 'unknown'"):
        read_speaker_genders(tmp_path / "g.csv")
    (tmp_path / "h.csv").write_text("name,gender\nAnn,F\n")
    with pytest.raises(CorpusFormatError, match=r"h\.csv:1: missing column\(s\) \['speaker'\]"):
        read_speaker_genders(tmp_path / "h.csv")


# --- any table --------------------------------------------------------------------------------------

RATINGS_COLUMNS = {"utt_id": "id", "speaker": "spk", "gender": "sex", "text": "sentence", "valence": "rating", "split": "part"}
LABEL_COLUMNS = {"speaker": "who", "gender": "sex", "text": "sentence", "valence_class": "class"}


def test_table_csv_with_ratings_and_split_column():
    loaded = load_table(FIXTURES / "table/ratings.csv", columns=RATINGS_COLUMNS)
    table = loaded.table.set_index("utt_id")
    assert table[["gender", "valence_class", "split"]].to_dict("index") == {
        "u1": {"gender": "F", "valence_class": "high", "split": "train"},
        "u2": {"gender": "F", "valence_class": "low", "split": "train"},
        "u3": {"gender": "M", "valence_class": "mid", "split": "val"},  # dev -> val
    }
    assert loaded.skipped == {"empty text": 1, "missing valence": 1, "unknown gender": 1}
    assert set(loaded.table["corpus"]) == {"ratings"}


def test_table_jsonl_with_classes_and_speaker_split():
    loaded = load_table(FIXTURES / "table/labels.jsonl", columns=LABEL_COLUMNS, corpus="mine")
    table = loaded.table.set_index("utt_id")
    assert table["valence_class"].to_dict() == {"labels-1": "high", "labels-2": "mid", "labels-4": "low"}
    assert table["valence"].tolist() == [1.0, 0.0, -1.0]
    assert loaded.skipped == {"missing valence": 1}  # "class": null
    assert set(table["corpus"]) == {"mine"}
    assert loaded.table.groupby("speaker")["split"].nunique().max() == 1


def test_table_tsv_and_options_are_validated(tmp_path):
    (tmp_path / "t.tsv").write_text("s\tg\tx\tv\nA\tM\thello: there\t4.5\n")
    loaded = load_table(tmp_path / "t.tsv", columns={"speaker": "s", "gender": "g", "text": "x", "valence": "v"}, split="all")
    assert loaded.table[["text", "valence_class", "split"]].values.tolist() == [["hello: there", "high", "all"]]
    with pytest.raises(ValueError, match=r"unknown key\(s\) \['label'\]"):
        load_table(tmp_path / "t.tsv", columns={"speaker": "s", "gender": "g", "text": "x", "label": "v"})
    with pytest.raises(ValueError, match="exactly one of 'valence' and 'valence_class'"):
        load_table(tmp_path / "t.tsv", columns={"speaker": "s", "gender": "g", "text": "x"})
    with pytest.raises(ValueError, match="unknown table format '.xlsx'"):
        load_table(tmp_path / "t.xlsx", columns={"speaker": "s", "gender": "g", "text": "x", "valence": "v"})
    with pytest.raises(CorpusFormatError, match=r"t\.tsv:1: missing column\(s\) \['rating'\]"):
        load_table(tmp_path / "t.tsv", columns={"speaker": "s", "gender": "g", "text": "x", "valence": "rating"})


def test_table_keeps_an_id_of_zero_and_numbers_rows_without_one(tmp_path):
    (tmp_path / "ids.jsonl").write_text('{"id": 0, "who": "a", "sex": "F", "sentence": "hi", "class": "low"}\n'
                                        '{"id": "", "who": "a", "sex": "F", "sentence": "yo", "class": "high"}\n')
    loaded = load_table(tmp_path / "ids.jsonl", columns={**LABEL_COLUMNS, "utt_id": "id"}, split="all")
    assert loaded.table["utt_id"].tolist() == ["0", "ids-2"]


def test_table_jsonl_errors_name_file_and_line(tmp_path):
    (tmp_path / "bad.jsonl").write_text('{"who": "a", "sex": "F", "sentence": "hi", "class": "low"}\n{"who": "a",\n')
    with pytest.raises(CorpusFormatError, match=r"bad\.jsonl:2: invalid JSON"):
        load_table(tmp_path / "bad.jsonl", columns=LABEL_COLUMNS)
    (tmp_path / "odd.jsonl").write_text('{"who": "a", "sex": "F", "sentence": "hi", "class": "good"}\n')
    with pytest.raises(CorpusFormatError, match=r"odd\.jsonl:1: valence_class must be low, mid or high, got 'good'"):
        load_table(tmp_path / "odd.jsonl", columns=LABEL_COLUMNS)


# --- speaker split, summary and registry ------------------------------------------------------------


@pytest.mark.parametrize(
    "n, expected",
    [(1, {"train": 1}), (2, {"train": 1, "test": 1}), (3, {"train": 1, "val": 1, "test": 1}),
     (5, {"train": 3, "val": 1, "test": 1}), (10, {"train": 6, "val": 2, "test": 2})],
)  # fmt: skip
def test_assign_speaker_splits_sizes_per_gender(n, expected):
    speakers = {f"F{i}": "F" for i in range(n)} | {f"M{i}": "M" for i in range(n)}
    splits = assign_speaker_splits(speakers, seed=7)
    for gender in GENDERS:
        chosen = [split for speaker, split in splits.items() if speakers[speaker] == gender]
        assert {s: chosen.count(s) for s in set(chosen)} == expected
    assert splits == assign_speaker_splits(speakers, seed=7)
    with pytest.raises(ValueError, match="sum < 1"):
        assign_speaker_splits(speakers, val_fraction=0.5, test_fraction=0.5)


def test_summary_counts_every_gender_and_class():
    summary = load_iemocap(IEMOCAP).summary()
    assert list(summary["counts"]) == ["train", "val", "test"]
    assert summary["counts"]["val"] == {"F": {"low": 1, "mid": 0, "high": 0}, "M": {"low": 0, "mid": 1, "high": 0}}
    assert summary["total"] == 14 == sum(n for g in summary["counts"].values() for c in g.values() for n in c.values())
    assert set(summary["counts"]["train"]["F"]) == set(VALENCE_CLASSES) and "all" in SPLITS


def test_load_corpus_dispatches_and_validates():
    assert set(LOADERS) == {"iemocap", "msp_improv", "muse", "meld", "emorynlp", "table"}
    assert len(load_corpus("msp_improv", MSP, recording_types="P").table) == 6
    with pytest.raises(ValueError, match="unknown corpus kind 'ravdess'; valid kinds: emorynlp, iemocap, meld"):
        load_corpus("ravdess", MSP)
    with pytest.raises(ValueError, match=r"iemocap takes no option\(s\) \['seed'\]"):
        load_corpus("iemocap", IEMOCAP, seed=1)
    with pytest.raises(ValueError, match="split must be one of"):
        load_corpus("iemocap", IEMOCAP, split="speaker")


def test_msp_transcripts_header_line_is_not_an_utterance(tmp_path):
    root = copy_fixture(MSP, tmp_path)
    path = root / "transcripts.tsv"
    without = load_msp_improv(root).table
    path.write_text("utt_id\ttext\n" + path.read_text(encoding="utf-8-sig"))
    with_header = load_msp_improv(root).table
    assert "utt_id" not in set(with_header["utt_id"])
    assert with_header["utt_id"].tolist() == without["utt_id"].tolist()
