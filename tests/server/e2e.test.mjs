// End-to-end tests of `gemma3 serve` with the official OpenAI Node client (pinned in package.json).
// Starts the REAL server on a synthetic tiny checkpoint (`gemma3 synth --preset tiny --seed 1`,
// random weights, the real 262,144-token Gemma 3 tokenizer) on a free port, and checks every
// request field, streaming and not, every error path, 32 concurrent streams, a client that
// disconnects mid-stream, and batch invariance.
//
// Run: GEMMA3_BIN=build/gemma3 node --test tests/server/e2e.test.mjs   (CTest: label "e2e")
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

let OpenAI;
try {
  ({ default: OpenAI } = await import('openai'));
} catch (e) {
  console.error('tests/server/node_modules is missing (or broken): run `npm install --prefix tests/server` ' +
                '(the Makefile deps step does). ' + e.message);
  process.exit(1);
}

const BIN = process.env.GEMMA3_BIN;
if (!BIN || !fs.existsSync(BIN)) {
  console.error(`set GEMMA3_BIN to the built gemma3 program (got '${BIN ?? ''}')`);
  process.exit(1);
}

const API_KEY = 'e2e-secret-key';
const WORK = fs.mkdtempSync(path.join(os.tmpdir(), 'gemma3-e2e-'));
const CKPT = path.join(WORK, 'tiny');

// ---------------------------------------------------------------------------------------------
// Server process management

/** Starts `gemma3 serve --port 0` and resolves once it prints its port; records /health answers. */
async function startServer(extraArgs = []) {
  const proc = spawn(BIN, ['serve', '-m', CKPT, '--port', '0', '-t', '1', ...extraArgs],
                     { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('server did not start listening:\n' + log)), 30000);
    proc.stderr.on('data', (d) => {
      log += d.toString();
      const m = log.match(/listening on http:\/\/127\.0\.0\.1:(\d+)/);
      if (m) { clearTimeout(timer); resolve(Number(m[1])); }
    });
    proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`server exited (${code}):\n${log}`)); });
  });
  const base = `http://127.0.0.1:${port}`;
  const health = [];
  const deadline = Date.now() + 60000;
  for (;;) {
    const r = await fetch(`${base}/health`);
    health.push({ status: r.status, body: await r.json() });
    if (r.status === 200) break;
    if (Date.now() > deadline) throw new Error('server never became ready:\n' + log);
    await sleep(20);
  }
  return { proc, port, base, health, log: () => log };
}

async function stopServer(server) {
  if (!server || server.proc.exitCode !== null) return;
  const exited = new Promise((resolve) => server.proc.on('exit', resolve));
  server.proc.kill('SIGTERM');
  await Promise.race([exited, sleep(10000)]);
  if (server.proc.exitCode === null) server.proc.kill('SIGKILL');
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let server, client, MODEL;

before(async () => {
  const synth = spawnSync(BIN, ['synth', '--preset', 'tiny', '--seed', '1', '-o', CKPT], { encoding: 'utf8' });
  assert.equal(synth.status, 0, `gemma3 synth failed: ${synth.stderr}`);
  server = await startServer(['--api-key', API_KEY, '--max-body-bytes', String(1 << 20), '--model-name', 'tiny-e2e']);
  client = new OpenAI({ apiKey: API_KEY, baseURL: `${server.base}/v1`, maxRetries: 0, timeout: 120000 });
  MODEL = 'tiny-e2e';
});

after(async () => {
  await stopServer(server);
  fs.rmSync(WORK, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------
// Helpers

const msgs = (text = 'Tell me a story.') => [{ role: 'user', content: text }];

async function raw(pathname, { method = 'POST', body, headers = {}, auth = true } = {}) {
  const h = { ...headers };
  if (auth) h.authorization = `Bearer ${API_KEY}`;
  if (body !== undefined && !h['content-type']) h['content-type'] = 'application/json';
  const r = await fetch(`${server.base}${pathname}`, { method, headers: h, body });
  const text = await r.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: r.status, headers: r.headers, text, json };
}

function assertErrorBody(res, status, { param, code } = {}) {
  assert.equal(res.status, status, res.text);
  assert.ok(res.json && res.json.error, `no error object: ${res.text}`);
  const e = res.json.error;
  assert.equal(typeof e.message, 'string');
  assert.ok(e.message.length > 0);
  assert.equal(typeof e.type, 'string');
  assert.ok('param' in e && 'code' in e);
  if (param !== undefined) assert.equal(e.param, param);
  if (code !== undefined) assert.equal(e.code, code);
}

/** Expects the client call to reject with an APIError of `status` (and param / code when given). */
async function expectApiError(promise, status, { param, code } = {}) {
  await assert.rejects(promise, (err) => {
    assert.ok(err instanceof OpenAI.APIError, `not an APIError: ${err}`);
    assert.equal(err.status, status, `${err.status}: ${err.message}`);
    if (param !== undefined) assert.equal(err.param, param, err.message);
    if (code !== undefined) assert.equal(err.code, code, err.message);
    return true;
  });
}

async function collectStream(stream) {
  const chunks = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

async function metric(name) {
  const r = await raw('/metrics', { method: 'GET', auth: false });
  const m = r.text.match(new RegExp(`^${name} ([0-9.eE+-]+)$`, 'm'));
  return m ? Number(m[1]) : undefined;
}

function assertUsage(usage, { completion } = {}) {
  assert.equal(typeof usage.prompt_tokens, 'number');
  assert.ok(usage.prompt_tokens > 0);
  assert.equal(usage.total_tokens, usage.prompt_tokens + usage.completion_tokens);
  assert.equal(typeof usage.prompt_tokens_details.cached_tokens, 'number');
  if (completion !== undefined) assert.equal(usage.completion_tokens, completion);
}

// ---------------------------------------------------------------------------------------------

describe('health and models', () => {
  test('listens before the model is loaded: /health 503 while loading, then 200', () => {
    const first = server.health[0];
    assert.ok([200, 503].includes(first.status));
    assert.ok(server.health.some((h) => h.status === 503 && h.body.status === 'loading'),
              `never saw 503 while loading: ${JSON.stringify(server.health.slice(0, 3))}`);
    assert.deepEqual(server.health.at(-1), { status: 200, body: { status: 'ok' } });
  });

  test('models.list and models.retrieve', async () => {
    const list = await client.models.list();
    const ids = list.data.map((m) => m.id);
    assert.deepEqual(ids, [MODEL]);
    assert.equal(list.data[0].object, 'model');
    assert.equal(typeof list.data[0].created, 'number');
    assert.equal(typeof list.data[0].owned_by, 'string');
    const one = await client.models.retrieve(MODEL);
    assert.equal(one.id, MODEL);
    await expectApiError(client.models.retrieve('nope'), 404, { code: 'model_not_found' });
  });

  test('/metrics is Prometheus text with engine and HTTP counters', async () => {
    const r = await raw('/metrics', { method: 'GET', auth: false });
    assert.equal(r.status, 200);
    for (const name of ['gemma3_requests_running', 'gemma3_requests_waiting', 'gemma3_generation_tokens_total',
                        'gemma3_http_streams_active']) {
      assert.match(r.text, new RegExp(`^${name} `, 'm'), name);
    }
  });
});

describe('chat completions', () => {
  test('response shape, field for field', async () => {
    const r = await client.chat.completions.create({ model: MODEL, messages: msgs(), max_tokens: 6, temperature: 0 });
    assert.match(r.id, /^chatcmpl-[0-9a-f]{24}$/);
    assert.equal(r.object, 'chat.completion');
    assert.equal(r.model, MODEL);
    assert.equal(typeof r.created, 'number');
    assert.ok(Math.abs(r.created - Date.now() / 1000) < 600);
    assert.equal(typeof r.system_fingerprint, 'string');
    assert.equal(r.choices.length, 1);
    const c = r.choices[0];
    assert.equal(c.index, 0);
    assert.equal(c.message.role, 'assistant');
    assert.equal(typeof c.message.content, 'string');
    assert.ok(c.message.content.length > 0);
    assert.equal(c.finish_reason, 'length');
    assert.equal(c.logprobs, null);
    assertUsage(r.usage, { completion: 6 });
  });

  test('every sampling field is accepted, and unknown fields are ignored', async () => {
    const r = await client.chat.completions.create({
      model: MODEL,
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: [{ type: 'text', text: 'Hi' }, { type: 'text', text: 'there' }] },
        { role: 'assistant', content: 'Hello.' },
        { role: 'user', content: 'Again' },
      ],
      max_completion_tokens: 5, temperature: 0.8, top_p: 0.9, top_k: 50, min_p: 0.01, repetition_penalty: 1.1,
      presence_penalty: 0.5, frequency_penalty: 0.3, logit_bias: { '1000': 1.5, '2000': -1 }, seed: 7,
      stop: ['\n\n\n', 'zzzz'], n: 2, user: 'e2e', some_future_field: { x: 1 },
    });
    assert.equal(r.choices.length, 2);
    assert.deepEqual(r.choices.map((c) => c.index), [0, 1]);
    for (const c of r.choices) assert.ok(['stop', 'length'].includes(c.finish_reason));
    assert.ok(r.usage.completion_tokens <= 10);
  });

  test('developer role is the system prompt', async () => {
    const a = await client.chat.completions.create({
      model: MODEL, messages: [{ role: 'developer', content: 'Rules.' }, ...msgs('Hi')], max_tokens: 4, temperature: 0 });
    const b = await client.chat.completions.create({
      model: MODEL, messages: [{ role: 'system', content: 'Rules.' }, ...msgs('Hi')], max_tokens: 4, temperature: 0 });
    assert.equal(a.choices[0].message.content, b.choices[0].message.content);
    assert.equal(a.usage.prompt_tokens, b.usage.prompt_tokens);
  });

  test('greedy is deterministic; seeds reproduce; n choices get distinct seeds', async () => {
    const req = { model: MODEL, messages: msgs('Seeds'), max_tokens: 8 };
    const g1 = await client.chat.completions.create({ ...req, temperature: 0 });
    const g2 = await client.chat.completions.create({ ...req, temperature: 0 });
    assert.equal(g1.choices[0].message.content, g2.choices[0].message.content);
    const s1 = await client.chat.completions.create({ ...req, temperature: 1, seed: 1234 });
    const s2 = await client.chat.completions.create({ ...req, temperature: 1, seed: 1234 });
    assert.equal(s1.choices[0].message.content, s2.choices[0].message.content);
    const n = await client.chat.completions.create({ ...req, temperature: 1, seed: 1234, n: 3 });
    assert.equal(n.choices[0].message.content, s1.choices[0].message.content, 'choice 0 uses the seed itself');
    const texts = new Set(n.choices.map((c) => c.message.content));
    assert.ok(texts.size > 1, 'n choices should differ at temperature 1');
    assert.equal(n.usage.prompt_tokens, s1.usage.prompt_tokens, 'prompt counted once for n choices');
  });

  test('max_tokens and max_completion_tokens bound the output', async () => {
    const a = await client.chat.completions.create({ model: MODEL, messages: msgs(), max_tokens: 3, temperature: 0 });
    assert.equal(a.usage.completion_tokens, 3);
    assert.equal(a.choices[0].finish_reason, 'length');
    const b = await client.chat.completions.create({
      model: MODEL, messages: msgs(), max_tokens: 9, max_completion_tokens: 2, temperature: 0 });
    assert.equal(b.usage.completion_tokens, 2);
  });

  test('stop strings end the output and are never emitted', async () => {
    const base = { model: MODEL, messages: msgs('Stop test'), max_tokens: 12, temperature: 0 };
    const full = (await client.chat.completions.create(base)).choices[0].message.content;
    // A stop string from the middle of the greedy text: the output is what came before it.
    // Sliced by code points: a lone UTF-16 surrogate would not be valid JSON text for the server.
    const points = Array.from(full);
    const at = Math.floor(points.length / 2);
    const stop = points.slice(at, at + 2).join('');
    const cut = full.indexOf(stop);
    assert.ok(cut >= 0 && stop.length > 0, `greedy text too short: '${full}'`);
    for (const s of [stop, [stop, 'never-appears']]) {
      const r = await client.chat.completions.create({ ...base, stop: s });
      assert.equal(r.choices[0].message.content, full.slice(0, cut));
      assert.equal(r.choices[0].finish_reason, 'stop');
      const streamed = await collectStream(await client.chat.completions.create({ ...base, stop: s, stream: true }));
      const text = streamed.map((c) => c.choices[0]?.delta?.content ?? '').join('');
      assert.equal(text, full.slice(0, cut));
      assert.equal(streamed.at(-1).choices[0].finish_reason, 'stop');
    }
  });

  test('logit_bias steers and bans tokens', async () => {
    const base = { model: MODEL, prompt: 'Bias', max_tokens: 4, temperature: 0, logprobs: 0 };
    const plain = await client.completions.create(base);
    const forced = await client.completions.create({ ...base, logit_bias: { '1000': 100 } });
    const tokens = forced.choices[0].logprobs.tokens;
    assert.equal(new Set(tokens).size, 1, `+100 should force one token: ${tokens}`);
    const first = plain.choices[0].logprobs.tokens[0];
    assert.notEqual(tokens[0], first);
    // -100 bans: the token forced above never appears.
    const banned = await client.completions.create({ ...base, logit_bias: { '1000': -100 } });
    assert.ok(!banned.choices[0].logprobs.tokens.includes(tokens[0]));
  });

  test('logprobs and top_logprobs', async () => {
    const r = await client.chat.completions.create({
      model: MODEL, messages: msgs('Logprobs'), max_tokens: 5, temperature: 0, logprobs: true, top_logprobs: 3 });
    const content = r.choices[0].logprobs.content;
    assert.equal(content.length, 5);
    let text = '';
    for (const t of content) {
      assert.equal(typeof t.token, 'string');
      assert.ok(t.logprob <= 0);
      assert.ok(Array.isArray(t.bytes) && t.bytes.every((b) => Number.isInteger(b) && b >= 0 && b < 256));
      assert.equal(t.top_logprobs.length, 3);
      for (let i = 1; i < 3; ++i) assert.ok(t.top_logprobs[i - 1].logprob >= t.top_logprobs[i].logprob);
      assert.equal(t.top_logprobs[0].logprob, t.logprob, 'greedy picks the most likely token');
      assert.deepEqual(t.top_logprobs[0].bytes, t.bytes);
      text += Buffer.from(t.bytes).toString('latin1');
    }
    assert.equal(Buffer.from(text, 'latin1').toString('utf8'), r.choices[0].message.content);
    const none = await client.chat.completions.create({
      model: MODEL, messages: msgs('Logprobs'), max_tokens: 2, logprobs: true });
    assert.equal(none.choices[0].logprobs.content[0].top_logprobs.length, 0);
  });

  test('default max_tokens is the rest of the context (capped)', async () => {
    // 2,048-token context; a long prompt leaves a few dozen tokens, and the output stops there.
    const long = 'word '.repeat(2000);
    const r = await client.chat.completions.create({ model: MODEL, messages: msgs(long), temperature: 0 });
    assert.equal(r.usage.prompt_tokens + r.usage.completion_tokens <= 2048, true);
    assert.equal(r.choices[0].finish_reason === 'length' || r.choices[0].finish_reason === 'stop', true);
  });
});

describe('streaming', () => {
  test('chat stream: role chunk, content deltas, finish chunk, usage chunk, [DONE]', async () => {
    const req = { model: MODEL, messages: msgs('Stream me'), max_tokens: 7, temperature: 0, logprobs: true,
                  top_logprobs: 2 };
    const whole = await client.chat.completions.create(req);
    const chunks = await collectStream(await client.chat.completions.create({
      ...req, stream: true, stream_options: { include_usage: true } }));
    const id = chunks[0].id;
    for (const c of chunks) {
      assert.equal(c.id, id);
      assert.equal(c.object, 'chat.completion.chunk');
      assert.equal(c.model, MODEL);
      assert.equal(typeof c.created, 'number');
    }
    assert.deepEqual(chunks[0].choices[0].delta, { role: 'assistant', content: '' });
    const usageChunk = chunks.at(-1);
    assert.deepEqual(usageChunk.choices, []);
    assertUsage(usageChunk.usage, { completion: 7 });
    const finish = chunks.at(-2);
    assert.equal(finish.choices[0].finish_reason, 'length');
    assert.deepEqual(finish.choices[0].delta, {});
    const middle = chunks.slice(1, -2);
    for (const c of middle) {
      assert.equal(c.choices[0].finish_reason, null);
      assert.equal(c.usage, null);
    }
    const text = middle.map((c) => c.choices[0].delta.content).join('');
    assert.equal(text, whole.choices[0].message.content);
    const lp = middle.flatMap((c) => c.choices[0].logprobs.content);
    assert.deepEqual(lp, whole.choices[0].logprobs.content);
  });

  test('raw SSE framing ends with data: [DONE]; no usage chunk unless asked', async () => {
    const r = await raw('/v1/chat/completions', {
      body: JSON.stringify({ model: MODEL, messages: msgs(), max_tokens: 3, stream: true }) });
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type'), /^text\/event-stream/);
    const events = r.text.split('\n\n').filter((e) => e.length > 0 && !e.startsWith(':'));
    for (const e of events) assert.ok(e.startsWith('data: '), e);
    assert.equal(events.at(-1), 'data: [DONE]');
    const parsed = events.slice(0, -1).map((e) => JSON.parse(e.slice(6)));
    assert.ok(parsed.every((c) => c.choices.length === 1 && !('usage' in c)));
  });

  test('n = 2 streams both choices', async () => {
    const chunks = await collectStream(await client.chat.completions.create({
      model: MODEL, messages: msgs(), max_tokens: 4, n: 2, seed: 3, stream: true }));
    for (const index of [0, 1]) {
      const mine = chunks.filter((c) => c.choices[0]?.index === index);
      assert.equal(mine[0].choices[0].delta.role, 'assistant');
      assert.equal(mine.filter((c) => c.choices[0].finish_reason).length, 1);
    }
  });

  test('completion stream', async () => {
    const req = { model: MODEL, prompt: 'Once upon', max_tokens: 5, temperature: 0 };
    const whole = await client.completions.create(req);
    const chunks = await collectStream(await client.completions.create({
      ...req, stream: true, stream_options: { include_usage: true } }));
    assert.ok(chunks.every((c) => c.object === 'text_completion'));
    const text = chunks.filter((c) => c.choices.length).map((c) => c.choices[0].text).join('');
    assert.equal(text, whole.choices[0].text);
    assert.deepEqual(chunks.at(-1).choices, []);
    assert.equal(chunks.at(-1).usage.completion_tokens, 5);
    assert.equal(chunks.at(-2).choices[0].finish_reason, 'length');
  });
});

describe('completions', () => {
  test('prompt as a string, strings, ids, and arrays of ids', async () => {
    const s = await client.completions.create({ model: MODEL, prompt: 'Hello', max_tokens: 3, temperature: 0 });
    assert.match(s.id, /^cmpl-/);
    assert.equal(s.object, 'text_completion');
    assert.equal(s.choices.length, 1);
    assert.equal(typeof s.choices[0].text, 'string');
    assert.equal(s.choices[0].logprobs, null);
    assertUsage(s.usage, { completion: 3 });

    const many = await client.completions.create({ model: MODEL, prompt: ['Hello', 'Bye'], max_tokens: 3,
                                                  temperature: 0, n: 2 });
    assert.equal(many.choices.length, 4);
    assert.deepEqual(many.choices.map((c) => c.index), [0, 1, 2, 3]);
    assert.equal(many.choices[0].text, s.choices[0].text);
    assert.equal(many.usage.completion_tokens, 12);

    // Token ids are used as given (BOS included by the caller).
    const ids = await client.completions.create({ model: MODEL, prompt: [2, 9259], max_tokens: 3, temperature: 0 });
    assert.equal(ids.usage.prompt_tokens, 2);
    const nested = await client.completions.create({ model: MODEL, prompt: [[2, 9259], [2, 100, 200]],
                                                    max_tokens: 3, temperature: 0 });
    assert.equal(nested.choices.length, 2);
    assert.equal(nested.choices[0].text, ids.choices[0].text);
    assert.equal(nested.usage.prompt_tokens, 5);
  });

  test('default max_tokens is 16 (OpenAI legacy)', async () => {
    const r = await client.completions.create({ model: MODEL, prompt: 'x', temperature: 0 });
    assert.ok(r.usage.completion_tokens <= 16);
    if (r.choices[0].finish_reason === 'length') assert.equal(r.usage.completion_tokens, 16);
  });

  test('legacy logprobs shape', async () => {
    const r = await client.completions.create({ model: MODEL, prompt: 'Count', max_tokens: 4, temperature: 0,
                                               logprobs: 2 });
    const lp = r.choices[0].logprobs;
    assert.equal(lp.tokens.length, 4);
    assert.equal(lp.token_logprobs.length, 4);
    assert.equal(lp.top_logprobs.length, 4);
    assert.equal(lp.text_offset.length, 4);
    assert.equal(lp.text_offset[0], 0);
    for (let i = 0; i < 4; ++i) {
      const top = lp.top_logprobs[i];
      assert.ok(Object.keys(top).length >= 2 && Object.keys(top).length <= 3);
      assert.equal(top[lp.tokens[i]], lp.token_logprobs[i]);
      if (i > 0) assert.ok(lp.text_offset[i] > lp.text_offset[i - 1]);
    }
  });
});

describe('errors', () => {
  const bad = (extra) => client.chat.completions.create({ model: MODEL, messages: msgs(), max_tokens: 2, ...extra });

  test('invalid fields are 400 naming the field', async () => {
    const cases = [
      [{ temperature: 3 }, 'temperature'], [{ temperature: 'hot' }, 'temperature'], [{ top_p: 0 }, 'top_p'],
      [{ top_p: 1.5 }, 'top_p'], [{ top_k: -5 }, 'top_k'], [{ min_p: 2 }, 'min_p'],
      [{ repetition_penalty: 0 }, 'repetition_penalty'], [{ presence_penalty: 3 }, 'presence_penalty'],
      [{ frequency_penalty: -3 }, 'frequency_penalty'], [{ logit_bias: { '5': 200 } }, 'logit_bias'],
      [{ logit_bias: { 'abc': 1 } }, 'logit_bias'], [{ logit_bias: { '999999999': 1 } }, 'logit_bias'],
      [{ seed: 'x' }, 'seed'], [{ stop: 5 }, 'stop'], [{ stop: Array(17).fill('x') }, 'stop'],
      [{ n: 0 }, 'n'], [{ n: 17 }, 'n'], [{ max_tokens: 0 }, 'max_tokens'],
      [{ max_completion_tokens: 'x' }, 'max_completion_tokens'], [{ stream: 'yes' }, 'stream'],
      [{ logprobs: 'yes' }, 'logprobs'], [{ logprobs: true, top_logprobs: 21 }, 'top_logprobs'],
      [{ top_logprobs: 2 }, 'top_logprobs'], [{ stream_options: { include_usage: true } }, 'stream_options'],
      [{ user: 5 }, 'user'], [{ messages: [] }, 'messages'], [{ messages: 'hi' }, 'messages'],
      [{ messages: [{ role: 'robot', content: 'x' }] }, 'messages'],
      [{ messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'x' } }] }] }, 'messages'],
    ];
    for (const [extra, param] of cases) {
      await expectApiError(bad(extra), 400, { param });
    }
    await expectApiError(client.completions.create({ model: MODEL, prompt: [2, 300000] }), 400, { param: 'prompt' });
    await expectApiError(client.completions.create({ model: MODEL, prompt: [] }), 400, { param: 'prompt' });
    await expectApiError(client.completions.create({ model: MODEL, prompt: 'x', logprobs: 30 }), 400,
                         { param: 'logprobs' });
  });

  test('context_length_exceeded', async () => {
    await expectApiError(bad({ max_tokens: 5000 }), 400, { code: 'context_length_exceeded', param: 'max_tokens' });
    await expectApiError(bad({ messages: msgs('word '.repeat(2100)) }), 400, { code: 'context_length_exceeded' });
    await expectApiError(client.completions.create({ model: MODEL, prompt: 'x', max_tokens: 2047 }), 400,
                         { code: 'context_length_exceeded' });
  });

  test('401 without or with a wrong API key; health and metrics need none', async () => {
    const wrong = new OpenAI({ apiKey: 'wrong', baseURL: `${server.base}/v1`, maxRetries: 0 });
    await expectApiError(wrong.chat.completions.create({ model: MODEL, messages: msgs() }), 401,
                         { code: 'invalid_api_key' });
    await expectApiError(wrong.models.list(), 401);
    assertErrorBody(await raw('/v1/models', { method: 'GET', auth: false }), 401, { code: 'invalid_api_key' });
    assert.equal((await raw('/health', { method: 'GET', auth: false })).status, 200);
    assert.equal((await raw('/metrics', { method: 'GET', auth: false })).status, 200);
  });

  test('404 unknown route and unknown model; 405 wrong method', async () => {
    assertErrorBody(await raw('/v1/nothing', { method: 'GET' }), 404);
    assertErrorBody(await raw('/v2/chat/completions', { body: '{}' }), 404);
    await expectApiError(bad({ model: 'gpt-4o' }), 404, { code: 'model_not_found', param: 'model' });
    const m = await raw('/v1/chat/completions', { method: 'GET' });
    assertErrorBody(m, 405);
    assert.equal(m.headers.get('allow'), 'POST');
    assertErrorBody(await raw('/v1/completions', { method: 'PUT', body: '{}' }), 405);
    assertErrorBody(await raw('/v1/models', { method: 'DELETE' }), 405);
  });

  test('400 invalid JSON, invalid UTF-8, non-object body; 413 over the body limit', async () => {
    assertErrorBody(await raw('/v1/chat/completions', { body: '{"messages": [' }), 400);
    assertErrorBody(await raw('/v1/chat/completions', { body: '[1,2]' }), 400);
    const invalidUtf8 = Buffer.concat([Buffer.from('{"messages":[{"role":"user","content":"'),
                                       Buffer.from([0xff, 0xfe]), Buffer.from('"}]}')]);
    assertErrorBody(await raw('/v1/chat/completions', { body: invalidUtf8 }), 400);
    const huge = JSON.stringify({ model: MODEL, messages: msgs('x'.repeat((1 << 20) + 10)) });
    assertErrorBody(await raw('/v1/chat/completions', { body: huge }), 413);
  });

  test('bad requests never disturb good ones running beside them', async () => {
    const good = Array.from({ length: 6 }, (_, i) => client.chat.completions.create({
      model: MODEL, messages: msgs(`good ${i}`), max_tokens: 6, temperature: 0 }));
    const bads = Array.from({ length: 12 }, (_, i) => raw('/v1/chat/completions', {
      body: i % 3 === 0 ? '{"messages": [' : JSON.stringify({ messages: msgs(), temperature: 9 }) }));
    const [goodResults, badResults] = await Promise.all([Promise.all(good), Promise.all(bads)]);
    for (const r of goodResults) assert.equal(r.usage.completion_tokens, 6);
    for (const r of badResults) assert.equal(r.status, 400);
  });
});

describe('under load', () => {
  test('32 concurrent streams all complete', async () => {
    const streams = Array.from({ length: 32 }, async (_, i) => {
      const chunks = await collectStream(await client.chat.completions.create({
        model: MODEL, messages: msgs(`stream ${i}`), max_tokens: 12, temperature: 0.7, seed: i, stream: true,
        stream_options: { include_usage: true } }));
      return chunks;
    });
    const results = await Promise.all(streams);
    const ids = new Set();
    for (const chunks of results) {
      ids.add(chunks[0].id);
      assert.equal(chunks.at(-1).usage.completion_tokens, 12);
      assert.equal(chunks.at(-2).choices[0].finish_reason, 'length');
    }
    assert.equal(ids.size, 32);
  });

  test('a client that disconnects mid-stream is cancelled: requests_running returns to 0', async () => {
    const cancelledBefore = (await metric('gemma3_requests_cancelled_total')) ?? 0;
    const controller = new AbortController();
    const res = await fetch(`${server.base}/v1/chat/completions`, {
      method: 'POST', signal: controller.signal,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${API_KEY}` },
      body: JSON.stringify({ model: MODEL, messages: msgs('long'), max_tokens: 1500, stream: true }) });
    assert.equal(res.status, 200);
    const reader = res.body.getReader();
    let received = '';
    while (received.split('data: ').length < 4) {
      const { value, done } = await reader.read();
      if (done) break;
      received += Buffer.from(value).toString();
    }
    assert.ok((await metric('gemma3_requests_running')) >= 1, 'the stream should be running');
    controller.abort();
    let running = -1;
    for (let i = 0; i < 200; ++i) {
      running = await metric('gemma3_requests_running');
      if (running === 0) break;
      await sleep(50);
    }
    assert.equal(running, 0);
    assert.ok((await metric('gemma3_requests_cancelled_total')) > cancelledBefore);
    assert.equal(await metric('gemma3_http_streams_active'), 0);
  });

  test('batch invariance: a greedy request alone and among 16 others gives identical text and logprobs', async () => {
    const probe = { model: MODEL, messages: msgs('Invariance probe'), max_tokens: 24, temperature: 0,
                    logprobs: true, top_logprobs: 5 };
    const alone = await client.chat.completions.create(probe);
    const others = Array.from({ length: 16 }, (_, i) => client.chat.completions.create({
      model: MODEL, messages: msgs(`other request number ${i} `.repeat(1 + (i % 5))), max_tokens: 8 + (i % 4) * 8,
      temperature: i % 2 ? 0.9 : 0, seed: i }));
    const [together] = await Promise.all([client.chat.completions.create(probe), ...others]);
    assert.equal(together.choices[0].message.content, alone.choices[0].message.content);
    assert.deepEqual(together.choices[0].logprobs, alone.choices[0].logprobs);
  });
});

describe('queue limit', () => {
  let small;
  before(async () => {
    small = await startServer(['--max-waiting', '1', '--max-running', '1']);
  });
  after(async () => { await stopServer(small); });

  test('429 with Retry-After when the waiting queue is full; others still complete', async () => {
    const c = new OpenAI({ apiKey: 'none', baseURL: `${small.base}/v1`, maxRetries: 0 });
    const reqs = Array.from({ length: 6 }, (_, i) => fetch(`${small.base}/v1/chat/completions`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ messages: msgs(`q${i}`), max_tokens: 40 }) }));
    const results = await Promise.all(reqs);
    const statuses = results.map((r) => r.status);
    assert.ok(statuses.includes(429), `statuses: ${statuses}`);
    assert.ok(statuses.includes(200), `statuses: ${statuses}`);
    for (const r of results) {
      const body = await r.json();
      if (r.status === 429) {
        assert.equal(r.headers.get('retry-after'), '1');
        assert.equal(body.error.type, 'rate_limit_error');
      } else {
        assert.equal(r.status, 200);
      }
    }
    await expectApiError((async () => {
      const all = await Promise.allSettled(Array.from({ length: 6 }, () => c.chat.completions.create({
        messages: msgs(), max_tokens: 40 })));
      const rejected = all.find((p) => p.status === 'rejected');
      if (rejected) throw rejected.reason;
    })(), 429);
  });
});
