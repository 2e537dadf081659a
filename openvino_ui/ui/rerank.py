"""The Reranking tab: a query and candidate documents (one per line or a .txt file) in; a table of the
best documents, most relevant first, with each one's original index and score out. The example query
and documents rank with one click."""

import time
from typing import Any

import gradio as gr

from .. import examples
from ..api import API
from ..api.errors import as_gradio_error
from ..config import RerankSpec
from ..engines.admission import report_place
from ..service import RerankRequest
from .common import GLUE, PROGRESS, example_inputs, model_dropdown, queue_place
from .embeddings import texts_from

HEADERS = ["rank", "score", "index", "document"]


def method_of(api: API, name: str) -> str:
    spec = api.service.model_spec(name, "rerank")
    if isinstance(spec, RerankSpec) and spec.method == "bi_encoder":
        return f"bi-encoder over **{spec.embedding_model}** (cosine similarity)"
    return "cross-encoder (relevance probability)"


def rerank_table(
    api: API, query: str, text: str, file: str | None, model: str, top_n: float
) -> tuple[list, str]:
    """Rerank and format: (table rows best first, readout)."""
    documents = texts_from(text, file, "documents")
    started = time.perf_counter()
    request = api.service.request(
        RerankRequest, query=query, documents=documents, model=model, top_n=int(top_n)
    )
    result = api.service.rerank(request)
    elapsed = time.perf_counter() - started
    rows = [
        [rank, round(r.score, 4), r.index, r.document] for rank, r in enumerate(result.documents, start=1)
    ]
    readout = (
        f"top **{len(rows)}** of **{len(documents)}** documents · **{elapsed * 1000:.0f} ms** · "
        f"{method_of(api, result.model)} · index counts the documents from 0, as in the API"
    )
    return rows, readout


def build_rerank_tab(api: API) -> None:
    names = api.service.model_names("rerank")
    first = api.service.model_spec(names[0], "rerank") if names else None
    spec = first if isinstance(first, RerankSpec) else None
    with gr.Row():
        model = model_dropdown(api.service, "rerank", elem_id="rerank-model")
        top_n = gr.Slider(
            1,
            spec.max_documents if spec else 256,
            value=spec.top_n if spec else 10,
            step=1,
            label="Top n (how many to show)",
            elem_id="rerank-top-n",
        )
    with gr.Row():
        with gr.Column(scale=2):
            query = gr.Textbox(
                placeholder="What is the capital of France?", label="Query", elem_id="rerank-query"
            )
            documents = gr.Textbox(
                placeholder="Berlin is the capital of Germany.\nParis is the capital of France.\n…",
                lines=8,
                max_lines=20,
                label=f"Documents, one per line (at most {spec.max_documents if spec else 256})",
                elem_id="rerank-docs",
            )
            file = gr.File(
                file_types=[".txt"],
                height=120,
                type="filepath",
                label="…or a .txt file, one document per line",
                elem_id="rerank-file",
            )
            run = gr.Button("Rerank", variant="primary", elem_id="rerank-run")
            example_pairs = example_inputs(
                examples.rerank_examples(),
                [query, documents],
                "rerank-examples",
                label="Example (click it to rank the documents)",
            )
        with gr.Column(scale=3):
            readout = gr.Markdown("", elem_id="rerank-readout")
            table = gr.Dataframe(
                headers=HEADERS,
                datatype=["number", "number", "number", "str"],
                interactive=False,
                wrap=True,
                label="Most relevant first",
                elem_id="rerank-table",
            )

    def go(
        q: str,
        text: str,
        upload: str | None,
        name: str,
        n: float,
        progress: gr.Progress = PROGRESS,  # injected by Gradio
    ) -> tuple[Any, str]:
        try:
            with report_place(queue_place(progress, name)):
                return rerank_table(api, q, text, upload, name, n)
        except Exception as exc:
            raise as_gradio_error(exc) from exc

    inputs, outputs = [query, documents, file, model, top_n], [table, readout]
    for trigger in (run.click, query.submit):
        trigger(go, inputs, outputs, concurrency_limit=None, **GLUE)
    if example_pairs is not None:  # the example replaces an uploaded file (which would win otherwise)
        example_pairs.load_input_event.then(lambda: None, None, file, queue=False, **GLUE).then(
            go, inputs, outputs, concurrency_limit=None, **GLUE
        )
