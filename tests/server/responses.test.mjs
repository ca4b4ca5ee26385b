// The OpenAI Responses API end to end: the real `gemma3 serve` (tiny synthetic checkpoint) driven by
// the official openai client's responses resource: create, stream with its event helpers,
// text.format json_schema (validated by ajv), function tools round trip, previous_response_id over
// three turns with the prefix cache's cached tokens growing, retrieve, delete, 404s and 400s.
//
// Run: GEMMA3_BIN=build/gemma3 node --test tests/server/responses.test.mjs   (CTest: server_responses)
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './server_harness.mjs';

let OpenAI, Ajv;
try {
  ({ default: OpenAI } = await import('openai'));
  ({ default: Ajv } = await import('ajv/dist/2020.js'));
} catch (e) {
  console.error('tests/server/node_modules is missing: run `npm ci --prefix tests/server`. ' + e.message);
  process.exit(1);
}

let server, client, model;
before(async () => {
  server = await startServer('responses');
  model = server.model;
  // One retry: on a loaded machine a kept-alive connection can close just as the client reuses it.
  client = new OpenAI({ apiKey: 'none', baseURL: `${server.base}/v1`, maxRetries: 1, timeout: 120000 });
});
after(async () => { await server?.stop(); });

const LONG = 'Tell me a long story about a lighthouse keeper who collects shells, counts the waves at night, ' +
  'writes letters to ships that never answer, and paints the rocks in seven colours every spring.';

function messageText(response) {
  return response.output.filter((i) => i.type === 'message').flatMap((i) => i.content).map((c) => c.text).join('');
}

test('create: the response object', async () => {
  const r = await client.responses.create({ model, input: 'Hello', instructions: 'Be brief.', max_output_tokens: 8,
    temperature: 0, metadata: { case: 'create' } });
  assert.match(r.id, /^resp_[0-9a-f]{24}$/);
  assert.equal(r.object, 'response');
  assert.equal(r.model, model);
  assert.ok(['completed', 'incomplete'].includes(r.status));
  if (r.status === 'incomplete') assert.deepEqual(r.incomplete_details, { reason: 'max_output_tokens' });
  assert.equal(r.instructions, 'Be brief.');
  assert.deepEqual(r.metadata, { case: 'create' });
  assert.equal(r.output.length, 1);
  assert.equal(r.output[0].type, 'message');
  assert.equal(r.output[0].role, 'assistant');
  assert.match(r.output[0].id, /^msg_/);
  assert.equal(r.output_text, messageText(r));
  assert.ok(r.usage.input_tokens > 0);
  assert.ok(r.usage.output_tokens > 0 && r.usage.output_tokens <= 8);
  assert.equal(r.usage.total_tokens, r.usage.input_tokens + r.usage.output_tokens);
  assert.equal(typeof r.usage.input_tokens_details.cached_tokens, 'number');
});

test('stream: typed events in order, and the helpers rebuild the non-streamed response', async () => {
  const params = { model, input: 'Stream me something', max_output_tokens: 12, temperature: 0 };
  const whole = await client.responses.create(params);
  const stream = client.responses.stream(params);
  const events = [];
  let deltas = '';
  stream.on('event', (e) => events.push(e));
  stream.on('response.output_text.delta', (e) => { deltas += e.delta; });
  const final = await stream.finalResponse();
  events.forEach((e, i) => assert.equal(e.sequence_number, i));
  const types = events.map((e) => e.type);
  assert.deepEqual(types.slice(0, 4), ['response.created', 'response.in_progress', 'response.output_item.added',
    'response.content_part.added']);
  assert.deepEqual(types.slice(-4), ['response.output_text.done', 'response.content_part.done',
    'response.output_item.done', whole.status === 'completed' ? 'response.completed' : 'response.incomplete']);
  assert.ok(types.slice(4, -4).every((t) => t === 'response.output_text.delta'));
  assert.equal(deltas, whole.output_text);
  assert.equal(messageText(final), whole.output_text);   // the SDK sets output_text on create, not on streams
  assert.equal(final.output[0].content[0].text, whole.output[0].content[0].text);   // (the SDK adds `parsed`)
  // The SDK's snapshot takes the response from response.completed only; response.incomplete carries
  // the same final object.
  const last = events.at(-1).response;
  const { id: _a, created_at: _b, ...lastRest } = last;
  const { id: _c, created_at: _d, output_text: _e, ...wholeRest } = whole;
  lastRest.output = lastRest.output.map(({ id, ...item }) => item);
  wholeRest.output = wholeRest.output.map(({ id, ...item }) => item);
  delete lastRest.output_text;
  assert.deepEqual(lastRest, wholeRest);
});

test('text.format json_schema: the output validates', async () => {
  const schema = { type: 'object', properties: { name: { type: 'string', maxLength: 8 },
    age: { type: 'integer', minimum: 0, maximum: 120 } }, required: ['name', 'age'], additionalProperties: false };
  const validate = new Ajv({ strict: false }).compile(schema);
  for (const stream of [false, true]) {
    const params = { model, input: 'A person, as JSON.', max_output_tokens: 64,
      text: { format: { type: 'json_schema', name: 'person', schema, strict: true } } };
    const r = stream ? await client.responses.stream(params).finalResponse() : await client.responses.create(params);
    assert.equal(r.status, 'completed', JSON.stringify(r));
    assert.equal(r.text.format.type, 'json_schema');
    const doc = JSON.parse(messageText(r));
    assert.ok(validate(doc), JSON.stringify(validate.errors));
  }
});

const WEATHER = { type: 'function', name: 'get_weather', description: 'Weather for a city',
  parameters: { type: 'object', properties: { city: { type: 'string', maxLength: 12 } }, required: ['city'],
    additionalProperties: false }, strict: true };

test('function tools: calls, then function_call_output round trip (stream and not)', async () => {
  const validate = new Ajv({ strict: false }).compile(WEATHER.parameters);
  for (const stream of [false, true]) {
    const params = { model, input: 'Weather in Paris?', tools: [WEATHER], tool_choice: 'required', max_output_tokens: 64,
      temperature: 0 };
    const r = stream ? await client.responses.stream(params).finalResponse() : await client.responses.create(params);
    const calls = r.output.filter((i) => i.type === 'function_call');
    assert.ok(calls.length >= 1, JSON.stringify(r.output));
    for (const c of calls) {
      assert.equal(c.name, 'get_weather');
      assert.match(c.call_id, /^call_/);
      assert.match(c.id, /^fc_/);
      assert.ok(validate(JSON.parse(c.arguments)), c.arguments);
    }
    // Stateless round trip: the calls and their outputs given back as input items.
    const next = await client.responses.create({ model, tools: [WEATHER], max_output_tokens: 8, temperature: 0,
      input: [{ role: 'user', content: 'Weather in Paris?' }, ...calls,
        ...calls.map((c) => ({ type: 'function_call_output', call_id: c.call_id, output: '{"temp": 18}' }))] });
    assert.ok(['completed', 'incomplete'].includes(next.status));
    // Stored round trip: previous_response_id carries the calls.
    const chained = await client.responses.create({ model, previous_response_id: r.id, tools: [WEATHER],
      tool_choice: 'none', max_output_tokens: 8, temperature: 0,
      input: calls.map((c) => ({ type: 'function_call_output', call_id: c.call_id, output: 'sunny' })) });
    assert.equal(chained.previous_response_id, r.id);
    assert.equal(chained.output[0].type, 'message');
  }
});

test('previous_response_id: three turns, the cached input tokens grow', async () => {
  let previous;
  const cached = [], inputs = [];
  for (const turn of [1, 2, 3]) {
    const r = await client.responses.create({ model, input: `${LONG} (turn ${turn})`, max_output_tokens: 8, temperature: 0,
      previous_response_id: previous });
    cached.push(r.usage.input_tokens_details.cached_tokens);
    inputs.push(r.usage.input_tokens);
    previous = r.id;
  }
  // Each turn's prompt extends the previous one: the prefix cache serves what was already computed.
  assert.ok(inputs[1] > inputs[0] && inputs[2] > inputs[1], JSON.stringify(inputs));
  assert.ok(cached[1] > 0 && cached[2] > cached[1], `cached ${JSON.stringify(cached)} of inputs ${JSON.stringify(inputs)}`);
  assert.ok(cached[1] >= inputs[0] - 32, `turn 2 reuses turn 1's prompt: ${JSON.stringify(cached)} ${JSON.stringify(inputs)}`);
});

test('retrieve, delete, 404s; store: false is not kept', async () => {
  const r = await client.responses.create({ model, input: 'Keep me', max_output_tokens: 4 });
  const got = await client.responses.retrieve(r.id);
  assert.deepEqual(got, r);
  await client.responses.delete(r.id);
  for (const call of [() => client.responses.retrieve(r.id), () => client.responses.delete(r.id),
    () => client.responses.retrieve('resp_unknown'),
    () => client.responses.create({ model, input: 'x', previous_response_id: 'resp_unknown' })]) {
    await assert.rejects(call, (e) => {
      assert.equal(e.status, 404);
      assert.equal(e.error.type, 'invalid_request_error');
      assert.match(e.error.message, /No response found/);
      return true;
    });
  }
  const unstored = await client.responses.create({ model, input: 'Forget me', max_output_tokens: 4, store: false });
  assert.equal(unstored.store, false);
  await assert.rejects(() => client.responses.retrieve(unstored.id), (e) => e.status === 404);
});

test('bad input: 400 in OpenAI\'s error shape naming the field', async () => {
  const cases = [
    [{ model }, 'input'],
    [{ model, input: [{ role: 'user', content: [{ type: 'input_image', image_url: 'x' }] }] }, 'input[0].content[0].type'],
    [{ model, input: 'x', tools: [{ type: 'web_search' }] }, 'tools[0].type'],
    [{ model, input: 'x', text: { format: { type: 'xml' } } }, 'text.format.type'],
    [{ model, input: 'x', max_output_tokens: 0 }, 'max_output_tokens'],
    [{ model, input: 'x', tools: [{ type: 'function', name: 'bad name!' }] }, 'tools[0].name'],
  ];
  for (const [body, param] of cases) {
    await assert.rejects(() => client.responses.create(body), (e) => {
      assert.equal(e.status, 400, JSON.stringify(body));
      assert.equal(e.error.type, 'invalid_request_error');
      assert.equal(e.error.param, param, e.error.message);
      return true;
    });
  }
  const raw = await fetch(`${server.base}/v1/responses`, { method: 'POST', body: '{"input": ' });
  assert.equal(raw.status, 400);
  assert.equal((await raw.json()).error.type, 'invalid_request_error');
});
