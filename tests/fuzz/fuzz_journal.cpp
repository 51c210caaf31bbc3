// The bind journal: whatever is in journal.json (a crash mid-write, an edit by hand,
// another version) must load or give a vfiokit::Error, nothing else.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>

#include "tools/host/journal.hpp"
#include "vfiokit/vfio/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::filesystem::path dir = [] {
    auto d = std::filesystem::temp_directory_path() / ("vfiokit-fuzz-journal-" + std::to_string(getpid()));
    std::filesystem::create_directories(d);
    // The journal refuses a state directory others may write to.
    std::filesystem::permissions(d, std::filesystem::perms::owner_all);
    return d;
  }();
  {
    std::ofstream out(dir / "journal.json", std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  try {
    (void)vfiokit::host::Journal(dir).load();
  } catch (const vfiokit::Error&) {
  }
  return 0;
}
