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

std::optional<std::string> KernelLog::wait_for_line(
    const std::function<bool(const std::string&)>& wanted, int timeout_ms) {
  for (int waited = 0;; waited += 100) {
    for (const auto& l : lines())
      if (wanted(l)) return l;
    if (waited >= timeout_ms) return std::nullopt;
    usleep(100 * 1000);
  }
}

std::string KernelLog::wait_for(const std::string& needle, int timeout_ms) {
  return wait_for_line([&](const std::string& l) { return l.find(needle) != std::string::npos; },
                       timeout_ms)
      .value_or("");
}

std::optional<IommuFault> KernelLog::wait_for_fault(const std::string& bdf, uint64_t iova,
                                                    uint64_t size, int timeout_ms) {
  std::optional<IommuFault> fault;
  const auto line = wait_for_line(
      [&](const std::string& l) {
        fault = parse_iommu_fault(l);
        return fault && fault_matches(*fault, bdf, iova, size);
      },
      timeout_ms);
  if (!line) return std::nullopt;
  return fault;
}

}  // namespace vfiokit
