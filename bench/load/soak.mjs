// Soak test for `gemma3 serve`: for --minutes, --concurrency workers send a random mix of valid
// requests (chat / completions, streamed or not, with logprobs, n, stop, ...) and malformed ones
// (bad JSON, bad UTF-8, wrong types and ranges, unknown routes and models, wrong methods, bodies
// over the limit, clients that vanish mid-stream). Asserts: every valid request succeeds with a
// complete answer, every malformed one gets a 4xx JSON error (never 5xx, never a dropped
// connection), the server is alive and idle (requests_running 0) at the end. Exit code 1 if not.
//
//   node bench/load/soak.mjs --bin build/gemma3 --model-dir DIR --minutes 2
//   node bench/load/soak.mjs --base http://127.0.0.1:8080 --pid PID --minutes 10
import { acquireServer, memoryMiB, metric, parseArgs, sleep, streamRequest } from './common.mjs';

const opts = parseArgs(process.argv.slice(2), {
  base: '', pid: 0, bin: '', 'model-dir': '', threads: 0, 'api-key': '', minutes: 1, concurrency: 8, seed: 1,
  'max-body-bytes': 1 << 20,
});
if (!(opts.minutes > 0 && opts.minutes <= 24 * 60)) throw new Error('--minutes must be in (0, 1440]');

const server = await acquireServer(opts, ['--max-body-bytes', String(opts['max-body-bytes'])]);
const { base } = server;
const auth = opts['api-key'] ? { authorization: `Bearer ${opts['api-key']}` } : {};

// Deterministic mix (xorshift), so a failure can be replayed with the same --seed.
let rng = opts.seed >>> 0 || 1;
const rand = () => { rng ^= rng << 13; rng >>>= 0; rng ^= rng >>> 17; rng ^= rng << 5; rng >>>= 0; return rng / 2 ** 32; };
const pick = (xs) => xs[Math.floor(rand() * xs.length)];

const stats = { valid: 0, valid_failed: 0, malformed: 0, malformed_wrong: 0, aborted: 0, by_kind: {} };
const failures = [];
function record(kind, ok, detail) {
  stats.by_kind[kind] = (stats.by_kind[kind] ?? 0) + 1;
  if (!ok && failures.length < 20) failures.push(`${kind}: ${detail}`);
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

const words = ['apple', 'river', 'mountain', 'quantum', 'gemma', 'café', '日本語', 'emoji 🎉', 'tab\tand\nnewline'];
const chatMessages = () => {
  const msgs = [];
  if (rand() < 0.3) msgs.push({ role: pick(['system', 'developer']), content: 'Be concise.' });
  msgs.push({ role: 'user', content: Array.from({ length: 1 + Math.floor(rand() * 20) }, () => pick(words)).join(' ') });
  if (rand() < 0.3) msgs.push({ role: 'assistant', content: 'Sure.' }, { role: 'user', content: [{ type: 'text', text: 'More.' }] });
  return msgs;
};
const sampling = () => ({
  max_tokens: 1 + Math.floor(rand() * 24), temperature: pick([0, 0.5, 1, 1.5]), ...(rand() < 0.3 ? { top_p: 0.9 } : {}),
  ...(rand() < 0.3 ? { top_k: 40 } : {}), ...(rand() < 0.2 ? { seed: Math.floor(rand() * 1000) } : {}),
  ...(rand() < 0.2 ? { stop: ['.', '\n'] } : {}), ...(rand() < 0.2 ? { presence_penalty: 0.5 } : {}),
});

// Valid requests: must succeed with a complete answer.
const validKinds = {
  async chat() {
    const r = await post('/v1/chat/completions', { messages: chatMessages(), ...sampling(), n: pick([1, 1, 2]),
                                                    ...(rand() < 0.3 ? { logprobs: true, top_logprobs: 3 } : {}) });
    return r.status === 200 && r.json.choices.every((c) => ['stop', 'length'].includes(c.finish_reason)) ? null
      : `status ${r.status}: ${r.text.slice(0, 200)}`;
  },
  async chat_stream() {
    const r = await streamRequest(base, '/v1/chat/completions', { messages: chatMessages(), ...sampling() },
                                  { apiKey: opts['api-key'] || undefined });
    return r.ok ? null : `status ${r.status}: ${String(r.error).slice(0, 200)}`;
  },
  async completion() {
    const prompt = pick([pick(words), [pick(words), pick(words)], [2, 100, 200, 300]]);
    const r = await post('/v1/completions', { prompt, ...sampling(), ...(rand() < 0.3 ? { logprobs: 2 } : {}) });
    return r.status === 200 && r.json.choices.length >= 1 ? null : `status ${r.status}: ${r.text.slice(0, 200)}`;
  },
  async completion_stream() {
    const r = await streamRequest(base, '/v1/completions', { prompt: pick(words), ...sampling() },
                                  { apiKey: opts['api-key'] || undefined });
    return r.ok ? null : `status ${r.status}: ${String(r.error).slice(0, 200)}`;
  },
  async models() {
    const r = await post('/v1/models', undefined, { method: 'GET' });
    return r.status === 200 ? null : `status ${r.status}`;
  },
};

// Malformed requests: must get a 4xx with an OpenAI error body.
const malformedKinds = {
  bad_json: () => post('/v1/chat/completions', '{"messages": [', { raw: true }),
  bad_utf8: () => post('/v1/chat/completions', Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), { raw: true }),
  not_object: () => post('/v1/completions', '[1, 2, 3]', { raw: true }),
  wrong_type: () => post('/v1/chat/completions', { messages: chatMessages(), temperature: 'hot' }),
  out_of_range: () => post('/v1/chat/completions', { messages: chatMessages(), top_p: 7, n: 99 }),
  bad_role: () => post('/v1/chat/completions', { messages: [{ role: 'wizard', content: 'x' }] }),
  bad_ids: () => post('/v1/completions', { prompt: [2, -5, 99999999] }),
  too_long: () => post('/v1/chat/completions', { messages: chatMessages(), max_tokens: 10000000 }),
  unknown_model: () => post('/v1/chat/completions', { model: 'nope', messages: chatMessages() }),
  unknown_route: () => post('/v1/engines', {}),
  wrong_method: () => post('/v1/chat/completions', undefined, { method: 'GET' }),
  huge_body: () => post('/v1/completions', { prompt: 'x'.repeat(opts['max-body-bytes'] + 100) }),
};

async function abandonedStream() {
  const controller = new AbortController();
  const p = streamRequest(base, '/v1/chat/completions', { messages: chatMessages(), max_tokens: 200 },
                          { apiKey: opts['api-key'] || undefined, signal: controller.signal });
  await sleep(20 + rand() * 200);
  controller.abort();
  await p;   // an aborted stream reports its own error; the server must simply cancel it
  stats.aborted++;
  record('abandoned_stream', true);
}

async function one() {
  const roll = rand();
  if (roll < 0.05) return abandonedStream();
  if (roll < 0.65) {
    const kind = pick(Object.keys(validKinds));
    stats.valid++;
    let err;
    try { err = await validKinds[kind](); } catch (e) { err = String(e.cause ?? e); }
    if (err) stats.valid_failed++;
    record(kind, !err, err);
    return;
  }
  const kind = pick(Object.keys(malformedKinds));
  stats.malformed++;
  let ok = false, detail = '';
  try {
    const r = await malformedKinds[kind]();
    ok = r.status >= 400 && r.status < 500 && r.json?.error?.message !== undefined;
    detail = `status ${r.status}: ${r.text.slice(0, 200)}`;
  } catch (e) {
    detail = String(e.cause ?? e);
  }
  if (!ok) stats.malformed_wrong++;
  record(kind, ok, detail);
}

const memStart = memoryMiB(server.pid);
const endAt = Date.now() + opts.minutes * 60000;
let lastReport = Date.now();
try {
  await Promise.all(Array.from({ length: opts.concurrency }, async () => {
    while (Date.now() < endAt) {
      await one();
      if (Date.now() - lastReport > 30000) {
        lastReport = Date.now();
        const m = memoryMiB(server.pid);
        console.log(`  ${((endAt - Date.now()) / 1000).toFixed(0)} s left: ${stats.valid} valid (${stats.valid_failed} failed), ` +
                    `${stats.malformed} malformed (${stats.malformed_wrong} wrong)` + (m ? `, RSS ${m.rss.toFixed(1)} MiB` : ''));
      }
    }
  }));
  // The server must be alive and idle: every finished or abandoned request released.
  let running;
  for (let i = 0; i < 100; ++i) {
    running = await metric(base, 'gemma3_requests_running');
    if (running === 0) break;
    await sleep(100);
  }
  const health = await fetch(`${base}/health`).then((r) => r.status).catch(() => 0);
  const memEnd = memoryMiB(server.pid);
  console.log(JSON.stringify({ ...stats, requests_running_at_end: running, health_at_end: health,
                               rss_start_mib: memStart?.rss, rss_end_mib: memEnd?.rss, peak_rss_mib: memEnd?.peak }, null, 1));
  const alive = server.proc ? server.proc.exitCode === null : health === 200;
  const pass = stats.valid_failed === 0 && stats.malformed_wrong === 0 && running === 0 && health === 200 && alive;
  if (failures.length) console.log('failures:\n  ' + failures.join('\n  '));
  console.log(pass ? 'SOAK PASS' : 'SOAK FAIL');
  process.exitCode = pass ? 0 : 1;
} finally {
  await server.stop();
}
