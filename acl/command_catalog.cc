#include "acl/command_catalog.h"

#include <cctype>

namespace runnel::acl {

int CommandCatalog::Add(std::string fullname, CategorySet categories, int parent) {
  const int id = static_cast<int>(commands_.size());
  by_name_.emplace(fullname, id);
  commands_.push_back({std::move(fullname), categories, parent, {}});
  if (parent >= 0) commands_[static_cast<size_t>(parent)].children.push_back(id);
  return id;
}

int CommandCatalog::Find(std::string_view fullname) const {
  if (fullname.size() > 128) return -1;
  std::string lower(fullname);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto it = by_name_.find(lower);
  return it == by_name_.end() ? -1 : it->second;
}

}  // namespace runnel::acl
