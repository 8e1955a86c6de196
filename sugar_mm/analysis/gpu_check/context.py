"""What the GPU-check sections share: the device context, the configs they build, batches, gradients."""
import copy
import os.path as osp
import random
from argparse import Namespace
from typing import Callable, Dict, Optional, Tuple

import torch
from mmengine.config import Config
from torch import nn

from ..builders import load_cfg, real_batch
from ..timing import timeit

MSR_CONFIG = 'configs/sugar/stage2/tqp-k8_smollm2-135m-lora-r16_10w2e_msr3d-xsub.py'
PAPER_CONFIG = 'configs/sugar_ntu120.py'
#: LLaMA2-7B (meta-llama/Llama-2-7b-hf config.json) but the vocabulary, which follows the tokenizer used here.
LLAMA2_7B = dict(model_type='llama', hidden_size=4096, intermediate_size=11008, num_hidden_layers=32,
                 num_attention_heads=32, num_key_value_heads=32, max_position_embeddings=4096, rms_norm_eps=1e-5,
                 tie_word_embeddings=False)
#: What ``--smoke`` uses instead (same code paths, seconds on a CPU).
SMOKE_LLM = dict(model_type='llama', hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                 num_attention_heads=4, num_key_value_heads=4, tie_word_embeddings=False)


class Ctx:
    """What every section gets: the parsed arguments, the device and the LLM architecture folder.

    Args:
        args (Namespace): The arguments of :func:`~sugar_mm.analysis.gpu_check.main`.
    """

    def __init__(self, args: Namespace):
        self.args = args
        self.device = torch.device(args.device)
        self.cuda = self.device.type == 'cuda'
        from sugar_mm.utils.embedded_models import resolve_model_path
        self.arch = osp.abspath(osp.expanduser(resolve_model_path(args.arch)))

    def sync(self) -> None:
        """Wait for the device (CUDA only)."""
        if self.cuda:
            torch.cuda.synchronize()

    def timeit(self, fn: Callable, reps: int, warmup: int = 1) -> Dict[str, float]:
        """:func:`~sugar_mm.analysis.timing.timeit` synchronised with the device."""
        return timeit(fn, reps, warmup, sync=self.sync)

    def reset_peak(self) -> None:
        """Empty the CUDA cache and reset its peak-memory counters."""
        if self.cuda:
            self.sync()
            torch.cuda.empty_cache()
            torch.cuda.reset_peak_memory_stats()

    def peak_gb(self) -> Optional[Dict[str, float]]:
        """Peak allocated and reserved CUDA memory (GiB) since the last reset; None on a CPU."""
        if not self.cuda:
            return None
        return dict(allocated=torch.cuda.max_memory_allocated() / 2 ** 30,
                    reserved=torch.cuda.max_memory_reserved() / 2 ** 30)


def tf32(enabled: bool) -> None:
    """Allow (or forbid) TF32 matrix products and convolutions."""
    torch.backends.cuda.matmul.allow_tf32 = enabled
    torch.backends.cudnn.allow_tf32 = enabled


def msr_cfg(ctx: Ctx, **head) -> Config:
    """The MSR Action3D stage-2 config with the LLM of ``--arch`` (or the smoke LLM), ``head`` overrides of
    ``model.cls_head`` and ``--ann-file``."""
    overrides = {'model.cls_head.llm': dict(path=None, config=ctx.arch, tokenizer=ctx.arch)}
    if ctx.args.smoke:
        overrides['model.cls_head.llm'] = dict(path=None, config=dict(SMOKE_LLM), tokenizer=ctx.arch)
    for k, v in head.items():
        overrides[f'model.cls_head.{k}'] = v
    if ctx.args.ann_file:
        for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
            overrides[f'{loader}.dataset.ann_file'] = ctx.args.ann_file
    return load_cfg(MSR_CONFIG, overrides)


def build(ctx: Ctx, cfg: Config) -> nn.Module:
    """The config's model with random weights, made directly on the device."""
    from sugar_mm.registry import MODELS
    model_cfg = copy.deepcopy(dict(cfg.model))
    model_cfg.pop('encoder_checkpoint', None)
    with torch.device(ctx.device):
        model = MODELS.build(model_cfg)
        model.init_weights()
    return model.to(ctx.device)


def msr_batch(cfg: Config, n: int, split: str = 'train') -> dict:
    """``n`` real samples of the config's ``split``, collated."""
    from mmengine.dataset import pseudo_collate
    items, _, _ = real_batch(cfg, n, split)
    return pseudo_collate(items)


def random_batch(cfg: Config, n: int, num_classes: int, clip_len: int, num_person: int = 2,
                 joints: int = 25) -> dict:
    """NTU-shaped inputs (num_clips=1, M, T, V, C) with random labels, collated like the dataloader does."""
    from mmaction.structures import ActionDataSample
    from mmengine.dataset import pseudo_collate
    g = torch.Generator().manual_seed(0)
    items = []
    for i in range(n):
        ds = ActionDataSample().set_gt_label(int(torch.randint(num_classes, (1,), generator=g)))
        items.append(dict(inputs=torch.randn(1, num_person, clip_len, joints, 3, generator=g), data_samples=ds))
    return pseudo_collate(items)


def copy_weights(src: nn.Module, dst: nn.Module) -> None:
    """Copy every parameter and buffer of ``src`` into ``dst`` (same architecture)."""
    with torch.no_grad():
        for (n, a), (m, b) in zip(list(src.named_parameters()) + list(src.named_buffers()),
                                  list(dst.named_parameters()) + list(dst.named_buffers())):
            assert n == m, (n, m)
            b.copy_(a)


def trainable(model: nn.Module) -> Dict[str, torch.Tensor]:
    """The parameters that require gradients, by name."""
    return {n: p for n, p in model.named_parameters() if p.requires_grad}


def grads(model: nn.Module) -> Dict[str, torch.Tensor]:
    """fp32 copies of the gradients of the trainable parameters, by name."""
    return {n: p.grad.detach().float().clone() for n, p in trainable(model).items() if p.grad is not None}


def loss_and_grads(model: nn.Module, data: dict, seed: int = 0) -> Tuple[float, dict, Dict[str, torch.Tensor]]:
    """One forward and backward pass with fixed seeds: the loss, the logged losses and the gradients."""
    model.zero_grad(set_to_none=True)
    torch.manual_seed(seed)
    random.seed(seed)  # (the answer's brief description is drawn per sample)
    sampler = getattr(getattr(model, 'cls_head', None), 'list_sampler', None)
    if sampler is not None:  # list-conditioned training: the same action list for both computations
        sampler.rng.seed(seed)
    losses = model(**model.data_preprocessor(data, True), mode='loss')
    loss, log = model.parse_losses(losses)
    loss.backward()
    log = {k: float(v.detach() if torch.is_tensor(v) else v) for k, v in log.items()}
    return float(loss.detach()), log, grads(model)


def rel(a: torch.Tensor, b: torch.Tensor) -> float:
    """Relative difference ``|a - b| / |b|`` (L2 norms)."""
    return float(torch.linalg.vector_norm(a - b) / torch.linalg.vector_norm(b).clamp_min(1e-30))


def cat(g: Dict[str, torch.Tensor], prefix: str) -> torch.Tensor:
    """The gradients whose names start with (or contain ``.``) ``prefix``, flattened and concatenated in name
    order."""
    keys = sorted(k for k in g if k.startswith(prefix) or f'.{prefix}' in k)
    return torch.cat([g[k].flatten() for k in keys]) if keys else torch.zeros(0)


def predict(model: nn.Module, data: dict, generate: bool) -> list:
    """The model's predictions without gradients, with or without generating text."""
    head = model.cls_head
    old = head.generate_text
    head.generate_text = generate
    try:
        with torch.no_grad():
            return model(**model.data_preprocessor(data, False), mode='predict')
    finally:
        head.generate_text = old


def scores(samples: list) -> torch.Tensor:
    """The predicted class scores of ``samples`` (float32, on the CPU), stacked."""
    return torch.stack([s.pred_score.float().cpu() for s in samples])
