"""The HTTP routes beside the Gradio UI, on the same server and port: /health, /ready, /metrics
(and later the OpenAI-compatible /v1/...). FastAPI is imported only in this package."""
