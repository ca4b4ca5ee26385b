// Soak under faults for `gemma3 serve` (loopback only, bounded by --duration seconds). Workers send
// a seeded random mix of
//   valid requests: chat / completions, streamed or not, sampled or greedy, n > 1, logprobs, stop;
//     long prompts with long answers, so the KV pool runs out and the engine preempts;
//     slow readers (a stream read in sips) and slow senders (a request dribbled in over seconds);
//   faults: clients that vanish mid-stream, senders that stall mid-headers (the server must cut
//     them at --header-timeout), malformed JSON / UTF-8 / types / ranges, unknown routes, models and
//     methods, bodies over the limit, JSON nested 100,000 deep, huge logit_bias / stop / n.
// Pass: zero failed valid requests; every greedy reply identical to the same request run alone
// (measured before the soak, on an idle server); every fault answered with a 4xx error (or served
// whole), never a 5xx or a dropped connection; at the end gemma3_requests_running and the KV
// blocks in use back to 0, resident memory within 5% of its level after the warm-up, and no line in
// the server's log that is not a client's fault. Exit code 1 if not.
//
//   node bench/load/soak.mjs --bin build/gemma3 --model-dir DIR [--duration 600] [--kv-cache-mb 4]
//   node bench/load/soak.mjs --base http://127.0.0.1:8080 --pid PID --duration 600   (log checks off)
import net from 'node:net';
import { acquireServer, memoryMiB, metric, parseArgs, sleep, streamRequest } from './common.mjs';

const opts = parseArgs(process.argv.slice(2), {
  base: '', pid: 0, bin: '', 'model-dir': '', threads: 0, 'api-key': '', duration: 600, concurrency: 8, seed: 1,
  'max-body-bytes': 1 << 20, 'kv-cache-mb': 0, 'header-timeout': 3, warmup: 0, json: '',
  // Resident memory may end at most this much above its post-warm-up level. A run of a few seconds
  // ends while the allocator is still growing its pools, so the short CI variant passes a loose
  // bound; the memory criterion is the 10-minute run's (docs/RELIABILITY.md).
  'max-rss-growth-pct': 5,
});
if (!(opts.duration > 0 && opts.duration <= 24 * 3600)) throw new Error('--duration must be in (0, 86400] seconds');
const warmupS = opts.warmup > 0 ? opts.warmup : Math.min(60, opts.duration / 5);

const serveArgs = ['--max-body-bytes', String(opts['max-body-bytes']), '--header-timeout', String(opts['header-timeout']),
                   '--max-waiting', '64'];
if (opts['kv-cache-mb'] > 0) serveArgs.push('--kv-cache-mb', String(opts['kv-cache-mb']));
const server = await acquireServer(opts, serveArgs, { quiet: false });
const { base } = server;
const port = Number(new URL(base).port);
const auth = opts['api-key'] ? { authorization: `Bearer ${opts['api-key']}` } : {};
const apiKey = opts['api-key'] || undefined;

// Deterministic mix (xorshift), so a failure can be replayed with the same --seed.
let rng = opts.seed >>> 0 || 1;
const rand = () => { rng ^= rng << 13; rng >>>= 0; rng ^= rng >>> 17; rng ^= rng << 5; rng >>>= 0; return rng / 2 ** 32; };
const pick = (xs) => xs[Math.floor(rand() * xs.length)];

const stats = { valid: 0, valid_failed: 0, greedy_checked: 0, greedy_mismatch: 0, faults: 0, faults_wrong: 0, by_kind: {} };
const failures = [];
function record(kind, ok, detail) {
  const k = (stats.by_kind[kind] ??= { n: 0, bad: 0 });
  k.n++;
  if (!ok) k.bad++;
  if (!ok && failures.length < 30) failures.push(`${kind}: ${detail}`);
}

async function post(path, body, { raw = false, headers = {}, method = 'POST' } = {}) {
  const res = await fetch(`${base}${path}`, {
    method, headers: { 'content-type': 'application/json', ...auth, ...headers },
    body: method === 'GET' ? undefined : raw ? body : JSON.stringify(body) });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, json, text };
}

// ---- the greedy reference set: run alone first, compared on every later use ----------------------
const words = ['apple', 'river', 'mountain', 'quantum', 'gemma', 'café', '日本語', 'emoji 🎉', 'tab\tand\nnewline'];
const sentence = (n) => Array.from({ length: n }, () => pick(words)).join(' ');
const greedy = [];
for (let i = 0; i < 16; ++i) {
  const long = i % 4 === 3;   // long prompt + long answer: the KV pool's pressure
  const chatKind = i % 2 === 0;
  const body = chatKind
    ? { messages: [{ role: 'user', content: sentence(long ? 300 : 5 + i) }], max_tokens: long ? 160 : 24, temperature: 0 }
    : { prompt: sentence(long ? 300 : 4 + i), max_tokens: long ? 160 : 24, temperature: 0 };
  greedy.push({ path: chatKind ? '/v1/chat/completions' : '/v1/completions', body, reference: null });
}
const textOf = (j) => j.choices[0].message ? j.choices[0].message.content : j.choices[0].text;

// ---- raw-socket clients (slow senders, stalled senders, slow readers) ---------------------------
function rawRequest(path, body) {
  const payload = Buffer.from(JSON.stringify(body));
  const head = `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
               (auth.authorization ? `Authorization: ${auth.authorization}\r\n` : '') +
               `Content-Length: ${payload.length}\r\nConnection: close\r\n\r\n`;
  return Buffer.concat([Buffer.from(head), payload]);
}

// Sends `bytes` in `pieces` parts spread over `spreadMs`, then reads the whole response.
function dribble(bytes, pieces, spreadMs) {
  return new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1');
    const chunks = [];
    let closedAt = 0;
    sock.on('data', (d) => chunks.push(d));
    sock.on('error', () => {});
    sock.on('close', () => { closedAt = Date.now(); resolve({ response: Buffer.concat(chunks).toString(), closedAt }); });
    sock.on('connect', async () => {
      const step = Math.ceil(bytes.length / pieces);
      for (let off = 0; off < bytes.length; off += step) {
        if (sock.destroyed) return;
        sock.write(bytes.subarray(off, off + step));
        await sleep(spreadMs / pieces);
      }
    });
  });
}

function parseRawResponse(text) {
  const status = Number((text.match(/^HTTP\/1\.1 (\d{3})/) || [0, 0])[1]);
  const sep = text.indexOf('\r\n\r\n');
  let body = sep >= 0 ? text.slice(sep + 4) : '';
  if (/transfer-encoding: chunked/i.test(text.slice(0, sep))) {
    let out = '', rest = body;
    for (;;) {
      const eol = rest.indexOf('\r\n');
      if (eol < 0) break;
      const n = parseInt(rest.slice(0, eol), 16);
      if (!(n > 0)) break;
      out += rest.slice(eol + 2, eol + 2 + n);
      rest = rest.slice(eol + 2 + n + 2);
    }
    body = out;
  }
  return { status, body };
}

// ---- valid requests: must succeed; greedy ones must equal their reference ---------------------
async function greedyOne(mode) {
  const g = pick(greedy);
  const stream = mode === 'stream' || mode === 'slow_reader';
  let text;
  if (mode === 'slow_sender') {
    const { response } = await dribble(rawRequest(g.path, g.body), 20, 1000 + rand() * 1000);
    const r = parseRawResponse(response);
    if (r.status !== 200) return `status ${r.status}: ${r.body.slice(0, 200)}`;
    text = textOf(JSON.parse(r.body));
  } else if (stream) {
    const r = await streamRequest(base, g.path, g.body, { apiKey, slowReadMs: mode === 'slow_reader' ? 150 : 0 });
    if (!r.ok) return `status ${r.status}: ${String(r.error).slice(0, 200)}`;
    text = r.text;
  } else {
    const r = await post(g.path, g.body);
    if (r.status !== 200) return `status ${r.status}: ${r.text.slice(0, 200)}`;
    text = textOf(r.json);
  }
  stats.greedy_checked++;
  if (text !== g.reference) {
    stats.greedy_mismatch++;
    return `greedy reply differs from the request run alone (${g.path}, ${mode}): ` +
           `${JSON.stringify(text.slice(0, 80))} vs ${JSON.stringify(g.reference.slice(0, 80))}`;
  }
  return null;
}

const validKinds = {
  greedy: () => greedyOne('whole'),
  greedy_stream: () => greedyOne('stream'),
  slow_reader: () => greedyOne('slow_reader'),
  slow_sender: () => greedyOne('slow_sender'),
  async sampled_chat() {
    const r = await post('/v1/chat/completions', {
      messages: [{ role: 'user', content: sentence(3 + Math.floor(rand() * 20)) }], max_tokens: 1 + Math.floor(rand() * 32),
      temperature: pick([0.5, 1, 1.5]), n: pick([1, 2, 3]), ...(rand() < 0.3 ? { logprobs: true, top_logprobs: 3 } : {}),
      ...(rand() < 0.3 ? { stop: ['.', '\n'] } : {}), ...(rand() < 0.3 ? { top_p: 0.9, top_k: 40 } : {}) });
    return r.status === 200 && r.json.choices.every((c) => ['stop', 'length'].includes(c.finish_reason)) ? null
      : `status ${r.status}: ${r.text.slice(0, 200)}`;
  },
  async sampled_stream() {
    const chatPath = rand() < 0.5;
    const input = chatPath ? { messages: [{ role: 'user', content: sentence(8) }] } : { prompt: sentence(8) };
    const r = await streamRequest(base, chatPath ? '/v1/chat/completions' : '/v1/completions',
                                  { ...input, max_tokens: 1 + Math.floor(rand() * 48), temperature: 1,
                                    seed: Math.floor(rand() * 1000) },
                                  { apiKey });
    return r.ok ? null : `status ${r.status}: ${String(r.error).slice(0, 200)}`;
  },
  async models() {
    const r = await post('/v1/models', undefined, { method: 'GET' });
    return r.status === 200 ? null : `status ${r.status}`;
  },
};

// ---- faults: a 4xx OpenAI error, or (for oversized-but-legal inputs) a complete 200 -----------------
const chatBody = () => ({ messages: [{ role: 'user', content: sentence(5) }], max_tokens: 4 });
const faultKinds = {
  bad_json: () => post('/v1/chat/completions', '{"messages": [', { raw: true }),
  bad_utf8: () => post('/v1/chat/completions', Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), { raw: true }),
  not_object: () => post('/v1/completions', '[1, 2, 3]', { raw: true }),
  wrong_type: () => post('/v1/chat/completions', { ...chatBody(), temperature: 'hot' }),
  out_of_range: () => post('/v1/chat/completions', { ...chatBody(), top_p: 7 }),
  bad_role: () => post('/v1/chat/completions', { messages: [{ role: 'wizard', content: 'x' }] }),
  bad_ids: () => post('/v1/completions', { prompt: [2, -5, 99999999] }),
  too_long: () => post('/v1/chat/completions', { ...chatBody(), max_tokens: 10000000 }),
  unknown_model: () => post('/v1/chat/completions', { ...chatBody(), model: 'nope' }),
  unknown_route: () => post('/v1/engines', {}),
  wrong_method: () => post('/v1/chat/completions', undefined, { method: 'GET' }),
  huge_body: () => post('/v1/completions', { prompt: 'x'.repeat(opts['max-body-bytes'] + 100) }),
  deep_json: () => post('/v1/chat/completions', `{"messages": ${'['.repeat(100000)}${']'.repeat(100000)}}`, { raw: true }),
  deep_json_unclosed: () => post('/v1/chat/completions', `{"messages": ${'{"a":'.repeat(50000)}`, { raw: true }),
  huge_logit_bias: () => post('/v1/chat/completions', {
    ...chatBody(), logit_bias: Object.fromEntries(Array.from({ length: 60000 }, (_, i) => [String(i), (i % 200) - 100])) }),
  huge_stop: () => post('/v1/chat/completions', { ...chatBody(), stop: Array.from({ length: 20000 }, (_, i) => `s${i}`) }),
  huge_n: () => post('/v1/chat/completions', { ...chatBody(), n: 100000 }),
  huge_max_tokens_n: () => post('/v1/completions', { prompt: 'x', n: 128, max_tokens: 1 << 30 }),
  // Schemas built to be slow to compile or to mask: many properties with patterns, counted
  // repetitions, deep nesting, a regex with nested counted groups. Served (200) or refused at a
  // front-end limit (400); never a 5xx, and /health keeps answering meanwhile (worker pool).
  slow_schema_wide: () => post('/v1/chat/completions', { ...chatBody(), max_tokens: 24, response_format: {
    type: 'json_schema', json_schema: { name: 'wide', schema: { type: 'object', properties: Object.fromEntries(
      Array.from({ length: 300 }, (_, i) => [`p${i}`, { type: 'string', pattern: `^[a-z]{1,${1 + (i % 40)}}[0-9]*$` }])),
      required: ['p0', 'p1'] } } } }),
  slow_schema_deep: () => {
    let schema = { type: 'integer', minimum: -5, maximum: 5000 };
    for (let i = 0; i < 60; ++i) schema = { type: 'array', minItems: 1, maxItems: 9999, items: schema };
    return post('/v1/chat/completions', { ...chatBody(), max_tokens: 24, response_format: {
      type: 'json_schema', json_schema: { name: 'deep', schema } } });
  },
  slow_regex: () => post('/v1/completions', { prompt: 'x', max_tokens: 16,
                                              guided_regex: '((a{1,99}b{1,99}){1,99}c){1,99}' }),
};

async function abandonedStream() {
  const controller = new AbortController();
  const p = streamRequest(base, '/v1/chat/completions', { messages: [{ role: 'user', content: sentence(10) }], max_tokens: 200 },
                          { apiKey, signal: controller.signal });
  await sleep(20 + rand() * 200);
  controller.abort();
  await p;   // an aborted stream reports its own error; the server must simply cancel it
  record('abandoned_stream', true);
}

// Headers that never finish: the server must close the connection within its header deadline.
async function stalledSender() {
  const sock = net.connect(port, '127.0.0.1');
  const t0 = Date.now();
  const closed = await new Promise((resolve) => {
    sock.on('error', () => {});
    sock.on('close', () => resolve(Date.now()));
    sock.on('connect', () => sock.write('POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Le'));
    setTimeout(() => { sock.destroy(); resolve(0); }, (opts['header-timeout'] + 5) * 1000);
  });
  const ok = closed > 0 && closed - t0 <= (opts['header-timeout'] + 2) * 1000;
  stats.faults++;
  if (!ok) stats.faults_wrong++;
  record('stalled_sender', ok, closed ? `closed after ${closed - t0} ms` : 'never closed by the server');
}

async function one() {
  const roll = rand();
  if (roll < 0.04) return abandonedStream();
  if (roll < 0.06) return stalledSender();
  if (roll < 0.70) {
    const kind = pick(Object.keys(validKinds));
    stats.valid++;
    let err;
    try { err = await validKinds[kind](); } catch (e) { err = String(e.cause ?? e); }
    if (err) stats.valid_failed++;
    record(kind, !err, err);
    return;
  }
  const kind = pick(Object.keys(faultKinds));
  stats.faults++;
  let ok = false, detail = '';
  try {
    const r = await faultKinds[kind]();
    const clientError = r.status >= 400 && r.status < 500 && r.json?.error?.message !== undefined;
    const served = r.status === 200 && Array.isArray(r.json?.choices);
    ok = clientError || served;
    detail = `status ${r.status}: ${r.text.slice(0, 200)}`;
  } catch (e) {
    detail = String(e.cause ?? e);
  }
  if (!ok) stats.faults_wrong++;
  record(kind, ok, detail);
}

async function waitIdle() {
  let running, kv;
  for (let i = 0; i < 200; ++i) {
    running = await metric(base, 'gemma3_requests_running');
    kv = await metric(base, 'gemma3_kv_cache_usage_ratio');
    if (running === 0 && kv === 0) break;
    await sleep(100);
  }
  return { running, kv };
}

// ---- run ---------------------------------------------------------------------------------------
const t0 = Date.now();
for (const g of greedy) {
  const r = await post(g.path, g.body);
  if (r.status !== 200) throw new Error(`reference request failed: ${r.status} ${r.text.slice(0, 200)}`);
  g.reference = textOf(r.json);
}
console.log(`references: ${greedy.length} greedy requests run alone in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

// Warm-up, then the measured period: both end idle, so their memory readings compare like for like.
let lastReport = Date.now();
async function runMix(seconds) {
  const endAt = Date.now() + seconds * 1000;
  await Promise.all(Array.from({ length: opts.concurrency }, async () => {
    while (Date.now() < endAt) {
      await one();
      if (Date.now() - lastReport > 30000) {
        lastReport = Date.now();
        const m = memoryMiB(server.pid);
        console.log(`  ${((endAt - Date.now()) / 1000).toFixed(0)} s left: ${stats.valid} valid (${stats.valid_failed} failed, ` +
                    `${stats.greedy_mismatch} greedy mismatches), ${stats.faults} faults (${stats.faults_wrong} wrong)` +
                    (m ? `, RSS ${m.rss.toFixed(1)} MiB` : ''));
      }
    }
  }));
}

let report, pass = false;
try {
  const preemptStart = (await metric(base, 'gemma3_preemptions_total')) ?? 0;
  await runMix(warmupS);
  const idleWarm = await waitIdle();
  const memWarm = memoryMiB(server.pid);
  console.log(`warm-up: ${warmupS} s, idle again (running ${idleWarm.running}), RSS ${memWarm?.rss.toFixed(1)} MiB`);
  await runMix(opts.duration - warmupS);
  const idle = await waitIdle();
  // Every connection closed (the server's keep-alive deadline is 5 s, undici's 4 s): only the
  // one asking remains.
  await sleep(6000);
  const connections = await metric(base, 'gemma3_http_connections_open');
  const memEnd = memoryMiB(server.pid);
  const health = await fetch(`${base}/health`).then((r) => r.status).catch(() => 0);
  const preemptions = ((await metric(base, 'gemma3_preemptions_total')) ?? 0) - preemptStart;
  // Errors that are not a client's fault: a request line with a 5xx status (4xx lines are the
  // faults this soak sends), or any other line that reports an error, a failure or a sanitizer.
  const log = server.log ? server.log() : '';
  const badLines = log.split('\n').filter((l) => {
    const http = l.match(/^\[http\] .* status=(\d+)/);
    if (http) return Number(http[1]) >= 500;
    return /error|fail|abort|fatal|exception|sanitizer|terminate/i.test(l);
  });
  const rssGrowth = memWarm && memEnd ? memEnd.rss / memWarm.rss - 1 : null;
  report = { duration_s: opts.duration, warmup_s: warmupS, concurrency: opts.concurrency, seed: opts.seed, ...stats,
             preemptions, connections_open_at_end: connections, requests_running_at_end: idle.running, kv_usage_at_end: idle.kv, health_at_end: health,
             rss_warm_mib: memWarm?.rss, rss_end_mib: memEnd?.rss, rss_growth_pct: rssGrowth === null ? null : 100 * rssGrowth,
             peak_rss_mib: memEnd?.peak, log_lines: log.split('\n').length, log_bad_lines: badLines.slice(0, 10) };
  const alive = server.proc ? server.proc.exitCode === null : health === 200;
  pass = stats.valid_failed === 0 && stats.greedy_mismatch === 0 && stats.faults_wrong === 0 && idle.running === 0 &&
         idle.kv === 0 && (connections === undefined || connections <= 1) && health === 200 && alive && (rssGrowth === null || 100 * rssGrowth <= opts['max-rss-growth-pct']) && badLines.length === 0;
} catch (e) {
  // Most likely the server died: say how, with the end of its log.
  console.log(`soak aborted: ${e.cause ?? e}`);
  if (server.proc) console.log(`server exit: code ${server.proc.exitCode}, signal ${server.proc.signalCode}`);
  if (server.log) console.log('server log (end):\n' + server.log().split('\n').slice(-30).join('\n'));
} finally {
  await server.stop();
}
console.log(JSON.stringify(report, null, 1));
if (failures.length) console.log('failures:\n  ' + failures.join('\n  '));
if (opts.json) (await import('node:fs')).writeFileSync(opts.json, JSON.stringify(report, null, 1));
console.log(pass ? 'SOAK PASS' : 'SOAK FAIL');
process.exitCode = pass ? 0 : 1;
