"""Static int8 all-MiniLM-L6-v2 with NNCF's accuracy control: does reverting the most sensitive
layers to float keep the cosine bar on texts it never saw, and what speed is left?

embedding_static_int8.py found plain static int8 (weights and activations) 3.0-5.4x
sentence-transformers torch fp32 but at a worst cosine of 0.980-0.994 depending on calibration text.
Here `nncf.quantize_with_accuracy_control` quantizes, then puts quantized operations back to float,
most harmful first, until the worst cosine on a *validation* set is within MAX_DROP of the
float model's. The result is then judged on sets that played no part:

* `bench`: the bench's random-word texts (~40 and ~600 characters), what `bench` checks;
* `prose`: held-out package descriptions (other packages than calibration and validation);
* `code`: 300-character chunks of Python standard-library source;
* `other-languages`: German, French, Spanish, Italian and Dutch sentences (MiniLM is English-trained,
  users send them anyway).

Texts come from this machine only: the long descriptions in the METADATA of the installed Python
packages (split by package name hash into calibration / validation / test) and the standard library.
The reference is the fp32 IR compiled in f32 (equal to sentence-transformers torch fp32 within 1e-6).
Timing alternates the variants with sentence-transformers torch fp32 in one process (warm-up + 3
rounds), on the bench's shapes.

    .venv/bin/python benchmarks/investigations/embedding_accuracy_control.py [THREADS] [MAX_DROP]
"""

import hashlib
import re
import shutil
import statistics
import sys
import sysconfig
from email.parser import Parser
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
import numpy as np
from alternate import alternate, ratio_cells

from openvino_ui.bench import assets
from openvino_ui.bench.cases.embedding import MAX_LENGTH, OVEmbedRunner, STTorchRunner, texts

THREADS = int(sys.argv[1]) if len(sys.argv) > 1 else 1
MAX_DROP = float(sys.argv[2]) if len(sys.argv) > 2 else 0.004
OUT = assets.cache_root() / "minilm" / "accuracy-control"

OTHER_LANGUAGES = [
    "Der Zug nach Hamburg fährt heute wegen Bauarbeiten eine Stunde später ab.",
    "Können Sie mir bitte sagen, wo die nächste Apotheke ist?",
    "Die Ergebnisse der Studie wurden im Frühjahr in einer Fachzeitschrift veröffentlicht.",
    "Wir haben am Wochenende im Garten Tomaten und Kartoffeln geerntet.",
    "Le musée ouvre ses portes à neuf heures et ferme à dix-huit heures.",
    "Pouvez-vous m'envoyer le rapport avant la réunion de demain matin ?",
    "La recette demande trois œufs, du beurre et un peu de sucre.",
    "Les chercheurs ont mesuré la température de l'océan pendant dix ans.",
    "El tren llega a Madrid a las ocho y media de la tarde.",
    "¿Dónde puedo comprar billetes para el concierto de esta noche?",
    "La empresa presentó sus resultados trimestrales con un aumento de las ventas.",
    "Mi abuela cultiva naranjas y limones en su pequeña finca.",
    "Il ristorante in fondo alla strada serve la migliore pizza della città.",
    "Domani pioverà su gran parte del nord Italia, secondo le previsioni.",
    "La biblioteca comunale ha ampliato l'orario di apertura per gli studenti.",
    "Het museum is op maandag gesloten, maar op zondag gratis toegankelijk.",
    "De fietsenmaker repareerde mijn band binnen een kwartier.",
    "Volgens de gemeente wordt de brug volgend jaar vernieuwd.",
    "Die Katze schläft den ganzen Tag auf dem Sofa im Wohnzimmer.",
    "Nous avons visité le château et les jardins pendant tout l'après-midi.",
]


def _sentences(text: str) -> list[str]:
    text = re.sub(r"`{1,3}|\*{1,2}|#+ |\[([^\]]*)\]\([^)]*\)|<[^>]+>|https?://\S+", r"\1", text)
    text = re.sub(r"\s+", " ", text)
    return [s for s in re.split(r"(?<=[.!?])\s+", text) if 20 < len(s) < 1200 and s.count(" ") >= 3]


def package_prose() -> dict[str, list[str]]:
    """Sentences of the installed packages' long descriptions, split by package into three sets."""
    site = Path(sysconfig.get_paths()["purelib"])
    split: dict[str, list[str]] = {"calibration": [], "validation": [], "test": []}
    for meta in sorted(site.glob("*.dist-info/METADATA")):
        msg = Parser().parsestr(meta.read_text(errors="replace"))
        body = msg.get_payload() or ""
        bucket = int(hashlib.sha1(meta.parent.name.split("-")[0].lower().encode()).hexdigest(), 16) % 3
        split[("calibration", "validation", "test")[bucket]] += _sentences(str(body))
    return split


def code_chunks(n: int = 150) -> list[str]:
    lib = Path(sysconfig.get_paths()["stdlib"])
    src = "".join(p.read_text(errors="replace") for p in sorted(lib.glob("[a-m]*.py"))[:40])
    return [src[i : i + 300] for i in range(0, 300 * n * 7, 300 * 7)][:n]


def every(items: list[str], n: int) -> list[str]:
    return items[:: max(1, len(items) // n)][:n]


class Encoder:
    """Tokenizes like TextEmbeddingPipeline (the model's tokenizer.json, truncation at 256)."""

    def __init__(self) -> None:
        from tokenizers import Tokenizer

        self.tok = Tokenizer.from_file(str(assets.minilm_dir() / "tokenizer.json"))
        self.tok.enable_truncation(MAX_LENGTH)
        self.tok.enable_padding(pad_id=0, pad_token="[PAD]")

    def __call__(self, batch: list[str]) -> dict[str, np.ndarray]:
        enc = self.tok.encode_batch(batch)
        ids = np.array([e.ids for e in enc], np.int64)
        mask = np.array([e.attention_mask for e in enc], np.int64)
        return {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}


def pooled(compiled, inputs: dict[str, np.ndarray]) -> np.ndarray:
    hidden = compiled(inputs)[0]
    mask = inputs["attention_mask"][..., None].astype(np.float32)
    mean = (hidden * mask).sum(1) / np.maximum(mask.sum(1), 1e-9)
    return mean / np.linalg.norm(mean, axis=1, keepdims=True)


def cosine(compiled, reference, inputs: dict[str, np.ndarray]) -> float:
    return float(pooled(compiled, inputs)[0] @ pooled(reference, inputs)[0])


def main() -> None:
    import nncf
    import openvino as ov

    core = ov.Core()
    fp32 = assets.minilm_ov("fp32")
    f32 = {"INFERENCE_PRECISION_HINT": "f32"}
    reference = core.compile_model(str(fp32 / "openvino_model.xml"), "CPU", f32)
    encode = Encoder()
    prose = package_prose()
    print({k: len(v) for k, v in prose.items()}, "sentences of package prose")

    calibration_texts = every(prose["calibration"], 240)
    calibration, i = [], 0
    while i < len(calibration_texts):
        n = (1, 4, 8)[len(calibration) % 3]
        calibration.append(encode(calibration_texts[i : i + n]))
        i += n
    # Validation items are single texts: the metric is the worst one, and NNCF ranks layers by
    # how much each text's cosine moves.
    validation = []
    for text in every(prose["validation"], 300):
        inputs = encode([text])
        validation.append((inputs, pooled(reference, inputs)[0]))

    def validate(compiled, items) -> tuple[float, list[float]]:
        cos = [float(pooled(compiled, inputs)[0] @ ref) for inputs, ref in items]
        return min(cos), cos

    dst = OUT / f"drop-{MAX_DROP}"
    if not (dst / "openvino_model.xml").exists():
        quantized = nncf.quantize_with_accuracy_control(
            core.read_model(str(fp32 / "openvino_model.xml")),
            nncf.Dataset(calibration),
            nncf.Dataset(validation),
            validate,
            max_drop=MAX_DROP,
            preset=nncf.QuantizationPreset.MIXED,
            model_type=nncf.ModelType.TRANSFORMER,
            subset_size=len(calibration),
        )
        tmp = dst.with_name(dst.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.copytree(fp32, tmp)
        ov.save_model(quantized, str(tmp / "openvino_model.xml"))
        tmp.rename(dst)
    xml = (dst / "openvino_model.xml").read_text()
    fake_quantize = xml.count('type="FakeQuantize"')
    print(f"{dst.name}: {fake_quantize} FakeQuantize ops left in the IR")

    tests = {
        "bench": texts(100, 40) + texts(100, 600),
        "prose": every(prose["test"], 300),
        "code": code_chunks(),
        "other-languages": OTHER_LANGUAGES,
    }
    variants = {"product int8-weights": assets.minilm_ov(), "accuracy-controlled static int8": dst}
    for name, path in variants.items():
        compiled = core.compile_model(str(path / "openvino_model.xml"), "CPU")
        cells = []
        for set_name, sample in tests.items():
            cos = [cosine(compiled, reference, encode([t])) for t in sample]
            cells.append(f"{set_name} min {min(cos):.4f} mean {statistics.mean(cos):.4f}")
        print(f"{name:34s} " + " | ".join(cells))

    if "--no-timing" in sys.argv:
        return
    runners = {
        "product int8-weights": OVEmbedRunner(assets.minilm_ov(), THREADS),
        "accuracy-controlled static int8": OVEmbedRunner(dst, THREADS),
        "sentence-transformers fp32": STTorchRunner(assets.minilm_dir(), THREADS),
    }
    ref_name = "sentence-transformers fp32"
    rounds = alternate(runners)
    print(f"threads={THREADS}; sentences/s median of 3 rounds; ratio = median of per-round ratios vs ST fp32")
    for name in runners:
        cells = ratio_cells(rounds, name, ref_name)
        print(f"{name:34s} " + " | ".join(cells))


if __name__ == "__main__":
    main()
