#include "guest-tests/checks.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <map>
#include <optional>

#include "pci/link_budget.hpp"
#include "pci/link_judgement.hpp"
#include "vfio/admissible_driver.hpp"
#include "vfio/human_bytes.hpp"
#include "vfio/pci_port_type.hpp"

namespace vfiokit::guest {
namespace {

using check::Check;
using check::Verdict;

Check make(const std::string& name, Verdict v, std::string msg, std::string hint = {}) {
  return Check{name,
               name,
               v,
               std::move(msg),
               v == Verdict::kPass ? std::string() : std::move(hint),
               nlohmann::json::object()};
}

Check check_link(const pci::DeviceFacts& f, const CheckOptions& o) {
  const pci::LinkJudgement j = pci::judge_link(f, o.expect_link);
  return make("link", j.verdict, j.summary, j.hint);
}

Check check_msix(const pci::DeviceFacts& f) {
  if (f.config_bytes < 256)
    return make("msix", Verdict::kSkip, "capabilities not readable (config space is 64 bytes)",
                "run as root");
  if (!f.msix_table_size) {
    if (f.msi_vectors)
      return make(
          "msix",
          f.msi_enabled || pci::driver_holds_idle(f.driver) ? Verdict::kPass : Verdict::kWarn,
          fmt::format("no MSI-X capability; MSI with up to {} vectors, {}", *f.msi_vectors,
                      f.msi_enabled ? "enabled" : "disabled"),
          "the driver uses legacy INTx: slower and shared; check dmesg for MSI failures");
    return make("msix", Verdict::kWarn, "neither MSI-X nor MSI: legacy INTx only",
                "message-signalled interrupts are missing: the device or the VMM hides them");
  }
  const std::string what = fmt::format("MSI-X table of {} vectors, {}{}, {} vector(s) allocated",
                                       *f.msix_table_size, f.msix_enabled ? "enabled" : "disabled",
                                       f.msix_masked ? " (function masked)" : "", f.irq_vectors);
  if (f.msix_enabled) return make("msix", Verdict::kPass, what);
  if (!f.driver)
    return make("msix", Verdict::kWarn, what, "no driver is bound, so nobody enabled MSI-X");
  if (pci::driver_holds_idle(f.driver))
    return make("msix", Verdict::kWarn, what,
                fmt::format("{} enables MSI-X only when a user opens the device", *f.driver));
  if (f.msi_enabled)
    return make("msix", Verdict::kWarn, what + "; MSI enabled instead",
                fmt::format("driver {} fell back to MSI: check dmesg for MSI-X allocation errors "
                            "(interrupt remapping, vector limits)",
                            *f.driver));
  return make("msix", Verdict::kFail, what + "; no MSI either",
              fmt::format("driver {} runs on legacy INTx: the VMM or the guest kernel refused "
                          "MSI-X (pci=nomsi? no interrupt remapping?); check dmesg",
                          *f.driver));
}

Check check_driver(const pci::DeviceFacts& f, const CheckOptions& o) {
  if (!f.driver)
    return make("driver", Verdict::kFail, "no driver bound",
                f.is_nvidia_gpu() ? "load the NVIDIA driver (modprobe nvidia) and check "
                                    "dmesg for NVRM errors"
                                  : "load the device's driver (modprobe) and check dmesg");
  if (o.expect_driver && *f.driver != *o.expect_driver)
    return make("driver", Verdict::kFail,
                fmt::format("bound to {}, expected {}", *f.driver, *o.expect_driver),
                fmt::format("unbind it and bind {} (driver_override + drivers_probe), or "
                            "blacklist {}",
                            *o.expect_driver, *f.driver));
  if (f.is_nvidia_gpu() && *f.driver != "nvidia" && !o.expect_driver)
    return make("driver", Verdict::kFail, "NVIDIA GPU bound to " + *f.driver,
                *f.driver == "nouveau"
                    ? "blacklist nouveau (modprobe.blacklist=nouveau) and install the "
                      "NVIDIA driver"
                    : "bind the nvidia driver to use CUDA");
  if (pci::driver_holds_idle(f.driver) && !o.expect_driver)
    return make("driver", Verdict::kWarn, "bound to " + *f.driver,
                "a stub driver holds the device: no kernel driver uses it here (pass "
                "--expect-driver " +
                    *f.driver + " if that is intended)");
  return make("driver", Verdict::kPass, "bound to " + *f.driver);
}

// BARs: every implemented one must have an address.
Check check_bars(const pci::DeviceFacts& f) {
  if (!f.bars_error.empty())
    return make("bars", Verdict::kFail, f.bars_error,
                "the BARs cannot be judged from this file; 'lspci -vv' shows them");
  std::vector<std::string> parts, unassigned;
  for (const auto& b : f.bars) {
    if (b.is_rom()) continue;  // the expansion ROM may legitimately stay unassigned
    const std::string s =
        fmt::format("BAR{} {} {}{}{}", b.index, pci::human_bytes(b.size), b.io ? "io" : "mem",
                    b.mem64 ? " 64-bit" : "", b.prefetchable ? " pref" : "");
    parts.push_back(s);
    if (!b.assigned) unassigned.push_back(fmt::format("BAR{}", b.index));
  }
  if (f.bars.empty())
    return make("bars", Verdict::kWarn, "no BARs listed in sysfs resource",
                "the device exposes no memory: the VMM did not map its BARs");
  if (!unassigned.empty())
    return make(
        "bars", Verdict::kFail,
        fmt::format("{}; unassigned: {}", fmt::join(parts, ", "), fmt::join(unassigned, ", ")),
        "the guest firmware/kernel found no room for the BAR: give the VM a larger "
        "64-bit MMIO window (OVMF X-PciMmio64Mb, KubeVirt firmware settings) or "
        "boot with pci=realloc");
  return make("bars", Verdict::kPass, fmt::format("{}", fmt::join(parts, ", ")));
}

Check check_config_space(const pci::DeviceFacts& f) {
  if (f.config_bytes < 64)
    return make("config_space", Verdict::kFail,
                fmt::format("only {} bytes of config space readable", f.config_bytes),
                "the sysfs config file is missing or unreadable");
  if (!f.config_errors.empty())
    return make("config_space", Verdict::kFail, fmt::format("{}", fmt::join(f.config_errors, "; ")),
                "the capability chain is broken: a VMM or device bug; compare lspci -vvv "
                "on the host");
  if (f.config_bytes < 256)
    return make("config_space", Verdict::kWarn, fmt::format("{} bytes readable", f.config_bytes),
                "run as root to read capabilities (MSI-X, PCIe link)");
  if (f.is_pcie && f.config_bytes < 4096)
    return make("config_space", Verdict::kWarn,
                fmt::format("PCIe device with {} bytes of config space", f.config_bytes),
                "extended config space is not visible: use a PCIe machine type (q35) so "
                "the guest sees AER, ACS and Resizable BAR");
  return make("config_space", Verdict::kPass,
              fmt::format("{} bytes readable, capability chain sane", f.config_bytes));
}

Check check_aer(const pci::AerCounts& a) {
  const std::string msg = fmt::format("AER counters: {} correctable, {} non-fatal, {} fatal",
                                      a.correctable, a.nonfatal, a.fatal);
  if (a.fatal || a.nonfatal)
    return make("aer", Verdict::kFail, msg,
                "uncorrectable PCIe errors were reported: check dmesg (AER) and the "
                "host's log; suspect the slot, riser or card");
  if (a.correctable)
    return make("aer", Verdict::kWarn, msg,
                "correctable errors (replays, bad TLPs) cost bandwidth: watch whether "
                "they grow under load");
  return make("aer", Verdict::kPass, msg);
}

}  // namespace

std::vector<Check> check_device(const pci::DeviceFacts& f, const CheckOptions& o) {
  if (!f.present)
    return {make("present", Verdict::kFail, "no such PCI device in this guest",
                 "the device was not passed through: check the VM's hostdev/KubeVirt "
                 "gpus/hostDevices spec and lspci -nn inside the guest")};
  std::vector<Check> out;
  out.push_back(make("present", Verdict::kPass, f.describe()));
  out.push_back(check_driver(f, o));
  out.push_back(check_bars(f));
  out.push_back(check_config_space(f));
  out.push_back(check_msix(f));
  out.push_back(check_link(f, o));
  if (f.aer) out.push_back(check_aer(*f.aer));
  return out;
}

std::vector<Check> check_nvidia(const pci::DeviceFacts& f,
                                const std::optional<std::string>& module_version,
                                const SmiReport& smi) {
  std::vector<Check> out;
  if (!module_version)
    out.push_back(make("nvidia_driver", Verdict::kFail,
                       "NVIDIA kernel module not loaded (/proc/driver/nvidia/version missing)",
                       "install the NVIDIA driver matching the guest kernel and modprobe nvidia; "
                       "dmesg | grep NVRM says why it did not load"));
  else
    out.push_back(make("nvidia_driver", f.driver == "nvidia" ? Verdict::kPass : Verdict::kFail,
                       fmt::format("kernel module {}, device bound to {}", *module_version,
                                   f.driver.value_or("no driver")),
                       "the module is loaded but does not drive this GPU: dmesg | grep NVRM "
                       "(RmInitAdapter failed: check BAR sizes and the VM's MMIO window)"));

  const std::string ver = smi.version.empty() ? "" : " " + smi.version;
  if (!smi.ran) {
    out.push_back(make("nvidia_smi", Verdict::kFail, "nvidia-smi" + ver + " failed: " + smi.error,
                       smi.error.find("not found") != std::string::npos ||
                               smi.error.find("No such file") != std::string::npos
                           ? "install the NVIDIA user-space utilities (nvidia-utils) or pass "
                             "--nvidia-smi PATH"
                           : "nvidia-smi cannot talk to the driver: 'Driver/library version "
                             "mismatch' means reboot or reload the module; 'No devices were "
                             "found' means the driver failed to initialise the GPU (dmesg)"));
    return out;
  }
  auto g = std::find_if(smi.gpus.begin(), smi.gpus.end(),
                        [&](const SmiGpu& x) { return x.bdf == f.bdf; });
  if (g == smi.gpus.end()) {
    out.push_back(
        make("nvidia_smi", Verdict::kFail,
             fmt::format("nvidia-smi{} lists {} GPU(s), not {}", ver, smi.gpus.size(), f.bdf),
             "the driver did not take this GPU: dmesg | grep NVRM; a GPU that fell off "
             "the bus (Xid 79) needs a host-side reset"));
    return out;
  }
  std::string msg =
      fmt::format("nvidia-smi{}: {}, driver {}, {:.0f} MiB, link Gen{} x{} (max Gen{} x{})", ver,
                  g->name, g->driver_version, g->memory_mib, g->link_gen_cur, g->link_width_cur,
                  g->link_gen_max, g->link_width_max);
  if (module_version && !g->driver_version.empty() && g->driver_version != *module_version)
    out.push_back(make("nvidia_smi", Verdict::kFail, msg + "; kernel module is " + *module_version,
                       "user-space driver and kernel module differ: reinstall one package set "
                       "and reload the module (or reboot)"));
  else
    out.push_back(make("nvidia_smi", Verdict::kPass, msg));
  return out;
}

std::optional<double> best_pinned_ce(const SampleOutput& s, const std::string& direction) {
  std::optional<double> best;
  for (const auto& r : s.results) {
    if (r.raw.value("direction", "") != direction || r.raw.value("memory", "") != "pinned" ||
        r.raw.value("method", "") != "ce" || !r.verified)
      continue;
    if (!best || r.value > *best) best = r.value;
  }
  return best;
}

namespace {

Check check_copy(const pci::DeviceFacts& f, const SampleOutput& s, const std::string& dir,
                 double min_gbs, const CheckOptions& o) {
  const std::string name = "cuda." + dir + "_pinned";
  const std::string label = dir == "h2d" ? "H2D" : "D2H";
  auto best = best_pinned_ce(s, dir);
  if (!best)
    return make(name, Verdict::kFail, "no verified pinned copy-engine " + label + " result",
                "the bandwidth sample measured nothing usable: see its errors");
  std::string msg = fmt::format("{} pinned (copy engine) peak {:.1f} GB/s", label, *best);
  std::optional<Check> ratio;
  if (f.link && f.link->max_gen && f.link->max_width) {
    const PcieLink& l = *f.link;
    const pci::LinkBudget max = pci::link_budget(l.max_gts, l.max_width, f.mps);
    const double share = *best / max.practical_gbs;
    msg += fmt::format(" = {:.0f}% of {}'s practical {:.1f} GB/s", share * 100, pci::describe_link(l, false),
                       max.practical_gbs);
    if (share < o.link_fraction) {
      std::string hint;
      if (l.cur_gen < l.max_gen || l.cur_width < l.max_width)
        hint =
            fmt::format("link trained at {} instead of {}: fix the link first (see the link check)",
                        pci::describe_link(l, true), pci::describe_link(l, false));
      else
        hint = fmt::format(
            "below {:.0f}% of the link: check the IOMMU mode on host and guest (iommu=pt), that "
            "guest memory is backed by hugepages, NUMA placement (device on node {}), and that "
            "ACS/ATS settings do not route DMA through the root complex slowly",
            o.link_fraction * 100, f.numa_node.value_or(-1));
      ratio = make(name, Verdict::kWarn, msg, hint);
    }
  } else {
    msg += " (no PCIe link visible to compare with)";
  }
  if (min_gbs > 0) {
    msg += fmt::format("; target >= {:.1f} GB/s", min_gbs);
    if (*best < min_gbs) {
      std::string hint = ratio ? ratio->hint
                               : "below the target: check the host link (lspci -vv on the host), "
                                 "IOMMU mode and hugepage backing of the VM";
      return make(name, Verdict::kFail, msg, hint);
    }
  }
  if (ratio) {
    ratio->summary = msg;
    return *ratio;
  }
  return make(name, Verdict::kPass, msg);
}

std::string first_errors(const SampleOutput& s) {
  std::vector<std::string> e(s.errors.begin(),
                             s.errors.begin() + std::min<size_t>(3, s.errors.size()));
  std::string out = fmt::format("{}", fmt::join(e, "; "));
  if (s.errors.size() > 3) out += fmt::format(" (+{} more)", s.errors.size() - 3);
  return out;
}

std::string summary(const SampleOutput& s, size_t max_items) {
  std::vector<std::string> parts;
  for (const auto& r : s.results) {
    if (parts.size() == max_items) break;
    parts.push_back(fmt::format("{} {:.4g} {}", r.name, r.value, r.unit));
  }
  return fmt::format("{}", fmt::join(parts, ", "));
}

// A sample that did not run, whose saved outputs are mixed up, or that measured
// nothing: its one FAIL; nullopt when it has results to judge.
std::optional<Check> check_sample_ran(const std::string& name, const SampleOutput& s) {
  if (!s.ran) {
    std::string hint = "run the sample by hand (vfiokit-cuda-" + s.sample + " --json) to see why";
    if (s.problem.find("could not run") != std::string::npos)
      hint = "build the CUDA samples (CMake finds nvcc) and pass --samples-dir, or --no-cuda";
    else if (s.timed_out)
      hint = "the GPU hung or is very slow: check nvidia-smi and dmesg for Xid errors";
    std::string msg = s.problem;
    if (!s.stderr_tail.empty())
      msg += "; stderr: " +
             s.stderr_tail.substr(s.stderr_tail.rfind('\n', s.stderr_tail.size() - 2) + 1);
    return make(name, Verdict::kFail, msg, hint);
  }
  if (!s.problem.empty())
    return make(name, Verdict::kFail, s.problem, "saved outputs are mixed up");
  if (!s.ok && s.results.empty() && s.jobs.empty())
    return make(name, Verdict::kFail, "measured nothing: " + first_errors(s),
                "the sample could not use the GPU: check that nvidia-smi lists it, that "
                "the driver is new enough for the CUDA runtime the samples were built "
                "with, and dmesg for Xid errors");
  return std::nullopt;
}

Check check_concurrency(const std::string& name, const SampleOutput& s, const CheckOptions& o) {
  std::vector<std::string> failed;
  std::map<std::string, unsigned> per_mode;
  for (const auto& j : s.jobs) {
    ++per_mode[j.mode];
    if (!j.verified)
      failed.push_back(
          fmt::format("{} job {}{}", j.mode, j.id, j.error.empty() ? "" : ": " + j.error));
  }
  std::vector<std::string> counts;
  bool short_count = per_mode.empty();
  for (const auto& [mode, n] : per_mode) {
    counts.push_back(fmt::format("{} {} jobs", n, mode));
    if (n < o.jobs) short_count = true;
  }
  const std::string msg = fmt::format("{}; {}", fmt::join(counts, ", "), summary(s, 4));
  if (!failed.empty())
    return make(name, Verdict::kFail,
                fmt::format("{} of {} parallel jobs failed verification: {}", failed.size(),
                            s.jobs.size(), fmt::join(failed, "; ")),
                "a parallel job computed a wrong result: suspect memory errors (nvidia-smi "
                "-q -d ECC, dmesg Xid) or a broken context switch; rerun with fewer jobs "
                "to see whether it depends on load");
  if (!s.ok) return make(name, Verdict::kFail, first_errors(s), "see the sample's errors");
  if (short_count)
    return make(name, Verdict::kFail, fmt::format("{} (expected {} per mode)", msg, o.jobs),
                "not every parallel job reported: a worker crashed or could not create "
                "a CUDA context (GPU compute mode EXCLUSIVE_PROCESS?)");
  return make(name, Verdict::kPass, "every job verified; " + msg);
}

Check check_membw(const std::string& name, const SampleOutput& s, const CheckOptions& o) {
  const SampleResult* t = s.find("triad");
  if (!t) return make(name, Verdict::kFail, "no triad result", "see the sample's output");
  if (o.min_membw_gbs > 0 && t->value < o.min_membw_gbs)
    return make(name, Verdict::kFail,
                fmt::format("triad {:.0f} GB/s, target >= {:.0f}", t->value, o.min_membw_gbs),
                "device memory is slower than expected: check clocks (nvidia-smi -q -d "
                "CLOCK), thermal throttling and ECC mode");
  return make(name, Verdict::kPass, fmt::format("triad {:.0f} GB/s, verified", t->value));
}

Check check_launch(const std::string& name, const SampleOutput& s, const CheckOptions& o) {
  const SampleResult* sync = s.find("kernel_launch_sync");
  if (sync && sync->value > o.max_launch_us)
    return make(name, Verdict::kWarn,
                fmt::format("empty kernel launch+sync {:.1f} us > {:.1f} us; {}", sync->value,
                            o.max_launch_us, summary(s, 4)),
                "slow launches in a VM point at vCPU contention or exits on doorbell "
                "writes: pin vCPUs, check the host's load and that BAR0 is mapped, not "
                "trapped");
  return make(name, Verdict::kPass, summary(s, 4));
}

// One sample's checks, appended to `out` (the bandwidth sample gives three).
void judge_sample(const pci::DeviceFacts& f, const SampleOutput& s, const CheckOptions& o,
                  std::vector<Check>& out) {
  const std::string name = "cuda." + s.sample;
  if (auto c = check_sample_ran(name, s)) {
    out.push_back(std::move(*c));
    return;
  }
  if (s.sample == "concurrency") {
    out.push_back(check_concurrency(name, s, o));
    return;
  }
  if (!s.ok) {
    out.push_back(make(name, Verdict::kFail, "wrong result: " + first_errors(s),
                       "a CUDA sample computed or copied wrong data: suspect memory errors "
                       "(nvidia-smi -q -d ECC), DMA corruption through the IOMMU, or a driver "
                       "bug; dmesg shows Xid errors"));
    return;
  }
  if (s.sample == "bandwidth") {
    out.push_back(make(name, Verdict::kPass,
                       fmt::format("{} results, every transfer verified", s.results.size())));
    out.push_back(check_copy(f, s, "h2d", o.min_h2d_gbs, o));
    out.push_back(check_copy(f, s, "d2h", o.min_d2h_gbs, o));
  } else if (s.sample == "membw") {
    out.push_back(check_membw(name, s, o));
  } else if (s.sample == "launch") {
    out.push_back(check_launch(name, s, o));
  } else {
    out.push_back(make(name, Verdict::kPass, summary(s, 6)));
  }
}

}  // namespace

std::vector<Check> check_samples(const pci::DeviceFacts& f,
                                 const std::vector<SampleOutput>& samples, const CheckOptions& o) {
  std::vector<Check> out;
  for (const auto& s : samples) judge_sample(f, s, o, out);
  return out;
}

}  // namespace vfiokit::guest
