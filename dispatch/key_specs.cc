#include "dispatch/key_specs.h"

#include <strings.h>

#include <algorithm>
#include <optional>

#include "streams/numbers.h"

namespace runnel::dispatch {
namespace {

bool HasFlag(const KeySpec& k, std::string_view flag) {
  for (std::string_view f : k.flags) {
    if (f == flag) return true;
  }
  return false;
}

// Where a key spec's keys begin: at its index, or just after its keyword.
std::optional<size_t> BeginSearch(const KeySpec& k, const resp::ArgList& args) {
  if (k.keyword.empty()) return static_cast<size_t>(k.index);
  for (size_t i = static_cast<size_t>(k.startfrom); i < args.size(); ++i) {
    if (args[i].size() == k.keyword.size() &&
        strncasecmp(args[i].data(), k.keyword.data(), k.keyword.size()) == 0) {
      return i + 1;
    }
  }
  return std::nullopt;
}

// A key spec flagged variable_flags takes its flags from the arguments, as Redis's own per-command
// key functions decide: SET reads the key only with GET (else it overwrites it), DELEX reads it
// only with a condition (IFEQ ...).
std::vector<std::string_view> VariableFlags(const CommandSpec& spec, const resp::ArgList& args) {
  if (spec.fullname == "set") {
    for (size_t i = 3; i < args.size(); ++i) {
      if (args[i].size() == 3 && strncasecmp(args[i].data(), "GET", 3) == 0) {
        return {"RW", "access", "update"};
      }
    }
    return {"OW", "update"};
  }
  if (args.size() > 2) return {"RW", "access", "delete"};  // DELEX key IFEQ value ...
  return {"RM", "delete"};
}

}  // namespace

// Derived from first/last/step, with Redis's flags: reads RO access, writes RW update, deletes
// RM delete; RENAME, RENAMENX and COPY have one spec per key, as in Redis.
std::vector<KeySpec> KeySpecs(const CommandSpec& spec) {
  const std::string& n = spec.fullname;
  if (n == "rename" || n == "renamenx") {
    return {KeySpec{{}, {"RW", "access", "delete"}, 1, "", 0, 1, 0},
            KeySpec{{}, {"OW", n == "rename" ? "update" : "insert"}, 2, "", 0, 1, 0}};
  }
  if (n == "copy") {
    return {KeySpec{{}, {"RO", "access"}, 1, "", 0, 1, 0},
            KeySpec{{}, {"OW", "update"}, 2, "", 0, 1, 0}};
  }
  if (n == "msetex") {  // numkeys at argument 1, then key value pairs
    KeySpec k{{}, {"OW", "update"}, 1, "", 0, 2, 0};
    k.keynum = true;
    return {k};
  }
  if (spec.flags & dispatch::kCmdMovableKeys) {
    // XREADGROUP's STREAMS comes after GROUP g c, so Redis starts looking at argument 4.
    KeySpec k{{}, {"RO", "access"}, 0, "STREAMS", -1, 1, 2};
    if (n == "xreadgroup") k.startfrom = 4;
    return {k};
  }
  if (spec.keys.first == 0) return {};
  KeySpec k;
  k.notes = spec.key_notes;
  k.flags = !spec.key_flags.empty()              ? SpecWords(spec.key_flags)
            : (spec.flags & dispatch::kCmdWrite) ? std::vector<std::string_view>{"RW", "update"}
                                                 : std::vector<std::string_view>{"RO", "access"};
  k.index = spec.keys.first;
  k.lastkey = spec.keys.last < 0 ? spec.keys.last : spec.keys.last - spec.keys.first;
  k.keystep = spec.keys.step;
  return {k};
}

std::vector<KeyRef> FindKeys(const CommandSpec& spec, const resp::ArgList& args) {
  std::vector<KeyRef> keys;
  const auto argc = static_cast<int64_t>(args.size());
  for (const KeySpec& k : KeySpecs(spec)) {
    if (HasFlag(k, "not_key")) continue;
    std::optional<size_t> begin = BeginSearch(k, args);
    if (!begin || static_cast<int64_t>(*begin) >= argc) continue;
    int64_t first = static_cast<int64_t>(*begin), last = 0, step = k.keystep;
    if (k.keynum) {
      const size_t at = *begin + static_cast<size_t>(k.keynumidx);
      auto n = at < args.size() ? streams::ParseStrictInt64(args[at]) : std::nullopt;
      if (!n || *n <= 0 || *n > argc) continue;  // more keys than arguments: none to name
      first += k.firstkey;
      last = first + (*n - 1) * step;
    } else if (k.lastkey >= 0) {
      last = first + k.lastkey;
    } else if (k.limit > 0) {
      last = first + (argc - first) / k.limit + k.lastkey;  // XREAD: the first half after STREAMS
    } else {
      last = argc + k.lastkey;
    }
    KeyRef ref;
    ref.flags = HasFlag(k, "variable_flags") ? VariableFlags(spec, args) : k.flags;
    auto has = [&](std::string_view f) {
      return std::find(ref.flags.begin(), ref.flags.end(), f) != ref.flags.end();
    };
    ref.read = has("access");
    ref.write = has("insert") || has("update") || has("delete");
    for (int64_t i = first; i <= last && i < argc && step > 0; i += step) {
      ref.key = args[static_cast<size_t>(i)];
      ref.arg_index = static_cast<size_t>(i);
      keys.push_back(ref);
    }
  }
  return keys;
}

bool HasKeyArguments(const CommandSpec& spec) {
  for (const KeySpec& k : KeySpecs(spec)) {
    if (!HasFlag(k, "not_key")) return true;
  }
  return false;
}

std::vector<std::string_view> SpecWords(std::string_view s) {
  std::vector<std::string_view> out;
  while (!s.empty()) {
    size_t sp = s.find(' ');
    if (sp != 0) out.push_back(s.substr(0, sp));
    if (sp == std::string_view::npos) break;
    s.remove_prefix(sp + 1);
  }
  return out;
}

}  // namespace runnel::dispatch
