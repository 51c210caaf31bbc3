#include "bench/bench_env.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "vfiokit/vfio/error.hpp"
#include "vfiokit/vfio/sysfs.hpp"

namespace vfiokit::bench {

Options& options() {
  static Options o;
  return o;
}

std::string size_label(uint64_t bytes) {
  if (bytes >= (1ull << 30) && bytes % (1ull << 30) == 0) return fmt::format("{}G", bytes >> 30);
  if (bytes >= (1ull << 20) && bytes % (1ull << 20) == 0) return fmt::format("{}M", bytes >> 20);
  if (bytes >= (1ull << 10) && bytes % (1ull << 10) == 0) return fmt::format("{}K", bytes >> 10);
  return fmt::format("{}", bytes);
}

uint64_t parse_size(const std::string& text, const std::string& what) {
  size_t pos = 0;
  uint64_t v = 0;
  try {
    v = std::stoull(text, &pos, 0);
  } catch (const std::exception&) {
    pos = 0;
  }
  if (pos == 0)
    throw_error("parse size", what + " '" + text + "'", EINVAL,
                "give bytes, e.g. 4096, 64K, 2M or 1G");
  const std::string unit = text.substr(pos);
  int shift = -1;
  if (unit.empty())
    shift = 0;
  else if (unit == "k" || unit == "K" || unit == "KiB")
    shift = 10;
  else if (unit == "m" || unit == "M" || unit == "MiB")
    shift = 20;
  else if (unit == "g" || unit == "G" || unit == "GiB")
    shift = 30;
  if (shift < 0)
    throw_error("parse size", what + " '" + text + "'", EINVAL,
                "the unit must be K, M or G (binary)");
  return v << shift;
}

std::string find_pci(uint16_t vendor, uint16_t device) {
  Sysfs s;
  for (const auto& bdf : s.devices())
    if (s.hex_attr(bdf, "vendor") == vendor && s.hex_attr(bdf, "device") == device) return bdf;
  return {};
}

std::string find_vfio_pci_class(uint32_t class_code) {
  Sysfs s;
  for (const auto& bdf : s.devices())
    if (s.hex_attr(bdf, "class") == class_code && s.driver(bdf) == "vfio-pci") return bdf;
  return {};
}

namespace {

// A container whose type1 ioctls are served by iommufd has no vfio_iommu_type1
// module behind it (IOMMUFD_VFIO_CONTAINER); the label must say so, since its
// costs are iommufd's.
bool container_is_compat() {
  return !std::filesystem::exists("/sys/module/vfio_iommu_type1") &&
         std::filesystem::exists("/sys/module/iommufd");
}

std::string container_label(const std::string& bdf, Backend b) {
  Device dev = Device::open(bdf, b);
  if (container_is_compat()) return "compat";
  return dev.context()->name() == "container/type1" ? "type1" : "type1v2";
}

}  // namespace

std::vector<Target> resolve_targets(const std::string& bdf, const std::vector<std::string>& names) {
  std::vector<Target> out;
  auto add = [&](const std::string& label, Backend b) {
    for (const auto& t : out)
      if (t.label == label) return;
    out.push_back({label, b});
  };
  for (const auto& name : names) {
    if (name == "auto") {
      if (backend_available(Backend::kIommufd)) add("iommufd", Backend::kIommufd);
      if (backend_available(Backend::kContainer))
        add(container_label(bdf, Backend::kContainer), Backend::kContainer);
      continue;
    }
    if (name == "iommufd") {
      if (!backend_available(Backend::kIommufd))
        throw_error("backend iommufd", bdf, ENODEV,
                    VFIOKIT_HAVE_IOMMUFD ? "this kernel has no /dev/iommu (CONFIG_IOMMUFD)"
                                         : "this build has no iommufd UAPI headers");
      add("iommufd", Backend::kIommufd);
      continue;
    }
    if (name != "container" && name != "type1v2" && name != "type1" && name != "compat")
      throw_error("parse backends", "'" + name + "'", EINVAL,
                  "choose from auto, type1v2, type1, iommufd, compat, container");
    if (!backend_available(Backend::kContainer))
      throw_error("backend " + name, bdf, ENODEV, "this kernel has no /dev/vfio/vfio");
    const Backend b = name == "type1" ? Backend::kContainerType1 : Backend::kContainer;
    const std::string label = container_label(bdf, b);
    if (name != "container" && label != name)
      throw_error("backend " + name, bdf, ENODEV,
                  fmt::format("this kernel's /dev/vfio/vfio is {}; ask for '{}' (or 'container')",
                              label, label));
    add(label, b);
  }
  return out;
}

uint64_t reserve_hugepages(uint64_t n) {
  {
    std::ofstream out("/proc/sys/vm/nr_hugepages");
    out << n << '\n';
    out.flush();
    if (!out)
      throw_error("write /proc/sys/vm/nr_hugepages", fmt::format("{} pages", n),
                  errno ? errno : EIO,
                  "run as root on a kernel with CONFIG_HUGETLBFS, or leave --hugepages out");
  }
  return free_hugepages(2ull << 20);
}

uint64_t mem_available() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  uint64_t kb = 0;
  std::string unit;
  while (in >> key >> kb) {
    std::getline(in, unit);
    if (key == "MemAvailable:") return kb * 1024;
  }
  return 0;
}

std::optional<std::string> cannot_allocate(uint64_t size, PageBacking backing) {
  if (size > options().max_size)
    return fmt::format("{} bytes is above --max-size {} (raise it, and the VM's --mem)", size,
                       options().max_size);
  if (backing == PageBacking::k2M || backing == PageBacking::k1G) {
    const uint64_t page = backing_page_size(backing);
    const uint64_t need = (size + page - 1) / page, have = free_hugepages(page);
    if (have < need)
      return fmt::format("needs {} free {} hugepages, {} free: {}", need,
                         backing == PageBacking::k2M ? "2 MiB" : "1 GiB", have,
                         backing == PageBacking::k2M
                             ? "write /proc/sys/vm/nr_hugepages (or pass --hugepages N, or boot "
                               "with hugepagesz=2M hugepages=N)"
                             : "boot with hugepagesz=1G hugepages=N (or write "
                               "/sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages)");
    return std::nullopt;
  }
  const uint64_t avail = mem_available();
  if (avail && size > avail / 10 * 9)
    return fmt::format(
        "needs {} bytes, {} available: give the machine more memory (ci/vm/run --mem)", size,
        avail);
  return std::nullopt;
}

namespace {
std::unique_ptr<Session>& current() {
  static std::unique_ptr<Session> s;
  return s;
}
std::string current_label;
}  // namespace

Session::Session(const Target& target, const std::string& bdf)
    : target_(target), device_(Device::open(bdf, target.backend)) {}

Session& Session::get(const Target& target, const std::string& bdf) {
  auto& s = current();
  const std::string key = target.label + " " + bdf;
  if (!s || current_label != key) {
    s.reset();  // a device cannot be open in two backends at once
    s.reset(new Session(target, bdf));
    current_label = key;
  }
  return *s;
}

void Session::close() { current().reset(); }

const std::shared_ptr<DmaSpace>& Session::space(uint64_t iova_limit) {
  if (!space_ || space_limit_ != iova_limit) {
    space_.reset();
    space_ = DmaSpace::create(device_.context(), iova_limit);
    space_limit_ = iova_limit;
  }
  return space_;
}

double seconds_between(std::chrono::steady_clock::time_point a,
                       std::chrono::steady_clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

}  // namespace vfiokit::bench
