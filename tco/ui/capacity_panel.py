"""The Costs tab's capacity panel of one self-hosted option: its throughput-latency chart and an
upload of the user's own benchmark file, refit for the option's replica, shown before and after.

The refit is ``tco.calibration.refit.for_plan`` and the chart ``tco.figures.capacity``; this
module only lays them out.
"""

from __future__ import annotations

import streamlit as st

import tco.capacity as capacity
from tco.calibration import files, formats, refit
from tco.distributions import nominal
from tco.errors import ScenarioError
from tco.figures import to_figure
from tco.figures.capacity import option_chart, throughput_latency
from tco.ui.safe import escape_markdown

UPLOAD_TYPES = ["json", "yaml", "yml", "csv"]


def panel(name: str, plan: capacity.CapacityPlan, workload: object) -> None:
    """Chart and upload for option ``name``; ``workload`` is the scenario's workload section."""
    shape = (float(nominal(workload.input_tokens_per_request)),
             float(nominal(workload.output_tokens_per_request)))
    upload = st.file_uploader(f"Calibrate {name} on your own benchmark run (vllm bench serve, GuideLLM, "
                              "AIPerf, inference-perf or InferenceX file; at most 1 MB)",
                              type=UPLOAD_TYPES, key=f"bench_upload_{name}")
    calibration = None
    if upload is not None:
        try:
            calibration = refit.for_plan(plan, upload.getvalue(), upload.name)
        except ScenarioError as exc:
            st.error(escape_markdown(str(exc), limit=400))
    if calibration is None:
        spec = option_chart(name, plan, *shape)
    else:
        own = [(1000.0 / r.point.time_per_output_token_ms, r.point.output_tokens_per_s / plan.gpus)
               for r in calibration.rows]
        runs = calibration.frame().assign(run=[r.point.label or upload.name for r in calibration.rows])
        st.dataframe(runs, hide_index=True)
        st.caption(escape_markdown("; ".join(" ".join(line.split()) for line in calibration.factor_lines()),
                                   limit=2000)
                   + f". Residual spread about your runs: log-sd {calibration.residual_log_sd:.3f}. "
                   "Write the file with python -m tco calibrate and set capacity_calibration on the "
                   "option to use it in the costs.")
        cal_file = files.load(plan.calibration_file) if plan.calibration_file else None
        multiplier = cal_file.multiplier(plan.regime) if cal_file is not None else 1.0
        spec = throughput_latency(plan, *shape, efficiency=calibration.efficiency, multiplier=multiplier,
                                  own_runs=own, name=name)
    st.plotly_chart(to_figure(spec), key=f"fig_throughput_latency_{name}", config={"displaylogo": False})
    st.caption(f"Runs read: {', '.join(formats.FORMATS.values())}." if upload is None else "")
