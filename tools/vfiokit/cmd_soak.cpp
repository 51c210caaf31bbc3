// vfiokit soak BDF: each reset method the device offers, N cycles each (docs/cli.md "soak").
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstring>

#include "check/check.hpp"
#include "tools/host/pci_facts.hpp"
#include "tools/vfiokit/commands.hpp"
#include "tools/vfiokit/soak.hpp"
#include "tools/vfiokit/soak_lost.hpp"
#include "tools/vfiokit/soak_rebind.hpp"
#include "vfiokit/dma/buffer.hpp"
#include "vfiokit/vfio/error.hpp"
#include "vfiokit/vfio/iommu_context.hpp"

namespace vfiokit::cli {
namespace {

// DMA and an interrupt through the device's driver after a reset: the driver brought up,
// the device's data read by DMA into two buffers with different canaries (nothing
// written to storage) or, with --allow-write or a driver that writes none, a copy
// checked byte for byte, then one device-raised interrupt; the driver removed.
void prove_dma_and_interrupt(Device& dev, const std::shared_ptr<DmaSpace>& space,
                             bool allow_write) {
  std::unique_ptr<Driver> drv = probe_driver(dev, space);
  drv->init();
  const size_t granule = std::max<size_t>(drv->dma_granule(), 1);
  const size_t n = granule > 2048 ? granule : (2048 / granule) * granule;
  DmaBuffer a = DmaBuffer::allocate(std::max<size_t>(4096, n), PageBacking::k4K);
  DmaBuffer b = DmaBuffer::allocate(std::max<size_t>(4096, n), PageBacking::k4K);
  std::memset(a.bytes(), 0xa5, a.size());
  std::memset(b.bytes(), 0x5a, b.size());
  if (!drv->memcpy_writes_storage() || allow_write) {
    for (size_t i = 0; i < n; ++i) a.bytes()[i] = static_cast<uint8_t>(0x31 + i * 7);
    DmaMapping ms = space->map(a, DmaAccess::kRead);
    DmaMapping md = space->map(b, DmaAccess::kWrite);
    drv->memcpy_start(ms.iova(), md.iova(), n);
    drv->memcpy_wait();
  } else {
    DmaMapping ma = space->map(a, DmaAccess::kWrite);
    DmaMapping mb = space->map(b, DmaAccess::kWrite);
    drv->read_start(ma.iova(), n);
    drv->read_wait();
    drv->read_start(mb.iova(), n);
    drv->read_wait();
  }
  if (std::memcmp(a.bytes(), b.bytes(), n) != 0)
    throw_error("compare DMA data after the reset", dev.bdf(), EIO,
                "the device's DMA did not land: the reset left it unable to master the bus");
  drv->irq().drain(0);
  drv->send_msi();
  if (drv->irq().wait(0, 2000) == 0)
    throw_error("wait for the device's interrupt after the reset", dev.bdf(), ETIMEDOUT,
                "no interrupt within 2 s: the reset left its interrupts unconfigured");
  drv->irq_ack();
  drv->remove();
}

check::Check method_check(const SoakMethodResult& m) {
  check::Check c{"soak." + m.method, "reset " + m.method, check::Verdict::kPass, "", "", {}};
  c.data = {{"cycles", m.cycles_asked},
            {"cycles_passed", m.cycles_done},
            {"reset_ms",
             {{"median", quantile(m.reset_ms, 0.5)},
              {"p99", quantile(m.reset_ms, 0.99)},
              {"max", quantile(m.reset_ms, 1.0)}}}};
  if (judge_early_end(m, c)) return c;
  const std::string timing =
      fmt::format("reset median {:.2f} ms, p99 {:.2f} ms, max {:.2f} ms", quantile(m.reset_ms, 0.5),
                  quantile(m.reset_ms, 0.99), quantile(m.reset_ms, 1.0));
  if (m.failed_cycle) {
    c.verdict = check::Verdict::kFail;
    c.data["failed_cycle"] = *m.failed_cycle;
    c.summary = fmt::format("failed on cycle {} of {} ({} passed): {}; {}", *m.failed_cycle,
                            m.cycles_asked, m.cycles_done, m.failure, timing);
    c.hint = fmt::format(
        "'{}' is not safe for passthrough on this device: leave it out of the kernel's "
        "list (echo <other methods> > /sys/bus/pci/devices/BDF/reset_method) or use a "
        "vendor reset; a device that stopped answering may need a host reboot",
        m.method);
    return c;
  }
  c.summary = fmt::format(
      "{} of {} cycles: config space sane{} after each; {}", m.cycles_done, m.cycles_asked,
      m.proven ? ", DMA and interrupt proven" : " (no driver: no DMA proof)", timing);
  return c;
}

// The reset methods' checks, each `o.cycles` times; the device is closed on return.
// True when the device stopped answering: the methods after it were not run.
bool soak_resets(const host::HostFs& fs, const std::string& bdf, const SoakOptions& o,
                 const std::vector<std::string>& asked, check::Report& report) {
  auto ctx = open_iommu_context(parse_backend(o.backend), bdf);
  Device dev(ctx, bdf);
  std::vector<std::string> methods = dev.reset_methods();
  if (methods.empty() && dev.can_reset()) methods.push_back("default");
  methods.push_back("hot-reset");
  if (!asked.empty()) methods = asked;
  const DriverEntry* entry = find_driver(dev);
  std::shared_ptr<DmaSpace> space =
      entry ? DmaSpace::create(ctx, entry->dma_mask) : std::shared_ptr<DmaSpace>();
  Soak soak(fs, dev, bdf, o.cycles);
  for (const auto& m : methods) {
    SoakMethodResult r;
    if (m == "hot-reset") {
      try {
        dev.hot_reset_info();
      } catch (const Error& e) {
        r.method = m, r.cycles_asked = o.cycles;
        r.skipped = fmt::format("no hot reset: {}", e.what());
        report.checks.push_back(method_check(r));
        continue;
      }
    }
    const auto proof = entry ? std::function<void(unsigned)>([&](unsigned) {
      prove_dma_and_interrupt(dev, space, o.allow_write);
    })
                             : std::function<void(unsigned)>();
    r = soak.run(m, proof);
    report.checks.push_back(method_check(r));
    if (r.device_lost) return true;  // every further method would find it gone again
  }
  if (!entry)
    report.checks.push_back({"soak.driver",
                             "DMA and interrupt",
                             check::Verdict::kSkip,
                             "vfiokit has no driver for this device: config space checked only",
                             "",
                             {}});
  return false;
}

// The device opened again after a take-back and, where vfiokit has a driver, its DMA and
// an interrupt proven; closed on return, so the next cycle can hand it back.
void prove_after_take(const std::string& bdf, const SoakOptions& o) {
  auto ctx = open_iommu_context(parse_backend(o.backend), bdf);
  Device dev(ctx, bdf);
  if (const DriverEntry* entry = find_driver(dev))
    prove_dma_and_interrupt(dev, DmaSpace::create(ctx, entry->dma_mask), o.allow_write);
}

}  // namespace

int run_soak(const GlobalOptions& g, const std::string& text, const SoakOptions& o) {
  const host::HostFs fs(g.root);
  const std::string bdf = host::require_device(fs, text);
  const uint32_t cls = fs.sysfs().hex_attr(bdf, "class").value_or(0);
  if ((cls >> 16) == 0x03 && !o.force)
    throw_error("soak", bdf, EPERM,
                "a display device: a reset bug can leave a GPU wedged until the host reboots; "
                "run with --force to soak it anyway");
  // "rebind" in --methods is --rebind; --methods rebind alone runs no reset method.
  std::vector<std::string> asked = o.methods;
  const bool rebind = o.rebind || std::find(asked.begin(), asked.end(), "rebind") != asked.end();
  const bool resets = asked.empty() || std::any_of(asked.begin(), asked.end(),
                                                   [](const auto& m) { return m != "rebind"; });
  asked.erase(std::remove(asked.begin(), asked.end(), "rebind"), asked.end());
  check::Report report{bdf, {}};
  const bool lost = resets && soak_resets(fs, bdf, o, asked, report);
  if (rebind && !lost) {
    host::Binder binder(fs, host::Journal(state_dir(g)));
    const bool has_driver = [&] {
      auto ctx = open_iommu_context(parse_backend(o.backend), bdf);
      Device dev(ctx, bdf);
      return find_driver(dev) != nullptr;
    }();
    const auto proof =
        has_driver ? std::function<void(unsigned)>([&](unsigned) { prove_after_take(bdf, o); })
                   : std::function<void(unsigned)>();
    report.checks.push_back(
        rebind_check(soak_rebind(binder, host::Journal(state_dir(g)), fs, bdf, o.cycles, proof)));
  }
  // A device that stopped answering: its journal entry's fate, read now that it is closed.
  if (!report.checks.empty() && report.checks.back().data.value("device_lost", false))
    report.checks.back().hint = lost_device_hint(fs, host::Journal(state_dir(g)), bdf);
  const std::vector<check::Report> reports{report};
  if (g.json)
    print_json(check::document("soak", reports));
  else
    std::fputs(check::render_text(reports, g.color).c_str(), stdout);
  return check::exit_status(reports);
}

}  // namespace vfiokit::cli
