#include "tests/vm/vm_support.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <sstream>

#include <gtest/gtest.h>

#include "vfio/sysfs.hpp"

namespace vfiokit::test {

std::vector<std::string> find_pci(uint16_t vendor, uint16_t device) {
  Sysfs s;
  std::vector<std::string> out;
  for (const auto& bdf : s.devices())
    if (s.hex_attr(bdf, "vendor") == vendor && s.hex_attr(bdf, "device") == device)
      out.push_back(bdf);
  return out;
}

std::vector<std::string> find_pci_class(uint32_t class_code) {
  Sysfs s;
  std::vector<std::string> out;
  for (const auto& bdf : s.devices())
    if (s.hex_attr(bdf, "class") == class_code) out.push_back(bdf);
  return out;
}

std::vector<Backend> test_backends() {
  std::vector<Backend> out;
  if (const char* env = std::getenv("VFIOKIT_BACKENDS")) {
    std::istringstream in(env);
    for (std::string name; std::getline(in, name, ',');) {
      const Backend b = parse_backend(name);
      if (!backend_available(b))
        ADD_FAILURE() << "VFIOKIT_BACKENDS asks for " << name << " but this kernel lacks it";
      out.push_back(b);
    }
    return out;
  }
  for (Backend b : {Backend::kContainer, Backend::kContainerType1, Backend::kIommufd})
    if (backend_available(b)) out.push_back(b);
  return out;
}

std::string backend_param_name(Backend b) {
  std::string s = backend_name(b);
  for (char& c : s)
    if (c == '-') c = '_';
  return s;
}

KernelLog::KernelLog() : fd_(::open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC)) {
  if (fd_ >= 0) lseek(fd_, 0, SEEK_END);
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

}  // namespace vfiokit::test
