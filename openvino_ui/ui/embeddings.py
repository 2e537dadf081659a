"""The Embeddings tab: embed several texts, see how similar they are (a labelled heatmap), download
the vectors as JSON, and read the dimension, count and time. The example texts embed with one click."""

import json
import uuid
from typing import Any

import gradio as gr
from PIL import Image

from .. import examples
from ..api import API
from ..api.errors import as_gradio_error
from ..config import EmbeddingSpec
from ..engines.admission import report_place
from ..errors import InvalidInput
from ..outputs import output_dir
from ..retrieval import lines_of, read_lines_file, similarity_matrix
from ..service import EmbedRequest
from .common import DOWNLOAD_CLASS, GLUE, PROGRESS, example_inputs, model_dropdown, queue_place
from .heatmap import render_heatmap


def texts_from(text: str | None, file: str | None, what: str = "texts") -> list[str]:
    """One item per non-empty line of the uploaded .txt file if there is one, else of the text box."""
    if file:
        try:
            lines = read_lines_file(file)
        except (OSError, ValueError) as exc:
            raise InvalidInput(f"The uploaded file cannot be used: {exc}.") from None
        if not lines:
            raise InvalidInput(f"The uploaded file has no {what}; put one per line.")
        return lines
    lines = lines_of(text)
    if not lines:
        raise InvalidInput(f"No {what} yet: type one per line, or upload a .txt file with one per line.")
    return lines


def embed_texts(api: API, text: str, file: str | None, model: str, kind: str) -> tuple[Image.Image, str, str]:
    """Embed, then draw the heatmap and write the JSON download; returns (image, readout, json path)."""
    texts = texts_from(text, file)
    result = api.service.embed(api.service.request(EmbedRequest, texts=texts, model=model, kind=kind))
    name = result.model
    heatmap = render_heatmap(similarity_matrix(result.vectors), texts, title=f"Cosine similarity ({name})")
    path = output_dir() / f"embeddings-{uuid.uuid4().hex}.json"
    payload = {
        "model": name,
        "kind": kind,
        "dim": result.dim,
        "texts": texts,
        "vectors": result.vectors.tolist(),
    }
    path.write_text(json.dumps(payload), encoding="utf-8")
    readout = (
        f"**{len(texts)}** texts · dimension **{result.dim}** · **{result.seconds * 1000:.0f} ms** "
        f"({result.seconds * 1000 / len(texts):.1f} ms per text) · device **{result.device}**"
    )
    return heatmap, readout, str(path)


def build_embeddings_tab(api: API) -> None:
    names = api.service.model_names("embedding")
    first = api.service.model_spec(names[0], "embedding") if names else None
    limit = first.max_texts if isinstance(first, EmbeddingSpec) else 256
    with gr.Row():
        model = model_dropdown(api.service, "embedding", elem_id="embed-model")
        kind = gr.Radio(
            ["document", "query"],
            value="document",
            label="Embed as",
            info="Models with instructions (E5, BGE) embed queries and documents differently.",
            elem_id="embed-kind",
        )
    with gr.Row():
        with gr.Column(scale=2):
            texts = gr.Textbox(
                placeholder="A man is eating food.\nA man is riding a horse.\n…",
                lines=8,
                max_lines=20,
                label=f"Texts, one per line (at most {limit})",
                elem_id="embed-texts",
            )
            file = gr.File(
                file_types=[".txt"],
                height=120,
                type="filepath",
                label="…or a .txt file, one text per line",
                elem_id="embed-file",
            )
            run = gr.Button("Embed", variant="primary", elem_id="embed-run")
            example_texts = example_inputs(
                examples.embedding_examples(),
                [texts],
                "embed-examples",
                label="Example (click it to embed it)",
            )
            readout = gr.Markdown("", elem_id="embed-readout")
            download = gr.File(
                label="Vectors (JSON)",
                interactive=False,
                elem_classes=[DOWNLOAD_CLASS],
                elem_id="embed-download",
            )
        with gr.Column(scale=3):
            heatmap = gr.Image(
                label="Similarity matrix",
                type="pil",
                interactive=False,
                elem_id="embed-heatmap",
                format="png",
            )

    def go(
        text: str,
        upload: str | None,
        name: str,
        as_kind: str,
        progress: gr.Progress = PROGRESS,  # injected by Gradio
    ) -> tuple[Any, str, str]:
        try:
            with report_place(queue_place(progress, name)):
                return embed_texts(api, text, upload, name, as_kind)
        except Exception as exc:
            raise as_gradio_error(exc) from exc

    inputs, outputs = [texts, file, model, kind], [heatmap, readout, download]
    run.click(go, inputs, outputs, concurrency_limit=None, **GLUE)
    if example_texts is not None:  # the example replaces an uploaded file (which would win otherwise)
        example_texts.load_input_event.then(lambda: None, None, file, queue=False, **GLUE).then(
            go, inputs, outputs, concurrency_limit=None, **GLUE
        )
