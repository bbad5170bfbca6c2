"""Advice before GPU hours: the memory estimate's terms against real parameter counts, and the data-size advice."""

from __future__ import annotations

import pytest
import torch

from train.advice import data_advice
from train.memory import NF4_BYTES_PER_PARAM, Shape, auto_loss_chunk, estimate, render

torch.set_num_threads(1)

# Published parameter counts: Llama-3.2-1B (tied head) and Llama-3.1-8B
LLAMA_1B = {"hidden_size": 2048, "num_hidden_layers": 16, "num_attention_heads": 32, "num_key_value_heads": 8,
            "intermediate_size": 8192, "vocab_size": 128256, "tie_word_embeddings": True}
LLAMA_8B = {"hidden_size": 4096, "num_hidden_layers": 32, "num_attention_heads": 32, "num_key_value_heads": 8,
            "intermediate_size": 14336, "vocab_size": 128256, "tie_word_embeddings": False}


@pytest.mark.parametrize(("shape", "total"), [(LLAMA_1B, 1_235_814_400), (LLAMA_8B, 8_030_261_248)])
def test_parameter_terms_add_up_to_the_published_counts(shape, total):
    from transformers import LlamaConfig

    s = Shape.from_config(LlamaConfig(**shape))
    assert s.quantized_params() + s.other_params() == total


@pytest.mark.parametrize("tied", [False, True])
def test_terms_match_a_real_model_and_its_lora(tied):
    """Counted on an instantiated model: quantised linears, everything else, and peft's trainable LoRA weights."""
    from peft import LoraConfig, get_peft_model
    from transformers import LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(hidden_size=96, intermediate_size=160, num_hidden_layers=2, num_attention_heads=6,
                         num_key_value_heads=2, vocab_size=300, tie_word_embeddings=tied)
    model = LlamaForCausalLM(config)
    linear = sum(m.weight.numel() for name, m in model.named_modules()
                 if isinstance(m, torch.nn.Linear) and name != "lm_head")
    everything = sum(p.numel() for p in model.parameters())
    s = Shape.from_config(config)
    assert s.quantized_params() == linear and s.other_params() == everything - linear
    lora = get_peft_model(model, LoraConfig(r=4, target_modules="all-linear"))
    assert s.lora_params(4) == sum(p.numel() for p in lora.parameters() if p.requires_grad)


def test_4bit_term_matches_bitsandbytes_storage():
    """NF4 codes + double-quantised absmax, as bitsandbytes stores them (its small lookup tables aside)."""
    from transformers import AutoModelForCausalLM, BitsAndBytesConfig, LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(hidden_size=256, intermediate_size=1024, num_hidden_layers=1, num_attention_heads=4,
                         num_key_value_heads=4, vocab_size=256)
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        LlamaForCausalLM(config).save_pretrained(folder)
        q = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
                               bnb_4bit_compute_dtype=torch.float32)
        model = AutoModelForCausalLM.from_pretrained(folder, quantization_config=q, dtype=torch.float32)
    stored = 0
    for module in model.modules():
        weight = getattr(module, "weight", None)
        state = getattr(weight, "quant_state", None)
        if state is not None:
            stored += weight.numel() * weight.element_size() + state.absmax.numel() * state.absmax.element_size()
            stored += state.state2.absmax.numel() * state.state2.absmax.element_size()
    estimated = Shape.from_config(config).quantized_params() * NF4_BYTES_PER_PARAM
    assert estimated == pytest.approx(stored, rel=0.01)


def test_chunked_loss_is_the_default_for_large_vocabularies_and_shrinks_the_logits_term():
    from transformers import LlamaConfig

    config = LlamaConfig(**LLAMA_8B)
    full = estimate(config, 2048, 4, loss_chunk=0)
    chunked = estimate(config, 2048, 4, loss_chunk=auto_loss_chunk(config.vocab_size))
    assert auto_loss_chunk(128256) > 0 and auto_loss_chunk(2048) == 0
    # 4 x 2048 tokens x 128256 x (2 + 4 + 4) bytes: bf16 logits, fp32 upcast, fp32 gradient
    assert full["terms_gib"]["logits_and_loss"] == pytest.approx(4 * 2048 * 128256 * 10 / 2**30, abs=1e-3)
    assert chunked["terms_gib"]["logits_and_loss"] < full["terms_gib"]["logits_and_loss"] / 5
    lora_gib = Shape.from_config(config).lora_params(16) * 16 / 2**30
    assert full["terms_gib"]["lora_weights_grads_adamw"] == pytest.approx(lora_gib, abs=1e-3)
    assert full["total_gib"] == pytest.approx(sum(full["terms_gib"].values()), abs=0.02)
    shown = render(chunked)
    assert "weights_4bit_nf4_double_quant" in shown and "chunked cross-entropy" in shown


def _stats(rows: int, sources: dict[str, int], openers: list[tuple[str, int]]) -> dict:
    return {"rows": rows, "sources": sources, "top_first_words": openers}


def test_data_advice_follows_the_size_and_breadth_rules():
    small = data_advice(_stats(800, {"faq": 500, "tickets": 300}, [("How", 100)]), model_has_chat_template=False)
    assert len(small) == 1 and "chat/instruct model" in small[0] and "no chat template" in small[0]
    large = data_advice(_stats(250_000, {"a": 1, "b": 1}, [("Write", 10_000)]), True)
    assert large == ["250000 rows (> 100,000): enough to start from the base model"]
    narrow = data_advice(_stats(20_000, {"support": 20_000}, [("Why", 100)]), True)
    assert "either the chat or the base model" in narrow[0] and "one source (support)" in narrow[1]
    phrased = data_advice(_stats(5_000, {"a": 2_500, "b": 2_500}, [("Summarise", 2_000)]), True)
    assert "40% of instructions start with 'Summarise'" in phrased[1] and "mix in general" in phrased[1]
