// The Anthropic Messages API end to end: the real `gemma3 serve` (tiny synthetic checkpoint) driven
// by the official @anthropic-ai/sdk client: messages.create, messages.stream with its helpers, tools
// with tool_use / tool_result, count_tokens, errors in Anthropic's shape, x-api-key; and greedy
// output identical across chat completions, Responses and Messages for the same conversation.
//
// Run: GEMMA3_BIN=build/gemma3 node --test tests/server/anthropic.test.mjs   (CTest: server_anthropic)
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './server_harness.mjs';

let Anthropic, OpenAI, Ajv;
try {
  ({ default: Anthropic } = await import('@anthropic-ai/sdk'));
  ({ default: OpenAI } = await import('openai'));
  ({ default: Ajv } = await import('ajv/dist/2020.js'));
} catch (e) {
  console.error('tests/server/node_modules is missing: run `npm ci --prefix tests/server`. ' + e.message);
  process.exit(1);
}

const KEY = 'test-key-123';
let server, client, openai, model;
before(async () => {
  server = await startServer('anthropic', ['--api-key', KEY]);
  model = server.model;
  // One retry: on a loaded machine a kept-alive connection can close just as the client reuses it.
  client = new Anthropic({ apiKey: KEY, baseURL: server.base, maxRetries: 1, timeout: 120000 });
  openai = new OpenAI({ apiKey: KEY, baseURL: `${server.base}/v1`, maxRetries: 1, timeout: 120000 });
});
after(async () => { await server?.stop(); });

const textOf = (m) => m.content.filter((b) => b.type === 'text').map((b) => b.text).join('');

test('messages.create: the message object', async () => {
  const m = await client.messages.create({ model, max_tokens: 8, temperature: 0, system: 'Be brief.',
    messages: [{ role: 'user', content: 'Hello' }] });
  assert.match(m.id, /^msg_[0-9a-f]{24}$/);
  assert.equal(m.type, 'message');
  assert.equal(m.role, 'assistant');
  assert.equal(m.model, model);
  assert.ok(['end_turn', 'max_tokens'].includes(m.stop_reason));
  assert.equal(m.stop_sequence, null);
  assert.ok(m.content.every((b) => b.type === 'text'));
  assert.ok(m.usage.input_tokens + m.usage.cache_read_input_tokens > 0);
  assert.ok(m.usage.output_tokens > 0 && m.usage.output_tokens <= 8);
});

test('messages.stream: helpers rebuild the non-streamed message', async () => {
  const params = { model, max_tokens: 12, temperature: 0, messages: [{ role: 'user', content: 'Stream me something' }] };
  const whole = await client.messages.create(params);
  const stream = client.messages.stream(params);
  let text = '';
  const types = [];
  stream.on('text', (t) => { text += t; });
  stream.on('streamEvent', (e) => types.push(e.type));
  const final = await stream.finalMessage();
  assert.equal(types[0], 'message_start');
  assert.deepEqual(types.slice(-2), ['message_delta', 'message_stop']);
  assert.equal(text, textOf(whole));
  assert.deepEqual(final.content, whole.content);
  assert.equal(final.stop_reason, whole.stop_reason);
  assert.equal(final.usage.output_tokens, whole.usage.output_tokens);
  assert.equal(final.usage.input_tokens + final.usage.cache_read_input_tokens,
    whole.usage.input_tokens + whole.usage.cache_read_input_tokens);
});

const WEATHER = { name: 'get_weather', description: 'Weather for a city',
  input_schema: { type: 'object', properties: { city: { type: 'string', maxLength: 12 } }, required: ['city'],
    additionalProperties: false } };

test('tools: tool_use blocks valid against input_schema, then tool_result round trip', async () => {
  const validate = new Ajv({ strict: false }).compile(WEATHER.input_schema);
  for (const stream of [false, true]) {
    const params = { model, max_tokens: 64, temperature: 0, tools: [WEATHER], tool_choice: { type: 'any' },
      messages: [{ role: 'user', content: 'Weather in Paris?' }] };
    const m = stream ? await client.messages.stream(params).finalMessage() : await client.messages.create(params);
    assert.equal(m.stop_reason, 'tool_use', JSON.stringify(m));
    const uses = m.content.filter((b) => b.type === 'tool_use');
    assert.ok(uses.length >= 1);
    for (const u of uses) {
      assert.match(u.id, /^toolu_/);
      assert.equal(u.name, 'get_weather');
      assert.ok(validate(u.input), JSON.stringify(u.input));
    }
    const reply = await client.messages.create({ model, max_tokens: 8, temperature: 0, tools: [WEATHER],
      tool_choice: { type: 'none' },
      messages: [params.messages[0], { role: 'assistant', content: m.content },
        { role: 'user', content: uses.map((u) => ({ type: 'tool_result', tool_use_id: u.id, content: '18C' })) }] });
    assert.ok(reply.content.every((b) => b.type === 'text'));
    assert.ok(['end_turn', 'max_tokens'].includes(reply.stop_reason));
  }
  // tool_choice {type: 'tool'} names the function.
  const named = await client.messages.create({ model, max_tokens: 64, tools: [WEATHER, { ...WEATHER, name: 'other' }],
    tool_choice: { type: 'tool', name: 'other' }, messages: [{ role: 'user', content: 'x' }] });
  assert.ok(named.content.filter((b) => b.type === 'tool_use').every((b) => b.name === 'other'));
});

test('count_tokens: the prompt the message is given', async () => {
  const messages = [{ role: 'user', content: 'Count these tokens, please.' }];
  const counted = await client.messages.countTokens({ model, system: 'Be brief.', messages });
  const m = await client.messages.create({ model, max_tokens: 1, system: 'Be brief.', messages });
  assert.equal(counted.input_tokens, m.usage.input_tokens + m.usage.cache_read_input_tokens);
  const withTools = await client.messages.countTokens({ model, messages, tools: [WEATHER] });
  assert.ok(withTools.input_tokens > 0);
});

test('errors: Anthropic\'s shape and status codes; x-api-key', async () => {
  const post = async (path, body, headers = { 'x-api-key': KEY }) => {
    const r = await fetch(`${server.base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body) });
    return { status: r.status, body: await r.json() };
  };
  const cases = [
    [{ model, messages: [{ role: 'user', content: 'x' }] }, 400, 'invalid_request_error', /max_tokens/],
    [{ model, max_tokens: 4, messages: [] }, 400, 'invalid_request_error', /messages/],
    [{ model, max_tokens: 4, messages: [{ role: 'user', content: [{ type: 'image', source: {} }] }] }, 400,
      'invalid_request_error', /image/],
    [{ model: 'claude-unknown', max_tokens: 4, messages: [{ role: 'user', content: 'x' }] }, 404, 'not_found_error', /claude-unknown/],
    ['{"model": ', 400, 'invalid_request_error', /JSON/],
  ];
  for (const [body, status, type, message] of cases) {
    const r = await post('/v1/messages', body);
    assert.equal(r.status, status, JSON.stringify(r.body));
    assert.equal(r.body.type, 'error');
    assert.equal(r.body.error.type, type);
    assert.match(r.body.error.message, message);
  }
  const denied = await post('/v1/messages', { model, max_tokens: 4, messages: [{ role: 'user', content: 'x' }] },
    { 'x-api-key': 'wrong' });
  assert.equal(denied.status, 401);
  assert.deepEqual(denied.body.error.type, 'authentication_error');
  const bearer = await post('/v1/messages', { model, max_tokens: 2, messages: [{ role: 'user', content: 'x' }] },
    { authorization: `Bearer ${KEY}` });
  assert.equal(bearer.status, 200);
  // The SDK raises its typed errors.
  await assert.rejects(() => client.messages.create({ model, max_tokens: 4, messages: [{ role: 'user', content: 'x' }],
    temperature: 3 }), (e) => e.status === 400 && e.error.error.type === 'invalid_request_error');
  const wrong = new Anthropic({ apiKey: 'wrong', baseURL: server.base, maxRetries: 0 });
  await assert.rejects(() => wrong.messages.create({ model, max_tokens: 4, messages: [{ role: 'user', content: 'x' }] }),
    (e) => e.status === 401);
});

test('greedy output is identical across chat completions, Responses and Messages', async () => {
  const system = 'You are terse.';
  const turns = [{ role: 'user', content: 'Name three colours.' }, { role: 'assistant', content: 'Red, green, blue.' },
    { role: 'user', content: 'And three more?' }];
  for (const max of [6, 24]) {
    const chat = await openai.chat.completions.create({ model, max_tokens: max, temperature: 0,
      messages: [{ role: 'system', content: system }, ...turns] });
    const resp = await openai.responses.create({ model, max_output_tokens: max, temperature: 0, instructions: system,
      input: turns });
    const msg = await client.messages.create({ model, max_tokens: max, temperature: 0, system, messages: turns });
    const text = chat.choices[0].message.content ?? '';
    assert.equal(resp.output_text, text);
    assert.equal(textOf(msg), text);
    assert.equal(resp.usage.output_tokens, chat.usage.completion_tokens);
    assert.equal(msg.usage.output_tokens, chat.usage.completion_tokens);
    assert.equal(resp.usage.input_tokens, chat.usage.prompt_tokens);
    assert.equal(msg.usage.input_tokens + msg.usage.cache_read_input_tokens, chat.usage.prompt_tokens);
    assert.equal(resp.status === 'incomplete', chat.choices[0].finish_reason === 'length');
    assert.equal(msg.stop_reason === 'max_tokens', chat.choices[0].finish_reason === 'length');
  }
});
