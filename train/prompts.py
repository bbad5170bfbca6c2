"""Turn an Alpaca row into token ids and labels: prompt masked (-100), response and EOS trained, one BOS.

A row with `history` (a conversation, LLaMA-Factory's alpaca columns) trains every assistant turn — each reply
and what ends it — with every user and system span masked; `train_on="last"` trains only the last reply (like
LLaMA-Factory's `mask_history`). A conversation is one example, so packing keeps it in one block.

The same `PromptFormat` renders the prompt at inference (`prompt_ids`), so training and inference cannot drift
apart; `to_json()` is written into the adapter folder. Prompt and response are tokenized separately, exactly as
a generation call sees them (prompt ids, then the model's continuation).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

IGNORE = -100
ALPACA = {
    "prompt_input": ("Below is an instruction that describes a task, paired with an input that provides further "
                     "context. Write a response that appropriately completes the request.\n\n"
                     "### Instruction:\n{instruction}\n\n### Input:\n{input}\n\n### Response:\n"),
    "prompt_no_input": ("Below is an instruction that describes a task. Write a response that appropriately "
                        "completes the request.\n\n### Instruction:\n{instruction}\n\n### Response:\n"),
}


@dataclass
class Encoded:
    """One training example; `truncated` says the prompt's middle was cut to make the answer fit."""

    input_ids: list[int]
    labels: list[int]
    truncated: bool = False
    trained_spans: list[tuple[int, int]] = field(default_factory=list)  # [start, end) of each trained reply

    def __len__(self) -> int:
        return len(self.input_ids)


class PromptFormat:
    """Alpaca template or the tokenizer's chat template (`auto`: chat when the tokenizer has one)."""

    def __init__(self, tokenizer: Any, template: str = "auto", train_on: str = "all") -> None:
        if template == "auto":
            template = "chat" if getattr(tokenizer, "chat_template", None) else "alpaca"
        if template == "chat" and not getattr(tokenizer, "chat_template", None):
            raise ValueError("template 'chat' needs a tokenizer with a chat template; use template: alpaca")
        if tokenizer.eos_token_id is None:
            raise ValueError("the tokenizer has no EOS token: the model could never learn to stop")
        self.tokenizer = tokenizer
        self.mode = template
        self.train_on = train_on
        self.bos_id: int | None = tokenizer.bos_token_id
        self.eos_id: int = tokenizer.eos_token_id
        self.header_len = self._common_suffix_len()

    # -- text ---------------------------------------------------------------------------------------------
    @staticmethod
    def user_text(row: dict[str, Any]) -> str:
        instruction, extra = str(row.get("instruction", "")), str(row.get("input", "") or "")
        return f"{instruction}\n\n{extra}" if extra.strip() else instruction

    def prompt_text(self, row: dict[str, Any]) -> str:
        if self.mode == "alpaca":
            key = "prompt_input" if str(row.get("input", "") or "").strip() else "prompt_no_input"
            return ALPACA[key].format(instruction=row.get("instruction", ""), input=row.get("input", ""))
        return self.tokenizer.apply_chat_template([{"role": "user", "content": self.user_text(row)}],
                                                  tokenize=False, add_generation_prompt=True)

    def response_text(self, row: dict[str, Any]) -> str:
        if self.mode == "alpaca":
            return str(row.get("output", ""))
        messages = [{"role": "user", "content": self.user_text(row)},
                    {"role": "assistant", "content": str(row.get("output", ""))}]
        full = self.tokenizer.apply_chat_template(messages, tokenize=False)
        prompt = self.prompt_text(row)
        if not full.startswith(prompt):
            raise ValueError("the chat template renders the prompt differently with and without the answer; "
                             "use template: alpaca")
        return full[len(prompt):].rstrip()  # the template's newline after its end token is not worth learning

    # -- ids ------------------------------------------------------------------------------------------------
    def _ids(self, text: str) -> list[int]:
        return list(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def prompt_ids(self, row: dict[str, Any]) -> list[int]:
        """Exactly one BOS (when the model has one): templates that write it and tokenizers that add it agree."""
        ids = self._ids(self.prompt_text(row))
        if self.bos_id is not None:
            while ids and ids[0] == self.bos_id:
                ids.pop(0)
            ids.insert(0, self.bos_id)
        return ids

    def response_ids(self, row: dict[str, Any]) -> list[int]:
        ids = self._ids(self.response_text(row))
        if not ids or ids[-1] != self.eos_id:
            ids.append(self.eos_id)
        return ids

    def _common_suffix_len(self) -> int:
        """Tokens at the prompt's end that are template (e.g. '### Response:'): kept when a prompt is cut."""
        a = self.prompt_ids({"instruction": "alpha beta"})
        b = self.prompt_ids({"instruction": "gamma 12"})
        n = 0
        while n < min(len(a), len(b)) and a[-1 - n] == b[-1 - n]:
            n += 1
        return n

    # -- conversations ------------------------------------------------------------------------------------
    @staticmethod
    def messages(row: dict[str, Any]) -> list[dict[str, str]]:
        """The row as chat messages: system, earlier exchanges, then the last user turn and its reply."""
        out = [{"role": "system", "content": str(row["system"])}] if row.get("system") else []
        for user, assistant in row.get("history") or []:
            out += [{"role": "user", "content": str(user)}, {"role": "assistant", "content": str(assistant)}]
        return out + [{"role": "user", "content": PromptFormat.user_text(row)},
                      {"role": "assistant", "content": str(row.get("output", ""))}]

    def _segments_text(self, row: dict[str, Any]) -> list[tuple[str, bool]]:
        """(text, is a reply) pieces whose concatenation is the whole conversation as the template renders it."""
        messages = self.messages(row)
        if self.mode == "chat":
            pieces, done = [], ""
            for end in range(1, len(messages) + 1):
                if messages[end - 1]["role"] != "assistant":
                    continue
                prompt = self.tokenizer.apply_chat_template(messages[:end - 1], tokenize=False,
                                                            add_generation_prompt=True)
                full = self.tokenizer.apply_chat_template(messages[:end], tokenize=False)
                if not prompt.startswith(done) or not full.startswith(prompt):
                    raise ValueError("the chat template renders earlier turns differently as the conversation "
                                     "grows; use template: alpaca")
                reply = full[len(prompt):].rstrip() if end == len(messages) else full[len(prompt):]
                pieces += [(prompt[len(done):], False), (reply, True)]
                done = prompt + reply
            return pieces
        system = f"{row['system']}\n\n" if row.get("system") else ""
        turns = [m for m in messages if m["role"] != "system"]
        pieces = []
        for k in range(0, len(turns), 2):
            if k == 0:
                first = {"instruction": turns[0]["content"]} if row.get("history") else row
                key = "prompt_input" if str(first.get("input") or "").strip() else "prompt_no_input"
                head = system + ALPACA[key].format(instruction=first.get("instruction", ""),
                                                   input=first.get("input", ""))
            else:
                head = f"\n\n### Instruction:\n{turns[k]['content']}\n\n### Response:\n"
            pieces += [(head, False), (turns[k + 1]["content"], True)]
        return pieces

    def encode_conversation(self, row: dict[str, Any]) -> Encoded:
        """Every reply trained (its end-of-turn, or EOS in the Alpaca template, with it), the rest masked."""
        ids: list[int] = []
        labels: list[int] = []
        spans: list[tuple[int, int]] = []
        pieces = self._segments_text(row)
        replies = sum(is_reply for _, is_reply in pieces)
        seen = 0
        for text, is_reply in pieces:
            piece = self._ids(text)
            if not ids and self.bos_id is not None:
                while piece and piece[0] == self.bos_id:
                    piece.pop(0)
                piece.insert(0, self.bos_id)
            if is_reply:
                seen += 1
                if self.mode == "alpaca" or seen == replies:
                    if not piece or piece[-1] != self.eos_id:
                        piece.append(self.eos_id)
                trained = self.train_on == "all" or seen == replies
                if trained:
                    spans.append((len(ids), len(ids) + len(piece)))
                labels += piece if trained else [IGNORE] * len(piece)
            else:
                labels += [IGNORE] * len(piece)
            ids += piece
        return Encoded(ids, labels, False, spans)

    @staticmethod
    def is_conversation(row: dict[str, Any]) -> bool:
        return bool(row.get("history") or row.get("system"))

    def full_length(self, row: dict[str, Any]) -> int:
        if self.is_conversation(row):
            return len(self.encode_conversation(row))
        return len(self.prompt_ids(row)) + len(self.response_ids(row))

    def encode(self, row: dict[str, Any], max_len: int, min_prompt_body: int = 8) -> Encoded | None:
        """Ids and labels; a row too long keeps its whole answer + EOS and loses the middle of its prompt.
        A conversation too long loses its earliest exchanges first (truncated), then is cut like a single turn.

        None when even that cannot fit (fewer than `min_prompt_body` prompt tokens would be left): the caller
        counts it as skipped. The answer is never cut.
        """
        if self.is_conversation(row):
            trimmed = row
            while True:
                encoded = self.encode_conversation(trimmed)
                if len(encoded) <= max_len:
                    encoded.truncated = trimmed is not row
                    return encoded
                if not trimmed.get("history"):
                    break
                trimmed = {**trimmed, "history": trimmed["history"][1:]}
            single = self.encode({k: v for k, v in trimmed.items() if k not in ("history", "system")}, max_len,
                                 min_prompt_body)
            if single is not None:
                single.truncated = True
            return single
        prompt, response = self.prompt_ids(row), self.response_ids(row)
        truncated = False
        if len(prompt) + len(response) > max_len:
            room = max_len - len(response) - self.header_len
            if room < min(min_prompt_body, len(prompt) - self.header_len):
                return None
            prompt = prompt[:room] + prompt[len(prompt) - self.header_len:]
            truncated = True
        return Encoded(prompt + response, [IGNORE] * len(prompt) + response, truncated,
                       [(len(prompt), len(prompt) + len(response))])

    def to_json(self) -> dict[str, Any]:
        """What inference must reproduce; written as prompt_template.json beside the adapter."""
        out: dict[str, Any] = {"mode": self.mode, "bos_prepended_once": self.bos_id is not None,
                               "eos_appended_to_response": True, "train_on": self.train_on}
        if self.mode == "alpaca":
            out |= ALPACA
        else:
            out |= {"chat_template": self.tokenizer.chat_template,
                    "user_message": "instruction, or instruction + '\\n\\n' + input when input is not empty"}
        out["usage"] = ("PromptFormat.from_adapter(ADAPTER_DIR).prompt_ids(row) gives the exact prompt ids used in "
                        "training (one BOS); generate and stop at EOS")
        return out

    @classmethod
    def from_adapter(cls, adapter_dir: str | Path) -> PromptFormat:
        """The format an adapter was trained with: its saved tokenizer and prompt_template.json."""
        from transformers import AutoTokenizer

        saved = json.loads((Path(adapter_dir) / "prompt_template.json").read_text(encoding="utf-8"))
        return cls(AutoTokenizer.from_pretrained(adapter_dir), saved["mode"], saved.get("train_on", "all"))
