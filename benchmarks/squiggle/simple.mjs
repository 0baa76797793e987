// The simple case of benchmarks/bench_squiggle.py in Squiggle: one API option, 24 months, one
// price-change risk, 100,000 samples. Prints one JSON line: each run's seconds and the mean NPV
// with its standard error. Usage: node simple.mjs RUNS SAMPLES
import { run } from "@quri/squiggle-lang";

const MODEL = `
p = 0.3                                   // annual probability of a price change
q = 1 - (1 - p) ^ (1 / 12)                // monthly firing probability
sigma = log(1.8 / 1.3) / 1.2815515655446004   // lognormal(median 1.3, p90 1.8)
monthlyUsd = 1000000 * (1000 * 3 + 200 * 15) / 1000000   // requests x $ per request at index 1
rate = 0.08
step(acc, t) = {
  fired = bernoulli(q)
  multiplier = lognormal(log(1.3), sigma)
  index = acc.index * (1 + fired * (multiplier - 1))   // an event in month t acts from month t on
  { index: index, npv: acc.npv + monthlyUsd * index * (1 + rate) ^ (-(t + 1) / 12) }
}
result = List.reduce(List.upTo(0, 23), { index: 1, npv: 0 }, step)
npv = result.npv
summary = { mean: mean(npv), sd: stdev(npv) }
`;

const runs = Number(process.argv[2] ?? 5);
const samples = Number(process.argv[3] ?? 100000);
const seconds = [];
let mean = NaN, sd = NaN;
for (let i = 0; i < runs; i++) {
  const start = performance.now();
  const output = await run(MODEL, {
    environment: { sampleCount: samples, xyPointLength: 1000, seed: `seed-${i}` },
  });
  seconds.push((performance.now() - start) / 1000);
  if (!output.result.ok) {
    console.error(output.result.value.toString());
    process.exit(1);
  }
  const summary = output.result.value.bindings.get("summary");
  mean = summary.value.get("mean").value;
  sd = summary.value.get("sd").value;
}
console.log(JSON.stringify({ seconds, mean, se: sd / Math.sqrt(samples) }));
