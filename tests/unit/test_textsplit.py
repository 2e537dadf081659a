"""Sentence splitting and chunking of long text for speech synthesis."""

from openvino_ui.textsplit import chunk_text, split_sentences


def test_sentences():
    text = 'Hello there! How are you? I paid $3.50 for it. "Really?" she asked.\n\nNew paragraph without stop'
    assert split_sentences(text) == [
        "Hello there!",
        "How are you?",
        "I paid $3.50 for it.",
        '"Really?"',
        "she asked.",
        "New paragraph without stop",
    ]


def test_abbreviations_and_initials_do_not_end_sentences():
    assert split_sentences("Dr. Smith met J. R. Tolkien, e.g. at noon. Then left.") == [
        "Dr. Smith met J. R. Tolkien, e.g. at noon.",
        "Then left.",
    ]


def test_cjk_and_ellipsis():
    assert split_sentences("Wait… what?! 你好。再见！") == ["Wait…", "what?!", "你好。", "再见！"]


def test_whitespace_only():
    assert split_sentences("  \n ") == [] and chunk_text("") == []


def test_chunks_pack_whole_sentences_up_to_the_limit():
    text = "One two three. Four five six. Seven eight nine. Ten."
    assert chunk_text(text, 30) == ["One two three. Four five six.", "Seven eight nine. Ten."]
    assert chunk_text(text, 1000) == [text]


def test_a_long_sentence_is_cut_at_clauses_then_spaces():
    sentence = "alpha beta gamma, delta epsilon zeta; " + "word " * 30 + "end."
    chunks = chunk_text(sentence, 40)
    assert all(len(c) <= 40 for c in chunks)
    assert " ".join(chunks).split() == sentence.split()  # nothing lost, order kept
    assert chunks[0] == "alpha beta gamma, delta epsilon zeta;"


def test_unbreakable_word_is_cut_hard():
    chunks = chunk_text("x" * 50, 20)
    assert chunks == ["x" * 20, "x" * 20, "x" * 10]
