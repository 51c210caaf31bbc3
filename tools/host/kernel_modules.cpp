#include "tools/host/kernel_modules.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

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

bool vfio_container_node_exists(const HostFs& fs) {
  return fs.exists("dev/vfio/vfio") || fs.exists("sys/class/misc/vfio");
}

bool iommufd_node_exists(const HostFs& fs) {
  return fs.exists("dev/iommu") || fs.exists("sys/class/misc/iommu");
}

ModuleState module_state(const HostFs& fs, const std::string& name) {
  ModuleState m;
  m.name = name;
  const std::string u = underscored(name);
  m.loaded = fs.exists("sys/module/" + u);
  // Built-in code shows up in /sys/module only when it has parameters, so
  // also accept what the module creates.
  if (u == "vfio") m.loaded = m.loaded || vfio_container_node_exists(fs);
  if (u == "vfio_pci") m.loaded = m.loaded || fs.exists("sys/bus/pci/drivers/vfio-pci");
  if (u == "iommufd") m.loaded = m.loaded || iommufd_node_exists(fs);
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

bool modprobe(const std::string& name, std::string* why, const ModprobeOptions& how) {
  const auto fail = [why](std::string reason) {
    if (why) *why = std::move(reason);
    return false;
  };
  const std::string* program = nullptr;
  for (const auto& p : how.programs)
    if (::access(p.c_str(), X_OK) == 0) {
      program = &p;
      break;
    }
  if (!program)
    return fail(fmt::format("cannot run modprobe: none of {} exists (install kmod)",
                            fmt::join(how.programs, ", ")));

  std::vector<char*> argv = {const_cast<char*>(program->c_str()), const_cast<char*>(name.c_str()),
                             nullptr};
  std::vector<char*> envp;
  for (const auto& e : how.environment) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&actions);
  posix_spawnattr_init(&attr);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  // Its own process group, so the timeout also kills what modprobe.d's install
  // commands started; the default SIGINT/SIGTERM, whatever the caller set.
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGINT);
  sigaddset(&defaults, SIGTERM);
  sigaddset(&defaults, SIGPIPE);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF);
  pid_t pid = 0;
  const int err = posix_spawn(&pid, program->c_str(), &actions, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (err != 0) return fail(fmt::format("cannot run {}: {}", *program, std::strerror(err)));

  const auto reap = [pid](int& status) {
    pid_t got = 0;
    while ((got = waitpid(pid, &status, WNOHANG)) < 0 && errno == EINTR) {
    }
    return got;
  };
  const auto wait_until = [&reap](std::chrono::steady_clock::time_point until, int& status) {
    for (;;) {
      const pid_t got = reap(status);
      if (got != 0 || std::chrono::steady_clock::now() >= until) return got;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  };
  int status = 0;
  pid_t got =
      wait_until(std::chrono::steady_clock::now() + std::chrono::seconds(how.timeout_s), status);
  if (got == 0) {
    ::kill(-pid, SIGKILL);
    got = wait_until(
        std::chrono::steady_clock::now() + std::chrono::milliseconds(how.kill_grace_ms), status);
    if (got == 0)
      return fail(fmt::format(
          "modprobe {} timed out after {} s and did not exit after SIGKILL (D state? the "
          "module's init may hang: see dmesg)",
          name, how.timeout_s));
    if (got > 0)
      return fail(
          fmt::format("modprobe {} timed out after {} s (killed; see dmesg)", name, how.timeout_s));
  }
  if (got < 0)
    return fail(fmt::format("waiting for modprobe {} failed: {}", name, std::strerror(errno)));
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return true;
  if (WIFEXITED(status))
    return fail(fmt::format("modprobe {} exited {}", name, WEXITSTATUS(status)));
  if (WIFSIGNALED(status))
    return fail(fmt::format("modprobe {} was killed by signal {}", name, WTERMSIG(status)));
  return fail(fmt::format("modprobe {} ended with wait status {:#x}", name, status));
}

}  // namespace vfiokit::host
