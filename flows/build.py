"""`python -m flows.build [--config FILE] [--out DIR] [--force] [--wait] [--verbose] [--no-warm-server]`: run the
curation flow locally.

The config and the output folder are checked before Prefect is even imported, so a broken config or a refused
folder fails in well under a second; and when nothing changed since the last run (every source a file, cached,
outputs current), it says so without starting Prefect at all (`--force` runs the flow anyway, e.g. to record the
run in the Prefect UI). Failures print one line each (source, error, what to do); tracebacks go to build.log in the
output folder, and to the terminal too with --verbose.
"""

from __future__ import annotations

import atexit
import gc
import os
import sys

_EXIT_CODE = [1]


def _end_process(code: list[int]) -> None:
    """The last exit hook of `python -m flows.build`: every other one has run (Prefect's log and event workers
    draining to the server, logging's flush, multiprocessing's and tempfile's clean-ups); what is left is tearing down
    the interpreter's thousands of modules and objects, ~1 s for nothing. End the process now instead."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code[0])


if __name__ == "__main__":
    # Registered before any other import registers an exit hook of its own, so it runs after all of them.
    atexit.register(_end_process, _EXIT_CODE)
    # Importing Prefect and the pipeline makes ~230k objects, none of them garbage: the cycle collector's passes over
    # them are wasted (~6% of the run's CPU, bench/RESULTS.md). Off until the flow starts; then frozen out of its reach.
    gc.disable()

import argparse  # noqa: E402
import logging  # noqa: E402
import signal  # noqa: E402
import time  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from pathlib import Path  # noqa: E402
from types import FrameType  # noqa: E402

from flows.config import ConfigError, PipelineConfig, load_config  # noqa: E402
from flows.failures import describe, hint  # noqa: E402
from flows.local_server import LocalServer, start_unless_configured  # noqa: E402
from flows.outdir import OutputDirError, output_lock, prepare  # noqa: E402
from flows.outputs import output_files  # noqa: E402
from flows.warm_server import WarmServer, idle_seconds  # noqa: E402
from formats import cancel  # noqa: E402

DEFAULT_CONFIG = "sample_data/pipeline.yaml"
LOG_FILE = "build.log"


class _Terse(logging.Filter):
    """The terminal without --verbose: progress lines only; errors and tracebacks go to build.log, and the CLI
    prints one line per failure itself."""

    _FAILURE = ("Traceback", "failed with exception", "in state Failed(", "encountered an exception")

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.WARNING or record.exc_info:
            return False
        message = record.getMessage()
        return not any(mark in message for mark in self._FAILURE)


def _route_logs(log_file: Path, verbose: bool) -> None:
    """Everything (tracebacks included) into `log_file`; the terminal's handlers get the terse filter."""
    to_file = logging.FileHandler(log_file, mode="w", encoding="utf-8")
    to_file.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    loggers = [logging.getLogger()] + [logger for logger in logging.root.manager.loggerDict.values()
                                       if isinstance(logger, logging.Logger)]
    for logger in loggers:
        for handler in logger.handlers:
            if isinstance(handler, logging.StreamHandler) and not isinstance(handler, logging.FileHandler) \
                    and not verbose:
                handler.addFilter(_Terse())
        if logger is logging.getLogger() or (logger.handlers and not logger.propagate):
            logger.addHandler(to_file)


@contextmanager
def _stop_on_sigterm() -> Iterator[None]:
    """SIGTERM behaves like Ctrl-C, and both tell running readers to stop at their next record or chunk."""
    def on_signal(signum: int, frame: FrameType | None) -> None:
        cancel.request_stop()
        cancel.stop_workers()  # a process pool's workers: now, not after Prefect unwinds
        raise KeyboardInterrupt(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, on_signal)
    try:
        yield
    except KeyboardInterrupt:
        cancel.request_stop()
        raise
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m flows.build", description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=DEFAULT_CONFIG, help=f"pipeline YAML (default {DEFAULT_CONFIG})")
    parser.add_argument("--out", default=None,
                        help="output folder (default: output.dir from the config, relative to the config file)")
    parser.add_argument("--force", action="store_true", help="run the flow even when the outputs are current")
    parser.add_argument("--wait", action="store_true", help="wait for another run on the same folder to end")
    parser.add_argument("--verbose", action="store_true", help="show warnings and tracebacks in the terminal")
    parser.add_argument("--no-warm-server", action="store_true",
                        help="without a configured Prefect server, start a temporary one for this run only instead of "
                             "reusing (or leaving) a warm local one (same as SFTCURATE_WARM_SERVER=0)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    try:
        cfg, base_dir = load_config(args.config)
        out_dir = prepare(cfg, base_dir, Path(args.config), args.out)
    except ConfigError as err:
        print(f"config error: {err}", file=sys.stderr)
        return 2
    except OutputDirError as err:
        print(f"output folder refused: {err}", file=sys.stderr)
        return 2
    try:
        with output_lock(out_dir, wait=args.wait), _stop_on_sigterm():
            return _run(args, cfg, base_dir, out_dir, started)
    except OutputDirError as err:
        print(f"build refused: {err}", file=sys.stderr)
        return 3
    except KeyboardInterrupt:
        print(f"stopped; temp folders removed; finished work stays cached in {out_dir}/.cache", file=sys.stderr)
        return 130


def _run(args: argparse.Namespace, cfg: PipelineConfig, base_dir: Path, out_dir: Path, started: float) -> int:
    if not args.force:
        from flows.incremental import up_to_date

        report = up_to_date(cfg, base_dir, out_dir)
        if report is not None:
            totals = report["totals"]
            print(f"nothing changed since the last run (checked in {time.perf_counter() - started:.2f}s): "
                  f"{out_dir}/ is current — read {totals['read']} rows → kept {totals['kept']}. "
                  "--force runs the flow anyway.")
            return 0
    # The first flow in a fresh PREFECT_HOME builds its database for ~19 s; the default limit is 20 s.
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    # a warm server from an earlier run answers at once; a new one boots on one core while this process imports
    # Prefect on the other
    try:
        server = start_unless_configured(warm=not args.no_warm_server)
    except ValueError as err:  # a bad SFTCURATE_SERVER_IDLE_MINUTES
        print(f"setting refused: {err}", file=sys.stderr)
        return 2
    if isinstance(server, WarmServer) and server.started_now:
        print(f"started a local Prefect server at {server.url} for this run and the next ones; it stops after "
              f"{idle_seconds() / 60:g} min without a run (SFTCURATE_WARM_SERVER=0: a temporary server per run)",
              file=sys.stderr)
    try:
        return _run_flow(args, cfg, out_dir, started, server)
    finally:
        if server:
            server.stop()
            os.environ.pop("PREFECT_API_URL", None)
            os.environ.pop("PREFECT_UI_URL", None)


@contextmanager
def _no_heartbeats(local: bool) -> Iterator[None]:
    """On our own local server, no flow-run heartbeats: its ephemeral mode runs no service that reads them, and each
    flow's end waited up to 1 s for the heartbeat thread's sleep (two flows per run). A configured server, or
    PREFECT_FLOWS_HEARTBEAT_FREQUENCY set by the user, keeps them."""
    if not local or "PREFECT_FLOWS_HEARTBEAT_FREQUENCY" in os.environ:
        yield
        return
    from prefect.settings import temporary_settings

    with temporary_settings(updates={"flows.heartbeat_frequency": None}):
        yield


def _run_flow(args: argparse.Namespace, cfg: PipelineConfig, out_dir: Path, started: float,
              server: LocalServer | WarmServer | None) -> int:
    from flows.pipeline import SourcesFailed, build

    if not gc.isenabled():  # `python -m flows.build`: everything imported so far stays; collect what the run makes
        gc.freeze()
        gc.enable()
    _route_logs(out_dir / LOG_FILE, args.verbose)
    try:
        if server:
            server.wait_healthy(float(os.environ["PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"]))
        with _no_heartbeats(server is not None):
            report = build(config=args.config, out=str(out_dir))
    except SourcesFailed as err:
        for name, message in err.failed.items():
            print(describe(name, message), file=sys.stderr)
        print(f"the other sources' results are in {out_dir}/ (details: {out_dir / LOG_FILE})", file=sys.stderr)
        return 1
    except Exception as err:  # the log file has the traceback; say what happened in one line
        message = str(err).strip().splitlines()[0] if str(err).strip() else ""
        print(f"build failed: {type(err).__name__}: {message} — {hint(message)}", file=sys.stderr)
        return 1
    totals = report["totals"]
    print(f"\nread {totals['read']} rows → kept {totals['kept']} (train {totals['train']}, val {totals['val']}), "
          f"rejected {totals['rejected']}, edited {totals['edited_rows']} rows in {time.perf_counter() - started:.1f}s "
          f"(curation itself {report.get('curation_seconds', 0):.1f}s, the rest is Prefect's start-up and bookkeeping)")
    if not totals["kept"]:
        print(f"no row was kept: no train/val files and no trainer entries were written; {out_dir}/report.html "
              "says why")
        return 0
    names = " ".join(str(path.relative_to(out_dir)) for path in output_files(cfg.output, out_dir))
    print(f"outputs in {out_dir}/: {names} (open report.html in a browser first)")
    return 0


if __name__ == "__main__":
    _EXIT_CODE[0] = main()
    sys.exit(_EXIT_CODE[0])
