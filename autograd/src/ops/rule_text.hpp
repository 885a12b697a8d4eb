// The derivative rule of each operation as text, for the backward trace and the docs
// (xg::derivative_rule). Each operation's file registers its text right beside the rule it
// describes, so the table is built from the same place as the rules:
//
//   XG_RULE_TEXT(sigmoid, "out = 1 / (1 + e^-a); da = sigmoid_backward(g, out)");
#pragma once

namespace xg::detail {

/// Registers "<op>: <formula>" under `op` when the program starts.
struct RuleText {
  RuleText(const char* op, const char* text);
};

}  // namespace xg::detail

#define XG_RULE_TEXT(op, formula) \
  [[maybe_unused]] const ::xg::detail::RuleText xg_rule_text_##op(#op, #op ": " formula)
