#include "tools/vfiokit/soak_rebind.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <thread>

#include "tools/host/device_usage.hpp"
#include "tools/vfiokit/soak.hpp"
#include "tools/vfiokit/soak_lost.hpp"
#include "vfiokit/vfio/error.hpp"

namespace vfiokit::cli {
namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

/// What shows the host driver has the device: a block device (storage, class 01), a
/// network interface (class 02), else the driver link alone. Empty until then.
std::string usable_sign(const host::HostFs& fs, const std::string& bdf, const std::string& driver) {
  if (fs.sysfs().driver(bdf) != driver) return "";
  const uint32_t base_class = fs.sysfs().hex_attr(bdf, "class").value_or(0) >> 16;
  if (base_class == 0x01) {
    const auto blocks = host::block_devices(fs, bdf);
    return blocks.empty() ? "" : "/dev/" + blocks.front();
  }
  if (base_class == 0x02) {
    const auto ifs = host::net_interfaces(fs, bdf);
    return ifs.empty() ? "" : "interface " + ifs.front();
  }
  return "driver " + driver + " bound";
}

#ifdef VFIOKIT_TEST_HOOKS
// Test builds only (vfiokit-testhooks): VFIOKIT_TEST_SOAK_BREAK=rebind:CYCLE hides the
// host driver's block device or interface on that cycle, as from a driver that bound
// but never brought the device up.
bool injected_break(unsigned cycle) {
  const char* env = std::getenv("VFIOKIT_TEST_SOAK_BREAK");
  return env && std::string(env) == fmt::format("rebind:{}", cycle);
}
#else
bool injected_break(unsigned) { return false; }
#endif

/// One release: the device back on `driver` (the journal's), usable, within `wait_ms`.
std::string release(host::Binder& binder, const host::HostFs& fs, const std::string& bdf,
                    const std::string& driver, int wait_ms, bool blind) {
  const host::BindReport r = binder.unbind(bdf);
  if (!r.ok() || r.devices.empty())
    throw_error("give the device back to its host driver", bdf, EIO,
                r.devices.empty() ? "vfiokit unbind did nothing" : r.devices.front().detail);
  const auto deadline = Clock::now() + std::chrono::milliseconds(wait_ms);
  for (;;) {
    if (std::string sign = blind ? "" : usable_sign(fs, bdf, driver); !sign.empty()) return sign;
    if (Clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const auto now = fs.sysfs().driver(bdf);
  throw_error("wait for the host driver", bdf, ETIMEDOUT,
              now == driver ? fmt::format("{} bound it but no block device or network interface "
                                          "appeared within {} ms (see dmesg)",
                                          driver, wait_ms)
                            : fmt::format("the device is on {} after {} ms, not {} (see dmesg)",
                                          now.value_or("no driver"), wait_ms, driver));
}

void take(host::Binder& binder, const host::HostFs& fs, const std::string& bdf) {
  binder.bind(bdf, {});
  if (fs.sysfs().driver(bdf) != "vfio-pci")
    throw_error("take the device back to vfio-pci", bdf, EIO,
                fmt::format("it is on {}", fs.sysfs().driver(bdf).value_or("no driver")));
}

}  // namespace

RebindResult soak_rebind(host::Binder& binder, const host::Journal& journal, const host::HostFs& fs,
                         const std::string& bdf, unsigned cycles,
                         const std::function<void(unsigned)>& after_take, int usable_wait_ms) {
  RebindResult r;
  r.cycles_asked = cycles;
  const auto entries = journal.load();
  const auto e = std::find_if(entries.begin(), entries.end(),
                              [&](const host::JournalEntry& x) { return x.bdf == bdf; });
  if (e == entries.end()) {
    r.skipped = fmt::format(
        "{} is not in the journal, so its host driver is unknown: bind it with 'vfiokit bind' "
        "to rebind-soak it",
        bdf);
    return r;
  }
  if (!e->driver || *e->driver == "vfio-pci") {
    r.skipped = "the journal records no host driver for it: nothing to hand it back to";
    return r;
  }
  r.host_driver = *e->driver;
  const bool progress = isatty(STDERR_FILENO) != 0;
  for (unsigned cycle = 1; cycle <= cycles; ++cycle) {
#ifdef VFIOKIT_TEST_HOOKS
    run_soak_at_hook("rebind", cycle);
#endif
    // Gone (removed, link down): handing it to a driver would only fail slower.
    if (const std::string gone = not_answering_now(fs, bdf); !gone.empty()) {
      r.device_lost = true;
      r.failed_cycle = cycle;
      r.failure = lost_summary("rebind", cycle, gone);
      break;
    }
    try {
      auto t0 = Clock::now();
      r.usable = release(binder, fs, bdf, r.host_driver, usable_wait_ms, injected_break(cycle));
      r.release_ms.push_back(ms_since(t0));
      t0 = Clock::now();
      take(binder, fs, bdf);
      r.take_ms.push_back(ms_since(t0));
      if (after_take) after_take(cycle);
      ++r.cycles_done;
    } catch (const std::exception& ex) {
      r.failed_cycle = cycle;
      r.failure = ex.what();
      break;
    }
    if (progress) std::fprintf(stderr, "\rvfiokit soak: rebind cycle %u/%u", cycle, cycles);
  }
  if (progress) std::fprintf(stderr, "\n");
  r.proven = static_cast<bool>(after_take);
  return r;
}

check::Check rebind_check(const RebindResult& r) {
  check::Check c{"soak.rebind", "rebind", check::Verdict::kPass, "", "", {}};
  c.data = {{"cycles", r.cycles_asked},
            {"cycles_passed", r.cycles_done},
            {"host_driver", r.host_driver},
            {"release_ms",
             {{"median", quantile(r.release_ms, 0.5)},
              {"p99", quantile(r.release_ms, 0.99)},
              {"max", quantile(r.release_ms, 1.0)}}},
            {"take_ms",
             {{"median", quantile(r.take_ms, 0.5)},
              {"p99", quantile(r.take_ms, 0.99)},
              {"max", quantile(r.take_ms, 1.0)}}}};
  if (judge_early_end(r, c)) return c;
  const std::string timing = fmt::format(
      "to {} median {:.0f} ms (max {:.0f}), back to vfio-pci median {:.0f} ms (max {:.0f})",
      r.host_driver, quantile(r.release_ms, 0.5), quantile(r.release_ms, 1.0),
      quantile(r.take_ms, 0.5), quantile(r.take_ms, 1.0));
  if (r.failed_cycle) {
    c.verdict = check::Verdict::kFail;
    c.data["failed_cycle"] = *r.failed_cycle;
    c.summary = fmt::format("failed on cycle {} of {} ({} passed): {}", *r.failed_cycle,
                            r.cycles_asked, r.cycles_done, r.failure);
    c.hint = fmt::format(
        "handing the device between {} and vfio-pci is not reliable: a VM restart can find it "
        "unusable; 'vfiokit restore' returns it to {} if it is still on vfio-pci",
        r.host_driver, r.host_driver);
    return c;
  }
  c.summary = fmt::format(
      "{} of {} cycles: {} had it ({}){}; {}", r.cycles_done, r.cycles_asked, r.host_driver,
      r.usable, r.proven ? ", DMA and interrupt proven after each take-back" : "", timing);
  return c;
}

}  // namespace vfiokit::cli
