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

#include "dma/buffer.hpp"
#include "dma/mapping.hpp"
#include "drivers/driver.hpp"
#include "drivers/edu/edu.hpp"
#include "tools/host/device_checks.hpp"
#include "tools/host/pci_facts.hpp"
#include "tools/vfiokit/commands.hpp"
#include "vfio/device.hpp"
#include "vfio/error.hpp"

namespace vfiokit::cli {
namespace {

using host::Verdict;

struct Step {
  std::string name;
  Verdict verdict = Verdict::kPass;
  std::string detail;
  double ms = 0;
};

class StepRunner {
 public:
  explicit StepRunner(const GlobalOptions& g) : g_(g), p_(g.color) {}

  /// Runs `body` unless an earlier required step failed; `body` returns the
  /// detail, or throws; a body may mark itself SKIP through `skip`.
  bool run(const std::string& name, const std::function<std::string(Verdict&)>& body,
           bool required = false) {
    Step s{name, Verdict::kPass, "", 0};
    if (blocked_) {
      s.verdict = Verdict::kSkip;
      s.detail = "not run: " + blocked_reason_;
    } else {
      const auto t0 = std::chrono::steady_clock::now();
      try {
        s.detail = body(s.verdict);
      } catch (const std::exception& e) {
        s.verdict = Verdict::kFail;
        s.detail = e.what();
      }
      s.ms =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      if (s.verdict == Verdict::kFail && required) {
        blocked_ = true;
        blocked_reason_ = name + " failed";
      }
    }
    print(s);
    steps_.push_back(s);
    return s.verdict != Verdict::kFail && s.verdict != Verdict::kSkip;
  }

  bool ok() const {
    for (const auto& s : steps_)
      if (s.verdict == Verdict::kFail) return false;
    return true;
  }
  const std::vector<Step>& steps() const { return steps_; }

 private:
  void print(const Step& s) const {
    if (g_.json) return;
    std::printf("  %s  %-16s %9.2f ms  %s\n", p_.verdict(s.verdict).c_str(), s.name.c_str(), s.ms,
                s.detail.c_str());
    std::fflush(stdout);
  }
  const GlobalOptions& g_;
  Painter p_;
  std::vector<Step> steps_;
  bool blocked_ = false;
  std::string blocked_reason_;
};

void fill(DmaBuffer& b, size_t n, uint8_t seed) {
  for (size_t i = 0; i < n; ++i) b.bytes()[i] = static_cast<uint8_t>(seed + i * 7);
}

}  // namespace

int run_probe(const GlobalOptions& g, const std::string& text, const std::string& backend_text) {
  const host::HostFs fs(g.root);
  const std::string bdf = host::require_device(fs, text);
  const Backend backend = parse_backend(backend_text);
  if (!g.json)
    std::printf("%s\n", Painter(g.color)
                            .bold(fmt::format("probe {} (backend {})", bdf, backend_name(backend)))
                            .c_str());
  StepRunner r(g);

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
  } else if (r.run("driver", [&](Verdict&) {
               drv = probe_driver(*dev, space);
               drv->init();
               return fmt::format("{} driver up, interrupts: {}", drv->name(),
                                  irq_mode_name(drv->irq_mode()));
             })) {
    r.run("dma-roundtrip", [&](Verdict&) {
      const size_t n = std::min<size_t>(drv->max_memcpy_size(), 2048);
      DmaBuffer src = DmaBuffer::allocate(4096, PageBacking::k4K);
      DmaBuffer dst = DmaBuffer::allocate(4096, PageBacking::k4K);
      fill(src, n, 0x31);
      std::memset(dst.bytes(), 0, dst.size());
      DmaMapping ms = space->map(src, DmaAccess::kRead);
      DmaMapping md = space->map(dst, DmaAccess::kWrite);
      drv->memcpy_start(ms.iova(), md.iova(), n);
      drv->memcpy_wait();
      if (std::memcmp(src.bytes(), dst.bytes(), n) != 0) {
        size_t i = 0;
        while (src.bytes()[i] == dst.bytes()[i]) ++i;
        throw_error(
            "compare DMA data", bdf, EIO,
            fmt::format("byte {} is {:#04x}, expected {:#04x}", i, dst.bytes()[i], src.bytes()[i]));
      }
      return fmt::format("{} bytes IOVA {:#x} -> {:#x} by device DMA, data checked", n, ms.iova(),
                         md.iova());
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
    r.run("isolation", [&](Verdict&) {
      const size_t n = std::min<size_t>(drv->max_memcpy_size(), 1024);
      DmaBuffer victim = DmaBuffer::allocate(4096, PageBacking::k4K);
      DmaBuffer src = DmaBuffer::allocate(4096, PageBacking::k4K);
      std::memset(victim.bytes(), 0x5a, victim.size());
      fill(src, n, 0xa5);
      DmaMapping ms = space->map(src, DmaAccess::kRead);
      DmaMapping mv = space->map(victim);
      const uint64_t stale = mv.iova();
      mv.unmap();
      std::string outcome;
      try {
        if (auto* edu = dynamic_cast<EduDriver*>(drv.get())) {
          // edu completes a DMA even when the IOMMU blocks it: only memory tells.
          edu->dma(ms.iova(), 0, n, false);
          edu->dma(stale, 0, n, true, 1000);
          outcome = "the device reported completion";
        } else {
          drv->memcpy_start(ms.iova(), stale, n);
          drv->memcpy_wait(2000);
          outcome = "the device reported completion";
        }
      } catch (const Error& e) {
        outcome = fmt::format("the device reported: {}", e.what());
      }
      for (size_t i = 0; i < victim.size(); ++i)
        if (victim.bytes()[i] != 0x5a)
          throw_error("isolation", fmt::format("{} IOVA {:#x}", bdf, stale), EIO,
                      fmt::format("a DMA to an unmapped IOVA changed byte {} of the old buffer: "
                                  "the IOMMU does not isolate this device",
                                  i));
      return fmt::format("DMA to unmapped IOVA {:#x} did not reach memory ({})", stale, outcome);
    });
    r.run("driver-remove", [&](Verdict&) {
      drv->remove();
      drv.reset();
      return std::string("device quiesced");
    });
  }

  if (g.json) {
    nlohmann::json steps = nlohmann::json::array();
    for (const auto& s : r.steps())
      steps.push_back({{"name", s.name},
                       {"verdict", host::verdict_name(s.verdict)},
                       {"detail", s.detail},
                       {"ms", s.ms}});
    print_json({{"schema_version", 1},
                {"command", "probe"},
                {"bdf", bdf},
                {"backend", backend_name(backend)},
                {"context", ctx ? nlohmann::json(ctx->name()) : nlohmann::json(nullptr)},
                {"driver", entry ? nlohmann::json(entry->name) : nlohmann::json(nullptr)},
                {"ok", r.ok()},
                {"steps", steps}});
  } else {
    std::printf("%s\n", r.ok() ? Painter(g.color).green("ownership proven").c_str()
                               : Painter(g.color).red("probe failed").c_str());
  }
  return r.ok() ? kExitOk : kExitFail;
}

}  // namespace vfiokit::cli
