// The one verdict of every judgement vfiokit makes: the check model's (check/check.hpp,
// not part of libvfiokit) and the ownership proof's (vfiokit/proof/proof.hpp). Kept
// here, dependency-free, so that libvfiokit and its users share it.
#pragma once

namespace vfiokit::check {

/// A check's verdict, in increasing severity (SKIP: could not or need not be judged
/// here, and counts as no problem), so the worst of several is their maximum.
enum class Verdict { kPass, kSkip, kWarn, kFail };

}  // namespace vfiokit::check
