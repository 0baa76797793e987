"""The page's tabs, one drawing function each, and the caption under them.

Charts come by name from ``tco.ui.cache``; tables are formatted here for reading, never recomputed.
"""

from __future__ import annotations

import datetime as dt
import urllib.parse
from typing import TYPE_CHECKING

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

import tco.capacity as capacity
import tco.glossary as glossary
import tco.prices as prices
import tco.risks as risks
from tco.errors import ScenarioError
from tco.format import capitalised, pct, signed_pct, signed_usd, usd
from tco.images import ImageExportUnavailable, browser_path
from tco.options.table import DEFAULT_SOURCE
from tco.report import STALE_AFTER_DAYS, changed_inputs, price_basis
from tco.stress import stress
from tco.ui import capacity_panel, edits, state
from tco.ui.cache import (
    Key,
    View,
    chart_names,
    export_bytes,
    figure,
    image_bytes,
    image_footer,
    stress_figure,
)
from tco.ui.edits import nominal
from tco.ui.safe import escape_markdown

if TYPE_CHECKING:
    from tco.load import Loaded as Scenario

TABS = ["Overview", "Costs", "Risk", "Sensitivity", "Stress tests", "Decide", "History", "Compare",
        "Assumptions", "Export"]
EDITING_TABS = ("Decide", "Compare", "Assumptions", "Export")
"""Left out when the page is embedded: they take inputs (a budget), edit inputs or make files; the
embed shows results."""
STRESS_COLUMNS = {"stress": "Stress", "event_size": "Event size", "strategy": "Strategy",
                  "impact_usd": "NPV impact ($)", "impact_share": "Impact (% of base)", "why": "Why",
                  "base_npv_usd": "Base NPV ($)", "stressed_npv_usd": "Stressed NPV ($)"}
"""A stress row's columns in the order the page shows them: the what and why before the NPVs."""


def show(fig: go.Figure, key: str) -> None:
    st.plotly_chart(fig, key=key, config={"displaylogo": False})


def side_by_side(key: Key, *charts_and_keys: tuple[str, str]) -> None:
    """Charts by name, one under the other at full width (half-width columns clip their titles and
    notes); each pair is (chart name, widget key)."""
    for name, widget_key in charts_and_keys:
        show(figure(*key, name), widget_key)


def replica_table(plan: capacity.CapacityPlan) -> pd.DataFrame:
    """The candidate replica sizes of a capacity plan, cheapest first, with readable headers."""
    frame = capacity.explain(plan)
    return pd.DataFrame({
        "GPUs": frame["gpus"], "Layout": frame["layout_name"],
        "Fits": frame["fits"].map({True: "yes", False: "no"}),
        "Batch": frame["batch"].map(lambda v: "" if pd.isna(v) else f"{v:,.0f}"),
        "Batch bound by": frame["batch_bound"],
        "Inter-token latency (ms)": frame["inter_token_ms"].map(lambda v: "" if pd.isna(v) else f"{v:.0f}"),
        "Time to first token (ms)": frame["time_to_first_token_ms"].map(
            lambda v: "" if pd.isna(v) else f"{v:.0f}"),
        "Output tokens/s per GPU": frame["output_tokens_per_s_per_gpu"].map(
            lambda v: "" if pd.isna(v) else f"{v:,.0f}"),
        "GPU-seconds per request": frame["gpu_seconds_per_request"].map(
            lambda v: "" if pd.isna(v) else f"{v:.3g}"),
        "Cost vs chosen": frame["cost_vs_chosen"].map(lambda v: "" if pd.isna(v) else f"{v:.2f}x"),
        "Chosen": frame["chosen"].map({True: "chosen", False: ""}),
        "Why": frame["reason"]})


def costs(view: View, key: Key) -> None:
    sc = view.scenario
    strategy = st.selectbox("Strategy", list(sc.strategies), key="cost_strategy")
    show(figure(*key, f"Monthly cost lines: {strategy}"), "fig_cost_lines")
    side_by_side(key, ("Cumulative cost (deterministic)", "fig_cumulative"),
                 ("Cost per million tokens", "fig_per_mtok"))
    be = view.evaluation.break_even
    if view.has_break_even:
        show(figure(*key, "Break-even volume"), "fig_break_even")
        # Static tables wrap their cells, so the reading and the regime are never clipped.
        st.table(pd.DataFrame({
            "Per-token option (API or host)": be["api_option"],
            "Self-hosted option": be["self_hosted_option"],
            "Break-even volume (requests per month)": be["break_even_requests_per_month"].map(
                lambda v: "none within range" if pd.isna(v) else f"{v:,.0f}"),
            "Run rate there ($ per month)": be["run_rate_usd_per_month"].map(
                lambda v: "" if pd.isna(v) else usd(v)),
            "Reading": be["note"]}), hide_index=True)
    else:
        st.caption("No break-even chart: the scenario does not have both a per-token option (API "
                   "or host) and a self-hosted option to compare.")
    if view.has_tuning:
        show(figure(*key, "Fine-tuning and upgrades"), "fig_fine_tuning")
    if view.has_fleet:
        show(figure(*key, "GPU fleet"), "fig_fleet")
        plans = view.result.resolved.plans
        st.table(pd.DataFrame([{
            "Option": name, "Replica": f"{p.gpus} x {p.gpu} ({p.precision})",
            "Layout": p.layout_name, "Max batch": p.max_batch,
            "Batch bound by": p.batch_bound,
            "Output tokens/s per GPU": f"{p.output_tokens_per_s_per_gpu:,.0f}",
            "Inter-token latency": f"{p.inter_token_ms:.0f} ms",
            "Time to first token": f"{p.time_to_first_token_ms:.0f} ms",
            "Regime": capacity.REGIME_NAMES[p.regime],
            "Weights": f"{p.weights_gb:,.0f} GB"} for name, p in plans.items()]), hide_index=True)
        for name, p in plans.items():
            st.caption(f"{name}: {capacity.why(p)}")
            with st.expander(f"Replica sizes considered for {name}"):
                st.table(replica_table(p), hide_index=True)
            with st.expander(f"Throughput and speed per user, and your own runs: {name}"):
                capacity_panel.panel(name, p, sc.workload)
        st.caption("Capacity from a roofline model calibrated against MLPerf Inference v4.1/v5.1 and "
                   "vLLM 0.6 results (python -m tco catalog benchmarks).")


def risk(view: View, key: Key) -> None:
    show(figure(*key, "Cumulative cost fan chart"), "fig_fan")
    side_by_side(key, ("NPV distribution", "fig_npv_dist"), ("Expected regret", "fig_regret"))
    show(figure(*key, "Events fired"), "fig_events")
    if view.has_releases:
        side_by_side(key, ("Age of the deployed weights", "fig_weights_age"),
                     ("Still on today's weights", "fig_still_on_weights"))
        st.caption("Each open release is planned on the track's cadence and arrives after a vetting "
                   "delay drawn for it; a licence change cancels the releases not yet arrived. "
                   "Older weights escalate more traffic to the fallback.")


def sensitivity(view: View, key: Key) -> None:
    sc = view.scenario
    strategy = st.selectbox("Strategy", list(sc.strategies), key="sens_strategy")
    show(figure(*key, f"Tornado: {strategy}"), "fig_tornado")
    st.caption("Deterministic NPV with one input at a time at P10/P90 (uncertain) or -20%/+20% "
               "(fixed); risk inputs are left out because the deterministic model fires no events.")
    show(figure(*key, f"Global ranking: {strategy}"), "fig_ranking")
    pairs = [" and ".join(glossary.describe(path, sc.scenario).label for path in c.between)
             + f" (rank correlation {c.rho:g})" for c in sc.correlations]
    st.caption("First-order share of Var(NPV) over the simulated paths (correlation ratio, 20 "
               "bins)." + (" Correlated inputs (*): " + "; ".join(pairs) + "; their shares overlap."
                           if pairs else ""))
    show(figure(*key, "Value of portability"), "fig_portability")
    port = view.portability
    st.dataframe(pd.DataFrame({
        "Strategy": port["strategy"], "Portability today": port["portability"].map(pct),
        "Expected NPV saving, portability 0 to 1 ($)": port["mean_saving_usd"].map(usd),
        "P95 NPV saving ($)": port["p95_saving_usd"].map(usd),
        "Expected NPV today ($)": port["mean_at_current_usd"].map(usd)}), hide_index=True)
    information_table(view)


def information_table(view: View) -> None:
    """EVPI and EVPPI per risk line and sampled input (``tco.optimise.information``)."""
    # scipy.stats comes with it: half of the page's cold load, and only this table needs it.
    from tco.optimise.information import value_of_information  # noqa: PLC0415

    info = value_of_information(view.result)
    st.markdown("**What knowing in advance is worth to the choice of strategy**")
    st.caption(" ".join(info.sentence(1)) + " EVPPI: the choice is made on half the paths for "
               "each outcome of the input and valued on the other half, so noise does not count as "
               "information.")
    table = info.table
    st.dataframe(pd.DataFrame({
        "Risk or input": table["label"], "EVPPI ($)": table["evppi_usd"].map(usd),
        "Share of EVPI": table["share_of_evpi"].map(pct),
        "Std error ($)": table["se_usd"].map(usd)}), hide_index=True, key="evppi_table")


def stress_table(frame: pd.DataFrame) -> pd.DataFrame:
    """A stress frame as text with readable column names."""
    money = {c: frame[c].map(usd) for c in ("base_npv_usd", "stressed_npv_usd")}
    shown = frame.assign(**money, impact_usd=frame["impact_usd"].map(signed_usd),
                         impact_share=frame["impact_share"].map(lambda v: signed_pct(v, 1)))
    return shown[[c for c in STRESS_COLUMNS if c in shown]].rename(columns=STRESS_COLUMNS)


def stress_rows(frame: pd.DataFrame) -> None:
    """One stress's rows as a static table, whose cells wrap: the why is words, never clipped."""
    shown = stress_table(frame.drop(columns=[c for c in ("stress", "event_size") if c in frame]))
    st.table(shown.set_index("Strategy"))


def stress_tab(view: View) -> None:
    sc = view.scenario
    if not view.stresses.empty:
        st.markdown("**The scenario's named stresses**")
        for name, rows in view.stresses.groupby("stress", sort=False):
            st.markdown(f"**{escape_markdown(capitalised(name))}**: "
                        f"{escape_markdown(rows['event_size'].iloc[0])}")
            stress_rows(rows)
    st.markdown("**Force one event**")
    a, b, c = st.columns(3)
    first = sc.risks[0] if sc.risks else None
    kinds, options = list(risks.REGISTRY), list(sc.options)
    kind = a.selectbox("Event", kinds, key="stress_kind", format_func=risks.label,
                       index=kinds.index(first.kind) if first else kinds.index("exit"))
    option = b.selectbox("On option", options, key="stress_option",
                         index=options.index(first.on[0]) if first else 0)
    month = c.slider("In month", 0, sc.horizon_months - 1, min(6, sc.horizon_months - 1), key="stress_month")
    try:
        frame = stress(sc, kind, option, month)
    except ScenarioError as exc:
        st.warning(f"Cannot force this event: {exc}")
        return
    st.caption(f"Event size: {frame['event_size'].iloc[0]}. A forced event takes the risk's adverse "
               "(P90) size; a fall in cost is said in words.")
    show(stress_figure(frame, f"{risks.label(kind)} on {option} in month {month}: "
                       "NPV impact per strategy (deterministic: nominal inputs)"), "fig_stress")
    stress_rows(frame)


def assumptions_tab(base: Scenario, current: Scenario) -> None:
    st.caption("Every input of the run with its unit, source and as-of date. Edit the value, low or "
               "high to try it: the sidebar, the numbers and the link follow. A value moves a "
               "distribution's centre and keeps its shape; low and high reshape it (the ends of a "
               "triangular, PERT or uniform one, P10 and P90 of a normal or lognormal one) and turn a "
               "fixed input into a triangular one. Prices older than "
               f"{STALE_AFTER_DAYS} days are flagged. API prices: genai-prices "
               f"{prices.package_version()} snapshot as of {prices.snapshot_as_of()}.")
    frame = edits.table(current)
    key = state.editor_key()
    paths = list(frame["input"])
    # Missing cells are blank ("" rather than Streamlit's "None"): a fixed input has no low or high.
    st.data_editor(frame, key=key, hide_index=True, placeholder="", on_change=state.table_changed,
                   args=(key, paths), row_height=GRID_ROW_PX,
                   height=GRID_ROWS_SHOWN * GRID_ROW_PX + GRID_HEADER_PX,
                   # What a reader checks first (the number, its unit, date and distribution)
                   # fits the 820 px a 1280 px window leaves; the input's name stays in view when
                   # the grid scrolls to the rest. Sources run to 450 characters, more than a grid
                   # cell can show: they are in the wrapping table below, never clipped.
                   column_order=ASSUMPTION_COLUMNS,
                   disabled=[c for c in frame.columns if c not in edits.COLUMNS], column_config={
        "label": st.column_config.TextColumn("Input", width=WIDTHS_PX["label"], pinned=True),
        "input": st.column_config.TextColumn("Path (for scenario authors)"),
        "value": st.column_config.TextColumn("Distribution or value", width=WIDTHS_PX["value"]),
        "unit": st.column_config.TextColumn("Unit", width=WIDTHS_PX["unit"]),
        "as_of": st.column_config.TextColumn("As of", width=WIDTHS_PX["as_of"]), "warning": "Warning",
        "low": st.column_config.NumberColumn("Low", format=EDITABLE_FORMAT, help=LOW_HELP,
                                             width=WIDTHS_PX["low"]),
        "nominal": st.column_config.NumberColumn("Value", format=EDITABLE_FORMAT,
                                                 help=NOMINAL_HELP, width=WIDTHS_PX["nominal"]),
        "high": st.column_config.NumberColumn("High", format=EDITABLE_FORMAT, help=HIGH_HELP,
                                              width=WIDTHS_PX["high"]),
        "source": st.column_config.TextColumn("Source")})
    st.markdown("**Where each number comes from**")
    sources = sources_table(frame)
    # Non-breaking hyphens (U+2011): the table sizes its narrow date column to the longest piece it
    # cannot break, so '2026-07-29' stood as '2026-07-' over '29'; a style of no wrapping is not
    # carried into a static table's cells.
    st.table(sources.assign(**{"As of": sources["As of"].str.replace("-", NO_BREAK_HYPHEN)}))
    changed = changed_inputs(base, current)
    if not changed.empty:
        st.markdown("**Changed against the base scenario**")
        st.dataframe(changed.rename(columns={"label": "Input", "base": "Base", "current": "Current",
                                             "input": "Path (for scenario authors)"}), hide_index=True)


ASSUMPTION_COLUMNS = ["label", "low", "nominal", "high", "unit", "as_of", "value", "warning", "input"]
"""The Assumptions grid's columns: the input's name and its editable numbers, then unit, as-of date
and the distribution in words; the field path (for scenario authors) last. The source is in the
wrapping table under the grid (``sources_table``): a grid cell clipped it at 1280 and 1440 px."""
WIDTHS_PX = {"label": 185, "low": 80, "nominal": 110, "high": 80, "unit": 125, "as_of": 90,
             "value": 150}
"""The columns up to the distribution fit the 820 px of a 1280 px window beside the sidebar (a value
cell holds '700,000,000', a unit 'requests per month', a distribution 'triangular 0 / 3 / 8').
Low, Value and High are headed by their word alone: the grid marks editable columns with a pencil,
and the '(editable)' after them was cut off."""


GRID_ROW_PX = 66
"""Row height of the Assumptions grid: Streamlit's grid wraps a cell's text only in rows taller
than 4rem (64 px), so a long input name ('llama-70b: safety classifier (missing component) setup')
or distribution ('triangular (low 0%, mode 3%, high 8%)') takes a second or third line in its
column instead of being cut at its edge."""
GRID_ROWS_SHOWN, GRID_HEADER_PX = 10, 38
"""The grid shows ten of its taller rows before it scrolls (at the default height, five)."""


NO_BREAK_HYPHEN = "\u2011"


def sources_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Each source once, with its as-of date and the inputs it gives, in the grid's order: a static
    table whose cells wrap, so a 450-character citation reads whole.

    Parameters
    ----------
    frame
        ``tco.ui.edits.table``: one row per input with ``label``, ``source`` and ``as_of``.
    """
    cited = frame.assign(as_of=frame["as_of"].fillna(""))
    grouped = cited.groupby(["source", "as_of"], sort=False)["label"].agg("; ".join).reset_index()
    # The inputs left at their defaults, a long list with one source, come last.
    grouped = grouped.sort_values("source", key=lambda s: s.str.startswith(DEFAULT_SOURCE),
                                  kind="stable")
    shown = grouped.rename(columns={"label": "Inputs", "source": "Source", "as_of": "As of"})
    return shown[["Inputs", "Source", "As of"]].set_index("Inputs")
MAIN_PX_AT_1280 = 820
EDITABLE_FORMAT = "%,.12g"
"""The Assumptions table's editable numbers: thousands separated (20,000,000) at the 12 significant
digits an edit keeps (``tco.ui.edits.clean``), so a cell shows the number that is used and reads back
as typed; the format is display only, the editor returns the number."""
LOW_HELP = ("Smallest value of a triangular, PERT or uniform input; 10th percentile of a normal or "
            "lognormal one. Type one for a fixed input to make it uncertain.")
NOMINAL_HELP = "The value the deterministic model uses: the mode, midpoint, median or mean."
HIGH_HELP = ("Largest value of a triangular, PERT or uniform input; 90th percentile of a normal or "
             "lognormal one.")


ON_DEMAND = (("columns", "Column units and meanings (columns.csv)", "columns.csv", "text/csv"),
             ("paths", "Paths audit trail (.csv)", "paths.csv", "text/csv"),
             ("xlsx", "Workbook (.xlsx)", "tco.xlsx",
              "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
             ("zip", "Everything (.zip)", "tco.zip", "application/zip"),
             ("deck", "Board pack (.pptx)", "tco.pptx",
              "application/vnd.openxmlformats-officedocument.presentationml.presentation"))
"""The downloads that take seconds to build: made when asked for, with a progress bar, so the
tab opens at once."""


def share_link() -> str:
    """The link that reopens the page as it is (scenario, edits, paths and seed)."""
    query = "&".join(f"{k}={v}" for k, v in st.query_params.items())
    base_url = (getattr(getattr(st, "context", None), "url", None) or "").split("?")[0]
    if base_url and urllib.parse.urlsplit(base_url).path == "":  # 'http://host/?...', as browsers write it
        base_url += "/"
    return f"{base_url}?{query}"


def export_tab(view: View, key: Key, stem: str | None) -> None:
    scenario_yaml = key[0]
    slug = (stem or "uploaded").replace(" ", "-")
    link = share_link()
    st.markdown("**Data**")
    cols = st.columns(3)
    cols[0].download_button("Scenario file (.yaml)", scenario_yaml.encode(), f"{slug}.yaml",
                            "application/x-yaml", key="dl_yaml")
    cols[1].download_button("Summary (.csv)", export_bytes(*key, "summary"), f"{slug}-summary.csv",
                            "text/csv", key="dl_summary")
    cols[2].download_button("Monthly percentiles (.csv)", export_bytes(*key, "monthly"),
                            f"{slug}-monthly-percentiles.csv", "text/csv", key="dl_monthly")
    built_for = st.session_state.get("exports_built")
    if built_for != (key, link):
        st.caption("The columns' units and meanings (columns.csv), the paths audit trail, the "
                   "workbook, the ZIP (every CSV with columns.csv, provenance.json and the workbook) "
                   "and the board pack take a few seconds to build.")
        if st.button("Build the workbook, ZIP and board pack", key="build_exports"):
            bar = st.progress(0.0, text="Building...")
            for i, (kind, label, _, _) in enumerate(ON_DEMAND):
                bar.progress(i / len(ON_DEMAND), text=f"Building: {label}")
                export_bytes(*key, kind, link)
            bar.progress(1.0, text="Built")
            st.session_state["exports_built"] = built_for = (key, link)
    if built_for == (key, link):
        cols = st.columns(len(ON_DEMAND))
        for col, (kind, label, suffix, mime) in zip(cols, ON_DEMAND, strict=True):
            col.download_button(label, export_bytes(*key, kind, link), f"{slug}-{suffix}", mime,
                                key=f"dl_{kind}")
    st.markdown("**Charts**")
    if browser_path() is None:
        st.info("PNG and SVG export needs Chromium on the server (apt-get install chromium); every "
                "chart can still be saved from its toolbar.")
    else:
        chart = st.selectbox("Chart", chart_names(view), key="export_chart")
        if st.button("Render PNG and SVG", key="render_images"):
            try:
                footer = image_footer(view, dt.date.today().isoformat())
                with st.spinner("Rendering..."):
                    png = image_bytes(*key, chart, "png", footer)
                    svg = image_bytes(*key, chart, "svg", footer)
                st.session_state["images"] = (chart, png, svg)
            except ImageExportUnavailable as exc:
                st.info(escape_markdown(f"Image export is unavailable here: {exc}"))
        images = st.session_state.get("images")
        if images and images[0] == chart:
            name = chart.lower().replace(" ", "-").replace(":", "")
            a, b = st.columns(2)
            a.download_button("PNG", images[1], f"{name}.png", "image/png", key="dl_png")
            b.download_button("SVG", images[2], f"{name}.svg", "image/svg+xml", key="dl_svg")
    st.markdown("**Share**")
    st.code(link, language=None)
    st.caption("This link reopens the page with the same scenario, inputs, paths and seed, so it shows "
               "the same numbers, table edits and distributions included. Add &embed=true to embed "
               "the results in a wiki or deck, without the sidebar. Uploaded scenarios are not in the "
               "link: share the scenario file.")


def footer(view: View, current: Scenario) -> None:
    """The run's settings and price snapshot, under every tab."""
    rate = nominal(current, "discount_rate_per_year")
    st.caption(f"{view.result.paths:,} paths, seed {view.result.seed}, "
               f"{glossary.SAMPLING_WORDS[view.result.sampling]}; "
               f"NPV in {current.currency} at {pct(rate, 1)} a year. API prices: genai-prices "
               f"{prices.package_version()} as of {prices.snapshot_as_of()}. {price_basis(current)}")
