#include "vfio/kernel_log.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace vfiokit {

KernelLog::KernelLog() : fd_(::open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC)) {
  if (fd_ >= 0)
    lseek(fd_, 0, SEEK_END);
  else
    why_ = std::string("/dev/kmsg: ") + std::strerror(errno);
}

KernelLog::~KernelLog() {
  if (fd_ >= 0) ::close(fd_);
}

std::vector<std::string> KernelLog::lines() {
  std::vector<std::string> out;
  char rec[8192];
  while (fd_ >= 0) {
    const ssize_t n = ::read(fd_, rec, sizeof(rec) - 1);
    if (n < 0 && errno == EPIPE) continue;  // overwritten records: skip ahead
    if (n <= 0) break;
    rec[n] = 0;
    const char* msg = std::strchr(rec, ';');  // "prio,seq,usec,flags;text"
    std::string line = msg ? msg + 1 : rec;
    if (auto nl = line.find('\n'); nl != std::string::npos) line.erase(nl);
    out.push_back(line);
  }
  return out;
}

std::string KernelLog::wait_for(const std::string& needle, int timeout_ms) {
  for (int waited = 0;; waited += 100) {
    for (const auto& l : lines())
      if (l.find(needle) != std::string::npos) return l;
    if (waited >= timeout_ms) return {};
    usleep(100 * 1000);
  }
}

std::optional<IommuFault> KernelLog::wait_for_fault(const std::string& bdf, uint64_t iova,
                                                    uint64_t size, int timeout_ms) {
  for (int waited = 0;; waited += 100) {
    for (const auto& l : lines())
      if (const auto f = parse_iommu_fault(l); f && fault_matches(*f, bdf, iova, size)) return f;
    if (waited >= timeout_ms) return std::nullopt;
    usleep(100 * 1000);
  }
}

}  // namespace vfiokit
