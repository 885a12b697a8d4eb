// docs/rules.md is the table xg::derivative_rule serves, which the XG_RULE_TEXT lines beside the
// rules build: the docs cannot drift from the code.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "xgrad/autograd.hpp"

namespace {

/// The markdown table of every registered rule, one row per operation, '|' escaped.
std::string rule_table() {
  std::string out = "| operation | rule |\n| --- | --- |\n";
  for (const auto& op : xg::known_rules()) {
    std::string rule = xg::derivative_rule(op).substr(op.size() + 2);  // drop "op: "
    std::string escaped;
    for (char ch : rule) escaped += ch == '|' ? std::string("\\|") : std::string(1, ch);
    out += "| `" + op + "` | " + escaped + " |\n";
  }
  return out;
}

TEST(RuleTable, DocsListEveryRuleAsRegistered) {
  const std::string path = std::string(XGRAD_SOURCE_DIR) + "/docs/rules.md";
  std::ifstream in(path);
  ASSERT_TRUE(in) << "cannot read " << path;
  std::stringstream text;
  text << in.rdbuf();
  const std::string doc = text.str();
  const std::string marker = "<!-- rule table: generated -->\n";
  const auto at = doc.find(marker);
  ASSERT_NE(at, std::string::npos) << path << " has no '" << marker << "' line";
  EXPECT_EQ(doc.substr(at + marker.size()), rule_table())
      << "docs/rules.md is out of date; the table after the marker should read:\n"
      << rule_table();
}

}  // namespace
