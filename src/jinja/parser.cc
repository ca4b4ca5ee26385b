#include "jinja/parser.h"

#include <initializer_list>

#include "jinja/lexer.h"

namespace gemma3::jinja {
namespace {

struct ParseFail {
  int line, col;
  std::string what;
};

std::string describe(const Token& t) {
  switch (t.type) {
    case Tok::Data: return "template data";
    case Tok::VarBegin: return "'{{'";
    case Tok::VarEnd: return "end of print statement";
    case Tok::BlockBegin: return "'{%'";
    case Tok::BlockEnd: return "end of statement block";
    case Tok::Eof: return "end of template";
    default: return "'" + t.text + "'";
  }
}

class Parser {
 public:
  explicit Parser(std::vector<Token> toks) : t_(std::move(toks)) {}

  NodePtr parse_root() {
    auto root = node(NodeKind::Body);
    root->bodies.push_back(subparse({}));
    if (cur().type != Tok::Eof) fail_here("unexpected " + describe(cur()));
    return root;
  }

 private:
  // ---- token helpers
  const Token& cur() const { return t_[i_]; }
  const Token& peek(size_t k = 1) const { return t_[std::min(i_ + k, t_.size() - 1)]; }
  void advance() { if (t_[i_].type != Tok::Eof) ++i_; }
  bool is_op(std::string_view op) const { return cur().type == Tok::Op && cur().text == op; }
  bool is_name(std::string_view n) const { return cur().type == Tok::Name && cur().text == n; }
  bool skip_op(std::string_view op) { if (!is_op(op)) return false; advance(); return true; }
  bool skip_name(std::string_view n) { if (!is_name(n)) return false; advance(); return true; }
  [[noreturn]] void fail_here(std::string what) const { throw ParseFail{cur().line, cur().col, std::move(what)}; }
  void expect_op(std::string_view op) {
    if (!skip_op(op)) fail_here("expected '" + std::string(op) + "', got " + describe(cur()));
  }
  std::string expect_name() {
    if (cur().type != Tok::Name) fail_here("expected a name, got " + describe(cur()));
    std::string n = cur().text;
    advance();
    return n;
  }
  void expect_block_end() {
    if (cur().type != Tok::BlockEnd) fail_here("expected end of statement block, got " + describe(cur()));
    advance();
  }
  NodePtr node(NodeKind k) { return std::make_unique<Node>(k, cur().line); }

  struct DepthGuard {
    Parser& p;
    explicit DepthGuard(Parser& parser) : p(parser) {
      if (++p.depth_ > kMaxParseDepth) p.fail_here("template nested too deeply (more than " + std::to_string(kMaxParseDepth) + " levels)");
    }
    ~DepthGuard() { --p.depth_; }
  };

  // ---- statements
  // Parses template data, prints and statements until a block tag named in `end_tags` (left
  // unconsumed, positioned at its name) or the end of the template.
  Body subparse(std::initializer_list<std::string_view> end_tags) {
    DepthGuard guard(*this);
    Body body;
    while (true) {
      const Token& tk = cur();
      if (tk.type == Tok::Eof) {
        if (end_tags.size() != 0) {
          std::string want;
          for (auto e : end_tags) want += (want.empty() ? "'" : " or '") + std::string(e) + "'";
          fail_here("unexpected end of template, expected " + want);
        }
        return body;
      }
      if (tk.type == Tok::Data) {
        auto n = node(NodeKind::Data);
        n->value = Value::string(tk.text);
        body.push_back(std::move(n));
        advance();
      } else if (tk.type == Tok::VarBegin) {
        advance();
        auto n = node(NodeKind::Output);
        n->args.push_back(parse_tuple(true, {}));
        if (cur().type != Tok::VarEnd) fail_here("expected end of print statement, got " + describe(cur()));
        advance();
        body.push_back(std::move(n));
      } else if (tk.type == Tok::BlockBegin) {
        advance();
        if (cur().type != Tok::Name) fail_here("expected a statement name, got " + describe(cur()));
        for (auto e : end_tags)
          if (cur().text == e) return body;
        body.push_back(parse_statement());
      } else {
        fail_here("unexpected " + describe(tk));
      }
    }
  }

  // Consumes `{% name %}`'s name and the block end; the caller already saw the name.
  void end_tag(std::string_view name) {
    if (!skip_name(name)) fail_here("expected '" + std::string(name) + "'");
    expect_block_end();
  }

  NodePtr parse_statement() {
    const std::string kw = cur().text;
    if (kw == "for") return parse_for();
    if (kw == "if") return parse_if();
    if (kw == "set") return parse_set();
    if (kw == "macro") return parse_macro();
    if (kw == "call") return parse_call_block();
    if (kw == "filter") return parse_filter_block();
    if (kw == "with") return parse_with();
    if (kw == "generation") {   // transformers' extension: renders its body
      auto n = node(NodeKind::Body);
      advance();
      expect_block_end();
      n->bodies.push_back(subparse({"endgeneration"}));
      end_tag("endgeneration");
      return n;
    }
    if (kw == "break" || kw == "continue") {
      if (loop_depth_ == 0) fail_here("'" + kw + "' outside of a loop");
      auto n = node(kw == "break" ? NodeKind::Break : NodeKind::Continue);
      advance();
      expect_block_end();
      return n;
    }
    if (kw == "print") {
      auto n = node(NodeKind::Output);
      advance();
      n->args.push_back(parse_tuple(true, {}));
      expect_block_end();
      return n;
    }
    fail_here("unknown or unsupported tag '" + kw + "'");
  }

  NodePtr parse_for() {
    auto n = node(NodeKind::For);
    advance();
    parse_targets(*n, "in");
    if (!skip_name("in")) fail_here("expected 'in', got " + describe(cur()));
    n->args.push_back(parse_tuple(false, {"recursive"}));
    n->args.push_back(nullptr);
    if (skip_name("if")) n->args[1] = parse_expression(true);
    if (is_name("recursive")) fail_here("recursive loops are not supported");
    expect_block_end();
    ++loop_depth_;
    n->bodies.push_back(subparse({"endfor", "else"}));
    --loop_depth_;
    n->bodies.emplace_back();
    if (skip_name("else")) {
      expect_block_end();
      n->bodies[1] = subparse({"endfor"});
    }
    end_tag("endfor");
    return n;
  }

  NodePtr parse_if() {
    auto n = node(NodeKind::If);
    advance();
    while (true) {
      n->args.push_back(parse_tuple(false, {}));
      expect_block_end();
      n->bodies.push_back(subparse({"elif", "else", "endif"}));
      if (skip_name("elif")) continue;
      if (skip_name("else")) {
        expect_block_end();
        n->bodies.push_back(subparse({"endif"}));
        n->flag = true;
      }
      end_tag("endif");
      return n;
    }
  }

  // Assignment targets: `a`, `a, b`, `(a, b)`; sets names and flag (unpack).
  void parse_targets(Node& n, std::string_view end_name) {
    bool paren = skip_op("(");
    while (true) {
      n.names.push_back(expect_name());
      if (!skip_op(",")) break;
      n.flag = true;
      if ((paren && is_op(")")) || is_name(end_name) || is_op("=")) break;
    }
    if (paren) {
      expect_op(")");
      n.flag = true;
    }
  }

  NodePtr parse_set() {
    advance();
    int line = cur().line;
    std::vector<std::string> names;
    bool is_ns = false, unpack = false;
    if (cur().type == Tok::Name && peek().type == Tok::Op && peek().text == ".") {
      names.push_back(expect_name());
      advance();
      names.push_back(expect_name());
      is_ns = true;
    } else {
      Node tmp(NodeKind::Set, line);
      parse_targets(tmp, "");
      names = std::move(tmp.names);
      unpack = tmp.flag;
    }
    if (skip_op("=")) {
      auto n = std::make_unique<Node>(NodeKind::Set, line);
      n->names = std::move(names);
      n->flag = unpack;
      n->flag2 = is_ns;
      n->args.push_back(parse_tuple(true, {}));
      expect_block_end();
      return n;
    }
    if (unpack) fail_here("expected '='");
    auto n = std::make_unique<Node>(NodeKind::SetBlock, line);
    n->names = std::move(names);
    n->flag2 = is_ns;
    n->args.push_back(is_op("|") ? parse_filter_chain() : nullptr);
    expect_block_end();
    n->bodies.push_back(subparse({"endset"}));
    end_tag("endset");
    return n;
  }

  // `| f(args) | g` with a null innermost input (filter blocks and block sets).
  NodePtr parse_filter_chain() {
    NodePtr chain;
    bool first = true;
    while (first ? (is_op("|") || cur().type == Tok::Name) : is_op("|")) {
      if (!first || is_op("|")) expect_op("|");
      first = false;
      chain = parse_filter(std::move(chain));
    }
    return chain;
  }

  // `(a, b=1, c)` parameter lists of macros and call blocks: names, and defaults for a suffix.
  void parse_params(Node& n, std::vector<NodePtr>& defaults) {
    expect_op("(");
    while (!is_op(")")) {
      if (!n.names.empty()) expect_op(",");
      if (is_op(")")) break;
      n.names.push_back(expect_name());
      if (skip_op("=")) {
        defaults.push_back(parse_expression(true));
      } else if (!defaults.empty()) {
        fail_here("non-default argument follows default argument");
      }
    }
    expect_op(")");
  }

  NodePtr parse_macro() {
    auto n = node(NodeKind::Macro);
    advance();
    n->name = expect_name();
    parse_params(*n, n->args);
    expect_block_end();
    int saved = loop_depth_;
    loop_depth_ = 0;
    n->bodies.push_back(subparse({"endmacro"}));
    loop_depth_ = saved;
    end_tag("endmacro");
    return n;
  }

  NodePtr parse_call_block() {
    auto n = node(NodeKind::CallBlock);
    advance();
    std::vector<NodePtr> defaults;
    if (is_op("(")) parse_params(*n, defaults);
    NodePtr call = parse_expression(true);
    if (call->kind != NodeKind::Call) fail_here("expected a call expression after 'call'");
    n->args.push_back(std::move(call));
    for (auto& d : defaults) n->args.push_back(std::move(d));
    expect_block_end();
    int saved = loop_depth_;
    loop_depth_ = 0;
    n->bodies.push_back(subparse({"endcall"}));
    loop_depth_ = saved;
    end_tag("endcall");
    return n;
  }

  NodePtr parse_filter_block() {
    auto n = node(NodeKind::FilterBlock);
    advance();
    n->args.push_back(parse_filter_chain());
    if (!n->args[0]) fail_here("expected a filter name");
    expect_block_end();
    n->bodies.push_back(subparse({"endfilter"}));
    end_tag("endfilter");
    return n;
  }

  NodePtr parse_with() {
    auto n = node(NodeKind::With);
    advance();
    while (cur().type != Tok::BlockEnd) {
      if (!n->names.empty()) expect_op(",");
      n->names.push_back(expect_name());
      expect_op("=");
      n->args.push_back(parse_expression(true));
    }
    expect_block_end();
    n->bodies.push_back(subparse({"endwith"}));
    end_tag("endwith");
    return n;
  }

  // ---- expressions
  bool is_tuple_end(std::initializer_list<std::string_view> extra) const {
    if (cur().type == Tok::VarEnd || cur().type == Tok::BlockEnd || cur().type == Tok::Eof || is_op(")")) return true;
    for (auto e : extra)
      if (is_name(e)) return true;
    return false;
  }

  NodePtr parse_tuple(bool with_condexpr, std::initializer_list<std::string_view> extra, bool explicit_parens = false) {
    int line = cur().line;
    std::vector<NodePtr> items;
    bool is_tuple = false;
    while (true) {
      if (!items.empty()) {
        if (!skip_op(",")) break;
        is_tuple = true;
      }
      if (is_tuple_end(extra)) break;
      items.push_back(parse_expression(with_condexpr));
    }
    if (!is_tuple) {
      if (!items.empty()) return std::move(items[0]);
      if (!explicit_parens) fail_here("expected an expression, got " + describe(cur()));
    }
    auto n = std::make_unique<Node>(NodeKind::ListLit, line);
    n->flag = true;
    n->args = std::move(items);
    return n;
  }

  NodePtr parse_expression(bool with_condexpr) {
    DepthGuard guard(*this);
    if (!with_condexpr) return parse_or();
    int line = cur().line;
    NodePtr expr = parse_or();
    while (skip_name("if")) {
      auto n = std::make_unique<Node>(NodeKind::CondExpr, line);
      n->args.push_back(parse_or());
      n->args.push_back(std::move(expr));
      n->args.push_back(skip_name("else") ? parse_expression(true) : nullptr);
      expr = std::move(n);
    }
    return expr;
  }

  NodePtr binary(std::string op, NodePtr a, NodePtr b, int line) {
    auto n = std::make_unique<Node>(NodeKind::Binary, line);
    n->name = std::move(op);
    n->args.push_back(std::move(a));
    n->args.push_back(std::move(b));
    return n;
  }

  NodePtr parse_or() {
    int line = cur().line;
    NodePtr left = parse_and();
    while (skip_name("or")) left = binary("or", std::move(left), parse_and(), line);
    return left;
  }
  NodePtr parse_and() {
    int line = cur().line;
    NodePtr left = parse_not();
    while (skip_name("and")) left = binary("and", std::move(left), parse_not(), line);
    return left;
  }
  NodePtr parse_not() {
    if (is_name("not")) {
      DepthGuard guard(*this);
      auto n = node(NodeKind::Unary);
      advance();
      n->name = "not";
      n->args.push_back(parse_not());
      return n;
    }
    return parse_compare();
  }
  NodePtr parse_compare() {
    int line = cur().line;
    NodePtr first = parse_math1();
    std::unique_ptr<Node> cmp;
    while (true) {
      std::string op;
      if (cur().type == Tok::Op && (cur().text == "==" || cur().text == "!=" || cur().text == "<" ||
                                    cur().text == ">" || cur().text == "<=" || cur().text == ">=")) {
        op = cur().text;
        advance();
      } else if (is_name("in")) {
        op = "in";
        advance();
      } else if (is_name("not") && peek().type == Tok::Name && peek().text == "in") {
        op = "notin";
        advance();
        advance();
      } else {
        break;
      }
      if (!cmp) {
        cmp = std::make_unique<Node>(NodeKind::Compare, line);
        cmp->args.push_back(std::move(first));
      }
      cmp->names.push_back(op);
      cmp->args.push_back(parse_math1());
    }
    return cmp ? std::move(cmp) : std::move(first);
  }
  NodePtr parse_math1() {
    int line = cur().line;
    NodePtr left = parse_concat();
    while (is_op("+") || is_op("-")) {
      std::string op = cur().text;
      advance();
      left = binary(op, std::move(left), parse_concat(), line);
    }
    return left;
  }
  NodePtr parse_concat() {
    int line = cur().line;
    NodePtr left = parse_math2();
    while (skip_op("~")) left = binary("~", std::move(left), parse_math2(), line);
    return left;
  }
  NodePtr parse_math2() {
    int line = cur().line;
    NodePtr left = parse_pow();
    while (is_op("*") || is_op("/") || is_op("//") || is_op("%")) {
      std::string op = cur().text;
      advance();
      left = binary(op, std::move(left), parse_pow(), line);
    }
    return left;
  }
  NodePtr parse_pow() {
    int line = cur().line;
    NodePtr left = parse_unary(true);
    while (skip_op("**")) left = binary("**", std::move(left), parse_unary(true), line);
    return left;
  }
  NodePtr parse_unary(bool with_filter) {
    DepthGuard guard(*this);
    NodePtr n;
    if (is_op("-") || is_op("+")) {
      n = node(NodeKind::Unary);
      n->name = cur().text;
      advance();
      n->args.push_back(parse_unary(false));
    } else {
      n = parse_primary();
    }
    n = parse_postfix(std::move(n));
    if (with_filter) n = parse_filter_expr(std::move(n));
    return n;
  }

  NodePtr parse_primary() {
    const Token& tk = cur();
    if (tk.type == Tok::Name) {
      auto n = node(NodeKind::Const);
      if (tk.text == "true" || tk.text == "True") {
        n->value = Value::boolean(true);
      } else if (tk.text == "false" || tk.text == "False") {
        n->value = Value::boolean(false);
      } else if (tk.text == "none" || tk.text == "None") {
        n->value = Value::none();
      } else {
        n->kind = NodeKind::Name;
        n->name = tk.text;
      }
      advance();
      return n;
    }
    if (tk.type == Tok::String) {
      auto n = node(NodeKind::Const);
      std::string s;
      while (cur().type == Tok::String) {   // adjacent literals concatenate, as in Python
        s += cur().text;
        advance();
      }
      n->value = Value::string(std::move(s));
      return n;
    }
    if (tk.type == Tok::Int || tk.type == Tok::Float) {
      auto n = node(NodeKind::Const);
      n->value = tk.type == Tok::Int ? Value::integer(tk.ival) : Value::floating(tk.fval);
      advance();
      return n;
    }
    if (is_op("(")) {
      advance();
      NodePtr n = parse_tuple(true, {}, true);
      expect_op(")");
      return n;
    }
    if (is_op("[")) {
      auto n = node(NodeKind::ListLit);
      advance();
      while (!is_op("]")) {
        if (!n->args.empty()) expect_op(",");
        if (is_op("]")) break;
        n->args.push_back(parse_expression(true));
      }
      expect_op("]");
      return n;
    }
    if (is_op("{")) {
      auto n = node(NodeKind::DictLit);
      advance();
      while (!is_op("}")) {
        if (!n->args.empty()) expect_op(",");
        if (is_op("}")) break;
        n->args.push_back(parse_expression(true));
        expect_op(":");
        n->args.push_back(parse_expression(true));
      }
      expect_op("}");
      return n;
    }
    fail_here("unexpected " + describe(tk));
  }

  NodePtr parse_postfix(NodePtr n) {
    while (true) {
      if (is_op(".") || is_op("[")) {
        n = parse_subscript(std::move(n));
      } else if (is_op("(")) {
        n = parse_call(std::move(n));
      } else {
        return n;
      }
    }
  }

  NodePtr parse_filter_expr(NodePtr n) {
    while (true) {
      if (is_op("|")) {
        advance();
        n = parse_filter(std::move(n));
      } else if (is_name("is")) {
        n = parse_test(std::move(n));
      } else if (is_op("(")) {
        n = parse_call(std::move(n));
      } else {
        return n;
      }
    }
  }

  NodePtr parse_subscript(NodePtr target) {
    DepthGuard guard(*this);
    int line = cur().line;
    if (skip_op(".")) {
      if (cur().type == Tok::Name) {
        auto n = std::make_unique<Node>(NodeKind::GetAttr, line);
        n->name = cur().text;
        advance();
        n->args.push_back(std::move(target));
        return n;
      }
      if (cur().type == Tok::Int) {
        auto n = std::make_unique<Node>(NodeKind::GetItem, line);
        n->args.push_back(std::move(target));
        auto idx = node(NodeKind::Const);
        idx->value = Value::integer(cur().ival);
        advance();
        n->args.push_back(std::move(idx));
        return n;
      }
      fail_here("expected a name or number after '.'");
    }
    expect_op("[");
    std::vector<NodePtr> subs;
    bool tuple = false;
    while (!is_op("]")) {
      if (!subs.empty()) {
        expect_op(",");
        tuple = true;
        if (is_op("]")) break;
      }
      subs.push_back(parse_subscribed());
    }
    expect_op("]");
    if (subs.empty()) fail_here("expected a subscript");
    if (subs.size() == 1 && !tuple && subs[0]->kind == NodeKind::Slice) {
      subs[0]->args[0] = std::move(target);
      return std::move(subs[0]);
    }
    auto n = std::make_unique<Node>(NodeKind::GetItem, line);
    n->args.push_back(std::move(target));
    if (subs.size() == 1 && !tuple) {
      n->args.push_back(std::move(subs[0]));
    } else {
      auto t = std::make_unique<Node>(NodeKind::ListLit, line);
      t->flag = true;
      t->args = std::move(subs);
      n->args.push_back(std::move(t));
    }
    return n;
  }

  // `expr` or a slice `[a]:[b][:[c]]`; a slice comes back as a Slice node with a null target.
  NodePtr parse_subscribed() {
    int line = cur().line;
    NodePtr first;
    if (!is_op(":")) {
      first = parse_expression(true);
      if (!is_op(":")) return first;
    }
    auto n = std::make_unique<Node>(NodeKind::Slice, line);
    n->args.push_back(nullptr);
    n->args.push_back(std::move(first));
    expect_op(":");
    n->args.push_back(is_op("]") || is_op(",") || is_op(":") ? nullptr : parse_expression(true));
    n->args.push_back(nullptr);
    if (skip_op(":")) n->args[3] = is_op("]") || is_op(",") ? nullptr : parse_expression(true);
    return n;
  }

  // `(args, kw=value)` into n->args (after any already there) and n->kwargs.
  void parse_call_args(Node& n) {
    expect_op("(");
    bool first = true;
    while (!is_op(")")) {
      if (!first) {
        expect_op(",");
        if (is_op(")")) break;
      }
      first = false;
      if (is_op("*") || is_op("**")) fail_here("*args and **kwargs in calls are not supported");
      if (cur().type == Tok::Name && peek().type == Tok::Op && peek().text == "=") {
        std::string key = cur().text;
        advance();
        advance();
        n.kwargs.emplace_back(std::move(key), parse_expression(true));
      } else {
        if (!n.kwargs.empty()) fail_here("positional argument follows keyword argument");
        n.args.push_back(parse_expression(true));
      }
    }
    expect_op(")");
  }

  NodePtr parse_call(NodePtr callee) {
    DepthGuard guard(*this);
    auto n = node(NodeKind::Call);
    n->args.push_back(std::move(callee));
    parse_call_args(*n);
    return n;
  }

  std::string dotted_name() {
    std::string name = expect_name();
    while (is_op(".") && peek().type == Tok::Name) {
      advance();
      name += "." + expect_name();
    }
    return name;
  }

  NodePtr parse_filter(NodePtr input) {
    DepthGuard guard(*this);
    auto n = node(NodeKind::Filter);
    n->name = dotted_name();
    n->args.push_back(std::move(input));
    if (is_op("(")) parse_call_args(*n);
    return n;
  }

  NodePtr parse_test(NodePtr input) {
    DepthGuard guard(*this);
    auto n = node(NodeKind::Test);
    advance();   // 'is'
    if (skip_name("not")) n->flag = true;
    n->name = dotted_name();
    n->args.push_back(std::move(input));
    if (is_op("(")) {
      parse_call_args(*n);
    } else if ((cur().type == Tok::Name || cur().type == Tok::String || cur().type == Tok::Int ||
                cur().type == Tok::Float || is_op("[") || is_op("{")) &&
               !is_name("else") && !is_name("or") && !is_name("and")) {
      if (is_name("is")) fail_here("you cannot chain multiple tests with is");
      n->args.push_back(parse_postfix(parse_primary()));
    }
    return n;
  }

  std::vector<Token> t_;
  size_t i_ = 0;
  int depth_ = 0;
  int loop_depth_ = 0;
};

}  // namespace

Result<NodePtr> parse_template(std::string_view source) {
  auto toks = lex(source);
  if (!toks) return std::move(toks).take_error();
  Parser parser(std::move(*toks));
  try {
    return parser.parse_root();
  } catch (const ParseFail& f) {
    return make_error("line " + std::to_string(f.line) + ", column " + std::to_string(f.col) + ": " + f.what);
  }
}

}  // namespace gemma3::jinja
