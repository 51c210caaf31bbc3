#include "tests/vm/vm_support.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <sstream>

#include "vfiokit/vfio/sysfs.hpp"

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

std::string env_or(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v ? v : fallback;
}

long first_diff(const uint8_t* a, const uint8_t* b, size_t n) {
  for (size_t i = 0; i < n; ++i)
    if (a[i] != b[i]) return static_cast<long>(i);
  return -1;
}

}  // namespace vfiokit::test
