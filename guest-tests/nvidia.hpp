// The NVIDIA driver as a guest sees it: the kernel module's version from
// /proc/driver/nvidia/version and what nvidia-smi reports per GPU.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "guest-tests/subprocess.hpp"

namespace vfiokit::guest {

/// The kernel module version ("580.95.05") from <root>/proc/driver/nvidia/version, or nullopt.
std::optional<std::string> nvidia_module_version(const std::filesystem::path& root);

/// One line of `nvidia-smi --query-gpu=...`.
struct SmiGpu {
  std::string bdf;  ///< normalised to sysfs form ("0000:01:00.0")
  std::string name, driver_version;
  unsigned link_gen_cur = 0, link_gen_max = 0, link_width_cur = 0, link_width_max = 0;
  double memory_mib = 0;
};

/// What nvidia-smi said.
struct SmiReport {
  bool ran = false;     ///< nvidia-smi could be executed and exited 0
  std::string version;  ///< "NVIDIA-SMI version  : 580.95.05" value, empty if unknown
  std::string error;    ///< its complaint when it failed ("No devices were found", ...)
  std::vector<SmiGpu> gpus;
};

/// The query nvidia-smi is run with (fields in SmiGpu order).
std::vector<std::string> nvidia_smi_query_argv(const std::string& program);

/// Parses the CSV (noheader,nounits) output of the query; malformed lines are skipped.
std::vector<SmiGpu> parse_nvidia_smi_csv(const std::string& text);

/// Parses `nvidia-smi --version` output into the version string, empty if absent.
std::string parse_nvidia_smi_version(const std::string& text);

/// Runs `program --version` and the query through `runner`.
SmiReport query_nvidia_smi(CommandRunner& runner, const std::string& program = "nvidia-smi");

}  // namespace vfiokit::guest
