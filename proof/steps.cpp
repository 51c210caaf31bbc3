// The ownership proof's steps, in the order they run. Each says above it what its
// PASS guarantees; each reads and leaves state only in the ProofContext.

#include <algorithm>
#include <chrono>
#include <cstring>
#include <optional>

#include "proof/proof_context.hpp"
#include "vfio/format.hpp"
#include "vfio/iommu_fault.hpp"
#include "vfio/kernel_log.hpp"
#include "vfiokit/dma/buffer.hpp"
#include "vfiokit/vfio/error.hpp"

namespace vfiokit::proof {
namespace {

using detail::format;

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

/// PASS: an IOMMU context of the chosen backend is open and the device attached to
/// it; this process holds the device. Required.
StepOutcome open(ProofContext& c) {
  if (c.options.backend != Backend::kAuto && !backend_available(c.options.backend))
    throw_error(
        "open backend", backend_name(c.options.backend), ENODEV,
        "this kernel does not offer it; 'vfiokit check' lists /dev/vfio/vfio and /dev/iommu");
  c.iommu = open_iommu_context(c.options.backend, c.bdf);
  c.dev.emplace(c.iommu, c.bdf, AttachOptions{c.options.vf_token});
  return pass(format("{} via {}; {} regions, {} IRQ indexes{}", c.bdf, c.iommu->name(),
                     c.dev->num_regions(), c.dev->num_irqs(),
                     c.dev->can_reset() ? ", resettable" : ""));
}

/// PASS: config space read through VFIO names the device sysfs names (vendor and
/// device ID), so the fd is this device's.
StepOutcome config(ProofContext& c) {
  const ConfigSpace cfg = c.dev->config();
  const auto sys_vendor = c.sysfs.hex_attr(c.bdf, "vendor");
  const auto sys_device = c.sysfs.hex_attr(c.bdf, "device");
  if (sys_vendor != cfg.vendor_id() || sys_device != cfg.device_id())
    throw_error("compare config space", c.bdf, EIO,
                format("VFIO reads {:04x}:{:04x}, sysfs says {:04x}:{:04x}", cfg.vendor_id(),
                       cfg.device_id(), sys_vendor.value_or(0), sys_device.value_or(0)));
  std::vector<std::string> caps;
  for (const auto& cap : cfg.capabilities()) caps.push_back(cap.name);
  return pass(format("{:04x}:{:04x} class {:06x}, {} bytes; caps: {}", cfg.vendor_id(),
                     cfg.device_id(), cfg.class_code(), cfg.size(),
                     caps.empty() ? std::string("none") : join(caps, ", ")));
}

/// PASS: every readable BAR maps (mmap where VFIO allows, else pread) and its first
/// word reads. SKIP: the device has no readable BAR.
StepOutcome bars(ProofContext& c) {
  std::vector<std::string> parts;
  for (unsigned n = 0; n <= 5; ++n) {
    const RegionIndex i = bar_region(n);
    const RegionInfo info = c.dev->region_info(i);
    if (info.size == 0 || !info.readable()) continue;
    const MappedRegion m = c.dev->map_region(i);
    const auto areas = info.mmap_areas();
    const uint64_t off = info.mmappable() && !areas.empty() ? areas[0].offset : 0;
    const bool direct = m.ptr(off, 4) != nullptr;
    const uint32_t val = info.size >= off + 4 ? m.read32(off) : m.read8(off);
    parts.push_back(format("{} {} {} [{:#x}]={:#010x}", info.name(), human_bytes(info.size),
                           direct ? "mmap" : "pread", off, val));
  }
  if (parts.empty()) return skip("no readable BAR");
  return pass(join(parts, "; "));
}

/// PASS: a 2 MiB buffer maps into the context's usable IOVA ranges (below the
/// driver's DMA mask) and unmaps.
StepOutcome dma_map(ProofContext& c) {
  const DriverEntry* entry = find_driver(*c.dev);
  auto space = DmaSpace::create(c.iommu, entry ? entry->dma_mask : UINT64_MAX);
  DmaBuffer buf = DmaBuffer::allocate(kDmaMapBytes, PageBacking::k4K, true);
  DmaMapping m = space->map(buf);
  const uint64_t iova = m.iova();
  m.unmap();
  c.dma_mapped = true;
  return pass(format("{} mapped at IOVA {:#x} and unmapped; {} usable IOVA range(s), page {}",
                     human_bytes(buf.size()), iova, space->ranges().size(),
                     human_bytes(c.iommu->iova_alignment())));
}

/// PASS: MSI-X (else MSI, else INTx) enables with eventfds and a kernel loopback
/// trigger of vector 0 arrives: the eventfd wiring works. SKIP: no interrupts.
StepOutcome interrupts(ProofContext& c) {
  for (IrqIndex index : {IrqIndex::kMsix, IrqIndex::kMsi, IrqIndex::kIntx}) {
    const IrqInfo info = c.dev->irq_info(index);
    if (info.count == 0 || !info.eventfd()) continue;
    const uint32_t n = std::min<uint32_t>(info.count, 8);
    const IrqSet set = c.dev->enable_irq(index, n);
    set.trigger(0);
    if (set.wait(0, 1000) == 0)
      throw_error("wait for loopback interrupt", format("{} {}", c.bdf, info.name()), ETIMEDOUT,
                  "the eventfd was not signalled");
    return pass(
        format("{} enabled with {} of {} vector(s) on eventfds; loopback on vector 0 "
               "delivered",
               info.name(), n, info.count));
  }
  return skip("the device has no interrupts");
}

/// PASS: VFIO_DEVICE_RESET returned success. SKIP: the policy keeps it from running
/// (display devices unless --reset; --no-reset), or VFIO offers no reset.
StepOutcome reset(ProofContext& c) {
  if (!c.plan.reset) return skip(c.plan.reset_skip);
  if (!c.dev->can_reset())
    return skip("VFIO offers no reset for this device (no FLR, PM or bus reset)");
  const auto methods = c.dev->reset_methods();
  c.dev->reset();
  return pass(format("VFIO_DEVICE_RESET done (methods: {})",
                     methods.empty() ? std::string("unknown") : join(methods, " ")));
}

/// PASS: vfiokit's driver for the device (drivers()) initialised it, with a DMA space
/// below its DMA mask. SKIP: vfiokit has no driver, or dma-map failed. Required.
StepOutcome driver(ProofContext& c) {
  if (!find_driver(*c.dev))
    return skip("vfiokit has no driver for this device: no device DMA/interrupt proof");
  if (!c.dma_mapped)
    return skip("not run: no DMA space (dma-map failed), so no device DMA/interrupt proof");
  c.driver = open_driver(*c.dev);
  c.driver.driver->init();
  Driver& d = *c.driver.driver;
  // Whole device granules (NVMe: logical blocks), at most 2 KiB or one granule.
  const size_t granule = std::max<size_t>(d.dma_granule(), 1);
  c.transfer_bytes = granule > 2048 ? granule : (2048 / granule) * granule;
  return pass(format("{} driver up, interrupts: {}", d.name(), irq_mode_name(d.irq_mode())));
}

/// Nothing written to storage: the device reads the same blocks into two buffers
/// that start with different canaries; equal buffers mean both were written by the
/// device (its data cannot equal both canaries).
StepOutcome read_twice(ProofContext& c, DmaBuffer& a, DmaBuffer& b, size_t n) {
  Driver& d = *c.driver.driver;
  std::memset(a.bytes(), 0xa5, a.size());
  std::memset(b.bytes(), 0x5a, b.size());
  DmaMapping ma = c.driver.space->map(a, DmaAccess::kWrite);
  DmaMapping mb = c.driver.space->map(b, DmaAccess::kWrite);
  d.read_start(ma.iova(), n);
  d.read_wait();
  d.read_start(mb.iova(), n);
  d.read_wait();
  if (const auto i = first_difference(a, b, n))
    throw_error("compare DMA data", c.bdf, EIO,
                format("two device reads of the same data differ at byte {} ({:#04x} vs "
                       "{:#04x}): a DMA did not land",
                       *i, a.bytes()[*i], b.bytes()[*i]));
  return pass(
      format("{} bytes read twice by device DMA into IOVA {:#x} and {:#x}, both landed "
             "and agree (no storage written; --allow-write adds the write-and-read-back "
             "copy)",
             n, ma.iova(), mb.iova()));
}

/// PASS: data moved by the device's own DMA landed, checked byte for byte: edu's copy
/// between two mapped buffers; NVMe's two reads of the same blocks (or, with
/// allow_write, a copy through the scratch LBAs). Nothing is written to storage
/// without allow_write. SKIP: the device's unit is larger than the probe's 4 KiB.
StepOutcome dma_roundtrip(ProofContext& c) {
  Driver& d = *c.driver.driver;
  const size_t n = c.transfer_bytes;
  const size_t max_bytes = std::min<size_t>(d.max_memcpy_size(), 4096);
  if (n > max_bytes)
    return skip(format("the device moves {} byte units, more than the {} bytes the probe uses",
                       d.dma_granule(), max_bytes));
  DmaBuffer a = DmaBuffer::allocate(4096, PageBacking::k4K);
  DmaBuffer b = DmaBuffer::allocate(4096, PageBacking::k4K);
  if (d.memcpy_writes_storage() && !c.options.allow_write) return read_twice(c, a, b, n);
  fill(a, n, 0x31);
  std::memset(b.bytes(), 0, b.size());
  DmaMapping ms = c.driver.space->map(a, DmaAccess::kRead);
  DmaMapping md = c.driver.space->map(b, DmaAccess::kWrite);
  d.memcpy_start(ms.iova(), md.iova(), n);
  d.memcpy_wait();
  if (const auto i = first_difference(a, b, n))
    throw_error("compare DMA data", c.bdf, EIO,
                format("byte {} is {:#04x}, expected {:#04x}", *i, b.bytes()[*i], a.bytes()[*i]));
  return pass(format("{} bytes IOVA {:#x} -> {:#x} by device DMA{}, data checked", n, ms.iova(),
                     md.iova(),
                     d.memcpy_writes_storage() ? " through the scratch LBAs (--allow-write)" : ""));
}

/// PASS: an interrupt the device raised itself arrived on the driver's eventfd
/// within 2 s.
StepOutcome interrupt(ProofContext& c) {
  Driver& d = *c.driver.driver;
  d.irq().drain(0);
  const auto t0 = std::chrono::steady_clock::now();
  d.send_msi();
  const uint64_t got = d.irq().wait(0, 2000);
  const auto us =
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0)
          .count();
  if (got == 0)
    throw_error("wait for device interrupt", c.bdf, ETIMEDOUT,
                format("no {} interrupt within 2 s", irq_mode_name(d.irq_mode())));
  d.irq_ack();
  return pass(
      format("device-raised {} interrupt received in {} us", irq_mode_name(d.irq_mode()), us));
}

/// The device writes into an IOVA that was mapped a moment ago and is not any more.
/// PASS needs evidence that the DMA left the device and was blocked: memory unchanged
/// and the IOMMU's fault record for this device and IOVA (kernel facility only), or,
/// where the kernel logs none, an error the device reports. FAIL: memory changed.
/// WARN: memory unchanged but nothing shows the DMA was blocked rather than dropped.
/// SKIP: the driver refused the DMA before it reached the device.
StepOutcome isolation(ProofContext& c) {
  Driver& d = *c.driver.driver;
  const size_t bytes = c.options.isolation_bytes ? c.options.isolation_bytes : c.transfer_bytes;
  DmaBuffer victim = DmaBuffer::allocate(std::max<size_t>(4096, bytes), PageBacking::k4K);
  std::memset(victim.bytes(), 0x5a, victim.size());
  DmaMapping mv = c.driver.space->map(victim);
  const uint64_t stale = mv.iova();
  mv.unmap();
  KernelLog klog;
  try {
    d.read_start(stale, bytes);
  } catch (const Error& e) {
    return skip(format("not proven: the driver refused the DMA before it reached the device ({})",
                       e.what()));
  }
  std::string device_error;
  try {
    d.read_wait(2000);
  } catch (const Error& e) {
    device_error = e.what();
  }
  for (size_t i = 0; i < victim.size(); ++i)
    if (victim.bytes()[i] != 0x5a)
      throw_error("isolation", format("{} IOVA {:#x}", c.bdf, stale), EIO,
                  format("a DMA to an unmapped IOVA changed byte {} of the old buffer: the IOMMU "
                         "does not isolate this device",
                         i));
  const std::string why_no_log = klog.available() ? "" : " (" + klog.unavailable_reason() + ")";
  if (const auto fault = klog.wait_for_fault(c.bdf, stale, bytes, 2000))
    return pass(format("DMA to unmapped IOVA {:#x} did not reach memory; the IOMMU logged: {}",
                       stale, describe(*fault)));
  if (!device_error.empty())
    return pass(format(
        "DMA to unmapped IOVA {:#x} did not reach memory and the device reported "
        "an error ({}); no IOMMU fault record{}",
        stale, device_error, klog.available() ? std::string(" in the kernel log") : why_no_log));
  return warn(
      format("not proven: memory at unmapped IOVA {:#x} is unchanged, but the device "
             "reported success and the IOMMU logged no fault for {}{}; nothing shows the "
             "DMA was blocked rather than dropped",
             stale, c.bdf, why_no_log));
}

/// PASS: the driver quiesced the device (no DMA, no interrupts) and let it go.
StepOutcome driver_remove(ProofContext& c) {
  c.driver.driver->remove();
  c.driver.driver.reset();
  return pass("device quiesced");
}

}  // namespace

const std::vector<Step>& steps() {
  static const std::vector<Step> kSteps = {
      {"open", true, false, open},
      {"config", false, false, config},
      {"bars", false, false, bars},
      {"dma-map", false, false, dma_map},
      {"interrupts", false, false, interrupts},
      {"reset", false, false, reset},
      {"driver", true, false, driver},
      {"dma-roundtrip", false, true, dma_roundtrip},
      {"interrupt", false, true, interrupt},
      {"isolation", false, true, isolation},
      {"driver-remove", false, true, driver_remove},
  };
  return kSteps;
}

}  // namespace vfiokit::proof
