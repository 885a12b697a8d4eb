// The table behind xg::derivative_rule: filled by the XG_RULE_TEXT lines beside each operation's
// rule (ops/*.cpp) when the program starts.
#include "ops/rule_text.hpp"

#include <map>
#include <string>
#include <vector>

#include "xgrad/tools/trace.hpp"

namespace xg {

namespace {
std::map<std::string, std::string>& rules() {
  static std::map<std::string, std::string> table;
  return table;
}
}  // namespace

detail::RuleText::RuleText(const char* op, const char* text) {
  rules()[op] = text;
}

std::string derivative_rule(const std::string& op) {
  auto it = rules().find(op);
  return it == rules().end() ? std::string() : it->second;
}

std::vector<std::string> known_rules() {
  std::vector<std::string> names;
  for (const auto& [name, rule] : rules()) names.push_back(name);
  return names;
}

}  // namespace xg
