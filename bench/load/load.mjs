// Load generator for `gemma3 serve` (loopback only, bounded counts and time).
//
//   node bench/load/load.mjs --bin build/gemma3 --model-dir DIR [--mode sweep|checks|prefix|all]
//   node bench/load/load.mjs --base http://127.0.0.1:8080 --pid SERVER_PID [...]
//
// sweep:  streamed chat requests at 1, 8 and 32 concurrent streams (--levels): generated tokens/s,
//         TTFT and inter-token latency p50/p95, peak server RSS (VmHWM of --pid or the started server).
// checks: the three checks: aggregate generation at 16 streams vs 1 stream; TTFT p95 of a
//         100-token prompt while 16 streams run; server memory growth across 2,000 requests.
// prefix: TTFT of a request sharing a 1,000-token prefix with an earlier one vs a cold one.
// burst:  --burst-size streamed completions sent at once (prompts of --burst-prompt-tokens ids each,
//         a comma list cycles through lengths), --burst-rounds times with fresh prompts: time to the
//         first token p50/p95. Works against any OpenAI-compatible server (--base), llama-server too
//         (give each run against one server its own --salt: a server's prompt cache would serve
//         repeated prompts).
// structured: 16 concurrent streams with response_format json_schema (--schema FILE, or a built-in
//         extraction schema) against the same 16 streams unconstrained, in alternating rounds:
//         aggregate generated tokens/s of each and their ratio, and the forced-token count.
// --json FILE writes every number as JSON as well. --serve-args 'ARGS' adds options to the started
// `gemma3 serve` (e.g. '--matmul-int8').
import fs from 'node:fs';

import { acquireServer, memoryMiB, metric, parseArgs, percentile, sleep, streamRequest } from './common.mjs';

const opts = parseArgs(process.argv.slice(2), {
  base: '', pid: 0, bin: '', 'model-dir': '', threads: 0, 'api-key': '', mode: 'sweep', levels: '1,8,32',
  'requests-per-stream': 4, 'max-tokens': 64, 'growth-requests': 2000, 'probe-requests': 20, json: '',
  'max-seconds': 900, 'burst-size': 16, 'burst-prompt-tokens': '100', 'burst-rounds': 3, 'burst-max-tokens': 16,
  schema: '', 'structured-rounds': 3, 'structured-streams': 16, 'serve-args': '', salt: 0,
});
const LIMIT_MS = opts['max-seconds'] * 1000;
const T_START = Date.now();
const overTime = () => Date.now() - T_START > LIMIT_MS;

const server = await acquireServer(opts, opts['serve-args'].split(' ').filter(Boolean));
const { base } = server;
const apiKey = opts['api-key'] || undefined;
const report = { base, mode: opts.mode, max_tokens: opts['max-tokens'] };

const chatBody = (i, maxTokens = opts['max-tokens']) => ({
  messages: [{ role: 'user', content: `Write a long story about request ${i}, with many details.` }],
  max_tokens: maxTokens, temperature: 0.8, seed: i,
});

/** `concurrency` workers, each sending `perWorker` streamed requests back to back. */
async function runLevel(concurrency, perWorker, bodyFor) {
  const results = [];
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async (_, w) => {
    for (let k = 0; k < perWorker && !overTime(); ++k) {
      results.push(await streamRequest(base, '/v1/chat/completions', bodyFor(w * perWorker + k), { apiKey }));
    }
  }));
  const seconds = (performance.now() - t0) / 1000;
  const ok = results.filter((r) => r.ok);
  const tokens = ok.reduce((s, r) => s + r.tokens, 0);
  const ttft = ok.map((r) => r.ttftMs);
  const gaps = ok.flatMap((r) => r.gapsMs);
  return {
    concurrency, requests: results.length, failed: results.length - ok.length,
    first_error: results.find((r) => !r.ok)?.error ?? null,
    seconds: +seconds.toFixed(2), generated_tokens: tokens, tokens_per_s: +(tokens / seconds).toFixed(1),
    ttft_ms_p50: +percentile(ttft, 50).toFixed(1), ttft_ms_p95: +percentile(ttft, 95).toFixed(1),
    itl_ms_p50: +percentile(gaps, 50).toFixed(2), itl_ms_p95: +percentile(gaps, 95).toFixed(2),
  };
}

function printLevel(r) {
  console.log(`  c=${String(r.concurrency).padStart(2)}  ${String(r.requests).padStart(4)} req  ` +
              `${r.tokens_per_s.toFixed(1).padStart(8)} tok/s  TTFT p50 ${r.ttft_ms_p50} / p95 ${r.ttft_ms_p95} ms  ` +
              `ITL p50 ${r.itl_ms_p50} / p95 ${r.itl_ms_p95} ms` + (r.failed ? `  FAILED ${r.failed}: ${r.first_error}` : ''));
}

async function sweep() {
  console.log(`sweep: streamed chat, max_tokens ${opts['max-tokens']}, ${opts['requests-per-stream']} requests per stream`);
  // Warm-up: first requests pay one-time costs (page faults on the weights, allocations).
  await runLevel(2, 1, (i) => chatBody(1000 + i, 8));
  report.sweep = [];
  for (const level of String(opts.levels).split(',').map(Number)) {
    if (overTime()) break;
    const r = await runLevel(level, opts['requests-per-stream'], (i) => chatBody(i));
    report.sweep.push(r);
    printLevel(r);
  }
  const mem = memoryMiB(server.pid);
  report.peak_rss_mib = mem ? +mem.peak.toFixed(1) : null;
  console.log(`  peak server RSS (VmHWM): ${mem ? mem.peak.toFixed(1) + ' MiB' : 'unknown (give --pid)'}`);
}

/** A prompt of exactly `n` tokens (BOS + ids) for /v1/completions. */
const idsPrompt = (n, salt) => [2, ...Array.from({ length: n - 1 }, (_, i) => 1000 + ((i * 7919 + salt * 104729) % 50000))];

async function checks() {
  report.checks = {};
  // 1. Aggregate generation throughput: 16 streams vs 1.
  const one = await runLevel(1, 3, (i) => chatBody(i));
  const sixteen = await runLevel(16, 3, (i) => chatBody(100 + i));
  report.checks.single_stream = one;
  report.checks.sixteen_streams = sixteen;
  report.checks.aggregate_speedup_16_vs_1 = +(sixteen.tokens_per_s / one.tokens_per_s).toFixed(2);
  console.log('check 1: aggregate generation, 16 streams vs 1');
  printLevel(one);
  printLevel(sixteen);
  console.log(`  speedup: ${report.checks.aggregate_speedup_16_vs_1}x`);

  // 2. TTFT of a 100-token prompt while 16 streams keep generating.
  let loadRunning = true;
  const background = Promise.all(Array.from({ length: 16 }, async (_, w) => {
    for (let k = 0; loadRunning && !overTime(); ++k) {
      await streamRequest(base, '/v1/chat/completions', chatBody(5000 + w * 1000 + k), { apiKey });
    }
  }));
  await sleep(1000);   // let the 16 streams reach steady decoding
  const ttfts = [];
  let probeFailures = 0;
  for (let i = 0; i < opts['probe-requests'] && !overTime(); ++i) {
    // Distinct prompts: the prefix cache must not make the probe cheap.
    const r = await streamRequest(base, '/v1/completions',
                                  { prompt: idsPrompt(100, i), max_tokens: 2, temperature: 0 }, { apiKey });
    if (r.ok && !Number.isNaN(r.ttftMs)) ttfts.push(r.ttftMs); else probeFailures++;
  }
  loadRunning = false;
  await background;
  report.checks.ttft_100_token_prompt_under_16_streams = {
    probes: ttfts.length, failed: probeFailures,
    p50_ms: +percentile(ttfts, 50).toFixed(1), p95_ms: +percentile(ttfts, 95).toFixed(1),
  };
  console.log(`check 2: TTFT of a 100-token prompt under 16-stream load: p50 ` +
              `${report.checks.ttft_100_token_prompt_under_16_streams.p50_ms} ms, p95 ` +
              `${report.checks.ttft_100_token_prompt_under_16_streams.p95_ms} ms (${ttfts.length} probes)`);

  // 3. Memory growth across N requests (short ones, 16 at a time, streamed and not).
  const n = opts['growth-requests'];
  const before = memoryMiB(server.pid);
  let done = 0, failed = 0, next = 0;
  await Promise.all(Array.from({ length: 16 }, async () => {
    while (next < n && !overTime()) {
      const i = next++;
      if (i % 2 === 0) {
        const r = await streamRequest(base, '/v1/chat/completions', chatBody(i, 8), { apiKey });
        if (!r.ok) failed++;
      } else {
        const res = await fetch(`${base}/v1/completions`, {
          method: 'POST', headers: { 'content-type': 'application/json', ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}) },
          body: JSON.stringify({ prompt: `memory ${i}`, max_tokens: 8 }) }).catch(() => null);
        if (!res || res.status !== 200) failed++;
        if (res) await res.text();
      }
      done++;
    }
  }));
  await sleep(500);
  const after = memoryMiB(server.pid);
  report.checks.memory_growth = {
    requests: done, failed,
    rss_before_mib: before ? +before.rss.toFixed(1) : null, rss_after_mib: after ? +after.rss.toFixed(1) : null,
    growth_mib: before && after ? +(after.rss - before.rss).toFixed(1) : null,
    peak_rss_mib: after ? +after.peak.toFixed(1) : null,
    requests_running_after: await metric(base, 'gemma3_requests_running'),
  };
  const g = report.checks.memory_growth;
  console.log(`check 3: memory across ${done} requests (${failed} failed): RSS ${g.rss_before_mib} -> ${g.rss_after_mib} MiB ` +
              `(growth ${g.growth_mib} MiB), peak ${g.peak_rss_mib} MiB, requests_running after: ${g.requests_running_after}`);
}

/**
 * Prefix caching: TTFT of a request whose first 1,000 tokens were already computed by an earlier
 * request (same prefix, different ending) against the same request cold (a prefix never seen).
 */
async function prefix() {
  const pairs = [];
  for (let i = 0; i < 5 && !overTime(); ++i) {
    const shared = idsPrompt(1000, 900 + i);
    const first = [...shared, 3000 + i, 3100 + i];
    const second = [...shared, 3200 + i, 3300 + i];
    const cold = await streamRequest(base, '/v1/completions', { prompt: first, max_tokens: 2, temperature: 0 }, { apiKey });
    const warm = await streamRequest(base, '/v1/completions', { prompt: second, max_tokens: 2, temperature: 0 }, { apiKey });
    if (cold.ok && warm.ok) pairs.push([cold.ttftMs, warm.ttftMs]);
  }
  const coldMs = percentile(pairs.map((p) => p[0]), 50), warmMs = percentile(pairs.map((p) => p[1]), 50);
  report.prefix_cache = { pairs: pairs.length, cold_ttft_ms_p50: +coldMs.toFixed(1), warm_ttft_ms_p50: +warmMs.toFixed(1),
                          speedup: +(coldMs / warmMs).toFixed(1), hits_total: await metric(base, 'gemma3_prefix_cache_hits_total') };
  console.log(`prefix cache: TTFT with a shared 1,000-token prefix ${report.prefix_cache.warm_ttft_ms_p50} ms vs cold ` +
              `${report.prefix_cache.cold_ttft_ms_p50} ms (${report.prefix_cache.speedup}x, median of ${pairs.length})`);
}

/**
 * A burst of new chats: `burst-size` streamed completions sent together, each with its own prompt
 * (fresh ids every round, so no prefix cache helps), temperature 0. TTFT: request start -> the
 * first token (its text, or the finish). One warm-up round first.
 */
async function burst() {
  const lengths = String(opts['burst-prompt-tokens']).split(',').map(Number);
  const size = opts['burst-size'];
  const oneRound = async (round) => Promise.all(Array.from({ length: size }, (_, i) =>
    streamRequest(base, '/v1/completions', {
      prompt: idsPrompt(lengths[i % lengths.length], 7000 + opts.salt * 1000 + round * size + i),
      max_tokens: opts['burst-max-tokens'], temperature: 0 }, { apiKey })));
  await oneRound(-1);
  const ttfts = [], perRound = [];
  let failed = 0;
  for (let round = 0; round < opts['burst-rounds'] && !overTime(); ++round) {
    const rs = await oneRound(round);
    const t = rs.filter((r) => r.ok && !Number.isNaN(r.firstMs)).map((r) => r.firstMs);
    failed += rs.length - t.length;
    ttfts.push(...t);
    perRound.push({ p50_ms: +percentile(t, 50).toFixed(1), p95_ms: +percentile(t, 95).toFixed(1) });
    if (failed && !report.burst_error) report.burst_error = rs.find((r) => !r.ok)?.error;
  }
  report.burst = { size, prompt_tokens: lengths, rounds: perRound.length, failed,
                   ttft_ms_p50: +percentile(ttfts, 50).toFixed(1), ttft_ms_p95: +percentile(ttfts, 95).toFixed(1),
                   ttft_ms_max: +Math.max(...ttfts).toFixed(1), per_round: perRound };
  const b = report.burst;
  console.log(`burst of ${size} (prompts of ${lengths.join('/')} ids, ${b.rounds} rounds): TTFT p50 ${b.ttft_ms_p50} ms, ` +
              `p95 ${b.ttft_ms_p95} ms, max ${b.ttft_ms_max} ms` + (failed ? `, ${failed} FAILED: ${report.burst_error}` : ''));
}

// A typical extraction schema whose documents are long enough that prefill is a small share.
const DEFAULT_SCHEMA = {
  type: 'object',
  properties: {
    title: { type: 'string', maxLength: 60 },
    items: {
      type: 'array', minItems: 6, maxItems: 6,
      items: {
        type: 'object',
        properties: {
          name: { type: 'string', maxLength: 30 }, quantity: { type: 'integer', minimum: 0, maximum: 1000 },
          unit: { enum: ['kg', 'g', 'l', 'ml', 'piece'] }, organic: { type: 'boolean' },
        },
        required: ['name', 'quantity', 'unit', 'organic'], additionalProperties: false,
      },
    },
  },
  required: ['title', 'items'], additionalProperties: false,
};

async function structured() {
  const schema = opts.schema ? JSON.parse(fs.readFileSync(opts.schema, 'utf8')) : DEFAULT_SCHEMA;
  const streams = opts['structured-streams'];
  const body = (i, constrained) => ({
    ...chatBody(i), max_tokens: opts['max-tokens'],
    ...(constrained ? { response_format: { type: 'json_schema', json_schema: { name: 'extraction', schema, strict: true } } } : {}),
  });
  await runLevel(2, 1, (i) => body(9000 + i, true));  // warm-up; compiles the schema once
  const rows = { plain: [], json_schema: [] };
  const forcedBefore = await metric(base, 'gemma3_forced_tokens_total');
  for (let round = 0; round < opts['structured-rounds'] && !overTime(); ++round) {
    for (const constrained of round % 2 ? [true, false] : [false, true]) {
      const r = await runLevel(streams, 2, (i) => body(20000 + round * 100 + i, constrained));
      rows[constrained ? 'json_schema' : 'plain'].push(r);
      console.log(`  round ${round} ${constrained ? 'json_schema' : 'plain      '}: ${r.tokens_per_s.toFixed(1)} tok/s` +
                  (r.failed ? `  FAILED ${r.failed}: ${r.first_error}` : ''));
    }
  }
  const forcedAfter = await metric(base, 'gemma3_forced_tokens_total');
  const total = (list, key) => list.reduce((a, r) => a + r[key], 0);
  const rate = (list) => total(list, 'generated_tokens') / total(list, 'seconds');
  report.structured = {
    streams, rounds: rows.plain.length, plain_tokens_per_s: +rate(rows.plain).toFixed(1),
    json_schema_tokens_per_s: +rate(rows.json_schema).toFixed(1),
    ratio: +(rate(rows.json_schema) / rate(rows.plain)).toFixed(3),
    forced_tokens: forcedAfter !== undefined && forcedBefore !== undefined ? forcedAfter - forcedBefore : null,
    failed: total(rows.plain, 'failed') + total(rows.json_schema, 'failed'),
  };
  const r = report.structured;
  console.log(`structured: ${streams} streams, json_schema ${r.json_schema_tokens_per_s} tok/s vs plain ` +
              `${r.plain_tokens_per_s} tok/s: ${r.ratio}x (${r.forced_tokens} tokens forced, ${r.failed} failed)`);
}

try {
  if (opts.mode === 'structured') await structured();
  if (opts.mode === 'burst') await burst();
  if (opts.mode === 'sweep' || opts.mode === 'all') await sweep();
  if (opts.mode === 'checks' || opts.mode === 'all') await checks();
  if (opts.mode === 'prefix' || opts.mode === 'all') await prefix();
  if (!['sweep', 'checks', 'prefix', 'all', 'burst', 'structured'].includes(opts.mode)) throw new Error(`--mode must be sweep, checks, prefix, burst, structured or all`);
  if (overTime()) console.log(`(stopped early: --max-seconds ${opts['max-seconds']} reached)`);
  if (opts.json) fs.writeFileSync(opts.json, JSON.stringify(report, null, 2) + '\n');
} finally {
  await server.stop();
}
