// CommandCatalog: the commands ACL rules can name, each with a dense id (its bit in a
// selector's allowed set), its categories, and for a container (CONFIG, XINFO ...) the ids of its
// subcommands.
//
// The dispatcher fills it once from its command table; it never changes afterwards, so selectors
// keep a pointer to it. Names are lowercase: "xadd", "config|get".
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "acl/categories.h"

namespace runnel::acl {

struct CatalogCommand {
  std::string fullname;
  CategorySet categories = 0;
  int parent = -1;            // the container's id, for a subcommand
  std::vector<int> children;  // a container's subcommands
};

class CommandCatalog {
 public:
  // Adds a command or (with `parent` >= 0) a subcommand; ids are given in order from 0, so the
  // caller can rely on the returned id being size() - 1.
  int Add(std::string fullname, CategorySet categories, int parent = -1);
  // The id of "xadd" or "config|get" (any case), or -1.
  int Find(std::string_view fullname) const;
  const CatalogCommand& at(int id) const { return commands_[static_cast<size_t>(id)]; }
  size_t size() const { return commands_.size(); }

 private:
  std::vector<CatalogCommand> commands_;
  std::unordered_map<std::string, int> by_name_;
};

}  // namespace runnel::acl
