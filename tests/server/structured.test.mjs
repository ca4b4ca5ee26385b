// Structured outputs end to end: the real `gemma3 serve` on a synthetic tiny checkpoint (random
// weights, the real Gemma 3 tokenizer), driven by the official OpenAI client. Random weights write
// random text, so every valid document here is the constraint's doing; each output is validated by
// ajv (with ajv-formats), an independent JSON Schema validator.
//
// Run: GEMMA3_BIN=build/gemma3 node --test tests/server/structured.test.mjs   (CTest: server_structured)
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

let server, base, client;

before(async () => {
  server = await startServer('structured');
  base = server.base;
  client = new OpenAI({ apiKey: 'none', baseURL: `${base}/v1`, maxRetries: 0, timeout: 120000 });
});

after(async () => { await server?.stop(); });

function validator(schema) {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  return ajv.compile(schema);
}

// Bounded schemas, so a random model finishes its document well within max_tokens: strings have a
// maxLength, numbers and arrays bounds. Between them they use every keyword family the engine
// supports.
const SCHEMAS = [
  { type: 'object', properties: { name: { type: 'string', maxLength: 8 }, age: { type: 'integer', minimum: 0, maximum: 120 } },
    required: ['name', 'age'], additionalProperties: false },
  { type: 'object', properties: { label: { enum: ['positive', 'negative', 'neutral'] } }, required: ['label'],
    additionalProperties: false },
  { type: 'array', items: { type: 'integer', minimum: -50, maximum: 50 }, minItems: 1, maxItems: 4 },
  { type: 'object', properties: { ok: { type: 'boolean' }, note: { type: ['string', 'null'], maxLength: 5 } },
    required: ['ok', 'note'], additionalProperties: false },
  { type: 'object', properties: { id: { type: 'string', format: 'uuid' } }, required: ['id'], additionalProperties: false },
  { type: 'object', properties: { day: { type: 'string', format: 'date' } }, required: ['day'], additionalProperties: false },
  { type: 'object', properties: { code: { type: 'string', pattern: '^[A-Z]{3}-[0-9]{2}$' } }, required: ['code'],
    additionalProperties: false },
  { type: 'object', properties: { v: { anyOf: [{ type: 'integer', minimum: 1, maximum: 9 }, { const: 'none' }] } },
    required: ['v'], additionalProperties: false },
  { $defs: { leaf: { type: 'object', properties: { n: { type: 'integer', minimum: 0, maximum: 3 } }, required: ['n'],
                     additionalProperties: false } },
    type: 'object', properties: { a: { $ref: '#/$defs/leaf' }, b: { $ref: '#/$defs/leaf' } }, required: ['a', 'b'],
    additionalProperties: false },
  { type: 'object', properties: { x: { type: 'number', minimum: 0, maximum: 1 } }, required: ['x'], additionalProperties: false },
  { type: 'array', prefixItems: [{ const: 'head' }, { type: 'integer', minimum: 0, maximum: 99 }], items: false },
  { type: 'object', properties: { tags: { type: 'array', items: { enum: ['a', 'b', 'c'] }, maxItems: 3 } },
    required: ['tags'], additionalProperties: false },
];

const SAMPLERS = [
  { temperature: 0 },
  { temperature: 1, seed: 1 },
  { temperature: 1.5, top_p: 0.9, seed: 2 },
  { temperature: 0.7, top_k: 20, presence_penalty: 1, seed: 3 },
];

describe('response_format json_schema', () => {
  test('every finished output validates with ajv, for every schema and sampler, stream and not', async () => {
    let finished = 0, total = 0;
    for (const [i, schema] of SCHEMAS.entries()) {
      const validate = validator(schema);
      for (const sampler of SAMPLERS) {
        for (const stream of [false, true]) {
          const request = {
            model: 'tiny', messages: [{ role: 'user', content: `Answer in JSON (${i}).` }], max_tokens: 256, ...sampler,
            response_format: { type: 'json_schema', json_schema: { name: `s${i}`, schema, strict: true } },
          };
          let text = '', finish;
          if (stream) {
            for await (const chunk of await client.chat.completions.create({ ...request, stream: true })) {
              text += chunk.choices[0]?.delta?.content ?? '';
              finish = chunk.choices[0]?.finish_reason ?? finish;
            }
          } else {
            const r = await client.chat.completions.create(request);
            text = r.choices[0].message.content;
            finish = r.choices[0].finish_reason;
          }
          ++total;
          if (finish !== 'stop') continue;
          ++finished;
          let doc;
          assert.doesNotThrow(() => { doc = JSON.parse(text); }, `schema ${i} ${JSON.stringify(sampler)}: not JSON: ${text}`);
          assert.ok(validate(doc), `schema ${i} ${JSON.stringify(sampler)} stream=${stream}: ${text}\n` +
                    JSON.stringify(validate.errors));
        }
      }
    }
    // Bounded schemas: nearly every generation completes its document.
    assert.ok(finished >= total * 0.9, `${finished} of ${total} generations finished`);
  });

  test('greedy stream and non-stream give the same document', async () => {
    const schema = SCHEMAS[0];
    const request = { model: 'tiny', messages: [{ role: 'user', content: 'Person?' }], max_tokens: 128, temperature: 0,
                      response_format: { type: 'json_schema', json_schema: { name: 'p', schema } } };
    const whole = (await client.chat.completions.create(request)).choices[0].message.content;
    let streamed = '';
    for await (const c of await client.chat.completions.create({ ...request, stream: true })) {
      streamed += c.choices[0]?.delta?.content ?? '';
    }
    assert.equal(streamed, whole);
  });

  test('properties are written in the schema order', async () => {
    const schema = { type: 'object', properties: { zeta: { type: 'boolean' }, alpha: { type: 'boolean' } },
                     required: ['zeta', 'alpha'], additionalProperties: false };
    const r = await client.chat.completions.create({
      model: 'tiny', messages: [{ role: 'user', content: 'x' }], max_tokens: 400, temperature: 0,
      response_format: { type: 'json_schema', json_schema: { name: 'o', schema } } });
    const text = r.choices[0].message.content;
    assert.equal(r.choices[0].finish_reason, 'stop', text);
    assert.deepEqual(Object.keys(JSON.parse(text)), ['zeta', 'alpha'], text);
  });
});

describe('other constraints', () => {
  test('json_object gives a JSON object', async () => {
    for (const seed of [1, 2, 3]) {
      const r = await client.chat.completions.create({
        model: 'tiny', messages: [{ role: 'user', content: 'JSON please' }], max_tokens: 300, temperature: 1, seed,
        response_format: { type: 'json_object' } });
      if (r.choices[0].finish_reason !== 'stop') continue;
      const doc = JSON.parse(r.choices[0].message.content);
      assert.equal(typeof doc, 'object');
      assert.ok(doc !== null && !Array.isArray(doc));
    }
  });

  test('guided_choice and guided_regex (vLLM names), on chat and completions', async () => {
    const choices = ['red', 'green', 'blue'];
    for (const seed of [1, 2, 3, 4]) {
      const r = await client.chat.completions.create({
        model: 'tiny', messages: [{ role: 'user', content: 'Colour?' }], max_tokens: 16, temperature: 1, seed,
        guided_choice: choices });
      assert.ok(choices.includes(r.choices[0].message.content), r.choices[0].message.content);
      assert.equal(r.choices[0].finish_reason, 'stop');
      const c = await client.completions.create({ model: 'tiny', prompt: 'Code:', max_tokens: 16, temperature: 1, seed,
                                                  guided_regex: '[A-Z]{2}[0-9]{3}' });
      assert.match(c.choices[0].text, /^[A-Z]{2}[0-9]{3}$/);
    }
  });

  test('bad constraints are 400s naming the field', async () => {
    const cases = [
      [{ response_format: { type: 'json_schema', json_schema: { name: 'u', schema: { type: 'array', uniqueItems: true } } } },
       'response_format.json_schema.schema', /uniqueItems/],
      [{ response_format: { type: 'xml' } }, 'response_format.type', /json_schema/],
      [{ response_format: { type: 'json_schema' } }, 'response_format.json_schema', /object/],
      [{ guided_regex: '(a' }, 'guided_regex', /./],
      [{ guided_choice: [] }, 'guided_choice', /array/],
      [{ guided_regex: 'a', guided_choice: ['a'] }, 'guided_choice', /both/],
      [{ response_format: { type: 'json_schema', json_schema: { name: 'r', schema: { $ref: '#/$defs/missing' } } } },
       'response_format.json_schema.schema', /missing|\$ref/],
    ];
    for (const [extra, param, message] of cases) {
      const r = await fetch(`${base}/v1/chat/completions`, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'tiny', messages: [{ role: 'user', content: 'x' }], max_tokens: 4, ...extra }) });
      const body = await r.json();
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.equal(body.error.param, param, JSON.stringify(body));
      assert.match(body.error.message, message);
    }
  });
});
