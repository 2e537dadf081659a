"""The vision endpoint: ask a vision-language (`vlm`) model about an image; streams the answer."""

import threading
from collections.abc import Iterator

from gradio import FileData

from ..errors import InvalidInput
from ..generation import Delta, Finished
from ..images import ImageSource, PreparedImage, prepare_image
from ..pool import EnginePool
from .errors import user_errors
from .generation import check_conversation_length, checked_history, cumulative_text, generation_params
from .uploads import uploaded_file
from .validation import pick_model, require_text

DEFAULT_QUESTION = "Describe this image."


class VisionAPI:
    def __init__(self, pool: EnginePool):
        self.pool = pool

    def prepare(self, image: ImageSource | None, model: str | None) -> PreparedImage:
        """Decode and bound `image` for `model` (its max_image_side); clear errors, nothing loaded."""
        name = pick_model(self.pool, model, "vlm")
        spec = self.pool.get(name, "vlm").spec
        if image is None:
            raise InvalidInput("No image was given; upload, paste or capture one first.")
        return prepare_image(image, spec.max_image_side)

    def events(
        self,
        image: ImageSource | None,
        question: str | None,
        model: str | None,
        history: list[dict] | None,
        params: dict,
        cancel: threading.Event | None = None,
    ) -> Iterator[Delta | Finished]:
        """Validate a request and stream the engine's events (used by the API and the Vision tab).

        `image` is a local path, encoded bytes, a PIL image or an array; `history` holds the
        earlier turns about the same image, oldest first.
        """
        name = pick_model(self.pool, model, "vlm")
        spec = self.pool.get(name, "vlm").spec
        text = require_text(question, "question", spec.limits.max_input_chars)
        prepared = self.prepare(image, name)
        messages = checked_history(history, ("user", "assistant")) + [{"role": "user", "content": text}]
        check_conversation_length(messages, spec.limits.max_input_chars)
        sampling = generation_params(spec, params)  # checked before the model is loaded
        engine = self.pool.ready(name, "vlm")
        yield from engine.stream(messages, [prepared.pixels], sampling, cancel)  # type: ignore[attr-defined]

    @user_errors
    def describe(
        self,
        image: FileData,
        question: str = DEFAULT_QUESTION,
        model: str = "",
        history: list[dict] | None = None,
        max_new_tokens: int | None = None,
        temperature: float | None = None,
        top_p: float | None = None,
        top_k: int | None = None,
        repetition_penalty: float | None = None,
        seed: int | None = None,
    ) -> Iterator[str]:
        """Ask a vision-language model about an image; streams the answer as it grows.

        Args:
            image: the picture: PNG, JPEG, WebP, GIF, BMP or TIFF (in gradio_client:
                handle_file("photo.jpg")). It is turned upright by its EXIF orientation and scaled down so
                that its longer side is at most the model's max_image_side pixels (models.yaml); images over
                50 megapixels are refused.
            question: what to ask about the image (must not be empty).
            model: a `vlm` model name from `/models`; empty means the first one configured.
            history: earlier turns about this same image, oldest first, as
                [{"role": "user"|"assistant", "content": str}]; send the image again with every turn.
            max_new_tokens: upper bound on generated tokens (1 to the model's limit; default in models.yaml).
            temperature: 0 for greedy decoding, up to 2 for more random text.
            top_p: nucleus sampling mass, in (0, 1].
            top_k: sample from the k most likely tokens; 0 disables the filter.
            repetition_penalty: 1.0 disables it; larger values discourage repeats (0.5 to 2).
            seed: random seed for reproducible sampling.

        Returns:
            The answer so far, each streamed value longer than the last; the final value is the whole answer.
        """
        path = uploaded_file(image, "image", "photo.jpg")
        params = dict(
            max_new_tokens=max_new_tokens,
            temperature=temperature,
            top_p=top_p,
            top_k=top_k,
            repetition_penalty=repetition_penalty,
            seed=seed,
        )
        yield from cumulative_text(self.events(str(path), question, model, history, params))
