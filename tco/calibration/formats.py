"""Benchmark result files: read the throughput, latency and request shape of each run.

Each reader takes one decoded document and returns its runs as ``Measured`` records; ``read``
detects the format from the document's own keys, never from the file name. The formats and the
documents that define their fields:

- ``vllm``: ``vllm bench serve --save-result`` JSON (vllm-project/vllm vllm/benchmarks/serve.py,
  the ``result`` dict): ``completed``, ``failed``, ``total_input_tokens``, ``total_output_tokens``,
  ``output_throughput`` (tokens/s), ``mean_tpot_ms``, ``mean_ttft_ms``.
- ``guidellm``: GuideLLM ``benchmarks.json`` (vllm-project/guidellm
  src/guidellm/benchmark/schemas/metrics.py ``GenerativeMetrics``): per benchmark
  ``metrics.{output_tokens_per_second, time_per_output_token_ms, time_to_first_token_ms,
  prompt_token_count, output_token_count}.successful.mean`` and ``metrics.request_totals``.
- ``aiperf``: NVIDIA AIPerf ``profile_export_aiperf.json`` and genai-perf
  ``profile_export_genai_perf.json`` (ai-dynamo/aiperf docs/reference/json-export-schema.md;
  aiperf/common/models/export_models.py ``JsonExportData``): top-level metric blocks
  ``{unit, avg, ...}`` for ``output_token_throughput``, ``inter_token_latency``,
  ``time_to_first_token``, ``input_sequence_length``, ``output_sequence_length``,
  ``request_count``, ``error_request_count``.
- ``inference-perf``: kubernetes-sigs/inference-perf ``summary_lifecycle_metrics.json`` or
  ``stage_N_lifecycle_metrics.json`` (docs/reports.md): ``successes.{count, throughput.
  output_tokens_per_sec, latency.request_latency.mean (s), latency.time_to_first_token.mean (s),
  prompt_len.mean, output_len.mean}``, ``failures.count``.
- ``benchmark-report``: Benchmark Report v0.2 YAML, which inference-perf writes per stage
  (llm-d/llm-d-benchmark llmdbenchmark/analysis/benchmark_report/br_v0_2_example.yaml):
  ``results.request_performance.aggregate.{requests.{total, failures, input_length.mean,
  output_length.mean}, throughput.output_token_rate.mean, latency.time_per_output_token.mean,
  latency.time_to_first_token.mean}`` with their ``units``.
- ``inferencex``: InferenceX (InferenceMAX) aggregated results, the ``agg_bmk.json`` list of its
  nightly runs or a CSV with the same columns: ``hw``, ``model``, ``framework``, ``precision``,
  ``isl``, ``osl``, ``tp``, ``ep``, ``dp_attention``, ``conc``, ``output_tput_per_gpu`` (tokens/s
  per GPU), ``mean_tpot`` and ``mean_ttft`` (s).

Throughput is the whole benchmarked endpoint's output tokens per second (InferenceX's is per GPU;
its reader multiplies by ``tp``). Latencies are means: by Little's law the mean number of
decoding sequences is output tokens/s x mean time per output token, the batch a run's steps
carried (``Measured.concurrency``).
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import yaml

from tco.errors import ScenarioError
from tco.units import MS_PER_S

FORMATS = {
    "vllm": "vllm bench serve --save-result JSON",
    "guidellm": "GuideLLM benchmarks.json",
    "aiperf": "AIPerf / genai-perf profile export JSON",
    "inference-perf": "inference-perf lifecycle metrics JSON",
    "benchmark-report": "Benchmark Report v0.2 YAML",
    "inferencex": "InferenceX aggregated results (agg_bmk.json or CSV)",
}
"""Format key -> what the user knows it as (the error for an unknown file lists these)."""

MAX_FILE_BYTES = 1_000_000
"""Summary files are kilobytes; a detailed vLLM file with per-request arrays stays under this for
a few thousand requests. The page's upload takes the same limit."""


@dataclass(frozen=True)
class Measured:
    """One benchmark run: a load level of one endpoint."""

    file: str
    label: str
    """Which run of the file ('benchmark 2', 'row 14', or '' for a one-run file)."""
    format: str
    input_tokens: float
    """Mean prompt tokens per successful request."""
    output_tokens: float
    """Mean generated tokens per successful request."""
    output_tokens_per_s: float
    """Output tokens per second of the whole endpoint (one replica)."""
    time_per_output_token_ms: float
    """Mean time per output token after the first (the step time of a decoding sequence)."""
    time_to_first_token_ms: float | None
    completed: int | None
    failed: int | None
    replica_gpus: int | None = None
    """GPUs of the endpoint where the file says (InferenceX's tp)."""
    layout: str | None = None
    """'dp-ep' where the file says attention ran data-parallel (InferenceX's dp_attention)."""
    gpu: str | None = None
    model: str | None = None
    precision: str | None = None

    @property
    def concurrency(self) -> float:
        """Mean decoding sequences: output tokens/s x mean time per output token (Little's law)."""
        return self.output_tokens_per_s * self.time_per_output_token_ms / MS_PER_S

    @property
    def where(self) -> str:
        return f"{self.file} ({self.label})" if self.label else self.file


def _bad(file: str, field: str, rule: str) -> ScenarioError:
    return ScenarioError(f"{file}: {field}", rule)


def _get(doc: Any, path: str, file: str, where: str = "") -> Any:
    value = doc
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value or value[part] is None:
            raise _bad(file, f"{where}{path}", "is missing")
        value = value[part]
    return value


def _number(doc: Any, path: str, file: str, where: str = "", positive: bool = True,
            optional: bool = False) -> float | None:
    try:
        raw = _get(doc, path, file, where)
    except ScenarioError:
        if optional:
            return None
        raise
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise _bad(file, f"{where}{path}", f"must be a number, not {str(raw)[:40]!r}") from None
    if not math.isfinite(value):
        raise _bad(file, f"{where}{path}", "must be a finite number")
    if positive and value <= 0:
        raise _bad(file, f"{where}{path}", f"must be greater than 0 (got {value:g})")
    if value < 0:
        raise _bad(file, f"{where}{path}", f"must not be negative (got {value:g})")
    return value


def _successes(file: str, field: str, completed: float | None, failed: float | None) -> None:
    """Refuse a run without a successful request: its throughput measures nothing served."""
    if completed is not None and completed <= 0:
        lost = f" ({failed:.0f} failed)" if failed else ""
        raise _bad(file, field, f"no successful request{lost}: a run must complete requests to "
                   "measure throughput")


def _vllm(doc: dict, file: str) -> list[Measured]:
    completed = _number(doc, "completed", file, positive=False)
    failed = _number(doc, "failed", file, positive=False, optional=True)
    _successes(file, "completed", completed, failed)
    return [Measured(
        file, "", "vllm",
        input_tokens=_number(doc, "total_input_tokens", file) / completed,
        output_tokens=_number(doc, "total_output_tokens", file) / completed,
        output_tokens_per_s=_number(doc, "output_throughput", file),
        time_per_output_token_ms=_number(doc, "mean_tpot_ms", file),
        time_to_first_token_ms=_number(doc, "mean_ttft_ms", file, optional=True),
        completed=int(completed), failed=None if failed is None else int(failed))]


def _guidellm(doc: dict, file: str) -> list[Measured]:
    runs = _get(doc, "benchmarks", file)
    if not isinstance(runs, list) or not runs:
        raise _bad(file, "benchmarks", "must be a non-empty list")
    out = []
    for i, run in enumerate(runs):
        where = f"benchmarks.{i}."
        totals = _get(run, "metrics.request_totals", file, where)
        completed = _number(totals, "successful", file, f"{where}metrics.request_totals.", positive=False)
        failed = _number(totals, "errored", file, f"{where}metrics.request_totals.", positive=False,
                         optional=True)
        _successes(file, f"{where}metrics.request_totals.successful", completed, failed)
        m = f"{where}metrics."
        metrics = _get(run, "metrics", file, where)
        out.append(Measured(
            file, f"benchmark {i}", "guidellm",
            input_tokens=_number(metrics, "prompt_token_count.successful.mean", file, m),
            output_tokens=_number(metrics, "output_token_count.successful.mean", file, m),
            output_tokens_per_s=_number(metrics, "output_tokens_per_second.successful.mean", file, m),
            time_per_output_token_ms=_number(metrics, "time_per_output_token_ms.successful.mean", file, m),
            time_to_first_token_ms=_number(metrics, "time_to_first_token_ms.successful.mean", file, m,
                                           optional=True),
            completed=int(completed), failed=None if failed is None else int(failed)))
    return out


_AIPERF_MS = {"ms": 1.0, "s": MS_PER_S, "sec": MS_PER_S, "us": 1e-3, "ns": 1e-6}


def _aiperf_ms(doc: dict, tag: str, file: str, optional: bool = False) -> float | None:
    value = _number(doc, f"{tag}.avg", file, optional=optional)
    if value is None:
        return None
    unit = str(doc[tag].get("unit", "ms")).strip().lower()
    if unit not in _AIPERF_MS:
        raise _bad(file, f"{tag}.unit", f"must be a time unit ({', '.join(_AIPERF_MS)}), not {unit!r}")
    return value * _AIPERF_MS[unit]


def _aiperf(doc: dict, file: str) -> list[Measured]:
    completed = _number(doc, "request_count.avg", file, positive=False, optional=True)
    failed = _number(doc, "error_request_count.avg", file, positive=False, optional=True)
    _successes(file, "request_count.avg", completed, failed)
    return [Measured(
        file, "", "aiperf",
        input_tokens=_number(doc, "input_sequence_length.avg", file),
        output_tokens=_number(doc, "output_sequence_length.avg", file),
        output_tokens_per_s=_number(doc, "output_token_throughput.avg", file),
        time_per_output_token_ms=_aiperf_ms(doc, "inter_token_latency", file),
        time_to_first_token_ms=_aiperf_ms(doc, "time_to_first_token", file, optional=True),
        completed=None if completed is None else int(completed),
        failed=None if failed is None else int(failed))]


def _inference_perf(doc: dict, file: str) -> list[Measured]:
    completed = _number(doc, "successes.count", file, positive=False)
    failed = _number(doc, "failures.count", file, positive=False, optional=True)
    _successes(file, "successes.count", completed, failed)
    output_tokens = _number(doc, "successes.output_len.mean", file)
    if output_tokens <= 1:
        raise _bad(file, "successes.output_len.mean", "must be more than 1 token to time decode steps")
    # Latencies are in seconds (docs/reports.md). The time per output token is taken as vLLM
    # defines it, (latency - TTFT) / (output tokens - 1): the report's own time_per_output_token
    # divides by streamed chunks, which servers may send two per token (the KubeCon 2025 demo's
    # inter-token latencies have a median of 34 us, half its chunks arriving back to back).
    latency = _number(doc, "successes.latency.request_latency.mean", file)
    ttft = _number(doc, "successes.latency.time_to_first_token.mean", file)
    if latency <= ttft:
        raise _bad(file, "successes.latency.request_latency.mean", "must exceed the time to first token")
    return [Measured(
        file, "", "inference-perf",
        input_tokens=_number(doc, "successes.prompt_len.mean", file),
        output_tokens=output_tokens,
        output_tokens_per_s=_number(doc, "successes.throughput.output_tokens_per_sec", file),
        time_per_output_token_ms=(latency - ttft) / (output_tokens - 1) * MS_PER_S,
        time_to_first_token_ms=ttft * MS_PER_S,
        completed=int(completed), failed=None if failed is None else int(failed))]


_BR_SECONDS = {"s": MS_PER_S, "s/token": MS_PER_S, "ms": 1.0, "ms/token": 1.0}


def _br_ms(block: dict, path: str, file: str, optional: bool = False) -> float | None:
    where = "results.request_performance.aggregate."
    value = _number(block, f"{path}.mean", file, where, optional=optional)
    if value is None:
        return None
    unit = str(_get(block, f"{path}.units", file, where)).strip()
    if unit not in _BR_SECONDS:
        raise _bad(file, f"{where}{path}.units", f"must be one of {', '.join(_BR_SECONDS)}, not {unit!r}")
    return value * _BR_SECONDS[unit]


def _benchmark_report(doc: dict, file: str) -> list[Measured]:
    where = "results.request_performance.aggregate."
    agg = _get(doc, "results.request_performance.aggregate", file)
    total = _number(agg, "requests.total", file, where, positive=False)
    failed = _number(agg, "requests.failures", file, where, positive=False, optional=True) or 0.0
    _successes(file, f"{where}requests.total", total - failed, failed)
    rate_unit = str(_get(agg, "throughput.output_token_rate.units", file, where)).strip()
    if rate_unit != "tokens/s":
        raise _bad(file, f"{where}throughput.output_token_rate.units",
                   f"must be 'tokens/s', not {rate_unit!r}")
    return [Measured(
        file, "", "benchmark-report",
        input_tokens=_number(agg, "requests.input_length.mean", file, where),
        output_tokens=_number(agg, "requests.output_length.mean", file, where),
        output_tokens_per_s=_number(agg, "throughput.output_token_rate.mean", file, where),
        time_per_output_token_ms=_br_ms(agg, "latency.time_per_output_token", file),
        time_to_first_token_ms=_br_ms(agg, "latency.time_to_first_token", file, optional=True),
        completed=int(total - failed), failed=int(failed))]


INFERENCEX_GPUS = {"h100": "h100-sxm", "h200": "h200", "b200": "b200", "mi300x": "mi300x",
                   "a100": "a100-80gb"}
"""InferenceX ``hw`` names -> GPU catalog keys (a ``-trt`` or ``_trt`` suffix names the engine)."""


def _seconds_as_ms(value: float | None) -> float | None:
    return None if value is None else value * MS_PER_S


def _inferencex_rows(rows: list[dict], file: str) -> list[Measured]:
    if not rows:
        raise _bad(file, "rows", "the file has no result rows")
    out = []
    for i, row in enumerate(rows):
        where = f"row {i + 1}: "
        tp = _number(row, "tp", file, where)
        hw = str(_get(row, "hw", file, where)).strip().lower()
        base = hw.replace("_", "-").split("-")[0]
        out.append(Measured(
            file, f"row {i + 1}", "inferencex",
            input_tokens=_number(row, "isl", file, where),
            output_tokens=_number(row, "osl", file, where),
            output_tokens_per_s=_number(row, "output_tput_per_gpu", file, where) * tp,
            time_per_output_token_ms=_number(row, "mean_tpot", file, where) * MS_PER_S,
            time_to_first_token_ms=_seconds_as_ms(_number(row, "mean_ttft", file, where, optional=True)),
            completed=None, failed=None, replica_gpus=int(tp),
            layout="dp-ep" if str(row.get("dp_attention", "")).strip().lower() == "true" else "tp",
            gpu=INFERENCEX_GPUS.get(base, base),
            model=str(row.get("model", "")).rsplit("/", 1)[-1].lower() or None,
            precision=str(row.get("precision", "")).strip().lower() or None))
    return out


def _inferencex(doc: list, file: str) -> list[Measured]:
    if not all(isinstance(r, dict) for r in doc):
        raise _bad(file, "rows", "every entry of the list must be an object of one result")
    return _inferencex_rows(doc, file)


INFERENCEX_COLUMNS = ("hw", "tp", "isl", "osl", "output_tput_per_gpu", "mean_tpot")


def _detect(doc: Any) -> str | None:
    """The format whose identifying keys the document has (see the module docstring)."""
    if isinstance(doc, list):
        return "inferencex" if doc and isinstance(doc[0], dict) and "output_tput_per_gpu" in doc[0] else None
    if not isinstance(doc, dict):
        return None
    if "output_throughput" in doc and "mean_tpot_ms" in doc:
        return "vllm"
    if isinstance(doc.get("benchmarks"), list):
        return "guidellm"
    if isinstance(doc.get("output_token_throughput"), dict):
        return "aiperf"
    if isinstance(doc.get("successes"), dict):
        return "inference-perf"
    if isinstance(doc.get("results"), dict) and "request_performance" in doc["results"]:
        return "benchmark-report"
    return None


READERS: dict[str, Callable[[Any, str], list[Measured]]] = {
    "vllm": _vllm, "guidellm": _guidellm, "aiperf": _aiperf, "inference-perf": _inference_perf,
    "benchmark-report": _benchmark_report, "inferencex": _inferencex,
}


def _unknown(file: str) -> ScenarioError:
    return _bad(file, "format", "is none of the benchmark formats read here: "
                + "; ".join(FORMATS.values()))


def parse(text: str, file: str) -> list[Measured]:
    """Every run in one benchmark file's text; ``file`` names it in errors.

    Raises
    ------
    ScenarioError
        ``"<file>: <field>: <rule>"``: a format none of ``FORMATS``, a missing or non-positive
        throughput or latency, a run with no successful request.
    """
    stripped = text.lstrip()
    doc: Any = None
    if stripped.startswith(("{", "[")):
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise _bad(file, "format", f"is not valid JSON (line {exc.lineno}: {exc.msg})") from None
    else:
        first = stripped.splitlines()[0] if stripped else ""
        if all(column in first.split(",") for column in INFERENCEX_COLUMNS):
            rows = list(csv.DictReader(io.StringIO(text)))
            return _inferencex_rows([{k: v for k, v in r.items() if v not in ("", None)} for r in rows], file)
        try:
            doc = yaml.safe_load(text)
        except yaml.YAMLError:
            raise _unknown(file) from None
    kind = _detect(doc)
    if kind is None:
        raise _unknown(file)
    return READERS[kind](doc, file)


def read(path: str, name: str | None = None) -> tuple[list[Measured], bytes]:
    """The runs of one file on disk and its bytes (for the hash); ``name`` shown in errors."""
    shown = name or path
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise _bad(shown, "file", f"cannot be read ({exc.strerror})") from None
    if len(data) > MAX_FILE_BYTES:
        raise _bad(shown, "file", f"is larger than {MAX_FILE_BYTES // 1000:,} kB; save the summary "
                   "without per-request detail")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _unknown(shown) from None
    return parse(text, shown), data
