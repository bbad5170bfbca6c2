"""Peak GPU memory of a QLoRA run, estimated from the model's config alone (no weights), term by term.

The terms (bytes; B x T tokens per micro-batch, L layers, hidden h, MLP width I, vocabulary V, LoRA rank r):

- 4-bit weights: every linear layer of the decoder in NF4 = 0.5 B/param, plus double-quantised block constants
  (an 8-bit absmax per 64 weights and an fp32 constant per 256 blocks: 1/64 + 4/16384 B/param);
- other weights: embeddings, the LM head (not quantised by bitsandbytes) and the norms, in the compute dtype;
- LoRA: r x (in + out) per adapted linear layer, fp32 (peft keeps adapters in fp32), + its gradient + AdamW's
  two moments = 16 B/param;
- activations with checkpointing: the input of every decoder layer kept (L x B x T x h), plus one layer's
  activations while it is recomputed in the backward pass (~ (10h + 4I + 2 kv) x B x T in the compute dtype)
  and one dequantised weight (the largest linear layer, in the compute dtype);
- logits: B x T x V in the compute dtype, upcast to fp32 for the loss and its fp32 gradient (10 B each in bf16); with
  the chunked cross-entropy only one chunk of trained tokens at a time.

It assumes SDPA / flash attention (no T x T score matrix kept) and leaves out the CUDA context (~0.5 GiB, not in
`torch.cuda.max_memory_allocated`) and allocator fragmentation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

NF4_BYTES_PER_PARAM = 0.5 + 1 / 64 + 4 / (64 * 256)  # 4-bit codes + double-quantised absmax
LORA_BYTES_PER_PARAM = 4 + 4 + 8  # fp32 weight, fp32 gradient, AdamW exp_avg + exp_avg_sq
GIB = 2**30


@dataclass(frozen=True)
class Shape:
    """What the estimate needs from a transformers config (Llama/Mistral/Qwen-style decoders)."""

    hidden: int
    layers: int
    heads: int
    kv_heads: int
    head_dim: int
    intermediate: int
    vocab: int
    tied: bool

    @classmethod
    def from_config(cls, config: Any) -> Shape:
        config = getattr(config, "text_config", None) or config
        heads = config.num_attention_heads
        return cls(hidden=config.hidden_size, layers=config.num_hidden_layers, heads=heads,
                   kv_heads=getattr(config, "num_key_value_heads", None) or heads,
                   head_dim=getattr(config, "head_dim", None) or config.hidden_size // heads,
                   intermediate=config.intermediate_size, vocab=config.vocab_size,
                   tied=bool(getattr(config, "tie_word_embeddings", False)))

    def linears(self) -> list[tuple[int, int]]:
        """(in, out) of each linear layer in one decoder layer: q, k, v, o, gate, up, down."""
        h, q, kv, i = self.hidden, self.heads * self.head_dim, self.kv_heads * self.head_dim, self.intermediate
        return [(h, q), (h, kv), (h, kv), (q, h), (h, i), (h, i), (i, h)]

    def quantized_params(self) -> int:
        return self.layers * sum(a * b for a, b in self.linears())

    def other_params(self) -> int:
        """Embeddings, LM head (unless tied) and RMSNorm weights (2 per layer + the final one)."""
        return self.vocab * self.hidden * (1 if self.tied else 2) + (2 * self.layers + 1) * self.hidden

    def lora_params(self, r: int) -> int:
        return self.layers * sum(r * (a + b) for a, b in self.linears())


def estimate(config: Any, seq_len: int, batch: int, r: int = 16, compute_bytes: int = 2,
             loss_chunk: int = 0, trained_share: float = 0.6) -> dict[str, Any]:
    """Peak GPU memory in GiB, each term shown; `trained_share`: the share of positions with a trained label."""
    s = Shape.from_config(config)
    tokens = batch * seq_len
    logit_bytes = compute_bytes + 4 + 4  # the logits, their fp32 upcast in the loss, the fp32 gradient
    logit_rows = min(loss_chunk, max(1, int(tokens * trained_share))) if loss_chunk else tokens
    terms = {
        "weights_4bit_nf4_double_quant": s.quantized_params() * NF4_BYTES_PER_PARAM,
        "weights_embeddings_head_norms": s.other_params() * compute_bytes,
        "lora_weights_grads_adamw": s.lora_params(r) * LORA_BYTES_PER_PARAM,
        "activations_checkpointed_layer_inputs": s.layers * tokens * s.hidden * compute_bytes,
        "activations_one_layer_recomputed": tokens * (10 * s.hidden + 4 * s.intermediate
                                                      + 2 * s.kv_heads * s.head_dim) * compute_bytes
        + max(a * b for a, b in s.linears()) * compute_bytes,
        "logits_and_loss": logit_rows * s.vocab * logit_bytes,
    }
    gib = {k: round(v / GIB, 3) for k, v in terms.items()}
    return {"terms_gib": gib, "total_gib": round(sum(terms.values()) / GIB, 2),
            "params": {"quantized": s.quantized_params(), "other": s.other_params(), "lora": s.lora_params(r)},
            "assumptions": f"B={batch} x T={seq_len} tokens, LoRA r={r} on every linear layer, "
                           f"{8 * compute_bytes}-bit compute, gradient checkpointing, SDPA/flash attention, "
                           + (f"chunked cross-entropy {loss_chunk} tokens" if loss_chunk else "full logits")}


def auto_loss_chunk(vocab: int) -> int:
    """Chunked cross-entropy by default from 32k vocabularies: full fp32 logits at 4 x 2048 x 128k are ~10 GiB."""
    return 1024 if vocab >= 32768 else 0


def render(est: dict[str, Any]) -> str:
    lines = [f"estimated peak GPU memory: {est['total_gib']:.2f} GiB ({est['assumptions']})"]
    width = max(len(k) for k in est["terms_gib"])
    lines += [f"  {k:<{width}}  {v:8.3f} GiB" for k, v in est["terms_gib"].items()]
    return "\n".join(lines)
