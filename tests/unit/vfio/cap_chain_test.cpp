#include "vfio/cap_chain.hpp"

#include <gtest/gtest.h>

#include "vfiokit/vfio/error.hpp"

namespace vfiokit {
namespace {

void put_header(std::vector<uint8_t>& b, size_t off, uint16_t id, uint16_t ver, uint32_t next) {
  b[off] = id & 0xff; b[off + 1] = id >> 8;
  b[off + 2] = ver & 0xff; b[off + 3] = ver >> 8;
  for (int i = 0; i < 4; ++i) b[off + 4 + i] = (next >> (8 * i)) & 0xff;
}

TEST(CapChain, WalksTwoCapsInOrder) {
  std::vector<uint8_t> b(64);
  put_header(b, 32, 1, 1, 48);
  put_header(b, 48, 3, 2, 0);
  const auto caps = parse_info_caps(b, 32, "test");
  ASSERT_EQ(caps.size(), 2u);
  EXPECT_EQ(caps[0].id, 1);
  EXPECT_EQ(caps[0].bytes.size(), 16u);  // up to the next cap
  EXPECT_EQ(caps[1].id, 3);
  EXPECT_EQ(caps[1].version, 2);
  EXPECT_EQ(caps[1].bytes.size(), 16u);  // up to the end
  EXPECT_NE(find_info_cap(caps, 3), nullptr);
  EXPECT_EQ(find_info_cap(caps, 2), nullptr);
}

TEST(CapChain, NoChainIsEmpty) {
  std::vector<uint8_t> b(32);
  EXPECT_TRUE(parse_info_caps(b, 0, "test").empty());
}

TEST(CapChain, LoopIsAnError) {
  std::vector<uint8_t> b(64);
  put_header(b, 32, 1, 1, 48);
  put_header(b, 48, 2, 1, 32);
  try {
    parse_info_caps(b, 32, "test");
    FAIL() << "a loop must throw";
  } catch (const Error& e) {
    EXPECT_EQ(e.error_code(), ELOOP);
  }
}

TEST(CapChain, SelfLoopIsAnError) {
  std::vector<uint8_t> b(64);
  put_header(b, 32, 1, 1, 32);
  EXPECT_THROW(parse_info_caps(b, 32, "test"), Error);
}

TEST(CapChain, OutOfBoundsOffsetsAreErrors) {
  std::vector<uint8_t> b(64);
  EXPECT_THROW(parse_info_caps(b, 60, "test"), Error);   // header does not fit
  EXPECT_THROW(parse_info_caps(b, 200, "test"), Error);  // beyond the buffer
  EXPECT_THROW(parse_info_caps(b, 4, "test"), Error);    // inside the fixed header
  put_header(b, 32, 1, 1, 0xfffffff0);
  EXPECT_THROW(parse_info_caps(b, 32, "test"), Error);   // next points far away
}

}  // namespace
}  // namespace vfiokit
