// `vfiokit info BDF --iommu-tables`: what the IOMMU really mapped. vfiokit maps a buffer
// of 4 KiB pages and, where a 2 MiB hugepage is free, a hugepage buffer, reads the IOMMU
// driver's own page table of the device from debugfs (Intel VT-d:
// iommu/intel/<bdf>/domain_translation_struct) and checks it against the mappings
// (tools/host/iommu_page_table.hpp); then unmaps and checks nothing is left.
#include <fmt/format.h>
#include <sys/mount.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <optional>

#include "check/check.hpp"
#include "tools/host/host_fs.hpp"
#include "tools/host/iommu_page_table.hpp"
#include "tools/host/pagemap.hpp"
#include "tools/host/pci_facts.hpp"
#include "tools/vfiokit/commands.hpp"
#include "vfio/text_parse.hpp"
#include "vfiokit/dma/buffer.hpp"
#include "vfiokit/dma/mapping.hpp"
#include "vfiokit/vfio/device.hpp"
#include "vfiokit/vfio/error.hpp"

namespace vfiokit::cli {
namespace {

namespace sfs = std::filesystem;
using check::Verdict;

constexpr const char* kDebugfs = "/sys/kernel/debug";

/// debugfs mounted for the command's life when it was not (and unmounted after).
class DebugfsMount {
 public:
  DebugfsMount() {
    if (sfs::exists(sfs::path(kDebugfs) / "iommu") || !sfs::is_directory(kDebugfs)) return;
    mounted_ = ::mount("debugfs", kDebugfs, "debugfs", 0, nullptr) == 0;
  }
  ~DebugfsMount() {
    if (mounted_) ::umount2(kDebugfs, MNT_DETACH);
  }
  DebugfsMount(const DebugfsMount&) = delete;
  DebugfsMount& operator=(const DebugfsMount&) = delete;

 private:
  bool mounted_ = false;
};

/// Whether the VT-d unit `unit` (dmarN) offers 2 MiB second-level superpages: capability
/// register bit 34 (SLLPS, VT-d spec 11.4.2).
bool offers_2m(const host::HostFs& fs, const std::string& unit) {
  const auto cap = fs.read_line(sfs::path("sys/class/iommu") / unit / "intel-iommu/cap");
  const auto v = cap ? parse_u64(*cap, 16) : std::nullopt;
  return v && (*v >> 34 & 1);
}

/// The expectation for a mapped buffer: each 4 KiB page's physical address.
host::ExpectedMapping expect(const std::string& what, const DmaBuffer& buf, uint64_t iova,
                             uint64_t page_size) {
  host::ExpectedMapping m{what, iova, buf.size(), {}, page_size};
  for (size_t off = 0; off < buf.size(); off += 4096) {
    const auto pa = host::physical_address(buf.bytes() + off);
    if (!pa)
      throw_error("read the buffer's physical pages", "/proc/self/pagemap", EPERM,
                  "the kernel hides page frame numbers without CAP_SYS_ADMIN: run as root");
    m.phys_pages.push_back(*pa);
  }
#ifdef VFIOKIT_TEST_HOOKS
  // Test builds only (vfiokit-testhooks): a deliberately wrong expectation, to show the
  // check fails and prints both sides.
  if (std::getenv("VFIOKIT_TEST_IOMMU_TABLES_WRONG"))
    for (auto& p : m.phys_pages) p += 4096;
#endif
  return m;
}

host::IommuPageTable read_table(const sfs::path& file) {
  const host::HostFs root("/");
  const auto text = root.read(file.relative_path());
  if (!text) throw_error("read", file.string(), errno ? errno : EIO);
  return host::parse_vtd_page_table(*text);
}

check::Check mapping_check(const std::string& id, const host::ExpectedMapping& m,
                           const host::IommuPageTable& t) {
  const host::PageTableMismatch r = host::compare_page_table(t, {m}, false);
  check::Check c{id, m.what, Verdict::kPass, "", "", {}};
  const auto leaves = host::leaves_in(t, m.iova, m.size);
  c.data = {{"iova", m.iova},
            {"bytes", m.size},
            {"expected_page_size", m.page_size},
            {"iommu_pages", leaves.size()}};
  if (!r.ok()) {
    c.verdict = Verdict::kFail;
    c.summary = r.problems.front();
    c.data["problems"] = r.problems;
    c.hint =
        "the IOMMU maps something other than what VFIO was asked to map: a kernel bug to "
        "report with this output";
    return c;
  }
  c.summary = fmt::format(
      "IOVA {:#x}-{:#x}: {} IOMMU page(s) of {}, each at the buffer's "
      "physical page (first {:#x})",
      m.iova, m.iova + m.size, leaves.size(), host::human_bytes(m.page_size), m.phys_pages.front());
  return c;
}

struct Mapped {
  DmaBuffer buf;
  DmaMapping map;
  host::ExpectedMapping expected;
};

std::vector<check::Check> check_tables(const host::HostFs& fs, const std::string& bdf,
                                       const std::string& backend, const sfs::path& file,
                                       const std::string& unit) {
  std::vector<check::Check> out;
  auto ctx = open_iommu_context(parse_backend(backend), bdf);
  Device dev(ctx, bdf);
  const auto space = DmaSpace::create(ctx, UINT64_MAX);
  std::vector<Mapped> maps;
  DmaBuffer small = DmaBuffer::allocate(64 * 1024, PageBacking::k4K, true);
  DmaMapping small_map = space->map(small);
  const uint64_t small_iova = small_map.iova();
  maps.push_back({std::move(small), std::move(small_map), {}});
  maps.back().expected = expect("64 KiB buffer, 4 KiB pages", maps.back().buf, small_iova, 4096);
  const bool superpages = offers_2m(fs, unit);
  if (free_hugepages(2u << 20) > 0) {
    DmaBuffer huge = DmaBuffer::allocate(2u << 20, PageBacking::k2M, true);
    DmaMapping huge_map = space->map(huge);
    const uint64_t iova = huge_map.iova();
    maps.push_back({std::move(huge), std::move(huge_map), {}});
    maps.back().expected =
        expect(superpages ? "2 MiB hugepage buffer, one 2 MiB IOMMU page"
                          : "2 MiB hugepage buffer (the IOMMU has no 2 MiB pages)",
               maps.back().buf, iova, superpages ? 2u << 20 : 4096);
  }
  const host::IommuPageTable mapped = read_table(file);
  out.push_back({"iommu_tables.source",
                 "page table",
                 Verdict::kPass,
                 fmt::format("{} of {} (root {:#x}): {} leaf entries while mapped; 2 MiB "
                             "superpages {}",
                             file.string(), unit, mapped.root, mapped.leaves.size(),
                             superpages ? "offered (SLLPS)" : "not offered"),
                 "",
                 {{"file", file.string()}, {"unit", unit}, {"superpages_2m", superpages}}});
  std::vector<host::ExpectedMapping> all;
  for (const auto& m : maps) {
    out.push_back(
        mapping_check(all.empty() ? "iommu_tables.4k" : "iommu_tables.2m", m.expected, mapped));
    all.push_back(m.expected);
  }
  if (maps.size() == 1)
    out.push_back({"iommu_tables.2m",
                   "2 MiB hugepage buffer",
                   Verdict::kSkip,
                   "no free 2 MiB hugepage to map (vm.nr_hugepages)",
                   "",
                   {}});
  check::Check f{"iommu_tables.foreign",
                 "nothing else",
                 Verdict::kPass,
                 "nothing is mapped in the device's domain that vfiokit did not map",
                 "",
                 {}};
  std::vector<std::string> extra;
  for (const auto& l : host::foreign_leaves(mapped, all))
    extra.push_back(host::describe_foreign(l));
  if (!extra.empty()) {
    f.verdict = Verdict::kFail, f.summary = extra.front(), f.data["problems"] = extra;
  }
  out.push_back(f);
  for (auto& m : maps) m.map.unmap();
  const host::IommuPageTable after = read_table(file);
  check::Check u{"iommu_tables.unmap",
                 "after unmap",
                 Verdict::kPass,
                 "nothing left in the IOMMU after unmap",
                 "",
                 {}};
  if (!after.leaves.empty()) {
    const auto& l = after.leaves.front();
    u.verdict = Verdict::kFail;
    u.summary = fmt::format("{} IOMMU page(s) left after unmap, first IOVA {:#x} ({}) -> {:#x}",
                            after.leaves.size(), l.iova, host::human_bytes(l.size), l.phys);
  }
  out.push_back(u);
  return out;
}

}  // namespace

int run_iommu_tables(const GlobalOptions& g, const std::string& text, const std::string& backend) {
  const host::HostFs fs(g.root);
  const std::string bdf = host::require_device(fs, text);
  check::Report report{bdf, {}};
  std::error_code ec;
  const std::string unit =
      sfs::read_symlink(fs.path(host::device_rel(bdf) / "iommu"), ec).filename().string();
  const DebugfsMount debugfs;
  const sfs::path file = sfs::path(kDebugfs) / "iommu/intel" / bdf / "domain_translation_struct";
  if (ec) {
    report.checks.push_back(
        {"iommu_tables.source", "page table", Verdict::kSkip, "the device has no IOMMU", "", {}});
  } else if (unit.rfind("dmar", 0) != 0) {
    report.checks.push_back({"iommu_tables.source",
                             "page table",
                             Verdict::kSkip,
                             fmt::format("{} is not an Intel VT-d unit: only VT-d shows a device's "
                                         "page table in debugfs on this kernel",
                                         unit),
                             "",
                             {}});
  } else if (!sfs::exists(file)) {
    report.checks.push_back(
        {"iommu_tables.source",
         "page table",
         Verdict::kSkip,
         fmt::format("no {}: the kernel needs CONFIG_IOMMU_DEBUGFS and "
                     "CONFIG_INTEL_IOMMU_DEBUGFS (the test bed's iommufd kernel has them)",
                     file.string()),
         "",
         {}});
  } else {
    report.checks = check_tables(fs, bdf, backend, file, unit);
  }
  const std::vector<check::Report> reports{report};
  if (g.json)
    print_json(check::document("info", reports));
  else
    std::fputs(check::render_text(reports, g.color).c_str(), stdout);
  return check::exit_status(reports);
}

}  // namespace vfiokit::cli
