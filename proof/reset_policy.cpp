#include "vfiokit/proof/reset_policy.hpp"

namespace vfiokit::proof {

std::string reset_skip_reason(ResetPolicy policy, uint32_t class_code) {
  switch (policy) {
    case ResetPolicy::kAlways:
      return {};
    case ResetPolicy::kNever:
      return "reset not run: --no-reset given";
    case ResetPolicy::kUnlessDisplay:
      break;
  }
  if (is_display_class(class_code))
    return "display device: reset not run (reset bugs can wedge GPUs until reboot); pass "
           "--reset to run it";
  return {};
}

std::string reset_plan(ResetPolicy policy, uint32_t class_code) {
  if (policy == ResetPolicy::kNever) return "reset (skipped: --no-reset)";
  if (!reset_skip_reason(policy, class_code).empty())
    return "reset (skipped: display device, --reset not given)";
  return "reset";
}

}  // namespace vfiokit::proof
