"""Streamlit page: the architect's workspace. Composition only; every number comes from ``tco``.

    streamlit run app.py
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from tco import charts, export, prices
from tco.errors import ScenarioError
from tco.format import pct, usd
from tco.images import ImageExportUnavailable, browser_path, figure_bytes
from tco.inputs import resolve
from tco.kernel import EVENT_KINDS
from tco.model import Evaluation, evaluate
from tco.report import (
    STALE_AFTER_DAYS,
    apply_nominal,
    assumptions,
    changed_inputs,
    stale_days,
    verdict,
)
from tco.scenario import MAX_SCENARIO_BYTES, ApiOption, Scenario, comments_of, dumps, loads
from tco.sensitivity import global_ranking, tornado
from tco.simulate import SimulationResult, simulate
from tco.stress import named_stresses, stress

SCENARIO_DIR = Path(__file__).parent / "scenarios"
PATH_CHOICES = (1_000, 2_000, 5_000, 10_000, 20_000, 50_000)
DEFAULT_PATHS = 10_000
DEFAULT_SEED = 7
UPLOAD_KEY = "uploaded"
PREFIX = "in:"  # widget keys are "in:" + the input's scenario path
TABS = ["Overview", "Costs", "Risk", "Sensitivity", "Stress tests", "Assumptions", "Export"]

st.set_page_config(page_title="LLM TCO and lock-in risk", page_icon=":bar_chart:", layout="wide")


# ------------------------------------------------------------------------------------------ data


@st.cache_data(show_spinner=False)
def shipped() -> dict[str, tuple[str, str, str]]:
    """Shipped scenarios by file stem: (name, description, YAML text)."""
    out = {}
    for path in sorted(SCENARIO_DIR.glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        sc = loads(text)
        out[path.stem] = (sc.name, sc.description, text)
    return out


@dataclass
class View:
    """Everything the tabs show for one set of inputs (cached, so moving a slider back is instant).

    The simulation, deterministic evaluation and summary are computed up front; sensitivity and
    stress tables only when a tab first needs them.
    """

    scenario: Scenario
    result: SimulationResult
    evaluation: Evaluation
    summary: pd.DataFrame
    verdict: str

    @cached_property
    def tornado(self) -> pd.DataFrame:
        return tornado(self.scenario)

    @cached_property
    def ranking(self) -> pd.DataFrame:
        return global_ranking(self.result)

    @cached_property
    def portability(self) -> pd.DataFrame:
        return self.result.portability_value()

    @cached_property
    def stresses(self) -> pd.DataFrame:
        return named_stresses(self.scenario)

    @property
    def has_fleet(self) -> bool:
        return not self.evaluation.fleet.empty


@st.cache_resource(max_entries=48, show_spinner=False)
def compute(scenario_yaml: str, paths: int, seed: int, comments: str = "{}") -> View:
    """Simulate one set of inputs; ``comments`` (JSON) carries the file's source notes."""
    sc = loads(scenario_yaml, json.loads(comments))
    result = simulate(sc, paths=paths, seed=seed)
    return View(sc, result, evaluate(sc), result.summary(), verdict(result))


FIGURES = {
    "NPV per strategy": lambda v: charts.npv_summary(v.result),
    "Cumulative cost fan chart": lambda v: charts.fan_chart(v.result),
    "NPV distribution": lambda v: charts.npv_distribution(v.result),
    "Events fired": lambda v: charts.events(v.result),
    "Expected regret": lambda v: charts.regret(v.result),
    "Cumulative cost (deterministic)": lambda v: charts.cumulative_cost(v.evaluation),
    "Cost per million tokens": lambda v: charts.cost_per_mtok(v.evaluation),
    "Break-even volume": lambda v: charts.break_even(v.scenario, v.evaluation),
    "Value of portability": lambda v: charts.portability(v.portability, v.result.strategies),
    "GPU fleet": lambda v: charts.fleet(v.evaluation),
}
STRATEGY_FIGURES = {
    "Monthly cost lines": lambda v, s: charts.cost_lines(v.evaluation.monthly, s),
    "Tornado": lambda v, s: charts.tornado(v.tornado, s),
    "Global ranking": lambda v, s: charts.ranking(v.ranking, s),
}


@st.cache_resource(max_entries=256, show_spinner=False)
def figure(scenario_yaml: str, paths: int, seed: int, comments: str, name: str) -> go.Figure:
    """Any chart by its name, e.g. 'NPV per strategy' or 'Tornado: hybrid', built when first shown."""
    view = compute(scenario_yaml, paths, seed, comments)
    kind, _, strategy = name.partition(": ")
    if kind in STRATEGY_FIGURES and strategy:
        return STRATEGY_FIGURES[kind](view, strategy)
    return FIGURES[name](view)


@st.cache_resource(max_entries=48, show_spinner=False)
def export_bytes(scenario_yaml: str, paths: int, seed: int, comments: str, kind: str) -> bytes:
    """Small CSV downloads, built once per set of inputs."""
    result = compute(scenario_yaml, paths, seed, comments).result
    if kind == "deck":
        return build_deck(compute(scenario_yaml, paths, seed, comments).scenario, result)
    return {"summary": export.summary_csv, "monthly": export.monthly_percentiles_csv,
            "paths": export.paths_csv, "zip": export.bundle_zip}[kind](result)


def chart_names(view: View) -> list[str]:
    names = [n for n in FIGURES if n != "GPU fleet" or view.has_fleet]
    return [*names, *(f"{kind}: {s}" for kind in STRATEGY_FIGURES for s in view.scenario.strategies)]


def build_deck(sc: Scenario, result: SimulationResult) -> bytes:
    from tco.deck import build_deck as build  # noqa: PLC0415 - python-pptx loads only when asked for

    return build(sc, result)


@st.cache_resource(max_entries=64, show_spinner=False)
def image_bytes(scenario_yaml: str, paths: int, seed: int, comments: str, chart: str, fmt: str) -> bytes:
    return figure_bytes(figure(scenario_yaml, paths, seed, comments, chart), fmt)


# ------------------------------------------------------------------------------------------ inputs


@dataclass(frozen=True)
class Control:
    path: str
    label: str
    widget: str  # "number" or "slider"
    display_scale: float = 1.0  # shown value = stored value x scale (fractions as percentages)
    low: float | None = None
    high: float | None = None
    step: float | None = None
    fmt: str | None = None


def controls(sc: Scenario) -> list[tuple[str, list[Control]]]:
    """The inputs architects move most, grouped for the sidebar, with units in their labels."""
    params = resolve(sc).params
    groups: list[tuple[str, list[Control]]] = [("Workload and money", [
        Control("workload.requests_per_month", "Requests per month", "number", 1, 0, None, 100_000, "%d"),
        Control("workload.input_tokens_per_request", "Input tokens per request", "number", 1, 1, None,
                100, "%d"),
        Control("workload.output_tokens_per_request", "Output tokens per request", "number", 1, 1, None,
                50, "%d"),
        Control("workload.growth_per_month", "Traffic growth (% per month)", "slider", 100, -10, 30,
                0.5, "%.1f"),
        Control("horizon_months", "Horizon (months)", "slider", 1, 6, 120, 6, "%d"),
        Control("discount_rate_per_year", "Discount rate (% per year)", "slider", 100, 0, 30, 0.5,
                "%.1f"),
    ])]
    for name, option in sc.options.items():
        p = f"options.{name}"
        items: list[Control] = []
        if isinstance(option, ApiOption):
            items += [Control(f"{p}.input_usd_per_mtok", "Input price ($ per 1M tokens)", "number", 1, 0,
                              None, 0.05, "%.3f"),
                      Control(f"{p}.output_usd_per_mtok", "Output price ($ per 1M tokens)", "number", 1,
                              0, None, 0.1, "%.3f")]
        else:
            if f"{p}.usd_per_gpu_hour" in params:
                items.append(Control(f"{p}.usd_per_gpu_hour", "GPU rent ($ per GPU-hour)", "number", 1,
                                     0.01, None, 0.05, "%.2f"))
            if f"{p}.purchase.usd_per_gpu" in params:
                items.append(Control(f"{p}.purchase.usd_per_gpu", "GPU purchase ($ per GPU)", "number", 1,
                                     1, None, 1000, "%d"))
            items += [Control(f"{p}.target_utilization", "Target utilisation (%)", "slider", 100, 5, 100,
                              5, "%d"),
                      Control(f"{p}.ops_fte", "Ops staff (FTE)", "number", 1, 0, None, 0.25, "%.2f")]
        groups.append((f"Option: {name}", items))
    groups.append(("Risks (annual probability, %)", [
        Control(f"risks.{i}.annual_probability", f"{r.kind.replace('_', ' ')} on {', '.join(r.on)}",
                "slider", 100, 0, 100, 1, "%d") for i, r in enumerate(sc.risks)]))
    groups.append(("Portability (%)", [
        Control(f"strategies.{name}.portability", f"{name}", "slider", 100, 0, 100, 5, "%d")
        for name in sc.strategies]))
    return [(title, items) for title, items in groups if items]


def base_value(sc: Scenario, path: str) -> float:
    if path == "horizon_months":
        return float(sc.horizon_months)
    return resolve(sc).params[path].nominal


def reset_inputs() -> None:
    for key in [k for k in st.session_state if str(k).startswith(PREFIX)]:
        del st.session_state[key]
    st.session_state.pop("assumptions_editor", None)


def source_caption(sc: Scenario, path: str) -> str | None:
    param = resolve(sc).params.get(path)
    # Only catalog-derived defaults get a caption; the file's own sources are in Assumptions.
    if param is None or param.as_of is None or param.source.startswith("scenario file"):
        return None
    text = f"Default from {param.source}"
    if param.as_of:
        text += f", as of {param.as_of}"
        age = stale_days(param)
        if age is not None:
            text += f" :warning: **{age} days old**: check the current price"
    return text


def sidebar(base: Scenario) -> dict[str, float]:
    """Draw the input widgets and return the inputs changed against the base scenario."""
    changes: dict[str, float] = {}
    for title, items in controls(base):
        with st.sidebar.expander(title, expanded=title.startswith("Workload")):
            for c in items:
                key = PREFIX + c.path
                default = base_value(base, c.path) * c.display_scale
                if key not in st.session_state:
                    st.session_state[key] = int(round(default)) if c.fmt == "%d" else float(default)
                if c.widget == "slider":
                    low = min(c.low, st.session_state[key])
                    high = max(c.high, st.session_state[key])
                    cast = int if c.fmt == "%d" else float
                    st.slider(c.label, cast(low), cast(high), step=cast(c.step), format=c.fmt, key=key)
                else:
                    cast = int if c.fmt == "%d" else float
                    st.number_input(c.label, min_value=None if c.low is None else cast(c.low),
                                    step=cast(c.step), format=c.fmt, key=key)
                value = float(st.session_state[key]) / c.display_scale
                if c.path == "workload.requests_per_month":
                    st.caption(f"{value:,.0f} requests per month")
                if abs(value - base_value(base, c.path)) > 1e-9 * max(1.0, abs(value)):
                    changes[c.path] = value
                    st.caption(f":orange[changed] from {base_value(base, c.path) * c.display_scale:,.4g}")
                caption = source_caption(base, c.path)
                if caption:
                    st.caption(caption)
    return changes


def editor_changes(base: Scenario) -> dict[str, float]:
    state = st.session_state.get("assumptions_editor")
    if not state:
        return {}
    frame = assumptions(base)
    out = {}
    for row, edits in state.get("edited_rows", {}).items():
        if "nominal" in edits and edits["nominal"] is not None:
            out[frame.iloc[int(row)]["input"]] = float(edits["nominal"])
    return out


def read_query_params() -> None:
    """Seed widget state from a shared link once per session."""
    if st.session_state.get("query_loaded"):
        return
    st.session_state["query_loaded"] = True
    params = st.query_params
    if "scenario" in params and params["scenario"] in shipped():
        st.session_state["scenario"] = params["scenario"]
    if "paths" in params and params["paths"].isdigit() and int(params["paths"]) in PATH_CHOICES:
        st.session_state["paths"] = int(params["paths"])
    if "seed" in params and params["seed"].lstrip("-").isdigit():
        st.session_state["seed"] = int(params["seed"])
    st.session_state["pending_changes"] = {k: v for k, v in params.items()
                                           if k not in ("scenario", "paths", "seed", "embed")}


def apply_pending(base: Scenario) -> None:
    """Turn shared-link values (stored units) into widget values (displayed units)."""
    pending = st.session_state.pop("pending_changes", {})
    scales = {c.path: c for _, items in controls(base) for c in items}
    for path, text in pending.items():
        try:
            value = float(text)
        except ValueError:
            st.warning(f"Ignored link parameter {path}={text!r}: not a number")
            continue
        control = scales.get(path)
        if control is None:
            st.warning(f"Ignored link parameter {path}: not an input of this page")
            continue
        shown = value * control.display_scale
        st.session_state[PREFIX + path] = int(round(shown)) if control.fmt == "%d" else shown


def write_query_params(stem: str | None, changes: dict[str, float], paths: int, seed: int) -> None:
    wanted: dict[str, str] = {}
    if stem:
        wanted["scenario"] = stem
    wanted["paths"], wanted["seed"] = str(paths), str(seed)
    wanted.update({path: f"{value:.12g}" for path, value in sorted(changes.items())})
    if "embed" in st.query_params:
        wanted["embed"] = st.query_params["embed"]
    if dict(st.query_params) != wanted:
        st.query_params.from_dict(wanted)


def load_upload() -> tuple[str, str] | None:
    """The last valid uploaded scenario (name, YAML); a bad file shows one line and keeps it."""
    upload = st.sidebar.file_uploader("Or upload a scenario (.yaml, at most 1 MB)",
                                      type=["yaml", "yml"], key="upload")
    if upload is not None:
        data = upload.getvalue()
        marker = (upload.name, len(data), hash(data))
        if st.session_state.get("upload_marker") != marker:
            st.session_state["upload_marker"] = marker
            try:
                if len(data) > MAX_SCENARIO_BYTES:
                    raise ScenarioError("scenario", f"file is larger than {MAX_SCENARIO_BYTES // 1000} kB")
                loads(data)  # validate before replacing the previous scenario
                st.session_state[UPLOAD_KEY] = (upload.name, data.decode("utf-8-sig"))
                reset_inputs()
            except ScenarioError as exc:
                st.session_state["upload_error"] = f"{upload.name}: {exc}"
            else:
                st.session_state.pop("upload_error", None)
    if st.session_state.get("upload_error"):
        st.sidebar.error(st.session_state["upload_error"])
    return st.session_state.get(UPLOAD_KEY)


# ------------------------------------------------------------------------------------------ views


def show(fig: go.Figure, key: str) -> None:
    st.plotly_chart(fig, key=key, config={"displaylogo": False})


def side_by_side(key: tuple[str, int, int, str], *charts_and_keys: tuple[str, str]) -> None:
    for column, (name, widget_key) in zip(st.columns(len(charts_and_keys)), charts_and_keys, strict=True):
        with column:
            show(figure(*key, name), widget_key)


def overview(view: View, key: tuple[str, int, int, str]) -> None:
    table = view.summary
    cols = st.columns(len(table))
    best = table["mean"].idxmin()
    for col, (name, row) in zip(cols, table.iterrows(), strict=True):
        with col:
            st.markdown(f"**{name}**" + (" :green[lowest expected cost]" if name == best else ""))
            st.metric("Expected NPV", usd(row["mean"]), help="Mean NPV of total cost over all paths")
            st.metric("P95 NPV", usd(row["p95"]), help="95th percentile: 1 future in 20 costs more")
            st.metric("CVaR95", usd(row["cvar95"]), help="Average NPV of the worst 5% of paths")
            st.metric("P(cheapest)", pct(row["p_cheapest"]))
            st.metric("Lock-in premium", usd(row["lock_in_premium"]),
                      help="Mean NPV minus the mean NPV of the same paths with no vendor event fired")
    st.markdown("#### Verdict")
    st.write(view.verdict)
    show(figure(*key, "NPV per strategy"), "fig_npv_summary")
    st.dataframe(format_summary(table), hide_index=False)
    for warning in view.result.resolved.warnings:
        st.warning(warning)


def format_summary(table: pd.DataFrame) -> pd.DataFrame:
    money = ["deterministic_npv", "mean", "p5", "p50", "p95", "cvar95", "expected_regret",
             "lock_in_premium", "se_mean", "se_p95", "switching_spend"]
    out = pd.DataFrame(index=table.index)
    for column in table.columns:
        if column in money:
            out[column] = table[column].map(usd)
        elif column == "p_cheapest":
            out[column] = table[column].map(pct)
        else:
            out[column] = table[column].map(lambda v: f"{v:.2f}")
    return out


def costs(view: View, key: tuple[str, int, int, str]) -> None:
    sc = view.scenario
    strategy = st.selectbox("Strategy", list(sc.strategies), key="cost_strategy")
    show(figure(*key, f"Monthly cost lines: {strategy}"), "fig_cost_lines")
    side_by_side(key, ("Cumulative cost (deterministic)", "fig_cumulative"),
                 ("Cost per million tokens", "fig_per_mtok"))
    show(figure(*key, "Break-even volume"), "fig_break_even")
    be = view.evaluation.break_even
    if not be.empty:
        st.dataframe(be.assign(break_even_requests_per_month=be["break_even_requests_per_month"].map(
            lambda v: "none within range" if pd.isna(v) else f"{v:,.0f}")), hide_index=True)
    if view.has_fleet:
        show(figure(*key, "GPU fleet"), "fig_fleet")
        plans = view.result.resolved.plans
        st.dataframe(pd.DataFrame([{
            "option": name, "replica": f"{p.gpus} x {p.gpu} ({p.precision})", "max batch": p.max_batch,
            "output tok/s per GPU": f"{p.output_tokens_per_s_per_gpu:,.0f}",
            "inter-token latency": f"{p.inter_token_ms:.0f} ms", "bound by": p.bound,
            "weights": f"{p.weights_gb:,.0f} GB"} for name, p in plans.items()]), hide_index=True)
        st.caption("Capacity from a roofline model calibrated against MLPerf Inference v4.1/v5.1 and "
                   "vLLM 0.6 results (python -m tco catalog benchmarks).")


def risk(view: View, key: tuple[str, int, int, str]) -> None:
    show(figure(*key, "Cumulative cost fan chart"), "fig_fan")
    side_by_side(key, ("NPV distribution", "fig_npv_dist"), ("Expected regret", "fig_regret"))
    show(figure(*key, "Events fired"), "fig_events")


def sensitivity(view: View, key: tuple[str, int, int, str]) -> None:
    sc = view.scenario
    strategy = st.selectbox("Strategy", list(sc.strategies), key="sens_strategy")
    show(figure(*key, f"Tornado: {strategy}"), "fig_tornado")
    st.caption("Deterministic NPV with one input at a time at P10/P90 (uncertain) or -20%/+20% "
               "(fixed); risk inputs are left out because the deterministic model fires no events.")
    show(figure(*key, f"Global ranking: {strategy}"), "fig_ranking")
    pairs = [" and ".join(c.between) + f" (rho {c.rho:g})" for c in sc.correlations]
    st.caption("First-order share of Var(NPV) over the simulated paths (correlation ratio, 20 "
               "bins)." + (" Correlated inputs (*): " + "; ".join(pairs) + "; their shares overlap."
                           if pairs else ""))
    show(figure(*key, "Value of portability"), "fig_portability")
    port = view.portability
    st.dataframe(port.assign(**{c: port[c].map(usd) for c in ("mean_saving_usd", "p95_saving_usd",
                                                               "mean_at_current_usd")}),
                 hide_index=True)


STRESS_COLUMNS = {"stress": "Stress", "strategy": "Strategy", "base_npv_usd": "Base NPV",
                  "stressed_npv_usd": "Stressed NPV", "impact_usd": "Impact", "impact_share": "Impact (%)"}


def stress_table(frame: pd.DataFrame) -> pd.DataFrame:
    money = {c: frame[c].map(usd) for c in ("base_npv_usd", "stressed_npv_usd", "impact_usd")}
    shown = frame.assign(**money, impact_share=frame["impact_share"].map(lambda v: pct(v, 1)))
    return shown.rename(columns=STRESS_COLUMNS)


def stress_tab(view: View) -> None:
    sc = view.scenario
    if not view.stresses.empty:
        st.markdown("**The scenario's named stresses**")
        st.dataframe(stress_table(view.stresses), hide_index=True)
    st.markdown("**Force one event**")
    a, b, c = st.columns(3)
    first = sc.risks[0] if sc.risks else None
    kinds, options = list(EVENT_KINDS), list(sc.options)
    kind = a.selectbox("Event", kinds, key="stress_kind",
                       index=kinds.index(first.kind) if first else kinds.index("exit"))
    option = b.selectbox("On option", options, key="stress_option",
                         index=options.index(first.on[0]) if first else 0)
    month = c.slider("In month", 0, sc.horizon_months - 1, min(6, sc.horizon_months - 1), key="stress_month")
    try:
        frame = stress(sc, kind, option, month)
    except ScenarioError as exc:
        st.warning(f"Cannot force this event: {exc}")
        return
    show(charts.stress_impact(frame, f"{kind.replace('_', ' ')} on {option} in month {month}: "
                              "NPV impact per strategy"), "fig_stress")
    st.dataframe(stress_table(frame), hide_index=True)


def assumptions_tab(base: Scenario, current: Scenario) -> None:
    st.caption("Every input of the run with its unit, source and as-of date. Edit a nominal value to "
               "try it; distributions move with their centre. Prices older than "
               f"{STALE_AFTER_DAYS} days are flagged. API prices: genai-prices "
               f"{prices.package_version()} snapshot as of {prices.snapshot_as_of()}.")
    frame = assumptions(base)
    st.data_editor(frame, key="assumptions_editor", hide_index=True, disabled=[
        c for c in frame.columns if c != "nominal"], column_config={
        "nominal": st.column_config.NumberColumn("nominal (editable)", format="%.6g"),
        "source": st.column_config.TextColumn(width="large")})
    changed = changed_inputs(base, current)
    if not changed.empty:
        st.markdown("**Changed against the base scenario**")
        st.dataframe(changed, hide_index=True)


def export_tab(view: View, key: tuple[str, int, int, str], stem: str | None) -> None:
    scenario_yaml = key[0]
    slug = (stem or "uploaded").replace(" ", "-")
    st.markdown("**Data**")
    cols = st.columns(3)
    cols[0].download_button("Scenario file (.yaml)", scenario_yaml.encode(), f"{slug}.yaml",
                            "application/x-yaml", key="dl_yaml")
    cols[1].download_button("Summary (.csv)", export_bytes(*key, "summary"), f"{slug}-summary.csv",
                            "text/csv", key="dl_summary")
    cols[2].download_button("Monthly percentiles (.csv)", export_bytes(*key, "monthly"),
                            f"{slug}-monthly-percentiles.csv", "text/csv", key="dl_monthly")
    cols = st.columns(3)
    # Tabs are lazy, so these files are only built while the Export tab is open (and cached).
    cols[0].download_button("Paths audit trail (.csv)", export_bytes(*key, "paths"), f"{slug}-paths.csv",
                            "text/csv", key="dl_paths")
    cols[1].download_button("Everything (.zip)", export_bytes(*key, "zip"), f"{slug}-tco.zip",
                            "application/zip", key="dl_zip")
    with cols[2], st.spinner("Building the slide deck..."):
        deck = export_bytes(*key, "deck")
    cols[2].download_button("Slide deck (.pptx)", deck, f"{slug}-tco.pptx",
                            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
                            key="dl_deck")
    st.markdown("**Charts**")
    if browser_path() is None:
        st.info("PNG and SVG export needs Chromium on the server (apt-get install chromium); every "
                "chart can still be saved from its toolbar.")
    else:
        chart = st.selectbox("Chart", chart_names(view), key="export_chart")
        if st.button("Render PNG and SVG", key="render_images"):
            try:
                with st.spinner("Rendering..."):
                    png = image_bytes(*key, chart, "png")
                    svg = image_bytes(*key, chart, "svg")
                st.session_state["images"] = (chart, png, svg)
            except ImageExportUnavailable as exc:
                st.info(f"Image export is unavailable here: {exc}")
        images = st.session_state.get("images")
        if images and images[0] == chart:
            name = chart.lower().replace(" ", "-").replace(":", "")
            a, b = st.columns(2)
            a.download_button("PNG", images[1], f"{name}.png", "image/png", key="dl_png")
            b.download_button("SVG", images[2], f"{name}.svg", "image/svg+xml", key="dl_svg")
    st.markdown("**Share**")
    query = "&".join(f"{k}={v}" for k, v in st.query_params.items())
    base_url = getattr(getattr(st, "context", None), "url", None) or ""
    st.code(f"{base_url.split('?')[0]}?{query}", language=None)
    st.caption("This link reopens the page with the same scenario, inputs, paths and seed, so it shows "
               "the same numbers. Add &embed=true to embed the page in a wiki or deck without the "
               "Streamlit chrome. Uploaded scenarios are not in the link: share the scenario file.")


# ------------------------------------------------------------------------------------------ page


def main() -> None:
    read_query_params()
    st.sidebar.title("LLM TCO and lock-in risk")
    files = shipped()
    stems = list(files)
    st.session_state.setdefault("scenario", "open-model-goes-closed" if "open-model-goes-closed" in files
                                else stems[0])
    stem = st.sidebar.selectbox("Scenario", stems, format_func=lambda s: files[s][0], key="scenario",
                                on_change=reset_inputs)
    upload = load_upload()
    use_upload = upload is not None and st.sidebar.toggle(f"Use uploaded {upload[0]}", value=True,
                                                          key="use_upload")
    base_yaml = upload[1] if use_upload else files[stem][2]
    base = loads(base_yaml)
    st.sidebar.caption(base.description)
    apply_pending(base)
    c1, c2 = st.sidebar.columns(2)
    st.session_state.setdefault("paths", DEFAULT_PATHS)
    st.session_state.setdefault("seed", DEFAULT_SEED)
    paths = c1.select_slider("Paths", PATH_CHOICES, key="paths", format_func=lambda v: f"{v:,}")
    seed = int(c2.number_input("Seed", step=1, key="seed"))
    changes = sidebar(base)
    changes.update(editor_changes(base))
    st.sidebar.button("Reset to the base scenario", on_click=reset_inputs, key="reset",
                      disabled=not changes)
    try:
        current = apply_nominal(base, changes) if changes else base
    except ScenarioError as exc:
        st.error(str(exc))
        st.stop()
    scenario_yaml = dumps(current)
    write_query_params(None if use_upload else stem, changes, paths, seed)

    st.title(current.name)
    if changes:
        st.caption(f":orange[{len(changes)} input(s) changed] against the base scenario "
                   "(see Assumptions; reset in the sidebar).")
    started = time.perf_counter()
    key = (scenario_yaml, paths, seed, json.dumps(comments_of(current), sort_keys=True))
    with st.spinner(f"Simulating {paths:,} paths..."):
        view = compute(*key)
    st.session_state["last_compute_s"] = time.perf_counter() - started
    # Tabs track which one is open, so only the visible tab builds and sends its charts.
    tabs = st.tabs(TABS, key="view", on_change="rerun")
    views = (lambda: overview(view, key), lambda: costs(view, key), lambda: risk(view, key),
             lambda: sensitivity(view, key), lambda: stress_tab(view),
             lambda: assumptions_tab(base, current),
             lambda: export_tab(view, key, None if use_upload else stem))
    for tab, draw in zip(tabs, views, strict=True):
        if tab.open:
            with tab:
                draw()
    rate = resolve(current).params["discount_rate_per_year"].nominal
    st.caption(f"{view.result.paths:,} paths, seed {view.result.seed}, {view.result.sampling} sampling; "
               f"NPV in {current.currency} at {pct(rate, 1)} a year. API prices: genai-prices "
               f"{prices.package_version()} as of {prices.snapshot_as_of()}.")


main()

