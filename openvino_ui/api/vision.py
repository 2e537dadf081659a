"""The vision endpoint: ask a vision-language (`vlm`) model about an image; streams the answer
(a Gradio adapter over Service.describe)."""

from collections.abc import Iterator

from gradio import FileData

from ..service import DescribeRequest, Service
from ..service.requests import IMAGE_ROLES
from .chat import conversation, cumulative_text, sampling_arguments
from .errors import user_errors
from .uploads import uploaded_file

DEFAULT_QUESTION = "Describe this image."


class VisionAPI:
    def __init__(self, service: Service):
        self.service = service

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
        sampling = sampling_arguments(max_new_tokens, temperature, top_p, top_k, repetition_penalty, seed)
        turns = conversation(question, history, IMAGE_ROLES)
        request = self.service.request(
            DescribeRequest, model=model, image=str(path), messages=turns, sampling=sampling
        )
        yield from cumulative_text(self.service.describe(request))
