#include "tools/host/trace_session.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>

#include "vfiokit/vfio/error.hpp"

namespace vfiokit::host {
namespace {

namespace fs = std::filesystem;

// Where tracefs is mounted, from /proc/self/mounts; empty when it is not.
fs::path tracefs_mount() {
  std::ifstream in("/proc/self/mounts");
  for (std::string dev, dir, type, rest; in >> dev >> dir >> type && std::getline(in, rest);)
    if (type == "tracefs") return dir;
  return {};
}

}  // namespace

TraceSession::TraceSession(const std::vector<std::string>& events)
    : tracefs_(tracefs_mount()), events_(events) {
  if (tracefs_.empty()) {
    tracefs_ = "/sys/kernel/tracing";
    if (::mount("nodev", tracefs_.c_str(), "tracefs", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) !=
        0)
      throw_error("mount tracefs", tracefs_.string(), errno,
                  errno == ENODEV || errno == ENOENT
                      ? "this kernel has no tracefs (CONFIG_FTRACE with CONFIG_TRACING; "
                        "Debian's kernel has it)"
                      : "run as root, or mount it: mount -t tracefs nodev "
                        "/sys/kernel/tracing");
    mounted_by_us_ = true;
  }
  if (!fs::exists(tracefs_ / "events/iommu")) {
    const std::string where = tracefs_.string();
    release();
    throw_error("find the iommu trace events", where + "/events/iommu", ENOENT,
                "this kernel has no IOMMU trace events (CONFIG_IOMMU_API with tracing: "
                "Debian's kernel has them, the test bed's tinyconfig kernels do not)");
  }
  instance_ = tracefs_ / "instances" / ("vfiokit-" + std::to_string(::getpid()));
  if (::mkdir(instance_.c_str(), 0700) != 0) {
    const int err = errno;
    const std::string where = instance_.string();
    instance_.clear();
    release();
    throw_error("create a tracefs instance", where, err,
                err == EEXIST ? "a stale instance of an earlier run: rmdir it"
                              : "run as root (tracefs instances need CAP_SYS_ADMIN)");
  }
  try {
    for (const auto& e : events_) write(instance_ / "events/iommu" / e / "enable", "1");
  } catch (...) {
    release();
    throw;
  }
}

TraceSession::~TraceSession() { release(); }

void TraceSession::release() {
  if (!instance_.empty()) {
    if (!stopped_)
      for (const auto& e : events_) {
        std::ofstream(instance_ / "events/iommu" / e / "enable") << "0";
      }
    ::rmdir(instance_.c_str());  // removes the instance's buffer with it
    instance_.clear();
  }
  if (mounted_by_us_) {
    ::umount2(tracefs_.c_str(), MNT_DETACH);
    mounted_by_us_ = false;
  }
}

void TraceSession::write(const fs::path& file, const std::string& text) const {
  const int fd = ::open(file.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) throw_error("open", file.string(), errno, "the kernel lacks this trace event");
  const ssize_t n = ::write(fd, text.data(), text.size());
  const int err = errno;
  ::close(fd);
  if (n != static_cast<ssize_t>(text.size()))
    throw_error("write '" + text + "' to", file.string(), n < 0 ? err : EIO);
}

std::vector<std::string> TraceSession::stop_and_read() {
  for (const auto& e : events_) write(instance_ / "events/iommu" / e / "enable", "0");
  stopped_ = true;
  std::vector<std::string> lines;
  std::ifstream in(instance_ / "trace");
  for (std::string line; lines.size() < (1u << 20) && std::getline(in, line);)
    lines.push_back(std::move(line));
  return lines;
}

}  // namespace vfiokit::host
