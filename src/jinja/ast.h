// The syntax tree the parser builds and the evaluator walks. One node type with a kind tag keeps
// the evaluator a single switch; each kind documents which fields it uses. Immutable after
// parsing, so concurrent renders share one tree.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "jinja/value.h"

namespace gemma3::jinja {

enum class NodeKind : uint8_t {
  // ---- expressions
  Const,      // value
  Name,       // name
  ListLit,    // args: items; flag: is a tuple
  DictLit,    // args: key0, value0, key1, value1, ...
  GetAttr,    // args[0].name
  GetItem,    // args[0][args[1]]
  Slice,      // args[0][args[1]:args[2]:args[3]] (null = omitted)
  Call,       // args[0](args[1..], kwargs)
  Filter,     // args[0] | name(args[1..], kwargs); args[0] null inside {% filter %} (the body)
  Test,       // args[0] is [not] name(args[1..], kwargs); flag: negated
  Unary,      // name: "-", "+", "not"; args[0]
  Binary,     // name: "+", "-", "*", "/", "//", "%", "**", "~", "and", "or"; args[0], args[1]
  Compare,    // args[0] ops[0] args[1] ops[1] args[2] ...; ops in `names`
  CondExpr,   // args[1] if args[0] else args[2] (args[2] null: Undefined)
  // ---- statements
  Data,       // value: the literal text (trusted)
  Output,     // {{ args[0] }}
  If,         // args: conditions; bodies: one per condition, plus the else body if flag
  For,        // names: targets (flag: unpack); args[0]: iterable, args[1]: filter (or null);
              // bodies[0]: body, bodies[1]: else body
  Set,        // names: targets (flag: unpack) or {namespace, attribute} (flag2); args[0]: value
  SetBlock,   // names[0]: target (or {ns, attr} with flag2); bodies[0]; args[0]: filter chain or null
  Macro,      // name; names: parameters; args: defaults aligned to the last parameters; bodies[0]
  CallBlock,  // args[0]: the Call; names: caller's parameters; args[1..]: their defaults; bodies[0]
  FilterBlock,// args[0]: filter chain (innermost input null); bodies[0]
  With,       // names: targets; args: values; bodies[0]
  Break,
  Continue,
  Body,       // bodies[0]: statements rendered in order ({% generation %} and the whole template)
};

struct Node;
using NodePtr = std::unique_ptr<Node>;
using Body = std::vector<NodePtr>;

struct Node {
  NodeKind kind;
  int line = 0;
  bool flag = false;
  bool flag2 = false;
  std::string name;
  Value value;
  std::vector<NodePtr> args;
  std::vector<std::pair<std::string, NodePtr>> kwargs;
  std::vector<std::string> names;
  std::vector<Body> bodies;

  Node(NodeKind k, int l) : kind(k), line(l) {}
};

}  // namespace gemma3::jinja
