#include <cerrno>
#include <fstream>
#include <iterator>

#include "pci/bar.hpp"
#include "vfio/format.hpp"
#include "vfio/text_parse.hpp"
#include "vfiokit/vfio/error.hpp"

namespace vfiokit::pci {
namespace {

// include/linux/ioport.h
constexpr uint64_t kIoResourceIo = 0x100, kIoResourceMem = 0x200, kIoResourcePrefetch = 0x2000,
                   kIoResourceMem64 = 0x100000, kIoResourceUnset = 0x20000000;

Bar bar_of(unsigned index, const ResourceLine& res) {
  Bar b;
  b.index = index;
  b.start = res.start;
  b.end = res.end;
  b.size = res.end - res.start + 1;
  b.io = res.flags & kIoResourceIo;
  b.mem64 = res.flags & kIoResourceMem64;
  b.prefetchable = res.flags & kIoResourcePrefetch;
  b.assigned = !(res.flags & kIoResourceUnset) && res.start != 0 &&
               (res.flags & (kIoResourceIo | kIoResourceMem));
  return b;
}

}  // namespace

std::vector<Bar> parse_bars(std::string_view text, const std::string& source) {
  std::vector<Bar> bars;
  unsigned index = 0;
  // Bridges list their windows after the ROM: only the device's own BARs are read.
  for (size_t pos = 0; pos < text.size() && index <= kRomBarIndex; ++index) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    const std::string_view line = text.substr(pos, nl - pos);
    pos = nl + 1;
    const auto res = parse_resource_line(line);
    if (!res)
      throw_error("parse PCI resource line", source, EINVAL,
                  detail::format("line {} is \"{}\", not three hexadecimal numbers (start, end, "
                                 "flags) with end >= start: is this a PCI device's sysfs "
                                 "resource file?",
                                 index + 1, std::string(line)));
    if (res->start == 0 && res->end == 0) continue;  // not implemented, or no resource
    bars.push_back(bar_of(index, *res));
  }
  return bars;
}

std::vector<Bar> read_bars(const Sysfs& sysfs, const std::string& bdf) {
  const auto path = sysfs.device_dir(bdf) / "resource";
  std::ifstream in(path);
  if (!in) return {};
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return parse_bars(text, path.string());
}

}  // namespace vfiokit::pci
