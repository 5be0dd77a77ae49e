"""scripts.corpus_info: the JSON shape, the text report, --out, and clean errors."""

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from core.data.corpora import COLUMNS, GENDERS, VALENCE_CLASSES
from scripts.corpus_info import main

FIXTURES = Path(__file__).parent / "fixtures" / "corpora"
REPO = Path(__file__).resolve().parents[1]


def run_json(capsys, *argv):
    assert main([*argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_json_has_counts_skipped_and_total(capsys):
    report = run_json(capsys, "--kind", "iemocap", str(FIXTURES / "iemocap"))
    assert set(report) == {"counts", "skipped", "total"}
    assert list(report["counts"]) == ["train", "val", "test"]
    for genders in report["counts"].values():
        assert list(genders) == list(GENDERS)
        assert all(list(classes) == list(VALENCE_CLASSES) for classes in genders.values())
    assert report["counts"]["test"] == {"F": {"low": 0, "mid": 1, "high": 0}, "M": {"low": 0, "mid": 0, "high": 1}}
    assert report["total"] == 14
    assert report["skipped"]["no evaluation"] == 1 and sum(report["skipped"].values()) == 7


def test_json_for_msp_counts_recording_types(capsys):
    report = run_json(capsys, "--kind", "msp_improv", str(FIXTURES / "msp_improv"))
    assert report["recording_types"] == {"P": 6, "R": 1, "S": 2}
    assert report["total"] == 9


def test_json_for_meld_with_speaker_genders(capsys):
    meld = FIXTURES / "meld"
    report = run_json(capsys, "--kind", "meld", str(meld), "--speaker-genders", str(meld / "speaker_genders.csv"))
    assert report["skipped"] == {"speaker not in gender map": 2} and report["total"] == 7


def test_text_report_and_out_csv(capsys, tmp_path):
    out = tmp_path / "muse.csv"
    assert main(["--kind", "muse", str(FIXTURES / "muse"), "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "total utterances: 7" in text
    assert "no transcript: 1" in text and "missing valence: 2" in text
    assert text.splitlines()[0].split() == ["split", "gender", *VALENCE_CLASSES, "total"]
    table = pd.read_csv(out, dtype={"speaker": str})
    assert list(table.columns[: len(COLUMNS)]) == list(COLUMNS) and len(table) == 7


def test_table_kind_takes_columns(capsys):
    columns = "utt_id=id,speaker=spk,gender=sex,text=sentence,valence=rating,split=part"
    report = run_json(capsys, "--kind", "table", str(FIXTURES / "table/ratings.csv"), "--columns", columns)
    assert report["total"] == 3 and list(report["counts"]) == ["train", "val"]


def test_errors_exit_2_with_file_and_line_and_no_traceback(tmp_path):
    bad = tmp_path / "Evaluation.txt"
    bad.write_text("UTD-IMPROV-S01A-F01-S-FM01.avi; N; A:3.0; V:high; D:3.0;\n")
    (tmp_path / "transcripts.tsv").write_text("UTD-IMPROV-S01A-F01-S-FM01\thi\n")
    result = subprocess.run(
        [sys.executable, "-m", "scripts.corpus_info", "--kind", "msp_improv", str(tmp_path)],
        cwd=REPO, capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 2 and result.stdout == ""
    assert f"{bad}:1: expected a number for 'V:<float>', got 'high'" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("argv, message", [
    (["--kind", "iemocap", "nowhere"], "nowhere: no such file or folder"),
    (["--kind", "iemocap", str(FIXTURES / "iemocap"), "--transcripts", "x.tsv"],
     "--transcripts does not apply to --kind iemocap"),
    (["--kind", "meld", str(FIXTURES / "meld")], "--kind meld needs --speaker-genders"),
    (["--kind", "table", str(FIXTURES / "table/ratings.csv")], "--kind table needs --columns"),
    (["--kind", "table", str(FIXTURES / "table/ratings.csv"), "--columns", "text"],
     "--columns expects comma-separated schema=column pairs"),
    (["--kind", "imdb", "x"], "invalid choice: 'imdb'"),
])
def test_misuse_prints_usage_and_exits_2(capsys, argv, message):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and err.startswith("usage: python -m scripts.corpus_info") and message in err
