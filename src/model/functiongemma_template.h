// A FunctionGemma-style chat template, written for this project from FunctionGemma's documented
// prompt format (ai.google.dev/gemma/docs/functiongemma: developer turn with the activation line and
// <start_function_declaration>declaration:NAME{description:<escape>..<escape>,parameters:{..}}
// <end_function_declaration>; calls <start_function_call>call:NAME{k:<escape>v<escape>}
// <end_function_call>; results <start_function_response>response:NAME{..}<end_function_response>
// inside the model's turn). `gemma3 synth --tokenizer functiongemma` puts it in tokenizer_config.json
// so tests can run a FunctionGemma-style checkpoint; the same text rendered by Python Jinja2 is checked
// in tests/cmake.d/toolcall.cmake.
//
// Values (schemas, arguments) are written in FunctionGemma's syntax by the recursive macro `fg`:
// strings between <escape>s, the schema's "type" values upper-cased as in Google's examples, objects
// {key:value} (schema keys sorted, arguments in their own order), lists [a,b], true/false/null bare.
// A tool message's result is response:NAME{value:<escape>CONTENT<escape>}.
#pragma once

namespace gemma3 {

inline constexpr const char* kFunctionGemmaTemplate = R"JINJA({{ bos_token }}
{%- macro fg(v, upper=false, sort=false) -%}
  {%- if v is string -%}<escape>{{ v | upper if upper else v }}<escape>
  {%- elif v is boolean -%}{{ 'true' if v else 'false' }}
  {%- elif v is none -%}null
  {%- elif v is mapping -%}{
    {%- for key, item in ((v | dictsort) if sort else v.items()) -%}
      {{ key }}:{{ fg(item, sort and key == 'type', sort) }}{{ ',' if not loop.last }}
    {%- endfor -%}}
  {%- elif v is iterable -%}[
    {%- for item in v -%}{{ fg(item, upper, sort) }}{{ ',' if not loop.last }}{%- endfor -%}]
  {%- else -%}{{ v }}
  {%- endif -%}
{%- endmacro -%}
{%- set ns = namespace(prev=none, calls=[], result=0) -%}
{%- set loop_messages = messages -%}
{%- if tools or (messages and messages[0]['role'] in ['system', 'developer']) -%}
  {{- '<start_of_turn>developer\n' -}}
  {%- if messages and messages[0]['role'] in ['system', 'developer'] -%}
    {%- if messages[0]['content'] is string -%}{{ messages[0]['content'] | trim }}
    {%- else -%}{%- for part in messages[0]['content'] -%}{{ part['text'] | trim }}{%- endfor -%}
    {%- endif -%}
    {%- set loop_messages = messages[1:] -%}
  {%- else -%}
    {{- 'You are a model that can do function calling with the following functions' -}}
  {%- endif -%}
  {%- for tool in tools or [] -%}
    {%- set f = tool['function'] if 'function' in tool else tool -%}
    {{- '<start_function_declaration>' -}}declaration:{{ f['name'] }}{description:{{ fg(f['description'] or '') }}
    {%- if f['parameters'] -%},parameters:{{ fg(f['parameters'], false, true) }}{%- endif -%}{{ '}' }}
    {{- '<end_function_declaration>' -}}
  {%- endfor -%}
  {{- '<end_of_turn>\n' -}}
{%- endif -%}
{%- for message in loop_messages -%}
  {%- if message['role'] == 'tool' -%}
    {%- if ns.prev not in ['tool_call', 'tool_response'] -%}
      {{ raise_exception('A tool message must follow an assistant message with tool_calls.') }}
    {%- endif -%}
    {%- if message['name'] is defined and message['name'] -%}{%- set name = message['name'] -%}
    {%- elif ns.result < ns.calls | length -%}{%- set name = ns.calls[ns.result] -%}
    {%- else -%}{%- set name = 'unknown' -%}
    {%- endif -%}
    {%- set ns.result = ns.result + 1 -%}
    {{- '<start_function_response>' -}}response:{{ name }}{value:{{ fg(message['content'] if message['content'] is string else message['content'] | map(attribute='text') | join('')) }}{{ '}' }}
    {{- '<end_function_response>' -}}
    {%- set ns.prev = 'tool_response' -%}
  {%- else -%}
    {%- set role = 'model' if message['role'] == 'assistant' else message['role'] -%}
    {%- if ns.prev in ['tool_call', 'tool_response'] and role != 'model' -%}{{ '<end_of_turn>\n' }}{%- endif -%}
    {%- if not (ns.prev in ['tool_call', 'tool_response'] and role == 'model') -%}
      {{- '<start_of_turn>' + role + '\n' -}}
    {%- endif -%}
    {%- if message['content'] is string -%}{{ message['content'] | trim }}
    {%- elif message['content'] -%}{%- for part in message['content'] -%}{{ part['text'] | trim }}{%- endfor -%}
    {%- endif -%}
    {%- if message['tool_calls'] -%}
      {%- set ns.calls = [] -%}
      {%- set ns.result = 0 -%}
      {%- for call in message['tool_calls'] -%}
        {%- set f = call['function'] if 'function' in call else call -%}
        {%- set ns.calls = ns.calls + [f['name']] -%}
        {{- '<start_function_call>' -}}call:{{ f['name'] }}
        {%- if f['arguments'] is mapping -%}{{ fg(f['arguments']) }}{%- else -%}{{ f['arguments'] }}{%- endif -%}
        {{- '<end_function_call>' -}}
      {%- endfor -%}
      {%- set ns.prev = 'tool_call' -%}
    {%- else -%}
      {{- '<end_of_turn>\n' -}}
      {%- set ns.prev = 'content' -%}
    {%- endif -%}
  {%- endif -%}
{%- endfor -%}
{%- if add_generation_prompt and ns.prev not in ['tool_call', 'tool_response'] -%}
  {{- '<start_of_turn>model\n' -}}
{%- endif -%}
)JINJA";

}  // namespace gemma3
