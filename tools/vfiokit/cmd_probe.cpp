// `vfiokit probe`: the ownership proof. Opens the device through the chosen
// backend and proves, step by step and timed, that this process owns it:
// BARs, config space, DMA mappings, interrupts, reset and, where vfiokit has a
// driver for it, a device DMA round trip, an interrupt and IOMMU isolation.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <linux/vfio.h>

#include <chrono>
#include <cstring>
#include <functional>
#include <optional>

#include "tools/host/device_checks.hpp"
#include "tools/host/pci_facts.hpp"
#include "tools/vfiokit/commands.hpp"
#include "vfio/kernel_log.hpp"
#include "vfiokit/dma/buffer.hpp"
#include "vfiokit/dma/mapping.hpp"
#include "vfiokit/drivers/driver.hpp"
#include "vfiokit/proof/reset_policy.hpp"
#include "vfiokit/vfio/device.hpp"
#include "vfiokit/vfio/error.hpp"

namespace vfiokit::cli {
namespace {

using check::Verdict;

/// Runs the probe's steps in order, each a check::Check (id and title: the step's name,
/// data.ms: its wall time), printing each as it ends.
class StepRunner {
 public:
  explicit StepRunner(const GlobalOptions& g) : g_(g) {}

  /// Runs `body` unless an earlier required step failed; `body` returns the
  /// summary, or throws; a body may mark itself SKIP through `skip`.
  bool run(const std::string& name, const std::function<std::string(Verdict&)>& body,
           bool required = false) {
    check::Check s{name, name, Verdict::kPass, "", "", nlohmann::json::object()};
    double ms = 0;
    if (blocked_) {
      s.verdict = Verdict::kSkip;
      s.summary = "not run: " + blocked_reason_;
    } else {
      const auto t0 = std::chrono::steady_clock::now();
      try {
        s.summary = body(s.verdict);
      } catch (const std::exception& e) {
        s.verdict = Verdict::kFail;
        s.summary = e.what();
      }
      ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      if (s.verdict == Verdict::kFail && required) {
        blocked_ = true;
        blocked_reason_ = name + " failed";
      }
    }
    s.data["ms"] = ms;
    print(s);
    report_.checks.push_back(s);
    return s.verdict != Verdict::kFail && s.verdict != Verdict::kSkip;
  }

  check::Report& report() { return report_; }

 private:
  void print(const check::Check& s) const {
    if (g_.json) return;
    std::fputs(check::render_check(s, g_.color, kTitleWidth).c_str(), stdout);
    std::fflush(stdout);
  }
  static constexpr size_t kTitleWidth = 13;  // the longest step name ("dma-roundtrip")
  const GlobalOptions& g_;
  check::Report report_;
  bool blocked_ = false;
  std::string blocked_reason_;
};

void fill(DmaBuffer& b, size_t n, uint8_t seed) {
  for (size_t i = 0; i < n; ++i) b.bytes()[i] = static_cast<uint8_t>(seed + i * 7);
}

/// The first of the first `n` bytes where `a` and `b` differ, or nullopt.
std::optional<size_t> first_difference(const DmaBuffer& a, const DmaBuffer& b, size_t n) {
  if (std::memcmp(a.bytes(), b.bytes(), n) == 0) return std::nullopt;
  size_t i = 0;
  while (a.bytes()[i] == b.bytes()[i]) ++i;
  return i;
}

}  // namespace

int run_probe(const GlobalOptions& g, const std::string& text, const ProbeOptions& options) {
  const std::string& backend_text = options.backend;
  const bool allow_write = options.allow_write;
  const host::HostFs fs(g.root);
  const std::string bdf = host::require_device(fs, text);
  const Backend backend = parse_backend(backend_text);
  if (!g.json)
    std::printf("%s\n", Painter(g.color)
                            .bold(fmt::format("probe {} (backend {})", bdf, backend_name(backend)))
                            .c_str());
  // The plan, before anything is touched: which steps run and what they may change.
  const uint32_t class_code = fs.sysfs().hex_attr(bdf, "class").value_or(0);
  const std::string reset_skip = proof::reset_skip_reason(options.reset, class_code);
  const std::string plan = fmt::format(
      "plan: open, config, bars, dma-map, interrupts, {}, driver, dma-roundtrip, interrupt, "
      "isolation, driver-remove; {}",
      proof::reset_plan(options.reset, class_code),
      allow_write ? "storage writes allowed (--allow-write)"
                  : "no storage writes (--allow-write not given)");
  if (!g.json) std::printf("%s\n", plan.c_str());
  StepRunner r(g);
  r.report().subject = bdf;

  std::shared_ptr<IommuContext> ctx;
  std::optional<Device> dev;
  r.run(
      "open",
      [&](Verdict&) {
        if (backend != Backend::kAuto && !backend_available(backend))
          throw_error(
              "open backend", backend_name(backend), ENODEV,
              "this kernel does not offer it; 'vfiokit check' lists /dev/vfio/vfio and /dev/iommu");
        ctx = open_iommu_context(backend, bdf);
        dev.emplace(ctx, bdf);
        return fmt::format("{} via {}; {} regions, {} IRQ indexes{}", bdf, ctx->name(),
                           dev->num_regions(), dev->num_irqs(),
                           dev->can_reset() ? ", resettable" : "");
      },
      true);

  r.run("config", [&](Verdict&) {
    const ConfigSpace cfg = dev->config();
    const auto sys_vendor = fs.sysfs().hex_attr(bdf, "vendor");
    const auto sys_device = fs.sysfs().hex_attr(bdf, "device");
    if (sys_vendor != cfg.vendor_id() || sys_device != cfg.device_id())
      throw_error("compare config space", bdf, EIO,
                  fmt::format("VFIO reads {:04x}:{:04x}, sysfs says {:04x}:{:04x}", cfg.vendor_id(),
                              cfg.device_id(), sys_vendor.value_or(0), sys_device.value_or(0)));
    std::vector<std::string> caps;
    for (const auto& c : cfg.capabilities()) caps.push_back(c.name);
    return fmt::format("{:04x}:{:04x} class {:06x}, {} bytes; caps: {}", cfg.vendor_id(),
                       cfg.device_id(), cfg.class_code(), cfg.size(),
                       caps.empty() ? "none" : fmt::format("{}", fmt::join(caps, ", ")));
  });

  r.run("bars", [&](Verdict& v) {
    std::vector<std::string> parts;
    for (uint32_t i = VFIO_PCI_BAR0_REGION_INDEX; i <= VFIO_PCI_BAR5_REGION_INDEX; ++i) {
      const RegionInfo info = dev->region_info(i);
      if (info.size == 0 || !info.readable()) continue;
      const MappedRegion m = dev->map_region(i);
      const auto areas = info.mmap_areas();
      const uint64_t off = info.mmappable() && !areas.empty() ? areas[0].offset : 0;
      const bool direct = m.ptr(off, 4) != nullptr;
      const uint32_t val = info.size >= off + 4 ? m.read32(off) : m.read8(off);
      parts.push_back(fmt::format("{} {} {} [{:#x}]={:#010x}", info.name(),
                                  host::human_bytes(info.size), direct ? "mmap" : "pread", off,
                                  val));
    }
    if (parts.empty()) {
      v = Verdict::kSkip;
      return std::string("no readable BAR");
    }
    return fmt::format("{}", fmt::join(parts, "; "));
  });

  // What the driver (if any) needs of the IOVA space: edu sees only 28 bits.
  const DriverEntry* entry = nullptr;
  if (dev) {
    try {
      entry = find_driver(*dev);
    } catch (const std::exception&) {
    }
  }
  std::shared_ptr<DmaSpace> space;
  r.run("dma-map", [&](Verdict&) {
    space = DmaSpace::create(ctx, entry ? entry->dma_mask : UINT64_MAX);
    DmaBuffer buf = DmaBuffer::allocate(host::kProbeDmaBytes, PageBacking::k4K, true);
    DmaMapping m = space->map(buf);
    const uint64_t iova = m.iova();
    m.unmap();
    return fmt::format("{} mapped at IOVA {:#x} and unmapped; {} usable IOVA range(s), page {}",
                       host::human_bytes(buf.size()), iova, space->ranges().size(),
                       host::human_bytes(ctx->iova_alignment()));
  });

  r.run("interrupts", [&](Verdict& v) {
    for (uint32_t index :
         {VFIO_PCI_MSIX_IRQ_INDEX, VFIO_PCI_MSI_IRQ_INDEX, VFIO_PCI_INTX_IRQ_INDEX}) {
      const IrqInfo info = dev->irq_info(index);
      if (info.count == 0 || !info.eventfd()) continue;
      const uint32_t n = std::min<uint32_t>(info.count, 8);
      const IrqSet set = dev->enable_irq(index, n);
      // The kernel signals the eventfd itself: proves the eventfd wiring.
      set.trigger(0);
      if (set.wait(0, 1000) == 0)
        throw_error("wait for loopback interrupt", fmt::format("{} {}", bdf, info.name()),
                    ETIMEDOUT, "the eventfd was not signalled");
      return fmt::format(
          "{} enabled with {} of {} vector(s) on eventfds; loopback on vector 0 "
          "delivered",
          info.name(), n, info.count);
    }
    v = Verdict::kSkip;
    return std::string("the device has no interrupts");
  });

  r.run("reset", [&](Verdict& v) {
    if (!reset_skip.empty()) {
      v = Verdict::kSkip;
      return reset_skip;
    }
    const auto methods = dev->reset_methods();
    if (!dev->can_reset()) {
      v = Verdict::kSkip;
      return std::string("VFIO offers no reset for this device (no FLR, PM or bus reset)");
    }
    dev->reset();
    return fmt::format("VFIO_DEVICE_RESET done (methods: {})",
                       methods.empty() ? "unknown" : fmt::format("{}", fmt::join(methods, " ")));
  });

  std::unique_ptr<Driver> drv;
  if (!entry) {
    r.run("driver", [&](Verdict& v) {
      v = Verdict::kSkip;
      return std::string("vfiokit has no driver for this device: no device DMA/interrupt proof");
    });
  } else if (!space) {
    r.run("driver", [&](Verdict& v) {
      v = Verdict::kSkip;
      return std::string(
          "not run: no DMA space (dma-map failed), so no device DMA/interrupt proof");
    });
  } else if (r.run("driver", [&](Verdict&) {
               drv = probe_driver(*dev, space);
               drv->init();
               return fmt::format("{} driver up, interrupts: {}", drv->name(),
                                  irq_mode_name(drv->irq_mode()));
             })) {
    // Whole device granules (NVMe: logical blocks), at most 2 KiB or one granule.
    const size_t granule = std::max<size_t>(drv->dma_granule(), 1);
    const size_t max_bytes = std::min<size_t>(drv->max_memcpy_size(), 4096);
    const size_t n = granule > 2048 ? granule : (2048 / granule) * granule;
    const bool memcpy_ok = !drv->memcpy_writes_storage() || allow_write;
    r.run("dma-roundtrip", [&](Verdict& v) {
      if (n > max_bytes) {
        v = Verdict::kSkip;
        return fmt::format("the device moves {} byte units, more than the {} bytes the probe uses",
                           granule, max_bytes);
      }
      DmaBuffer a = DmaBuffer::allocate(4096, PageBacking::k4K);
      DmaBuffer b = DmaBuffer::allocate(4096, PageBacking::k4K);
      if (!memcpy_ok) {
        // Nothing written to storage: the device reads the same blocks into two
        // buffers that start with different canaries; equal buffers mean both were
        // written by the device (its data cannot equal both canaries).
        std::memset(a.bytes(), 0xa5, a.size());
        std::memset(b.bytes(), 0x5a, b.size());
        DmaMapping ma = space->map(a, DmaAccess::kWrite);
        DmaMapping mb = space->map(b, DmaAccess::kWrite);
        drv->read_start(ma.iova(), n);
        drv->read_wait();
        drv->read_start(mb.iova(), n);
        drv->read_wait();
        if (const auto i = first_difference(a, b, n))
          throw_error("compare DMA data", bdf, EIO,
                      fmt::format("two device reads of the same data differ at byte {} ({:#04x} vs "
                                  "{:#04x}): a DMA did not land",
                                  *i, a.bytes()[*i], b.bytes()[*i]));
        return fmt::format(
            "{} bytes read twice by device DMA into IOVA {:#x} and {:#x}, both landed and agree "
            "(no storage written; --allow-write adds the write-and-read-back copy)",
            n, ma.iova(), mb.iova());
      }
      fill(a, n, 0x31);
      std::memset(b.bytes(), 0, b.size());
      DmaMapping ms = space->map(a, DmaAccess::kRead);
      DmaMapping md = space->map(b, DmaAccess::kWrite);
      drv->memcpy_start(ms.iova(), md.iova(), n);
      drv->memcpy_wait();
      if (const auto i = first_difference(a, b, n))
        throw_error(
            "compare DMA data", bdf, EIO,
            fmt::format("byte {} is {:#04x}, expected {:#04x}", *i, b.bytes()[*i], a.bytes()[*i]));
      return fmt::format(
          "{} bytes IOVA {:#x} -> {:#x} by device DMA{}, data checked", n, ms.iova(), md.iova(),
          drv->memcpy_writes_storage() ? " through the scratch LBAs (--allow-write)" : "");
    });
    r.run("interrupt", [&](Verdict&) {
      drv->irq().drain(0);
      const auto t0 = std::chrono::steady_clock::now();
      drv->send_msi();
      const uint64_t got = drv->irq().wait(0, 2000);
      const double us =
          std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
      if (got == 0)
        throw_error("wait for device interrupt", bdf, ETIMEDOUT,
                    fmt::format("no {} interrupt within 2 s", irq_mode_name(drv->irq_mode())));
      drv->irq_ack();
      return fmt::format("device-raised {} interrupt received in {:.0f} us",
                         irq_mode_name(drv->irq_mode()), us);
    });
    r.run("isolation", [&](Verdict& v) {
      // The device writes into an IOVA that was mapped a moment ago and is not any
      // more. PASS needs evidence that the DMA left the device and was blocked: memory
      // unchanged and the IOMMU's fault record for this device and IOVA (or, where the
      // kernel logs none, an error the device reports).
      const size_t bytes = options.isolation_bytes ? options.isolation_bytes : n;
      DmaBuffer victim = DmaBuffer::allocate(std::max<size_t>(4096, bytes), PageBacking::k4K);
      std::memset(victim.bytes(), 0x5a, victim.size());
      DmaMapping mv = space->map(victim);
      const uint64_t stale = mv.iova();
      mv.unmap();
      KernelLog klog;
      try {
        drv->read_start(stale, bytes);
      } catch (const Error& e) {
        v = Verdict::kSkip;
        return fmt::format(
            "not proven: the driver refused the DMA before it reached the device ({})", e.what());
      }
      std::string device_error;
      try {
        drv->read_wait(2000);
      } catch (const Error& e) {
        device_error = e.what();
      }
      for (size_t i = 0; i < victim.size(); ++i)
        if (victim.bytes()[i] != 0x5a)
          throw_error("isolation", fmt::format("{} IOVA {:#x}", bdf, stale), EIO,
                      fmt::format("a DMA to an unmapped IOVA changed byte {} of the old buffer: "
                                  "the IOMMU does not isolate this device",
                                  i));
      const auto fault = klog.wait_for_fault(bdf, stale, bytes, 2000);
      if (fault)
        return fmt::format("DMA to unmapped IOVA {:#x} did not reach memory; the IOMMU logged: {}",
                           stale, describe(*fault));
      if (!device_error.empty())
        return fmt::format(
            "DMA to unmapped IOVA {:#x} did not reach memory and the device reported an error "
            "({}); no IOMMU fault record{}",
            stale, device_error,
            klog.available() ? " in the kernel log" : " (" + klog.unavailable_reason() + ")");
      v = Verdict::kWarn;
      return fmt::format(
          "not proven: memory at unmapped IOVA {:#x} is unchanged, but the device reported "
          "success and the IOMMU logged no fault for {}{}; nothing shows the DMA was blocked "
          "rather than dropped",
          stale, bdf, klog.available() ? "" : " (" + klog.unavailable_reason() + ")");
    });
    r.run("driver-remove", [&](Verdict&) {
      drv->remove();
      drv.reset();
      return std::string("device quiesced");
    });
  }

  // What served the probe, on the steps it concerns: the backend and the IOMMU context
  // (null when open failed) on open, the vfiokit driver (or null) on driver.
  for (auto& c : r.report().checks) {
    if (c.id == "open") {
      c.data["backend"] = backend_name(backend);
      c.data["context"] = ctx ? nlohmann::json(ctx->name()) : nlohmann::json(nullptr);
    } else if (c.id == "driver") {
      c.data["driver"] = entry ? nlohmann::json(entry->name) : nlohmann::json(nullptr);
    }
  }
  const std::vector<check::Report> reports = {r.report()};
  if (g.json) {
    nlohmann::json doc = check::document("probe", reports);
    doc["plan"] = {{"text", plan}, {"reset", reset_skip.empty()}, {"allow_write", allow_write}};
    print_json(doc);
  } else {
    const Painter p(g.color);
    const Verdict worst = check::worst(reports);
    std::printf("%s\n%s\n",
                worst == Verdict::kFail   ? p.red("probe failed").c_str()
                : worst == Verdict::kWarn ? p.yellow("ownership proven, with warnings").c_str()
                                          : p.green("ownership proven").c_str(),
                check::summary_line(reports).c_str());
  }
  return check::exit_status(reports);
}

}  // namespace vfiokit::cli
