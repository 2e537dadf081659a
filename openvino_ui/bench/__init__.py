"""`openvino-ui bench`: side-by-side benchmarks of our OpenVINO engines against the engines users
would otherwise pick (llama.cpp, PyTorch, sentence-transformers, onnxruntime, faster-whisper).

Every case alternates candidate and peer, round after round, and reports the median of the
per-round ratios: on a shared or virtualised CPU the capacity drifts from minute to minute, so only
same-window ratios are meaningful. Peer libraries run in a child process each (isolation.py), so a
peer that crashes fails its case, not the run. Serving code never imports this package.
"""
