// COMMAND DOCS: the documentation table and the small argument DSL it is written in.
//
// Why a DSL: Redis describes a command's arguments as nested JSON (about 40 lines for XADD).
// The same tree fits on one line that reads like the hint redis-cli prints, so an entry is a
// few lines a reviewer can hold against `redis-cli COMMAND DOCS <name>` at a glance.
//
// Grammar (whitespace separates arguments and is otherwise insignificant):
//
//   arguments := argument*
//   argument  := spec                        required
//              | '[' spec ']'                optional
//              | '[' spec ']' '...'          optional; token and value repeat together
//                                            (multiple_token: [PREFIX p [PREFIX p ...]])
//   spec      := [TOKEN] core ['...'] ['#' digits] ['@' VERSION] ['!' VERSION]
//                  TOKEN   the keyword typed before the value: [COUNT count:integer]
//                  '...'   the value repeats (multiple): key:key...
//                  '#' N   a key argument's key_spec_index, where it is not its position
//                  '@' V   since version V;   '!' V   deprecated since version V
//   core      := NAME ':' TYPE               TYPE: string integer double key pattern unix-time
//              | NAME '{' arguments '}'      block: its members in sequence
//              | NAME '(' argument ('|' argument)+ ')'    oneof: one of the alternatives
//              | TOKEN                       pure token, named after its token in lower case
//              | NAME '=' TOKEN              pure token with a name of its own: equal='='
//   TOKEN     := [A-Z][A-Z0-9_-]*  |  "'" characters other than "'" "'"      ('*', 'lib-name')
//   NAME      := [a-z0-9][a-z0-9_:/-]*       in NAME ':' TYPE the last ':' starts the type, so
//                                            a name may hold one (ip:port:string)
//   VERSION   := digits ('.' digits)*
//
// A TOKEN binds to the core right after it when that core starts with a NAME and is not
// NAME '=' TOKEN; otherwise it is a pure token of its own (so a required pure token followed
// by a value is written name=TOKEN: nomkstream=NOMKSTREAM key:key). Key arguments get
// key_spec_index 0, 1, ... in order of appearance, which is how Redis numbers them unless one
// key spec covers several key arguments (LCS: key1:key key2:key#0).
//
// XADD's entry
//   key:key [NOMKSTREAM@6.2.0] [trim{strategy(MAXLEN|MINID@6.2.0)
//   [operator(equal='='|approximately='~')] threshold:string [LIMIT count:integer@6.2.0]}]
//   id_or_auto(auto_id='*'|id:string) field_value{field:string value:string}...
// is what redis-cli shows as
//   key [NOMKSTREAM] [MAXLEN|MINID [=|~] threshold [LIMIT count]] *|id field value
//   [field value ...]
//
// History is "VERSION: change" lines separated by '\n'. Entries for commands redis-server 7.0
// has reproduce its COMMAND DOCS (names, types, tokens, flags, versions, texts); where Runnel
// implements something newer the entry says so in a comment. Adding a command (XINFO GROUPS,
// say) is one entry in command_docs_table.cc named by its fullname; the unit test fails until every
// registered command has one and every entry has a registered command.
#include "commands/admin/command_docs.h"

#include <algorithm>
#include <iterator>
#include <unordered_map>

#include "commands/admin/command_docs_table.h"

namespace runnel::commands {
namespace {

// ---- The DSL parser ----

constexpr std::pair<std::string_view, DocArgType> kTypeNames[] = {
    {"string", DocArgType::kString},        {"integer", DocArgType::kInteger},
    {"double", DocArgType::kDouble},        {"key", DocArgType::kKey},
    {"pattern", DocArgType::kPattern},      {"unix-time", DocArgType::kUnixTime},
    {"pure-token", DocArgType::kPureToken}, {"oneof", DocArgType::kOneOf},
    {"block", DocArgType::kBlock},
};

bool IsUpper(char c) { return c >= 'A' && c <= 'Z'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsNameStart(char c) { return (c >= 'a' && c <= 'z') || IsDigit(c); }
bool IsNameChar(char c) { return IsNameStart(c) || c == '_' || c == ':' || c == '/' || c == '-'; }
bool IsWordTokenChar(char c) { return IsUpper(c) || IsDigit(c) || c == '_' || c == '-'; }

// A token that can name itself: [A-Z][A-Z0-9_-]*.
bool IsWordToken(std::string_view t) {
  if (t.empty() || !IsUpper(t[0])) return false;
  for (char c : t) {
    if (!IsWordTokenChar(c)) return false;
  }
  return true;
}

bool IsVersion(std::string_view v) {
  bool digit_seen = false;
  for (char c : v) {
    if (IsDigit(c)) {
      digit_seen = true;
    } else if (c == '.' && digit_seen) {
      digit_seen = false;
    } else {
      return false;
    }
  }
  return digit_seen;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (IsUpper(c)) c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// Recursive descent over the grammar above. The first error wins; after it every step returns
// early, so the error names the place where the text first went wrong.
class DslParser {
 public:
  explicit DslParser(std::string_view text) : text_(text) {}

  std::optional<std::vector<DocArg>> Parse(std::string* error) {
    std::vector<DocArg> args = Sequence('\0');
    SkipSpace();
    if (ok() && !AtEnd()) Fail(std::string("unexpected '") + Peek() + "'");
    if (!ok()) {
      *error = error_;
      return std::nullopt;
    }
    int next_key = 0;
    NumberKeys(args, &next_key);
    return args;
  }

 private:
  bool ok() const { return error_.empty(); }
  bool AtEnd() const { return pos_ >= text_.size(); }
  char Peek() const { return AtEnd() ? '\0' : text_[pos_]; }
  void SkipSpace() {
    while (!AtEnd() && (text_[pos_] == ' ' || text_[pos_] == '\n')) ++pos_;
  }
  bool Eat(char c) {
    if (Peek() != c || AtEnd()) return false;
    ++pos_;
    return true;
  }
  bool EatDots() {
    if (text_.substr(pos_, 3) != "...") return false;
    pos_ += 3;
    return true;
  }
  std::nullopt_t Fail(std::string message) {
    if (ok()) error_ = "at column " + std::to_string(pos_ + 1) + ": " + std::move(message);
    return std::nullopt;
  }
  bool Error(std::string message) {
    Fail(std::move(message));
    return false;
  }

  // Arguments up to `close` ('}'), or to the end of the text when close is '\0'.
  std::vector<DocArg> Sequence(char close) {
    std::vector<DocArg> out;
    for (SkipSpace(); ok() && !AtEnd() && Peek() != close; SkipSpace()) {
      std::optional<DocArg> arg = Argument();
      if (arg) out.push_back(std::move(*arg));
    }
    return out;
  }

  std::optional<DocArg> Argument() {
    SkipSpace();
    if (!Eat('[')) return Spec();
    std::optional<DocArg> arg = Spec();
    if (!arg) return std::nullopt;
    SkipSpace();
    if (!Eat(']')) return Fail("expected ']'");
    arg->optional = true;
    if (EatDots()) {
      if (arg->token.empty()) return Fail("'[...]...' repeats a token, and there is none");
      if (arg->multiple) return Fail("'...' given twice");
      arg->multiple = arg->multiple_token = true;
    }
    return arg;
  }

  std::optional<DocArg> Spec() {
    SkipSpace();
    DocArg arg;
    if (Peek() == '\'' || IsUpper(Peek())) {
      if (!Token(&arg.token)) return std::nullopt;
      size_t after_token = pos_;
      SkipSpace();
      if (!BindableNext()) {  // a pure token of its own
        pos_ = after_token;
        if (!IsWordToken(arg.token)) {
          return Fail("pure token '" + arg.token + "' needs a name: name='" + arg.token + "'");
        }
        arg.name = Lower(arg.token);
        arg.type = DocArgType::kPureToken;
        return Suffixes(std::move(arg));
      }
    }
    if (!Core(&arg)) return std::nullopt;
    return Suffixes(std::move(arg));
  }

  // Whether a core a token can bind to starts here: a NAME not followed by '='.
  bool BindableNext() const {
    if (!IsNameStart(Peek())) return false;
    size_t end = pos_;
    while (end < text_.size() && IsNameChar(text_[end])) ++end;
    return end == text_.size() || text_[end] != '=';
  }

  bool Core(DocArg* arg) {
    size_t start = pos_;
    while (!AtEnd() && IsNameChar(Peek())) ++pos_;
    std::string_view word = text_.substr(start, pos_ - start);
    if (word.empty() || !IsNameStart(word[0])) {
      pos_ = start;
      return Error(AtEnd() ? "expected an argument" : std::string("unexpected '") + Peek() + "'");
    }
    if (Eat('{')) {
      arg->name = word;
      arg->type = DocArgType::kBlock;
      arg->args = Sequence('}');
      if (!ok()) return false;
      if (!Eat('}')) return Error("expected '}'");
      if (arg->args.empty()) return Error("empty block '" + arg->name + "'");
      return true;
    }
    if (Eat('(')) return OneOf(word, arg);
    if (Eat('=')) {
      arg->name = word;
      arg->type = DocArgType::kPureToken;
      return Token(&arg->token);
    }
    size_t colon = word.rfind(':');
    pos_ = start;  // errors from here on point at the word; success moves past it again
    if (colon == std::string_view::npos) {
      return Error("expected ':type', '{', '(' or '=' after '" + std::string(word) + "'");
    }
    arg->name = word.substr(0, colon);
    std::string_view type = word.substr(colon + 1);
    for (auto [type_name, t] : kTypeNames) {
      if (type == type_name && t != DocArgType::kPureToken && t != DocArgType::kOneOf &&
          t != DocArgType::kBlock) {
        arg->type = t;
        if (arg->name.empty()) return Error("missing name before ':'");
        pos_ = start + word.size();
        return true;
      }
    }
    return Error("unknown type '" + std::string(type) + "'");
  }

  bool OneOf(std::string_view name, DocArg* arg) {
    arg->name = name;
    arg->type = DocArgType::kOneOf;
    do {
      std::optional<DocArg> alternative = Argument();
      if (!alternative) return false;
      arg->args.push_back(std::move(*alternative));
      SkipSpace();
    } while (Eat('|'));
    if (!Eat(')')) return Error("expected '|' or ')'");
    if (arg->args.size() < 2) return Error("oneof '" + arg->name + "' needs two alternatives");
    return true;
  }

  bool Token(std::string* out) {
    size_t start = pos_;
    if (Eat('\'')) {
      size_t close = text_.find('\'', pos_);
      if (close == std::string_view::npos) return Error("unterminated quoted token");
      if (close == pos_) return Error("empty token");
      *out = text_.substr(pos_, close - pos_);
      pos_ = close + 1;
      return true;
    }
    while (!AtEnd() && IsWordTokenChar(Peek())) ++pos_;
    *out = text_.substr(start, pos_ - start);
    if (out->empty() || !IsUpper((*out)[0])) return Error("expected a token");
    return true;
  }

  std::optional<DocArg> Suffixes(DocArg arg) {
    if (EatDots()) arg.multiple = true;
    if (Eat('#') && !KeySpecIndex(&arg)) return std::nullopt;
    if (Eat('@') && !Version(&arg.since)) return std::nullopt;
    if (Eat('!') && !Version(&arg.deprecated_since)) return std::nullopt;
    return arg;
  }

  bool KeySpecIndex(DocArg* arg) {
    if (arg->type != DocArgType::kKey) return Error("'#' after an argument that is not a key");
    size_t start = pos_;
    while (!AtEnd() && IsDigit(Peek()) && pos_ - start < 2) ++pos_;
    if (pos_ == start) return Error("expected a key spec index after '#'");
    arg->key_spec_index = std::stoi(std::string(text_.substr(start, pos_ - start)));
    return true;
  }

  bool Version(std::string* out) {
    size_t start = pos_;
    while (!AtEnd() && (IsDigit(Peek()) || Peek() == '.')) ++pos_;
    *out = text_.substr(start, pos_ - start);
    if (!IsVersion(*out)) return Error("malformed version '" + *out + "'");
    return true;
  }

  static void NumberKeys(std::vector<DocArg>& args, int* next) {
    for (DocArg& a : args) {
      if (a.type == DocArgType::kKey && a.key_spec_index < 0) a.key_spec_index = (*next)++;
      NumberKeys(a.args, next);
    }
  }

  std::string_view text_;
  size_t pos_ = 0;
  std::string error_;
};

// ---- The parsed table ----

struct DocIndex {
  std::vector<CommandDoc> docs;  // in table order
  std::unordered_map<std::string_view, const CommandDoc*> by_name;
  std::vector<std::string> problems;
};

bool ParseHistory(std::string_view text, CommandDoc* doc, std::string* error) {
  while (!text.empty()) {
    size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
    size_t colon = line.find(": ");
    if (colon == std::string_view::npos || !IsVersion(line.substr(0, colon)) ||
        colon + 2 == line.size()) {
      *error = "history line '" + std::string(line) + "' is not 'VERSION: change'";
      return false;
    }
    doc->history.emplace_back(line.substr(0, colon), line.substr(colon + 2));
  }
  return true;
}

void AddEntry(const DocEntry& e, DocIndex* index) {
  auto problem = [&](const std::string& what) {
    index->problems.push_back(std::string(e.name) + ": " + what);
  };
  CommandDoc doc{e.name, e.summary,          e.since,      e.group, e.complexity, {},
                 {},     e.deprecated_since, e.replaced_by, e.syscmd};
  if (e.summary.empty()) problem("no summary");
  if (!IsVersion(e.since)) problem("since '" + std::string(e.since) + "' is not a version");
  if (std::find(kDocGroups.begin(), kDocGroups.end(), e.group) == kDocGroups.end()) {
    problem("unknown group '" + std::string(e.group) + "'");
  }
  std::string error;
  if (!ParseHistory(e.history, &doc, &error)) problem(error);
  if (auto args = ParseDocArgs(e.args, &error)) {
    doc.args = std::move(*args);
  } else {
    problem("arguments " + error);
  }
  index->docs.push_back(std::move(doc));
}

const DocIndex& Index() {
  static const DocIndex* index = [] {
    auto* built = new DocIndex;  // never freed: lives as long as the process
    built->docs.reserve(DocTable().size());
    for (const DocEntry& e : DocTable()) AddEntry(e, built);
    for (const CommandDoc& doc : built->docs) {
      if (!built->by_name.emplace(doc.fullname, &doc).second) {
        built->problems.push_back(std::string(doc.fullname) + ": documented twice");
      }
    }
    return built;
  }();
  return *index;
}

// ---- Writing COMMAND DOCS, field by field in redis-server 7.0's order ----

void WriteArgs(resp::ReplyWriter& r, const std::vector<DocArg>& args);

void WriteArg(resp::ReplyWriter& r, const DocArg& a) {
  bool key = a.type == DocArgType::kKey;
  bool nested = a.type == DocArgType::kOneOf || a.type == DocArgType::kBlock;
  size_t flags = size_t{a.optional} + size_t{a.multiple} + size_t{a.multiple_token};
  r.Map(2 + size_t{key} + size_t{!a.token.empty()} + size_t{!a.since.empty()} +
        size_t{!a.deprecated_since.empty()} + size_t{flags > 0} + size_t{nested});
  r.Bulk("name");
  r.Bulk(a.name);
  r.Bulk("type");
  r.Bulk(DocArgTypeName(a.type));
  if (key) {
    r.Bulk("key_spec_index");
    r.Integer(a.key_spec_index);
  }
  if (!a.token.empty()) {
    r.Bulk("token");
    r.Bulk(a.token);
  }
  if (!a.since.empty()) {
    r.Bulk("since");
    r.Bulk(a.since);
  }
  if (!a.deprecated_since.empty()) {
    r.Bulk("deprecated_since");
    r.Bulk(a.deprecated_since);
  }
  if (flags > 0) {
    // A set of simple strings, as Redis sends it; redis-cli 7.0 asserts on the simple strings.
    r.Bulk("flags");
    r.Set(flags);
    if (a.optional) r.Simple("optional");
    if (a.multiple) r.Simple("multiple");
    if (a.multiple_token) r.Simple("multiple_token");
  }
  if (nested) {
    r.Bulk("arguments");
    WriteArgs(r, a.args);
  }
}

void WriteArgs(resp::ReplyWriter& r, const std::vector<DocArg>& args) {
  r.Array(args.size());
  for (const DocArg& a : args) WriteArg(r, a);
}

}  // namespace

std::string_view DocArgTypeName(DocArgType type) {
  for (auto [name, t] : kTypeNames) {
    if (t == type) return name;
  }
  return "string";
}

std::optional<std::vector<DocArg>> ParseDocArgs(std::string_view dsl, std::string* error) {
  return DslParser(dsl).Parse(error);
}

const CommandDoc* FindCommandDoc(std::string_view fullname) {
  const auto& by_name = Index().by_name;
  auto it = by_name.find(fullname);
  return it == by_name.end() ? nullptr : it->second;
}

std::vector<std::string_view> DocumentedCommandNames() {
  std::vector<std::string_view> names;
  for (const DocEntry& e : DocTable()) names.push_back(e.name);
  return names;
}

std::vector<std::string> CommandDocProblems() { return Index().problems; }

void WriteCommandDocs(resp::ReplyWriter& reply, const dispatch::CommandSpec& spec) {
  // redis-cli needs summary, since and group to be strings, even for a command the table
  // lacks (which the unit test rules out).
  static const CommandDoc kUndocumented{"", "Undocumented command", "", "generic", "", {}, {}};
  const CommandDoc* found = FindCommandDoc(spec.fullname);
  const CommandDoc& doc = found ? *found : kUndocumented;
  bool container = spec.is_container();
  const bool deprecated = !doc.deprecated_since.empty();
  const size_t doc_flags = size_t{doc.syscmd} + size_t{deprecated};
  reply.Map(3 + size_t{!doc.complexity.empty()} + size_t{doc_flags > 0} + (deprecated ? 2 : 0) +
            size_t{!doc.history.empty()} + size_t{!doc.args.empty()} + size_t{container});
  reply.Bulk("summary");
  reply.Bulk(doc.summary);
  reply.Bulk("since");
  reply.Bulk(doc.since);
  reply.Bulk("group");
  reply.Bulk(doc.group);
  if (!doc.complexity.empty()) {
    reply.Bulk("complexity");
    reply.Bulk(doc.complexity);
  }
  if (doc_flags > 0) {  // in redis-server's order and types
    reply.Bulk("doc_flags");
    reply.Set(doc_flags);
    if (doc.syscmd) reply.Simple("syscmd");
    if (deprecated) reply.Simple("deprecated");
  }
  if (deprecated) {
    reply.Bulk("deprecated_since");
    reply.Bulk(doc.deprecated_since);
    reply.Bulk("replaced_by");
    reply.Bulk(doc.replaced_by);
  }
  if (!doc.history.empty()) {
    reply.Bulk("history");
    reply.Set(doc.history.size());  // a set of [version, change] pairs, as Redis sends it
    for (const auto& [version, change] : doc.history) {
      reply.Array(2);
      reply.Bulk(version);
      reply.Bulk(change);
    }
  }
  if (!doc.args.empty()) {
    reply.Bulk("arguments");
    WriteArgs(reply, doc.args);
  }
  if (container) {
    reply.Bulk("subcommands");
    reply.Map(spec.subcommands.size());
    for (const dispatch::CommandSpec& sub : spec.subcommands) {
      reply.Bulk(sub.fullname);
      WriteCommandDocs(reply, sub);
    }
  }
}

}  // namespace runnel::commands
