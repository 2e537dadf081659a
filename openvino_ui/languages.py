"""Language codes and names for speech recognition (Whisper) and text-to-speech (Kokoro)."""

from __future__ import annotations

# Whisper's languages (code -> English name), in Whisper's own order.
_WHISPER = (
    "en:English zh:Chinese de:German es:Spanish ru:Russian ko:Korean fr:French ja:Japanese pt:Portuguese "
    "tr:Turkish pl:Polish ca:Catalan nl:Dutch ar:Arabic sv:Swedish it:Italian id:Indonesian hi:Hindi "
    "fi:Finnish vi:Vietnamese he:Hebrew uk:Ukrainian el:Greek ms:Malay cs:Czech ro:Romanian da:Danish "
    "hu:Hungarian ta:Tamil no:Norwegian th:Thai ur:Urdu hr:Croatian bg:Bulgarian lt:Lithuanian la:Latin "
    "mi:Maori ml:Malayalam cy:Welsh sk:Slovak te:Telugu fa:Persian lv:Latvian bn:Bengali sr:Serbian "
    "az:Azerbaijani sl:Slovenian kn:Kannada et:Estonian mk:Macedonian br:Breton eu:Basque is:Icelandic "
    "hy:Armenian ne:Nepali mn:Mongolian bs:Bosnian kk:Kazakh sq:Albanian sw:Swahili gl:Galician "
    "mr:Marathi pa:Punjabi si:Sinhala km:Khmer sn:Shona yo:Yoruba so:Somali af:Afrikaans oc:Occitan "
    "ka:Georgian be:Belarusian tg:Tajik sd:Sindhi gu:Gujarati am:Amharic yi:Yiddish lo:Lao uz:Uzbek "
    "fo:Faroese ht:Haitian_Creole ps:Pashto tk:Turkmen nn:Nynorsk mt:Maltese sa:Sanskrit "
    "lb:Luxembourgish my:Myanmar bo:Tibetan tl:Tagalog mg:Malagasy as:Assamese tt:Tatar haw:Hawaiian "
    "ln:Lingala ha:Hausa ba:Bashkir jw:Javanese su:Sundanese yue:Cantonese"
)
WHISPER_LANGUAGES: dict[str, str] = {
    code: name.replace("_", " ") for code, name in (pair.split(":") for pair in _WHISPER.split())
}

# Kokoro's G2P in openvino-genai 2026.4: misaki for English, espeak-ng for the others.
KOKORO_LANGUAGES: dict[str, str] = {
    "en-us": "English (US)",
    "en-gb": "English (UK)",
    "es": "Spanish",
    "fr-fr": "French",
    "hi": "Hindi",
    "it": "Italian",
    "pt-br": "Portuguese (Brazil)",
}
# SpeechT5 checkpoints are trained on English only.
SPEECHT5_LANGUAGES: dict[str, str] = {"en-us": "English (US)"}


def whisper_code(language: str) -> str:
    """'fr', 'French', '<|fr|>' -> 'fr' (lower case); unknown names are returned lower-cased as given."""
    text = language.strip().lower()
    if text.startswith("<|") and text.endswith("|>"):
        text = text[2:-2]
    by_name = {name.lower(): code for code, name in WHISPER_LANGUAGES.items()}
    return by_name.get(text, text)
