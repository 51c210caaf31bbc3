// NvmeDriver::init, then one Write and one Read, against the in-memory controller model
// (tests/support/nvme_model.hpp) behind FakeVfio, with device values from the input:
// CAP, VS, completion quirks, driver options, and patches to the Identify Controller and
// Identify Namespace pages. Every device value init trusts is fuzzed; what it must do is
// refuse with a vfiokit::Error (anything else — a crash, UB, another exception, a hang —
// is a finding).
//
// Input: CAP (8 bytes LE), VS (4), quirk bits (1), SQHD xor (2), DW0 xor (4), failing
// admin opcode (1) and its status (2), option bits (1), then 3-byte patches: u16 LE
// (bit 15: namespace page, else controller page; bits 11:0 the offset) and the byte.
// Inputs shorter than the header use the model's defaults for the rest.
#include <stdlib.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>

#include "tests/support/nvme_model.hpp"
#include "vfiokit/dma/buffer.hpp"
#include "vfiokit/dma/mapping.hpp"
#include "vfiokit/drivers/nvme/nvme.hpp"
#include "vfiokit/vfio/container.hpp"
#include "vfiokit/vfio/error.hpp"

namespace {

struct Reader {
  const uint8_t* p;
  size_t left;
  template <typename T>
  bool take(T& v) {
    if (left < sizeof(T)) return false;
    std::memcpy(&v, p, sizeof(T));
    p += sizeof(T);
    left -= sizeof(T);
    return true;
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vfiokit;
  // One sysfs fixture for every run (building a tree per input costs more than init),
  // removed at exit.
  static const struct SysfsRoot {
    std::filesystem::path path;
    SysfsRoot() {
      char tmpl[] = "/tmp/vfiokit-fuzz-sysfs-XXXXXX";
      if (!mkdtemp(tmpl)) std::abort();
      path = tmpl;
    }
    ~SysfsRoot() {
      std::error_code ec;
      std::filesystem::remove_all(path, ec);
    }
  } root;
  testing::FakeVfio fake(root.path);
  testing::NvmeControllerModel model(fake, 4096);
  fake.bar0 = &model;
  Reader in{data, size};
  uint64_t cap = model.cap;
  uint32_t vs = model.vs;
  uint8_t quirks = 0, opcode = 0xff, options = 0;
  uint16_t sqhd_xor = 0, status = 0;
  uint32_t dw0_xor = 0;
  (void)(in.take(cap) && in.take(vs) && in.take(quirks) && in.take(sqhd_xor) && in.take(dw0_xor) &&
         in.take(opcode) && in.take(status) && in.take(options));
  // The model always becomes ready when enabled: a controller that never does is a timeout
  // of CAP.TO by design (the unit tests cover it), not something to fuzz at 1 s an input.
  model.cap = cap;
  model.vs = vs;
  model.quirks.duplicate_cqe = quirks & 1;
  model.quirks.fatal_on_enable = quirks & 2;
  model.quirks.no_interrupt = quirks & 4;
  model.quirks.sqhd_xor = sqhd_xor;
  model.quirks.dw0_xor = dw0_xor;
  model.quirks.fail_opcode = opcode;
  model.quirks.fail_opcode_status = static_cast<uint16_t>(status & 0x7fff);
  for (uint16_t where = 0; in.left >= 3;) {
    uint8_t value = 0;
    in.take(where);
    in.take(value);
    auto& page = (where & 0x8000) ? model.id_ns[1] : model.id_ctrl;
    page[where & 0xfff] = value;
  }

  NvmeOptions o;
  o.completion = (options & 1) ? NvmeCompletionMode::kPoll : NvmeCompletionMode::kInterrupt;
  o.shadow_doorbells = (options & 2) ? NvmeShadowDoorbells::kOff : NvmeShadowDoorbells::kAuto;
  o.io_queue_entries = (options & 4) ? 2 : 256;
  raw::ScopedVfioOps scope(fake);
  try {
    auto ctx = std::make_shared<Container>(false, fake.sysfs());
    Device device(ctx, fake.bdf);
    auto dma = DmaSpace::create(ctx);
    NvmeDriver driver(device, dma, o);
    driver.init();
    auto buf = DmaBuffer::allocate(driver.lba_size(), PageBacking::k4K);
    DmaMapping m = dma->map(buf);
    driver.write(0, 1, m.iova(), 1000);
    driver.read(0, 1, m.iova(), 1000);
    driver.remove();
  } catch (const Error&) {
  }
  return 0;
}
