// Value: what a Jinja expression evaluates to, with Python's semantics where templates see them
// (truthiness, equality, str()/repr()). Kinds: Undefined, None, bool, int (int64), float (double),
// string (UTF-8 with byte-level provenance, see text.h), list (or tuple), dict (insertion-ordered),
// and objects (callables, namespace(), the loop variable, ...).
//
// Cheap to copy: scalars inline, everything else behind a shared_ptr. Strings, lists and dicts are
// immutable once built (the sandbox refuses mutating methods), so one Value can be shared by many
// concurrent renders. Only namespace() objects are mutable, and they are created per render.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "jinja/text.h"

namespace gemma3::jinja {

enum class Kind : uint8_t { Undefined, None, Bool, Int, Float, String, List, Dict, Object };

class Value;
class Interp;

// Arguments of a call: positional, then keyword (in call order).
struct CallArgs {
  std::vector<Value> pos;
  std::vector<std::pair<std::string, Value>> kw;
};

struct Heap {
  virtual ~Heap() = default;
};

struct StrHeap final : Heap {
  Text text;
  explicit StrHeap(Text t) : text(std::move(t)) {}
};

// Containers record their nesting depth so that deep values (built by a hostile template, or sent
// in a request) are refused before recursion over them (repr, equality, destruction) can overflow
// the stack: see kMaxValueDepth.
constexpr int kMaxValueDepth = 512;

// The destructors are defined in value.cc, where Value is complete: clang defines an implicit
// virtual destructor here, before Value is.
struct ListHeap final : Heap {
  ~ListHeap() override;
  std::vector<Value> items;
  int depth = 1;
  bool is_tuple = false;   // only changes repr(): (1, 2) vs [1, 2]
};

struct DictHeap final : Heap {
  ~DictHeap() override;
  std::vector<std::pair<Value, Value>> items;   // insertion order, unique keys
  int depth = 1;
  const Value* find(const Value& key) const;
  const Value* find(std::string_view key) const;
};

// Objects: callables, namespace(), loop, cycler. Attribute lookup and calls go through here.
struct Object : Heap {
  virtual std::string type_name() const = 0;
  // The attribute `name`, or nullopt when it has none.
  virtual std::optional<Value> get_attr(std::string_view name) const;
  virtual bool callable() const { return false; }
  // Throws RenderError when not callable.
  virtual Value call(Interp& interp, CallArgs& args) const;
  virtual std::string repr() const { return "<" + type_name() + " object>"; }
};

class Value {
 public:
  Value() = default;   // Undefined
  static Value undefined(std::string hint = {});   // hint: the error to raise if it is used
  static Value none() { Value v; v.kind_ = Kind::None; return v; }
  static Value boolean(bool b) { Value v; v.kind_ = Kind::Bool; v.i_ = b; return v; }
  static Value integer(int64_t i) { Value v; v.kind_ = Kind::Int; v.i_ = i; return v; }
  static Value floating(double f) { Value v; v.kind_ = Kind::Float; v.f_ = f; return v; }
  static Value string(Text t);
  static Value string(std::string s, bool is_untrusted = false) {
    return string(Text(std::move(s), is_untrusted));
  }
  // Both throw RenderError when the result would nest deeper than kMaxValueDepth.
  static Value list(std::vector<Value> items, bool is_tuple = false);
  static Value dict(std::vector<std::pair<Value, Value>> items);   // keys must be unique
  static Value object(std::shared_ptr<Object> obj);

  Kind kind() const { return kind_; }
  bool is_undefined() const { return kind_ == Kind::Undefined; }
  bool is_none() const { return kind_ == Kind::None; }
  bool is_bool() const { return kind_ == Kind::Bool; }
  bool is_int() const { return kind_ == Kind::Int; }
  bool is_float() const { return kind_ == Kind::Float; }
  bool is_number() const { return kind_ == Kind::Int || kind_ == Kind::Float || kind_ == Kind::Bool; }
  bool is_string() const { return kind_ == Kind::String; }
  bool is_list() const { return kind_ == Kind::List; }
  bool is_dict() const { return kind_ == Kind::Dict; }
  bool is_object() const { return kind_ == Kind::Object; }

  bool as_bool() const { return i_ != 0; }
  int64_t as_int() const { return i_; }          // Int or Bool
  double as_float() const { return kind_ == Kind::Float ? f_ : static_cast<double>(i_); }
  const Text& text() const { return static_cast<const StrHeap*>(heap_.get())->text; }
  std::string_view str() const { return text().s; }
  const std::vector<Value>& items() const { return static_cast<const ListHeap*>(heap_.get())->items; }
  bool is_tuple() const { return static_cast<const ListHeap*>(heap_.get())->is_tuple; }
  const DictHeap& dict() const { return *static_cast<const DictHeap*>(heap_.get()); }
  const Object& obj() const { return *static_cast<const Object*>(heap_.get()); }
  std::shared_ptr<Object> obj_ptr() const { return std::static_pointer_cast<Object>(heap_); }
  // The error message to raise when this Undefined is used (empty: a generic one).
  std::string_view undefined_hint() const;

  // Python truthiness (Undefined is false).
  bool truthy() const;
  // Python type name as Jinja error messages print it ("str", "int", "dict", ...).
  std::string type_name() const;
  // True when any string inside (recursively, keys included) carries untrusted bytes.
  bool any_untrusted() const;
  // Nesting depth: 0 for scalars and strings, 1 + the deepest item for lists and dicts.
  int depth() const;

 private:
  Kind kind_ = Kind::Undefined;
  union {
    int64_t i_ = 0;
    double f_;
  };
  std::shared_ptr<Heap> heap_;
};

// Python's == between two values (1 == 1.0 == True, lists/dicts element-wise).
bool values_equal(const Value& a, const Value& b);
// Python's < ; throws RenderError (TypeError) for unorderable kinds.
bool value_less(const Value& a, const Value& b);

// Python's str() and repr(), as Jinja prints values: None, True, 1.0, [1, 'a'], {'k': None}.
// Provenance: strings keep theirs in str(); any container holding untrusted data is untrusted whole.
Text to_text(const Value& v);
std::string to_str(const Value& v);    // to_text(v).s
std::string repr(const Value& v);
// Python's repr(float): shortest round-trip digits, '1.0', '1e-05', '1e+16', 'inf', 'nan'.
std::string float_repr(double d);
// Python's repr(str): quotes chosen as Python does, escapes for non-printables.
std::string string_repr(std::string_view s);

}  // namespace gemma3::jinja
