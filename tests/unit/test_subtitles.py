"""SRT and WebVTT output, byte for byte."""

from openvino_ui.subtitles import timestamp, to_srt, to_vtt

SEGMENTS = [
    (0.0, 2.5, " Hello there. "),
    (2.5, 3661.0424, "Second\nline"),
    (4.0, 4.0, "   "),
    (5.0, 4.0, "Back"),
]


def test_timestamp_formats():
    assert timestamp(0) == "00:00:00,000"
    assert timestamp(3661.0424) == "01:01:01,042"
    assert timestamp(59.9996) == "00:01:00,000"
    assert timestamp(1.5, ".") == "00:00:01.500"
    assert timestamp(-3) == "00:00:00,000"


def test_srt_exact():
    assert to_srt(SEGMENTS) == (
        "1\n00:00:00,000 --> 00:00:02,500\nHello there.\n"
        "\n"
        "2\n00:00:02,500 --> 01:01:01,042\nSecond line\n"
        "\n"
        "3\n00:00:05,000 --> 00:00:05,000\nBack\n"
    )


def test_vtt_exact():
    assert to_vtt(SEGMENTS) == (
        "WEBVTT\n"
        "\n"
        "00:00:00.000 --> 00:00:02.500\nHello there.\n"
        "\n"
        "00:00:02.500 --> 01:01:01.042\nSecond line\n"
        "\n"
        "00:00:05.000 --> 00:00:05.000\nBack\n"
    )


def test_empty():
    assert to_srt([]) == ""
    assert to_vtt([]) == "WEBVTT\n"
