// The VFIO/iommufd DMA uAPI at its corners, asked of the kernel directly (raw ioctls,
// as the kernel's own selftests do: tools/testing/selftests/vfio/vfio_dma_mapping_test.c
// and vfio_dma_mapping_mmio_test.c), over every IOMMU mode the running kernel offers:
// type1, type1v2 (the legacy container, or iommufd's emulation of it on a kernel with
// CONFIG_IOMMUFD_VFIO_CONTAINER) and native iommufd. Each corner's answer is compared
// with what this kernel series is known to answer (kExpected below) and printed as a
// row "UAPI|mode|corner|answer"; ci/uapi-table turns the rows into docs/library.md's
// table, so a kernel that answers differently is a failing row, not a silent change.
//
// Needs an NVMe on vfio-pci with a controller memory buffer (QEMU: nvme,cmb_size_mb=N)
// for the BAR-into-IOMMU corner. $VFIOKIT_CONTAINER_KIND says what serves
// /dev/vfio/vfio: "type1" (vfio_iommu_type1) or "compat" (iommufd's emulation).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/iommufd.h>
#include <linux/vfio.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "tests/vm/vm_support.hpp"

namespace vfiokit {
namespace {

constexpr uint64_t kPage = 4096;
constexpr uint32_t kNvmeClass = 0x010802;

/// An ioctl's answer as a word: "ok" or the errno's name (glibc's strerrorname_np).
std::string answer(int rc) {
  if (rc == 0) return "ok";
  const char* name = strerrorname_np(errno);
  return name ? name : "errno " + std::to_string(errno);
}

struct Range {
  uint64_t start, last;
};

/// One IOMMU mode, set up the way its uAPI asks, with the NVMe attached.
class Mode {
 public:
  virtual ~Mode() = default;
  virtual int map(const void* va, uint64_t iova, uint64_t size) = 0;
  /// Unmaps [iova, iova+size); `*unmapped` gets the bytes the kernel says it unmapped.
  virtual int unmap(uint64_t iova, uint64_t size, uint64_t* unmapped) = 0;
  virtual int unmap_all(uint64_t* unmapped) = 0;
  virtual std::vector<Range> ranges() = 0;
  int device_fd() const { return device_; }

 protected:
  int device_ = -1;
};

int must_open(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) ADD_FAILURE() << "open " << path << ": " << std::strerror(errno);
  return fd;
}

std::string group_of(const std::string& bdf) {
  return std::filesystem::read_symlink("/sys/bus/pci/devices/" + bdf + "/iommu_group")
      .filename()
      .string();
}

class ContainerMode : public Mode {
 public:
  ContainerMode(const std::string& bdf, uint32_t type) {
    container_ = must_open("/dev/vfio/vfio");
    group_ = must_open("/dev/vfio/" + group_of(bdf));
    vfio_group_status st{sizeof st, 0};
    EXPECT_EQ(ioctl(group_, VFIO_GROUP_GET_STATUS, &st), 0);
    EXPECT_TRUE(st.flags & VFIO_GROUP_FLAGS_VIABLE) << "group of " << bdf << " not viable";
    EXPECT_EQ(ioctl(group_, VFIO_GROUP_SET_CONTAINER, &container_), 0) << std::strerror(errno);
    EXPECT_EQ(ioctl(container_, VFIO_SET_IOMMU, type), 0) << std::strerror(errno);
    device_ = ioctl(group_, VFIO_GROUP_GET_DEVICE_FD, bdf.c_str());
    EXPECT_GE(device_, 0) << std::strerror(errno);
  }
  ~ContainerMode() override {
    if (device_ >= 0) ::close(device_);
    if (group_ >= 0) ::close(group_);
    if (container_ >= 0) ::close(container_);
  }
  int map(const void* va, uint64_t iova, uint64_t size) override {
    vfio_iommu_type1_dma_map m{};
    m.argsz = sizeof m;
    m.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
    m.vaddr = reinterpret_cast<uintptr_t>(va);
    m.iova = iova;
    m.size = size;
    return ioctl(container_, VFIO_IOMMU_MAP_DMA, &m);
  }
  int unmap(uint64_t iova, uint64_t size, uint64_t* unmapped) override {
    return do_unmap(0, iova, size, unmapped);
  }
  int unmap_all(uint64_t* unmapped) override {
    if (ioctl(container_, VFIO_CHECK_EXTENSION, VFIO_UNMAP_ALL) != 1) {
      errno = EOPNOTSUPP;
      return -1;
    }
    return do_unmap(VFIO_DMA_UNMAP_FLAG_ALL, 0, 0, unmapped);
  }
  std::vector<Range> ranges() override {
    std::vector<uint8_t> buf(sizeof(vfio_iommu_type1_info));
    auto* info = reinterpret_cast<vfio_iommu_type1_info*>(buf.data());
    info->argsz = static_cast<uint32_t>(buf.size());
    if (ioctl(container_, VFIO_IOMMU_GET_INFO, info) != 0) return {};
    buf.resize(info->argsz);
    info = reinterpret_cast<vfio_iommu_type1_info*>(buf.data());
    info->argsz = static_cast<uint32_t>(buf.size());
    if (ioctl(container_, VFIO_IOMMU_GET_INFO, info) != 0 || !(info->flags & VFIO_IOMMU_INFO_CAPS))
      return {};
    std::vector<Range> out;
    for (uint32_t off = info->cap_offset;
         off && off + sizeof(vfio_info_cap_header) <= buf.size();) {
      const auto* hdr = reinterpret_cast<const vfio_info_cap_header*>(buf.data() + off);
      if (hdr->id == VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE) {
        const auto* cap = reinterpret_cast<const vfio_iommu_type1_info_cap_iova_range*>(hdr);
        for (uint32_t i = 0; i < cap->nr_iovas; ++i)
          out.push_back({cap->iova_ranges[i].start, cap->iova_ranges[i].end});
      }
      off = hdr->next;
    }
    return out;
  }

 private:
  int do_unmap(uint32_t flags, uint64_t iova, uint64_t size, uint64_t* unmapped) {
    vfio_iommu_type1_dma_unmap u{};
    u.argsz = sizeof u;
    u.flags = flags;
    u.iova = iova;
    u.size = size;
    const int rc = ioctl(container_, VFIO_IOMMU_UNMAP_DMA, &u);
    *unmapped = rc == 0 ? u.size : 0;
    return rc;
  }
  int container_ = -1, group_ = -1;
};

class IommufdMode : public Mode {
 public:
  explicit IommufdMode(const std::string& bdf) {
    iommufd_ = must_open("/dev/iommu");
    const auto dir = "/sys/bus/pci/devices/" + bdf + "/vfio-dev";
    std::string cdev;
    for (const auto& e : std::filesystem::directory_iterator(dir)) cdev = e.path().filename();
    device_ = must_open("/dev/vfio/devices/" + cdev);
    vfio_device_bind_iommufd bind{};
    bind.argsz = sizeof bind;
    bind.iommufd = iommufd_;
    EXPECT_EQ(ioctl(device_, VFIO_DEVICE_BIND_IOMMUFD, &bind), 0) << std::strerror(errno);
    iommu_ioas_alloc alloc{};
    alloc.size = sizeof alloc;
    EXPECT_EQ(ioctl(iommufd_, IOMMU_IOAS_ALLOC, &alloc), 0) << std::strerror(errno);
    ioas_ = alloc.out_ioas_id;
    vfio_device_attach_iommufd_pt attach{};
    attach.argsz = sizeof attach;
    attach.pt_id = ioas_;
    EXPECT_EQ(ioctl(device_, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &attach), 0) << std::strerror(errno);
  }
  ~IommufdMode() override {
    if (device_ >= 0) ::close(device_);
    if (iommufd_ >= 0) ::close(iommufd_);
  }
  int map(const void* va, uint64_t iova, uint64_t size) override {
    iommu_ioas_map m{};
    m.size = sizeof m;
    m.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE;
    m.ioas_id = ioas_;
    m.user_va = reinterpret_cast<uintptr_t>(va);
    m.length = size;
    m.iova = iova;
    return ioctl(iommufd_, IOMMU_IOAS_MAP, &m);
  }
  int unmap(uint64_t iova, uint64_t size, uint64_t* unmapped) override {
    iommu_ioas_unmap u{};
    u.size = sizeof u;
    u.ioas_id = ioas_;
    u.iova = iova;
    u.length = size;
    const int rc = ioctl(iommufd_, IOMMU_IOAS_UNMAP, &u);
    *unmapped = rc == 0 ? u.length : 0;
    return rc;
  }
  // iommufd's unmap-all: IOVA 0, length UINT64_MAX (iommufd.h, IOMMU_IOAS_UNMAP).
  int unmap_all(uint64_t* unmapped) override { return unmap(0, UINT64_MAX, unmapped); }
  std::vector<Range> ranges() override {
    std::vector<iommu_iova_range> r(16);
    iommu_ioas_iova_ranges q{};
    q.size = sizeof q;
    q.ioas_id = ioas_;
    q.num_iovas = static_cast<uint32_t>(r.size());
    q.allowed_iovas = reinterpret_cast<uintptr_t>(r.data());
    if (ioctl(iommufd_, IOMMU_IOAS_IOVA_RANGES, &q) != 0) return {};
    std::vector<Range> out;
    for (uint32_t i = 0; i < q.num_iovas && i < r.size(); ++i)
      out.push_back({r[i].start, r[i].last});
    return out;
  }

 private:
  int iommufd_ = -1;
  uint32_t ioas_ = 0;
};

/// Page-aligned anonymous memory, unmapped on destruction.
struct Pages {
  explicit Pages(size_t n) : size(n * kPage) {
    p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1,
             0);
  }
  ~Pages() {
    if (p != MAP_FAILED) munmap(p, size);
  }
  size_t size;
  void* p;
};

// What kernel 6.12 answers, mode by mode (observed on the test bed, docs/library.md).
// Worth knowing: iommufd's emulation of type1 (v1) splits a mapping on a partial unmap
// and unmaps only the page asked, where vfio_iommu_type1 (v1) unmaps the whole mapping.
// A corner missing here fails: a new corner or mode needs its answer written down.
const std::map<std::string, std::map<std::string, std::string>> kExpected = {
    {"type1",
     {{"last-page", "ok"},
      {"past-end", "EINVAL"},
      {"wrap", "EINVAL"},
      {"unmap-all", "ok 3 pages"},
      {"partial-unmap", "ok 2 pages"},
      {"bar-mmap", "ok"}}},
    {"type1v2",
     {{"last-page", "ok"},
      {"past-end", "EINVAL"},
      {"wrap", "EINVAL"},
      {"unmap-all", "ok 3 pages"},
      {"partial-unmap", "EINVAL"},
      {"bar-mmap", "ok"}}},
    {"compat-type1",
     {{"last-page", "ok"},
      {"past-end", "EINVAL"},
      {"wrap", "EOVERFLOW"},
      {"unmap-all", "ok 3 pages"},
      {"partial-unmap", "ok 1 pages"},
      {"bar-mmap", "EFAULT"}}},
    {"compat-type1v2",
     {{"last-page", "ok"},
      {"past-end", "EINVAL"},
      {"wrap", "EOVERFLOW"},
      {"unmap-all", "ok 3 pages"},
      {"partial-unmap", "ENOENT"},
      {"bar-mmap", "EFAULT"}}},
    {"iommufd",
     {{"last-page", "ok"},
      {"past-end", "EINVAL"},
      {"wrap", "EOVERFLOW"},
      {"unmap-all", "ok 3 pages"},
      {"partial-unmap", "ENOENT"},
      {"bar-mmap", "EFAULT"}}},
};

struct ModeCase {
  std::string name;
  std::function<std::unique_ptr<Mode>(const std::string& bdf)> open;
};

std::vector<ModeCase> modes_offered() {
  std::vector<ModeCase> out;
  const char* kind = std::getenv("VFIOKIT_CONTAINER_KIND");
  const std::string prefix = kind && std::string(kind) == "compat" ? "compat-" : "";
  if (std::filesystem::exists("/dev/vfio/vfio")) {
    out.push_back({prefix + "type1", [](const std::string& b) {
                     return std::make_unique<ContainerMode>(b, VFIO_TYPE1_IOMMU);
                   }});
    out.push_back({prefix + "type1v2", [](const std::string& b) {
                     return std::make_unique<ContainerMode>(b, VFIO_TYPE1v2_IOMMU);
                   }});
  }
  if (std::filesystem::exists("/dev/iommu"))
    out.push_back(
        {"iommufd", [](const std::string& b) { return std::make_unique<IommufdMode>(b); }});
  return out;
}

/// The first BAR after BAR0 that VFIO lets us mmap (the NVMe's controller memory buffer).
void* map_cmb(int device, size_t* size) {
  for (uint32_t index = VFIO_PCI_BAR1_REGION_INDEX; index <= VFIO_PCI_BAR5_REGION_INDEX; ++index) {
    vfio_region_info info{};
    info.argsz = sizeof info;
    info.index = index;
    if (ioctl(device, VFIO_DEVICE_GET_REGION_INFO, &info) != 0 || info.size < kPage ||
        !(info.flags & VFIO_REGION_INFO_FLAG_MMAP))
      continue;
    void* p = mmap(nullptr, info.size, PROT_READ | PROT_WRITE, MAP_SHARED, device,
                   static_cast<off_t>(info.offset));
    if (p == MAP_FAILED) continue;
    *size = info.size;
    return p;
  }
  return nullptr;
}

class UapiCorners : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto nvmes = test::find_pci_class(kNvmeClass);
    ASSERT_FALSE(nvmes.empty()) << "no NVMe on this VM";
    bdf_ = nvmes[0];
  }
  // Records one corner's answer and checks it against kExpected.
  void row(const std::string& mode, const std::string& corner, const std::string& got) {
    std::printf("UAPI|%s|%s|%s\n", mode.c_str(), corner.c_str(), got.c_str());
    const auto m = kExpected.find(mode);
    ASSERT_NE(m, kExpected.end()) << "no expected answers for mode " << mode;
    const auto want = m->second.find(corner);
    ASSERT_NE(want, m->second.end()) << "no expected answer for " << mode << " " << corner;
    EXPECT_EQ(got, want->second) << mode << ": " << corner << " answered differently";
  }
  std::string bdf_;
};

TEST_F(UapiCorners, EveryModeTheKernelOffers) {
  const auto modes = modes_offered();
  ASSERT_FALSE(modes.empty()) << "neither /dev/vfio/vfio nor /dev/iommu: no VFIO DMA uAPI";
  for (const auto& mc : modes) {
    SCOPED_TRACE(mc.name);
    auto mode = mc.open(bdf_);
    ASSERT_GE(mode->device_fd(), 0);
    const auto ranges = mode->ranges();
    ASSERT_FALSE(ranges.empty()) << mc.name << ": no usable IOVA range reported";
    Pages two(2), three(3);
    uint64_t unmapped = 0;

    // The last page of every usable range maps (and unmaps whole).
    std::string last = "ok";
    for (const auto& r : ranges) {
      const uint64_t iova = (r.last + 1 - kPage) & ~(kPage - 1);
      if (mode->map(two.p, iova, kPage) != 0) {
        last = answer(-1);
        break;
      }
      if (mode->unmap(iova, kPage, &unmapped) != 0 || unmapped != kPage)
        last = "unmap " + answer(-1);
    }
    row(mc.name, "last-page", last);

    // Two pages from the last page of the last range: one page past its end.
    const uint64_t end_iova = (ranges.back().last + 1 - kPage) & ~(kPage - 1);
    const int past = mode->map(two.p, end_iova, 2 * kPage);
    row(mc.name, "past-end", answer(past));
    if (past == 0) mode->unmap(end_iova, 2 * kPage, &unmapped);

    // IOVA + size wraps past 2^64.
    const int wrap = mode->map(two.p, UINT64_MAX - kPage + 1, 2 * kPage);
    row(mc.name, "wrap", answer(wrap));

    // Three separate mappings, then unmap-all; the IOVAs must be free again after it.
    const uint64_t base = ranges.front().start + 0x100000;
    for (int i = 0; i < 3; ++i)
      ASSERT_EQ(mode->map(static_cast<char*>(three.p) + i * kPage, base + i * 0x10000, kPage), 0)
          << mc.name << ": map " << i << ": " << std::strerror(errno);
    const int all = mode->unmap_all(&unmapped);
    std::string all_answer = answer(all);
    if (all == 0) {
      all_answer += " " + std::to_string(unmapped / kPage) + " pages";
      for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(mode->map(three.p, base + i * 0x10000, kPage), 0)
            << mc.name << ": IOVA still mapped after unmap-all: " << std::strerror(errno);
        mode->unmap(base + i * 0x10000, kPage, &unmapped);
      }
    }
    row(mc.name, "unmap-all", all_answer);

    // Unmap the first page of a two-page mapping.
    ASSERT_EQ(mode->map(two.p, base, 2 * kPage), 0) << std::strerror(errno);
    const int part = mode->unmap(base, kPage, &unmapped);
    row(mc.name, "partial-unmap",
        part == 0 ? "ok " + std::to_string(unmapped / kPage) + " pages" : answer(part));
    if (part != 0 || unmapped < 2 * kPage) mode->unmap_all(&unmapped);

    // A BAR's mmap (the NVMe's CMB) mapped for DMA: peer-to-peer.
    size_t bar_size = 0;
    void* bar = map_cmb(mode->device_fd(), &bar_size);
    ASSERT_NE(bar, nullptr) << "no mmap-able BAR besides BAR0: give the NVMe a CMB (cmb_size_mb)";
    const int p2p = mode->map(bar, base, kPage);
    row(mc.name, "bar-mmap", answer(p2p));
    if (p2p == 0) mode->unmap(base, kPage, &unmapped);
    munmap(bar, bar_size);
  }
}

}  // namespace
}  // namespace vfiokit
