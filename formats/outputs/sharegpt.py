"""ShareGPT: {"conversations": [{"from": "system"|"human"|"gpt", "value": …}]} (LLaMA-Factory, FastChat)."""

from formats.outputs.base import ChatShape, chat_format

FORMAT = chat_format("sharegpt", ChatShape(turns="conversations", role="from", content="value", user="human",
                                           assistant="gpt"))
