// A throwaway sysfs tree with one PCI device, for the pci/ tests that need a file to be
// wrong in a way the committed fixtures (tests/fixtures) are not.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace vfiokit::pci::testing {

class DeviceTree {
 public:
  explicit DeviceTree(const std::string& bdf) : bdf_(bdf) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "vfiokit-pci-XXXXXX").string();
    root_ = mkdtemp(tmpl.data());
    std::filesystem::create_directories(dir());
  }
  ~DeviceTree() {
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }
  DeviceTree(const DeviceTree&) = delete;
  DeviceTree& operator=(const DeviceTree&) = delete;

  /// Writes the device's attribute `name`.
  void write(const std::string& name, const std::string& text) const {
    std::ofstream(dir() / name) << text;
  }
  std::filesystem::path dir() const { return root_ / "sys/bus/pci/devices" / bdf_; }
  const std::filesystem::path& root() const { return root_; }

 private:
  std::string bdf_;
  std::filesystem::path root_;
};

}  // namespace vfiokit::pci::testing
