#include "vfiokit/vfio/device.hpp"

#include <linux/vfio.h>
#include <unistd.h>

#include <algorithm>
#include <utility>
#include <cerrno>
#include <cstddef>
#include <sstream>

#include "vfio/format.hpp"
#include "vfio/info_decode.hpp"
#include "vfio/kernel_struct.hpp"
#include "vfio/raw/vfio_ops.hpp"
#include "vfiokit/vfio/error.hpp"
#include "vfiokit/vfio/pci_address.hpp"
#include "vfiokit/vfio/sysfs.hpp"

namespace vfiokit {

Device::Device(std::shared_ptr<IommuContext> ctx, const std::string& bdf,
               const AttachOptions& options)
    : ctx_(std::move(ctx)), bdf_(normalize_bdf(bdf)) {
  fd_ = std::make_shared<const UniqueFd>(ctx_->attach_device(bdf_, options));
  const auto info = raw::vfio_ops().device_info(fd_->get());
  if (!info) throw_error("VFIO_DEVICE_GET_INFO", bdf_, info.err);
  flags_ = info.value.flags;
  num_regions_ = info.value.num_regions;
  num_irqs_ = info.value.num_irqs;
  if (!(flags_ & VFIO_DEVICE_FLAGS_PCI))
    throw_error("VFIO_DEVICE_GET_INFO", bdf_, ENOTSUP, "not a PCI device");
  const RegionInfo cfg = region_info(RegionIndex::kConfig);
  config_offset_ = cfg.offset;
  config_size_ = cfg.size;
}

Device Device::open(const std::string& bdf, Backend backend) {
  const std::string b = normalize_bdf(bdf);
  return Device(open_iommu_context(backend, b), b);
}

std::unique_ptr<Device> Device::open_unique(const std::string& bdf, Backend backend) {
  const std::string b = normalize_bdf(bdf);
  return std::make_unique<Device>(open_iommu_context(backend, b), b);
}

bool Device::can_reset() const { return flags_ & VFIO_DEVICE_FLAGS_RESET; }

std::vector<std::string> device_flag_names(uint32_t flags) {
  static constexpr std::pair<uint32_t, const char*> kNames[] = {
      {VFIO_DEVICE_FLAGS_RESET, "reset"},    {VFIO_DEVICE_FLAGS_PCI, "pci"},
      {VFIO_DEVICE_FLAGS_PLATFORM, "platform"}, {VFIO_DEVICE_FLAGS_AMBA, "amba"},
      {VFIO_DEVICE_FLAGS_CCW, "ccw"},        {VFIO_DEVICE_FLAGS_AP, "ap"},
      {VFIO_DEVICE_FLAGS_FSL_MC, "fsl-mc"},  {VFIO_DEVICE_FLAGS_CAPS, "caps"},
      {1u << 8, "cdx"},  // VFIO_DEVICE_FLAGS_CDX (Linux 6.6)
  };
  std::vector<std::string> out;
  for (const auto& [bit, name] : kNames)
    if (flags & bit) out.emplace_back(name);
  return out;
}

RegionInfo Device::region_info(RegionIndex region) const {
  const uint32_t index = index_number(region);
  const std::string object = detail::format("{} region {}", bdf_, index);
  if (index >= num_regions_)
    throw_error("VFIO_DEVICE_GET_REGION_INFO", object, EINVAL,
                detail::format("the device has regions 0..{}", num_regions_ - 1));
  const auto reply = raw::vfio_ops().region_info(fd_->get(), index);
  if (!reply) {
    // vfio-pci counts the VGA region for every PCI device but has it only for VGA
    // controllers; for the others it answers EINVAL. That region is absent, not an error.
    if (region == RegionIndex::kVga && (flags_ & VFIO_DEVICE_FLAGS_PCI) && reply.err == EINVAL) {
      RegionInfo absent;
      absent.index = region;
      return absent;
    }
    throw_error("VFIO_DEVICE_GET_REGION_INFO", object, reply.err,
                reply.err == EOVERFLOW ? "the kernel kept asking for a larger buffer" : "");
  }
  return parse_region_info(reply.value);
}

MappedRegion Device::map_region(RegionIndex index) const {
  RegionInfo info = region_info(index);
  if (info.size == 0)
    throw_error("map region", detail::format("{} {}", bdf_, info.name()), ENODEV,
                "the device does not implement this region");
  return MappedRegion(fd_, std::move(info), bdf_);
}

template <typename T>
T Device::cfg_read(uint32_t off) const {
  T v{};
  if (off + sizeof(T) > config_size_ ||
      raw::vfio_ops().pread(fd_->get(), &v, sizeof(T), static_cast<off_t>(config_offset_ + off)) !=
          sizeof(T))
    throw_error("read config space", detail::format("{} offset {:#x}", bdf_, off),
                off + sizeof(T) > config_size_ ? ERANGE : errno);
  return v;
}

template <typename T>
void Device::cfg_write(uint32_t off, T v) const {
  if (off + sizeof(T) > config_size_ ||
      raw::vfio_ops().pwrite(fd_->get(), &v, sizeof(T), static_cast<off_t>(config_offset_ + off)) !=
          sizeof(T))
    throw_error("write config space", detail::format("{} offset {:#x}", bdf_, off),
                off + sizeof(T) > config_size_ ? ERANGE : errno);
}

uint8_t Device::config_read8(uint32_t off) const { return cfg_read<uint8_t>(off); }
uint16_t Device::config_read16(uint32_t off) const { return cfg_read<uint16_t>(off); }
uint32_t Device::config_read32(uint32_t off) const { return cfg_read<uint32_t>(off); }
void Device::config_write16(uint32_t off, uint16_t v) const { cfg_write(off, v); }
void Device::config_write32(uint32_t off, uint32_t v) const { cfg_write(off, v); }

ConfigSpace Device::config() const {
  std::vector<uint8_t> bytes(config_size_);
  const ssize_t n = raw::vfio_ops().pread(fd_->get(), bytes.data(), bytes.size(),
                                          static_cast<off_t>(config_offset_));
  if (n < 64) throw_error("read config space", bdf_, n < 0 ? errno : EIO);
  bytes.resize(static_cast<size_t>(n));
  return ConfigSpace(std::move(bytes));
}

void Device::enable_bus_master() const {
  constexpr uint16_t kMemory = 1u << 1, kBusMaster = 1u << 2;
  config_write16(0x04, config_read16(0x04) | kMemory | kBusMaster);
}

IrqInfo Device::irq_info(IrqIndex irq) const {
  const uint32_t index = index_number(irq);
  const std::string object = detail::format("{} IRQ index {}", bdf_, index);
  if (index >= num_irqs_)
    throw_error("VFIO_DEVICE_GET_IRQ_INFO", object, EINVAL,
                detail::format("the device has IRQ indexes 0..{}", num_irqs_ - 1));
  const auto q = raw::vfio_ops().irq_info(fd_->get(), index);
  if (!q) throw_error("VFIO_DEVICE_GET_IRQ_INFO", object, q.err);
  return {irq_at(q.value.index), q.value.flags, q.value.count};
}

std::vector<IrqInfo> Device::irqs() const {
  std::vector<IrqInfo> out;
  for (uint32_t i = 0; i < num_irqs_; ++i) {
    try {
      out.push_back(irq_info(irq_at(i)));
    } catch (const Error& e) {
      // vfio-pci answers EINVAL for ERR on conventional (non-PCIe) devices: none there.
      if (irq_at(i) != IrqIndex::kErr || e.error_code() != EINVAL) throw;
      out.push_back({irq_at(i), 0, 0});
    }
  }
  return out;
}

IrqSet Device::enable_irq(IrqIndex index, uint32_t count) const {
  const IrqInfo info = irq_info(index);
  if (info.count < count)
    throw_error("VFIO_DEVICE_SET_IRQS", detail::format("{} {}", bdf_, info.name()), EINVAL,
                detail::format("asked for {} vectors, the device offers {}", count, info.count));
  return IrqSet(fd_, index, count, bdf_);
}

void Device::reset() const {
  if (const auto r = raw::vfio_ops().device_reset(fd_->get()); !r)
    throw_error("VFIO_DEVICE_RESET", bdf_, r.err,
                r.err == ENOTTY || r.err == EINVAL
                    ? "the device offers no reset VFIO can use (no FLR, PM reset or "
                      "exclusive bus); see reset_method in sysfs"
                    : "");
}

std::vector<std::string> Device::reset_methods() const {
  std::vector<std::string> out;
  if (auto s = Sysfs().attr(bdf_, "reset_method")) {
    std::istringstream in(*s);
    for (std::string m; in >> m;) out.push_back(m);
  }
  return out;
}

std::vector<HotResetDevice> Device::hot_reset_info() const {
  const auto reply = raw::vfio_ops().hot_reset_info(fd_->get());
  if (!reply)
    throw_error("VFIO_DEVICE_GET_PCI_HOT_RESET_INFO", bdf_, reply.err,
                reply.err == ENODEV   ? "no hot reset: the device is not alone on a bus that "
                                        "can be reset (or is on the root bus)"
                : reply.err == ENOSPC ? "the kernel kept asking for a larger buffer"
                                      : "");
  return decode_hot_reset_info(reply.value, ctx_->owned_groups(), bdf_);
}

std::vector<HotResetDevice> decode_hot_reset_info(std::span<const uint8_t> reply,
                                                  const std::vector<int>& owned_groups,
                                                  const std::string& bdf) {
  const std::string op = "VFIO_DEVICE_GET_PCI_HOT_RESET_INFO";
  const auto info = read_struct<vfio_pci_hot_reset_info>(reply, 0, op, bdf);
  // A device is ours if its group is one this context holds (a container may hold
  // several), or, with dev_ids (iommufd), if the kernel gave it a dev_id.
  std::vector<HotResetDevice> out;
  const size_t first = offsetof(vfio_pci_hot_reset_info, devices);
  for (uint32_t i = 0; i < info.count; ++i) {
    const auto d = read_struct<vfio_pci_dependent_device>(
        reply, first + i * sizeof(vfio_pci_dependent_device), op,
        detail::format("{}, dependent device {} of {}", bdf, i, info.count));
    HotResetDevice h;
    h.bdf =
        detail::format("{:04x}:{:02x}:{:02x}.{:x}", d.segment, d.bus, d.devfn >> 3, d.devfn & 7);
#ifdef VFIO_PCI_HOT_RESET_FLAG_DEV_ID
    if (info.flags & VFIO_PCI_HOT_RESET_FLAG_DEV_ID) {
      h.dev_id = static_cast<int>(d.devid);
      h.owned = static_cast<int>(d.devid) != VFIO_PCI_DEVID_NOT_OWNED;
    } else
#endif
    {
      h.group_id = static_cast<int>(d.group_id);
      h.owned =
          std::find(owned_groups.begin(), owned_groups.end(), h.group_id) != owned_groups.end();
    }
    out.push_back(h);
  }
  return out;
}

void Device::hot_reset() const {
  const std::vector<int32_t> fds = ctx_->hot_reset_group_fds();
  if (const auto r = raw::vfio_ops().pci_hot_reset(fd_->get(), fds); !r)
    throw_error("VFIO_DEVICE_PCI_HOT_RESET", bdf_, r.err,
                r.err == EPERM || r.err == EINVAL
                    ? "every device the reset affects must be opened by this process (see "
                      "hot_reset_info / 'vfiokit info')"
                    : "");
}

}  // namespace vfiokit
