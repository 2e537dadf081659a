"""Split long text for speech synthesis: at sentence boundaries first, then (for an over-long
sentence) at clause punctuation, then at spaces. Text-to-speech models have a bounded context
(Kokoro: 510 phonemes), and short pieces keep memory and latency flat."""

from __future__ import annotations

import re

# Words whose trailing period does not end a sentence.
_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "vs", "etc", "e.g", "i.e", "no", "fig", "approx",
    "mt", "ave", "inc", "ltd", "co", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept",
    "oct", "nov", "dec",
}  # fmt: skip
# A sentence ends at . ! ? … before a space (or the end), or at CJK 。！？ (no space needed), possibly
# followed by closing quotes or brackets.
_END = re.compile(r"""([.!?…]+["'”’)\]]*(?=\s|$)|[。！？]+["'”’」』)\]]*)\s*""")
_CLAUSE = re.compile(r"(?<=[,;:—–])\s+")


def split_sentences(text: str) -> list[str]:
    """Sentences of `text`, whitespace-normalised, in order. Paragraph breaks also end a sentence;
    abbreviations such as 'Dr.' and numbers such as '3.5' do not."""
    sentences: list[str] = []
    for paragraph in re.split(r"\n\s*\n|\r\n\s*\r\n", text):
        paragraph = " ".join(paragraph.split())
        start = 0
        for match in _END.finditer(paragraph):
            candidate = paragraph[start : match.end(1)]
            words = candidate.split()
            last = words[-1].rstrip(".").lower() if words else ""
            if match.group(1) == "." and (last in _ABBREVIATIONS or (len(last) == 1 and last.isalpha())):
                continue  # "Dr. Smith", "J. R. R. Tolkien"
            if candidate.strip():
                sentences.append(candidate.strip())
            start = match.end()
        tail = paragraph[start:].strip()
        if tail:
            sentences.append(tail)
    return sentences


def _split_long(sentence: str, max_chars: int) -> list[str]:
    """Break one sentence longer than max_chars at clause punctuation, else at spaces, else hard."""
    parts: list[str] = []
    for clause in _CLAUSE.split(sentence):
        while len(clause) > max_chars:
            cut = clause.rfind(" ", 0, max_chars + 1)
            cut = cut if cut > 0 else max_chars
            parts.append(clause[:cut].strip())
            clause = clause[cut:].strip()
        if clause:
            parts.append(clause)
    return _pack(parts, max_chars)


def _pack(parts: list[str], max_chars: int) -> list[str]:
    chunks: list[str] = []
    for part in parts:
        if chunks and len(chunks[-1]) + 1 + len(part) <= max_chars:
            chunks[-1] = f"{chunks[-1]} {part}"
        else:
            chunks.append(part)
    return chunks


def chunk_text(text: str, max_chars: int = 300) -> list[str]:
    """Pieces of at most `max_chars` characters (>= 20), each made of whole sentences where possible;
    consecutive short sentences share a piece."""
    max_chars = max(20, int(max_chars))
    pieces: list[str] = []
    for sentence in split_sentences(text):
        pieces += [sentence] if len(sentence) <= max_chars else _split_long(sentence, max_chars)
    return _pack(pieces, max_chars)
