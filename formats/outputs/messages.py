"""OpenAI `messages`: [{"role": "system"|"user"|"assistant", "content": …}] (TRL and most chat trainers)."""

from formats.outputs.base import ChatShape, chat_format

FORMAT = chat_format("messages", ChatShape(turns="messages", role="role", content="content", user="user",
                                           assistant="assistant"))
