"""Write a tiny random-weight Llama-shaped model with a locally trained tokenizer: smoke tests need no download.

`python -m train.tiny_model OUT [--data DIR]` — DIR's train.jsonl (if given) is added to the tokenizer's corpus.
The tokenizer is byte-level BPE (any script, Chinese included, round-trips), adds BOS like Llama's does, has
pad != eos, and carries a chat template that itself starts with the BOS token — the shape of many real chat
models, and the reason the training code must guarantee exactly one BOS.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterable
from pathlib import Path

from formats.example import FIELDS

# {% generation %} marks what the assistant says: TRL's assistant_only_loss and transformers'
# return_assistant_tokens_mask need it to know which tokens to train.
CHAT_TEMPLATE = (
    "{{ bos_token }}{% for m in messages %}"
    "{% if m['role'] == 'system' %}<|system|>\n{{ m['content'] }}\n"
    "{% elif m['role'] == 'user' %}<|user|>\n{{ m['content'] }}\n"
    "{% else %}<|assistant|>\n{% generation %}{{ m['content'] }}{{ eos_token }}{% endgeneration %}\n{% endif %}"
    "{% endfor %}{% if add_generation_prompt %}<|assistant|>\n{% endif %}"
)
SPECIAL = ["<pad>", "<s>", "</s>", "<|system|>", "<|user|>", "<|assistant|>"]
BUILTIN_CORPUS = [
    "Below is an instruction that describes a task. Write a response that appropriately completes the request.",
    "### Instruction:\n### Input:\n### Response:\n",
    "How do I reset my password? Open Settings, choose Account and press Reset password.",
    "The quick brown fox jumps over the lazy dog. Numbers: 0 1 2 3 4 5 6 7 8 9.",
    "Explain the difference between a list and a tuple in Python. A list is mutable; a tuple is not.",
    "如何重置密码？打开设置，选择账户，然后点击重置密码。",
    "请用一句话解释什么是机器学习。机器学习让计算机从数据中学习规律。",
    "今天天气很好，我们去公园散步吧。谢谢你的帮助！",
]


def _corpus(data_dir: Path | None) -> Iterable[str]:
    yield from BUILTIN_CORPUS * 20
    if data_dir and (data_dir / "train.jsonl").is_file():
        for line in (data_dir / "train.jsonl").read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                yield "\n".join(str(row.get(k, "")) for k in FIELDS)


def build_tokenizer(data_dir: Path | None = None, vocab_size: int = 2048):
    """Byte-level BPE trained here in well under a second; returned as a transformers fast tokenizer."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=SPECIAL, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(_corpus(data_dir), trainer)
    bos = tok.token_to_id("<s>")
    tok.post_processor = processors.TemplateProcessing(single="<s> $A", pair="<s> $A <s> $B",
                                                       special_tokens=[("<s>", bos)])
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>", pad_token="<pad>",
                                   additional_special_tokens=SPECIAL[3:])
    fast.chat_template = CHAT_TEMPLATE
    return fast


def write_tiny_model(out: str | Path, data_dir: str | Path | None = None, hidden: int = 64, layers: int = 2,
                     seed: int = 0) -> Path:
    """Save tokenizer + random Llama weights to `out`; returns the path."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    out = Path(out)
    tokenizer = build_tokenizer(Path(data_dir) if data_dir else None)
    config = LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=hidden, intermediate_size=hidden * 2, num_hidden_layers=layers,
        num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=4096,
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id, tie_word_embeddings=False)
    torch.manual_seed(seed)
    model = LlamaForCausalLM(config)
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", help="folder to write the model into")
    parser.add_argument("--data", help="a curated output folder whose train.jsonl is added to the tokenizer corpus")
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--layers", type=int, default=2)
    args = parser.parse_args(argv)
    path = write_tiny_model(args.out, args.data, hidden=args.hidden, layers=args.layers)
    print(f"tiny model written to {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
