#include "tools/vfiokit/soak.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdlib>

#include "tools/vfiokit/soak_lost.hpp"
#include "vfiokit/vfio/error.hpp"

namespace vfiokit::cli {
namespace {

// The sysfs reset_method list narrowed to one method while a method is soaked, and put
// back as it was (also when a cycle throws): the kernel resets with the listed methods
// in order, so a list of one makes VFIO_DEVICE_RESET use exactly that method.
class ResetMethodOverride {
 public:
  ResetMethodOverride(const host::HostFs& fs, const std::string& bdf, const std::string& method)
      : fs_(fs), attr_(host::device_rel(bdf) / "reset_method") {
    original_ = fs_.read_line(attr_).value_or("");
    fs_.write(attr_, method);
  }
  ~ResetMethodOverride() {
    try {
      fs_.write(attr_, original_.empty() ? "default" : original_);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "vfiokit soak: could not restore %s to '%s': %s\n",
                   fs_.path(attr_).c_str(), original_.c_str(), e.what());
    }
  }
  ResetMethodOverride(const ResetMethodOverride&) = delete;
  ResetMethodOverride& operator=(const ResetMethodOverride&) = delete;

 private:
  const host::HostFs& fs_;
  std::filesystem::path attr_;
  std::string original_;
};

#ifdef VFIOKIT_TEST_HOOKS
// Test builds only (vfiokit-testhooks): VFIOKIT_TEST_SOAK_BREAK=METHOD:CYCLE makes the
// config space read after that reset all 0xff, as from a device that fell off the bus.
bool injected_break(const std::string& method, unsigned cycle) {
  const char* env = std::getenv("VFIOKIT_TEST_SOAK_BREAK");
  return env && std::string(env) == fmt::format("{}:{}", method, cycle);
}
#endif

}  // namespace

std::string SoakCycleCheck::config_problem(const ConfigSpace& before, const ConfigSpace& after) {
  if (after.vendor_id() == 0xffff || after.device_id() == 0xffff)
    return fmt::format("config space reads {:04x}:{:04x}: the device does not answer",
                       after.vendor_id(), after.device_id());
  if (after.vendor_id() != before.vendor_id() || after.device_id() != before.device_id())
    return fmt::format("the IDs changed from {:04x}:{:04x} to {:04x}:{:04x}", before.vendor_id(),
                       before.device_id(), after.vendor_id(), after.device_id());
  for (size_t off = 0x10; off <= 0x24; off += 4)
    if (before.read32(off) != after.read32(off))
      return fmt::format("BAR register {:#x} is {:#010x}, was {:#010x}: not restored", off,
                         after.read32(off), before.read32(off));
  constexpr uint16_t kDecode = 0x7;  // I/O space, memory space, bus master
  if ((before.read16(0x04) & kDecode) != (after.read16(0x04) & kDecode))
    return fmt::format("the command register is {:#06x}, was {:#06x}: not restored",
                       after.read16(0x04), before.read16(0x04));
  std::vector<std::string> a, b;
  for (const auto& c : before.capabilities()) a.push_back(c.name);
  for (const auto& c : after.capabilities()) b.push_back(c.name);
  if (a != b || !after.walk_errors().empty())
    return fmt::format("the capability list is [{}], was [{}]{}", fmt::join(b, ", "),
                       fmt::join(a, ", "),
                       after.walk_errors().empty() ? "" : ": " + after.walk_errors().front());
  return "";
}

Soak::Soak(const host::HostFs& fs, Device& device, std::string bdf, unsigned cycles)
    : fs_(fs), dev_(device), bdf_(std::move(bdf)), cycles_(cycles) {}

void Soak::reset(const std::string& method) const {
  if (method == "hot-reset")
    dev_.hot_reset();
  else
    dev_.reset();
}

SoakMethodResult Soak::run(const std::string& method,
                           const std::function<void(unsigned)>& driver_proof) {
  SoakMethodResult r;
  r.method = method;
  r.cycles_asked = cycles_;
  std::optional<ResetMethodOverride> narrowed;
  try {
    if (method != "hot-reset") narrowed.emplace(fs_, bdf_, method);
  } catch (const Error& e) {
    r.skipped = fmt::format("the kernel refused it as the only reset method: {}", e.what());
    return r;
  }
  const bool progress = isatty(STDERR_FILENO) != 0;  // a terminal: one line, rewritten
  for (unsigned cycle = 1; cycle <= cycles_; ++cycle) {
#ifdef VFIOKIT_TEST_HOOKS
    run_soak_at_hook(method, cycle);
#endif
    // Gone before this cycle's reset: no fault of the method, and nothing more to soak.
    // Read through sysfs, from the device itself: VFIO's config region answers the IDs
    // from its virtualized copy even when nothing is there.
    if (const std::string gone = not_answering_now(fs_, bdf_); !gone.empty()) {
      r.device_lost = true;
      r.failed_cycle = cycle;
      r.failure = lost_summary(method, cycle, gone);
      break;
    }
    try {
      const ConfigSpace before = dev_.config();
      const auto t0 = std::chrono::steady_clock::now();
      try {
        reset(method);
      } catch (const Error& e) {
        // The kernel will not reset this way at all (ENOTTY, EINVAL: VFIO_DEVICE_RESET
        // with only "bus" listed; a hot reset the topology does not allow): the method is
        // not offered, which is no failure of the device.
        const int err = e.error_code();
        if (cycle == 1 && (err == ENOTTY || err == EINVAL || err == ENODEV || err == EPERM)) {
          r.skipped = fmt::format("the kernel does not reset this device this way: {}", e.what());
          return r;
        }
        throw;
      }
      r.reset_ms.push_back(
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
      // VFIO answers the IDs from its copy: whether the device answers, through sysfs.
      if (const std::string dead = not_answering_now(fs_, bdf_); !dead.empty())
        throw_error("check config space after the reset", bdf_, EIO,
                    dead + ": the device does not answer");
      ConfigSpace after = dev_.config();
#ifdef VFIOKIT_TEST_HOOKS
      if (injected_break(method, cycle)) after = ConfigSpace(std::vector<uint8_t>(256, 0xff));
#endif
      if (const std::string p = SoakCycleCheck::config_problem(before, after); !p.empty())
        throw_error("check config space after the reset", bdf_, EIO, p);
      if (driver_proof) driver_proof(cycle);
      ++r.cycles_done;
    } catch (const Error& e) {
      r.failed_cycle = cycle;
      // The VFIO device answers ENODEV once the kernel has begun removing the device.
      r.device_lost = e.error_code() == ENODEV;
      r.failure = r.device_lost
                      ? lost_summary(method, cycle, fmt::format("VFIO answers: {}", e.what()))
                      : e.what();
      break;
    } catch (const std::exception& e) {
      r.failed_cycle = cycle;
      r.failure = e.what();
      break;
    }
    if (progress)
      std::fprintf(stderr, "\rvfiokit soak: %s cycle %u/%u", method.c_str(), cycle, cycles_);
  }
  if (progress) std::fprintf(stderr, "\n");
  r.proven = static_cast<bool>(driver_proof);
  return r;
}

bool judge_early_end(const SoakOutcome& o, check::Check& c) {
  if (!o.skipped.empty()) {
    c.verdict = check::Verdict::kSkip;
    c.summary = o.skipped;
    return true;
  }
  if (!o.device_lost) return false;
  c.verdict = check::Verdict::kFail;
  c.data["failed_cycle"] = o.failed_cycle.value_or(0);
  c.data["device_lost"] = true;
  c.summary = fmt::format("{} ({} of {} cycles passed)", o.failure, o.cycles_done, o.cycles_asked);
  return true;
}

double quantile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t rank = static_cast<size_t>(std::ceil(p * static_cast<double>(v.size())));
  return v[std::min(v.size() - 1, rank == 0 ? 0 : rank - 1)];
}

}  // namespace vfiokit::cli
