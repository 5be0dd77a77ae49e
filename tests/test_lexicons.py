"""Lexicons: phrase matching over word boundaries, valence binning, the gender swapper."""
import pytest

from core.data.lexicons import GenderLexicon, GenderSwapper, LexiconEntry, ValenceLexicon
from core.data.words import split_words, word_forms


def test_split_words_keeps_spans_apostrophes_and_emoji():
    text = "I don't know, isn't it?! 😀 zq0"
    words = split_words(text)
    assert [w.text for w in words] == ["I", "don't", "know", ",", "isn't", "it", "?!", "😀", "zq0"]
    assert all(text[w.start:w.end] == w.text for w in words)


def test_packaged_gender_lexicon_has_every_category_and_phrases():
    lexicon = GenderLexicon.load()
    cats = {e.category for e in lexicon.entries}
    assert cats == {"iat", "hedge", "tag_question", "politeness", "first_person", "profanity",
                    "referential", "gendered_term"}
    assert any(len(e.forms) > 1 for e in lexicon.entries)


def test_phrase_members_are_positions_inside_an_occurrence():
    lexicon = GenderLexicon((LexiconEntry(("kind", "of"), "hedge", "F"),
                             LexiconEntry(("damn",), "profanity", "M")))
    forms = word_forms("What kind of day, damn it, kind people")
    cats = lexicon.categories_at(forms)
    members = [f for f, c in zip(forms, cats) if c]
    assert members == ["kind", "of", "damn"]  # the second "kind" is no phrase occurrence
    assert lexicon.member_forms(forms) == {"kind": {"hedge"}, "of": {"hedge"}, "damn": {"profanity"}}


def test_phrase_does_not_match_across_a_missing_word():
    lexicon = GenderLexicon((LexiconEntry(("isn't", "it"), "tag_question", "F"),))
    assert lexicon.member_forms(word_forms("isn't that it")) == {}


def test_bad_lexicon_row_names_file_and_line(tmp_path):
    path = tmp_path / "lex.csv"
    path.write_text("entry,category,gender\nmaybe,hedge,F\nwhatever,nonsense,F\n")
    with pytest.raises(ValueError, match=r"lex.csv:3"):
        GenderLexicon.load(path)
    path.write_text("entry,category,gender\nmaybe,hedge,F\n\nwhatever,nonsense,F\n")  # a blank line 3
    with pytest.raises(ValueError, match=r"lex.csv:4"):
        GenderLexicon.load(path)
    path.write_text("entry,category,gender\nmaybe\n")  # a short row: no category, no gender
    with pytest.raises(ValueError, match=r"lex.csv:2: bad lexicon row"):
        GenderLexicon.load(path)


def test_vader_maps_to_unit_interval_and_bins():
    lexicon = ValenceLexicon.vader()
    assert lexicon.bin("wonderful") == "high"
    assert lexicon.bin("horrible") == "low"
    assert lexicon.bin("okay") == "mid"  # VADER 0.9 → (0.9 + 4) / 8 = 0.6125
    assert lexicon.bin("table") is None
    assert lexicon.scores["okay"] == pytest.approx(0.6125)


def test_nrc_vad_v2_range_is_rescaled(tmp_path):
    path = tmp_path / "nrc.txt"
    path.write_text("Word\tValence\tArousal\tDominance\nawful\t-0.8\t0.5\t0.1\nnice\t0.9\t0.1\t0.2\nchair\t0.0\t0\t0\n")
    lexicon = ValenceLexicon.nrc_vad(path)
    assert lexicon.scores["awful"] == pytest.approx(0.1)
    assert [lexicon.bin(w) for w in ("awful", "nice", "chair")] == ["low", "high", "mid"]


def test_nrc_vad_v1_range_is_kept(tmp_path):
    path = tmp_path / "nrc.txt"
    path.write_text("awful\t0.1\t0.5\t0.1\nnice\t0.9\t0.1\t0.2\n")
    assert ValenceLexicon.nrc_vad(path).scores == {"awful": 0.1, "nice": 0.9}


@pytest.mark.parametrize("text, swapped", [
    ("He gave her the book.", "She gave him the book."),     # her + determiner → him
    ("I saw her car yesterday", "I saw his car yesterday"),  # her + noun-like → his
    ("I saw her.", "I saw him."),                            # her at a phrase end → him
    ("I called her yesterday", "I called him yesterday"),    # her + adverb → him
    ("HER dog loves Him", "HIS dog loves Her"),              # case is preserved
    ("Mr. John and his wife", "Mrs. Amy and her husband"),
    ("That one is hers.", "That one is his."),
    ("Ma'am, the table is free", "Sir, the table is free"),
    ("Nothing gendered here", "Nothing gendered here"),
    ("She said he's here", "He said she's here"),            # contractions swap their stem
    ("Her husband's car", "His wife's car"),                 # possessive noun after her → his
    ("my boyfriend's mom", "my girlfriend's dad"),
    ("It isn't hers", "It isn't his"),
])
def test_swapper(text, swapped):
    assert GenderSwapper.load().swap(text) == swapped


def test_swap_twice_restores_unambiguous_words():
    swapper = GenderSwapper.load()
    text = "My husband and his brother met Mrs. Kate"
    assert swapper.swap(swapper.swap(text)) == text


def test_lexicon_errors_name_the_line_in_the_file(tmp_path):
    path = tmp_path / "nrc.txt"
    path.write_text("Word\tValence\tArousal\tDominance\n\nnice\t0.9\t0.1\t0.2\n\nbroken line\n")
    with pytest.raises(ValueError, match=r"nrc.txt:5: expected word<TAB>valence"):  # blank lines still count
        ValenceLexicon.nrc_vad(path)
