#include "tests/support/nvme_model.hpp"

#include <algorithm>
#include <cstring>

#include "vfiokit/drivers/nvme/registers.hpp"

namespace vfiokit::testing {

namespace {

// Status fields (4.6.1.2): SCT 0 codes, and SCT 0 / 80h.
constexpr uint16_t kInvalidOpcode = 0x01;
constexpr uint16_t kInvalidField = 0x02;
constexpr uint16_t kDataTransferError = 0x04;
constexpr uint16_t kInvalidNamespace = 0x0b;
constexpr uint16_t kLbaOutOfRange = 0x80;
constexpr uint16_t kInvalidQueueId = (1u << 8) | 0x01;  // SCT 1: Invalid Queue Identifier
constexpr uint64_t kMaxTransfer = 64u << 20;            // the model's own limit on one command

template <typename T>
void put(uint8_t* p, T v) {
  std::memcpy(p, &v, sizeof(v));
}

template <typename T>
T get(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

}  // namespace

NvmeControllerModel::NvmeControllerModel(FakeVfio& vfio, uint64_t blocks) : vfio_(vfio) {
  // MQES 255 (0's based), CQR, TO 1 (500 ms), DSTRD 0, CSS NVM, MPSMIN 0 (4 KiB), MPSMAX 4.
  cap = 255ull | 1ull << 16 | 1ull << 24 | 1ull << 37 | 4ull << 52;
  put<uint16_t>(&id_ctrl[0], 0x1b36);
  std::memcpy(&id_ctrl[4], "FAKE0001            ", 20);
  std::memcpy(&id_ctrl[24], "vfiokit NVMe controller model           ", 40);
  std::memcpy(&id_ctrl[64], "1.0     ", 8);
  id_ctrl[77] = 5;  // MDTS: 2^5 minimum pages
  put<uint32_t>(&id_ctrl[80], vs);
  id_ctrl[512] = 0x66;              // SQES: 64 bytes
  id_ctrl[513] = 0x44;              // CQES: 16 bytes
  put<uint32_t>(&id_ctrl[516], 1);  // NN
  auto& ns = id_ns[1];
  ns.fill(0);
  put<uint64_t>(&ns[0], blocks);      // NSZE
  put<uint64_t>(&ns[8], blocks);      // NCAP
  put<uint64_t>(&ns[16], blocks);     // NUSE
  ns[25] = 0;                         // NLBAF: one format
  ns[26] = 0;                         // FLBAS: format 0
  put<uint32_t>(&ns[128], 9u << 16);  // LBAF0: 512-byte blocks, no metadata
}

uint32_t NvmeControllerModel::lba_shift(uint32_t nsid) const {
  auto it = id_ns.find(nsid);
  if (it == id_ns.end()) return 9;
  const auto& ns = it->second;
  const unsigned index = ns[26] & 0xf;
  const uint32_t shift = ns[128 + 4 * index + 2];
  return shift >= 9 && shift <= 24 ? shift : 9;  // the model's own sanity, not the driver's
}

uint64_t NvmeControllerModel::nsze(uint32_t nsid) const {
  auto it = id_ns.find(nsid);
  return it == id_ns.end() ? 0 : get<uint64_t>(it->second.data());
}

std::vector<uint8_t> NvmeControllerModel::block(uint32_t nsid, uint64_t lba) const {
  auto it = disk_.find({nsid, lba});
  if (it != disk_.end()) return it->second;
  return std::vector<uint8_t>(size_t{1} << lba_shift(nsid), 0);
}

// --- registers -------------------------------------------------------------------------------

uint64_t NvmeControllerModel::read(uint64_t offset, unsigned size) {
  uint64_t v = 0;
  auto reg64 = [&](uint64_t base, uint64_t value) {
    if (offset >= base && offset < base + 8) v = value >> (8 * (offset - base));
  };
  reg64(nvme::kRegCap, cap);
  reg64(nvme::kRegAsq, asq_);
  reg64(nvme::kRegAcq, acq_);
  switch (offset) {
    case nvme::kRegVs:
      v = vs;
      break;
    case nvme::kRegIntms:
    case nvme::kRegIntmc:
      v = intms_;
      break;
    case nvme::kRegCc:
      v = cc_;
      break;
    case nvme::kRegCsts:
      v = csts_;
      break;
    case nvme::kRegAqa:
      v = aqa_;
      break;
    default:
      break;
  }
  return size >= 8 ? v : v & ((uint64_t{1} << (8 * size)) - 1);
}

void NvmeControllerModel::write(uint64_t offset, uint64_t value, unsigned size) {
  const auto v32 = static_cast<uint32_t>(value);
  auto set64 = [&](uint64_t base, uint64_t& reg) {
    if (offset == base && size == 8) reg = value;
    if (offset == base && size == 4) reg = (reg & ~0xffffffffull) | v32;
    if (offset == base + 4 && size == 4) reg = (reg & 0xffffffffull) | uint64_t{v32} << 32;
  };
  set64(nvme::kRegAsq, asq_);
  set64(nvme::kRegAcq, acq_);
  if (offset == nvme::kRegAqa) aqa_ = v32;
  if (offset == nvme::kRegIntms) intms_ |= v32;
  if (offset == nvme::kRegIntmc) intms_ &= ~v32;
  if (offset == nvme::kRegCc) {
    const bool was = cc_ & nvme::kCcEn, now = v32 & nvme::kCcEn;
    cc_ = v32;
    if (!was && now) enable();
    if (was && !now) disable();
    if (now && (v32 & nvme::kCcShnMask))
      csts_ = (csts_ & ~nvme::kCstsShstMask) | nvme::kCstsShstComplete;
  }
  if (offset >= nvme::kDoorbellBase && size == 4) {
    const uint64_t stride = uint64_t{4} << ((cap >> 32) & 0xf);
    const uint64_t slot = (offset - nvme::kDoorbellBase) / stride;
    if ((offset - nvme::kDoorbellBase) % stride) return;
    const auto qid = static_cast<uint16_t>(slot / 2);
    if (!(csts_ & nvme::kCstsRdy)) return;
    if (slot % 2 == 0) {
      auto it = sqs_.find(qid);
      if (it == sqs_.end() || v32 >= it->second.entries) return;
      it->second.tail = v32;
      process(qid);
    } else {
      auto it = cqs_.find(qid);
      if (it == cqs_.end() || v32 >= it->second.entries) return;
      it->second.head = v32;
      for (auto& [sqid, sq] : sqs_)  // a CQ that had no room may take more now
        if (sq.cqid == qid) process(sqid);
    }
  }
}

void NvmeControllerModel::reset() {
  disable();
  cc_ = 0;
  aqa_ = 0;
  asq_ = acq_ = 0;
  intms_ = 0;
}

void NvmeControllerModel::enable() {
  sqs_.clear();
  cqs_.clear();
  if (quirks.fatal_on_enable) csts_ |= nvme::kCstsCfs;
  Queue asq, acq;
  asq.iova = asq_;
  asq.entries = (aqa_ & 0xfff) + 1;
  asq.cqid = 0;
  acq.iova = acq_;
  acq.entries = ((aqa_ >> 16) & 0xfff) + 1;
  acq.irq = true;
  acq.vector = 0;
  sqs_[0] = asq;
  cqs_[0] = acq;
  if (!quirks.never_ready) csts_ |= nvme::kCstsRdy;
}

void NvmeControllerModel::disable() {
  sqs_.clear();
  cqs_.clear();
  csts_ = 0;
}

// --- queues ----------------------------------------------------------------------------------

void NvmeControllerModel::process(uint16_t sqid) {
  for (;;) {
    auto sit = sqs_.find(sqid);
    if (sit == sqs_.end()) return;
    Queue& sq = sit->second;
    if (sq.head == sq.tail) return;
    auto cit = cqs_.find(sq.cqid);
    if (cit == cqs_.end()) return;
    const Queue& cq = cit->second;
    if ((cq.tail + 1) % cq.entries == cq.head) return;  // CQ full: wait for the host
    const auto* p = static_cast<const uint8_t*>(
        vfio_.translate(sq.iova + uint64_t{sq.head} * sizeof(nvme::Sqe), sizeof(nvme::Sqe), false));
    if (!p) {  // the SQ is not mapped: a real controller's fetch would fault
      csts_ |= nvme::kCstsCfs;
      ++errors_;
      return;
    }
    nvme::Sqe s;
    std::memcpy(&s, p, sizeof(s));
    sq.head = (sq.head + 1) % sq.entries;
    uint32_t dw0 = 0;
    const uint16_t status = sqid == 0 ? admin(s, dw0) : io(s);
    ++commands_;
    if (status) ++errors_;
    complete(sqid, s, status, dw0);
    if (quirks.duplicate_cqe) complete(sqid, s, status, dw0);
  }
}

void NvmeControllerModel::complete(uint16_t sqid, const nvme::Sqe& s, uint16_t status,
                                   uint32_t dw0) {
  auto sit = sqs_.find(sqid);
  if (sit == sqs_.end()) return;  // a Delete I/O SQ of itself: nothing to post to
  auto cit = cqs_.find(sit->second.cqid);
  if (cit == cqs_.end()) return;
  Queue& cq = cit->second;
  if ((cq.tail + 1) % cq.entries == cq.head) return;  // full (a duplicate has no room)
  auto* slot = static_cast<uint8_t*>(
      vfio_.translate(cq.iova + uint64_t{cq.tail} * sizeof(nvme::Cqe), sizeof(nvme::Cqe), true));
  if (!slot) {
    csts_ |= nvme::kCstsCfs;
    ++errors_;
    return;
  }
  nvme::Cqe e;
  e.dw0 = dw0 ^ quirks.dw0_xor;
  e.sqhd = static_cast<uint16_t>(sit->second.head ^ quirks.sqhd_xor);
  e.sqid = sqid;
  e.cid = static_cast<uint16_t>(s.cid ^ quirks.cid_xor);
  std::memcpy(slot, &e, offsetof(nvme::Cqe, status));
  // The phase tag last, as a controller's posted write lands (4.6).
  const auto st = static_cast<uint16_t>(status << 1 | cq.phase);
  __atomic_store_n(reinterpret_cast<uint16_t*>(slot + offsetof(nvme::Cqe, status)), st,
                   __ATOMIC_RELEASE);
  if (++cq.tail == cq.entries) {
    cq.tail = 0;
    cq.phase ^= 1;
  }
  if (cq.irq && !quirks.no_interrupt) vfio_.raise_msix(cq.vector);
}

// --- commands --------------------------------------------------------------------------------

bool NvmeControllerModel::transfer(const nvme::Sqe& s, uint8_t* data, uint64_t len, bool to_host) {
  const uint64_t page = page_size();
  auto move = [&](uint64_t iova, uint8_t* at, uint64_t n) {
    void* host = vfio_.translate(iova, n, to_host);
    if (!host) return false;
    if (to_host)
      std::memcpy(host, at, n);
    else
      std::memcpy(at, host, n);
    return true;
  };
  // PRP1 may start inside a page; every further entry is page-aligned (4.3).
  uint64_t first = std::min(len, page - (s.prp1 & (page - 1)));
  if (!move(s.prp1, data, first)) return false;
  uint64_t done = first;
  if (done == len) return true;
  if (len - done <= page) return move(s.prp2, data + done, len - done);
  // PRP2 is a PRP list; its last entry chains to the next list page while more remain.
  uint64_t list = s.prp2;
  const uint64_t per_page = page / 8;
  while (done < len) {
    if (list & 7) return false;
    for (uint64_t i = 0; i < per_page && done < len; ++i) {
      const auto* e = static_cast<const uint8_t*>(vfio_.translate(list + 8 * i, 8, false));
      if (!e) return false;
      const uint64_t entry = get<uint64_t>(e);
      if (i == per_page - 1 && len - done > page) {
        list = entry;
        break;
      }
      if (entry & (page - 1)) return false;
      const uint64_t n = std::min(page, len - done);
      if (!move(entry, data + done, n)) return false;
      done += n;
    }
  }
  return true;
}

uint16_t NvmeControllerModel::admin(const nvme::Sqe& s, uint32_t& dw0) {
  if (quirks.fail_opcode_status && s.opcode == quirks.fail_opcode) return quirks.fail_opcode_status;
  switch (s.opcode) {
    case nvme::kAdminIdentify: {
      std::array<uint8_t, 4096> page{};
      switch (s.cdw10 & 0xff) {
        case 0x01:
          page = id_ctrl;
          break;
        case 0x00: {
          auto it = id_ns.find(s.nsid);
          if (it == id_ns.end()) return kInvalidNamespace;
          page = it->second;
          break;
        }
        case 0x02: {
          size_t at = 0;
          for (const auto& [nsid, bytes] : id_ns)
            if (nsid > s.nsid && at + 4 <= page.size()) {
              put<uint32_t>(&page[at], nsid);
              at += 4;
            }
          break;
        }
        default:
          return kInvalidField;
      }
      return transfer(s, page.data(), page.size(), true) ? 0 : kDataTransferError;
    }
    case nvme::kAdminSetFeatures:
    case nvme::kAdminGetFeatures:
      if ((s.cdw10 & 0xff) != nvme::kFeatureNumQueues) return kInvalidField;
      dw0 = 0;  // one I/O SQ and one I/O CQ (0's based)
      return 0;
    case nvme::kAdminCreateIoCq: {
      const auto qid = static_cast<uint16_t>(s.cdw10 & 0xffff);
      if (qid == 0 || cqs_.count(qid)) return kInvalidQueueId;
      Queue q;
      q.iova = s.prp1;
      q.entries = (s.cdw10 >> 16) + 1;
      q.irq = s.cdw11 & 2;
      q.vector = static_cast<uint16_t>(s.cdw11 >> 16);
      if (q.entries < 2 || q.entries > (cap & 0xffff) + 1) return kInvalidField;
      cqs_[qid] = q;
      return 0;
    }
    case nvme::kAdminCreateIoSq: {
      const auto qid = static_cast<uint16_t>(s.cdw10 & 0xffff);
      if (qid == 0 || sqs_.count(qid)) return kInvalidQueueId;
      Queue q;
      q.iova = s.prp1;
      q.entries = (s.cdw10 >> 16) + 1;
      q.cqid = static_cast<uint16_t>(s.cdw11 >> 16);
      if (!cqs_.count(q.cqid)) return (1u << 8) | 0x00;  // SCT 1: Completion Queue Invalid
      if (q.entries < 2 || q.entries > (cap & 0xffff) + 1) return kInvalidField;
      sqs_[qid] = q;
      return 0;
    }
    case nvme::kAdminDeleteIoSq:
      return sqs_.erase(static_cast<uint16_t>(s.cdw10 & 0xffff)) && (s.cdw10 & 0xffff)
                 ? 0
                 : kInvalidQueueId;
    case nvme::kAdminDeleteIoCq:
      return cqs_.erase(static_cast<uint16_t>(s.cdw10 & 0xffff)) && (s.cdw10 & 0xffff)
                 ? 0
                 : kInvalidQueueId;
    default:
      return kInvalidOpcode;
  }
}

uint16_t NvmeControllerModel::io(const nvme::Sqe& s) {
  if (s.opcode != nvme::kNvmRead && s.opcode != nvme::kNvmWrite) return kInvalidOpcode;
  if (!id_ns.count(s.nsid)) return kInvalidNamespace;
  const uint64_t slba = uint64_t{s.cdw11} << 32 | s.cdw10;
  const uint64_t nlb = (s.cdw12 & 0xffff) + 1u;
  const uint32_t shift = lba_shift(s.nsid);
  if (slba >= nsze(s.nsid) || nsze(s.nsid) - slba < nlb) return kLbaOutOfRange;
  const uint64_t len = nlb << shift;
  if (len > kMaxTransfer) return kInvalidField;
  std::vector<uint8_t> data(len, 0);
  const size_t bs = size_t{1} << shift;
  if (s.opcode == nvme::kNvmRead) {
    for (uint64_t i = 0; i < nlb; ++i) {
      auto it = disk_.find({s.nsid, slba + i});
      if (it != disk_.end()) std::memcpy(data.data() + i * bs, it->second.data(), bs);
    }
    return transfer(s, data.data(), len, true) ? 0 : kDataTransferError;
  }
  if (!transfer(s, data.data(), len, false)) return kDataTransferError;
  for (uint64_t i = 0; i < nlb; ++i)
    disk_[{s.nsid, slba + i}].assign(data.begin() + static_cast<ptrdiff_t>(i * bs),
                                     data.begin() + static_cast<ptrdiff_t>((i + 1) * bs));
  return 0;
}

}  // namespace vfiokit::testing
