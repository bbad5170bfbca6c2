"""The QLoRA task, for real on the CPU: a tiny Llama-shaped model in 4-bit NF4, trained for a few steps.

No mocks: the tokenizer is trained here, the model is random-weight, bitsandbytes quantises it on the CPU.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
import torch

from train.gate import GateError, encode_rows, label_preview, render_preview, training_stats
from train.packing import collate_packed, make_batches, pack
from train.prompts import IGNORE, PromptFormat
from train.qlora import load_4bit, main, run_training
from train.settings import GateSettings, TrainSettings
from train.tiny_model import write_tiny_model

torch.set_num_threads(1)  # 2 shared cores; tiny matmuls gain nothing from more

EN = [("What is the capital of {c}?", "", "The capital of {c} is {k}."),
      ("Translate the city name to upper case.", "{k}", "{K}"),
      ("Write one sentence about {c}.", "", "{c} is a country whose capital is {k}; many people visit {k}.")]
ZH = [("{zc}的首都是哪里？", "", "{zc}的首都是{zk}。")]
PLACES = [("France", "Paris", "法国", "巴黎"), ("Japan", "Tokyo", "日本", "东京"), ("Italy", "Rome", "意大利", "罗马"),
          ("Spain", "Madrid", "西班牙", "马德里"), ("Egypt", "Cairo", "埃及", "开罗"), ("Peru", "Lima", "秘鲁", "利马"),
          ("Kenya", "Nairobi", "肯尼亚", "内罗毕")]


def _rows() -> list[dict]:
    rows = []
    for c, k, zc, zk in PLACES:
        for i, (ins, inp, out) in enumerate(EN + ZH):
            fill = {"c": c, "k": k, "K": k.upper(), "zc": zc, "zk": zk}
            rows.append({"instruction": ins.format(**fill), "input": inp.format(**fill), "output": out.format(**fill),
                         "id": f"{c}-{i}", "source": "zh" if i == 3 else "en"})
    return rows


# Conversations as the curation writes them (alpaca with LLaMA-Factory's system/history columns)
CHATS = [{"instruction": "And of Japan?", "input": "", "output": "The capital of Japan is Tokyo.", "id": "chat-1",
          "source": "chat", "system": "Answer in one sentence.",
          "history": [["What is the capital of France?", "The capital of France is Paris."],
                      ["And of Italy?", "The capital of Italy is Rome."]]},
         {"instruction": "那秘鲁呢？", "input": "", "output": "秘鲁的首都是利马。", "id": "chat-2", "source": "chat",
          "system": "", "history": [["埃及的首都是哪里？", "埃及的首都是开罗。"]]}]


@pytest.fixture(scope="module")
def data_and_model(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("qlora")
    data = root / "data"
    data.mkdir()
    rows = _rows()
    val = [r for r in rows if r["id"].startswith("Kenya")]
    train = [r for r in rows if not r["id"].startswith("Kenya")] + CHATS
    for name, part in (("train", train), ("val", val)):
        (data / f"{name}.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in part))
    model = write_tiny_model(root / "tiny", data_dir=data)
    return data, model


def _settings(model: Path, **kw) -> TrainSettings:
    base = {"enabled": True, "model": str(model), "max_seq_len": 128, "max_steps": 12, "learning_rate": 1e-2,
            "batch_size": 2, "threads": 1, "lora": {"r": 8, "alpha": 16, "dropout": 0.0}}
    return TrainSettings(**(base | kw))


def _quick(model: Path, **kw) -> TrainSettings:
    """A few steps, no eval/samples/TensorBoard: for tests about the loop's state, not its outputs."""
    return _settings(model, **({"max_steps": 6, "eval": False, "samples": 0, "report_to": ["none"]} | kw))


def test_tiny_model_loads_with_a_local_tokenizer(data_and_model):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    _, model_dir = data_and_model
    tok = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir)
    assert model.config.model_type == "llama"
    assert None not in (tok.bos_token_id, tok.eos_token_id, tok.pad_token_id)
    assert tok.pad_token_id != tok.eos_token_id
    text = "法国的首都是巴黎。 Paris!"
    assert tok.decode(tok(text, add_special_tokens=False)["input_ids"]) == text
    assert tok.chat_template and model.get_input_embeddings().num_embeddings == len(tok)


@pytest.mark.parametrize("template", ["chat", "alpaca"])
def test_labels_mask_prompt_train_answer_and_eos_with_one_bos(data_and_model, template):
    from transformers import AutoTokenizer

    _, model_dir = data_and_model
    tok = AutoTokenizer.from_pretrained(model_dir)
    fmt = PromptFormat(tok, template)
    row = {"instruction": "What is the capital of France?", "input": "", "output": "The capital is Paris."}
    ex = fmt.encode(row, 256)
    # the chat template writes <s> itself and the tokenizer adds one too: still exactly one, first
    assert ex.input_ids.count(tok.bos_token_id) == 1 and ex.input_ids[0] == tok.bos_token_id
    assert ex.input_ids[-1] == tok.eos_token_id and ex.labels[-1] == tok.eos_token_id
    n_prompt = len(fmt.prompt_ids(row))
    assert ex.labels[:n_prompt] == [IGNORE] * n_prompt
    assert ex.labels[n_prompt:] == ex.input_ids[n_prompt:]
    assert tok.decode(ex.input_ids[n_prompt:-1]).strip() == "The capital is Paris."
    preview = label_preview(row, fmt, 256)
    assert preview["checks"]["ok"] and preview["checks"]["bos_count"] == 1
    assert [t["trained"] for t in preview["tokens"]] == [lab != IGNORE for lab in ex.labels]


@pytest.mark.parametrize("template", ["chat", "alpaca"])
def test_conversations_train_every_assistant_turn_and_mask_the_rest(data_and_model, template):
    from transformers import AutoTokenizer

    _, model_dir = data_and_model
    tok = AutoTokenizer.from_pretrained(model_dir)
    row = CHATS[0]
    replies = [pair[1] for pair in row["history"]] + [row["output"]]
    for train_on, trained in (("all", replies), ("last", replies[-1:])):
        fmt = PromptFormat(tok, template, train_on)
        ex = fmt.encode(row, 512)
        preview = label_preview(row, fmt, 512)
        assert preview["checks"]["ok"] and preview["checks"]["bos_count"] == 1, preview["checks"]
        assert len(ex.trained_spans) == len(trained)
        for (start, end), reply in zip(ex.trained_spans, trained, strict=True):
            assert reply in tok.decode(ex.input_ids[start:end])  # the reply and what ends its turn
        text_masked = tok.decode([t for t, lab in zip(ex.input_ids, ex.labels, strict=True) if lab == IGNORE])
        for user in [pair[0] for pair in row["history"]] + [row["instruction"], row["system"]]:
            assert user in text_masked  # every user and system span is masked
        for reply in replies:
            assert (reply in text_masked) is (reply not in trained)
    shown = render_preview(label_preview(row, PromptFormat(tok, template), 512))
    assert "trained spans (one per assistant turn)" in shown and "→ OK" in shown
    if template == "chat":  # the same tokens and the same trained positions as transformers' own assistant mask
        fmt = PromptFormat(tok, "chat")
        ex = fmt.encode(row, 512)
        theirs = tok.apply_chat_template(fmt.messages(row), tokenize=True, return_dict=True,
                                         return_assistant_tokens_mask=True)
        assert theirs["input_ids"][:len(ex)] == ex.input_ids
        assert theirs["assistant_masks"][:len(ex)] == [int(label != IGNORE) for label in ex.labels]


def test_a_long_conversation_loses_its_earliest_exchanges_first(data_and_model):
    from transformers import AutoTokenizer

    _, model_dir = data_and_model
    fmt = PromptFormat(AutoTokenizer.from_pretrained(model_dir), "alpaca")
    row = CHATS[0]
    full = len(fmt.encode(row, 4096))
    cut = fmt.encode(row, full - 1)
    assert cut.truncated and len(cut.trained_spans) == 2 and len(cut) < full
    assert fmt.tokenizer.decode(cut.input_ids[slice(*cut.trained_spans[-1])]).startswith(row["output"])


def test_too_long_rows_keep_answer_and_eos_or_are_skipped(data_and_model):
    from transformers import AutoTokenizer

    _, model_dir = data_and_model
    fmt = PromptFormat(AutoTokenizer.from_pretrained(model_dir), "alpaca")
    long_prompt = {"instruction": "Summarise.", "input": "word " * 300, "output": "Short answer."}
    ex = fmt.encode(long_prompt, 96)
    assert ex is not None and ex.truncated and len(ex) == 96
    answer = fmt.response_ids(long_prompt)
    assert ex.input_ids[-len(answer):] == answer and ex.labels[-len(answer):] == answer
    header = fmt.prompt_ids({"instruction": "x"})[-fmt.header_len:]
    assert ex.input_ids[-len(answer) - fmt.header_len:-len(answer)] == header  # '### Response:' survives
    long_answer = {"instruction": "Count.", "input": "", "output": "one two three " * 100}
    assert fmt.encode(long_answer, 96) is None
    encoded, info = encode_rows([long_prompt, long_answer, {"instruction": "Hi", "output": "Hello."}], fmt, 96)
    assert len(encoded) == 2
    assert (info["truncated_prompt"], info["skipped_answer_too_long"], info["over_max_seq_len"]) == (1, 1, 2)


def test_gates_refuse_with_a_clear_message(data_and_model):
    data, model = data_and_model
    with pytest.raises(GateError, match=r"min_rows is 1000"):
        run_training(data, _settings(model, gates=GateSettings(min_rows=1000)), data / "never")
    with pytest.raises(GateError, match=r"longer than max_seq_len=16 .*max_over_length_share"):
        run_training(data, _settings(model, max_seq_len=16), data / "never")
    assert not (data / "never" / "adapter").exists()


def test_stats_use_the_models_tokenizer(data_and_model):
    from transformers import AutoTokenizer

    data, model = data_and_model
    rows = [json.loads(x) for x in (data / "train.jsonl").read_text().splitlines()]
    fmt = PromptFormat(AutoTokenizer.from_pretrained(model))
    encoded, stats = training_stats(rows, fmt, 128)
    assert stats["rows"] == len(rows) == len(encoded) and stats["tokens_method"] == "tokenizer"
    assert stats["sources"] == dict(Counter(r["source"] for r in rows)) and set(stats["languages"]) == {"en", "zh"}
    assert stats["conversations"]["rows"] == len(CHATS)
    assert stats["training"]["trained_tokens"] == sum(sum(x != IGNORE for x in e.labels) for e in encoded)
    assert 0 < stats["training"]["example_tokens"]["p50"] <= stats["training"]["example_tokens"]["max"] <= 128


def test_dry_run_prints_stats_and_label_preview_without_loading_weights(data_and_model, capsys, monkeypatch):
    import transformers

    data, model = data_and_model

    def no_weights(*args, **kwargs):
        raise AssertionError("a dry run must not load model weights")

    monkeypatch.setattr(transformers.AutoModelForCausalLM, "from_pretrained", no_weights)
    out = data / "dry"
    assert main(["--data", str(data), "--model", str(model), "--dry-run", "--output", str(out)]) == 0
    printed = capsys.readouterr().out
    rows = len((data / "train.jsonl").read_text().splitlines())
    assert f"{rows} rows" in printed and "label  token" in printed and "→ OK" in printed
    assert "'</s>'" in printed and "'<s>'" in printed
    report = json.loads((out / "dry_run.json").read_text())
    assert report["gate_problems"] == [] and all(p["checks"]["ok"] for p in report["preview"])
    # advice before GPU hours: the memory estimate with its terms, and the data-size advice
    assert "estimated peak GPU memory" in printed and "weights_4bit_nf4_double_quant" in printed
    assert f"advice: {rows} rows (< 10,000): start from the chat/instruct model" in printed
    assert report["memory_estimate"]["params"]["lora"] > 0 and report["advice"]
    assert main(["--data", str(data), "--model", str(model), "--dry-run", "--output", str(out),
                 "--min-rows", "999"]) == 2
    assert "--min-rows" in capsys.readouterr().err  # the gate message names the flag that changes it


def test_cli_explains_itself(data_and_model, tmp_path, capsys, monkeypatch):
    data, model = data_and_model
    with pytest.raises(SystemExit):
        main(["--help"])
    shown = capsys.readouterr().out
    for flag in ("--save-every", "--resume", "--eval-every", "--early-stopping-patience", "--report-to",
                 "--adapter", "--samples", "--lr-scheduler", "--loss-chunk"):
        assert flag in shown, flag
    assert "(default: 0.0002)" in shown and "accelerate launch" in shown
    assert main(["--data", str(tmp_path / "nowhere"), "--model", str(model), "--dry-run"]) == 2
    assert "data folder not found" in capsys.readouterr().err
    import huggingface_hub.constants

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)  # read at import: set it for this test
    assert main(["--data", str(data), "--model", "no-such-org/no-such-model", "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert "could not be fetched from the Hugging Face Hub" in err and "HF_HUB_OFFLINE" in err


def test_packing_never_attends_across_examples(data_and_model):
    """Packed logits equal the logits of each example run alone; with the cache on they do not (the trap)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.masking_utils import find_packed_sequence_indices

    data, model_dir = data_and_model
    tok = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32).eval()
    rows = [json.loads(x) for x in (data / "train.jsonl").read_text().splitlines()][:3]
    encoded, _ = encode_rows(rows, PromptFormat(tok), 128)
    batch = collate_packed([encoded], tok.pad_token_id)
    lengths = [len(e) for e in encoded]
    segments = find_packed_sequence_indices(batch.inputs["position_ids"])
    assert segments is not None and segments[0].tolist() == [i for i, n in enumerate(lengths) for _ in range(n)]
    with torch.no_grad():
        packed = model(input_ids=batch.inputs["input_ids"], position_ids=batch.inputs["position_ids"],
                       use_cache=False).logits[0]
        leaky = model(input_ids=batch.inputs["input_ids"], position_ids=batch.inputs["position_ids"]).logits[0]
        start, worst_leak = 0, 0.0
        for ex in encoded:
            alone = model(input_ids=torch.tensor([ex.input_ids]), use_cache=False).logits[0]
            torch.testing.assert_close(packed[start:start + len(ex)], alone, atol=1e-4, rtol=1e-4)
            worst_leak = max(worst_leak, float((leaky[start:start + len(ex)] - alone).abs().max()))
            start += len(ex)
    assert worst_leak > 1e-3  # the test can see leakage: with the default cache, examples 2 and 3 see example 1


def test_pack_and_padded_batches_cover_every_example_once(data_and_model):
    from transformers import AutoTokenizer

    data, model_dir = data_and_model
    tok = AutoTokenizer.from_pretrained(model_dir)
    rows = [json.loads(x) for x in (data / "train.jsonl").read_text().splitlines()]
    encoded, info = encode_rows(rows, PromptFormat(tok), 128)
    bins = pack(encoded, 128)
    assert sorted(id(e) for b in bins for e in b) == sorted(id(e) for e in encoded)
    assert all(sum(len(e) for e in b) <= 128 for b in bins) and len(bins) < len(encoded)
    for packing in (True, False):
        batches = make_batches(encoded, 3, 128, tok.pad_token_id, packing)
        assert sum(b.real_tokens for b in batches) == info["train_tokens"]
        assert sum(b.trained_tokens for b in batches) == info["trained_tokens"]
        for b in batches:
            pad = b.inputs["input_ids"] == tok.pad_token_id
            assert (b.inputs["labels"][pad] == IGNORE).all()


def test_qlora_nf4_trains_saves_and_reloads(data_and_model, tmp_path):
    import bitsandbytes as bnb
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    data, model_dir = data_and_model
    settings = _settings(model_dir, merge=True, eval_every=6)
    lines: list[str] = []
    metrics = run_training(data, settings, tmp_path / "run", log=lines.append)
    assert any("4-bit NF4 with double quantisation" in line for line in lines)

    # really 4-bit NF4 with double quantisation
    base = load_4bit(str(model_dir), torch.float32, "cpu")
    q_proj = base.model.layers[0].self_attn.q_proj
    assert isinstance(q_proj, bnb.nn.Linear4bit)
    assert q_proj.weight.quant_state.quant_type == "nf4" and q_proj.weight.quant_state.nested

    # it learned: training loss and eval loss on val.jsonl fall
    losses = metrics["loss"]
    assert metrics["steps"] == 12 and metrics["loss_steps"] == list(range(1, 13))
    assert len(losses) == 12 and sum(losses[-3:]) < sum(losses[:3])
    assert metrics["eval_loss"] < metrics["eval_loss_before"]
    assert metrics["tokens_per_s"] > 0 and metrics["peak_memory_gib"] > 0 and metrics["wall_s"] > 0
    assert 0 <= metrics["padding_share"] < 0.5 and metrics["val_examples"] == 4
    check = metrics["packing_check"]  # the run verified on its own model that packed examples stay apart
    assert metrics["packing"] and check["ok"] and check["max_abs_diff"] < 1e-3 < check["leak_diff"]

    run = tmp_path / "run"
    adapter = run / "adapter"
    for name in ("adapter_model.safetensors", "adapter_config.json", "tokenizer.json", "prompt_template.json",
                 "train_config.json"):
        assert (adapter / name).is_file(), name
    assert json.loads((adapter / "prompt_template.json").read_text())["mode"] == "chat"
    assert json.loads((adapter / "train_config.json").read_text())["settings"]["lora"]["r"] == 8
    saved = json.loads((run / "metrics.json").read_text())
    assert saved["loss"] == losses and (run / "loss_curve.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [step for step, _ in saved["evals"]] == [6, 12] and saved["evals"][-1][1] == saved["eval_loss"]

    # TensorBoard: loss, lr, grad norm, tokens/s per step and the evals
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(run / "logs")).Reload()
    tags = set(events.Tags()["scalars"])
    assert {"train/loss", "train/learning_rate", "train/grad_norm", "train/tokens_per_s", "eval/loss"} <= tags
    assert [e.step for e in events.Scalars("eval/loss")] == [0, 6, 12]
    assert [e.value for e in events.Scalars("train/loss")] == pytest.approx(losses, abs=1e-4)

    # samples: greedy generations for val prompts beside their references, in samples.jsonl and the report
    val = [json.loads(x) for x in (data / "val.jsonl").read_text().splitlines()]
    samples = [json.loads(x) for x in (run / "samples.jsonl").read_text().splitlines()]
    assert [(s["id"], s["reference"]) for s in samples] == [(r["id"], r["output"]) for r in val[:4]]
    assert all(0 < s["new_tokens"] <= settings.sample_max_new_tokens for s in samples)
    report = (run / "report.md").read_text()
    assert "## Samples" in report and val[0]["output"] in report

    # the model card is filled in: base, data, settings, metrics
    card = (adapter / "README.md").read_text()
    assert f"base_model: {model_dir}" in card and "NF4" in card and "LoRA r=8, alpha=16" in card
    assert f"| eval_loss | {metrics['eval_loss']} |" in card and f"{metrics['train_examples']} training rows" in card

    # the adapter reloads onto the 4-bit base and changes its output
    fmt = PromptFormat.from_adapter(adapter)
    assert fmt.mode == "chat" and fmt.tokenizer.chat_template == _tok(model_dir).chat_template
    ids = torch.tensor([fmt.prompt_ids({"instruction": "法国的首都是哪里？"})])
    with torch.no_grad():
        before = base(input_ids=ids, use_cache=False).logits
        tuned = PeftModel.from_pretrained(base, adapter).eval()
        after = tuned(input_ids=ids, use_cache=False).logits
    assert (after - before).abs().max() > 1e-3

    # the merged model (from a non-quantised reload) equals base + adapter without quantisation
    plain = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32),
                                      adapter).eval()
    merged = AutoModelForCausalLM.from_pretrained(run / "merged", dtype=torch.float32).eval()
    with torch.no_grad():
        torch.testing.assert_close(merged(input_ids=ids).logits, plain(input_ids=ids).logits, atol=1e-4, rtol=1e-4)


def _tok(path: Path):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(path)


def test_settings_reject_unknown_keys():
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="lora_rank"):
        TrainSettings(model="x", lora_rank=8)
    assert TrainSettings(model="x", lora={"r": 4}).lora.alpha == 32


def test_chunked_loss_matches_the_models_loss_and_gradients(data_and_model):
    from train.loss import chunked_causal_lm_loss, supports_chunked_loss
    from train.qlora import add_lora

    data, model_dir = data_and_model
    tok = _tok(model_dir)
    rows = [json.loads(x) for x in (data / "train.jsonl").read_text().splitlines()][:6]
    encoded, _ = encode_rows(rows, PromptFormat(tok), 128)
    model = add_lora(load_4bit(str(model_dir), torch.float32, "cpu"), _settings(model_dir))
    torch.nn.init.normal_(model.base_model.model.model.layers[0].self_attn.q_proj.lora_B["default"].weight)
    assert supports_chunked_loss(model)
    for batch in (make_batches(encoded, 6, 128, tok.pad_token_id, True)[0],
                  make_batches(encoded, 6, 128, tok.pad_token_id, False)[0]):
        grads = []
        for use_chunks in (False, True):
            model.zero_grad()
            loss = (chunked_causal_lm_loss(model, batch.inputs, chunk=7) if use_chunks
                    else model(**batch.inputs, use_cache=False).loss)
            loss.backward()
            grads.append((float(loss.detach()), [p.grad.clone() for p in model.parameters() if p.requires_grad]))
        assert grads[0][0] == pytest.approx(grads[1][0], rel=1e-5)
        for a, b in zip(grads[0][1], grads[1][1], strict=True):
            torch.testing.assert_close(a, b, atol=1e-6, rtol=1e-4)


def test_gpu_benchmark_smoke_runs_on_cpu(tmp_path):
    import importlib.util

    spec = importlib.util.spec_from_file_location("train_gpu", Path(__file__).parent.parent / "bench" / "train_gpu.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    out = tmp_path / "bench.json"
    assert bench.main(["--smoke", "--steps", "2", "--warmup", "0", "--cache", str(tmp_path / "models"),
                       "--out", str(out)]) == 0
    results = json.loads(out.read_text())["results"]
    by_case = {(r["case"], r["stack"]): r for r in results}
    assert len(by_case) == 5 and all(r["real_tokens_per_s"] > 0 for r in results)
    padded = by_case[("padded 8 (baseline)", "plain (prepare_model_for_kbit_training)")]
    packed = by_case[("packed 2x256", "this task")]
    assert packed["padding_share"] < padded["padding_share"]


def test_cli_reports_bad_settings_keys(data_and_model, tmp_path, capsys):
    data, model = data_and_model
    config = tmp_path / "train.yaml"
    config.write_text("train:\n  lora: {rank: 4}\n")
    assert main(["--data", str(data), "--model", str(model), "--config", str(config), "--dry-run"]) == 2
    assert "train.lora.rank: Extra inputs are not permitted" in capsys.readouterr().err


def test_pad_equal_to_eos_still_trains_eos(data_and_model):
    """Models without a pad token pad with EOS here; padding is masked by position, so EOS keeps its label."""
    data, model_dir = data_and_model
    tok = _tok(model_dir)
    rows = [json.loads(x) for x in (data / "train.jsonl").read_text().splitlines()]
    encoded, info = encode_rows(rows, PromptFormat(tok), 128)
    for packing in (True, False):
        batches = make_batches(encoded, 4, 128, tok.eos_token_id, packing)
        eos_labelled = sum(int((b.inputs["labels"] == tok.eos_token_id).sum()) for b in batches)
        # one trained EOS per example, and one per earlier reply where the chat template ends a turn with it
        assert eos_labelled == sum(e.labels.count(tok.eos_token_id) for e in encoded) >= len(encoded)
        assert sum(b.trained_tokens for b in batches) == info["trained_tokens"]


def test_a_killed_run_resumes_to_the_same_adapter(data_and_model, tmp_path):
    """Crash after step 3 (checkpoint at 2), resume: same losses and adapter as the uninterrupted run."""
    from safetensors.torch import load_file

    from train.trainer import Interrupted, StopAfter

    data, model_dir = data_and_model
    settings = _quick(model_dir, save_every=2, lora={"r": 8, "alpha": 16, "dropout": 0.1})  # dropout: RNG restored
    full = run_training(data, settings, tmp_path / "full", log=lambda _: None)
    with pytest.raises(Interrupted):
        run_training(data, settings, tmp_path / "cut", log=lambda _: None, callbacks=[StopAfter(3)])
    checkpoints = sorted(p.name for p in (tmp_path / "cut" / "checkpoints").iterdir())
    assert checkpoints == ["checkpoint-2"] and not (tmp_path / "cut" / "adapter").exists()
    resumed = run_training(data, settings, tmp_path / "cut", log=lambda _: None, resume=True)
    assert resumed["resumed_from"].endswith("checkpoint-2") and resumed["steps"] == full["steps"] == 6
    assert resumed["loss"] == pytest.approx(full["loss"], abs=1e-5)
    a = load_file(tmp_path / "full" / "adapter" / "adapter_model.safetensors")
    b = load_file(tmp_path / "cut" / "adapter" / "adapter_model.safetensors")
    assert a.keys() == b.keys() and len(a) > 0
    for key in a:
        torch.testing.assert_close(a[key], b[key], atol=1e-6, rtol=1e-5)
    assert main(["--data", str(data), "--model", str(model_dir), "--output", str(tmp_path / "none"),
                 "--resume"]) == 2  # nothing to resume from: said plainly


def _val_loss(model, model_dir: Path, data: Path) -> float:
    """Mean loss per trained token over val.jsonl, as the trainer computes it."""
    tok = _tok(model_dir)
    rows = [json.loads(x) for x in (data / "val.jsonl").read_text().splitlines()]
    encoded, _ = encode_rows(rows, PromptFormat(tok), 128)
    total = count = 0.0
    with torch.no_grad():
        for row in pack(encoded, 128):
            inputs = collate_packed([row], tok.pad_token_id).inputs
            n = int((inputs["labels"][:, 1:] != IGNORE).sum())
            total += float(model(**inputs, use_cache=False).loss) * n
            count += n
    return total / count


@pytest.mark.parametrize("lora", [{"method": "dora"}, {"rslora": True}, {"method": "vera", "r": 16},
                                  {"loraplus_lr_ratio": 16.0}], ids=["dora", "rslora", "vera", "loraplus"])
def test_adapter_family_trains_and_reloads_on_the_4bit_base(data_and_model, tmp_path, lora):
    from peft import PeftModel

    data, model_dir = data_and_model
    settings = _quick(model_dir, max_steps=3, eval=True, save_every=3, lora={"r": 8, "alpha": 16, "dropout": 0.0}
                      | lora)
    metrics = run_training(data, settings, tmp_path / "run", log=lambda _: None)
    adapter = tmp_path / "run" / "adapter"
    config = json.loads((adapter / "adapter_config.json").read_text())
    base = load_4bit(str(model_dir), torch.float32, "cpu")
    before = _val_loss(base, model_dir, data)
    reloaded = PeftModel.from_pretrained(base, adapter).eval()
    # the reloaded adapter reproduces the trained model's eval loss, and it is not the base model's
    assert _val_loss(reloaded, model_dir, data) == pytest.approx(metrics["eval_loss"], abs=1e-4)
    assert abs(metrics["eval_loss"] - before) > 1e-4
    if lora.get("method") == "vera":
        from transformers import AutoConfig

        from train.memory import Shape

        lora_r8 = Shape.from_config(AutoConfig.from_pretrained(model_dir)).lora_params(8)
        assert config["peft_type"] == "VERA" and metrics["trainable_params"] < lora_r8 / 4  # far fewer than LoRA
    else:
        assert config["use_dora"] is (lora.get("method") == "dora")
        assert config["use_rslora"] is bool(lora.get("rslora"))
    if "loraplus_lr_ratio" in lora:  # B matrices at 16x the learning rate of A, as saved in the checkpoint
        state = torch.load(tmp_path / "run" / "checkpoints" / "checkpoint-3" / "optimizer.pt", weights_only=False)
        lrs = sorted({group["initial_lr"] for group in state["param_groups"] if group["params"]})
        assert lrs == pytest.approx([settings.learning_rate, 16 * settings.learning_rate])


def test_two_process_data_parallel_run_on_cpu_saves_one_adapter(data_and_model, tmp_path):
    """`accelerate launch` with 2 processes (gloo on the CPU): each loads its own 4-bit base; rank 0 saves."""
    import os
    import subprocess
    import sys

    data, model_dir = data_and_model
    out = tmp_path / "ddp"
    env = os.environ | {"PYTHONPATH": str(Path(__file__).parent.parent), "OMP_NUM_THREADS": "1"}
    launch = [sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", "2",
              "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no", "-m", "train.qlora",
              "--data", str(data), "--model", str(model_dir), "--output", str(out), "--max-steps", "2",
              "--max-seq-len", "128", "--batch-size", "2", "--threads", "1", "--samples", "0", "--report-to", "none"]
    done = subprocess.run(launch, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["processes"] == 2 and metrics["steps"] == 2 and metrics["epoch"] == 1.0  # 2 x 2 rows a step
    assert (out / "adapter" / "adapter_model.safetensors").is_file()
    assert done.stdout.count("trained 2 steps") == 1  # one process reports and saves


def test_chunked_loss_in_the_trainer_gives_the_same_run(data_and_model, tmp_path):
    """The Trainer's loss with the chunked cross-entropy (the default for large vocabularies) = the model's own."""
    data, model_dir = data_and_model
    plain = run_training(data, _quick(model_dir, max_steps=3, loss_chunk=0), tmp_path / "a", log=lambda _: None)
    chunked = run_training(data, _quick(model_dir, max_steps=3, loss_chunk=16), tmp_path / "b", log=lambda _: None)
    assert chunked["loss_chunk"] == 16 and plain["loss_chunk"] == 0
    assert chunked["loss"] == pytest.approx(plain["loss"], abs=1e-5)


def test_early_stopping_ends_the_run_when_eval_loss_stops_improving(data_and_model, tmp_path):
    data, model_dir = data_and_model
    # no improvement can beat a threshold of 1.0 nats: stop after `patience` evals without one
    settings = _quick(model_dir, max_steps=10, eval=True, eval_every=1, early_stopping_patience=2,
                      early_stopping_threshold=1.0)
    metrics = run_training(data, settings, tmp_path / "run", log=lambda _: None)
    # evals at steps 1-3, then the kept (best) adapter once more
    assert metrics["steps"] == 3 and [step for step, _ in metrics["evals"]] == [1, 2, 3, 3]
    best = min(loss for _, loss in metrics["evals"])
    # kept: the final eval re-runs the best adapter; threaded CPU matmuls may move the fifth decimal (6.64273 vs
    # 6.64275 seen once), so equal to a relative 1e-5, not an absolute one
    assert metrics["best_eval_loss"] == best and metrics["eval_loss"] == pytest.approx(best, rel=1e-5)
