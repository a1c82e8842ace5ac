#include "acl/categories.h"

#include <cctype>

namespace runnel::acl {

int CategoryIndex(std::string_view name) {
  for (size_t i = 0; i < kCategories.size(); ++i) {
    std::string_view c = kCategories[i];
    if (c.size() != name.size()) continue;
    bool same = true;
    for (size_t j = 0; j < c.size() && same; ++j) {
      same = std::tolower(static_cast<unsigned char>(name[j])) == c[j];
    }
    if (same) return static_cast<int>(i);
  }
  return -1;
}

CategorySet ParseCategories(std::string_view text) {
  CategorySet set = 0;
  while (!text.empty()) {
    size_t sp = text.find(' ');
    std::string_view word = text.substr(0, sp);
    if (word.size() > 1 && word[0] == '@') {
      int i = CategoryIndex(word.substr(1));
      if (i >= 0) set |= CategorySet{1} << i;
    }
    if (sp == std::string_view::npos) break;
    text.remove_prefix(sp + 1);
  }
  return set;
}

}  // namespace runnel::acl
