// The files vfiokit's host checks read (/proc, /sys, /dev, /lib/modules), under
// a root directory that plays "/": the real one, or a fixture tree in tests.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "vfio/human_bytes.hpp"
#include "vfiokit/vfio/sysfs.hpp"

namespace vfiokit::host {

/// A view of a host's files under `root`. Every path the checks read goes
/// through here, so a fixture tree can stand in for a whole machine.
class HostFs {
 public:
  /// `root` plays "/" (default: the real root).
  explicit HostFs(std::filesystem::path root = "/");

  /// `rel` ("proc/cmdline") under the root.
  std::filesystem::path path(const std::filesystem::path& rel) const;
  /// Whether `rel` exists (symlinks followed).
  bool exists(const std::filesystem::path& rel) const;
  /// The whole file as text, or nullopt when it cannot be read.
  std::optional<std::string> read(const std::filesystem::path& rel) const;
  /// The file's first line without its newline, or nullopt.
  std::optional<std::string> read_line(const std::filesystem::path& rel) const;
  /// The file's lines, empty when it cannot be read.
  std::vector<std::string> lines(const std::filesystem::path& rel) const;
  /// The file's bytes (e.g. a device's binary `config`), empty when unreadable.
  std::vector<uint8_t> read_bytes(const std::filesystem::path& rel) const;
  /// Names in directory `rel`, sorted; empty when it is missing.
  std::vector<std::string> list(const std::filesystem::path& rel) const;
  /// Writes `text` to `rel` (a sysfs attribute); throws vfiokit::Error naming the file.
  void write(const std::filesystem::path& rel, const std::string& text) const;
  /// True when the root is the real "/" (the kernel is behind the files).
  bool is_real_root() const;

  /// The PCI view of the same root.
  const Sysfs& sysfs() const { return sysfs_; }
  const std::filesystem::path& root() const { return root_; }

  /// The running kernel's release: proc/sys/kernel/osrelease under the root
  /// (uname(2) for the real root when that file is unreadable).
  std::string kernel_release() const;

 private:
  std::filesystem::path root_;
  Sysfs sysfs_;
};

/// "sys/bus/pci/devices/<bdf>", relative to a HostFs root.
inline std::filesystem::path device_rel(const std::string& bdf) {
  return std::filesystem::path("sys/bus/pci/devices") / bdf;
}
/// Splits on whitespace.
std::vector<std::string> split_ws(const std::string& s);
/// Bytes as "4 KiB", "256 MiB", "1.5 GiB" (vfio/human_bytes.hpp: the same words as the proof).
using pci::human_bytes;

}  // namespace vfiokit::host
