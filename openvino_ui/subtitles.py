"""SubRip (.srt) and WebVTT (.vtt) subtitles from timed segments.

A segment is (start_s, end_s, text) in seconds. Cues are numbered from 1 (SRT), times are
HH:MM:SS,mmm (SRT) or HH:MM:SS.mmm (VTT), texts are stripped, empty cues are dropped, and an end
before its start is raised to the start.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

Segment = Sequence  # (start_s: float, end_s: float, text: str)


def timestamp(seconds: float, separator: str = ",") -> str:
    """Seconds -> 'HH:MM:SS,mmm' (SRT; pass separator='.' for WebVTT), rounded to milliseconds."""
    total_ms = max(0, round(float(seconds) * 1000))
    hours, rest = divmod(total_ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, ms = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{ms:03d}"


def _cues(segments: Iterable[Segment]) -> list[tuple[float, float, str]]:
    cues = []
    for start, end, text in segments:
        text = " ".join(str(text).split())  # one line per cue; no blank lines inside a cue
        if text:
            cues.append((float(start), max(float(start), float(end)), text))
    return cues


def to_srt(segments: Iterable[Segment]) -> str:
    """SubRip text: blocks 'N\\nSTART --> END\\nTEXT\\n' separated by blank lines."""
    blocks = [
        f"{i}\n{timestamp(start)} --> {timestamp(end)}\n{text}\n"
        for i, (start, end, text) in enumerate(_cues(segments), start=1)
    ]
    return "\n".join(blocks)


def to_vtt(segments: Iterable[Segment]) -> str:
    """WebVTT text: a 'WEBVTT' header, then blocks 'START --> END\\nTEXT\\n' separated by blank lines."""
    blocks = [
        f"{timestamp(start, '.')} --> {timestamp(end, '.')}\n{text}\n" for start, end, text in _cues(segments)
    ]
    return "\n".join(["WEBVTT\n", *blocks])
