// Tool calling end to end with the official OpenAI client, on two synthetic tiny checkpoints
// (random weights, so every well-formed call is the grammar's doing):
//   gemma3         Gemma 3's tokenizer and template: the json tool format (tools described in the
//                  prompt, calls as {"name", "arguments"} JSON);
//   functiongemma  `gemma3 synth --tokenizer functiongemma`: FunctionGemma's seven markers as special
//                  tokens at ids 46-52 and a FunctionGemma-style template (native call syntax).
// Calls' arguments are JSON.parse'd and validated by ajv against the tool's parameters schema.
//
// Run: GEMMA3_BIN=build/gemma3 node --test tests/server/tools.test.mjs   (CTest: server_tools)
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { startServer } from './server_harness.mjs';

let OpenAI, Ajv, addFormats;
try {
  ({ default: OpenAI } = await import('openai'));
  ({ default: Ajv } = await import('ajv/dist/2020.js'));
  ({ default: addFormats } = await import('ajv-formats'));
} catch (e) {
  console.error('tests/server/node_modules is missing: run `npm ci --prefix tests/server`. ' + e.message);
  process.exit(1);
}

const servers = [];

async function startToolServer(name, synthArgs) {
  const server = await startServer(name, [], { seed: 5, synthArgs });
  server.client = new OpenAI({ apiKey: 'none', baseURL: `${server.base}/v1`, maxRetries: 0, timeout: 120000 });
  servers.push(server);
  return server;
}

after(async () => { for (const s of servers) await s.stop(); });

const TOOLS = [
  { type: 'function', function: { name: 'get_weather', description: 'Weather for a city',
    parameters: { type: 'object', properties: { city: { type: 'string', maxLength: 12 },
                                                unit: { enum: ['celsius', 'fahrenheit'] } },
                  required: ['city', 'unit'], additionalProperties: false } } },
  { type: 'function', function: { name: 'add', description: 'Adds two integers',
    parameters: { type: 'object', properties: { a: { type: 'integer', minimum: -100, maximum: 100 },
                                                b: { type: 'integer', minimum: -100, maximum: 100 } },
                  required: ['a', 'b'], additionalProperties: false } } },
  { type: 'function', function: { name: 'set_flags', description: 'Nested arguments',
    parameters: { type: 'object', properties: { flags: { type: 'array', items: { type: 'boolean' }, maxItems: 3 },
                                                meta: { type: 'object', properties: { level: { type: 'integer', minimum: 0, maximum: 5 } },
                                                        required: ['level'], additionalProperties: false } },
                  required: ['flags', 'meta'], additionalProperties: false } } },
];

const validators = Object.fromEntries(TOOLS.map((t) => {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  return [t.function.name, ajv.compile(t.function.parameters)];
}));

function checkCalls(calls, allowed, where) {
  assert.ok(Array.isArray(calls) && calls.length >= 1, `${where}: no tool_calls`);
  const ids = new Set();
  for (const call of calls) {
    assert.equal(call.type, 'function', where);
    assert.match(call.id, /^call_[0-9a-f]+$/, where);
    assert.ok(!ids.has(call.id), `${where}: duplicate id ${call.id}`);
    ids.add(call.id);
    assert.ok(allowed.includes(call.function.name), `${where}: unexpected function ${call.function.name}`);
    assert.equal(typeof call.function.arguments, 'string', where);
    let args;
    assert.doesNotThrow(() => { args = JSON.parse(call.function.arguments); }, `${where}: ${call.function.arguments}`);
    const validate = validators[call.function.name];
    assert.ok(validate(args), `${where}: ${call.function.arguments} ${JSON.stringify(validate.errors)}`);
  }
}

// Reassembles a streamed chat completion the way the client helpers do.
async function streamed(client, request) {
  let content = '', finish;
  const calls = [];
  for await (const chunk of await client.chat.completions.create({ ...request, stream: true })) {
    const choice = chunk.choices[0];
    if (!choice) continue;
    content += choice.delta?.content ?? '';
    for (const d of choice.delta?.tool_calls ?? []) {
      const c = (calls[d.index] ??= { id: '', type: 'function', function: { name: '', arguments: '' } });
      if (d.id) c.id = d.id;
      if (d.type) c.type = d.type;
      if (d.function?.name) c.function.name += d.function.name;
      if (d.function?.arguments) c.function.arguments += d.function.arguments;
    }
    finish = choice.finish_reason ?? finish;
  }
  return { content, tool_calls: calls, finish };
}

for (const [name, synthArgs] of [['gemma3', []], ['functiongemma', ['--tokenizer', 'functiongemma']]]) {
  describe(`tool calling, ${name} checkpoint`, () => {
    let server;
    before(async () => { server = await startToolServer(name, synthArgs); });

    test('serve names the tool format it chose', () => {
      assert.match(server.log(), name === 'gemma3' ? /tool calls in the json format/ : /tool calls in the functiongemma format/);
    });

    test('required and named choices always give valid calls, stream and not, parallel or not', async () => {
      const choices = [['required', TOOLS.map((t) => t.function.name)],
                       [{ type: 'function', function: { name: 'add' } }, ['add']],
                       [{ type: 'function', function: { name: 'set_flags' } }, ['set_flags']]];
      let n = 0;
      for (const [tool_choice, allowed] of choices) {
        for (const parallel_tool_calls of [true, false]) {
          for (const seed of [1, 2, 3, 4, 5, 6]) {
            const request = { model: server.model, messages: [{ role: 'user', content: `Call something (${seed}).` }],
                              tools: TOOLS, tool_choice, parallel_tool_calls, max_tokens: 400, temperature: 1, seed };
            const where = `${JSON.stringify(tool_choice)} parallel=${parallel_tool_calls} seed=${seed}`;
            const r = await server.client.chat.completions.create(request);
            const m = r.choices[0];
            if (m.finish_reason === 'length') continue;   // a truncated call is dropped, never half-given
            assert.equal(m.finish_reason, 'tool_calls', where);
            checkCalls(m.message.tool_calls, allowed, where);
            if (!parallel_tool_calls) assert.equal(m.message.tool_calls.length, 1, where);
            const s = await streamed(server.client, request);
            if (s.finish === 'length') continue;
            assert.equal(s.finish, 'tool_calls', where);
            checkCalls(s.tool_calls, allowed, `${where} (stream)`);
            n += 2;
          }
        }
      }
      assert.ok(n >= 60, `only ${n} complete calls`);
    });

    test('greedy: the stream reassembles exactly the non-streamed result', async () => {
      const request = { model: server.model, messages: [{ role: 'user', content: 'Weather in Paris?' }],
                        tools: TOOLS, tool_choice: 'required', max_tokens: 400, temperature: 0 };
      const whole = (await server.client.chat.completions.create(request)).choices[0];
      const s = await streamed(server.client, request);
      assert.equal(s.finish, whole.finish_reason);
      assert.equal(s.content, whole.message.content ?? '');
      assert.deepEqual(s.tool_calls.map((c) => [c.function.name, c.function.arguments]),
                       (whole.message.tool_calls ?? []).map((c) => [c.function.name, c.function.arguments]));
    });

    test('tool_choice none never gives calls; auto gives text or valid calls', async () => {
      for (const seed of [1, 2, 3, 4]) {
        const none = await server.client.chat.completions.create({
          model: server.model, messages: [{ role: 'user', content: 'hi' }], tools: TOOLS, tool_choice: 'none',
          max_tokens: 40, temperature: 1, seed });
        assert.equal(none.choices[0].message.tool_calls, undefined);
        assert.notEqual(none.choices[0].finish_reason, 'tool_calls');
        const auto = await server.client.chat.completions.create({
          model: server.model, messages: [{ role: 'user', content: 'hi' }], tools: TOOLS, max_tokens: 300,
          temperature: 1, seed });
        const m = auto.choices[0];
        if (m.message.tool_calls) checkCalls(m.message.tool_calls, TOOLS.map((t) => t.function.name), `auto seed=${seed}`);
      }
    });

    test('a full round trip renders through the template: call, result, answer', async () => {
      const messages = [{ role: 'user', content: 'What is 2 + 3?' }];
      const first = await server.client.chat.completions.create({
        model: server.model, messages, tools: TOOLS, tool_choice: { type: 'function', function: { name: 'add' } },
        max_tokens: 200, temperature: 0 });
      const call = first.choices[0].message.tool_calls[0];
      messages.push({ role: 'assistant', content: null, tool_calls: [call] });
      messages.push({ role: 'tool', tool_call_id: call.id, name: 'add', content: '5' });
      const answer = await server.client.chat.completions.create({
        model: server.model, messages, tools: TOOLS, max_tokens: 20, temperature: 0 });
      assert.ok(['stop', 'length', 'tool_calls'].includes(answer.choices[0].finish_reason));
    });

    test('bad tool requests are 400s naming the field', async () => {
      const cases = [
        [{ tools: [{ type: 'function', function: { description: 'x' } }] }, 'tools[0].function.name'],
        [{ tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object', properties: { a: { type: 'array', uniqueItems: true } } } } }],
           tool_choice: 'required' }, 'tools'],
        [{ tools: TOOLS, tool_choice: { type: 'function', function: { name: 'nope' } } }, 'tool_choice'],
        [{ tool_choice: 'required' }, 'tool_choice'],
        [{ tools: [TOOLS[0], TOOLS[0]] }, 'tools[1].function.name'],
      ];
      for (const [extra, param] of cases) {
        const r = await fetch(`${server.base}/v1/chat/completions`, {
          method: 'POST', headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ model: server.model, messages: [{ role: 'user', content: 'x' }], max_tokens: 4, ...extra }) });
        const body = await r.json();
        assert.equal(r.status, 400, JSON.stringify(body));
        assert.ok(body.error.param?.startsWith(param), `${JSON.stringify(extra)}: param ${body.error.param}, wanted ${param}`);
      }
    });
  });
}
