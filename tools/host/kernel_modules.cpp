#include "tools/host/kernel_modules.hpp"

#include <fmt/format.h>
#include <spawn.h>
#include <sys/wait.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

extern char** environ;

namespace vfiokit::host {
namespace {

std::string underscored(std::string s) {
  std::replace(s.begin(), s.end(), '-', '_');
  return s;
}

// Whether a modules.dep/modules.builtin line names module `u` (underscored).
bool names_module(const std::string& line, const std::string& u) {
  const auto colon = line.find(':');
  std::string path = line.substr(0, colon);
  const auto slash = path.rfind('/');
  std::string base = path.substr(slash == std::string::npos ? 0 : slash + 1);
  const auto ko = base.find(".ko");
  if (ko == std::string::npos) return false;
  return underscored(base.substr(0, ko)) == u;
}

}  // namespace

ModuleState module_state(const HostFs& fs, const std::string& name) {
  ModuleState m;
  m.name = name;
  const std::string u = underscored(name);
  m.loaded = fs.exists("sys/module/" + u);
  // Built-in code shows up in /sys/module only when it has parameters, so
  // also accept what the module creates.
  if (u == "vfio") m.loaded = m.loaded || fs.exists("dev/vfio/vfio");
  if (u == "vfio_pci") m.loaded = m.loaded || fs.exists("sys/bus/pci/drivers/vfio-pci");
  if (u == "iommufd") m.loaded = m.loaded || fs.exists("dev/iommu");
  const std::string rel = fs.kernel_release();
  if (!rel.empty()) {
    const std::string dir = "lib/modules/" + rel + "/";
    for (const auto& line : fs.lines(dir + "modules.builtin"))
      if (names_module(line, u)) m.builtin = true;
    for (const auto& line : fs.lines(dir + "modules.dep"))
      if (names_module(line, u)) m.available = true;
  }
  return m;
}

bool modprobe(const std::string& name, std::string* why) {
  std::vector<char*> argv = {const_cast<char*>("modprobe"), const_cast<char*>(name.c_str()),
                             nullptr};
  pid_t pid = 0;
  const int err = posix_spawnp(&pid, "modprobe", nullptr, nullptr, argv.data(), environ);
  if (err != 0) {
    if (why) *why = fmt::format("cannot run modprobe: {}", std::strerror(err));
    return false;
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return true;
  if (why)
    *why = WIFEXITED(status) ? fmt::format("modprobe {} exited {}", name, WEXITSTATUS(status))
                             : fmt::format("modprobe {} was killed", name);
  return false;
}

}  // namespace vfiokit::host
