#include "vfiokit/vfio/sysfs.hpp"

#include <algorithm>
#include <fstream>
#include <string_view>
#include <system_error>

#include "vfio/admissible_driver.hpp"
#include "vfio/format.hpp"
#include "vfio/text_parse.hpp"

namespace fs = std::filesystem;

namespace vfiokit {

fs::path Sysfs::device_dir(const std::string& bdf) const {
  return root_ / "sys/bus/pci/devices" / bdf;
}

bool Sysfs::has_device(const std::string& bdf) const {
  std::error_code ec;
  return fs::exists(device_dir(bdf), ec);
}

std::vector<std::string> Sysfs::devices() const {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(root_ / "sys/bus/pci/devices", ec))
    out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

std::optional<int> Sysfs::iommu_group(const std::string& bdf) const {
  std::error_code ec;
  const fs::path link = fs::read_symlink(device_dir(bdf) / "iommu_group", ec);
  if (ec) return std::nullopt;
  const auto g = parse_u64(link.filename().string());
  if (!g || *g > INT32_MAX) return std::nullopt;
  return static_cast<int>(*g);
}

std::vector<std::string> Sysfs::group_devices(int group) const {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(
           root_ / "sys/kernel/iommu_groups" / std::to_string(group) / "devices", ec))
    out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

bool driver_allows_vfio(const std::optional<std::string>& driver) {
  return pci::driver_leaves_group_usable(driver);
}

std::vector<std::string> Sysfs::group_blockers(int group) const {
  std::vector<std::string> out;
  for (const auto& member : group_devices(group))
    if (!driver_allows_vfio(driver(member))) out.push_back(member);
  return out;
}

std::optional<std::string> Sysfs::driver(const std::string& bdf) const {
  std::error_code ec;
  const fs::path link = fs::read_symlink(device_dir(bdf) / "driver", ec);
  if (ec) return std::nullopt;
  return link.filename().string();
}

std::optional<std::string> Sysfs::vfio_cdev(const std::string& bdf) const {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(device_dir(bdf) / "vfio-dev", ec)) {
    const std::string name = e.path().filename().string();
    if (name.rfind("vfio", 0) == 0) return name;
  }
  return std::nullopt;
}

std::optional<std::string> Sysfs::attr(const std::string& bdf, const std::string& name) const {
  std::ifstream in(device_dir(bdf) / name);
  if (!in) return std::nullopt;
  std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

std::string Sysfs::not_on_vfio_hint(const std::string& bdf) const {
  if (const auto cls = hex_attr(bdf, "class"); cls && is_bridge_class(*cls))
    return detail::format(
        "it is a bridge (class {:06x}), which VFIO does not take: open the "
        "device behind it",
        *cls);
  const auto drv = driver(bdf);
  return detail::format("the device is bound to {}, not vfio-pci: 'vfiokit bind {}'",
                        drv ? *drv : "no driver", bdf);
}

std::optional<uint32_t> Sysfs::hex_attr(const std::string& bdf, const std::string& name) const {
  auto s = attr(bdf, name);
  if (!s) return std::nullopt;
  const auto v = parse_u64(*s, 16);
  if (!v || *v > UINT32_MAX) return std::nullopt;
  return static_cast<uint32_t>(*v);
}

}  // namespace vfiokit
