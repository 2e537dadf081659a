"""Whisper decoding of our own over the exported encoder and stateful decoder IRs.

Used for beam search (beam_size > 1), where openvino-genai's sampler is the cost (see search.py);
WhisperPipeline stays the path for greedy decoding, sampling and word timestamps. The pieces follow
WhisperPipeline's own behaviour (openvino-genai 2026.4, src/cpp/src/whisper/) so that a request
gives the same transcript on either path: features.py (log-mel), search.py (beam search),
timestamps.py (timestamp rules and segments), decoder.py (the loop over 30 s windows).
"""

from .decoder import BeamTranscript, WhisperBeamDecoder, can_decode

__all__ = ["BeamTranscript", "WhisperBeamDecoder", "can_decode"]
